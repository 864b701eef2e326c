package tui

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"sitrep/actions"
	"sitrep/sources/demo/catalogue"
	"sitrep/sources/pagerduty"
)

// The runbook screen over the real demo catalogue and its payment-gateway
// runbook, with a real actions.Engine behind the Actions boundary. Only
// the journal is a stand-in: memoryRecorder collects what the model records.

// rbHarness is an actHarness over the demo catalogue (with extra runbooks
// written beside its own), a journal, and the shelf the model will hold.
type rbHarness struct {
	*actHarness
	journal *memoryRecorder
	shelf   runbookShelf
}

func newRunbookHarness(t *testing.T, w, h int, readOnly bool, extra map[string]string) *rbHarness {
	t.Helper()
	root, err := catalogue.Install(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range extra {
		if err := os.WriteFile(filepath.Join(root, "runbooks", name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cat, probs := actions.Load(root)
	if len(probs) > 0 {
		t.Fatalf("demo catalogue problems: %v", probs)
	}
	echo, err := exec.LookPath("echo")
	if err != nil {
		t.Skip("no echo binary to stand in for sitrep")
	}
	recs := &actRecords{}
	eng := &actions.Engine{
		Catalogue: cat,
		// echo stands in for the sitrep binary, as in the demo's own tests.
		Caller: catalogue.Caller(echo, "http://127.0.0.1:1", filepath.Join(t.TempDir(), "release.conf"), "/state/demo.json"),
		LookupEnv: func(k string) (string, bool) {
			v := os.Getenv(k)
			return v, k == "PATH" || k == "HOME"
		},
		User:     "Alice",
		Record:   recs.add,
		Grace:    300 * time.Millisecond,
		Now:      fixedClock,
		ReadOnly: readOnly,
	}
	acts := &engineActions{eng: eng}
	rec := &memoryRecorder{}
	hn := &actHarness{t: t, now: t0, recs: recs, acts: acts, msgs: make(chan tea.Msg, 64), done: make(chan struct{}), width: w, h: h}
	t.Cleanup(func() { close(hn.done) })
	m := New(nil, Options{Now: func() time.Time { return hn.now }, Actions: acts, Recorder: rec, ReadOnly: readOnly})
	m = step(t, m, tea.WindowSizeMsg{Width: w, Height: h})
	m = step(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: actIncidents(), at: t0})
	hn.m = m
	return &rbHarness{actHarness: hn, journal: rec}
}

// open is b on the payment-gateway incident, as the model's key handler does it.
func (hn *rbHarness) open(service string) *runbookScreen {
	hn.t.Helper()
	r, why := hn.shelf.open(hn.m.opts.Actions, hn.incident(service), hn.m.width, hn.m.opts.Now())
	if r == nil {
		hn.t.Fatalf("no runbook screen: %s", why)
	}
	hn.m.screen = r
	hn.fits()
	return r
}

func (hn *rbHarness) runbook() *runbookScreen {
	r, _ := hn.m.screen.(*runbookScreen)
	return r
}

// press delivers keys to the model and runs what comes back at once, as
// the program would: a tick goes through the
// model's handler to the journal. It returns the screen's messages.
func (hn *rbHarness) press(keys ...string) []tea.Msg {
	hn.t.Helper()
	var out []tea.Msg
	for _, k := range keys {
		next, cmd := hn.m.Update(keyMsg(k))
		hn.m = next.(Model)
		for _, msg := range runNow(cmd) {
			if toggled, ok := msg.(runbookStepToggled); ok {
				for _, res := range runNow(hn.m.runbookStepToggled(toggled)) {
					if f, ok := res.(journalFailed); ok {
						hn.t.Fatalf("journal: %v", f.err)
					}
				}
			}
			out = append(out, msg)
		}
		hn.fits()
	}
	return out
}

// runNow runs a Cmd (and a batch's Cmds) in place and returns the messages.
func runNow(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	msg := cmd()
	if batch, ok := msg.(tea.BatchMsg); ok {
		var out []tea.Msg
		for _, c := range batch {
			out = append(out, runNow(c)...)
		}
		return out
	}
	if msg == nil {
		return nil
	}
	return []tea.Msg{msg}
}

// current is the block under the cursor.
func (r *runbookScreen) current() actions.Block { return r.rb.Blocks[r.items[r.cursor]] }

func TestRunbookRenders(t *testing.T) {
	hn := newRunbookHarness(t, 120, 40, false, nil)
	hn.open("payment-gateway")
	s := hn.screen()
	for _, want := range []string{
		"Runbook: payment-gateway 5xx spike",
		"0/5 steps done",
		"payment-gateway · payment-gateway-5xx.md · #1000",
		"Customers see failed checkouts when payment-gateway returns 5xx.",
		"## Look first",
		"› [ ] Check the error-rate chart in the Metrics pane: when did it start?",
		"  [ ] Check the Deploys pane: did a deploy land just before the start?",
		"  [ ] Check the Logs pane for `connection pool exhausted`.",
		"▶ restart_service — Restart the service (risk medium)",
		"▶ check_health",
		"(risk low)",
		"▶ rollback_deploy — Roll back to the previous release (risk high)",
		"space tick · j/k move · esc back",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("the runbook screen lacks %q:\n%s", want, s)
		}
	}
	// The header shows the title: the runbook's own first heading, which
	// repeats it, is not drawn again.
	if strings.Contains(s, "# payment-gateway 5xx spike") {
		t.Errorf("the title heading is drawn twice:\n%s", s)
	}
	// The fenced source of an action block is not shown as prose.
	if strings.Contains(s, "{use=restart_service}") || strings.Contains(s, "demo-ctl status") {
		t.Errorf("an action block's source is drawn:\n%s", s)
	}
}

func TestRunbookCursorMovesOverStepsAndActions(t *testing.T) {
	hn := newRunbookHarness(t, 80, 24, false, nil)
	r := hn.open("payment-gateway")
	var kinds []string
	lastLine := 0
	for i := range len(r.items) {
		b := hn.runbook().current()
		if b.Kind == actions.BlockProse {
			t.Fatalf("item %d: the cursor is on prose", i)
		}
		if b.Line <= lastLine {
			t.Errorf("item %d: line %d does not follow %d", i, b.Line, lastLine)
		}
		lastLine = b.Line
		name := ""
		if b.Kind == actions.BlockAction {
			name = blockActionName(b)
		}
		kinds = append(kinds, b.Kind.String()+":"+name)
		// The view follows the cursor: its item is on screen, marked.
		want := "› [ ] " + b.Text
		if b.Kind == actions.BlockAction {
			want = "› ▶ " + blockActionName(b)
		}
		if r := []rune(want); len(r) > 40 {
			want = string(r[:40])
		}
		if s := hn.screen(); !strings.Contains(s, want) {
			t.Errorf("item %d (%s) is not on screen under the cursor:\n%s", i, want, s)
		}
		hn.press("j")
	}
	want := "step:,step:,step:,action:restart_service,action:check_health,step:,action:rollback_deploy,step:"
	if got := strings.Join(kinds, ","); !sameKinds(got, want) {
		t.Errorf("the cursor visited %s, want %s", got, want)
	}
	// Past the last item j scrolls to the end and the cursor stays.
	hn.press("j", "j", "j")
	if got := hn.runbook().cursor; got != len(r.items)-1 {
		t.Errorf("j past the end moved the cursor to %d", got)
	}
	if s := hn.screen(); !strings.Contains(s, "Tell the deploying team") {
		t.Errorf("the end of the runbook is not reachable:\n%s", s)
	}
	hn.press("k")
	if got := hn.runbook().current(); got.Kind != actions.BlockAction || got.Action.Name != "rollback_deploy" {
		t.Errorf("k moved to %v", got.Kind)
	}
	hn.press("g")
	if hn.runbook().cursor != 0 || hn.runbook().scroll != 0 {
		t.Errorf("g: cursor %d scroll %d", hn.runbook().cursor, hn.runbook().scroll)
	}
	hn.press("G")
	if hn.runbook().cursor != len(r.items)-1 {
		t.Errorf("G: cursor %d", hn.runbook().cursor)
	}
	hn.press("esc")
	if hn.m.screen != nil {
		t.Error("esc did not close the runbook")
	}
}

// sameKinds compares visit lists, ignoring the names of steps.
func sameKinds(got, want string) bool {
	g, w := strings.Split(got, ","), strings.Split(want, ",")
	if len(g) != len(w) {
		return false
	}
	for i := range g {
		if strings.HasPrefix(w[i], "step:") {
			if !strings.HasPrefix(g[i], "step:") {
				return false
			}
			continue
		}
		if g[i] != w[i] {
			return false
		}
	}
	return true
}

func TestRunbookTickIsJournaled(t *testing.T) {
	hn := newRunbookHarness(t, 80, 24, false, nil)
	r := hn.open("payment-gateway")
	if msgs := hn.press("space"); len(msgs) != 0 || len(hn.journal.kind("runbook.step")) != 0 {
		t.Fatalf("a space typed ahead within the grace period ticked: %v", msgs)
	}
	hn.wait()
	step := r.current()
	msgs := hn.press("space")
	if len(msgs) != 1 {
		t.Fatalf("space emitted %v", msgs)
	}
	toggled, ok := msgs[0].(runbookStepToggled)
	if !ok || !toggled.checked || toggled.step != step.Text || toggled.incident.ID != hn.incident("payment-gateway").ID {
		t.Fatalf("space emitted %+v", msgs[0])
	}
	if s := hn.screen(); !strings.Contains(s, "[x] Check the error-rate chart") || !strings.Contains(s, "1/5 steps done") {
		t.Errorf("the tick is not on screen:\n%s", s)
	}
	got := hn.journal.kind("runbook.step")
	if len(got) != 1 {
		t.Fatalf("journaled %d runbook.step entries", len(got))
	}
	e := got[0]
	if e.Incident != toggled.incident.ID || e.Summary != "ticked: "+step.Text || !e.At.Equal(hn.now) {
		t.Errorf("entry = %+v", e)
	}
	var data struct {
		Runbook string `json:"runbook"`
		File    string `json:"file"`
		Line    int    `json:"line"`
		Checked bool   `json:"checked"`
	}
	if err := json.Unmarshal(e.Data, &data); err != nil {
		t.Fatal(err)
	}
	if data.Runbook != "payment-gateway 5xx spike" || data.File != r.rb.File || data.Line != step.Line || data.Line != 13 || !data.Checked {
		t.Errorf("entry data = %+v", data)
	}

	hn.press("x") // x ticks too: this one unticks
	got = hn.journal.kind("runbook.step")
	if len(got) != 2 || got[1].Summary != "unticked: "+step.Text || !strings.Contains(string(got[1].Data), `"checked":false`) {
		t.Errorf("untick entry = %+v", got)
	}
	if s := hn.screen(); !strings.Contains(s, "0/5 steps done") {
		t.Errorf("the untick is not on screen:\n%s", s)
	}

	// Space on an action ticks nothing and says what enter does.
	hn.press("j", "j", "j")
	if msgs := hn.press("space"); len(msgs) != 0 {
		t.Errorf("space on an action emitted %v", msgs)
	}
	if s := hn.screen(); !strings.Contains(s, "enter prepares this action") {
		t.Errorf("no hint for space on an action:\n%s", s)
	}
}

func TestRunbookTickReadOnlyIsNotJournaled(t *testing.T) {
	hn := newRunbookHarness(t, 80, 24, true, nil)
	hn.open("payment-gateway")
	hn.wait()
	hn.press("space")
	if n := len(hn.journal.kind("runbook.step")); n != 0 {
		t.Errorf("read-only journaled %d ticks", n)
	}
	if s := hn.screen(); !strings.Contains(s, "[x] Check the error-rate") || !strings.Contains(s, "read-only") {
		t.Errorf("read-only: the tick or the notice is missing:\n%s", s)
	}
}

func TestRunbookActionGoesThroughThePreview(t *testing.T) {
	hn := newRunbookHarness(t, 80, 24, false, nil)
	r := hn.open("payment-gateway")
	hn.wait()
	hn.press("space") // tick the first step: it must survive the preview
	hn.press("j", "j", "j")
	if b := r.current(); b.Kind != actions.BlockAction || b.Action.Name != "restart_service" {
		t.Fatalf("three j's reached %s", b.Kind)
	}
	if s := hn.screen(); !strings.Contains(s, "enter preview restart_service") {
		t.Errorf("the footer does not offer the preview:\n%s", s)
	}
	msgs := hn.press("enter")
	if len(msgs) != 1 {
		t.Fatalf("enter emitted %v", msgs)
	}
	chosen, ok := msgs[0].(actionChosen)
	if !ok || chosen.name != "restart_service" || chosen.incident.ID != hn.incident("payment-gateway").ID || len(chosen.params) != 0 {
		t.Fatalf("enter emitted %+v", msgs[0])
	}
	// The same path as the palette's choice: prepare, then the preview.
	hn.exec(hn.m.prepareAction(chosen))
	hn.until("the preview", func() bool { return hn.preview() != nil })
	p := hn.preview()
	if p.plan.Action.Name != "restart_service" || p.plan.Target.Env != "prod" {
		t.Errorf("previewed %s in %s", p.plan.Action.Name, p.plan.Target.Env)
	}
	hn.wait()
	if s := hn.screen(); !strings.Contains(s, "demo-ctl restart --service=payment-gateway") || !strings.Contains(s, "--state-file=/state/demo.json") || !strings.Contains(s, "Type payment-gateway") {
		t.Errorf("the preview does not show the command and the typed confirmation:\n%s", s)
	}
	if rec, ok := hn.recs.find(actions.StepPreviewed); !ok || rec.Action != "restart_service" {
		t.Errorf("no previewed record: %+v", rec)
	}
	hn.press("esc")
	if hn.m.screen != nil {
		t.Fatal("esc did not leave the preview")
	}
	// b again: the same runbook, its tick and its cursor kept.
	again := hn.open("payment-gateway")
	if again != r {
		t.Error("b made a new runbook screen: the ticks are lost")
	}
	if s := hn.screen(); !strings.Contains(s, "1/5 steps done") || !strings.Contains(s, "› ▶ restart_service") {
		t.Errorf("the reopened runbook lost its state:\n%s", s)
	}
}

func TestRunbookNoneOrNoCatalogue(t *testing.T) {
	hn := newRunbookHarness(t, 80, 24, false, nil)
	var shelf runbookShelf
	if r, why := shelf.open(hn.m.opts.Actions, hn.incident("search-indexer"), 80, t0); r != nil || why != "no runbook for search-indexer" {
		t.Errorf("search-indexer: %v %q", r, why)
	}
	if r, why := shelf.open(nil, hn.incident("payment-gateway"), 80, t0); r != nil || why != "no action catalogue loaded" {
		t.Errorf("no catalogue: %v %q", r, why)
	}
}

const latencyRunbook = `---
title: payment-gateway latency
services: [payment-gateway]
---

# payment-gateway latency

- [ ] Check the p99 latency chart.
- [x] Page the database team.
`

func TestRunbookSeveralApply(t *testing.T) {
	hn := newRunbookHarness(t, 80, 24, false, map[string]string{"payment-gateway-latency.md": latencyRunbook})
	first := hn.open("payment-gateway")
	if s := hn.screen(); !strings.Contains(s, "runbook 1 of 2 (tab: next)") || !strings.Contains(s, "tab next runbook") {
		t.Errorf("the other runbook is not announced:\n%s", s)
	}
	hn.wait()
	hn.press("space")
	firstDone, _ := first.progress()
	hn.press("tab")
	second := hn.runbook()
	if second == nil || second == first {
		t.Fatal("tab did not switch runbooks")
	}
	if s := hn.screen(); !strings.Contains(s, "runbook 2 of 2") || !strings.Contains(s, "Runbook: "+second.rb.Title) {
		t.Errorf("tab shows:\n%s", s)
	}
	titles := []string{first.rb.Title, second.rb.Title}
	if !slices.Contains(titles, "payment-gateway latency") || !slices.Contains(titles, "payment-gateway 5xx spike") {
		t.Errorf("runbooks: %v", titles)
	}
	// A step written as done ("- [x]") starts done.
	latency := first
	if second.rb.Title == "payment-gateway latency" {
		latency = second
	}
	if done, total := latency.progress(); total != 2 || done < 1 {
		t.Errorf("latency runbook progress %d/%d: its written tick is lost", done, total)
	}
	hn.press("tab")
	if hn.runbook() != first {
		t.Fatal("tab did not come back to the first runbook")
	}
	if done, _ := first.progress(); done != firstDone {
		t.Errorf("the first runbook has %d steps done after tabbing, had %d", done, firstDone)
	}
	hn.press("tab", "esc")
	if again := hn.open("payment-gateway"); again != second {
		t.Error("b does not reopen the runbook last shown")
	}
}

func TestRunbookSanitizes(t *testing.T) {
	src := "---\ntitle: \"evil\\e]0;owned\\a title\"\nservices: [payment-gateway]\n---\n\n" +
		"Prose \x1b]52;c;ZXZpbA==\x07with \x1b[2Jescapes.\n\n" +
		"- [ ] a step \x1b[31mred\x1b[0m and \x1b]8;;http://x\x07link\n"
	rb, probs := actions.ParseRunbook("evil.md", src)
	if len(probs) > 0 {
		t.Fatalf("problems: %v", probs)
	}
	r := newRunbookScreen(rb, fixture(1)[0], 80, t0)
	v := r.view(NewStyles(true), 80, 22)
	for _, bad := range []string{"\x1b]", "\x07", "\x1b[2J", "\x1b[31m"} {
		if strings.Contains(v, bad) {
			t.Errorf("the view passes %q through:\n%q", bad, v)
		}
	}
	plain := ansi.Strip(v)
	for _, want := range []string{"Prose with escapes.", "[ ] a step red and link", "evil", "title"} {
		if !strings.Contains(plain, want) {
			t.Errorf("the view lacks %q:\n%s", want, plain)
		}
	}
}

func TestRunbookEmpty(t *testing.T) {
	rb, _ := actions.ParseRunbook("empty.md", "")
	r := newRunbookScreen(rb, fixture(1)[0], 80, t0)
	for _, k := range []string{"j", "k", "G", "g", "pgdown", "space", "enter", "tab"} {
		next, _ := r.update(keyMsg(k), t0.Add(time.Second))
		if next != r {
			t.Fatalf("%s closed an empty runbook", k)
		}
		v := r.view(NewStyles(true), 80, 22)
		assertFits(t, ansi.Strip(v), 80, 22)
		if !strings.Contains(ansi.Strip(v), "0/0 steps done") {
			t.Errorf("empty runbook:\n%s", ansi.Strip(v))
		}
	}
}

// TestRunbookRendersOncePerWidth: the prose is rendered when the width changes,
// not on every frame.
func TestRunbookRendersOncePerWidth(t *testing.T) {
	hn := newRunbookHarness(t, 80, 24, false, nil)
	r := hn.open("payment-gateway")
	lay := r.lay
	hn.press("j", "k", "j")
	if r.lay != lay {
		t.Error("moving the cursor laid the runbook out again")
	}
	hn.m = step(t, hn.m, tea.WindowSizeMsg{Width: 100, Height: 30})
	hn.width, hn.h = 100, 30
	hn.fits()
	if r.lay == lay || r.lay.width != 100 {
		t.Error("a new width did not lay the runbook out again")
	}
}

func TestRunbookFits(t *testing.T) {
	for _, size := range []struct{ w, h int }{{80, 24}, {120, 40}, {81, 25}, {200, 60}} {
		t.Run(fmt.Sprintf("%dx%d", size.w, size.h), func(t *testing.T) {
			hn := newRunbookHarness(t, size.w, size.h, false, nil)
			hn.open("payment-gateway")
			hn.wait()
			hn.press("j", "space", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "pgup", "pgdown", "G", "g",
				"pgdown", "pgdown", "pgdown", "k", "k", "space", "up", "down", "enter", "k", "k", "k", "k", "k", "k", "k", "k")
			// A resize while open.
			for _, other := range []struct{ w, h int }{{80, 24}, {size.w, size.h}} {
				hn.width, hn.h = other.w, other.h
				hn.m = step(t, hn.m, tea.WindowSizeMsg{Width: other.w, Height: other.h})
				hn.fits()
				hn.press("G", "j", "g")
			}
		})
	}
}

func TestRunbookGolden(t *testing.T) {
	hn := newRunbookHarness(t, 80, 24, false, nil)
	hn.open("payment-gateway")
	hn.wait()
	hn.press("space", "j")
	got := hn.screen()
	assertFits(t, got, 80, 24)
	golden(t, "runbook_80x24", got)
}
