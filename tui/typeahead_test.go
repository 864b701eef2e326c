package tui

import (
	"strconv"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"sitrep/sources/pagerduty"
)

// typeAheadHarness is the remediation harness on a model that reads the
// PagerDuty emulator through the real client and journals to memory, so
// that a key the incident list took by mistake would acknowledge, pin or
// note for real.
func typeAheadHarness(t *testing.T) (*actHarness, *memoryRecorder, func() []string) {
	t.Helper()
	pd, feed, id := emulatorFeed(t)
	hn := newActHarness(t, 100, 30, false, nil)
	rec := &memoryRecorder{}
	m := New(feed, Options{Now: func() time.Time { return hn.now }, Actions: hn.acts, Recorder: rec, Scope: pagerduty.ScopeAll})
	m = step(t, m, tea.WindowSizeMsg{Width: 100, Height: 30})
	m = step(t, m, run(t, m.loadIncidents()))
	hn.m = m
	// writes lists the writes PagerDuty received for the incident.
	writes := func() []string {
		var out []string
		for _, r := range pd.Requests() {
			if r.Method != "GET" && strings.Contains(r.Path, id) {
				out = append(out, r.Method+" "+r.Path)
			}
		}
		return out
	}
	return hn, rec, writes
}

// The audit's burst: the palette, enter, the service's name, enter and
// more keys, all sent before the preview opened. None of them may reach
// the incident list while the action is prepared, nor the preview before
// it has been on screen for the grace period.
func TestTypeAheadWhilePreparingIsHeld(t *testing.T) {
	hn, rec, writes := typeAheadHarness(t)
	hn.press("!")
	hn.wait() // the engineer reads the palette
	hn.typeText("restart")
	hn.press("enter")
	if hn.m.pending.id == 0 {
		t.Fatal("enter in the palette prepared nothing")
	}
	// The rest of the burst, before the preparation answers.
	hn.typeText("payment-gateway")
	hn.press("enter")
	hn.typeText("apnxRyJb:?")
	burst := len("payment-gateway") + 1 + len("apnxRyJb:?")
	if hn.m.dialog != nil || hn.m.screen != nil || hn.m.shownJournal() != nil {
		t.Fatalf("a key typed ahead opened something:\n%s", hn.screen())
	}
	if want := "ignored 26 keys typed before the preview opened (esc abandons)"; !strings.Contains(hn.screen(), want) {
		t.Errorf("the screen does not say %q:\n%s", want, hn.screen())
	}

	hn.until("the preview", func() bool { return hn.preview() != nil && !hn.preview().dryRunning })
	hn.press("y", "enter") // still within the preview's grace period
	burst += 2
	if v := hn.preview().typed.Value(); v != "" || hn.preview().confirming {
		t.Fatalf("type-ahead reached the preview: typed %q, confirming %v", v, hn.preview().confirming)
	}
	s := hn.screen()
	if want := "ignored 28 keys typed before the preview opened"; !strings.Contains(s, want) || burst != 28 {
		t.Errorf("the preview does not say %q:\n%s", want, s)
	}

	hn.wait()
	hn.typeText("payment-gateway")
	if v := hn.preview().typed.Value(); v != "payment-gateway" {
		t.Errorf("after the grace period the preview's input holds %q", v)
	}
	if strings.Contains(hn.screen(), "ignored") {
		t.Errorf("the count outlived the next key:\n%s", hn.screen())
	}
	if w := writes(); len(w) > 0 {
		t.Errorf("keys typed ahead wrote to PagerDuty: %v", w)
	}
	for _, kind := range []string{"pin", "note", "operation"} {
		if e := rec.kind(kind); len(e) > 0 {
			t.Errorf("keys typed ahead journaled a %s: %+v", kind, e)
		}
	}
}

// Everything that opens on a key holds the keys typed in the same burst
// for its grace period; then it takes keys as usual.
func TestWhatOpensHoldsTheBurst(t *testing.T) {
	cases := []struct {
		open, burst string
		what        string
		opened      func(m Model) bool
		untouched   func(m Model) bool
	}{
		{"!", "\nrestart\n", "the palette",
			func(m Model) bool { _, ok := m.dialog.(*paletteDialog); return ok },
			func(m Model) bool { d := m.dialog.(*paletteDialog); return d.query == "" && m.pending.id == 0 }},
		{":", "runbook restart_service\n", "the command line",
			func(m Model) bool { _, ok := m.dialog.(*commandLine); return ok },
			func(m Model) bool { return m.dialog.(*commandLine).input.Value() == "" && m.pending.id == 0 }},
		{"R", "y", "the confirmation",
			func(m Model) bool { _, ok := m.dialog.(*confirmDialog); return ok },
			func(m Model) bool { return m.status != "" && !strings.Contains(m.status, "resolving") }},
		{"n", "all good\n", "the note",
			func(m Model) bool { _, ok := m.dialog.(*noteDialog); return ok },
			func(m Model) bool { return m.dialog.(*noteDialog).input.Value() == "" }},
		{"J", "n", "the journal",
			func(m Model) bool { return m.shownJournal() != nil && m.dialog == nil },
			func(m Model) bool { return m.dialog == nil }},
	}
	for _, c := range cases {
		t.Run(c.what, func(t *testing.T) {
			hn, _, writes := typeAheadHarness(t)
			hn.press(c.open)
			if !c.opened(hn.m) {
				t.Fatalf("%s did not open %s:\n%s", c.open, c.what, hn.screen())
			}
			for _, r := range c.burst {
				if r == '\n' {
					hn.press("enter")
				} else {
					hn.typeText(string(r))
				}
			}
			if !c.opened(hn.m) || !c.untouched(hn.m) {
				t.Fatalf("the burst reached %s:\n%s", c.what, hn.screen())
			}
			want := "ignored " + strconv.Itoa(len([]rune(c.burst))) + " key"
			if s := hn.screen(); !strings.Contains(s, want) || !strings.Contains(s, "typed before "+c.what+" opened") {
				t.Errorf("the screen does not say %q … %s:\n%s", want, c.what, s)
			}
			if w := writes(); len(w) > 0 {
				t.Errorf("the burst wrote to PagerDuty: %v", w)
			}
			// Past the grace period, keys reach what opened.
			hn.wait()
			hn.press("esc")
			if hn.m.dialog != nil || hn.m.screen != nil || hn.m.shownJournal() != nil {
				t.Errorf("esc after the grace period did not close %s:\n%s", c.what, hn.screen())
			}
		})
	}
}

// While the preparation is pending, esc abandons it (its answer opens
// nothing) and ctrl+c quits.
func TestTypeAheadEscAndCtrlC(t *testing.T) {
	hn, _, _ := typeAheadHarness(t)
	hn.press("!")
	hn.wait()
	hn.press("enter", "a", "esc")
	if hn.m.pending.id != 0 || !strings.Contains(hn.screen(), "abandoned") {
		t.Fatalf("esc did not abandon the preparation:\n%s", hn.screen())
	}
	hn.press("?") // the engineer is watching again: keys go through at once
	if _, ok := hn.m.dialog.(*helpDialog); !ok {
		t.Fatalf("? right after esc was held:\n%s", hn.screen())
	}
	hn.wait()
	hn.press("esc")
	// The answer comes, and opens nothing.
	hn.deliverUntil("the abandoned answer", func(msg tea.Msg) bool { _, ok := msg.(actionPrepared); return ok })
	if hn.m.screen != nil {
		t.Fatal("an abandoned preparation opened its preview")
	}

	hn.wait()
	hn.press("!")
	hn.wait()
	hn.press("enter", "x")
	next, cmd := hn.m.Update(keyMsg("ctrl+c"))
	if cmd == nil || !next.(Model).quitting {
		t.Fatal("ctrl+c did not quit while a preparation was pending")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Error("ctrl+c's command is not tea.Quit")
	}
}

// A paste is held like the keys it holds.
func TestPasteIsHeld(t *testing.T) {
	hn, _, _ := typeAheadHarness(t)
	hn.press("n")
	next, _ := hn.m.Update(tea.PasteMsg{Content: "rm -rf /\n"})
	hn.m = next.(Model)
	if d := hn.m.dialog.(*noteDialog); d.input.Value() != "" {
		t.Fatalf("the paste reached the note: %q", d.input.Value())
	}
	if !strings.Contains(hn.screen(), "ignored 9 keys typed before the note opened") {
		t.Errorf("the paste is not counted:\n%s", hn.screen())
	}
}

// A burst being held stays held while its keys keep coming, even past the
// grace period: a busy sitrep handles the tail of a long burst late. A
// pause ends it.
func TestHeldBurstStaysHeldUntilAPause(t *testing.T) {
	hn, _, _ := typeAheadHarness(t)
	hn.press("n")
	for i := range 10 { // one key every 200 ms, for two seconds
		hn.typeText("x")
		hn.now = hn.now.Add(burstGap - 50*time.Millisecond)
		if v := hn.m.dialog.(*noteDialog).input.Value(); v != "" {
			t.Fatalf("key %d of the burst reached the note: %q", i+1, v)
		}
	}
	if !strings.Contains(hn.screen(), "ignored 10 keys typed before the note opened") {
		t.Errorf("the burst is not counted:\n%s", hn.screen())
	}
	hn.now = hn.now.Add(burstGap)
	hn.typeText("ok")
	if v := hn.m.dialog.(*noteDialog).input.Value(); v != "ok" {
		t.Errorf("after a pause the note holds %q, want ok", v)
	}
}

// Back on a screen already seen, when the dialog over it closes, keys go
// to it at once: only what is new holds them.
func TestBackOnASeenScreenTakesKeysAtOnce(t *testing.T) {
	hn, rec, _ := typeAheadHarness(t)
	hn.press("J")
	hn.wait()
	hn.press("n")
	hn.wait()
	hn.typeText("rolled back")
	hn.press("enter") // the note is written; J's screen is on top again
	if hn.m.shownJournal() == nil || hn.m.dialog != nil {
		t.Fatalf("not back on the journal:\n%s", hn.screen())
	}
	hn.press("n")
	if _, ok := hn.m.dialog.(*noteDialog); !ok {
		t.Fatalf("n right after the note did not open another:\n%s", hn.screen())
	}
	hn.until("the note journaled", func() bool { return len(rec.kind("note")) == 1 })
}

// b opens the runbook: keys typed with it are held, the moves as well as
// the ticks.
func TestRunbookHoldsTheBurst(t *testing.T) {
	hn := newRunbookHarness(t, 80, 24, false, nil)
	hn.press("b")
	r := hn.runbook()
	if r == nil {
		t.Fatalf("b opened no runbook:\n%s", hn.screen())
	}
	cursor := r.cursor
	if msgs := hn.press("j", "j", "space", "enter"); len(msgs) != 0 {
		t.Fatalf("the burst reached the runbook: %v", msgs)
	}
	if r.cursor != cursor || hn.m.pending.id != 0 {
		t.Errorf("the burst moved the cursor (%d → %d) or prepared an action", cursor, r.cursor)
	}
	if s := hn.screen(); !strings.Contains(s, "ignored 4 keys typed before the runbook opened") {
		t.Errorf("the burst is not counted:\n%s", s)
	}
	hn.wait()
	hn.press("j")
	if r.cursor == cursor {
		t.Error("after the grace period j does not move")
	}
}
