package tui

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"sitrep/sources/pagerduty"
)

var t0 = time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)

func fixedClock() time.Time { return t0 }

func fixture(n int) []pagerduty.Incident {
	services := []string{"payment-gateway", "checkout-db", "edge-proxy", "search-indexer", "auth-service"}
	users := []string{"Alice Chen", "Bob Okafor", "Carmen Ruiz", "Dev Patel"}
	statuses := []string{"triggered", "acknowledged", "triggered"}
	var out []pagerduty.Incident
	for i := range n {
		in := pagerduty.Incident{
			ID:               fmt.Sprintf("Q%05d", i+1),
			Number:           uint(1000 + i),
			Title:            fmt.Sprintf("%s error rate above threshold (%d)", services[i%len(services)], i),
			Status:           statuses[i%len(statuses)],
			Urgency:          []string{"high", "low"}[i%2],
			Service:          pagerduty.Ref{ID: fmt.Sprintf("S%d", i%len(services)), Name: services[i%len(services)]},
			Assignees:        []pagerduty.Ref{{ID: "U1", Name: users[i%len(users)]}},
			EscalationPolicy: pagerduty.Ref{ID: "EP1", Name: "Payments"},
			CreatedAt:        t0.Add(-time.Duration(i+1) * 7 * time.Minute),
			HTMLURL:          fmt.Sprintf("https://example.pagerduty.com/incidents/Q%05d", i+1),
			AlertCounts:      pagerduty.Counts{All: 1, Triggered: 1},
		}
		in.LastChangeAt = in.CreatedAt
		out = append(out, in)
	}
	pagerduty.Sort(out)
	return out
}

// loaded is a model that has received one refresh with incidents.
func loaded(t testing.TB, incidents []pagerduty.Incident, w, h int) Model {
	t.Helper()
	m := New(nil, Options{Now: fixedClock})
	m = step(t, m, tea.WindowSizeMsg{Width: w, Height: h})
	m = step(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: incidents, at: t0.Add(-4 * time.Second)})
	return m
}

func step(t testing.TB, m Model, msg tea.Msg) Model {
	t.Helper()
	next, _ := m.Update(msg)
	return next.(Model)
}

func press(t testing.TB, m Model, keys ...string) Model {
	t.Helper()
	for _, k := range keys {
		m = step(t, m, keyMsg(k))
	}
	return m
}

func plainView(m Model) string { return ansi.Strip(m.render()) }

func selectedID(t *testing.T, m Model) string {
	t.Helper()
	in, ok := m.list.selected()
	if !ok {
		t.Fatal("nothing selected")
	}
	return in.ID
}

func TestNavigation(t *testing.T) {
	incidents := fixture(30)
	m := loaded(t, incidents, 80, 24)
	if got := selectedID(t, m); got != incidents[0].ID {
		t.Fatalf("first selection = %s, want %s", got, incidents[0].ID)
	}
	m = press(t, m, "j", "j")
	if got := selectedID(t, m); got != incidents[2].ID {
		t.Errorf("after jj selected %s, want %s", got, incidents[2].ID)
	}
	m = press(t, m, "G")
	if got := selectedID(t, m); got != incidents[29].ID {
		t.Errorf("after G selected %s, want last %s", got, incidents[29].ID)
	}
	if !strings.Contains(plainView(m), fmt.Sprintf("#%d", incidents[29].Number)) {
		t.Errorf("the last incident is selected but not on screen:\n%s", plainView(m))
	}
	m = press(t, m, "k", "g")
	if got := selectedID(t, m); got != incidents[0].ID {
		t.Errorf("after g selected %s, want first", got)
	}
	m = press(t, m, "k")
	if got := selectedID(t, m); got != incidents[0].ID {
		t.Errorf("k at the top moved the cursor to %s", got)
	}
}

func TestSelectionSurvivesRefresh(t *testing.T) {
	incidents := fixture(10)
	m := loaded(t, incidents, 120, 40)
	m = press(t, m, "j", "j", "j")
	want := selectedID(t, m)

	// The next refresh brings a new incident at the top and drops one.
	next := append([]pagerduty.Incident{}, incidents[1:]...)
	fresh := fixture(11)[10]
	fresh.ID, fresh.Status, fresh.Urgency, fresh.CreatedAt = "QNEW", "triggered", "high", t0
	next = append(next, fresh)
	pagerduty.Sort(next)
	m = step(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: next, at: t0})
	if got := selectedID(t, m); got != want {
		t.Errorf("selection moved from %s to %s across a refresh", want, got)
	}

	// Acknowledging the selected incident moves it down the sorted list:
	// the cursor must follow it, not stay on the row.
	m = press(t, m, "g")
	want = selectedID(t, m)
	moved := append([]pagerduty.Incident{}, next...)
	for i := range moved {
		if moved[i].ID == want {
			moved[i].Status = "acknowledged"
		}
	}
	pagerduty.Sort(moved)
	if moved[0].ID == want {
		t.Fatal("test setup: the acknowledged incident is still first")
	}
	m = step(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: moved, at: t0})
	if got := selectedID(t, m); got != want {
		t.Errorf("after the selected incident moved, the selection is %s, want %s", got, want)
	}
}

func TestRefreshErrorKeepsData(t *testing.T) {
	m := loaded(t, fixture(5), 120, 40)
	m = step(t, m, incidentsFailed{scope: pagerduty.ScopeMine, err: errors.New("list incidents: PagerDuty's answer is not the JSON expected"), at: t0})
	s := plainView(m)
	if !strings.Contains(s, "not the JSON expected") {
		t.Errorf("the error is not shown:\n%s", s)
	}
	if !strings.Contains(s, "#1000") {
		t.Errorf("the last data is gone after a failed refresh:\n%s", s)
	}
	m = step(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: fixture(5), at: t0})
	if strings.Contains(plainView(m), "not the JSON expected") {
		t.Error("the error stays after a successful refresh")
	}
}

func TestStaleAnswerForOtherScopeIgnored(t *testing.T) {
	m := loaded(t, fixture(5), 120, 40)
	m = press(t, m, "s") // Mine -> Team
	m = step(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: fixture(2), at: t0})
	if m.list.len() != 5 {
		t.Errorf("an answer for the scope just left replaced the list: %d rows", m.list.len())
	}
}

func TestFilterAndUrgency(t *testing.T) {
	m := loaded(t, fixture(20), 120, 40)
	m = press(t, m, "/", "e", "d", "g", "e")
	for _, r := range m.list.visible {
		if m.list.all[r].Service.Name != "edge-proxy" {
			t.Fatalf("filter 'edge' kept %q", m.list.all[r].Title)
		}
	}
	if m.list.len() != 4 {
		t.Errorf("filter 'edge' kept %d rows, want 4", m.list.len())
	}
	m = press(t, m, "enter", "u") // keep the filter, then high urgency only
	for _, r := range m.list.visible {
		if m.list.all[r].Urgency != "high" {
			t.Errorf("urgency filter kept a %s incident", m.list.all[r].Urgency)
		}
	}
	m = press(t, m, "u", "u", "esc")
	if m.list.len() != 20 {
		t.Errorf("after clearing filters %d rows, want 20", m.list.len())
	}
}

func TestResolveNeedsConfirmationAfterGrace(t *testing.T) {
	now := t0
	m := New(nil, Options{Now: func() time.Time { return now }})
	m = step(t, m, tea.WindowSizeMsg{Width: 100, Height: 30})
	m = step(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: fixture(3), at: now})

	m = press(t, m, "R")
	if m.dialog == nil {
		t.Fatal("R opened no confirmation")
	}
	if !strings.Contains(plainView(m), "Resolve #") {
		t.Errorf("the confirmation does not name the incident:\n%s", plainView(m))
	}
	// Type-ahead inside the grace period must not confirm.
	next, cmd := m.Update(keyMsg("y"))
	m = next.(Model)
	if cmd != nil || m.dialog == nil {
		t.Fatal("a y typed within the grace period confirmed the resolve")
	}
	now = now.Add(gracePeriod + time.Millisecond)
	// Enter is the default: No.
	next, cmd = m.Update(keyMsg("enter"))
	m = next.(Model)
	if cmd != nil || m.dialog != nil {
		t.Fatal("enter did not cancel the resolve")
	}
	m = press(t, m, "R")
	now = now.Add(gracePeriod + time.Millisecond)
	next, cmd = m.Update(keyMsg("y"))
	m = next.(Model)
	if cmd == nil || m.dialog != nil {
		t.Fatal("y after the grace period did not resolve")
	}
	if !strings.Contains(m.status, "resolving") {
		t.Errorf("status = %q", m.status)
	}
}

func TestGoldenViews(t *testing.T) {
	detail := pagerduty.Detail{
		Alerts: []pagerduty.Alert{
			{ID: "A1", Summary: "5xx rate 31% on payment-gateway", Status: "triggered", Severity: "critical", Source: "prometheus", CreatedAt: t0.Add(-9 * time.Minute)},
			{ID: "A2", Summary: "edge health check failing", Status: "triggered", Severity: "error", CreatedAt: t0.Add(-8 * time.Minute), Retries: 4},
		},
		LogEntries: []pagerduty.LogEntry{
			{ID: "L1", Type: "trigger_log_entry", Summary: "Triggered through the API.", At: t0.Add(-9 * time.Minute)},
			{ID: "L2", Type: "assign_log_entry", Summary: "Assigned to Alice Chen.", At: t0.Add(-9 * time.Minute)},
			{ID: "L3", Type: "acknowledge_log_entry", Summary: "Acknowledged by Alice Chen.", At: t0.Add(-2 * time.Minute)},
		},
		Notes:  []pagerduty.Note{{ID: "N1", Content: "Deploy v2.14.0 went out 5 minutes before the spike.", User: pagerduty.Ref{Name: "Alice Chen"}, At: t0.Add(-time.Minute)}},
		OnCall: []pagerduty.OnCall{{Level: 1, User: pagerduty.Ref{Name: "Alice Chen"}}, {Level: 2, User: pagerduty.Ref{Name: "Bob Okafor"}}},
	}
	for _, size := range []struct{ w, h int }{{80, 24}, {120, 40}} {
		for _, tab := range []int{0, 1, 2} {
			name := fmt.Sprintf("%dx%d_%s", size.w, size.h, strings.ToLower(detailTabs[tab]))
			t.Run(name, func(t *testing.T) {
				incidents := fixture(12)
				m := loaded(t, incidents, size.w, size.h)
				d := detail
				d.Incident = incidents[0]
				m = step(t, m, detailLoaded{id: incidents[0].ID, detail: d, parts: pagerduty.AllParts, replace: true, at: t0})
				for range tab {
					m = press(t, m, "tab")
				}
				got := plainView(m)
				assertFits(t, got, size.w, size.h)
				golden(t, "view_"+name, got)
			})
		}
	}
}

// assertFits checks the screen is exactly h lines of at most w cells.
func assertFits(t *testing.T, s string, w, h int) {
	t.Helper()
	lines := strings.Split(s, "\n")
	if len(lines) != h {
		t.Errorf("screen has %d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if lw := ansi.StringWidth(l); lw > w {
			t.Errorf("line %d is %d cells wide, more than %d: %q", i, lw, w, l)
		}
	}
}

// TestRandomKeysNeverBreakLayout drives the model with random keys and
// sizes, as a hurried engineer would, and checks every frame fits.
func TestRandomKeysNeverBreakLayout(t *testing.T) {
	keys := []string{"j", "k", "g", "G", "enter", "esc", "tab", "/", "x", "u", "s", "?", "n", "R", "backspace", "y",
		"!", ":", "b", "E", "f", "e", "p", "J", "a"}
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 10 {
		w, h := 40+rng.IntN(120), 10+rng.IntN(40)
		m := loaded(t, fixture(rng.IntN(40)), w, h)
		if round%2 == 1 {
			// With a journal and enrichment, the keys that use them open
			// their screens and dialogs too.
			m.opts.Recorder, m.opts.Enricher = &memoryRecorder{}, nopEnricher{}
		}
		for range 200 {
			m = press(t, m, keys[rng.IntN(len(keys))])
			if rng.IntN(20) == 0 {
				w, h = 40+rng.IntN(120), 10+rng.IntN(40)
				m = step(t, m, tea.WindowSizeMsg{Width: w, Height: h})
			}
			s := plainView(m)
			if lines := strings.Split(s, "\n"); len(lines) != h {
				t.Fatalf("round %d: %d lines at height %d", round, len(lines), h)
			}
			for i, l := range strings.Split(s, "\n") {
				if lw := ansi.StringWidth(l); lw > w {
					t.Fatalf("round %d: line %d is %d cells at width %d: %q", round, i, lw, w, l)
				}
			}
		}
	}
}

// BenchmarkModelKeystroke is one j or k with 10,000 incidents listed: the
// model's Update plus View, in process. The budget is 2 ms; the work is
// O(visible rows). It leaves out the renderer and the terminal: the bytes
// a keystroke writes to a real terminal are cmd/sitrep's
// BenchmarkProcessKeystroke.
func BenchmarkModelKeystroke(b *testing.B) {
	m := loaded(b, fixture(10_000), 120, 40)
	down, up := keyMsg("j"), keyMsg("k")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := down
		if i%2 == 1 {
			k = up
		}
		next, _ := m.Update(k)
		m = next.(Model)
		_ = m.View()
	}
}

// BenchmarkModelFirstFrameFromCache is the model's first frame drawn from
// 1,000 cached incidents already in memory, before the network answers. It
// leaves out process start, the journal's decode of the cache (store/journal's
// BenchmarkLoadIncidents) and the terminal; the start-to-list budget is
// measured on the process by cmd/sitrep's BenchmarkProcessFirstFrameFromCache.
func BenchmarkModelFirstFrameFromCache(b *testing.B) {
	cached := fixture(1000)
	b.ReportAllocs()
	for b.Loop() {
		m := New(nil, Options{Now: fixedClock, Cached: cached, CachedAt: t0.Add(-time.Hour)})
		next, _ := m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
		_ = next.(Model).View()
	}
}

func TestFirstFrameFromCacheIsMarkedStale(t *testing.T) {
	m := New(nil, Options{Now: fixedClock, Cached: fixture(3), CachedAt: t0.Add(-2 * time.Hour)})
	m = step(t, m, tea.WindowSizeMsg{Width: 100, Height: 24})
	s := plainView(m)
	if !strings.Contains(s, "cached, updated 2h ago") || !strings.Contains(s, "#1000") {
		t.Errorf("the cached first frame is not shown as stale:\n%s", s)
	}
	m = step(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: fixture(3), at: t0})
	if strings.Contains(plainView(m), "cached") {
		t.Error("still marked cached after a refresh")
	}
}

func TestResolvedHereStaysListed(t *testing.T) {
	m := loaded(t, fixture(4), 120, 30)
	in, _ := m.list.selected()
	m = step(t, m, operationDone{op: "resolved", incident: number(in), id: in.ID})
	var rest []pagerduty.Incident
	for _, x := range fixture(4) {
		if x.ID != in.ID {
			rest = append(rest, x)
		}
	}
	m = step(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: rest, at: t0})
	got, ok := m.list.byID(in.ID)
	if !ok || got.Status != "resolved" {
		t.Fatalf("the incident resolved here left the list: %+v %v", got, ok)
	}
	m = step(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: rest, at: t0.Add(keepResolved + time.Minute)})
	if _, ok := m.list.byID(in.ID); ok {
		t.Error("the resolved incident is still listed after keepResolved")
	}
}

func TestHelpShowsEveryKeyAt80x24(t *testing.T) {
	m := loaded(t, fixture(5), 80, 24)
	m = press(t, m, "?")
	s := plainView(m)
	assertFits(t, s, 80, 24)
	for _, group := range m.keys.FullHelp() {
		for _, b := range group {
			if !b.Enabled() {
				continue // hidden where it would do nothing (ctrl+a and v without automation)
			}
			if !strings.Contains(s, b.Help().Desc) {
				t.Errorf("the help at 80×24 lacks %q (%s)", b.Help().Desc, b.Help().Key)
			}
		}
	}
}
