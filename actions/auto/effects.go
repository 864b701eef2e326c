package auto

import (
	"context"
	"errors"
	"fmt"
	"time"

	"sitrep/actions"
	"sitrep/sources/pagerduty"
)

// NoteReader reads an incident's notes (pagerduty.Client).
type NoteReader interface {
	Notes(ctx context.Context, id string) ([]pagerduty.Note, error)
}

// Event kinds, as journaled (kind "auto.<what>").
const (
	EventArmed     = "auto.armed"
	EventDisarmed  = "auto.disarmed"
	EventAnnounced = "auto.announced"
	EventVetoed    = "auto.vetoed"
	EventCancelled = "auto.cancelled"
	EventSkipped   = "auto.skipped"
	EventRan       = "auto.ran"
	EventFailed    = "auto.failed"
	EventBlocked   = "auto.blocked"
)

// Event is one thing the automation did, for the journal and the log.
type Event struct {
	Kind      string
	At        time.Time
	Countdown Countdown
	// Text is the line for people (the announcement, the ending).
	Text string
	// Errors are announcements that could not be delivered.
	Errors []string
}

// EndEvent is the event for a countdown's end.
func EndEvent(c Countdown) Event {
	kind := map[State]string{Ran: EventRan, Failed: EventFailed, Blocked: EventBlocked, Vetoed: EventVetoed, Cancelled: EventCancelled}[c.State]
	text := c.Ending()
	switch c.State {
	case Ran:
		text = fmt.Sprintf("%s ran %s on %s: %s", Actor(c.ArmedBy), c.Action, c.Incident.Service, c.Result)
	case Failed, Blocked:
		text = fmt.Sprintf("%s did not run %s on %s: %s", Actor(c.ArmedBy), c.Action, c.Incident.Service, c.Result)
	}
	return Event{Kind: kind, At: c.EndedAt, Countdown: c, Text: text}
}

// Effects does what Machine decides, against the outside world: notes
// through the engine's PagerDuty writer (the outbox, in sitrep), the
// action's Slack webhook, and runs through the engine's usual guards.
type Effects struct {
	Engine *actions.Engine
	Notes  NoteReader
	// RecordStep journals one step of an automatic run as actor (see
	// recorder.RecordActionStep); nil uses the engine's Record.
	RecordStep func(r actions.Record, actor string)
	// Timeout bounds each call to PagerDuty or Slack; zero means 15 s.
	Timeout time.Duration
}

func (e *Effects) timeout() time.Duration {
	if e.Timeout > 0 {
		return e.Timeout
	}
	return 15 * time.Second
}

func (e *Effects) action(name string) (*actions.Action, error) {
	if e.Engine == nil || e.Engine.Catalogue == nil {
		return nil, errors.New("no action catalogue")
	}
	a, ok := e.Engine.Catalogue.Lookup(name)
	if !ok {
		return nil, fmt.Errorf("unknown action %s", name)
	}
	return a, nil
}

// Announce posts c's announcement: the PagerDuty note, which must go out
// for the countdown to count, and Slack when the action names a webhook,
// whose failure is only reported.
func (e *Effects) Announce(ctx context.Context, c Countdown) (Event, error) {
	return e.post(ctx, c, EventAnnounced, c.Announcement())
}

// AnnounceEnd posts why a countdown did not run (vetoed, cancelled).
func (e *Effects) AnnounceEnd(ctx context.Context, c Countdown) Event {
	ev := EndEvent(c)
	got, err := e.post(ctx, c, ev.Kind, ev.Text)
	if err != nil {
		got.Errors = append([]string{"PagerDuty note: " + err.Error()}, got.Errors...)
	}
	return got
}

func (e *Effects) post(ctx context.Context, c Countdown, kind, text string) (Event, error) {
	ev := Event{Kind: kind, At: c.AnnouncedAt, Countdown: c, Text: text}
	if kind != EventAnnounced {
		ev.At = c.EndedAt
	}
	a, err := e.action(c.Action)
	if err != nil {
		return ev, err
	}
	ctx, cancel := context.WithTimeout(ctx, e.timeout())
	defer cancel()
	others, noteErr := e.Engine.AnnounceFor(ctx, a, c.Incident.ID, text)
	for _, o := range others {
		ev.Errors = append(ev.Errors, o.Error())
	}
	return ev, noteErr
}

// FindVeto reads the incident's notes for a veto written since c began.
// The note's PagerDuty author is who vetoed.
func (e *Effects) FindVeto(ctx context.Context, c Countdown) (Note, bool, error) {
	if e.Notes == nil {
		return Note{}, false, errors.New("no PagerDuty access to read the incident's notes")
	}
	ctx, cancel := context.WithTimeout(ctx, e.timeout())
	defer cancel()
	pn, err := e.Notes.Notes(ctx, c.Incident.ID)
	if err != nil {
		return Note{}, false, fmt.Errorf("read the notes of %s for a veto: %w", c.Incident.ID, err)
	}
	notes := make([]Note, 0, len(pn))
	for _, n := range pn {
		notes = append(notes, Note{Content: n.Content, Author: n.User.Name, At: n.At})
	}
	n, ok := VetoIn(notes, c, vetoSkew)
	return n, ok, nil
}

// vetoSkew allows for PagerDuty's clock and ours a little apart.
const vetoSkew = 5 * time.Second

// PostVeto writes a veto note on an incident, as the engine's user: how a
// sitrep that is not the armed one vetoes its countdown.
func (e *Effects) PostVeto(ctx context.Context, incidentID, by string) error {
	if e.Engine == nil || e.Engine.PagerDuty == nil {
		return errors.New("no PagerDuty access to post the veto")
	}
	ctx, cancel := context.WithTimeout(ctx, e.timeout())
	defer cancel()
	return e.Engine.PagerDuty.AddNote(ctx, incidentID, "veto — "+orWord(by, "a responder")+" in sitrep")
}

// Run prepares and runs c's action through every guard, as
// Actor(c.ArmedBy): the preview and the dry run, when there is one, are
// rendered and journaled as for any run, and the confirmation is sitrep's
// own, since the countdown was the team's chance to say no. It returns
// how the run ended and its result in words.
func (e *Effects) Run(ctx context.Context, c Countdown, out func(actions.Chunk)) (State, string) {
	if e.Engine == nil {
		return Failed, "no actions engine"
	}
	if out == nil {
		out = func(actions.Chunk) {}
	}
	eng := *e.Engine
	eng.User = Actor(c.ArmedBy)
	if e.RecordStep != nil {
		eng.Record = func(r actions.Record) { e.RecordStep(r, eng.User) }
	}
	in := c.Incident
	t := actions.Target{IncidentID: in.ID, IncidentNumber: in.Number, Title: in.Title, Status: in.Status, Service: in.Service, Env: in.Env}
	p, err := eng.Prepare(ctx, c.Action, nil, t)
	if err != nil {
		return endOf(err), err.Error()
	}
	if p.Runner().HasDryRun() {
		if res := p.DryRun(ctx, out); !res.OK {
			// The guards judge whether a failed dry run blocks the run.
			out(actions.Chunk{Stream: "sitrep", Text: "dry run: " + res.Text + "\n"})
		}
	}
	if v := p.Evaluate(); v.AwaitsOnlyApproval() {
		// An automatic run that needs a second person's approval waits
		// for it like any other run; sitrep does not request it by itself.
		return Blocked, "it needs a second person's approval: request it from the preview (!)"
	}
	if err := p.Confirm(p.Target.Service); err != nil {
		return endOf(err), err.Error()
	}
	res, err := p.Run(ctx, out)
	if err != nil {
		return endOf(err), err.Error()
	}
	if !res.OK {
		return Ran, res.Text + " (the action failed)"
	}
	return Ran, res.Text
}

func endOf(err error) State {
	var b *actions.BlockedError
	if errors.As(err, &b) {
		return Blocked
	}
	return Failed
}
