package recorder

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"sitrep/actions"
	"sitrep/store/journal"
)

// RecordActionStep journals one step of an action run (kind
// "action.<step>"). It writes as sitrep, except for the two steps the
// engineer takes, the confirmation and the outcome they report, which it
// writes as engineer: the PagerDuty user the engine acts for. When that
// user is not known the entry says sitrep rather than guess.
//
// The record arrives redacted by the engine's Redactor, which knows the
// secrets the plan resolved as well as sitrep's own, so it is journaled
// as it is.
func (r *Recorder) RecordActionStep(rec actions.Record, engineer string) error {
	data, _ := json.Marshal(rec)
	summary := fmt.Sprintf("%s %s on %s (%s)", rec.Action, rec.Step, rec.Target, rec.Env)
	switch {
	case rec.Result != "":
		summary += ": " + rec.Result
	case rec.BlockedBy != "":
		summary += ": blocked by " + rec.BlockedBy
	case rec.Outcome != "":
		summary += ": " + rec.Outcome
	}
	actor := engineer
	if actor == "" || rec.Step != actions.StepConfirmed && rec.Step != actions.StepOutcome {
		actor = journal.ActorSitrep
	}
	seenErr := r.touched(rec.Incident)
	_, err := r.j.Append(journal.Entry{Incident: rec.Incident, Kind: "action." + rec.Step, Actor: actor, Summary: summary, Data: data})
	return errors.Join(err, seenErr)
}

// historyWindow is how many of the latest entries RunHistory reads: rate
// limits look back minutes or hours, and a long journal must not make
// every preview read all of it.
const historyWindow = 20_000

// RunHistory is when action started on service (the run's target) at or
// after since, oldest first, read from the latest journal entries. It is
// what rate limits count. On an error it returns what it read before it,
// with the error. It writes nothing.
func (r *Recorder) RunHistory(ctx context.Context, action, service string, since time.Time) ([]time.Time, error) {
	head, err := r.j.Head()
	if err != nil {
		return nil, fmt.Errorf("read the run history of %s on %s: %w", action, service, err)
	}
	from := uint64(1)
	if head.Seq > historyWindow {
		from = head.Seq - historyWindow
	}
	var out []time.Time
	err = r.j.Each(ctx, from, func(e journal.Entry) error {
		if e.Kind != "action."+actions.StepStarted || e.At.Before(since) {
			return nil
		}
		var rec actions.Record
		if json.Unmarshal(e.Data, &rec) == nil && rec.Action == action && rec.Target == service {
			out = append(out, e.At)
		}
		return nil
	})
	sort.Slice(out, func(a, b int) bool { return out[a].Before(out[b]) })
	if err != nil {
		return out, fmt.Errorf("read the run history of %s on %s: %w", action, service, err)
	}
	return out, nil
}

// RecordExport journals, as the engineer, that an incident's post-mortem
// draft was written to where (a path, or "stdout") with size bytes. A
// read-only journal records nothing.
func (r *Recorder) RecordExport(ctx context.Context, incidentID, where string, size int) error {
	if r.j.ReadOnly() {
		return nil
	}
	data, _ := json.Marshal(map[string]any{"path": where, "bytes": size})
	return r.Record(ctx, journal.Entry{Incident: incidentID, Kind: "export", Summary: "exported the post-mortem draft to " + where, Data: data})
}

// AnnouncementEntry is the entry for an action's announcement note queued
// for PagerDuty, written as sitrep. The outbox journals it through Record
// when it queues the note.
func AnnouncementEntry(incidentID, text string) journal.Entry {
	return journal.Entry{Incident: incidentID, Kind: "announcement", Actor: journal.ActorSitrep, Summary: text}
}

// PagerDutyRequestEntry is the entry for a pagerduty action's write
// (reassign, escalate, snooze, urgency, priority) queued for PagerDuty,
// written as sitrep. what says the write; the outbox journals it through
// Record when it queues the write.
func PagerDutyRequestEntry(incidentID, what string) journal.Entry {
	return journal.Entry{Incident: incidentID, Kind: "pagerduty.request", Actor: journal.ActorSitrep, Summary: what + " (queued for PagerDuty)"}
}
