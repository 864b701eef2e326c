package tui

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"sitrep/sources/pagerduty"
)

// policyBook is the policy source for model tests: it answers from a map
// and counts what it was asked, or fails with err.
type policyBook struct {
	mu       sync.Mutex
	policies map[string]pagerduty.EscalationPolicy
	err      error
	asked    []string
}

func (b *policyBook) Get(_ context.Context, id string, _ bool) (pagerduty.EscalationPolicy, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.asked = append(b.asked, id)
	if b.err != nil {
		return pagerduty.EscalationPolicy{}, b.err
	}
	p, ok := b.policies[id]
	if !ok {
		return pagerduty.EscalationPolicy{}, errors.New("get escalation policy " + id + ": 404 Not Found")
	}
	return p, nil
}

// detailBook answers detail fetches with the detail it holds for an
// incident; nothing else is asked of it here.
type detailBook struct {
	Feed
	details map[string]pagerduty.Detail
}

func (f detailBook) DetailWith(_ context.Context, id string, _ pagerduty.DetailOptions) (pagerduty.Detail, error) {
	d, ok := f.details[id]
	if !ok {
		return pagerduty.Detail{}, errors.New("no such incident " + id)
	}
	return d, nil
}

// runAll runs a command and every command it batches, stepping the model
// with each answer.
func runAll(t *testing.T, m Model, cmd tea.Cmd) Model {
	t.Helper()
	if cmd == nil {
		return m
	}
	msg := cmd()
	if batch, ok := msg.(tea.BatchMsg); ok {
		for _, c := range batch {
			m = runAll(t, m, c)
		}
		return m
	}
	return step(t, m, msg)
}

// escalationWorld is one triggered incident assigned to level 1 of a
// two-level policy two minutes before t0, with Bob on call at level 2.
func escalationWorld() (pagerduty.Incident, pagerduty.Detail, *policyBook) {
	in := fixture(1)[0]
	in.Status = pagerduty.StatusTriggered
	in.EscalationPolicy = pagerduty.Ref{ID: "EP1", Name: "Payments"}
	det := pagerduty.Detail{
		Incident: in,
		LogEntries: []pagerduty.LogEntry{
			{ID: "L2", Type: "assign_log_entry", Summary: "Assigned to Alice Chen.", At: t0.Add(-2 * time.Minute)},
			{ID: "L1", Type: "trigger_log_entry", Summary: "Triggered through the API.", At: t0.Add(-2 * time.Minute)},
		},
		OnCall: []pagerduty.OnCall{{Level: 1, User: pagerduty.Ref{ID: "U1", Name: "Alice Chen"}}, {Level: 2, User: pagerduty.Ref{ID: "U2", Name: "Bob Okafor"}}},
	}
	book := &policyBook{policies: map[string]pagerduty.EscalationPolicy{"EP1": {
		Ref: pagerduty.Ref{ID: "EP1", Name: "Payments"},
		Rules: []pagerduty.EscalationRule{
			{Delay: 6 * time.Minute, Targets: []pagerduty.Target{{Ref: pagerduty.Ref{ID: "S1", Name: "Payments primary"}, Type: "schedule_reference"}}},
			{Delay: 10 * time.Minute, Targets: []pagerduty.Target{{Ref: pagerduty.Ref{ID: "S2", Name: "Payments secondary"}, Type: "schedule_reference"}}},
		},
	}}}
	return in, det, book
}

// looked is a 120×30 cockpit at clock() that has looked at in.
func looked(t *testing.T, in pagerduty.Incident, det pagerduty.Detail, book *policyBook, clock func() time.Time) Model {
	t.Helper()
	m := New(detailBook{details: map[string]pagerduty.Detail{in.ID: det}}, Options{Now: clock, EscalationPolicies: book})
	m = step(t, m, tea.WindowSizeMsg{Width: 120, Height: 30})
	m = step(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: []pagerduty.Incident{in}, at: clock()})
	return runAll(t, m, m.fetchDetail(in, lookSettled))
}

func TestNextEscalationCountsDownInOverviewAndList(t *testing.T) {
	in, det, book := escalationWorld()
	now := t0
	clock := func() time.Time { return now }
	m := looked(t, in, det, book, clock)
	if len(book.asked) != 1 || book.asked[0] != "EP1" {
		t.Fatalf("the look asked the policy source %v, want EP1 once", book.asked)
	}

	frame := plainView(m)
	next := lineWith(frame, "Next")
	if !strings.Contains(next, "→ L2 Bob Okafor in 4m00s") {
		t.Errorf("Overview's Next line = %q, want → L2 Bob Okafor in 4m00s\n%s", next, frame)
	}
	row := lineWith(frame, "#1000")
	if !strings.Contains(row, "→ L2 Bob Oka… in 4m00s") {
		t.Errorf("the list row has no next escalation: %q", row)
	}

	// The clock's own tick moves the countdown; nothing is fetched again.
	now = t0.Add(47 * time.Second)
	m = step(t, m, clockTicked{at: now})
	frame = plainView(m)
	if next := lineWith(frame, "Next"); !strings.Contains(next, "in 3m13s") {
		t.Errorf("after 47 s the Next line = %q, want in 3m13s", next)
	}
	if row := lineWith(frame, "#1000"); !strings.Contains(row, "3m13s") {
		t.Errorf("after 47 s the list row = %q, want 3m13s", row)
	}
	now = t0.Add(4*time.Minute + time.Second)
	m = step(t, m, clockTicked{at: now})
	if next := lineWith(plainView(m), "Next"); !strings.Contains(next, "→ L2 Bob Okafor now") {
		t.Errorf("past the delay the Next line = %q, want → L2 Bob Okafor now", next)
	}
	if len(book.asked) != 1 {
		t.Errorf("the countdown asked the policy source again: %v", book.asked)
	}

	// Acknowledged (by a refresh), it escalates no more: no Next line, no
	// countdown in the list.
	acked := in
	acked.Status = pagerduty.StatusAcknowledged
	m = step(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: []pagerduty.Incident{acked}, at: now})
	det.Incident = acked
	det.LogEntries = append(det.LogEntries, pagerduty.LogEntry{ID: "L3", Type: "acknowledge_log_entry", At: now})
	m = step(t, m, detailLoaded{id: in.ID, detail: det, parts: pagerduty.AllParts, replace: true, at: now})
	frame = plainView(m)
	if next := lineWith(frame, "Next"); next != "" {
		t.Errorf("an acknowledged incident still shows %q", next)
	}
	if strings.Contains(frame, "→ L2") {
		t.Errorf("an acknowledged incident still counts down:\n%s", frame)
	}
}

func TestNextEscalationShowsWhyItIsUnknown(t *testing.T) {
	in, det, book := escalationWorld()
	book.err = errors.New("get escalation policy EP1: 503 Service Unavailable")
	m := looked(t, in, det, book, fixedClock)
	frame := plainView(m)
	next := lineWith(frame, "Next")
	if !strings.Contains(next, "next escalation unknown: get escalation policy EP1: 503") {
		t.Errorf("a failed policy fetch shows %q, want the reason\n%s", next, frame)
	}
	if row := lineWith(frame, "#1000"); strings.Contains(row, "→") {
		t.Errorf("the list counts down without a policy: %q", row)
	}

	// The next look asks again and the countdown comes back.
	book.err = nil
	m = runAll(t, m, m.fetchPolicy(in, false))
	if next := lineWith(plainView(m), "Next"); !strings.Contains(next, "→ L2 Bob Okafor in 4m00s") {
		t.Errorf("after a successful retry the Next line = %q", next)
	}
}

func TestNoNextEscalationWithoutPolicySource(t *testing.T) {
	in, det, _ := escalationWorld()
	m := New(detailBook{details: map[string]pagerduty.Detail{in.ID: det}}, Options{Now: fixedClock})
	m = step(t, m, tea.WindowSizeMsg{Width: 120, Height: 30})
	m = step(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: []pagerduty.Incident{in}, at: t0})
	m = runAll(t, m, m.fetchDetail(in, lookSettled))
	if next := lineWith(plainView(m), "Next"); next != "" {
		t.Errorf("without a policy source Overview shows %q", next)
	}
}

func TestNextColumnKeepsTheCountdown(t *testing.T) {
	bob := []pagerduty.Target{{Ref: pagerduty.Ref{ID: "U2", Name: "Bob Okafor"}, Type: "user_reference"}}
	long := []pagerduty.Target{{Ref: pagerduty.Ref{ID: "U3", Name: "Maximilian Oppenheimer-Fitzgerald"}, Type: "user_reference"}}
	at := t0.Add(4*time.Minute + 12*time.Second)
	for _, tc := range []struct {
		name string
		e    pagerduty.Escalation
		want string
	}{
		{"fits", pagerduty.Escalation{At: t0.Add(42 * time.Second), Level: 2, Targets: bob}, "→ L2 Bob Okafor in 42s"},
		{"name cut", pagerduty.Escalation{At: at, Level: 2, Targets: long}, "→ L2 Maximil… in 4m12s"},
		{"repeat dropped", pagerduty.Escalation{At: t0.Add(42 * time.Second), Level: 1, Targets: bob, Repeat: 1, NumLoops: 2}, "→ L1 Bob Okafor in 42s"},
		{"due", pagerduty.Escalation{At: t0.Add(-time.Second), Level: 2, Targets: long}, "→ L2 Maximilian O… now"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := fitEscalation(tc.e, t0, nextWidth)
			if got != tc.want {
				t.Errorf("fitEscalation = %q, want %q", got, tc.want)
			}
			if w := ansi.StringWidth(got); w > nextWidth {
				t.Errorf("%q is %d cells, more than the column's %d", got, w, nextWidth)
			}
		})
	}
}
