package tui

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"sitrep/actions"
	"sitrep/sources/pagerduty"
)

// The remediation screens over a real actions.Engine and a small
// catalogue of real processes (/bin/echo, /bin/sleep); only the Actions
// boundary, which cmd/sitrep builds, is written here.

const actCatalogue = `
guards:
  prod:
    confirm: typed
actions:
  - name: restart_service
    title: Restart the service
    explain: Rolls the service's pods one at a time; each drains its traffic before it stops, so requests in flight finish and capacity never drops by more than one pod.
    applies: {services: [payment-*, search-*]}
    params:
      service: {pattern: '[a-z0-9-]+', from: service}
      env: {pattern: 'staging|prod', from: env}
    runner: exec
    exec:
      argv: [/bin/echo, "restarting {{.service}} in {{.env}}"]
      dry_run: [/bin/echo, "would restart {{.service}} in {{.env}}"]
      env: [KUBECONFIG]
    risk: medium
    announce: {pagerduty: false}

  - name: flush_cache
    title: Flush the CDN cache
    explain: Empties the edge cache of one region; the next requests go to the origin.
    params:
      region: {pattern: '[a-z]+-[0-9]', default: eu-1}
    runner: exec
    exec: {argv: [/bin/echo, flushed, "{{.region}}"]}
    risk: low
    guards: {confirm: none}
    announce: {pagerduty: false}

  - name: drain_nodes
    title: Drain every node
    explain: Drains every node of the cluster.
    runner: exec
    exec: {argv: [/bin/echo, drain]}
    risk: high
    guards: {max_hosts: 0}
    announce: {pagerduty: false}

  - name: slow_job
    title: A slow job
    explain: Sleeps thirty seconds; used to prove a run can be cancelled.
    applies: {envs: [staging]}
    runner: exec
    exec: {argv: [/bin/sleep, "30"]}
    risk: low
    guards: {confirm: none}
    announce: {pagerduty: false}

  - name: ask_first
    title: Asks yes or no
    explain: Echoes; needs a yes.
    applies: {envs: [staging]}
    runner: exec
    exec: {argv: [/bin/echo, asked]}
    risk: low
    guards: {confirm: yes/no}
    announce: {pagerduty: false}

  - name: touch_canary
    title: Touch a canary file
    explain: Creates the file it is given; proves whether a run started.
    applies: {envs: [staging]}
    params:
      file: {pattern: '/[A-Za-z0-9/._+-]+'}
    runner: exec
    exec: {argv: [/bin/touch, "{{.file}}"]}
    risk: low
    guards: {confirm: none}
    announce: {pagerduty: false}
`

// actRecords collects what the engine records.
type actRecords struct {
	mu   sync.Mutex
	recs []actions.Record
}

func (r *actRecords) add(rec actions.Record) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, rec)
}

func (r *actRecords) find(step string) (actions.Record, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rec := range r.recs {
		if rec.Step == step {
			return rec, true
		}
	}
	return actions.Record{}, false
}

// engineActions is the Actions boundary over a real engine: payment-*
// services are in prod, everything else in staging.
type engineActions struct {
	eng   *actions.Engine
	probe EffectProbe
}

func (a *engineActions) target(in pagerduty.Incident) actions.Target {
	env := "staging"
	if strings.HasPrefix(in.Service.Name, "payment-") {
		env = "prod"
	}
	return actions.TargetFromIncident(in, env, "")
}

func (a *engineActions) For(in pagerduty.Incident) []*actions.Action {
	return a.eng.Catalogue.ForIncident(a.target(in))
}

func (a *engineActions) Prepare(ctx context.Context, name string, params map[string]string, in pagerduty.Incident) (*actions.Plan, error) {
	return a.eng.Prepare(ctx, name, params, a.target(in))
}

func (a *engineActions) Parse(line string) (actions.Command, error) {
	return actions.ParseCommand(line, a.eng.Catalogue)
}

func (a *engineActions) Complete(line string) []string {
	return actions.Complete(line, a.eng.Catalogue)
}

func (a *engineActions) Runbooks(in pagerduty.Incident) []*actions.Runbook {
	return a.eng.Catalogue.RunbooksFor(in.Service.Name)
}

func (a *engineActions) Effect(pagerduty.Incident) EffectProbe {
	if a.probe == nil {
		return nil
	}
	return a.probe
}

// fakeProbe measures a fixed change, ready at once.
type fakeProbe struct {
	mu      sync.Mutex
	befores int
}

func (p *fakeProbe) Before(context.Context, time.Time) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.befores++
	return nil
}

func (p *fakeProbe) After(_ context.Context, done time.Time) ([]actions.MetricChange, error) {
	return []actions.MetricChange{{Name: "5xx rate", Before: 0.31, After: 0.01, At: done}}, nil
}

func (p *fakeProbe) ReadyAt(done time.Time) time.Time { return done }

// actHarness drives a model through the remediation flow: it runs the
// Cmds that Update returns and feeds their messages back through Update,
// on a clock that moves only when the test says (wait).
type actHarness struct {
	t     *testing.T
	m     Model
	now   time.Time
	recs  *actRecords
	acts  *engineActions
	msgs  chan tea.Msg
	done  chan struct{}
	width int
	h     int
}

func newActHarness(t *testing.T, w, h int, readOnly bool, probe EffectProbe) *actHarness {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "actions.yaml"), []byte(actCatalogue), 0o644); err != nil {
		t.Fatal(err)
	}
	cat, probs := actions.Load(dir)
	if len(probs) > 0 {
		t.Fatalf("catalogue problems: %v", probs)
	}
	recs := &actRecords{}
	home := t.TempDir()
	eng := &actions.Engine{
		Catalogue: cat,
		LookupEnv: func(k string) (string, bool) {
			switch k {
			case "PATH":
				return os.Getenv("PATH"), true
			case "HOME":
				return home, true
			}
			return "", false
		},
		User:     "Alice",
		Record:   recs.add,
		Grace:    300 * time.Millisecond,
		Now:      fixedClock,
		ReadOnly: readOnly,
	}
	acts := &engineActions{eng: eng}
	if probe != nil {
		acts.probe = probe
	}
	hn := &actHarness{t: t, now: t0, recs: recs, acts: acts, msgs: make(chan tea.Msg, 64), done: make(chan struct{}), width: w, h: h}
	t.Cleanup(func() { close(hn.done) })
	m := New(nil, Options{Now: func() time.Time { return hn.now }, Actions: acts, ReadOnly: readOnly})
	m = step(t, m, tea.WindowSizeMsg{Width: w, Height: h})
	m = step(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: actIncidents(), at: t0})
	hn.m = m
	return hn
}

// actIncidents: #1000 payment-gateway (prod), #1001 search-indexer (staging).
func actIncidents() []pagerduty.Incident {
	in := fixture(4)
	var out []pagerduty.Incident
	for _, i := range in {
		if i.Service.Name == "payment-gateway" || i.Service.Name == "search-indexer" {
			out = append(out, i)
		}
	}
	return out
}

func (hn *actHarness) incident(service string) pagerduty.Incident {
	hn.t.Helper()
	for _, in := range actIncidents() {
		if in.Service.Name == service {
			return in
		}
	}
	hn.t.Fatalf("no incident on %s", service)
	return pagerduty.Incident{}
}

// exec runs a Cmd in the background; its message (or each of a batch's)
// comes back through msgs.
func (hn *actHarness) exec(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() {
		msg := cmd()
		if batch, ok := msg.(tea.BatchMsg); ok {
			for _, c := range batch {
				hn.exec(c)
			}
			return
		}
		if msg == nil {
			return
		}
		select {
		case hn.msgs <- msg:
		case <-hn.done:
		}
	}()
}

// deliver hands one message to the model, as the program would, and
// runs what comes back.
func (hn *actHarness) deliver(msg tea.Msg) {
	hn.t.Helper()
	switch msg.(type) {
	case tea.KeyPressMsg, actionPrepared, actionConfirmed:
	default:
		if hn.m.screen == nil {
			return // a stray tick after the screen closed
		}
	}
	next, cmd := hn.m.Update(msg)
	hn.m = next.(Model)
	hn.exec(cmd)
	hn.fits()
}

func (hn *actHarness) press(keys ...string) {
	hn.t.Helper()
	for _, k := range keys {
		hn.deliver(keyMsg(k))
	}
}

// typeText types each rune of s.
func (hn *actHarness) typeText(s string) {
	hn.t.Helper()
	for _, k := range typed(s) {
		hn.deliver(k)
	}
}

// until feeds messages until cond holds, for at most 10 s.
func (hn *actHarness) until(what string, cond func() bool) {
	hn.t.Helper()
	deadline := time.After(10 * time.Second)
	for !cond() {
		select {
		case msg := <-hn.msgs:
			hn.deliver(msg)
		case <-deadline:
			hn.t.Fatalf("timed out waiting for %s; screen:\n%s", what, hn.screen())
		}
	}
}

// deliverUntil feeds messages until one that match accepts has been
// delivered, for at most 10 s.
func (hn *actHarness) deliverUntil(what string, match func(tea.Msg) bool) {
	hn.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case msg := <-hn.msgs:
			hn.deliver(msg)
			if match(msg) {
				return
			}
		case <-deadline:
			hn.t.Fatalf("timed out waiting for %s; screen:\n%s", what, hn.screen())
		}
	}
}

// wait passes the grace period on the model's clock.
func (hn *actHarness) wait() { hn.now = hn.now.Add(gracePeriod + time.Millisecond) }

func (hn *actHarness) screen() string { return ansi.Strip(hn.m.render()) }

func (hn *actHarness) fits() {
	hn.t.Helper()
	assertFits(hn.t, hn.screen(), hn.width, hn.h)
}

func (hn *actHarness) preview() *previewScreen {
	p, _ := hn.m.screen.(*previewScreen)
	return p
}

func (hn *actHarness) runView() *runScreen {
	r, _ := hn.m.screen.(*runScreen)
	return r
}

// open prepares an action through the palette and waits for its preview
// (and its dry run, if any).
func (hn *actHarness) open(service, name string) *previewScreen {
	hn.t.Helper()
	hn.m.openPalette(hn.incident(service))
	if hn.m.dialog == nil {
		hn.t.Fatal("the palette did not open")
	}
	hn.typeText(name)
	hn.press("enter")
	hn.until("the preview", func() bool { return hn.preview() != nil && !hn.preview().dryRunning })
	return hn.preview()
}

func TestPaletteFilterAndChoose(t *testing.T) {
	hn := newActHarness(t, 80, 24, false, nil)
	hn.m.openPalette(hn.incident("payment-gateway"))
	s := hn.screen()
	for _, want := range []string{"restart_service", "flush_cache", "drain_nodes", "medium", "high", "exec"} {
		if !strings.Contains(s, want) {
			t.Errorf("palette lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "slow_job") {
		t.Errorf("the palette offers a staging-only action on a prod incident:\n%s", s)
	}
	hn.press("j") // j moves before a filter is typed
	if d := hn.m.dialog.(*paletteDialog); d.cursor != 1 {
		t.Errorf("j moved the cursor to %d, want 1", d.cursor)
	}
	hn.typeText("flush")
	s = hn.screen()
	if strings.Contains(s, "restart_service") || !strings.Contains(s, "flush_cache") {
		t.Errorf("filter 'flush' shows:\n%s", s)
	}
	hn.press("enter")
	if hn.m.dialog != nil {
		t.Fatal("enter did not close the palette")
	}
	hn.until("the preview", func() bool { return hn.preview() != nil })
	if got := hn.preview().plan.Action.Name; got != "flush_cache" {
		t.Errorf("chose %s, want flush_cache", got)
	}

	hn.m.screen = nil
	hn.m.openPalette(hn.incident("payment-gateway"))
	hn.press("esc")
	if hn.m.dialog != nil {
		t.Error("esc did not close the palette")
	}
}

func TestCommandLine(t *testing.T) {
	hn := newActHarness(t, 80, 24, false, nil)
	hn.m.openCommandLine(hn.incident("payment-gateway"))
	hn.typeText("runbook restrat_service")
	hn.press("enter")
	s := hn.screen()
	if hn.m.dialog == nil {
		t.Fatal("a bad action name closed the command line")
	}
	if !strings.Contains(s, "unknown action") || !strings.Contains(s, "restart_service") {
		t.Errorf("the error does not name the action and the suggestion:\n%s", s)
	}

	hn.m.dialog = nil
	hn.m.openCommandLine(hn.incident("payment-gateway"))
	hn.typeText("runbook res")
	hn.press("tab")
	if got := hn.m.dialog.(*commandLine).input.Value(); got != "runbook restart_service " {
		t.Errorf("tab completed to %q", got)
	}
	hn.typeText("--sevrice=payment-gateway")
	hn.press("enter")
	if s := hn.screen(); !strings.Contains(s, "--service") {
		t.Errorf("an unknown parameter does not suggest --service:\n%s", s)
	}
	for range len("--sevrice=payment-gateway") {
		hn.press("backspace")
	}
	hn.typeText("--service=payment-gateway --env=prod")
	hn.press("enter")
	// The line stays open until the preview replaces it (a refusal shows
	// under it instead).
	hn.until("the preview", func() bool { return hn.preview() != nil && !hn.preview().dryRunning })
	if hn.m.dialog != nil {
		t.Fatalf("a good command did not close the line:\n%s", hn.screen())
	}
	if p := hn.preview(); p.plan.Action.Name != "restart_service" || p.plan.Target.Env != "prod" {
		t.Errorf("prepared %s in %s", p.plan.Action.Name, p.plan.Target.Env)
	}
}

func TestPreviewShowsWhatWillRun(t *testing.T) {
	hn := newActHarness(t, 80, 24, false, nil)
	p := hn.open("payment-gateway", "restart")
	for _, size := range []struct{ w, h int }{{80, 24}, {120, 40}} {
		hn.width, hn.h = size.w, size.h
		hn.m = step(t, hn.m, tea.WindowSizeMsg{Width: size.w, Height: size.h})
		// Tall enough to see everything.
		body := ansi.Strip(strings.Join(p.body(hn.m.styles, size.w), "\n"))
		for _, want := range []string{
			`/bin/echo "restarting payment-gateway in prod"`,
			"Rolls the service's pods",
			"payment-gateway in prod",
			"KUBECONFIG (names only)",
			"Blast radius",
			"✓ dry run: exit 0",
			"would restart payment-gateway in prod",
			"ok      read_only",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("%dx%d: the preview lacks %q:\n%s", size.w, size.h, want, body)
			}
		}
		s := hn.screen()
		if !strings.Contains(s, "allowed (confirm: typed)") || !strings.Contains(s, "Type payment-gateway") {
			t.Errorf("the verdict or the typed prompt is not on screen:\n%s", s)
		}
		hn.fits()
	}
	if rec, ok := hn.recs.find(actions.StepPreviewed); !ok || rec.Action != "restart_service" {
		t.Errorf("no previewed record: %+v", rec)
	}
}

func TestPreviewGolden(t *testing.T) {
	for _, size := range []struct{ w, h int }{{80, 24}, {120, 40}} {
		name := fmt.Sprintf("actions_preview_%dx%d", size.w, size.h)
		t.Run(name, func(t *testing.T) {
			hn := newActHarness(t, size.w, size.h, false, nil)
			hn.open("payment-gateway", "restart")
			got := hn.screen()
			// The dry run's duration varies from run to run.
			got = durationRE.ReplaceAllString(got, "in N.N s")
			assertFits(t, got, size.w, size.h)
			golden(t, name, got)
		})
	}
}

func TestTypeAheadDoesNotConfirm(t *testing.T) {
	hn := newActHarness(t, 80, 24, false, nil)
	hn.m.openPalette(hn.incident("search-indexer"))
	hn.typeText("ask_first")
	hn.press("enter")
	hn.until("the preview", func() bool { return hn.preview() != nil })
	// Keys typed ahead, within the grace period: y must not confirm.
	hn.press("y", "enter", "y")
	if hn.preview() == nil {
		t.Fatal("type-ahead closed the preview")
	}
	if hn.preview().confirming {
		t.Fatal("a y within the grace period confirmed")
	}
	if _, ok := hn.recs.find(actions.StepConfirmed); ok {
		t.Fatal("a confirmation was recorded within the grace period")
	}
	hn.wait()
	if s := hn.screen(); !strings.Contains(s, "N no (default)") {
		t.Errorf("the yes/no prompt is not shown:\n%s", s)
	}
	hn.press("y")
	hn.until("the run view", func() bool { return hn.runView() != nil })
	hn.until("the run's end", func() bool { return hn.runView().done })
	if s := hn.screen(); !strings.Contains(s, "asked") || !strings.Contains(s, "exit 0") {
		t.Errorf("the run's output or result is missing:\n%s", s)
	}
}

func TestTypedConfirmation(t *testing.T) {
	hn := newActHarness(t, 80, 24, false, nil)
	hn.open("payment-gateway", "restart")
	hn.typeText("payment") // within the grace period: ignored
	if v := hn.preview().typed.Value(); v != "" {
		t.Fatalf("type-ahead reached the input: %q", v)
	}
	hn.wait()
	hn.typeText("payment-gatewai")
	hn.press("enter")
	hn.until("the refusal", func() bool { return hn.preview() != nil && hn.preview().refusal != "" })
	if s := hn.screen(); !strings.Contains(s, "confirmation refused") {
		t.Errorf("a wrong name is not refused on screen:\n%s", s)
	}
	if hn.runView() != nil {
		t.Fatal("a wrong service name ran the action")
	}
	hn.press("backspace")
	hn.typeText("y")
	// The refusal re-armed the grace period: the name can be fixed at
	// once, but enter does nothing until the refusal can have been read.
	if v := hn.preview().typed.Value(); v != "payment-gateway" {
		t.Fatalf("typing after the refusal: %q", v)
	}
	hn.press("enter")
	if hn.preview() == nil || hn.preview().confirming {
		t.Fatal("enter at the instant of the refusal confirmed")
	}
	hn.wait()
	hn.press("enter")
	hn.until("the run's end", func() bool { return hn.runView() != nil && hn.runView().done })
	hn.wait() // the run view has been on screen for a while
	s := hn.screen()
	if !strings.Contains(s, "restarting payment-gateway in prod") || !strings.Contains(s, "Result: exit 0") {
		t.Errorf("the run's output or exit status is missing:\n%s", s)
	}
	if rec, ok := hn.recs.find(actions.StepConfirmed); !ok || rec.ConfirmedBy != "Alice" {
		t.Errorf("confirmation record: %+v", rec)
	}
	if _, ok := hn.recs.find(actions.StepFinished); !ok {
		t.Error("no finished record")
	}
	hn.press("h")
	hn.until("the outcome", func() bool { _, ok := hn.recs.find(actions.StepOutcome); return ok })
	if rec, _ := hn.recs.find(actions.StepOutcome); rec.Outcome != outcomeHelped {
		t.Errorf("outcome = %q, want helped", rec.Outcome)
	}
	hn.until("the outcome on screen", func() bool { return !hn.runView().recording })
	hn.press("esc")
	if hn.m.screen != nil {
		t.Error("esc after the outcome did not close the run view")
	}
}

func TestBlockedCannotConfirm(t *testing.T) {
	hn := newActHarness(t, 80, 24, false, nil)
	p := hn.open("payment-gateway", "drain")
	if p.verdict.Allowed || p.verdict.BlockedBy != actions.RuleBlastRadius {
		t.Fatalf("verdict = %s", p.verdict)
	}
	hn.wait()
	s := hn.screen()
	if !strings.Contains(s, "blocked: blast_radius") {
		t.Errorf("the blocking rule is not named:\n%s", s)
	}
	if !strings.Contains(s, "no dry run") {
		t.Errorf("the missing dry run is not said:\n%s", s)
	}
	hn.typeText("payment-gateway")
	hn.press("enter", "y")
	if hn.preview() == nil || hn.preview().confirming {
		t.Fatal("a blocked action was confirmed")
	}
	if _, ok := hn.recs.find(actions.StepConfirmed); ok {
		t.Fatal("a blocked action recorded a confirmation")
	}
	hn.press("esc")
	if hn.m.screen != nil {
		t.Error("esc did not leave the preview")
	}
}

func TestReadOnlyPreviewCannotConfirm(t *testing.T) {
	hn := newActHarness(t, 80, 24, true, nil)
	hn.open("search-indexer", "flush")
	hn.wait()
	hn.press("enter")
	if hn.preview() == nil || hn.preview().confirming {
		t.Fatal("read-only confirmed")
	}
	if s := hn.screen(); !strings.Contains(s, "read-only") {
		t.Errorf("read-only is not said:\n%s", s)
	}
}

func TestCancelRun(t *testing.T) {
	hn := newActHarness(t, 80, 24, false, nil)
	hn.open("search-indexer", "slow_job")
	hn.wait()
	hn.press("enter") // confirm: none
	hn.until("the run view", func() bool { return hn.runView() != nil && hn.runView().running })
	hn.wait() // the run view has been on screen for a while
	// Find the sleep by its process group: the runner makes one per run.
	var pid int
	hn.until("the sleep process", func() bool {
		pid = findProcess(t, "/bin/sleep", "30")
		return pid > 0
	})
	hn.press("ctrl+c")
	if s := hn.screen(); !strings.Contains(s, "Cancel the run?") {
		t.Errorf("ctrl+c did not ask:\n%s", s)
	}
	hn.press("n")
	if !hn.runView().running {
		t.Fatal("n cancelled the run")
	}
	hn.press("ctrl+c", "y")
	hn.until("the cancelled run", func() bool { return hn.runView().done })
	if !hn.runView().result.Cancelled {
		t.Errorf("result = %+v", hn.runView().result)
	}
	if err := syscall.Kill(pid, 0); err == nil {
		t.Errorf("the sleep (pid %d) is still running", pid)
	}
	if s := hn.screen(); !strings.Contains(s, "cancelled by you") {
		t.Errorf("the cancel is not said:\n%s", s)
	}
	if _, ok := hn.recs.find(actions.StepCancelled); !ok {
		t.Error("no cancelled record")
	}
	hn.press("h") // typed while the run was ending: not an answer
	if _, ok := hn.recs.find(actions.StepOutcome); ok || hn.runView().outcome != "" {
		t.Fatal("a key at the instant the run ended answered \"Did it help?\"")
	}
	hn.wait()
	hn.press("esc") // before an outcome: records unknown
	hn.until("the outcome", func() bool { _, ok := hn.recs.find(actions.StepOutcome); return ok })
	if rec, _ := hn.recs.find(actions.StepOutcome); rec.Outcome != outcomeUnknown {
		t.Errorf("esc recorded %q, want unknown", rec.Outcome)
	}
	if hn.m.screen != nil {
		t.Error("esc did not close the run view")
	}
}

func TestRunMeasuresEffect(t *testing.T) {
	probe := &fakeProbe{}
	hn := newActHarness(t, 80, 24, false, probe)
	hn.open("search-indexer", "flush")
	hn.wait()
	hn.press("enter")
	hn.until("the effect", func() bool { return hn.runView() != nil && hn.runView().measured })
	hn.wait() // the run view has been on screen for a while
	s := hn.screen()
	if !strings.Contains(s, "5xx rate 0.31 → 0.01") || !strings.Contains(s, "flushed eu-1") {
		t.Errorf("the effect or the output is missing:\n%s", s)
	}
	if probe.befores != 1 {
		t.Errorf("Before called %d times", probe.befores)
	}
	hn.press("w")
	hn.until("the outcome", func() bool { _, ok := hn.recs.find(actions.StepOutcome); return ok })
	rec, _ := hn.recs.find(actions.StepOutcome)
	if rec.Outcome != outcomeWorse || len(rec.Effect) != 1 || rec.Effect[0].After != 0.01 {
		t.Errorf("outcome record = %+v", rec)
	}
}

func TestOutputIsSanitized(t *testing.T) {
	var o outputLines
	o.add([]actions.Chunk{{Text: "a\x1b]52;c;ZXZpbA==\x07b\npar"}, {Text: "tial\x1b[2J\n"}})
	if got := strings.Join(o.lines, "|"); got != "ab|partial" {
		t.Errorf("lines = %q", got)
	}
}

var durationRE = regexp.MustCompile(`in \d+\.\d s`)

// findProcess returns the pid of this test's child process with exactly
// argv, or 0.
func findProcess(t *testing.T, argv ...string) int {
	t.Helper()
	out, err := exec.Command("ps", "-eo", "pid=,ppid=,args=").Output()
	if err != nil {
		t.Skipf("ps: %v", err)
	}
	want := strings.Join(argv, " ")
	// Actions run under sitrep's process supervisor: the process is this
	// test's grandchild (or its child where there is no supervisor).
	parent := map[string]string{}
	var match []string
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		parent[f[0]] = f[1]
		if len(f) > 2 && strings.Join(f[2:], " ") == want {
			match = append(match, f[0])
		}
	}
	self := strconv.Itoa(os.Getpid())
	for _, p := range match {
		if parent[p] == self || parent[parent[p]] == self {
			pid, _ := strconv.Atoi(p)
			return pid
		}
	}
	return 0
}

func TestOutputIsBounded(t *testing.T) {
	var o outputLines
	var b strings.Builder
	for i := range 2500 {
		fmt.Fprintf(&b, "line %d\n", i)
	}
	o.add([]actions.Chunk{{Text: b.String()}})
	if len(o.lines) != maxKeptLines || o.dropped != 500 || o.lines[0] != "line 500" {
		t.Errorf("kept %d lines from %q, dropped %d", len(o.lines), o.lines[0], o.dropped)
	}
}

// TestActionScreensFitAnySize draws the preview and the run view at
// sizes from 80×24 up and presses keys that scroll and must not confirm.
func TestActionScreensFitAnySize(t *testing.T) {
	hn := newActHarness(t, 80, 24, false, nil)
	hn.open("payment-gateway", "restart")
	hn.wait()
	for _, size := range []struct{ w, h int }{{80, 24}, {81, 25}, {100, 30}, {120, 40}, {200, 60}} {
		hn.width, hn.h = size.w, size.h
		hn.m = step(t, hn.m, tea.WindowSizeMsg{Width: size.w, Height: size.h})
		hn.fits()
		hn.press("down", "down", "down", "up", "down", "down", "down", "down", "down", "down", "down")
		if hn.preview() == nil || hn.preview().confirming {
			t.Fatal("scrolling left or confirmed the preview")
		}
	}
	hn.width, hn.h = 80, 24
	hn.m = step(t, hn.m, tea.WindowSizeMsg{Width: 80, Height: 24})
	hn.typeText("payment-gateway")
	hn.press("enter")
	hn.until("the run's end", func() bool { return hn.runView() != nil && hn.runView().done })
	hn.wait() // the run view has been on screen for a while
	for _, size := range []struct{ w, h int }{{80, 24}, {120, 40}} {
		hn.width, hn.h = size.w, size.h
		hn.m = step(t, hn.m, tea.WindowSizeMsg{Width: size.w, Height: size.h})
		hn.press("k", "j", "G", "g")
		hn.fits()
	}
}

func TestConfirmationAfterLeavingRunsNothing(t *testing.T) {
	hn := newActHarness(t, 80, 24, false, nil)
	p := hn.open("search-indexer", "flush")
	hn.wait()
	_, cmd := p.confirm("")
	msg := cmd() // the plan accepts the confirmation…
	hn.press("esc")
	if hn.m.screen != nil {
		t.Fatal("esc did not leave the preview")
	}
	hn.deliver(msg) // …but the engineer has left: nothing runs
	if hn.m.screen != nil {
		t.Fatal("a confirmation that arrived after esc opened the run view")
	}
	if _, ok := hn.recs.find(actions.StepStarted); ok {
		t.Fatal("the action started after the engineer left the preview")
	}
}

// The dry run's end re-arms the grace period: a key typed while it ran
// (its result and --diff not yet read) cannot confirm the instant it ends.
func TestDryRunEndRearmsTheGracePeriod(t *testing.T) {
	hn := newActHarness(t, 80, 24, false, nil)
	hn.m.openPalette(hn.incident("search-indexer"))
	hn.typeText("restart")
	hn.press("enter")
	hn.until("the preview", func() bool { return hn.preview() != nil })
	p := hn.preview()
	if !p.dryRunning || p.verdict.Confirm != actions.ConfirmYesNo {
		t.Fatalf("want a yes/no preview whose dry run is running; dry running %v, verdict %s", p.dryRunning, p.verdict)
	}
	hn.now = hn.now.Add(2 * time.Second) // long past the opening grace
	hn.press("y")                        // while the dry run runs: nothing
	hn.until("the dry run's end", func() bool { return !hn.preview().dryRunning })
	ended := hn.now

	hn.now = ended.Add(100 * time.Millisecond)
	hn.press("y", "enter")
	if hn.preview() == nil {
		t.Fatal("enter (No) 100 ms after the dry run ended closed the preview")
	}
	if hn.preview().confirming {
		t.Fatal("y 100 ms after the dry run ended confirmed")
	}

	hn.now = ended.Add(600 * time.Millisecond)
	hn.press("y")
	if p := hn.preview(); p == nil || !p.confirming {
		t.Fatal("y 600 ms after the dry run ended did not confirm")
	}
	hn.until("the run view", func() bool { return hn.runView() != nil })
	if rec, ok := hn.recs.find(actions.StepConfirmed); !ok || rec.Action != "restart_service" {
		t.Errorf("confirmation record: %+v", rec)
	}
}

// slowProbe's Before blocks until released, whatever its context says.
type slowProbe struct {
	fakeProbe
	release chan struct{}
	once    sync.Once
}

func (p *slowProbe) Before(ctx context.Context, at time.Time) error {
	<-p.release
	return p.fakeProbe.Before(ctx, at)
}

func (p *slowProbe) let() { p.once.Do(func() { close(p.release) }) }

// A cancel while the metrics before are measured ends the run view before
// the plan runs: nothing is started, journaled as run or announced.
func TestCancelWhileMeasuringBeforeRunsNothing(t *testing.T) {
	probe := &slowProbe{release: make(chan struct{})}
	hn := newActHarness(t, 80, 24, false, probe)
	t.Cleanup(probe.let)
	canary := filepath.Join(t.TempDir(), "canary")
	hn.exec(hn.m.prepareAction(actionChosen{name: "touch_canary", params: map[string]string{"file": canary}, incident: hn.incident("search-indexer")}))
	hn.until("the preview", func() bool { return hn.preview() != nil })
	hn.wait()
	hn.press("enter") // confirm: none
	hn.until("the run view", func() bool { return hn.runView() != nil })
	hn.wait() // the run view has been on screen for a while
	if r := hn.runView(); !r.baselining || r.running {
		t.Fatalf("the run view is not measuring before: baselining %v, running %v", r.baselining, r.running)
	}
	hn.press("ctrl+c")
	if s := hn.screen(); !strings.Contains(s, "Cancel the run?") {
		t.Errorf("ctrl+c while measuring before did not ask:\n%s", s)
	}
	hn.press("y")
	probe.let()
	hn.deliverUntil("the baseline", func(msg tea.Msg) bool { _, ok := msg.(effectBaselined); return ok })

	r := hn.runView()
	if r == nil {
		t.Fatal("the run view closed")
	}
	if r.running || !r.done || !strings.Contains(r.runErr, "cancelled before it started") {
		t.Fatalf("after a cancel before the start: running %v, done %v, error %q", r.running, r.done, r.runErr)
	}
	if s := hn.screen(); !strings.Contains(s, "cancelled before it started") || !strings.Contains(s, "not run") {
		t.Errorf("the screen does not say nothing ran:\n%s", s)
	}
	for _, step := range []string{actions.StepStarted, actions.StepCancelled, actions.StepFinished, actions.StepOutcome} {
		if rec, ok := hn.recs.find(step); ok {
			t.Errorf("a run cancelled before it started journaled %s: %+v", step, rec)
		}
	}
	if _, err := os.Stat(canary); !os.IsNotExist(err) {
		t.Errorf("the command ran: stat %s: %v", canary, err)
	}
	hn.press("esc")
	if hn.m.screen != nil {
		t.Error("esc did not close the run view")
	}
}

// gatedActions holds Prepare of one action back until released.
type gatedActions struct {
	*engineActions
	name    string
	release chan struct{}
}

func (g *gatedActions) Prepare(ctx context.Context, name string, params map[string]string, in pagerduty.Incident) (*actions.Plan, error) {
	if name == g.name {
		select {
		case <-g.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return g.engineActions.Prepare(ctx, name, params, in)
}

// A slow preparation answered after a later one must not take the screen
// from the later one's preview or run view, nor be confirmed in its place.
func TestStalePreparationDoesNotReplaceTheScreen(t *testing.T) {
	hn := newActHarness(t, 80, 24, false, nil)
	gate := &gatedActions{engineActions: hn.acts, name: "restart_service", release: make(chan struct{})}
	hn.m.opts.Actions = gate
	in := hn.incident("search-indexer")

	hn.m.openPalette(in)
	hn.typeText("restart") // X: its Prepare is slow
	hn.press("enter")
	hn.press("esc")
	hn.m.openPalette(in)
	hn.typeText("ask_first") // Y: fast
	hn.press("enter")
	hn.until("Y's preview", func() bool { return hn.preview() != nil })

	close(gate.release) // X's answer arrives last
	var late actionPrepared
	hn.deliverUntil("X's answer", func(msg tea.Msg) bool {
		p, ok := msg.(actionPrepared)
		late = p
		return ok && p.name == "restart_service"
	})
	if late.err != nil {
		t.Fatalf("X was not prepared: %v", late.err)
	}
	if p := hn.preview(); p == nil || p.plan.Action.Name != "ask_first" {
		t.Fatalf("X's late answer replaced Y's preview:\n%s", hn.screen())
	}
	hn.wait()
	hn.press("y") // meant for Y
	hn.until("the run's end", func() bool { return hn.runView() != nil && hn.runView().done })
	if name := hn.runView().plan.Action.Name; name != "ask_first" {
		t.Fatalf("y confirmed %s, not ask_first", name)
	}
	hn.deliver(late) // again, over Y's finished run
	if r := hn.runView(); r == nil || r.plan.Action.Name != "ask_first" {
		t.Fatalf("X's late answer replaced Y's run view:\n%s", hn.screen())
	}
	if rec, ok := hn.recs.find(actions.StepConfirmed); !ok || rec.Action != "ask_first" {
		t.Errorf("confirmation record: %+v", rec)
	}
}

// esc on the main screen abandons a pending preparation: its answer opens
// nothing.
func TestEscAbandonsAPendingPreparation(t *testing.T) {
	hn := newActHarness(t, 80, 24, false, nil)
	gate := &gatedActions{engineActions: hn.acts, name: "restart_service", release: make(chan struct{})}
	hn.m.opts.Actions = gate
	hn.m.openPalette(hn.incident("search-indexer"))
	hn.typeText("restart")
	hn.press("enter")
	hn.press("esc")
	if !strings.Contains(hn.m.status, "preparation of restart_service abandoned") {
		t.Errorf("status = %q", hn.m.status)
	}
	close(gate.release)
	hn.deliverUntil("the abandoned answer", func(msg tea.Msg) bool { _, ok := msg.(actionPrepared); return ok })
	if hn.m.screen != nil {
		t.Fatalf("an abandoned preparation opened a screen:\n%s", hn.screen())
	}
	hn.press("esc") // nothing pending: esc is esc again
	if strings.Contains(hn.m.status, "abandoned") {
		t.Errorf("a second esc abandoned again: %q", hn.m.status)
	}
}

// An action chosen from the palette that needs a value the incident cannot
// give opens the command line with the action and the parameter written,
// instead of a message in the header that the next refresh wipes.
func TestPaletteChoiceMissingAValueOpensTheCommandLine(t *testing.T) {
	hn := newActHarness(t, 80, 24, false, nil)
	hn.m.openPalette(hn.incident("payment-gateway"))
	hn.wait()
	hn.typeText("reassign")
	hn.press("enter")
	hn.until("the command line", func() bool { _, ok := hn.m.dialog.(*commandLine); return ok })
	line := hn.m.dialog.(*commandLine)
	if got := line.input.Value(); got != "reassign --user_id=" {
		t.Fatalf("the command line holds %q, want the action and its missing parameter", got)
	}
	if s := hn.screen(); !strings.Contains(s, "needs --user_id") {
		t.Errorf("the line does not say what it needs:\n%s", s)
	}
	hn.wait()
	hn.typeText("PXXXXXX")
	hn.press("enter")
	hn.until("the preview", func() bool { return hn.preview() != nil })
	if got := hn.preview().plan.Action.Name; got != "reassign" {
		t.Errorf("previewed %s, want reassign", got)
	}
}
