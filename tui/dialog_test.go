package tui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"sitrep/sources/pagerduty"
)

// movingClock is a model's clock that the test moves past each grace
// period of what opens.
type movingClock struct{ now time.Time }

func (c *movingClock) Now() time.Time { return c.now }
func (c *movingClock) pass()          { c.now = c.now.Add(gracePeriod + time.Millisecond) }

// TestNoteDialogSaysWhereAt80: at 80 columns the note dialog says where the
// note goes and that tab changes it, whether the team sees it or not.
func TestNoteDialogSaysWhereAt80(t *testing.T) {
	clock := &movingClock{now: t0}
	m := New(nil, Options{Now: clock.Now, Recorder: &memoryRecorder{}})
	m = step(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	m = step(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: fixture(3), at: t0})
	m = press(t, m, "n")
	if _, ok := m.dialog.(*noteDialog); !ok {
		t.Fatalf("n opened no note dialog:\n%s", plainView(m))
	}
	for _, want := range []string{"enter: add to journal and PagerDuty (the team sees it)", "tab: journal only (the team does not see it)", "esc: cancel"} {
		if v := plainView(m); !strings.Contains(v, want) {
			t.Errorf("the note dialog at 80 columns lacks %q:\n%s", want, v)
		}
	}
	clock.pass()
	m = press(t, m, "tab")
	for _, want := range []string{"enter: add to journal only", "tab: to PagerDuty too (the team sees it)"} {
		if v := plainView(m); !strings.Contains(v, want) {
			t.Errorf("after tab the note dialog lacks %q:\n%s", want, v)
		}
	}
	assertFits(t, plainView(m), 80, 24)
}

// TestLogsFilterClearsWithEsc: esc clears the Logs pane's filter as it
// clears the list's, both in the filter's line and on the pane.
func TestLogsFilterClearsWithEsc(t *testing.T) {
	clock := &movingClock{now: t0}
	m := New(nil, Options{Now: clock.Now, Enricher: nopEnricher{}})
	m = step(t, m, tea.WindowSizeMsg{Width: 120, Height: 40})
	m = step(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: fixture(3), at: t0})
	for detailTabs[m.detail.tab] != "Logs" {
		m = press(t, m, "tab")
	}
	m = press(t, m, "enter")
	setFilter := func(text string) {
		t.Helper()
		m = press(t, m, "/")
		if _, ok := m.dialog.(*logFilterDialog); !ok {
			t.Fatalf("/ in the Logs pane opened no filter:\n%s", plainView(m))
		}
		clock.pass()
		for _, k := range typed(text) {
			m = step(t, m, k)
		}
		m = press(t, m, "enter")
		if m.logs.filter != text {
			t.Fatalf("the logs filter is %q, want %q", m.logs.filter, text)
		}
	}

	setFilter("timeout")
	m = press(t, m, "esc")
	if m.logs.filter != "" {
		t.Errorf("esc on the Logs pane left the filter %q", m.logs.filter)
	}
	if !m.detail.focused {
		t.Error("the esc that cleared the filter also left the pane")
	}
	m = press(t, m, "esc")
	if m.detail.focused {
		t.Error("a second esc did not leave the pane")
	}

	m = press(t, m, "enter")
	setFilter("timeout")
	m = press(t, m, "/")
	clock.pass()
	m = press(t, m, "esc")
	if m.dialog != nil || m.logs.filter != "" {
		t.Errorf("esc in the filter's line left the filter %q (dialog %T)", m.logs.filter, m.dialog)
	}
}
