// Package observe turns what sitrep sees of PagerDuty into journal entries,
// each event once: an incident's first sighting, and its PagerDuty log
// entries (trigger, acknowledge, reassign, escalate, snooze, resolve) with
// PagerDuty's actor and time. Restarts and refreshes add no duplicates: log
// entries are keyed by their PagerDuty ID.
package observe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"sitrep/sources/pagerduty"
	"sitrep/store/journal"
)

// LogReader reads an incident's PagerDuty timeline.
type LogReader interface {
	LogEntries(ctx context.Context, incidentID string) ([]pagerduty.LogEntry, error)
}

// Appender writes journal entries.
type Appender interface {
	AppendBatch([]journal.Entry) ([]journal.Appended, error)
}

// maxFetchPerRefresh bounds the timeline requests one refresh may cause;
// incidents beyond it are fetched on the next refresh.
const maxFetchPerRefresh = 10

// Observer remembers, for this process, the last state of each incident it
// has journaled.
type Observer struct {
	log LogReader
	j   Appender

	mu      sync.Mutex
	known   map[string]string // incident ID -> state last journaled
	pending map[string]bool   // changed, timeline not fetched yet
}

// New returns an Observer.
func New(log LogReader, j Appender) *Observer {
	return &Observer{log: log, j: j, known: map[string]string{}, pending: map[string]bool{}}
}

// Incidents journals a refresh: incidents seen for the first time, and the
// timelines of incidents whose status changed since the last refresh. The
// first refresh of a process fetches no timeline: it has nothing to compare
// with, and the detail view and the export read timelines anyway.
func (o *Observer) Incidents(ctx context.Context, incidents []pagerduty.Incident, now time.Time) error {
	o.mu.Lock()
	var entries []journal.Entry
	var firstSeen []string // parallel to entries: their incidents' states
	var fetch []string
	for _, in := range incidents {
		last, seen := o.known[in.ID]
		st := in.Version()
		if !seen {
			// Known only once journaled (below): a failed append is
			// retried on the next refresh.
			entries = append(entries, seenEntry(in, now))
			firstSeen = append(firstSeen, st)
			continue
		}
		if st != last {
			o.pending[in.ID] = true
			o.known[in.ID] = st
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

	var errs []error
	if len(entries) > 0 {
		done, err := o.append(entries)
		if err != nil {
			errs = append(errs, err)
		}
		o.mu.Lock()
		for i, e := range entries {
			if _, seen := o.known[e.Incident]; done[i] && !seen {
				o.known[e.Incident] = firstSeen[i]
			}
		}
		o.mu.Unlock()
	}
	for _, id := range fetch {
		les, err := o.log.LogEntries(ctx, id)
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

func seenEntry(in pagerduty.Incident, now time.Time) journal.Entry {
	data, _ := json.Marshal(in)
	return journal.Entry{
		At:       now,
		Incident: in.ID,
		Kind:     "seen",
		Actor:    journal.ActorSitrep,
		Summary:  fmt.Sprintf("first seen: #%d %s (%s, %s urgency, %s)", in.Number, in.Title, in.Status, in.Urgency, in.Service.Name),
		Data:     data,
		SourceID: "seen:" + in.ID,
	}
}
