package tui

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"sitrep/actions"
	"sitrep/actions/triage"
	"sitrep/sources/pagerduty"
)

// spyActions is a real engine with the built-in operations only, which
// remembers what the cockpit asked it to prepare.
type spyActions struct {
	engineActions
	mu       sync.Mutex
	prepared []preparedCall
}

type preparedCall struct {
	name   string
	params map[string]string
	in     pagerduty.Incident
}

func (s *spyActions) Prepare(ctx context.Context, name string, params map[string]string, in pagerduty.Incident) (*actions.Plan, error) {
	s.mu.Lock()
	s.prepared = append(s.prepared, preparedCall{name: name, params: params, in: in})
	s.mu.Unlock()
	return s.engineActions.Prepare(ctx, name, params, in)
}

func (s *spyActions) last(t *testing.T) preparedCall {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.prepared) == 0 {
		t.Fatal("nothing was prepared")
	}
	return s.prepared[len(s.prepared)-1]
}

func newSpyActions(t *testing.T) *spyActions {
	t.Helper()
	cat, probs := actions.Load()
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	return &spyActions{engineActions: engineActions{eng: &actions.Engine{Catalogue: cat, User: "Alice", Now: fixedClock,
		LookupEnv: func(string) (string, bool) { return "", false }, Record: func(actions.Record) {}}}}
}

// runKey presses k and runs what it starts, feeding the answers (the
// preparation) back.
func runKey(t *testing.T, m Model, k string) Model {
	t.Helper()
	next, cmd := m.Update(keyMsg(k))
	m = next.(Model)
	for _, msg := range drainAnswers(cmd) {
		if _, ok := msg.(actionPrepared); ok {
			m = step(t, m, msg)
		}
	}
	return m
}

// drainAnswers runs a command tree and returns every message it answers at once.
func drainAnswers(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	select {
	case msg := <-done:
		if b, ok := msg.(tea.BatchMsg); ok {
			var out []tea.Msg
			for _, c := range b {
				out = append(out, drainAnswers(c)...)
			}
			return out
		}
		return []tea.Msg{msg}
	case <-time.After(300 * time.Millisecond):
		return nil // a timer or a stream: not an answer
	}
}

// stormIncidents: billing-worker's storm (#9, #10, #11 within two
// minutes), an auth-service incident at the same time, and a
// billing-worker incident an hour earlier.
func stormIncidents() []pagerduty.Incident {
	mk := func(id string, n uint, svc, title string, ago time.Duration) pagerduty.Incident {
		return pagerduty.Incident{ID: id, Number: n, Title: title, Status: pagerduty.StatusTriggered, Urgency: "low",
			Service: pagerduty.Ref{ID: "S-" + svc, Name: svc}, EscalationPolicy: pagerduty.Ref{ID: "PPAY", Name: "Payments on-call"},
			CreatedAt: t0.Add(-ago)}
	}
	return []pagerduty.Incident{
		mk("Q11", 11, "billing-worker", "billing-worker Kafka consumer lag on partition 11", 1*time.Minute),
		mk("Q10", 10, "billing-worker", "billing-worker Kafka consumer lag on partition 7", 2*time.Minute),
		mk("Q12", 12, "auth-service", "JWKS refresh failed twice", 2*time.Minute),
		mk("Q09", 9, "billing-worker", "billing-worker Kafka consumer lag on partition 3", 3*time.Minute),
		mk("Q02", 2, "billing-worker", "billing-worker queue depth above 1,000", time.Hour),
	}
}

func TestStormMarkedInTheListAndOverview(t *testing.T) {
	acts := newSpyActions(t)
	m := New(nil, Options{Now: fixedClock, Actions: acts})
	m = step(t, m, tea.WindowSizeMsg{Width: 120, Height: 40})
	m = step(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: stormIncidents(), at: t0})

	view := plainView(m)
	for _, n := range []string{"#9 ", "#10 ", "#11 "} {
		if !rowHas(view, n, "≈ billing-worker Kafka") {
			t.Errorf("the storm's %s is not marked:\n%s", n, view)
		}
	}
	for _, n := range []string{"#12 ", "#2 "} {
		if rowHas(view, n, "≈") {
			t.Errorf("%s is marked, but is in no storm:\n%s", n, view)
		}
	}
	// The cursor is on #11, the newest member; Overview names the storm.
	if !strings.Contains(view, "Storm      3 incidents, same service as #9 (#10, #11)") {
		t.Errorf("Overview does not name the storm:\n%s", view)
	}

	// M from #11 prepares the merge of #10 and #11 into #9, the oldest.
	m = runKey(t, m, "M")
	call := acts.last(t)
	if call.name != "merge" || call.in.ID != "Q09" || call.params["source_ids"] != "Q10,Q11" {
		t.Fatalf("M prepared %s into %s with %v, want merge of Q10,Q11 into Q09", call.name, call.in.ID, call.params)
	}
	view = plainView(m)
	if !strings.Contains(view, "Merge incidents into this one") || !strings.Contains(view, "(#9)") {
		t.Errorf("M did not open the merge's preview for #9:\n%s", view)
	}

	// Not a member: M says so and prepares nothing.
	m = New(nil, Options{Now: fixedClock, Actions: acts})
	m = step(t, m, tea.WindowSizeMsg{Width: 120, Height: 40})
	m = step(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: stormIncidents(), at: t0})
	m = press(t, m, "j", "j") // #12
	n := len(acts.prepared)
	m = runKey(t, m, "M")
	if len(acts.prepared) != n || !strings.Contains(m.status, "#12 is not part of a storm") {
		t.Errorf("M on #12: status %q, %d preparations", m.status, len(acts.prepared)-n)
	}
}

// TestStormByClassAfterTriage: incidents on different services form a
// storm once they are classified alike.
func TestStormByClassAfterTriage(t *testing.T) {
	incidents := []pagerduty.Incident{
		{ID: "QA", Number: 20, Title: "checkout-db connection pool exhausted", Status: pagerduty.StatusTriggered, Service: pagerduty.Ref{ID: "S1", Name: "checkout-db"}, CreatedAt: t0.Add(-4 * time.Minute)},
		{ID: "QB", Number: 21, Title: "orders-db replication lag above 30 s", Status: pagerduty.StatusAcknowledged, Service: pagerduty.Ref{ID: "S2", Name: "orders-db"}, CreatedAt: t0.Add(-2 * time.Minute)},
	}
	m := New(nil, Options{Now: fixedClock, Triage: triage.New(triage.DefaultRules())})
	m = step(t, m, tea.WindowSizeMsg{Width: 120, Height: 40})
	m = settle(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: incidents, at: t0})
	if view := plainView(m); !strings.Contains(view, "2 incidents, same class (database) as #20 (#21)") {
		t.Errorf("no storm by class:\n%s", view)
	}
}

// TestStormWindowFromTheClassifier: a wider storm_window joins what the
// default leaves apart (#2, an hour before the others).
func TestStormWindowFromTheClassifier(t *testing.T) {
	c, err := triage.Load(triage.Config{StormWindow: "1h"}, "config.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	m := New(nil, Options{Now: fixedClock, Triage: c})
	m = step(t, m, tea.WindowSizeMsg{Width: 120, Height: 40})
	m = step(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: stormIncidents(), at: t0})
	view := plainView(m)
	if !strings.Contains(view, "4 incidents, same service as #2 (#9, #10, #11)") || !rowHas(view, "#2 ", "≈") {
		t.Errorf("a one-hour window does not join #2:\n%s", view)
	}
}
