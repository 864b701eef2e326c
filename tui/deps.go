package tui

import (
	"context"
	"time"

	"sitrep/actions"
	"sitrep/actions/auto"
	"sitrep/actions/triage"
	"sitrep/sources/enrich"
	"sitrep/sources/logs"
	"sitrep/sources/pagerduty"
	"sitrep/store/journal"
	"sitrep/store/outbox"
	"sitrep/store/stats"
)

// These interfaces are everything the cockpit needs from outside it.
// cmd/sitrep builds the concrete values (the PagerDuty client, the
// enrichment sources, the journal's recorder, the outbox, the action
// engine) and hands them to New; tests hand in the same real parts
// pointed at the emulator and temporary stores. Nil Enricher, Recorder,
// Outbox or Actions turns that part of the cockpit off.

// Feed is what the cockpit needs from PagerDuty. cmd/sitrep hands in the
// real client; tests hand in the same client pointed at the emulator.
type Feed interface {
	Incidents(ctx context.Context, scope pagerduty.Scope) ([]pagerduty.Incident, error)
	// DetailWith fetches the parts of an incident's detail a look needs;
	// the list's copy of the incident stands for it while young.
	DetailWith(ctx context.Context, id string, opts pagerduty.DetailOptions) (pagerduty.Detail, error)
	Acknowledge(ctx context.Context, id string) error
	Resolve(ctx context.Context, id string) error
	AddNote(ctx context.Context, id, content string) (pagerduty.Note, error)
}

// EscalationPolicies reads escalation policies with their rules, for the
// countdown to an incident's next escalation. cmd/sitrep hands in
// pagerduty.Policies, which keeps each policy a while; nil shows no
// countdown.
type EscalationPolicies interface {
	// Get returns policy id with its rules; fresh asks past any cache.
	Get(ctx context.Context, id string, fresh bool) (pagerduty.EscalationPolicy, error)
}

// OnCall reads who is on call for the policies of the engineer's teams
// and the engineer's own next shifts (the on-call screen, oncall.go), and
// who the engineer is (the ring, ring.go). cmd/sitrep hands in the
// PagerDuty client; nil turns both off.
type OnCall interface {
	Me(ctx context.Context) (pagerduty.User, error)
	OnCallReport(ctx context.Context, now time.Time, ahead time.Duration) (pagerduty.OnCallReport, error)
}

// Enricher gathers what the enrichment panes show for an incident: its
// service's metrics, recent logs and changes. cmd/sitrep builds it from the
// config; nil means no enrichment configured.
type Enricher interface {
	// Fetch starts every source of the incident's service concurrently;
	// each result arrives on the channel when ready (SourceID "metrics",
	// "logs" or "deploys"), and the channel closes after the last.
	Fetch(ctx context.Context, in pagerduty.Incident) <-chan enrich.Result
	// Follow streams the incident's logs into ring until ctx ends.
	Follow(ctx context.Context, in pagerduty.Incident, ring *logs.Ring) error
	// Forget drops cached results (a manual refresh).
	Forget(in pagerduty.Incident)
}

// Recorder keeps the journal: the incident cache, what sitrep observes,
// what the engineer does, and the post-mortem export. cmd/sitrep hands in
// the real one; nil runs without a journal.
type Recorder interface {
	// Refreshed caches a refresh's incidents and journals what changed.
	Refreshed(ctx context.Context, scope pagerduty.Scope, incidents []pagerduty.Incident, at time.Time) error
	// DetailSeen journals an incident's PagerDuty timeline.
	DetailSeen(ctx context.Context, d pagerduty.Detail) error
	// Record journals one event; the recorder fills in the actor.
	Record(ctx context.Context, e journal.Entry) error
	// Entries reads an incident's journal.
	Entries(ctx context.Context, incidentID string) ([]journal.Entry, error)
	// Export writes the incident's post-mortem draft and returns its path.
	Export(ctx context.Context, incidentID string) (string, error)
	// Backlog is how many entries wait for a disk that refused them, and
	// its last refusal.
	Backlog() (int, error)
}

// Outbox delivers the engineer's PagerDuty writes (notes, acknowledgements,
// resolutions): journaled at once, then retried until PagerDuty has them,
// across outages and restarts. cmd/sitrep hands in store/outbox's; nil
// writes straight to PagerDuty.
type Outbox interface {
	// Submit journals e as what the engineer did and queues w.
	Submit(ctx context.Context, w outbox.Write, e journal.Entry) (outbox.Item, error)
	// Changes delivers a snapshot whenever a write waits, is retried or
	// settles.
	Changes() <-chan outbox.Snapshot
}

// Actions is the remediation engine as the cockpit sees it. cmd/sitrep
// hands in one built on actions.Engine; nil means no catalogue.
type Actions interface {
	// For lists the actions that apply to an incident (its service and
	// environment), for the palette.
	For(in pagerduty.Incident) []*actions.Action
	// Prepare renders an action for an incident: the exact argv or
	// request, blast radius and guard verdict. It may do I/O (ansible's
	// --list-hosts), so it runs in a Cmd.
	Prepare(ctx context.Context, name string, params map[string]string, in pagerduty.Incident) (*actions.Plan, error)
	// Parse reads a command line (":runbook restart_service --env=prod").
	Parse(line string) (actions.Command, error)
	// Complete offers completions for a partial command line.
	Complete(line string) []string
	// Effect measures the incident's service metrics around a run ("did it
	// help?"); nil when no metrics are configured.
	Effect(in pagerduty.Incident) EffectProbe
	// Runbooks are the markdown runbooks for the incident's service.
	Runbooks(in pagerduty.Incident) []*actions.Runbook
}

// Triage classifies an incident from the evidence the cockpit holds.
// cmd/sitrep hands in the classifier the config's triage section builds;
// nil turns triage off.
type Triage interface {
	Classify(e triage.Evidence) []triage.Classification
}

// Router says where a class of incidents belongs (route.go); the Triage
// handed in may implement it (triage.Classifier does).
type Router interface {
	Route(class string) (triage.Route, bool)
}

// StormWindow says how close related incidents' starts must be to make a
// storm (storm.go); the Triage handed in may implement it.
type StormWindow interface {
	StormWindow() time.Duration
}

// Approvals is the PagerDuty side of two-person approval: requests and
// decisions are notes on the incident, and a note's author is the identity
// that counts. cmd/sitrep hands in the PagerDuty client when the catalogue
// has an approval guard; nil turns approvals off (a run that needs one
// cannot be requested, and P says so).
type Approvals interface {
	Me(ctx context.Context) (pagerduty.User, error)
	Notes(ctx context.Context, incidentID string) ([]pagerduty.Note, error)
	// UserTeams are the IDs of a user's teams: an approval guard may
	// name teams.
	UserTeams(ctx context.Context, userID string) ([]string, error)
}

// EffectProbe measures metrics in a window before a run and, once the run
// is done, the same window after it.
type EffectProbe interface {
	Before(ctx context.Context, at time.Time) error
	After(ctx context.Context, done time.Time) ([]actions.MetricChange, error)
	// ReadyAt is when the after-window closes for a run done at done.
	ReadyAt(done time.Time) time.Time
}

// Automation is notify-first automation's outside world: cmd/sitrep's
// wiring over actions/auto.Effects, the action engine, PagerDuty and the
// journal. The cockpit keeps the auto.Machine and decides in Update;
// these calls, but NewMachine and Brief, do I/O and run in Cmds.
type Automation interface {
	// NewMachine is a disarmed machine over the catalogue's auto: actions.
	NewMachine() *auto.Machine
	// Brief is the decision's view of an incident from the list (its
	// environment from the config); Detail adds its alerts and triage
	// classes, read from PagerDuty.
	Brief(in pagerduty.Incident) auto.Incident
	Detail(ctx context.Context, in pagerduty.Incident) (auto.Incident, error)
	// Me is the engineer's PagerDuty name: who armed the session.
	Me(ctx context.Context) (string, error)
	Announce(ctx context.Context, c auto.Countdown) (auto.Event, error)
	AnnounceEnd(ctx context.Context, c auto.Countdown) auto.Event
	FindVeto(ctx context.Context, c auto.Countdown) (auto.Note, bool, error)
	PostVeto(ctx context.Context, incidentID, by string) error
	Run(ctx context.Context, c auto.Countdown, out func(actions.Chunk)) (auto.State, string)
	// Record journals what the automation did.
	Record(ctx context.Context, ev auto.Event) error
}

// Stats computes the automation review (store/stats) over the journal for
// the Stats screen, S. cmd/sitrep hands in one over the cockpit's journal;
// nil turns S off.
type Stats interface {
	Stats(ctx context.Context, opts stats.Options) (stats.Report, error)
}
