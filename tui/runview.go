package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"sitrep/actions"
	"sitrep/sources/pagerduty"
	"sitrep/sources/sanitize"
)

// Bounds of the effect probe's calls.
const (
	probeTimeout   = 5 * time.Second
	measureTimeout = 10 * time.Second
	measurePoll    = time.Second
	measureRetries = 3
)

// Outcomes the engineer can give a run.
const (
	outcomeHelped   = "helped"
	outcomeNoEffect = "no effect"
	outcomeWorse    = "worse"
	outcomeUnknown  = "unknown"
)

// runScreen runs a confirmed plan: its output live, elapsed time, a
// cancel that asks first, the result, the metrics before and after, and
// the engineer's verdict on whether it helped.
type runScreen struct {
	plan     *actions.Plan
	incident pagerduty.Incident
	probe    EffectProbe
	// prepareID is the preparation whose preview started this run.
	prepareID uint64
	// secrets are masked from the errors this screen shows.
	secrets *sanitize.Secrets

	// life ends when the screen closes; cancelRun cancels the run itself
	// (the runner then kills its process group).
	life      context.Context
	closeLife context.CancelFunc
	runCtx    context.Context
	cancelRun context.CancelFunc

	opened  time.Time
	now     time.Time
	started time.Time // when the run was started (after the baseline)

	baselining   bool
	baselineErr  string
	running      bool
	askingCancel bool
	cancelled    bool // the engineer asked to cancel
	out          outputLines
	spin         spinner.Model

	done    bool
	doneAt  time.Time
	result  actions.Result
	runErr  string // the run was refused
	readyAt time.Time

	measuring  bool
	measureErr string
	attempts   int
	effect     []actions.MetricChange
	measured   bool

	outcome   string // given by the engineer
	recording bool

	scroll    int
	follow    bool
	maxScroll int // as last drawn
}

// newRunScreen opens the run view of a confirmed plan; its start Cmd
// takes the probe's baseline (when there is a probe) and runs the plan.
func newRunScreen(plan *actions.Plan, in pagerduty.Incident, probe EffectProbe, now time.Time) *runScreen {
	life, closeLife := context.WithCancel(context.Background())
	runCtx, cancelRun := context.WithCancel(life)
	return &runScreen{
		plan: plan, incident: in, probe: probe,
		life: life, closeLife: closeLife, runCtx: runCtx, cancelRun: cancelRun,
		opened: now, now: now, follow: true,
		spin: spinner.New(spinner.WithSpinner(spinner.MiniDot)),
	}
}

// start is the screen's first Cmd.
func (r *runScreen) start() tea.Cmd {
	if r.probe == nil {
		return r.run()
	}
	r.baselining = true
	// The baseline ends with the run's context: a cancel stops it too.
	probe, id, at, runCtx := r.probe, r.plan.RunID, r.opened, r.runCtx
	return tea.Batch(r.spin.Tick, func() tea.Msg {
		ctx, cancel := context.WithTimeout(runCtx, probeTimeout)
		defer cancel()
		return effectBaselined{runID: id, err: probe.Before(ctx, at)}
	})
}

func (r *runScreen) run() tea.Cmd {
	r.baselining = false
	r.running = true
	r.started = r.now
	plan, ctx := r.plan, r.runCtx
	work := streamWork(r.life, plan.RunID, "run", func(out func(actions.Chunk)) streamEvent {
		res, err := plan.Run(ctx, out)
		return streamEvent{result: res, err: err}
	})
	return tea.Batch(work, r.spin.Tick, r.tick())
}

func (r *runScreen) tick() tea.Cmd {
	id := r.plan.RunID
	return tea.Tick(time.Second, func(t time.Time) tea.Msg { return runTicked{runID: id, at: t} })
}

func (r *runScreen) update(msg tea.Msg, now time.Time) (screen, tea.Cmd) {
	r.now = now
	id := r.plan.RunID
	switch msg := msg.(type) {
	case effectBaselined:
		if msg.runID != id || !r.baselining {
			return r, nil // a late baseline: the run was cancelled before it started
		}
		if r.cancelled || r.runCtx.Err() != nil {
			r.notStarted()
			return r, nil
		}
		if msg.err != nil {
			r.baselineErr = displayErr(r.secrets, msg.err)
		}
		return r, r.run()
	case outputStreamed:
		if msg.runID != id || msg.phase != "run" {
			return r, nil
		}
		r.out.add(msg.chunks)
		if !msg.final {
			return r, listen(msg.runID, msg.phase, msg.stream)
		}
		return r, r.finished(msg)
	case runTicked:
		if msg.runID == id && r.running {
			return r, r.tick()
		}
		return r, nil
	case spinner.TickMsg:
		if !r.running && !r.baselining && !r.measuring {
			return r, nil
		}
		var cmd tea.Cmd
		r.spin, cmd = r.spin.Update(msg)
		return r, cmd
	case effectDue:
		if msg.runID != id || r.measured {
			return r, nil
		}
		if now.Before(r.readyAt) {
			return r, r.pollEffect()
		}
		return r, r.measure()
	case effectMeasured:
		if msg.runID != id {
			return r, nil
		}
		r.measuring = false
		if msg.err != nil {
			r.measureErr = displayErr(r.secrets, msg.err)
			if r.attempts < measureRetries {
				return r, tea.Tick(5*time.Second, func(time.Time) tea.Msg { return effectDue{runID: id} })
			}
			if len(msg.changes) > 0 {
				// No metric could be compared, but each says why.
				r.measured, r.effect = true, msg.changes
			}
			return r, nil
		}
		r.measureErr, r.measured, r.effect = "", true, msg.changes
		return r, nil
	case outcomeRecorded:
		if msg.runID == id {
			r.recording = false
		}
		return r, nil
	case tea.KeyPressMsg:
		return r.key(msg)
	}
	return r, nil
}

// notStarted ends a run cancelled while its baseline was being taken:
// nothing ran, so there is no result, effect or outcome to give.
func (r *runScreen) notStarted() {
	r.baselining, r.askingCancel = false, false
	r.done, r.doneAt = true, r.now
	r.runErr = "cancelled before it started: nothing ran"
}

// finished takes the run's end and starts measuring its effect.
func (r *runScreen) finished(msg outputStreamed) tea.Cmd {
	r.running, r.done, r.doneAt = false, true, r.now
	r.askingCancel = false
	if msg.err != nil {
		if errors.Is(msg.err, context.Canceled) && r.life.Err() != nil {
			return nil
		}
		r.runErr = displayErr(r.secrets, msg.err)
		return nil // nothing ran: no effect to measure, no outcome to give
	}
	r.result = msg.result
	if r.probe == nil {
		return nil
	}
	r.readyAt = r.probe.ReadyAt(r.doneAt)
	r.measuring = true
	if !r.now.Before(r.readyAt) {
		return tea.Batch(r.measure(), r.spin.Tick)
	}
	return tea.Batch(r.pollEffect(), r.spin.Tick)
}

func (r *runScreen) pollEffect() tea.Cmd {
	id := r.plan.RunID
	return tea.Tick(measurePoll, func(time.Time) tea.Msg { return effectDue{runID: id} })
}

func (r *runScreen) measure() tea.Cmd {
	r.measuring = true
	r.attempts++
	probe, id, done := r.probe, r.plan.RunID, r.doneAt
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), measureTimeout)
		defer cancel()
		changes, err := probe.After(ctx, done)
		return effectMeasured{runID: id, changes: changes, err: err}
	}
}

func (r *runScreen) key(msg tea.KeyPressMsg) (screen, tea.Cmd) {
	k := runKeys
	switch {
	case key.Matches(msg, k.Down):
		r.scroll++
		r.follow = r.scroll >= r.maxScroll
		r.scroll = min(r.scroll, r.maxScroll)
		return r, nil
	case key.Matches(msg, k.Up):
		r.scroll = max(0, min(r.scroll, r.maxScroll)-1)
		r.follow = false
		return r, nil
	case key.Matches(msg, k.Bottom):
		r.follow = true
		return r, nil
	case key.Matches(msg, k.Top):
		r.scroll, r.follow = 0, false
		return r, nil
	}
	if r.running || r.baselining {
		if r.askingCancel {
			r.askingCancel = false
			if key.Matches(msg, k.ConfirmCancel) {
				r.cancelled = true
				r.cancelRun()
				if r.baselining {
					// Plan.Run has not been called and now never will be.
					r.notStarted()
				}
			}
			return r, nil
		}
		if key.Matches(msg, k.Cancel) {
			r.askingCancel = true
		}
		return r, nil // the run view stays until the run has ended
	}
	if r.runErr != "" {
		if key.Matches(msg, k.Close) {
			return r.close(nil)
		}
		return r, nil
	}
	if r.outcome == "" && r.now.Sub(r.doneAt) < gracePeriod {
		// "Did it help?" has just appeared: a key typed while the run was
		// going cannot be its answer.
		return r, nil
	}
	if r.outcome == "" {
		switch {
		case key.Matches(msg, k.Skip):
			return r.close(r.record(outcomeUnknown))
		case key.Matches(msg, k.Helped):
			return r, r.record(outcomeHelped)
		case key.Matches(msg, k.NoEffect):
			return r, r.record(outcomeNoEffect)
		case key.Matches(msg, k.Worse):
			return r, r.record(outcomeWorse)
		case key.Matches(msg, k.Unknown):
			return r, r.record(outcomeUnknown)
		}
		return r, nil
	}
	if key.Matches(msg, k.Close, k.Done) {
		return r.close(nil)
	}
	return r, nil
}

// runKeyMap is the run view's keys. ctrl+c cancels the run (after a y/N
// question) rather than quitting; the view stays until the run has ended,
// then asks whether it helped.
type runKeyMap struct {
	Up, Down, Top, Bottom                  key.Binding
	Cancel, ConfirmCancel                  key.Binding
	Helped, NoEffect, Worse, Unknown, Skip key.Binding
	Close, Done, Help                      key.Binding
}

var runKeys = runKeyMap{
	Up:            key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("k/↑", "scroll up")),
	Down:          key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("j/↓", "scroll down")),
	Top:           key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g", "top")),
	Bottom:        key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G", "follow the output")),
	Cancel:        key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "cancel the run")),
	ConfirmCancel: key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "yes, cancel (any other key: no)")),
	Helped:        key.NewBinding(key.WithKeys("h"), key.WithHelp("h", "it helped")),
	NoEffect:      key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "no effect")),
	Worse:         key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "worse")),
	Unknown:       key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "unknown")),
	Skip:          key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "close, outcome unknown")),
	Close:         key.NewBinding(key.WithKeys("esc", "q"), key.WithHelp("esc", "close")),
	Done:          key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "close")),
	Help:          helpKey,
}

// answering says whether the view asks y/N about cancelling the run: ?
// there is No.
func (r *runScreen) answering() bool { return r.askingCancel }

// keys are the run view's keys as they stand.
func (r *runScreen) keys() help.KeyMap {
	k := runKeys
	scroll := []key.Binding{k.Down, k.Up, k.Top, k.Bottom}
	switch {
	case r.askingCancel:
		return drawnKeys{{k.ConfirmCancel}, scroll}
	case r.running || r.baselining:
		return drawnKeys{{k.Cancel}, scroll, {k.Help}}
	case r.runErr != "":
		return drawnKeys{{k.Close}, scroll, {k.Help}}
	case r.outcome == "":
		return drawnKeys{{k.Helped, k.NoEffect, k.Worse, k.Unknown, k.Skip}, scroll, {k.Help}}
	}
	return drawnKeys{{k.Close, k.Done}, scroll, {k.Help}}
}

// record gives the plan the engineer's verdict, with the effect as far as
// it is measured, in a Cmd: the plan's Record callback writes the journal.
func (r *runScreen) record(outcome string) tea.Cmd {
	r.outcome, r.recording = outcome, true
	plan, effect := r.plan, r.effect
	return func() tea.Msg {
		plan.RecordOutcome(outcome, effect)
		return outcomeRecorded{runID: plan.RunID, outcome: outcome}
	}
}

func (r *runScreen) close(cmd tea.Cmd) (screen, tea.Cmd) {
	r.closeLife()
	return nil, cmd
}

func (r *runScreen) view(s Styles, width, height int) string {
	width = max(20, width)
	height = max(4, height)
	plan := r.plan
	head := s.Title.Render(truncate(fmt.Sprintf("Run of %s on %s", plan.Action.Name, targetText(plan)), max(1, width-22)))
	var state string
	switch {
	case r.baselining:
		state = r.spin.View() + " measuring before…"
	case r.running:
		state = r.spin.View() + " " + elapsed(r.now.Sub(r.started))
	case r.runErr != "":
		state = s.Error.Render("not run")
	case r.done && r.result.OK:
		state = s.OK.Render("✓ " + r.result.Text)
	case r.done:
		state = s.Error.Render("✗ " + sanitize.Line(r.result.Text))
	}
	head += "  " + state
	cmdLine := s.Dim.Render(truncate("$ "+commandText(plan.Preview), width))

	foot := r.footer(s, width)
	room := max(1, height-2-len(foot))
	body := outputBlock(s, &r.out, width)
	if len(body) == 0 {
		if r.running {
			body = []string{s.Dim.Render("  │ (no output yet)")}
		} else if r.baselineErr == "" && r.runErr == "" && !r.done {
			body = []string{s.Dim.Render("  │")}
		}
	}
	r.maxScroll = max(0, len(body)-room) // remembered for j/k
	scroll := max(0, min(r.scroll, r.maxScroll))
	if r.follow {
		scroll = r.maxScroll
	}
	shown := body[scroll:min(len(body), scroll+room)]
	lines := append([]string{truncate(head, width), cmdLine}, shown...)
	return padLines(strings.Join(lines, "\n"), width, height-len(foot)) + "\n" +
		padLines(strings.Join(foot, "\n"), width, len(foot))
}

func (r *runScreen) footer(s Styles, width int) []string {
	var lines []string
	if r.baselineErr != "" {
		lines = append(lines, s.Warn.Render(truncate("⚠ no before-figures: "+r.baselineErr, width)))
	}
	switch {
	case (r.running || r.baselining) && r.askingCancel:
		lines = append(lines, s.Warn.Render(truncate("Cancel the run? ", width-12))+s.Key.Render("y")+" / "+s.Key.Render("N"))
	case r.baselining:
		lines = append(lines, s.Dim.Render(truncate("taking the metrics before the run… · ctrl+c cancel", width)))
	case r.running:
		lines = append(lines, s.Dim.Render(truncate("ctrl+c cancel · j/k scroll", width)))
	case r.runErr != "":
		lines = append(lines, wrapStyled(s.Error, "✗ "+r.runErr, width)...)
		lines = append(lines, s.Dim.Render(truncate("esc back", width)))
	default:
		res := r.result.Text
		if r.cancelled && r.result.Cancelled {
			res = "cancelled by you"
		}
		// The text says it all: "exit 0", "HTTP 201 Created", "timed out
		// after 2m", "cancelled".
		lines = append(lines, truncate(fmt.Sprintf("Result: %s · took %s", sanitize.Line(res), seconds(r.result.Duration)), width))
		lines = append(lines, r.effectLines(s, width)...)
		if r.outcome == "" {
			lines = append(lines, truncate("Did it help? "+s.Key.Render("h")+" helped  "+s.Key.Render("n")+" no effect  "+
				s.Key.Render("w")+" worse  "+s.Key.Render("u")+" unknown", width),
				s.Dim.Render(truncate("esc records unknown and closes", width)))
		} else {
			what := "recorded"
			if r.recording {
				what = "recording…"
			}
			lines = append(lines, s.OK.Render(truncate("Outcome "+what+": "+r.outcome, width)),
				s.Dim.Render(truncate("esc close", width)))
		}
	}
	return lines
}

func (r *runScreen) effectLines(s Styles, width int) []string {
	switch {
	case r.probe == nil:
		return nil
	case r.measured && len(r.effect) == 0:
		return []string{s.Dim.Render(truncate("Effect: no metric measured", width))}
	case r.measured:
		// The compared metrics on one line, then each metric without data
		// on its own, with why: one missing series must not hide the rest.
		var lines []string
		if text := effectText(r.effect); text != "" {
			lines = append(lines, truncate("Effect: "+text, width))
		}
		for _, c := range r.effect {
			if c.NoData != "" {
				lines = append(lines, s.Warn.Render(truncate("Effect: "+sanitize.Line(c.Name)+": no data — "+sanitize.Line(c.NoData), width)))
			}
		}
		return lines
	case r.measureErr != "" && !r.measuring:
		return []string{s.Warn.Render(truncate("Effect: could not measure: "+r.measureErr, width))}
	}
	// The engineer decides whether to wait for the figures: say when they
	// come and how long that is from now.
	text := "measuring effect… ready at " + r.readyAt.UTC().Format("15:04:05")
	if left := r.readyAt.Sub(r.now); left > 0 {
		// Rounded up: 0.4 s left is "in 1s", not "in 0s".
		text += ", in " + elapsed((left + time.Second - 1).Truncate(time.Second))
	}
	if r.measureErr != "" {
		text += " (retrying: " + r.measureErr + ")"
	}
	return []string{s.Dim.Render(truncate(r.spin.View()+" "+text, width))}
}

// effectText is "5xx rate 0.31 → 0.01, p99 latency 1.2 s → 0.3 s".
func effectText(changes []actions.MetricChange) string {
	parts := make([]string, 0, len(changes))
	for _, c := range changes {
		if c.NoData != "" {
			continue // drawn on a line of its own
		}
		unit := sanitize.Line(c.Unit)
		parts = append(parts, fmt.Sprintf("%s %s → %s", sanitize.Line(c.Name), formatValue(c.Before, unit), formatValue(c.After, unit)))
	}
	return strings.Join(parts, ", ")
}

func targetText(plan *actions.Plan) string {
	t := plan.Target.Service
	if plan.Target.Env != "" {
		t += " (" + plan.Target.Env + ")"
	}
	return t
}

func elapsed(d time.Duration) string {
	d = d.Round(time.Second)
	if d < time.Minute {
		return fmt.Sprintf("%ds", int(d.Seconds()))
	}
	return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
}
