package tui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"sitrep/sources/pagerduty"
)

// With LoadCached the first frame says the cache is loading, the rows come
// from Init's command marked stale, and a refresh that answered first is
// not hidden by the older cache.
func TestCachedListLoadedInTheBackground(t *testing.T) {
	load := func() ([]pagerduty.Incident, time.Time) { return fixture(3), t0.Add(-2 * time.Hour) }
	m := New(nil, Options{Now: fixedClock, LoadCached: load})
	m = step(t, m, tea.WindowSizeMsg{Width: 100, Height: 24})
	if s := plainView(m); !strings.Contains(s, "loading cached incidents…") || strings.Contains(s, "#1000") {
		t.Fatalf("before the cache is read the first frame should say it is loading, with no rows:\n%s", s)
	}
	msg := m.loadCached()()
	got := step(t, m, msg)
	if s := plainView(got); !strings.Contains(s, "cached, updated 2h ago") || !strings.Contains(s, "#1000") {
		t.Errorf("the cached rows are not shown as stale once read:\n%s", s)
	}

	fresh := step(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: fixture(1), at: t0})
	fresh = step(t, fresh, msg)
	if s := plainView(fresh); strings.Contains(s, "cached") || fresh.list.len() != 1 {
		t.Errorf("the cache read after PagerDuty answered replaced its answer (%d rows):\n%s", fresh.list.len(), s)
	}
}
