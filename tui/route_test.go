package tui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"sitrep/actions/triage"
	"sitrep/sources/pagerduty"
)

// routeIncidents: #30 a database incident with Checkout, #31 a database
// incident with the Database team already, #32 a network incident.
func routeIncidents() []pagerduty.Incident {
	mk := func(id string, n uint, svc, title, policy string, ago time.Duration) pagerduty.Incident {
		return pagerduty.Incident{ID: id, Number: n, Title: title, Status: pagerduty.StatusTriggered, Urgency: "high",
			Service: pagerduty.Ref{ID: "S-" + svc, Name: svc}, EscalationPolicy: pagerduty.Ref{ID: policy, Name: policy + " on-call"},
			CreatedAt: t0.Add(-ago)}
	}
	return []pagerduty.Incident{
		mk("Q30", 30, "checkout-api", "checkout-api connection pool exhausted", "PCHK", 40*time.Minute),
		mk("Q31", 31, "orders-db", "orders-db replication lag above 30 s", "PDB1234", 20*time.Minute),
		mk("Q32", 32, "edge-proxy", "Health check failing: edge-proxy /healthz", "PEDGE", 2*time.Hour),
	}
}

func routingModel(t *testing.T, acts Actions, policies EscalationPolicies) Model {
	t.Helper()
	c, err := triage.Load(triage.Config{Classes: map[string]triage.ClassConfig{
		"database": {Route: &triage.RouteConfig{EscalationPolicy: "PDB1234"}},
	}}, "config.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	m := New(nil, Options{Now: fixedClock, Triage: c, Actions: acts, EscalationPolicies: policies})
	m = step(t, m, tea.WindowSizeMsg{Width: 120, Height: 40})
	return settleRoutes(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: routeIncidents(), at: t0})
}

// settleRoutes is settle that also feeds back the policies fetched.
func settleRoutes(t *testing.T, m Model, msg tea.Msg) Model {
	t.Helper()
	queue := []tea.Msg{msg}
	for len(queue) > 0 {
		next, cmd := m.Update(queue[0])
		m = next.(Model)
		queue = queue[1:]
		for _, a := range drainAnswers(cmd) {
			switch a.(type) {
			case triaged, policyLoaded:
				queue = append(queue, a)
			}
		}
	}
	return m
}

// TestRouteSuggestedOnlyWhereThePolicyDiffers: Overview suggests the
// route of a database incident with another policy, with its why, and not
// for one with the Database team already or of a class without a route.
func TestRouteSuggestedOnlyWhereThePolicyDiffers(t *testing.T) {
	book := &policyBook{policies: map[string]pagerduty.EscalationPolicy{"PDB1234": {Ref: pagerduty.Ref{ID: "PDB1234", Name: "Database team"}}}}
	acts := newSpyActions(t)
	m := routingModel(t, acts, book)
	// The suggestion's policy name is fetched once, then drawn.
	view := plainView(m)
	if !strings.Contains(view, "Route      → Database team — press T") || !strings.Contains(view, "class database: ") {
		t.Errorf("#30's Overview does not suggest the Database team with the why:\n%s", view)
	}
	if len(book.asked) != 1 {
		t.Errorf("the policy's name was asked %d times, want once: %v", len(book.asked), book.asked)
	}

	m = runKey(t, m, "T")
	call := acts.last(t)
	if call.name != "route" || call.in.ID != "Q30" || call.params["escalation_policy_id"] != "PDB1234" ||
		!strings.HasPrefix(call.params["message"], "Routed by sitrep to escalation policy Database team (PDB1234): class database: ") {
		t.Fatalf("T prepared %s for %s with %v", call.name, call.in.ID, call.params)
	}
	if view := plainView(m); !strings.Contains(view, "Route to an escalation policy") || !strings.Contains(view, "(#30)") {
		t.Errorf("T did not open the route's preview:\n%s", view)
	}

	for _, tc := range []struct {
		keys           []string
		number, status string
	}{
		{[]string{"j"}, "#31", "#31 is with Database team already, where class database belongs"},
		{[]string{"j", "j"}, "#32", "class network names no route"},
	} {
		m := routingModel(t, acts, book)
		for _, k := range tc.keys {
			m = settleRoutes(t, m, keyMsg(k))
		}
		if view := plainView(m); strings.Contains(view, "Route  ") {
			t.Errorf("%s's Overview suggests a route:\n%s", tc.number, view)
		}
		n := len(acts.prepared)
		m = runKey(t, m, "T")
		if len(acts.prepared) != n || !strings.Contains(m.status, tc.status) {
			t.Errorf("T on %s: status %q, want %q; %d preparations", tc.number, m.status, tc.status, len(acts.prepared)-n)
		}
	}
}

// TestRouteNoteIsOneCleanLine: the why comes from outside text; the note
// carries no control character and fits the built-in's message pattern.
func TestRouteNoteIsOneCleanLine(t *testing.T) {
	s := routeSuggestion{route: triage.Route{Class: "database", EscalationPolicy: "PDB1234"},
		why: triage.Classification{Class: "database", Rule: "database", Evidence: []string{"title \x1b[31mred\x1b[0m\nnext\tline " + strings.Repeat("x", 2000)}}}
	note := routeNote(s)
	if strings.ContainsFunc(note, func(r rune) bool { return r < 0x20 || r == 0x7f }) || len([]rune(note)) > maxRouteNote {
		t.Errorf("note %q", note)
	}
	if !strings.HasPrefix(note, "Routed by sitrep to escalation policy PDB1234 (PDB1234): class database: title red next line") {
		t.Errorf("note %q", note[:100])
	}
}
