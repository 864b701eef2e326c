// Package observe turns what sitrep sees of PagerDuty into journal entries,
// each event once: an incident's first sighting, and its PagerDuty log
// entries (trigger, acknowledge, reassign, escalate, snooze, resolve) with
// PagerDuty's actor and time. Restarts and refreshes add no duplicates: log
// entries are keyed by their PagerDuty ID, first sightings by the incident's.
//
// What is journaled about an incident nobody touched: nothing of its own.
// The incident cache already holds the list, and a journal entry per listed
// incident made one first load of 10,000 incidents 10,000 entries and 35 MB.
// An incident's first sighting ("seen", dated when this process first
// listed it, holding the row) is journaled when the incident becomes the
// engineer's business:
//
//   - it is assigned to the engineer (the token's owner) when listed;
//   - it changes while listed (status, urgency, priority, assignees or
//     alerts), the change that also journals its timeline;
//   - the engineer opens it (Opened) or acts on it (the recorder calls
//     Opened before the entry that records the act).
//
// Every refresh that lists incidents this process had not listed before
// journals one summary entry (kind "listed", no incident) that counts them.
// So every incident with anything in the journal has its first sighting
// there, and a post-mortem reads the same as when every listed incident was
// journaled. The time an incident was first listed is kept in memory: after
// a restart, an incident first opened then is dated by the restart's first
// listing.
package observe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"strings"
	"sync"
	"time"

	"sitrep/sources/pagerduty"
	"sitrep/store/journal"
)

// Feed is what the observer reads from PagerDuty: an incident's timeline,
// and who the engineer is.
type Feed interface {
	LogEntries(ctx context.Context, incidentID string) ([]pagerduty.LogEntry, error)
	Me(ctx context.Context) (pagerduty.User, error)
}

// Appender writes journal entries.
type Appender interface {
	AppendBatch([]journal.Entry) ([]journal.Appended, error)
}

// maxFetchPerRefresh bounds the timeline requests one refresh may cause;
// incidents beyond it are fetched on the next refresh.
const maxFetchPerRefresh = 10

// KindListed is the kind of the summary entry a refresh journals for the
// incidents it listed for the first time.
const KindListed = "listed"

// Observer remembers, for this process, each incident it has listed.
type Observer struct {
	feed Feed
	j    Appender
	seed maphash.Seed

	mu      sync.Mutex
	known   map[string]tracked // incident ID -> what this process knows of it
	pending map[string]bool    // changed, timeline not fetched yet
}

// tracked is one listed incident: 10,000 of them cost well under a
// megabyte, where their rows would cost several.
type tracked struct {
	version   uint64 // hash of the list row's Version
	listed    int64  // when this process first listed it, Unix nanoseconds
	journaled bool   // its first sighting is in the journal
}

// New returns an Observer. feed may be nil: then no timeline is fetched
// and no incident counts as assigned to the engineer.
func New(feed Feed, j Appender) *Observer {
	return &Observer{feed: feed, j: j, seed: maphash.MakeSeed(), known: map[string]tracked{}, pending: map[string]bool{}}
}

// Incidents journals a refresh: the first sightings of incidents that
// became the engineer's business (see the package comment), one summary of
// the incidents listed for the first time, and the timelines of incidents
// whose row changed since the last refresh. The first refresh of a process
// fetches no timeline: it has nothing to compare with, and the detail view
// and the export read timelines anyway.
func (o *Observer) Incidents(ctx context.Context, incidents []pagerduty.Incident, now time.Time) error {
	var errs []error
	var me string
	if o.feed != nil && len(incidents) > 0 {
		// Answered from the client's memory after the first time.
		u, err := o.feed.Me(ctx)
		if err != nil {
			errs = append(errs, fmt.Errorf("journal the incidents assigned to you: %w", err))
		}
		me = u.ID
	}

	o.mu.Lock()
	var entries []journal.Entry
	var seenIDs []string // the incidents of entries' first len(seenIDs) entries
	var fetch []string
	fresh := 0
	for i := range incidents {
		in := &incidents[i]
		v := o.version(in)
		t, seen := o.known[in.ID]
		changed := seen && v != t.version
		if !seen {
			fresh++
			t = tracked{version: v, listed: now.UnixNano()}
		}
		if changed {
			o.pending[in.ID] = true
			t.version = v
		}
		o.known[in.ID] = t
		if !t.journaled && (changed || assignedTo(in, me)) {
			// Marked journaled only once it is (below): a failed
			// append is retried on the next refresh.
			entries = append(entries, seenEntry(*in, time.Unix(0, t.listed)))
			seenIDs = append(seenIDs, in.ID)
		}
	}
	for id := range o.pending {
		if len(fetch) == maxFetchPerRefresh {
			break
		}
		fetch = append(fetch, id)
		delete(o.pending, id)
	}
	o.mu.Unlock()

	if fresh > 0 {
		entries = append(entries, listedEntry(fresh, len(incidents), len(seenIDs), now))
	}
	if len(entries) > 0 {
		done, err := o.append(entries)
		if err != nil {
			errs = append(errs, err)
		}
		o.markJournaled(seenIDs, done)
	}
	for _, id := range fetch {
		if o.feed == nil {
			break
		}
		les, err := o.feed.LogEntries(ctx, id)
		if err != nil {
			o.mu.Lock()
			o.pending[id] = true // try again next refresh
			o.mu.Unlock()
			errs = append(errs, err)
			continue
		}
		if err := o.Timeline(id, les); err != nil {
			if !errors.Is(err, errRefused) {
				o.mu.Lock()
				o.pending[id] = true // try again next refresh
				o.mu.Unlock()
			}
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Opened journals the first sighting of an incident the engineer opened
// or acted on, dated when this process first listed it (now when it never
// did), unless it is journaled already.
func (o *Observer) Opened(in pagerduty.Incident, now time.Time) error {
	if in.ID == "" {
		return nil
	}
	o.mu.Lock()
	t, seen := o.known[in.ID]
	o.mu.Unlock()
	if seen && t.journaled {
		return nil
	}
	at := now
	if seen {
		at = time.Unix(0, t.listed)
	}
	done, err := o.append([]journal.Entry{seenEntry(in, at)})
	o.mu.Lock()
	defer o.mu.Unlock()
	if t, seen := o.known[in.ID]; done[0] {
		if !seen {
			t = tracked{version: o.version(&in), listed: at.UnixNano()}
		}
		t.journaled = true
		o.known[in.ID] = t
	}
	if err != nil {
		return fmt.Errorf("journal the first sighting of %s: %w", in.ID, err)
	}
	return nil
}

// Journaled reports whether this process has journaled the first sighting
// of an incident it listed; false for one it never listed.
func (o *Observer) Journaled(incidentID string) (listed, journaled bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	t, ok := o.known[incidentID]
	return ok, t.journaled
}

func (o *Observer) markJournaled(ids []string, done []bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i, id := range ids {
		if t, ok := o.known[id]; ok && done[i] {
			t.journaled = true
			o.known[id] = t
		}
	}
}

// version hashes what Version says of a row without building its string:
// a refresh of 10,000 incidents compares 10,000 rows.
func (o *Observer) version(in *pagerduty.Incident) uint64 {
	var h maphash.Hash
	h.SetSeed(o.seed)
	for _, s := range []string{in.Status, in.Urgency, in.Priority} {
		h.WriteString(s)
		h.WriteByte(0)
	}
	var b [8]byte
	put := func(v uint64) {
		for i := range b {
			b[i] = byte(v >> (8 * i))
		}
		h.Write(b[:])
	}
	put(uint64(in.LastChangeAt.UnixNano()))
	put(uint64(in.AlertCounts.All))
	put(uint64(in.AlertCounts.Triggered))
	for _, a := range in.Assignees {
		h.WriteString(a.ID)
		h.WriteByte(0)
	}
	return h.Sum64()
}

// Digest is a hash of a list's incidents and what the list shows of each,
// in order: two lists with the same digest draw the same. It is for this
// process only (the hash is seeded per process).
func (o *Observer) Digest(incidents []pagerduty.Incident) uint64 {
	var h maphash.Hash
	h.SetSeed(o.seed)
	var b [8]byte
	for i := range incidents {
		in := &incidents[i]
		h.WriteString(in.ID)
		h.WriteByte(0)
		h.WriteString(in.Title)
		h.WriteByte(0)
		v := o.version(in)
		for k := range b {
			b[k] = byte(v >> (8 * k))
		}
		h.Write(b[:])
	}
	return h.Sum64()
}

func assignedTo(in *pagerduty.Incident, userID string) bool {
	if userID == "" {
		return false
	}
	for _, a := range in.Assignees {
		if a.ID == userID {
			return true
		}
	}
	return false
}

// errRefused marks a timeline error that retrying cannot fix: every entry
// not journaled was refused by the journal as invalid.
var errRefused = errors.New("refused by the journal")

// Timeline journals an incident's PagerDuty log entries; ones already
// journaled are skipped by their PagerDuty ID.
func (o *Observer) Timeline(incidentID string, les []pagerduty.LogEntry) error {
	if len(les) == 0 {
		return nil
	}
	entries := make([]journal.Entry, 0, len(les))
	for _, le := range les {
		if le.ID == "" {
			continue
		}
		entries = append(entries, LogEntry(incidentID, le))
	}
	done, err := o.append(entries)
	if err == nil {
		return nil
	}
	for _, d := range done {
		if !d {
			return fmt.Errorf("journal the timeline of %s: %w", incidentID, err)
		}
	}
	return fmt.Errorf("journal the timeline of %s: %w: %w", incidentID, errRefused, err)
}

// append journals entries in one batch. One entry the journal refuses
// (ErrInvalidEntry) must not cost the others, so such a batch is retried
// entry by entry, skipping only the refused ones.
//
// done reports, per entry, whether trying it again is pointless: it is in
// the journal (written or already there), or the journal refused it as
// invalid, which it will again. An entry that failed otherwise (a full
// disk, a closed journal) is not done and is worth retrying later.
func (o *Observer) append(entries []journal.Entry) (done []bool, err error) {
	done = make([]bool, len(entries))
	_, err = o.j.AppendBatch(entries)
	if err == nil || errors.Is(err, journal.ErrInvalidEntry) && len(entries) == 1 {
		for i := range done {
			done[i] = true
		}
		return done, err
	}
	if !errors.Is(err, journal.ErrInvalidEntry) {
		return done, err
	}
	var errs []error
	for i, e := range entries {
		_, err := o.j.AppendBatch([]journal.Entry{e})
		done[i] = err == nil || errors.Is(err, journal.ErrInvalidEntry)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return done, errors.Join(errs...)
}

// SourceIDOf is the journal key of a PagerDuty log entry; the post-mortem
// export uses it to merge the journal with PagerDuty's timeline.
func SourceIDOf(logEntryID string) string { return "pd:log:" + logEntryID }

// LogEntry is the journal entry for one PagerDuty log entry.
func LogEntry(incidentID string, le pagerduty.LogEntry) journal.Entry {
	data, _ := json.Marshal(map[string]string{"type": le.Type, "channel": le.Channel, "log_entry": le.ID, "agent_type": le.AgentType})
	summary := le.Summary
	if summary == "" {
		summary = strings.TrimSuffix(le.Type, "_log_entry")
	}
	return journal.Entry{
		At:       le.At,
		Incident: incidentID,
		Kind:     KindOf(le.Type),
		Actor:    le.Agent.Name,
		Summary:  summary,
		Data:     data,
		SourceID: SourceIDOf(le.ID),
	}
}

// KindOf maps a PagerDuty log entry type to a journal kind: status changes
// are status.<verb>, everything else pd.<verb>, cut to the journal's
// journal.MaxKind bytes so an odd type is still journaled.
func KindOf(logType string) string {
	verb := strings.TrimSuffix(logType, "_log_entry")
	switch verb {
	case "trigger", "acknowledge", "unacknowledge", "assign", "escalate", "snooze", "resolve", "reassign", "merge":
		return "status." + verb
	case "":
		return "pd.unknown"
	}
	var b strings.Builder
	for _, r := range verb {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.' {
			b.WriteRune(r)
		}
	}
	kind := "pd." + b.String()
	if len(kind) > journal.MaxKind {
		kind = kind[:journal.MaxKind] // ASCII only: any cut is a rune boundary
	}
	return kind
}

func seenEntry(in pagerduty.Incident, at time.Time) journal.Entry {
	data, _ := json.Marshal(in)
	return journal.Entry{
		At:       at,
		Incident: in.ID,
		Kind:     "seen",
		Actor:    journal.ActorSitrep,
		Summary:  fmt.Sprintf("first seen: #%d %s (%s, %s urgency, %s)", in.Number, in.Title, in.Status, in.Urgency, in.Service.Name),
		Data:     data,
		SourceID: "seen:" + in.ID,
	}
}

func listedEntry(fresh, listed, journaled int, at time.Time) journal.Entry {
	data, _ := json.Marshal(map[string]int{"new": fresh, "listed": listed, "journaled": journaled})
	return journal.Entry{
		At:      at,
		Kind:    KindListed,
		Actor:   journal.ActorSitrep,
		Summary: fmt.Sprintf("listed %d incidents not listed before; first sightings journaled for %d (yours or changed), the rest when opened or acted on", fresh, journaled),
		Data:    data,
	}
}
