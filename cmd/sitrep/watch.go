package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"sitrep/actions"
	"sitrep/actions/auto"
	"sitrep/actions/triage"
	"sitrep/sources/pagerduty"
	"sitrep/store/journal"
	"sitrep/store/recorder"
	"sitrep/tui"
)

// automation is notify-first automation's outside world for the cockpit
// (tui.Automation) and for `sitrep watch`: actions/auto.Effects over the
// engine (whose PagerDuty writes go through the outbox), the feed, the
// journal's recorder and the triage classifier.
type automation struct {
	eff      *auto.Effects
	rem      *remediation
	feed     *pagerduty.Client
	rec      *recorder.Recorder
	classify *triage.Classifier
	cat      *actions.Catalogue
	// notifyFirst, when set, replaces every auto: action's countdown (the
	// demo's hidden --auto-notify-first, for tests).
	notifyFirst time.Duration
}

var _ tui.Automation = (*automation)(nil)

// automation is the environment's automation, or nil when there is no
// PagerDuty to announce on or no journal to write to.
func (e *environment) automation() *automation {
	if e.feed == nil || e.remediation == nil || e.remediation.engine == nil || e.journal.ReadOnly() {
		return nil
	}
	eng := e.remediation.engine
	rec := e.recorder
	return &automation{
		eff: &auto.Effects{
			Engine: eng, Notes: e.feed,
			RecordStep: func(r actions.Record, actor string) { _ = rec.RecordActionStep(r, actor) },
		},
		rem: e.remediation, feed: e.feed, rec: rec, classify: e.cfg.triageClassifier(), cat: eng.Catalogue,
	}
}

func (a *automation) NewMachine() *auto.Machine {
	if a.notifyFirst > 0 {
		for _, act := range a.cat.Actions() {
			if act.Auto != nil {
				act.Auto.NotifyFirst = a.notifyFirst
			}
		}
	}
	return auto.New(a.cat)
}

func (a *automation) Brief(in pagerduty.Incident) auto.Incident {
	return auto.FromIncident(in, a.rem.env(in))
}

// Detail reads the incident's alerts and classifies it from them: the
// evidence sitrep has without opening its panes.
func (a *automation) Detail(ctx context.Context, in pagerduty.Incident) (auto.Incident, error) {
	out := a.Brief(in)
	d, err := a.feed.Detail(ctx, in.ID)
	if err != nil {
		return out, fmt.Errorf("read %s's alerts for the auto: rules: %w", in.ID, err)
	}
	out.Detailed = true
	out.Alerts = auto.AlertsOf(d.Alerts)
	if a.classify != nil {
		for _, c := range a.classify.Classify(triage.Evidence{Incident: d.Incident, Alerts: d.Alerts}) {
			out.Classes = append(out.Classes, c.Class)
		}
	}
	return out, nil
}

func (a *automation) Me(ctx context.Context) (string, error) {
	me, err := a.feed.Me(ctx)
	return me.Name, err
}

func (a *automation) Announce(ctx context.Context, c auto.Countdown) (auto.Event, error) {
	return a.eff.Announce(ctx, c)
}

func (a *automation) AnnounceEnd(ctx context.Context, c auto.Countdown) auto.Event {
	return a.eff.AnnounceEnd(ctx, c)
}

func (a *automation) FindVeto(ctx context.Context, c auto.Countdown) (auto.Note, bool, error) {
	return a.eff.FindVeto(ctx, c)
}

func (a *automation) PostVeto(ctx context.Context, incidentID, by string) error {
	return a.eff.PostVeto(ctx, incidentID, by)
}

func (a *automation) Run(ctx context.Context, c auto.Countdown, out func(actions.Chunk)) (auto.State, string) {
	return a.eff.Run(ctx, c, out)
}

// Record journals an automation event on its incident: the announcement
// and a cancellation as sitrep armed by the engineer, a veto as whoever
// vetoed.
func (a *automation) Record(ctx context.Context, ev auto.Event) error {
	c := ev.Countdown
	actor := auto.Actor(c.ArmedBy)
	switch {
	case ev.Kind == auto.EventVetoed && c.By != "":
		actor = c.By
	case ev.Kind == auto.EventArmed || ev.Kind == auto.EventDisarmed:
		actor = "" // the engineer
	}
	data, _ := json.Marshal(eventData(ev))
	return a.rec.Record(ctx, journal.Entry{At: ev.At, Incident: c.Incident.ID, Kind: ev.Kind, Actor: actor, Summary: ev.Text, Data: data})
}

// eventLine is one automation event, as journaled (data) and as `sitrep
// watch` logs it (one JSON object a line).
type eventLine struct {
	Time     time.Time `json:"time"`
	Event    string    `json:"event"`
	Incident string    `json:"incident,omitempty"`
	Number   uint      `json:"number,omitempty"`
	Service  string    `json:"service,omitempty"`
	Env      string    `json:"env,omitempty"`
	Action   string    `json:"action,omitempty"`
	ArmedBy  string    `json:"armed_by,omitempty"`
	RunAt    time.Time `json:"run_at,omitzero"`
	State    string    `json:"state,omitempty"`
	By       string    `json:"by,omitempty"`
	Via      string    `json:"via,omitempty"`
	Result   string    `json:"result,omitempty"`
	Text     string    `json:"text,omitempty"`
	Errors   []string  `json:"errors,omitempty"`
}

func eventData(ev auto.Event) eventLine {
	c := ev.Countdown
	return eventLine{Time: ev.At, Event: ev.Kind, Incident: c.Incident.ID, Number: c.Incident.Number, Service: c.Incident.Service,
		Env: c.Incident.Env, Action: c.Action, ArmedBy: c.ArmedBy, RunAt: c.RunAt, State: string(c.State), By: c.By, Via: c.Via,
		Result: c.Result, Text: ev.Text, Errors: ev.Errors}
}

func newWatchCmd(g *globalFlags) *cobra.Command {
	var interval time.Duration
	cmd := &cobra.Command{
		Use:   "watch",
		Short: "Run notify-first automation without a terminal, for a shared on-call host",
		Long: `watch is the cockpit's notify-first automation without the cockpit: armed from
the start as the token's PagerDuty user, it polls the incidents, and when an
auto: action of the catalogue applies to a newly triggered incident it
announces the run on the incident, counts down its notify_first, reads the
incident's notes for a "veto", and runs the action through every guard,
journaling all of it as the cockpit does.

It logs one JSON object a line on stdout: time, event (auto.armed,
auto.announced, auto.vetoed, auto.cancelled, auto.skipped, auto.ran,
auto.failed, auto.blocked, auto.disarmed, error), incident, number, service,
env, action, armed_by, run_at, state, by, via, result, text and errors.
SIGTERM or SIGINT stops it: a pending countdown is cancelled and the
cancellation announced on its incident, and it exits 0. It holds the
journal, so two watches (or a watch and a cockpit) never share one.`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if interval < time.Second {
				return fmt.Errorf("--interval %s is too short: use 1s or more (each poll is one PagerDuty request)", interval)
			}
			env, err := g.environment(cmd)
			if err != nil {
				return watchJournalErr(err)
			}
			defer env.Close()
			if env.journal.ReadOnly() {
				return fmt.Errorf("the journal %s is held by another sitrep: sitrep watch runs one loop per journal; stop the other, or give this one --journal FILE", env.journal.Path())
			}
			scope := pagerduty.ScopeAll
			if g.scope != "" {
				if scope, err = pagerduty.ParseScope(g.scope); err != nil {
					return err
				}
			}
			a := env.automation()
			if a == nil {
				return errors.New("sitrep watch needs PagerDuty access and a writable journal")
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			w := &watcher{a: a, feed: env.feed, scope: scope, interval: interval, out: cmd.OutOrStdout(), now: time.Now}
			return w.run(ctx)
		},
	}
	cmd.Flags().DurationVar(&interval, "interval", 15*time.Second, "how often to poll PagerDuty's incidents")
	return cmd
}

// watchJournalErr makes a held journal's error say what to do.
func watchJournalErr(err error) error {
	if errors.Is(err, journal.ErrLocked) {
		return fmt.Errorf("%w: sitrep watch runs one loop per journal; stop the other sitrep, or give this one --journal FILE", err)
	}
	return err
}

// watcher is `sitrep watch`'s loop: the cockpit's automation, driven by
// tickers instead of Update.
type watcher struct {
	a        *automation
	feed     *pagerduty.Client
	scope    pagerduty.Scope
	interval time.Duration
	out      io.Writer
	now      func() time.Time

	mu sync.Mutex // guards out, and m between the loop and its workers
	m  *auto.Machine
}

// log writes one event line.
func (w *watcher) log(ev auto.Event) {
	line, _ := json.Marshal(eventData(ev))
	w.mu.Lock()
	defer w.mu.Unlock()
	fmt.Fprintf(w.out, "%s\n", line)
}

func (w *watcher) logErr(what string, err error) {
	w.log(auto.Event{Kind: "error", At: w.now(), Text: what + ": " + err.Error()})
}

// record journals and logs an event.
func (w *watcher) record(ev auto.Event) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.a.Record(ctx, ev); err != nil {
		ev.Errors = append(ev.Errors, "journal: "+err.Error())
	}
	w.log(ev)
}

func (w *watcher) run(ctx context.Context) error {
	w.m = w.a.NewMachine()
	if len(w.m.Rules()) == 0 {
		return errors.New("no action in the catalogue has an auto: block: sitrep watch has nothing to do (see `sitrep actions ls` and actions/doc.go)")
	}
	mctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	by, err := w.a.Me(mctx)
	cancel()
	if err != nil || by == "" {
		return fmt.Errorf("cannot tell who the token is in PagerDuty, and an automatic run names who armed it: %v", err)
	}
	w.m.Arm(by, w.now())
	names := ""
	for i, a := range w.m.Rules() {
		if i > 0 {
			names += ", "
		}
		names += a.Name
	}
	w.record(auto.Event{Kind: auto.EventArmed, At: w.now(), Text: "automation armed by " + by + " for " + names + " (sitrep watch)"})

	var workers sync.WaitGroup
	poll := time.NewTicker(w.interval)
	defer poll.Stop()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	lastCheck := map[string]time.Time{}
	w.poll(ctx, &workers)
	for {
		select {
		case <-ctx.Done():
			w.shutdown(&workers)
			return nil
		case <-poll.C:
			w.poll(ctx, &workers)
		case <-tick.C:
			now := w.now()
			w.mu.Lock()
			due := w.m.Tick(now)
			pending := w.m.Pending()
			w.mu.Unlock()
			for _, c := range due {
				workers.Add(1)
				go func() { defer workers.Done(); w.runOne(ctx, c) }()
			}
			for _, c := range pending {
				if c.State == auto.Counting && now.Sub(lastCheck[c.ID]) >= vetoCheckInterval {
					lastCheck[c.ID] = now
					w.checkVeto(ctx, c)
				}
			}
		}
	}
}

// vetoCheckInterval is how often a pending countdown's incident is read
// for a veto note.
const vetoCheckInterval = 5 * time.Second

func (w *watcher) poll(ctx context.Context, workers *sync.WaitGroup) {
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	list, err := w.feed.Incidents(pctx, w.scope)
	if err != nil {
		if ctx.Err() == nil {
			w.logErr("poll incidents", err)
		}
		return
	}
	ins := make([]auto.Incident, 0, len(list))
	byID := map[string]pagerduty.Incident{}
	for _, in := range list {
		ins = append(ins, w.a.Brief(in))
		byID[in.ID] = in
	}
	w.mu.Lock()
	d := w.m.Observe(ins, w.now())
	w.mu.Unlock()
	for _, id := range d.NeedDetail {
		got, err := w.a.Detail(pctx, byID[id])
		if err != nil {
			w.logErr("read incident "+id, err)
			continue
		}
		w.mu.Lock()
		more := w.m.Observe([]auto.Incident{got}, w.now())
		w.mu.Unlock()
		d.Start = append(d.Start, more.Start...)
		d.Skipped = append(d.Skipped, more.Skipped...)
	}
	for _, s := range d.Skipped {
		w.record(auto.Event{Kind: auto.EventSkipped, At: w.now(), Countdown: auto.Countdown{Action: s.Action, Incident: s.Incident},
			Text: fmt.Sprintf("not running %s on #%d: %s", s.Action, s.Incident.Number, s.Reason)})
	}
	for _, c := range d.Start {
		ev, err := w.a.Announce(ctx, c)
		w.mu.Lock()
		got, _ := w.m.AnnounceDone(c.ID, err, w.now())
		w.mu.Unlock()
		if err != nil {
			w.record(w.a.AnnounceEnd(ctx, got))
			continue
		}
		ev.Countdown = got
		w.record(ev)
	}
}

func (w *watcher) checkVeto(ctx context.Context, c auto.Countdown) {
	vctx, cancel := context.WithTimeout(ctx, min(10*time.Second, max(time.Second, c.Remaining(w.now()))))
	defer cancel()
	n, found, err := w.a.FindVeto(vctx, c)
	if err != nil {
		if ctx.Err() == nil {
			w.logErr("read the notes of "+c.Incident.ID+" for a veto", err)
		}
		return
	}
	if !found {
		return
	}
	w.mu.Lock()
	got, ok := w.m.Veto(c.ID, n.Author, auto.ViaNote, w.now())
	w.mu.Unlock()
	if ok {
		w.record(w.a.AnnounceEnd(ctx, got))
	}
}

// runOne runs a countdown that reached zero, after one last look for a
// veto note.
func (w *watcher) runOne(ctx context.Context, c auto.Countdown) {
	vctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	n, found, err := w.a.FindVeto(vctx, c)
	cancel()
	if err == nil && found {
		w.mu.Lock()
		got, ok := w.m.LateVeto(c.ID, n.Author, auto.ViaNote, w.now())
		w.mu.Unlock()
		if ok {
			w.record(w.a.AnnounceEnd(context.WithoutCancel(ctx), got))
		}
		return
	}
	// A run that has begun finishes under its own timeout: SIGTERM stops
	// the countdowns, not a restart halfway through.
	state, result := w.a.Run(context.WithoutCancel(ctx), c, nil)
	w.mu.Lock()
	got, ok := w.m.Finished(c.ID, state, result, w.now())
	w.mu.Unlock()
	if ok {
		w.record(auto.EndEvent(got))
	}
}

// shutdown cancels every pending countdown, announces each cancellation,
// and waits for runs in flight.
func (w *watcher) shutdown(workers *sync.WaitGroup) {
	w.mu.Lock()
	cancelled := w.m.CancelAll("sitrep watch stopped", auto.ViaShutdown, w.now())
	w.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for _, c := range cancelled {
		w.record(w.a.AnnounceEnd(ctx, c))
	}
	workers.Wait()
	w.record(auto.Event{Kind: auto.EventDisarmed, At: w.now(), Text: "automation disarmed: sitrep watch stopped"})
}

// tuiAutomation is the cockpit's automation, nil when there is none;
// notifyFirst, when set, replaces the auto: countdowns (the demo's hidden
// --auto-notify-first).
func (e *environment) tuiAutomation(notifyFirst time.Duration) tui.Automation {
	a := e.automation()
	if a == nil {
		return nil
	}
	a.notifyFirst = notifyFirst
	return a
}
