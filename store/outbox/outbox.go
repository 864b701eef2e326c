// Package outbox delivers the engineer's writes to PagerDuty (notes,
// acknowledgements, resolutions, action announcements) so that none is
// lost while PagerDuty fails.
//
// A write is journaled first, as what the engineer did, and kept in the
// journal file's outbox bucket until PagerDuty has it. A worker delivers
// it, retrying with backoff through 5xx answers, refused connections,
// deadlines and rate limits, across restarts. Delivery is exactly once: a
// write whose outcome is unknown (the answer did not come before the
// deadline, or PagerDuty failed after receiving it) is marked unconfirmed,
// and before it is sent again the worker asks PagerDuty whether it already
// has it (the note among the incident's notes, the incident's status).
// A write PagerDuty will never take (a 4xx other than 401, 408 and 429, or
// an acknowledgement of a resolved incident) is given up once, and the
// journal says why. Every settlement is journaled, so the export can show
// each write once with where it got to.
package outbox

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"sitrep/sources/pagerduty"
	"sitrep/store/journal"
)

// Op is what a write asks PagerDuty to do.
type Op string

// The writes the outbox delivers.
const (
	OpNote        Op = "note"
	OpAcknowledge Op = "acknowledge"
	OpResolve     Op = "resolve"
	// The pagerduty runner's writes that set a state, so that sending one
	// again changes nothing more. (Merges, responder requests and status
	// updates are not repeatable and are sent directly, their failure the
	// action's result.)
	OpReassign Op = "reassign"    // Args: user_id
	OpEscalate Op = "escalate"    // Args: level
	OpSnooze   Op = "snooze"      // Args: seconds
	OpUrgency  Op = "set_urgency" // Args: urgency
	OpPriority Op = "set_priority"
	// OpBulk is PagerDuty's bulk update of Write.Incidents (at most
	// pagerduty.MaxBulk) in one request. Args: change (acknowledge,
	// resolve or reassign), user_id for a reassignment, run (the bulk run
	// it belongs to). It sets a state, so sending it again is harmless.
	OpBulk Op = "bulk"
)

// Journal kinds of a settlement.
const (
	KindDelivered = "outbox.delivered"
	KindFailed    = "outbox.failed"
)

// DataKey is the field of a journal entry's data that names the outbox
// item delivering it.
const DataKey = "outbox"

// Write is what the engineer asked for.
type Write struct {
	Incident string `json:"incident"` // PagerDuty's incident ID
	Label    string `json:"label"`    // how people name it: "#9"
	Op       Op     `json:"op"`
	Text     string `json:"text,omitempty"` // a note's content
	// Args are the operation's arguments (see the Op constants).
	Args map[string]string `json:"args,omitempty"`
	// Incidents are a bulk write's incidents; Incident is the first.
	Incidents []string `json:"incidents,omitempty"`
}

// What says the write in a few words: "note on #9".
func (w Write) What() string {
	switch w.Op {
	case OpNote:
		return "note on " + w.Label
	case OpAcknowledge:
		return "acknowledgement of " + w.Label
	case OpResolve:
		return "resolution of " + w.Label
	case OpBulk:
		return fmt.Sprintf("bulk %s of %d incidents", w.Args["change"], len(w.Incidents))
	}
	return strings.ReplaceAll(string(w.Op), "_", " ") + " of " + w.Label
}

// Item is a write waiting for delivery.
type Item struct {
	ID string `json:"id"`
	Write
	Created  time.Time `json:"created"`
	Attempts int       `json:"attempts"`
	NextTry  time.Time `json:"next_try"`
	// Unconfirmed says the last attempt's outcome is unknown: PagerDuty
	// may have it. It is checked before the write is sent again.
	Unconfirmed bool   `json:"unconfirmed,omitempty"`
	LastErr     string `json:"last_err,omitempty"`
}

// Settled is a write that left the outbox.
type Settled struct {
	Item      Item
	Delivered bool
	Ref       string // PagerDuty's note ID, when it is a note
	Reason    string // why it was given up
	// Refused are the incidents of a delivered bulk write that PagerDuty
	// refused, with its reason.
	Refused map[string]string
}

// Snapshot is the outbox as the cockpit shows it: what waits, and what
// settled since the last snapshot it received.
type Snapshot struct {
	Pending []Item
	Settled []Settled
}

// PagerDuty is what the outbox writes and reads.
type PagerDuty interface {
	Acknowledge(ctx context.Context, id string) error
	Resolve(ctx context.Context, id string) error
	AddNote(ctx context.Context, id, content string) (pagerduty.Note, error)
	Notes(ctx context.Context, id string) ([]pagerduty.Note, error)
	Incident(ctx context.Context, id string) (pagerduty.Incident, error)
	Reassign(ctx context.Context, id, userID string) error
	Escalate(ctx context.Context, id string, level uint) error
	Snooze(ctx context.Context, id string, d time.Duration) error
	SetUrgency(ctx context.Context, id, urgency string) error
	SetPriority(ctx context.Context, id, priorityID string) error
}

// BulkPagerDuty is PagerDuty's bulk update, for OpBulk writes.
type BulkPagerDuty interface {
	Bulk(ctx context.Context, change pagerduty.BulkChange, ids []string) (pagerduty.BulkResult, error)
}

// Recorder journals an entry as the engineer (it fills in the actor).
type Recorder func(ctx context.Context, e journal.Entry) error

// Outbox holds and delivers the writes of one sitrep process.
type Outbox struct {
	j      *journal.Journal
	pd     PagerDuty
	record Recorder
	now    func() time.Time

	// AttemptTimeout bounds one delivery attempt; MinBackoff and
	// MaxBackoff bound the wait between attempts.
	AttemptTimeout time.Duration
	MinBackoff     time.Duration
	MaxBackoff     time.Duration

	mu      sync.Mutex
	items   map[string]*Item
	settled []Settled // not yet handed to Changes
	wake    chan struct{}
	changes chan Snapshot
	// claimed are the notes reconciliation has matched to a write, so two
	// writes with the same text are not both matched to one note.
	claimed map[string]bool
}

// Open loads the writes an earlier sitrep left undelivered in j.
func Open(j *journal.Journal, pd PagerDuty, record Recorder) (*Outbox, error) {
	o := &Outbox{
		j: j, pd: pd, record: record, now: time.Now,
		AttemptTimeout: 10 * time.Second,
		MinBackoff:     2 * time.Second,
		MaxBackoff:     2 * time.Minute,
		items:          map[string]*Item{},
		wake:           make(chan struct{}, 1),
		changes:        make(chan Snapshot, 1),
		claimed:        map[string]bool{},
	}
	err := j.EachOutbox(func(key string, v []byte) error {
		var it Item
		if err := json.Unmarshal(v, &it); err != nil || it.ID == "" {
			return fmt.Errorf("outbox entry %q in %s is damaged (%v); sitrep cannot deliver it", key, j.Path(), err)
		}
		// Whatever the last sitrep was doing when it stopped, it may have
		// reached PagerDuty: check before sending again.
		if it.Attempts > 0 {
			it.Unconfirmed = true
		}
		it.NextTry = time.Time{}
		o.items[it.ID] = &it
		return nil
	})
	if len(o.items) > 0 {
		o.publish()
	}
	return o, err
}

// Changes delivers a snapshot whenever the outbox changes. Snapshots not
// yet received are merged, so no settlement is missed.
func (o *Outbox) Changes() <-chan Snapshot { return o.changes }

// Pending is the number of writes waiting.
func (o *Outbox) Pending() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.items)
}

// Submit journals e (what the engineer did, with the outbox item's ID in
// its data) and queues the write for PagerDuty. A journal failure is
// returned, but the write is queued all the same: it must reach the team.
func (o *Outbox) Submit(ctx context.Context, w Write, e journal.Entry) (Item, error) {
	it := Item{ID: newID(), Write: w, Created: o.now()}
	data := map[string]any{}
	if len(e.Data) > 0 {
		_ = json.Unmarshal(e.Data, &data)
	}
	data[DataKey] = it.ID
	e.Data, _ = json.Marshal(data)
	if e.Incident == "" {
		e.Incident = w.Incident
	}
	var errs []error
	if o.record != nil {
		if err := o.record(ctx, e); err != nil {
			errs = append(errs, fmt.Errorf("journal the %s: %w", w.What(), err))
		}
	}
	if err := o.save(&it); err != nil {
		errs = append(errs, fmt.Errorf("keep the %s for delivery after a restart: %w (it is delivered while this sitrep runs)", w.What(), err))
	}
	// The worker changes the queued copy; the caller gets its own.
	queued := it
	o.mu.Lock()
	o.items[it.ID] = &queued
	o.mu.Unlock()
	o.publish()
	o.poke()
	return it, errors.Join(errs...)
}

// SubmitBulk journals entries (one per incident of a bulk write, each
// with the outbox item's ID in its data) and queues w, like Submit.
func (o *Outbox) SubmitBulk(ctx context.Context, w Write, entries []journal.Entry) (Item, error) {
	if len(w.Incidents) > 0 && w.Incident == "" {
		w.Incident = w.Incidents[0]
	}
	it := Item{ID: newID(), Write: w, Created: o.now()}
	var errs []error
	if o.record != nil {
		for _, e := range entries {
			data := map[string]any{}
			if len(e.Data) > 0 {
				_ = json.Unmarshal(e.Data, &data)
			}
			data[DataKey] = it.ID
			e.Data, _ = json.Marshal(data)
			if err := o.record(ctx, e); err != nil {
				errs = append(errs, fmt.Errorf("journal the %s for %s: %w", w.What(), e.Incident, err))
			}
		}
	}
	if err := o.save(&it); err != nil {
		errs = append(errs, fmt.Errorf("keep the %s for delivery after a restart: %w (it is delivered while this sitrep runs)", w.What(), err))
	}
	// The worker changes the queued copy; the caller gets its own.
	queued := it
	o.mu.Lock()
	o.items[it.ID] = &queued
	o.mu.Unlock()
	o.publish()
	o.poke()
	return it, errors.Join(errs...)
}

// Run delivers writes until ctx ends.
func (o *Outbox) Run(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		it, wait := o.next()
		if it != nil && wait <= 0 {
			o.attempt(ctx, it)
			continue
		}
		if wait <= 0 {
			wait = time.Hour
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-o.wake:
		case <-timer.C:
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

// next is the write due first, and how long until it is due.
func (o *Outbox) next() (*Item, time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var first *Item
	for _, it := range o.items {
		if first == nil || it.NextTry.Before(first.NextTry) || it.NextTry.Equal(first.NextTry) && it.Created.Before(first.Created) {
			first = it
		}
	}
	if first == nil {
		return nil, 0
	}
	cp := *first
	return &cp, first.NextTry.Sub(o.now())
}

func (o *Outbox) attempt(ctx context.Context, it *Item) {
	actx, cancel := context.WithTimeout(ctx, o.AttemptTimeout)
	defer cancel()
	if it.Unconfirmed {
		done, ref, reason, err := o.reconcile(actx, it)
		switch {
		case err != nil:
			o.retry(it, err, true)
			return
		case done:
			o.settle(Settled{Item: *it, Delivered: reason == "", Ref: ref, Reason: reason})
			return
		}
	}
	var (
		ref     string
		refused map[string]string
		err     error
	)
	if it.Op == OpBulk {
		refused, err = o.deliverBulk(actx, it)
	} else {
		ref, err = o.deliver(actx, it)
	}
	switch {
	case err == nil:
		o.settle(Settled{Item: *it, Delivered: true, Ref: ref, Refused: refused})
	case ctx.Err() != nil:
		// sitrep is stopping: the write stays for the next start, which
		// checks whether this attempt reached PagerDuty.
		o.retry(it, err, true)
	case pagerduty.Permanent(err), errors.As(err, new(permanentError)):
		o.settle(Settled{Item: *it, Reason: err.Error()})
	case errors.As(err, new(*pagerduty.RateLimitError)):
		// A rate-limited request was not processed: wait for the window,
		// not a backoff that would ask again inside it.
		var rl *pagerduty.RateLimitError
		errors.As(err, &rl)
		o.retryAfter(it, err, rl.RetryIn)
	default:
		// No answer in time, a dropped connection or a 5xx: PagerDuty may
		// have done it. A 429 was not processed, so it is not in doubt.
		o.retry(it, err, pagerduty.StatusOf(err) != 429)
	}
}

func (o *Outbox) deliver(ctx context.Context, it *Item) (string, error) {
	switch it.Op {
	case OpNote:
		n, err := o.pd.AddNote(ctx, it.Incident, it.Text)
		return n.ID, err
	case OpAcknowledge:
		return "", o.pd.Acknowledge(ctx, it.Incident)
	case OpResolve:
		return "", o.pd.Resolve(ctx, it.Incident)
	case OpReassign:
		return "", o.pd.Reassign(ctx, it.Incident, it.Args["user_id"])
	case OpEscalate:
		level, err := strconv.ParseUint(it.Args["level"], 10, 32)
		if err != nil {
			return "", fmt.Errorf("escalate %s: level %q is not a number", it.Incident, it.Args["level"])
		}
		return "", o.pd.Escalate(ctx, it.Incident, uint(level))
	case OpSnooze:
		secs, err := strconv.Atoi(it.Args["seconds"])
		if err != nil {
			return "", fmt.Errorf("snooze %s: %q is not a number of seconds", it.Incident, it.Args["seconds"])
		}
		return "", o.pd.Snooze(ctx, it.Incident, time.Duration(secs)*time.Second)
	case OpUrgency:
		return "", o.pd.SetUrgency(ctx, it.Incident, it.Args["urgency"])
	case OpPriority:
		return "", o.pd.SetPriority(ctx, it.Incident, it.Args["priority_id"])
	}
	return "", permanentError{fmt.Errorf("this sitrep does not know the write %q; a newer sitrep queued it", it.Op)}
}

// deliverBulk sends a bulk write: what PagerDuty refused by name comes
// back as refused, the rest was done.
func (o *Outbox) deliverBulk(ctx context.Context, it *Item) (map[string]string, error) {
	b, ok := o.pd.(BulkPagerDuty)
	if !ok {
		return nil, permanentError{fmt.Errorf("this sitrep's PagerDuty client has no bulk update for the %s", it.What())}
	}
	var change pagerduty.BulkChange
	switch it.Args["change"] {
	case "acknowledge":
		change.Status = pagerduty.StatusAcknowledged
	case "resolve":
		change.Status = pagerduty.StatusResolved
	case "reassign":
		change.AssigneeID = it.Args["user_id"]
	default:
		return nil, permanentError{fmt.Errorf("bulk write %s: unknown change %q", it.ID, it.Args["change"])}
	}
	res, err := b.Bulk(ctx, change, it.Incidents)
	if err != nil {
		return nil, err
	}
	if len(res.Refused) == 0 {
		return nil, nil
	}
	return res.Refused, nil
}

// reconcile asks PagerDuty whether an unconfirmed write already took
// effect. done says the write needs no further attempt: delivered (reason
// empty) or impossible (reason says why).
func (o *Outbox) reconcile(ctx context.Context, it *Item) (done bool, ref, reason string, err error) {
	switch it.Op {
	case OpNote:
		notes, err := o.pd.Notes(ctx, it.Incident)
		if err != nil {
			return false, "", "", err
		}
		o.mu.Lock()
		defer o.mu.Unlock()
		want := strings.TrimSpace(it.Text)
		for _, n := range notes {
			// PagerDuty's clock and ours may differ a little.
			if strings.TrimSpace(n.Content) == want && !n.At.Before(it.Created.Add(-5*time.Minute)) && !o.claimed[n.ID] {
				o.claimed[n.ID] = true
				return true, n.ID, "", nil
			}
		}
		return false, "", "", nil
	case OpAcknowledge, OpResolve:
		in, err := o.pd.Incident(ctx, it.Incident)
		if err != nil {
			return false, "", "", err
		}
		switch {
		case in.Status == pagerduty.StatusResolved && it.Op == OpAcknowledge:
			return true, "", "the incident was resolved before the acknowledgement reached PagerDuty", nil
		case in.Status == pagerduty.StatusResolved,
			in.Status == pagerduty.StatusAcknowledged && it.Op == OpAcknowledge:
			return true, "", "", nil
		}
	case OpReassign, OpUrgency:
		in, err := o.pd.Incident(ctx, it.Incident)
		if err != nil {
			return false, "", "", err
		}
		if it.Op == OpUrgency && in.Urgency == it.Args["urgency"] {
			return true, "", "", nil
		}
		for _, a := range in.Assignees {
			if it.Op == OpReassign && a.ID == it.Args["user_id"] {
				return true, "", "", nil
			}
		}
	}
	// The others set a state: sending them again is harmless.
	return false, "", "", nil
}

// retry schedules the next attempt with jittered exponential backoff.
func (o *Outbox) retry(it *Item, err error, unconfirmed bool) {
	o.reschedule(it, err, unconfirmed, func(attempts int) time.Duration {
		d := o.MinBackoff << min(attempts-1, 16)
		if d > o.MaxBackoff || d <= 0 {
			d = o.MaxBackoff
		}
		return d/2 + rand.N(d/2+1)
	})
}

// retryAfter schedules the next attempt once a rate limit's window resets.
func (o *Outbox) retryAfter(it *Item, err error, reset time.Duration) {
	o.reschedule(it, err, false, func(int) time.Duration {
		return max(reset, o.MinBackoff) + rand.N(o.MinBackoff/2+1)
	})
}

func (o *Outbox) reschedule(it *Item, err error, unconfirmed bool, wait func(attempts int) time.Duration) {
	o.mu.Lock()
	cur, ok := o.items[it.ID]
	if !ok {
		o.mu.Unlock()
		return
	}
	cur.Attempts++
	cur.Unconfirmed = cur.Unconfirmed || unconfirmed
	cur.LastErr = err.Error()
	cur.NextTry = o.now().Add(wait(cur.Attempts))
	saved := *cur
	o.mu.Unlock()
	_ = o.save(&saved) // the copy in memory still delivers it
	o.publish()
}

// settle takes a write out of the outbox and journals where it got to.
func (o *Outbox) settle(s Settled) {
	o.mu.Lock()
	if cur, ok := o.items[s.Item.ID]; ok {
		s.Item.Attempts = cur.Attempts
	}
	s.Item.Attempts++
	delete(o.items, s.Item.ID)
	o.settled = append(o.settled, s)
	o.mu.Unlock()

	kind, summary := KindDelivered, s.Item.What()+" delivered to PagerDuty"
	if !s.Delivered {
		kind, summary = KindFailed, s.Item.What()+" could not be delivered to PagerDuty: "+s.Reason
	}
	if s.Item.Attempts > 1 {
		summary += fmt.Sprintf(" (after %d attempts)", s.Item.Attempts)
	}
	if s.Item.Op == OpBulk {
		o.settleBulk(s)
		return
	}
	data, _ := json.Marshal(map[string]any{DataKey: s.Item.ID, "op": s.Item.Op, "ref": s.Ref, "reason": s.Reason, "attempts": s.Item.Attempts})
	// A disk that refuses these writes is shown by the journal's backlog
	// in the header. Should the delete be lost, the next start finds the
	// item again, marks it unconfirmed and settles it from what PagerDuty
	// shows (the journal's SourceID keeps the settlement single); the
	// writes without a check are the ones that are safe to send again.
	_, _ = o.j.Append(journal.Entry{
		Incident: s.Item.Incident, Kind: kind, Actor: journal.ActorSitrep, Summary: summary, Data: data,
		SourceID: "outbox:" + s.Item.ID,
	})
	_ = o.j.DeleteOutbox(s.Item.ID)
	o.publish()
}

// settleBulk journals where each incident of a bulk write got to, under
// that incident, so each incident's journal shows its own settlement.
func (o *Outbox) settleBulk(s Settled) {
	for _, id := range s.Item.Incidents {
		kind, reason := KindDelivered, s.Reason
		summary := s.Item.What() + " delivered to PagerDuty"
		switch {
		case !s.Delivered:
			kind = KindFailed
		case s.Refused[id] != "":
			kind, reason = KindFailed, s.Refused[id]
		}
		if kind == KindFailed {
			summary = s.Item.What() + " could not be delivered to PagerDuty: " + reason
		}
		if s.Item.Attempts > 1 {
			summary += fmt.Sprintf(" (after %d attempts)", s.Item.Attempts)
		}
		data, _ := json.Marshal(map[string]any{DataKey: s.Item.ID, "op": s.Item.Op, "reason": reason, "attempts": s.Item.Attempts, "run": s.Item.Args["run"]})
		_, _ = o.j.Append(journal.Entry{
			Incident: id, Kind: kind, Actor: journal.ActorSitrep, Summary: summary, Data: data,
			SourceID: "outbox:" + s.Item.ID + ":" + id,
		})
	}
	_ = o.j.DeleteOutbox(s.Item.ID)
	o.publish()
}

func (o *Outbox) save(it *Item) error {
	b, err := json.Marshal(it)
	if err != nil {
		return err
	}
	return o.j.PutOutbox(it.ID, b)
}

// publish hands the cockpit a fresh snapshot, merged with one it has not
// received yet.
func (o *Outbox) publish() {
	o.mu.Lock()
	defer o.mu.Unlock()
	snap := Snapshot{Pending: make([]Item, 0, len(o.items)), Settled: o.settled}
	o.settled = nil
	for _, it := range o.items {
		snap.Pending = append(snap.Pending, *it)
	}
	sort.Slice(snap.Pending, func(a, b int) bool { return snap.Pending[a].Created.Before(snap.Pending[b].Created) })
	select {
	case old := <-o.changes:
		snap.Settled = append(old.Settled, snap.Settled...)
	default:
	}
	o.changes <- snap // the buffer is empty: publishers hold o.mu
}

func (o *Outbox) poke() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// ItemOf is the outbox item that delivers a journal entry's write, or ""
// when the entry was not sent through the outbox.
func ItemOf(e journal.Entry) string {
	if !strings.Contains(string(e.Data), `"`+DataKey+`"`) {
		return ""
	}
	var d map[string]any
	if json.Unmarshal(e.Data, &d) != nil {
		return ""
	}
	id, _ := d[DataKey].(string)
	return id
}

// permanentError is a write no attempt can deliver.
type permanentError struct{ error }

func (e permanentError) Unwrap() error { return e.error }

func newID() string {
	var b [8]byte
	_, _ = crand.Read(b[:])
	return "ob-" + hex.EncodeToString(b[:])
}
