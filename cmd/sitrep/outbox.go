package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"sitrep/sources/pagerduty"
	"sitrep/store/outbox"
	"sitrep/store/recorder"
)

// drainOnExit bounds how long sitrep waits on its way out for writes that
// are still going to PagerDuty; what is left is delivered by the next
// sitrep.
const drainOnExit = 5 * time.Second

// startOutbox opens the journal's outbox and delivers its writes in the
// background until the environment closes. A read-only sitrep writes
// nothing and starts none.
func (e *environment) startOutbox() {
	if e.journal.ReadOnly() || e.feed == nil {
		return
	}
	ob, err := outbox.Open(e.journal, e.feed, e.recorder.Record)
	if err != nil {
		// The readable writes still go out; the damaged one is named.
		fmt.Fprintln(os.Stderr, "sitrep:", err)
	}
	e.outbox = ob
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { ob.Run(ctx); close(done) }()
	e.closers = append(e.closers, func() {
		if n := ob.Pending(); n > 0 {
			fmt.Fprintf(os.Stderr, "sitrep: sending %d write(s) to PagerDuty (waiting up to %s)…\n", n, drainOnExit)
		}
		deadline := time.Now().Add(drainOnExit)
		for ob.Pending() > 0 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		cancel()
		<-done
		if n := ob.Pending(); n > 0 {
			fmt.Fprintf(os.Stderr, "sitrep: %d write(s) to PagerDuty not delivered yet; they are kept in %s and the next sitrep delivers them\n", n, e.journal.Path())
		}
	})
	if e.remediation != nil && e.remediation.engine != nil && e.remediation.engine.PagerDuty != nil {
		e.remediation.engine.PagerDuty = outboxWriter{Writer: pagerduty.Writer{Client: e.feed}, ob: ob}
	}
}

// outboxWriter sends an action's notes (its announcement, the pagerduty
// runner's note) through the outbox, so a PagerDuty outage delays them
// instead of losing them. The other writes are an action's own result and
// are shown as such.
type outboxWriter struct {
	pagerduty.Writer
	ob *outbox.Outbox
}

// AddNote queues the note; it is journaled at once and delivered when
// PagerDuty takes it.
func (w outboxWriter) AddNote(ctx context.Context, id, content string) error {
	_, err := w.ob.Submit(ctx, outbox.Write{Incident: id, Label: id, Op: outbox.OpNote, Text: content},
		recorder.AnnouncementEntry(id, content))
	return err
}

// Queues tells the pagerduty runner that its writes are queued, so its
// result says so rather than "done".
func (w outboxWriter) Queues() bool { return true }

func (w outboxWriter) queue(ctx context.Context, id string, op outbox.Op, args map[string]string, what string) error {
	_, err := w.ob.Submit(ctx, outbox.Write{Incident: id, Label: id, Op: op, Args: args},
		recorder.PagerDutyRequestEntry(id, what))
	return err
}

// Reassign queues the reassignment.
func (w outboxWriter) Reassign(ctx context.Context, id, userID string) error {
	return w.queue(ctx, id, outbox.OpReassign, map[string]string{"user_id": userID}, "reassign "+id+" to "+userID)
}

// Escalate queues the escalation.
func (w outboxWriter) Escalate(ctx context.Context, id string, level uint) error {
	l := strconv.FormatUint(uint64(level), 10)
	return w.queue(ctx, id, outbox.OpEscalate, map[string]string{"level": l}, "escalate "+id+" to level "+l)
}

// Snooze queues the snooze.
func (w outboxWriter) Snooze(ctx context.Context, id string, d time.Duration) error {
	return w.queue(ctx, id, outbox.OpSnooze, map[string]string{"seconds": strconv.Itoa(int(d.Seconds()))}, "snooze "+id+" for "+d.String())
}

// SetUrgency queues the urgency change.
func (w outboxWriter) SetUrgency(ctx context.Context, id, urgency string) error {
	return w.queue(ctx, id, outbox.OpUrgency, map[string]string{"urgency": urgency}, "set the urgency of "+id+" to "+urgency)
}

// SetPriority queues the priority change.
func (w outboxWriter) SetPriority(ctx context.Context, id, priorityID string) error {
	return w.queue(ctx, id, outbox.OpPriority, map[string]string{"priority_id": priorityID}, "set the priority of "+id+" to "+priorityID)
}
