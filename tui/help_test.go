package tui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"sitrep/sources/pagerduty"
)

// ? on every screen and dialog lists that screen's keys, and only its:
// one golden of the help box per screen at 120x40.

// helpShown is the help box ? opened on m, as drawn at m's width.
func helpShown(t *testing.T, m Model) string {
	t.Helper()
	d, ok := m.dialog.(*helpDialog)
	if !ok {
		t.Fatalf("? did not open the help (on top: %T):\n%s", m.dialog, plainView(m))
	}
	assertFits(t, plainView(m), m.width, m.height)
	return ansi.Strip(d.view(m.styles, m.width))
}

// listAt is the list of twelve incidents at 120x40 and a clock that
// later moves past the grace period of what opened last.
func listAt(t *testing.T, readOnly bool) (Model, func()) {
	t.Helper()
	now := t0
	m := New(nil, Options{Now: func() time.Time { return now }, ReadOnly: readOnly})
	m = step(t, m, tea.WindowSizeMsg{Width: 120, Height: 40})
	m = step(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: fixture(12), at: t0.Add(-4 * time.Second)})
	return m, func() { now = now.Add(gracePeriod + time.Millisecond) }
}

// assertKeys fails unless every want is in the help and no unwanted is.
func assertKeys(t *testing.T, where, got string, want, unwanted []string) {
	t.Helper()
	words := strings.Join(strings.Fields(got), " ") // "x     export" reads "x export"
	for _, w := range want {
		if !strings.Contains(words, w) {
			t.Errorf("? on %s lacks %q:\n%s", where, w, got)
		}
	}
	for _, u := range unwanted {
		if strings.Contains(words, u) {
			t.Errorf("? on %s shows %q, a key of another screen:\n%s", where, u, got)
		}
	}
}

func TestHelpOnTheList(t *testing.T) {
	m, wait := listAt(t, false)
	m = press(t, m, "?")
	got := helpShown(t, m)
	wait()
	assertKeys(t, "the list", got, []string{"acknowledge", "resolve", "enter detail", "J journal", "! actions"},
		[]string{"follow logs", "open entry", "tick a step"})
	golden(t, "help_list_120x40", got)
	m = press(t, m, "x") // any key closes
	if m.dialog != nil {
		t.Fatalf("a key did not close the help: %T", m.dialog)
	}
}

func TestHelpOnTheDetail(t *testing.T) {
	m, _ := listAt(t, false)
	m = press(t, m, "enter", "?")
	got := helpShown(t, m)
	assertKeys(t, "the detail", got, []string{"scroll down", "back to the list", "acknowledge"},
		[]string{"enter detail", "follow logs"})
	golden(t, "help_detail_120x40", got)
}

// On the Logs tab the pane's keys come first; with the detail open, its
// filter and scrolling too.
func TestHelpOnTheLogsPane(t *testing.T) {
	m, _ := listAt(t, false)
	for detailTabs[m.detail.tab] != "Logs" {
		m = press(t, m, "tab")
	}
	got := helpShown(t, press(t, m, "?"))
	assertKeys(t, "the logs pane", got, []string{"f follow logs", "e errors only"}, []string{"filter logs", "older lines"})
	m = press(t, m, "enter", "?")
	got = helpShown(t, m)
	assertKeys(t, "the open logs pane", got, []string{"f follow logs", "e errors only", "/ filter logs", "older lines (pauses)"},
		[]string{"enter detail"})
	golden(t, "help_logs_120x40", got)
}

func TestHelpOnThePalette(t *testing.T) {
	hn := newActHarness(t, 120, 40, false, nil)
	hn.m.openPalette(hn.incident("payment-gateway"))
	hn.wait()
	hn.press("?")
	got := helpShown(t, hn.m)
	assertKeys(t, "the palette", got, []string{"enter preview", "/ filter", "clear the filter, then close"},
		[]string{"acknowledge", "erase a letter"})
	golden(t, "help_palette_120x40", got)
	hn.press("esc") // back to the palette, not the list
	if _, ok := hn.m.dialog.(*paletteDialog); !ok {
		t.Fatalf("closing the help left %T, want the palette", hn.m.dialog)
	}
	// Once a filter has begun, ? is part of it.
	hn.wait()
	hn.press("/", "?")
	if d, ok := hn.m.dialog.(*paletteDialog); !ok || d.query != "?" {
		t.Errorf("? in the palette's filter: %T %+v", hn.m.dialog, hn.m.dialog)
	}
}

func TestHelpOnTheCommandLine(t *testing.T) {
	hn := newActHarness(t, 120, 40, false, nil)
	hn.m.openCommandLine(hn.incident("payment-gateway"))
	hn.wait()
	hn.press("?")
	got := helpShown(t, hn.m)
	assertKeys(t, "the command line", got, []string{"tab complete", "enter preview", "esc close"}, []string{"acknowledge", "/ filter"})
	golden(t, "help_cmdline_120x40", got)
	hn.press("esc")
	c, ok := hn.m.dialog.(*commandLine)
	if !ok {
		t.Fatalf("closing the help left %T, want the command line", hn.m.dialog)
	}
	// On a line being typed, ? is text.
	hn.wait()
	hn.typeText("runbook x?")
	if got := c.input.Value(); got != "runbook x?" {
		t.Errorf("the line reads %q, want the ? typed into it", got)
	}
}

func TestHelpOnThePreview(t *testing.T) {
	hn := newActHarness(t, 120, 40, false, nil)
	hn.m.openPalette(hn.incident("search-indexer"))
	hn.typeText("ask_first")
	hn.press("enter")
	hn.until("the preview", func() bool { return hn.preview() != nil && !hn.preview().dryRunning })
	hn.wait()
	hn.press("?")
	got := helpShown(t, hn.m)
	assertKeys(t, "the preview", got, []string{"y run ask_first", "N no (default)", "cancel (nothing runs)", "j scroll down"},
		[]string{"acknowledge", "tick a step"})
	golden(t, "help_preview_120x40", got)
	hn.press("y") // closes the help: the preview is still there, unconfirmed
	if p := hn.preview(); p == nil || p.confirming {
		t.Fatalf("the key that closed the help reached the preview")
	}
}

func TestHelpOnTheRunView(t *testing.T) {
	hn := newActHarness(t, 120, 40, false, nil)
	hn.m.openPalette(hn.incident("search-indexer"))
	hn.typeText("ask_first")
	hn.press("enter")
	hn.until("the preview", func() bool { return hn.preview() != nil && !hn.preview().dryRunning })
	hn.wait()
	hn.press("y")
	hn.until("the run's end", func() bool { return hn.runView() != nil && hn.runView().done })
	hn.wait()
	hn.press("?")
	got := helpShown(t, hn.m)
	assertKeys(t, "the run view", got, []string{"h it helped", "n no effect", "w worse", "close, outcome unknown", "G follow the output"},
		[]string{"acknowledge", "cancel the run", "tick a step"})
	golden(t, "help_runview_120x40", got)
}

func TestHelpOnTheRunbook(t *testing.T) {
	hn := newRunbookHarness(t, 120, 40, false, nil)
	hn.open("payment-gateway")
	hn.wait()
	hn.press("?")
	got := helpShown(t, hn.m)
	assertKeys(t, "the runbook", got, []string{"space/x tick a step", "enter preview an action", "esc back"},
		[]string{"acknowledge", "open entry"})
	golden(t, "help_runbook_120x40", got)
}

func TestHelpOnTheJournal(t *testing.T) {
	m, _ := openJournal(t, 120, 40, journalFixture)
	got := helpShown(t, press(t, m, "?"))
	assertKeys(t, "the journal", got, []string{"enter open entry", "close the journal", "n note", "p pin as evidence"},
		[]string{"acknowledge", "tick a step"})
	golden(t, "help_journal_120x40", got)

	m = press(t, m, "enter", "?")
	got = helpShown(t, m)
	assertKeys(t, "a journal entry", got, []string{"back to the list", "pgdn page down"}, []string{"open entry", "acknowledge"})
	golden(t, "help_journal_entry_120x40", got)
}

// In --read-only the keys that write are gone from ? and the help bar, and
// pressing one says why nothing happens.
func TestHelpReadOnlyShowsNoWriteKeys(t *testing.T) {
	m, wait := listAt(t, true)
	writes := []string{"acknowledge", "resolve", "n note", "pin as evidence", "enrichment to PagerDuty"}
	if bar := plainView(m); strings.Contains(bar, "a acknowledge") || strings.Contains(bar, "n note") {
		t.Errorf("the read-only help bar offers a write key:\n%s", bar)
	}
	m = press(t, m, "?")
	got := helpShown(t, m)
	assertKeys(t, "the read-only list", got, []string{"J journal", "! actions", "x export post-mortem"}, writes)
	golden(t, "help_readonly_120x40", got)
	wait()
	m = press(t, m, "esc", "a")
	if m.status != "read-only: sitrep changes nothing" {
		t.Errorf("a in read-only: status %q", m.status)
	}

	// The preview's run key is gone too.
	hn := newActHarness(t, 120, 40, true, nil)
	hn.m.openPalette(hn.incident("search-indexer"))
	hn.typeText("ask_first")
	hn.press("enter")
	hn.until("the preview", func() bool { return hn.preview() != nil && !hn.preview().dryRunning })
	hn.wait()
	hn.press("?")
	assertKeys(t, "the read-only preview", helpShown(t, hn.m), []string{"cancel (nothing runs)"}, []string{"run ask_first", "no (default)"})
}

// On J in --read-only, n and p say why they do nothing, as on the list.
func TestJournalReadOnlyWriteKeysSayWhy(t *testing.T) {
	now := t0
	m := New(nil, Options{Now: func() time.Time { return now }, Recorder: &memoryRecorder{}, ReadOnly: true})
	m = step(t, m, tea.WindowSizeMsg{Width: 120, Height: 40})
	m = step(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: fixture(3), at: t0})
	m = press(t, m, "J")
	if m.shownJournal() == nil {
		t.Fatal("J did not open the journal in read-only")
	}
	if bar := plainView(m); !strings.Contains(bar, "enter open entry") || strings.Contains(bar, "n note") || strings.Contains(bar, "p pin") {
		t.Errorf("the read-only help bar on J:\n%s", bar)
	}
	now = now.Add(time.Second)
	for _, k := range []string{"n", "p"} {
		m.status = ""
		m = press(t, m, k)
		if m.status != "read-only: sitrep changes nothing" || m.dialog != nil {
			t.Errorf("%s on J in read-only: status %q, dialog %T", k, m.status, m.dialog)
		}
	}
}
