package tui

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"

	"sitrep/actions"
	"sitrep/sources/pagerduty"
	"sitrep/sources/sanitize"
)

// The remediation flow, as messages:
//
//	! or :  → actionChosen (a dialog result)
//	        → prepareAction (Cmd: Actions.Prepare)  → actionPrepared
//	        → the preview screen (dry run streamed)  → actionConfirmed
//	        → startRun: the run screen (probe, run, effect, outcome)
//
// Every outside call runs in a Cmd or a goroutine that reports through
// messages; the screens only keep what those messages carry.

// prepareTimeout bounds Actions.Prepare: ansible's --list-hosts is slow.
const prepareTimeout = 30 * time.Second

// Messages and results of the remediation flow.
type (
	// actionChosen is the palette's or the command line's result: which
	// action to prepare, with which parameters, for which incident.
	actionChosen struct {
		name     string
		params   map[string]string
		incident pagerduty.Incident
	}
	// actionPrepared answers prepareAction; id is the request's.
	actionPrepared struct {
		id       uint64
		name     string
		plan     *actions.Plan
		incident pagerduty.Incident
		err      error
	}
	// actionConfirmed is the preview's confirmation, accepted by the plan.
	actionConfirmed struct {
		plan     *actions.Plan
		incident pagerduty.Incident
	}
	// confirmationRefused is a confirmation the plan did not accept (a
	// wrong service name, or a guard that blocks now).
	confirmationRefused struct {
		runID string
		err   error
	}
	// outputStreamed is live output of a dry run or run, and, when final,
	// how it ended. next reads the rest of the stream.
	outputStreamed struct {
		runID   string
		phase   string // "dry run" or "run"
		chunks  []actions.Chunk
		final   bool
		result  actions.Result
		err     error              // the run was refused (blocked, not confirmed)
		verdict actions.Verdict    // the guards after a dry run
		stream  <-chan streamEvent // where the rest comes from
	}
	// effectBaselined is the probe's before-window, taken before the run.
	effectBaselined struct {
		runID string
		err   error
	}
	// effectDue is the poll for the after-window.
	effectDue struct{ runID string }
	// effectMeasured answers probe.After.
	effectMeasured struct {
		runID   string
		changes []actions.MetricChange
		err     error
	}
	// outcomeRecorded reports the engineer's verdict on the run, recorded.
	outcomeRecorded struct {
		runID   string
		outcome string
	}
	// runTicked redraws the elapsed time of a run.
	runTicked struct {
		runID string
		at    time.Time
	}
)

// streamEvent is one chunk, or the end of a stream.
type streamEvent struct {
	chunk   actions.Chunk
	final   bool
	result  actions.Result
	err     error
	verdict actions.Verdict
}

// maxKeptLines bounds what a screen keeps of live output; the plan caps
// and journals the whole output anyway.
const maxKeptLines = 2000

// streamWork runs work in a goroutine, started when the returned Cmd
// runs, and streams its output through messages. life ends the stream's
// interest: once it is done nothing more is sent, so an abandoned screen
// leaks no goroutine.
func streamWork(life context.Context, runID, phase string, work func(out func(actions.Chunk)) streamEvent) tea.Cmd {
	return func() tea.Msg {
		ch := make(chan streamEvent, 256)
		go func() {
			defer close(ch)
			out := func(c actions.Chunk) {
				select {
				case ch <- streamEvent{chunk: c}:
				case <-life.Done():
				}
			}
			ev := work(out)
			ev.final = true
			select {
			case ch <- ev:
			case <-life.Done():
			}
		}()
		return readStream(runID, phase, ch)
	}
}

// listen reads the next batch of a stream.
func listen(runID, phase string, ch <-chan streamEvent) tea.Cmd {
	return func() tea.Msg { return readStream(runID, phase, ch) }
}

// readStream blocks for one event, then takes whatever else is ready, so
// a chatty process costs one message per batch, not per line.
func readStream(runID, phase string, ch <-chan streamEvent) tea.Msg {
	msg := outputStreamed{runID: runID, phase: phase, stream: ch}
	ev, ok := <-ch
	for {
		if !ok {
			// The screen was abandoned before the end: nothing to report.
			msg.final = true
			msg.err = context.Canceled
			return msg
		}
		if ev.final {
			msg.final, msg.result, msg.err, msg.verdict = true, ev.result, ev.err, ev.verdict
			return msg
		}
		msg.chunks = append(msg.chunks, ev.chunk)
		if len(msg.chunks) >= 512 {
			return msg
		}
		select {
		case ev, ok = <-ch:
		default:
			return msg
		}
	}
}

// outputLines keeps the last maxKeptLines lines of a stream. Output is
// redacted by the actions package but may still carry terminal control
// sequences; they are stripped here, before anything is stored.
type outputLines struct {
	lines   []string
	partial bool // the last line has no newline yet
	dropped int
}

func (o *outputLines) add(chunks []actions.Chunk) {
	for _, c := range chunks {
		text := sanitize.Text(c.Text)
		text = strings.ReplaceAll(text, "\t", "    ")
		parts := strings.Split(text, "\n")
		for i, p := range parts {
			last := i == len(parts)-1
			if last && p == "" {
				o.partial = false
				break
			}
			if i == 0 && o.partial && len(o.lines) > 0 {
				o.lines[len(o.lines)-1] += p
			} else {
				o.lines = append(o.lines, p)
			}
			o.partial = last
		}
	}
	if extra := len(o.lines) - maxKeptLines; extra > 0 {
		o.lines = append(o.lines[:0:0], o.lines[extra:]...)
		o.dropped += extra
	}
}

// prepareSeq numbers preparation requests in the order they are made, so
// that an answer can be told from a later request's: Prepare's time
// varies (ansible's --list-hosts), and answers arrive in any order.
var prepareSeq atomic.Uint64

// prepareCmd renders an action for an incident in a Cmd; the answer
// carries the request's id.
func prepareCmd(acts Actions, r actionChosen, id uint64) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), prepareTimeout)
		defer cancel()
		plan, err := acts.Prepare(ctx, r.name, r.params, r.incident)
		return actionPrepared{id: id, name: r.name, plan: plan, incident: r.incident, err: err}
	}
}

// quoteArg shows one argv element so that its boundaries are plain:
// elements with blanks or quotes are quoted.
func quoteArg(s string) string {
	if s == "" {
		return `""`
	}
	if strings.ContainsAny(s, " \t\"'\\") {
		return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
	}
	return s
}

func quoteArgv(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = quoteArg(sanitize.Line(a))
	}
	return strings.Join(q, " ")
}

// The model's side: what Update, key and dialogKey call to open the
// palette or the command line, prepare an action and start its run.

// openPalette opens ! for an incident.
func (m *Model) openPalette(in pagerduty.Incident) {
	if m.opts.Actions == nil {
		m.status = "no action catalogue loaded"
		return
	}
	m.dialog = newPaletteDialog(in, m.opts.Actions.For(in))
}

// openCommandLine opens : for an incident.
func (m *Model) openCommandLine(in pagerduty.Incident) {
	if m.opts.Actions == nil {
		m.status = "no action catalogue loaded"
		return
	}
	m.dialog = newCommandLine(in, m.opts.Actions, m.width)
}

// prepareAction renders the chosen action in a Cmd; actionPrepared
// answers.
func (m *Model) prepareAction(r actionChosen) tea.Cmd {
	if m.opts.Actions == nil {
		m.status = "no action catalogue loaded"
		return nil
	}
	m.status = "preparing " + r.name + " for " + number(r.incident) + "…"
	m.pending = preparation{id: prepareSeq.Add(1), name: r.name}
	return prepareCmd(m.opts.Actions, r, m.pending.id)
}

// preparation is a request to Actions.Prepare that the model waits for.
type preparation struct {
	id   uint64 // from prepareSeq; 0: none
	name string
}

// abandonPreparation is esc on the main screen while a preparation is
// pending: its answer, when it comes, is dropped. It reports whether one
// was pending.
func (m *Model) abandonPreparation() bool {
	if m.pending.id == 0 {
		return false
	}
	m.status = "preparation of " + m.pending.name + " abandoned"
	m.pending = preparation{}
	return true
}

// actionPrepared opens the preview of a prepared plan, and starts its
// dry run; a plan that could not be prepared is an error on the status
// line (a refused parameter names its rule). An answer older than the
// preview or run on screen is stale: the engineer has chosen since, and
// it must neither replace that screen nor be confirmed in its place.
func (m *Model) actionPrepared(msg actionPrepared) tea.Cmd {
	if msg.id != m.pending.id || msg.id < m.screenPrepareID() {
		return nil // superseded by a later choice, or abandoned
	}
	m.pending = preparation{}
	line, fromLine := m.dialog.(*commandLine)
	fromLine = fromLine && line.answers(msg.id)
	if msg.err != nil {
		m.status = ""
		if fromLine {
			line.refused(m.errText(msg.err)) // the line stays open for fixing
			return nil
		}
		var missing *actions.MissingParamError
		if errors.As(msg.err, &missing) && m.dialog == nil && m.opts.Actions != nil {
			// Chosen from the palette, an action that needs a value
			// opens the command line with the action and the parameter
			// written, so the engineer types only the value.
			m.openCommandLine(msg.incident)
			if line, ok := m.dialog.(*commandLine); ok {
				line.input.SetValue(msg.name + " --" + missing.Param + "=")
				line.input.CursorEnd()
				line.err = sanitize.Line(msg.name + " needs --" + missing.Param + " (pattern ^(" + missing.Pattern + ")$): type its value, then enter")
				return line.input.Focus()
			}
		}
		m.lastErr = msg.name + ": " + m.errText(msg.err)
		return nil
	}
	if fromLine {
		m.dialog = nil // the preview takes over from the line
	}
	m.status = ""
	switch old := m.screen.(type) {
	case *runScreen:
		if !old.done {
			// A late answer must not take the screen from a live run.
			m.lastErr = "a run is in progress: " + msg.name + " was not opened"
			return nil
		}
		old.closeLife()
	case *previewScreen:
		old.cancel()
	}
	p := newPreviewScreen(msg.plan, msg.incident)
	p.readOnly = m.opts.ReadOnly
	p.secrets = m.opts.Secrets
	p.prepareID = msg.id
	m.screen = p
	return p.start()
}

// startRun replaces the preview by the run view of a confirmed plan and
// starts it.
func (m *Model) startRun(msg actionConfirmed) tea.Cmd {
	if m.opts.ReadOnly {
		// The preview cannot confirm in read-only mode; this is the
		// second lock on the same door.
		m.screen = nil
		m.lastErr = "read-only: sitrep runs nothing"
		return nil
	}
	// Only the preview that asked may start the run: a confirmation that
	// arrives after the engineer left the preview runs nothing.
	p, ok := m.screen.(*previewScreen)
	if !ok || p.plan.RunID != msg.plan.RunID {
		m.status = msg.plan.Action.Name + " not run: its preview was closed"
		return nil
	}
	if msg.plan.Verdict.AwaitsOnlyApproval() {
		// Confirmed as a request: it waits for another person's
		// approval (awaiting.go) before it runs.
		return m.requestApproval(p, msg)
	}
	p.cancel() // its dry run is over; release its context
	var probe EffectProbe
	if m.opts.Actions != nil {
		probe = m.opts.Actions.Effect(msg.incident)
	}
	r := newRunScreen(msg.plan, msg.incident, probe, m.opts.Now())
	r.prepareID = p.prepareID
	r.secrets = m.opts.Secrets
	m.screen = r
	return r.start()
}

// screenPrepareID is the preparation the preview or run view on screen
// answers, or 0.
func (m *Model) screenPrepareID() uint64 {
	switch s := m.screen.(type) {
	case *previewScreen:
		return s.prepareID
	case *runScreen:
		return s.prepareID
	}
	return 0
}
