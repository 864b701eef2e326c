package pdemulator

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PagerDuty/go-pagerduty"
)

// PUT /incidents/{id} is how PagerDuty's own clients (the JS client, the pd
// CLI) acknowledge, resolve, reassign and escalate. go-pagerduty has no call
// for it, so these requests are raw HTTP, as those clients send them.

func TestUpdateIncidentOneAtATime(t *testing.T) {
	f := newFixture(t, Options{})
	res := f.trigger(t, TriggerOptions{Title: "checkout 5xx"})
	path := "/incidents/" + res.IncidentID
	from := map[string]string{"From": bobEmail}
	bearer := map[string]string{"From": aliceEmail, "Authorization": "Bearer " + testToken}

	steps := []struct {
		name    string
		body    string
		headers map[string]string
		check   func(t *testing.T, got map[string]any, info IncidentInfo)
	}{
		{"acknowledge", `{"incident":{"type":"incident_reference","status":"acknowledged"}}`, from, func(t *testing.T, got map[string]any, info IncidentInfo) {
			if got["status"] != "acknowledged" || info.Status != "acknowledged" {
				t.Errorf("status %v / %s", got["status"], info.Status)
			}
		}},
		{"reassign", `{"incident":{"type":"incident","assignments":[{"assignee":{"id":"` + f.carol + `","type":"user_reference"}}]}}`, from, func(t *testing.T, got map[string]any, info IncidentInfo) {
			if a := assigneeIDs(got); len(a) != 1 || a[0] != f.carol || got["status"] != "triggered" {
				t.Errorf("assignees %v status %v", a, got["status"])
			}
		}},
		{"escalate", `{"incident":{"type":"incident_reference","escalation_level":2}}`, from, func(t *testing.T, got map[string]any, info IncidentInfo) {
			if a := assigneeIDs(got); len(a) != 1 || a[0] != f.bob {
				t.Errorf("level 2 assignees %v, want bob", a)
			}
		}},
		{"urgency", `{"incident":{"type":"incident_reference","urgency":"low"}}`, from, func(t *testing.T, got map[string]any, info IncidentInfo) {
			if got["urgency"] != "low" {
				t.Errorf("urgency %v", got["urgency"])
			}
		}},
		{"priority by reference", `{"incident":{"type":"incident_reference","priority":{"id":"` + f.priorities[0] + `","type":"priority_reference"}}}`, from, func(t *testing.T, got map[string]any, info IncidentInfo) {
			if p, _ := got["priority"].(map[string]any); p["name"] != "P1" {
				t.Errorf("priority %v", got["priority"])
			}
		}},
		{"priority by name", `{"incident":{"type":"incident_reference","priority":"P3"}}`, from, func(t *testing.T, got map[string]any, info IncidentInfo) {
			if p, _ := got["priority"].(map[string]any); p["name"] != "P3" {
				t.Errorf("priority %v", got["priority"])
			}
		}},
		{"priority cleared", `{"incident":{"type":"incident_reference","priority":null}}`, from, func(t *testing.T, got map[string]any, info IncidentInfo) {
			if _, ok := got["priority"]; ok {
				t.Errorf("priority %v, want none", got["priority"])
			}
		}},
		{"title", `{"incident":{"type":"incident_reference","title":"checkout 5xx after deploy"}}`, from, func(t *testing.T, got map[string]any, info IncidentInfo) {
			if got["title"] != "checkout 5xx after deploy" {
				t.Errorf("title %v", got["title"])
			}
		}},
		{"another escalation policy", `{"incident":{"type":"incident_reference","escalation_policy":{"id":"` + f.dbEP + `","type":"escalation_policy_reference"}}}`, from, func(t *testing.T, got map[string]any, info IncidentInfo) {
			ep, _ := got["escalation_policy"].(map[string]any)
			if a := assigneeIDs(got); ep["id"] != f.dbEP || len(a) != 1 || a[0] != f.carol {
				t.Errorf("policy %v assignees %v, want the Database policy and carol", ep["id"], a)
			}
		}},
		{"resolve over OAuth", `{"incident":{"type":"incident_reference","status":"resolved","resolution":"rolled back"}}`, bearer, func(t *testing.T, got map[string]any, info IncidentInfo) {
			if got["status"] != "resolved" || info.Status != "resolved" {
				t.Errorf("status %v / %s", got["status"], info.Status)
			}
		}},
	}
	for _, st := range steps {
		r := f.do(t, "PUT", path, st.body, st.headers)
		if r.status != http.StatusOK {
			t.Fatalf("%s: status %d: %s", st.name, r.status, r.body)
		}
		got, ok := r.json(t)["incident"].(map[string]any)
		if !ok || got["id"] != res.IncidentID {
			t.Fatalf("%s: answer is not {\"incident\":{...}} for %s: %s", st.name, res.IncidentID, r.body)
		}
		info, err := f.srv.Incident(res.IncidentID)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(st.name, func(t *testing.T) { st.check(t, got, info) })
	}
	// The log names who acted, from the From header.
	var acked, resolved string
	for _, e := range f.logEntries(t, res.IncidentID) {
		switch e.Type {
		case "acknowledge_log_entry":
			acked = e.Agent.ID
		case "resolve_log_entry":
			resolved = e.Agent.ID
		}
	}
	if acked != f.bob || resolved != f.alice {
		t.Errorf("acknowledged by %q, resolved by %q; want bob and alice", acked, resolved)
	}
}

func assigneeIDs(incident map[string]any) []string {
	var out []string
	as, _ := incident["assignments"].([]any)
	for _, a := range as {
		m, _ := a.(map[string]any)
		who, _ := m["assignee"].(map[string]any)
		id, _ := who["id"].(string)
		out = append(out, id)
	}
	return out
}

// What PagerDuty refuses, the emulator refuses with its error body, and a
// refused update changes nothing.
func TestUpdateIncidentStrictness(t *testing.T) {
	f := newFixture(t, Options{})
	res := f.trigger(t, TriggerOptions{Title: "x"})
	path := "/incidents/" + res.IncidentID
	from := map[string]string{"From": aliceEmail}
	tests := []struct {
		name, method, path, body string
		headers                  map[string]string
		status                   int
		mention                  string // a word the first error line must contain
	}{
		{"no incident wrapper", "PUT", path, `{"type":"incident_reference","status":"acknowledged"}`, from, 400, "incident is required"},
		{"no type", "PUT", path, `{"incident":{"status":"acknowledged"}}`, from, 400, "incident.type"},
		{"wrong type", "PUT", path, `{"incident":{"type":"incidents","status":"acknowledged"}}`, from, 400, "incident.type"},
		{"no From", "PUT", path, `{"incident":{"type":"incident_reference","status":"acknowledged"}}`, nil, 400, "From"},
		{"From of nobody", "PUT", path, `{"incident":{"type":"incident_reference","status":"acknowledged"}}`, map[string]string{"From": "mallory@example.com"}, 400, "From"},
		{"another incident's id", "PUT", path, `{"incident":{"id":"Q999999","type":"incident_reference","status":"acknowledged"}}`, from, 400, "incident.id"},
		{"bad status", "PUT", path, `{"incident":{"type":"incident_reference","status":"closed"}}`, from, 400, "incident.status"},
		{"priority without type", "PUT", path, `{"incident":{"type":"incident_reference","priority":{"id":"` + f.priorities[0] + `"}}}`, from, 400, "incident.priority.type"},
		{"priority of no name", "PUT", path, `{"incident":{"type":"incident_reference","priority":"P9"}}`, from, 400, "P9"},
		{"assignee without id", "PUT", path, `{"incident":{"type":"incident_reference","assignments":[{"assignee":{"type":"user_reference"}}]}}`, from, 400, "assignments[0].assignee.id"},
		{"unknown policy", "PUT", path, `{"incident":{"type":"incident_reference","escalation_policy":{"id":"NOPE","type":"escalation_policy_reference"}}}`, from, 400, "escalation_policy"},
		{"unknown incident", "PUT", "/incidents/NOPE", `{"incident":{"type":"incident_reference","status":"acknowledged"}}`, from, 404, "NOPE"},
		{"POST is not an update", "POST", path, `{"incident":{"type":"incident_reference","status":"acknowledged"}}`, from, 404, "POST"},
		{"bulk item without type", "PUT", "/incidents", `{"incidents":[{"id":"` + res.IncidentID + `","type":"incident_reference","status":"acknowledged"},{"id":"` + res.IncidentID + `","status":"resolved"}]}`, from, 400, "incidents[1].type"},
		{"bulk priority without type", "PUT", "/incidents", `{"incidents":[{"id":"` + res.IncidentID + `","type":"incident","priority":{"id":"` + f.priorities[0] + `"}}]}`, from, 400, "incidents[0].priority.type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := f.do(t, tc.method, tc.path, tc.body, tc.headers)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			e := r.errorOf(t)
			wantCode := codeInvalid
			if tc.status == 404 {
				wantCode = codeNotFound
			}
			if e.Code != wantCode || e.Message == "" || len(e.Errors) == 0 || !strings.Contains(e.Errors[0], tc.mention) {
				t.Errorf("error = %+v, want code %d and a line naming %q", e, wantCode, tc.mention)
			}
		})
	}
	got := f.do(t, "GET", path, "", nil).json(t)["incident"].(map[string]any)
	if _, hasPriority := got["priority"]; got["status"] != "triggered" || hasPriority || got["urgency"] != "high" {
		t.Errorf("a refused update changed the incident: status %v priority %v", got["status"], got["priority"])
	}

	// go-pagerduty sets the type itself, so sitrep's bulk updates pass.
	resp, err := f.client.ManageIncidentsWithContext(ctx(t), aliceEmail, []pagerduty.ManageIncidentsOptions{{ID: res.IncidentID, Status: "acknowledged"}})
	if err != nil || len(resp.Incidents) != 1 || resp.Incidents[0].Status != "acknowledged" {
		t.Errorf("go-pagerduty bulk acknowledge: %+v, %v", resp, err)
	}
	var apiErr pagerduty.APIError
	_, err = f.client.ManageIncidentsWithContext(ctx(t), aliceEmail, []pagerduty.ManageIncidentsOptions{{ID: res.IncidentID, Priority: &pagerduty.APIReference{ID: "NOPE", Type: "priority_reference"}}})
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.APIError.ErrorObject.Code != codeInvalid {
		t.Errorf("go-pagerduty with an unknown priority: %v", err)
	}
}

// A slow answer to the single update still makes the change: the client
// that gave up must not assume it did not happen.
func TestUpdateIncidentUnderFaults(t *testing.T) {
	f := newFixture(t, Options{})
	res := f.trigger(t, TriggerOptions{Title: "x"})
	path := "/incidents/" + res.IncidentID
	body := `{"incident":{"type":"incident_reference","status":"acknowledged"}}`
	if err := f.srv.InjectFault(Fault{Method: "PUT", Path: "/incidents/*", Kind: FaultServerError, Status: 502}); err != nil {
		t.Fatal(err)
	}
	if r := f.do(t, "PUT", path, body, map[string]string{"From": aliceEmail}); r.status != 502 || r.errorOf(t).Code != codeInternal {
		t.Fatalf("injected 502: status %d", r.status)
	}
	if info, _ := f.srv.Incident(res.IncidentID); info.Status != "triggered" {
		t.Fatalf("a failed update changed the incident: %s", info.Status)
	}
	if err := f.srv.InjectFault(Fault{Method: "PUT", Path: "/incidents/*", Kind: FaultSlowAnswer, Delay: time.Hour}); err != nil {
		t.Fatal(err)
	}
	c, cancel := context.WithTimeout(ctx(t), 100*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(c, "PUT", f.http.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("From", aliceEmail)
	if resp, err := f.http.Client().Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("the slow answer arrived: %d", resp.StatusCode)
	}
	if info, _ := f.srv.Incident(res.IncidentID); info.Status != "acknowledged" {
		t.Errorf("after a slow answer the incident is %s; PagerDuty made the change", info.Status)
	}
	if f.srv.PendingFaults() != 0 {
		t.Errorf("%d faults still pending", f.srv.PendingFaults())
	}
	// New read endpoints take faults like the old ones.
	if err := f.srv.InjectFault(Fault{Path: "/teams/*/members", Kind: FaultRateLimit, RetryAfter: 3 * time.Second}); err != nil {
		t.Fatal(err)
	}
	_, err = f.client.ListTeamMembers(ctx(t), f.teamPay, pagerduty.ListTeamMembersOptions{})
	var apiErr pagerduty.APIError
	if !errors.As(err, &apiErr) || !apiErr.RateLimited() {
		t.Errorf("members under a rate-limit fault: %v", err)
	}
}
