package pdemulator

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PagerDuty/go-pagerduty"
)

// listAll pages through /incidents the way a client must: by offset until
// more is false.
func listAll(t *testing.T, f *fixture, o pagerduty.ListIncidentsOptions) []pagerduty.Incident {
	t.Helper()
	var all []pagerduty.Incident
	for pages := 0; ; pages++ {
		if pages > 200 {
			t.Fatal("paging did not terminate: more never became false")
		}
		resp, err := f.client.ListIncidentsWithContext(ctx(t), o)
		if err != nil {
			t.Fatalf("ListIncidents(%+v): %v", o, err)
		}
		if resp.Limit == 0 {
			t.Fatal("list response did not echo limit")
		}
		all = append(all, resp.Incidents...)
		if !resp.More {
			return all
		}
		o.Offset = resp.Offset + resp.Limit
	}
}

func TestListIncidentsPagesThroughThousand(t *testing.T) {
	f := newFixture(t, Options{})
	for i := range 1000 {
		svc := f.payments
		if i%3 == 0 {
			svc = f.database
		}
		f.trigger(t, TriggerOptions{ServiceID: svc, Title: fmt.Sprintf("incident %d", i), At: epoch.Add(-time.Duration(1000-i) * time.Minute)})
	}
	tests := []struct {
		name  string
		limit uint
		pages int
	}{
		{"default limit", 0, 40},
		{"limit 100", 100, 10},
		{"limit above max is capped", 500, 10},
		{"odd limit", 33, 31},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.srv.ResetRequests()
			all := listAll(t, f, pagerduty.ListIncidentsOptions{Limit: tc.limit, DateRange: "all"})
			if len(all) != 1000 {
				t.Fatalf("got %d incidents, want 1000", len(all))
			}
			seen := map[string]bool{}
			for i, in := range all {
				if seen[in.ID] {
					t.Fatalf("incident %s listed twice", in.ID)
				}
				seen[in.ID] = true
				if in.IncidentNumber != uint(i+1) {
					t.Fatalf("incident %d has number %d; default order is creation order", i, in.IncidentNumber)
				}
			}
			if got := len(f.srv.Requests()); got != tc.pages {
				t.Errorf("paging took %d requests, want %d", got, tc.pages)
			}
		})
	}

	resp, err := f.client.ListIncidentsWithContext(ctx(t), pagerduty.ListIncidentsOptions{DateRange: "all", Total: true, Limit: 10, Offset: 995})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Total != 1000 || resp.More || len(resp.Incidents) != 5 || resp.Offset != 995 || resp.Limit != 10 {
		t.Errorf("last page: total=%d more=%v n=%d offset=%d limit=%d", resp.Total, resp.More, len(resp.Incidents), resp.Offset, resp.Limit)
	}
	raw := f.do(t, "GET", "/incidents?date_range=all&limit=1", "", nil).json(t)
	if _, ok := raw["total"]; ok {
		t.Error("total present without total=true")
	}
	for _, k := range []string{"limit", "offset", "more"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("list response lacks %q", k)
		}
	}
}

func TestListIncidentsFilters(t *testing.T) {
	f := newFixture(t, Options{})
	a := f.trigger(t, TriggerOptions{Title: "pay high", At: epoch.Add(-3 * time.Hour)})
	b := f.trigger(t, TriggerOptions{Title: "pay low", Urgency: "low", At: epoch.Add(-2 * time.Hour)})
	c := f.trigger(t, TriggerOptions{ServiceID: f.database, Title: "db high", At: epoch.Add(-time.Hour)})
	old := f.trigger(t, TriggerOptions{ServiceID: f.database, Title: "ancient", At: epoch.AddDate(0, -3, 0)})
	if err := f.srv.Acknowledge(b.IncidentID, f.bob); err != nil {
		t.Fatal(err)
	}
	if err := f.srv.Resolve(old.IncidentID, ""); err != nil {
		t.Fatal(err)
	}
	ids := func(list []pagerduty.Incident) []string {
		var out []string
		for _, in := range list {
			out = append(out, in.ID)
		}
		return out
	}
	tests := []struct {
		name string
		opts pagerduty.ListIncidentsOptions
		want []string
	}{
		{"default window is 30 days", pagerduty.ListIncidentsOptions{}, []string{a.IncidentID, b.IncidentID, c.IncidentID}},
		{"date_range all", pagerduty.ListIncidentsOptions{DateRange: "all"}, []string{old.IncidentID, a.IncidentID, b.IncidentID, c.IncidentID}},
		{"statuses", pagerduty.ListIncidentsOptions{Statuses: []string{"triggered"}}, []string{a.IncidentID, c.IncidentID}},
		{"two statuses", pagerduty.ListIncidentsOptions{DateRange: "all", Statuses: []string{"acknowledged", "resolved"}}, []string{old.IncidentID, b.IncidentID}},
		{"user_ids", pagerduty.ListIncidentsOptions{UserIDs: []string{f.carol}}, []string{c.IncidentID}},
		{"team_ids", pagerduty.ListIncidentsOptions{TeamIDs: []string{f.teamPay}}, []string{a.IncidentID, b.IncidentID}},
		{"service_ids", pagerduty.ListIncidentsOptions{DateRange: "all", ServiceIDs: []string{f.database}}, []string{old.IncidentID, c.IncidentID}},
		{"urgencies", pagerduty.ListIncidentsOptions{Urgencies: []string{"low"}}, []string{b.IncidentID}},
		{"since until", pagerduty.ListIncidentsOptions{Since: formatTime(epoch.Add(-150 * time.Minute)), Until: formatTime(epoch.Add(-time.Hour))}, []string{b.IncidentID}},
		{"created_at desc", pagerduty.ListIncidentsOptions{SortBy: "created_at:desc"}, []string{c.IncidentID, b.IncidentID, a.IncidentID}},
		{"urgency desc then created", pagerduty.ListIncidentsOptions{SortBy: "urgency:desc,created_at:desc"}, []string{c.IncidentID, a.IncidentID, b.IncidentID}},
		{"urgency asc", pagerduty.ListIncidentsOptions{SortBy: "urgency:asc"}, []string{b.IncidentID, a.IncidentID, c.IncidentID}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ids(listAll(t, f, tc.opts))
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestListIncidentsIncludesExpand(t *testing.T) {
	f := newFixture(t, Options{})
	f.trigger(t, TriggerOptions{Title: "expand me", PriorityID: f.priorities[0]})
	tests := []struct {
		include string
		check   func(m map[string]any) error
	}{
		{"assignees", func(m map[string]any) error {
			a := m["assignments"].([]any)[0].(map[string]any)["assignee"].(map[string]any)
			if a["type"] != "user" || a["email"] != aliceEmail {
				return fmt.Errorf("assignee not expanded: %v", a)
			}
			return nil
		}},
		{"services", func(m map[string]any) error {
			s := m["service"].(map[string]any)
			if s["type"] != "service" || s["name"] != "payment-gateway" {
				return fmt.Errorf("service not expanded: %v", s)
			}
			return nil
		}},
		{"teams", func(m map[string]any) error {
			tm := m["teams"].([]any)[0].(map[string]any)
			if tm["type"] != "team" || tm["name"] != "Payments" {
				return fmt.Errorf("team not expanded: %v", tm)
			}
			return nil
		}},
		{"escalation_policies", func(m map[string]any) error {
			ep := m["escalation_policy"].(map[string]any)
			if ep["type"] != "escalation_policy" || len(ep["escalation_rules"].([]any)) != 3 {
				return fmt.Errorf("policy not expanded: %v", ep)
			}
			return nil
		}},
		{"priorities", func(m map[string]any) error {
			p := m["priority"].(map[string]any)
			if p["name"] != "P1" || p["type"] != "priority" {
				return fmt.Errorf("priority wrong: %v", p)
			}
			return nil
		}},
		{"first_trigger_log_entries", func(m map[string]any) error {
			e := m["first_trigger_log_entry"].(map[string]any)
			if e["type"] != "trigger_log_entry" || e["channel"].(map[string]any)["type"] != "api" {
				return fmt.Errorf("first trigger not expanded: %v", e)
			}
			return nil
		}},
	}
	for _, tc := range tests {
		t.Run(tc.include, func(t *testing.T) {
			body := f.do(t, "GET", "/incidents?include[]="+tc.include, "", nil).json(t)
			inc := body["incidents"].([]any)[0].(map[string]any)
			if err := tc.check(inc); err != nil {
				t.Error(err)
			}
		})
	}
	// Without includes the same fields are references.
	inc := f.do(t, "GET", "/incidents", "", nil).json(t)["incidents"].([]any)[0].(map[string]any)
	for _, k := range []string{"service", "escalation_policy"} {
		if typ := inc[k].(map[string]any)["type"].(string); !strings.HasSuffix(typ, "_reference") {
			t.Errorf("%s type = %q without include, want a reference", k, typ)
		}
	}
	// The real client decodes the expanded form too.
	resp, err := f.client.ListIncidentsWithContext(ctx(t), pagerduty.ListIncidentsOptions{Includes: []string{"assignees", "services", "teams", "escalation_policies", "priorities", "first_trigger_log_entries"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Incidents[0].FirstTriggerLogEntry.Type; got != "trigger_log_entry" {
		t.Errorf("client sees first trigger log entry type %q", got)
	}
}

// agentOf names who a log entry credits, for readable assertions.
func agentOf(e pagerduty.LogEntry) string { return e.Agent.Type + ":" + e.Agent.Summary }

func TestIncidentLifecycleThroughClient(t *testing.T) {
	f := newFixture(t, Options{})
	res := f.trigger(t, TriggerOptions{Title: "Error rate above 5%", PriorityID: f.priorities[1], DedupKey: "payments-5xx",
		Alert: AlertDetails{Source: "prometheus", Details: map[string]any{"rate": 0.07}}})

	in, err := f.client.GetIncidentWithContext(ctx(t), res.IncidentID)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		field     string
		got, want any
	}{
		{"status", in.Status, "triggered"},
		{"html_url", in.HTMLURL, DefaultWebURL + "/incidents/" + res.IncidentID},
		{"incident_key", in.IncidentKey, "payments-5xx"},
		{"summary", in.Summary, "[#1] Error rate above 5%"},
		{"urgency", in.Urgency, "high"},
		{"priority", in.Priority.Summary, "P2"},
		{"teams", len(in.Teams), 1},
		{"escalation_policy", in.EscalationPolicy.ID, f.paymentsEP},
		{"service", in.Service.ID, f.payments},
		{"assignee", in.Assignments[0].Assignee.ID, f.alice},
		{"alert_counts", in.AlertCounts.Triggered, uint(1)},
		{"last_status_change_by", in.LastStatusChangeBy.Type, "service_reference"},
		{"last_status_change_at", in.LastStatusChangeAt, formatTime(epoch)},
		{"self", strings.HasPrefix(in.Self, f.http.URL), true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("trigger: %s = %v, want %v", c.field, c.got, c.want)
		}
	}
	wantTypes := []string{"trigger_log_entry", "assign_log_entry", "notify_log_entry"}
	entries := f.logEntries(t, res.IncidentID)
	var types []string
	for _, e := range entries {
		types = append(types, e.Type)
	}
	if !slices.Equal(types, wantTypes) {
		t.Fatalf("after trigger log types = %v, want %v", types, wantTypes)
	}
	if entries[0].Agent.Type != "service_reference" || entries[0].Channel.Type != "api" {
		t.Errorf("trigger entry agent %v channel %q", entries[0].Agent, entries[0].Channel.Type)
	}

	lvl2 := uint(2)
	steps := []struct {
		name      string
		from      string
		update    pagerduty.ManageIncidentsOptions
		status    string
		assignee  string
		wantType  string
		wantAgent string
		summary   string
	}{
		{"acknowledge", aliceEmail, pagerduty.ManageIncidentsOptions{Status: "acknowledged"}, "acknowledged", f.alice,
			"acknowledge_log_entry", "user_reference:Alice Example", "Acknowledged by Alice Example."},
		{"reassign", aliceEmail, pagerduty.ManageIncidentsOptions{Assignments: []pagerduty.Assignee{{Assignee: pagerduty.APIObject{ID: f.carol, Type: "user_reference"}}}}, "triggered", f.carol,
			"assign_log_entry", "user_reference:Alice Example", "Assigned to Carol Example by Alice Example."},
		{"escalate", carolEmail, pagerduty.ManageIncidentsOptions{EscalationLevel: lvl2}, "triggered", f.bob,
			"escalate_log_entry", "user_reference:Carol Example", "Escalated to level 2 by Carol Example: Bob Example."},
		{"resolve", bobEmail, pagerduty.ManageIncidentsOptions{Status: "resolved"}, "resolved", "",
			"resolve_log_entry", "user_reference:Bob Example", "Resolved by Bob Example."},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			f.clock.Advance(time.Minute)
			st.update.ID = res.IncidentID
			resp, err := f.client.ManageIncidentsWithContext(ctx(t), st.from, []pagerduty.ManageIncidentsOptions{st.update})
			if err != nil {
				t.Fatalf("ManageIncidents: %v", err)
			}
			if len(resp.Incidents) != 1 || resp.Incidents[0].Status != st.status {
				t.Fatalf("response incidents = %+v, want one with status %s", resp.Incidents, st.status)
			}
			got := resp.Incidents[0]
			if st.assignee == "" && len(got.Assignments) != 0 {
				t.Errorf("assignments = %v, want none", got.Assignments)
			}
			if st.assignee != "" && (len(got.Assignments) != 1 || got.Assignments[0].Assignee.ID != st.assignee) {
				t.Errorf("assignments = %v, want %s", got.Assignments, st.assignee)
			}
			if got.LastStatusChangeAt != formatTime(f.clock.Now()) {
				t.Errorf("last_status_change_at = %s, want %s", got.LastStatusChangeAt, formatTime(f.clock.Now()))
			}
			entries := f.logEntries(t, res.IncidentID)
			var last *pagerduty.LogEntry
			for i := len(entries) - 1; i >= 0; i-- {
				if entries[i].Type != "notify_log_entry" {
					last = &entries[i]
					break
				}
			}
			if last.Type != st.wantType || agentOf(*last) != st.wantAgent || last.Summary != st.summary {
				t.Errorf("last entry = %s by %s %q, want %s by %s %q", last.Type, agentOf(*last), last.Summary, st.wantType, st.wantAgent, st.summary)
			}
			if last.Channel.Type != "api" || last.CreatedAt != formatTime(f.clock.Now()) {
				t.Errorf("last entry channel %q at %s", last.Channel.Type, last.CreatedAt)
			}
		})
	}
	in, err = f.client.GetIncidentWithContext(ctx(t), res.IncidentID)
	if err != nil {
		t.Fatal(err)
	}
	if in.ResolvedAt == "" || in.AlertCounts.Resolved != 1 {
		t.Errorf("resolved incident: resolved_at=%q alert_counts=%+v", in.ResolvedAt, in.AlertCounts)
	}
	// The request log saw every acknowledgement with its From header.
	var puts []Request
	for _, r := range f.srv.Requests() {
		if r.Method == http.MethodPut && r.Path == "/incidents" {
			puts = append(puts, r)
		}
	}
	if len(puts) != 4 || puts[0].From != aliceEmail || puts[0].Status != http.StatusOK {
		t.Errorf("recorded PUTs = %+v", puts)
	}
}

func TestLogEntriesOverviewAndPaging(t *testing.T) {
	f := newFixture(t, Options{})
	res := f.trigger(t, TriggerOptions{Title: "noisy"})
	for i := range 30 {
		if _, err := f.srv.AddNote(res.IncidentID, f.alice, fmt.Sprintf("note %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	all := f.logEntries(t, res.IncidentID)
	if len(all) != 33 {
		t.Fatalf("got %d entries, want 33 (trigger, assign, notify, 30 notes)", len(all))
	}
	resp, err := f.client.ListIncidentLogEntriesWithContext(ctx(t), res.IncidentID, pagerduty.ListIncidentLogEntriesOptions{IsOverview: true, Limit: 100, Total: true})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Total != 32 {
		t.Errorf("overview total = %d, want 32 (no notify entry)", resp.Total)
	}
	for _, e := range resp.LogEntries {
		if e.Type == "notify_log_entry" {
			t.Error("overview contains a notify entry")
		}
	}
	if resp.LogEntries[0].Type != "annotate_log_entry" {
		t.Errorf("newest entry first: got %s", resp.LogEntries[0].Type)
	}
	body := f.do(t, "GET", "/incidents/"+res.IncidentID+"/log_entries?include[]=incidents&include[]=channels&limit=1&offset=32", "", nil).json(t)
	e := body["log_entries"].([]any)[0].(map[string]any)
	if e["incident"].(map[string]any)["type"] != "incident" {
		t.Errorf("include[]=incidents did not expand: %v", e["incident"])
	}
	if e["channel"].(map[string]any)["incident_key"] == nil {
		t.Errorf("include[]=channels did not give the full channel: %v", e["channel"])
	}
}

func TestSnoozeNeedsFromAndExpires(t *testing.T) {
	f := newFixture(t, Options{})
	res := f.trigger(t, TriggerOptions{Title: "snooze me"})
	path := "/incidents/" + res.IncidentID + "/snooze"

	// go-pagerduty v1.8.0 sends no From header here; PagerDuty refuses that.
	_, err := f.client.SnoozeIncidentWithContext(ctx(t), res.IncidentID, 3600)
	var apiErr pagerduty.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusBadRequest {
		t.Fatalf("client snooze without From: err = %v, want a 400 APIError", err)
	}
	if !strings.Contains(strings.Join(apiErr.APIError.ErrorObject.Errors, " "), "From") {
		t.Errorf("error does not name the From header: %+v", apiErr.APIError.ErrorObject)
	}

	tests := []struct {
		name   string
		before func()
		body   string
		from   string
		status int
	}{
		{"triggered incidents cannot be snoozed", nil, `{"duration":3600}`, aliceEmail, http.StatusBadRequest},
		{"missing duration", nil, `{}`, aliceEmail, http.StatusBadRequest},
		{"unknown From", nil, `{"duration":3600}`, "nobody@example.com", http.StatusBadRequest},
		{"acknowledged incident snoozes", func() {
			if err := f.srv.Acknowledge(res.IncidentID, f.alice); err != nil {
				t.Fatal(err)
			}
		}, `{"duration":3600}`, aliceEmail, http.StatusCreated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.before != nil {
				tc.before()
			}
			r := f.do(t, "POST", path, tc.body, map[string]string{"From": tc.from})
			if r.status != tc.status {
				t.Fatalf("status = %d, want %d: %s", r.status, tc.status, r.body)
			}
		})
	}
	in, err := f.client.GetIncidentWithContext(ctx(t), res.IncidentID)
	if err != nil {
		t.Fatal(err)
	}
	wantUntil := formatTime(epoch.Add(time.Hour))
	if in.Status != "acknowledged" || len(in.PendingActions) != 1 || in.PendingActions[0].At != wantUntil {
		t.Fatalf("snoozed incident: status %s pending %+v", in.Status, in.PendingActions)
	}
	entries := f.logEntries(t, res.IncidentID)
	if last := entries[len(entries)-1]; last.Type != "snooze_log_entry" || last.Agent.ID != f.alice {
		t.Errorf("last entry after snooze = %s by %s", last.Type, last.Agent.ID)
	}

	f.clock.Advance(59 * time.Minute)
	if in, _ = f.client.GetIncidentWithContext(ctx(t), res.IncidentID); in.Status != "acknowledged" {
		t.Fatalf("status before expiry = %s", in.Status)
	}
	f.clock.Advance(2 * time.Minute)
	if in, _ = f.client.GetIncidentWithContext(ctx(t), res.IncidentID); in.Status != "triggered" || len(in.Acknowledgements) != 0 {
		t.Fatalf("after expiry status = %s acks = %v", in.Status, in.Acknowledgements)
	}
	entries = f.logEntries(t, res.IncidentID)
	last := entries[len(entries)-1]
	if last.Type != "unacknowledge_log_entry" || last.CreatedAt != wantUntil || last.Channel.Type != "timeout" {
		t.Errorf("expiry entry = %s at %s via %q, want unacknowledge_log_entry at %s via timeout", last.Type, last.CreatedAt, last.Channel.Type, wantUntil)
	}
}

func TestMergeThroughClient(t *testing.T) {
	f := newFixture(t, Options{})
	target := f.trigger(t, TriggerOptions{Title: "target"})
	src := f.trigger(t, TriggerOptions{Title: "source"})
	got, err := f.client.MergeIncidentsWithContext(ctx(t), aliceEmail, target.IncidentID, []pagerduty.MergeIncidentsOptions{{ID: src.IncidentID, Type: "incident_reference"}})
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != target.IncidentID {
		t.Errorf("merge answered %s, want the target %s", got.ID, target.IncidentID)
	}
	alerts, err := f.client.ListIncidentAlertsWithContext(ctx(t), target.IncidentID, pagerduty.ListIncidentAlertsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts.Alerts) != 2 {
		t.Errorf("target has %d alerts after merge, want 2", len(alerts.Alerts))
	}
	source, err := f.client.GetIncidentWithContext(ctx(t), src.IncidentID)
	if err != nil {
		t.Fatal(err)
	}
	if source.Status != "resolved" || source.ResolveReason.Type != "merge_resolve_reason" || source.ResolveReason.Incident.ID != target.IncidentID {
		t.Errorf("source after merge: status %s reason %+v", source.Status, source.ResolveReason)
	}
	entries := f.logEntries(t, src.IncidentID)
	if last := entries[len(entries)-1]; last.Type != "resolve_log_entry" || last.Agent.ID != f.alice {
		t.Errorf("source's last entry = %s by %s", last.Type, last.Agent.ID)
	}
	tests := []struct {
		name, body, from string
		status           int
	}{
		{"no From", `{"source_incidents":[{"id":"` + src.IncidentID + `"}]}`, "", http.StatusBadRequest},
		{"resolved source", `{"source_incidents":[{"id":"` + src.IncidentID + `"}]}`, aliceEmail, http.StatusBadRequest},
		{"target as source", `{"source_incidents":[{"id":"` + target.IncidentID + `"}]}`, aliceEmail, http.StatusBadRequest},
		{"unknown source", `{"source_incidents":[{"id":"NOPE"}]}`, aliceEmail, http.StatusBadRequest},
		{"empty", `{"source_incidents":[]}`, aliceEmail, http.StatusBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := f.do(t, "PUT", "/incidents/"+target.IncidentID+"/merge", tc.body, map[string]string{"From": tc.from})
			if r.status != tc.status {
				t.Errorf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
		})
	}
}

func TestNotesThroughClient(t *testing.T) {
	f := newFixture(t, Options{})
	res := f.trigger(t, TriggerOptions{Title: "notes"})
	f.clock.Advance(5 * time.Minute)
	n, err := f.client.CreateIncidentNoteWithContext(ctx(t), res.IncidentID, pagerduty.IncidentNote{
		Content: "Restarted the gateway", User: pagerduty.APIObject{Summary: bobEmail},
	})
	if err != nil {
		t.Fatal(err)
	}
	if n.ID == "" || n.User.ID != f.bob || n.CreatedAt != formatTime(epoch.Add(5*time.Minute)) {
		t.Errorf("created note = %+v", n)
	}
	if _, err := f.srv.AddNote(res.IncidentID, f.alice, "Looking"); err != nil {
		t.Fatal(err)
	}
	notes, err := f.client.ListIncidentNotesWithContext(ctx(t), res.IncidentID)
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != 2 || notes[0].Content != "Restarted the gateway" || notes[1].User.Summary != "Alice Example" {
		t.Errorf("notes = %+v", notes)
	}
	entries := f.logEntries(t, res.IncidentID)
	var annotations []string
	for _, e := range entries {
		if e.Type == "annotate_log_entry" {
			annotations = append(annotations, e.Agent.ID+":"+e.Channel.Type)
		}
	}
	if want := []string{f.bob + ":api", f.alice + ":website"}; !slices.Equal(annotations, want) {
		t.Errorf("annotate entries = %v, want %v", annotations, want)
	}
	// The client sends the note's user summary as From; without it, 400.
	_, err = f.client.CreateIncidentNoteWithContext(ctx(t), res.IncidentID, pagerduty.IncidentNote{Content: "anonymous"})
	var apiErr pagerduty.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusBadRequest {
		t.Errorf("note without From: %v, want 400", err)
	}
}

func TestAlertsDeduplicateAndCountRetries(t *testing.T) {
	f := newFixture(t, Options{})
	first := f.trigger(t, TriggerOptions{Title: "link flapping", DedupKey: "net-check", Alert: AlertDetails{Summary: "ping loss 40%"}})
	var last TriggerResult
	for i := range 4 {
		f.clock.Advance(time.Minute)
		last = f.trigger(t, TriggerOptions{Title: "link flapping", DedupKey: "net-check", Alert: AlertDetails{Summary: "ping loss 40%"}})
		if !last.Deduplicated || last.IncidentID != first.IncidentID || last.Occurrences != i+2 {
			t.Fatalf("retry %d: %+v", i, last)
		}
	}
	other := f.trigger(t, TriggerOptions{Title: "link flapping", DedupKey: "net-check", Alert: AlertDetails{Summary: "ping loss 90%"}})
	if other.AlertID == first.AlertID || other.IncidentID != first.IncidentID {
		t.Errorf("a different alert on the same key: %+v", other)
	}
	resp, err := f.client.ListIncidentAlertsWithContext(ctx(t), first.IncidentID, pagerduty.ListIncidentAlertsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Alerts) != 2 || resp.Limit == 0 {
		t.Fatalf("alerts = %d (limit %d), want 2", len(resp.Alerts), resp.Limit)
	}
	if occ := resp.Alerts[0].Body["occurrences"]; occ != float64(5) {
		t.Errorf("alert body occurrences = %v, want 5", occ)
	}
	in, err := f.client.GetIncidentWithContext(ctx(t), first.IncidentID)
	if err != nil {
		t.Fatal(err)
	}
	if in.Occurrence == nil || in.Occurrence.Count != 6 || in.AlertCounts.All != 2 {
		t.Errorf("incident occurrence = %+v alert_counts = %+v", in.Occurrence, in.AlertCounts)
	}
	infos, err := f.srv.Alerts(first.IncidentID)
	if err != nil || infos[0].Occurrences != 5 {
		t.Errorf("Alerts() = %+v, %v", infos, err)
	}
	// Once resolved, the same key opens a new incident.
	if err := f.srv.Resolve(first.IncidentID, ""); err != nil {
		t.Fatal(err)
	}
	again := f.trigger(t, TriggerOptions{Title: "link flapping", DedupKey: "net-check"})
	if again.Deduplicated || again.IncidentID == first.IncidentID {
		t.Errorf("trigger after resolve: %+v", again)
	}
	resolved, err := f.client.ListIncidentAlertsWithContext(ctx(t), first.IncidentID, pagerduty.ListIncidentAlertsOptions{Statuses: []string{"resolved"}})
	if err != nil || len(resolved.Alerts) != 2 {
		t.Errorf("resolved alerts: %v, %v", resolved, err)
	}
}

func TestDirectoryEndpointsThroughClient(t *testing.T) {
	f := newFixture(t, Options{})
	f.trigger(t, TriggerOptions{Title: "make payments critical"})
	t.Run("current user", func(t *testing.T) {
		u, err := f.client.GetCurrentUserWithContext(ctx(t), pagerduty.GetCurrentUserOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if u.ID != f.alice || u.Email != aliceEmail || u.Timezone != "Europe/Berlin" || len(u.Teams) != 1 {
			t.Errorf("current user = %+v", u)
		}
	})
	t.Run("escalation policy", func(t *testing.T) {
		ep, err := f.client.GetEscalationPolicyWithContext(ctx(t), f.paymentsEP, &pagerduty.GetEscalationPolicyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if ep.Name != "Payments" || len(ep.EscalationRules) != 3 || ep.EscalationRules[0].Targets[0].Type != "schedule_reference" ||
			ep.EscalationRules[1].Targets[0].ID != f.bob || len(ep.Services) != 1 {
			t.Errorf("policy = %+v", ep)
		}
		_, err = f.client.GetEscalationPolicyWithContext(ctx(t), "NOPE", &pagerduty.GetEscalationPolicyOptions{})
		var apiErr pagerduty.APIError
		if !errors.As(err, &apiErr) || !apiErr.NotFound() {
			t.Errorf("unknown policy: %v", err)
		}
	})
	t.Run("services", func(t *testing.T) {
		resp, err := f.client.ListServicesWithContext(ctx(t), pagerduty.ListServiceOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Services) != 2 || resp.Services[0].Status != "critical" || resp.Services[1].Status != "active" {
			t.Errorf("services = %+v", resp.Services)
		}
		all, err := f.client.ListServicesPaginated(ctx(t), pagerduty.ListServiceOptions{Limit: 1, TeamIDs: []string{f.teamData}})
		if err != nil || len(all) != 1 || all[0].ID != f.database {
			t.Errorf("paginated services by team = %+v, %v", all, err)
		}
	})
	t.Run("teams", func(t *testing.T) {
		resp, err := f.client.ListTeamsWithContext(ctx(t), pagerduty.ListTeamOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Teams) != 2 || resp.Teams[0].Name != "Payments" {
			t.Errorf("teams = %+v", resp.Teams)
		}
	})
	t.Run("priorities", func(t *testing.T) {
		resp, err := f.client.ListPrioritiesWithContext(ctx(t), pagerduty.ListPrioritiesOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, p := range resp.Priorities {
			names = append(names, p.Name)
		}
		if !slices.Equal(names, []string{"P1", "P2", "P3", "P4", "P5"}) {
			t.Errorf("priorities = %v", names)
		}
	})
}

func TestOnCallsThroughClient(t *testing.T) {
	f := newFixture(t, Options{})
	tests := []struct {
		name string
		opts pagerduty.ListOnCallOptions
		want []string
	}{
		{"all now", pagerduty.ListOnCallOptions{}, []string{f.alice, f.bob, f.carol}},
		{"by policy", pagerduty.ListOnCallOptions{EscalationPolicyIDs: []string{f.dbEP}}, []string{f.carol}},
		{"by user", pagerduty.ListOnCallOptions{UserIDs: []string{f.bob}}, []string{f.bob}},
		{"after alice's shift", pagerduty.ListOnCallOptions{Since: formatTime(epoch.Add(13 * time.Hour)), Until: formatTime(epoch.Add(14 * time.Hour))}, []string{f.bob, f.carol}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := f.client.ListOnCallsWithContext(ctx(t), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, oc := range resp.OnCalls {
				got = append(got, oc.User.ID)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("on-call users = %v, want %v", got, tc.want)
			}
		})
	}
	resp, err := f.client.ListOnCallsWithContext(ctx(t), pagerduty.ListOnCallOptions{UserIDs: []string{f.alice}})
	if err != nil {
		t.Fatal(err)
	}
	oc := resp.OnCalls[0]
	if oc.Schedule.ID != f.primary || oc.EscalationLevel != 1 || oc.Start != formatTime(epoch.Add(-time.Hour)) || oc.EscalationPolicy.ID != f.paymentsEP {
		t.Errorf("alice's on-call = %+v", oc)
	}
}

func TestChangeEventsRawHTTP(t *testing.T) {
	f := newFixture(t, Options{})
	add := func(svc, summary string, at time.Time) string {
		t.Helper()
		id, err := f.srv.AddChangeEvent(ChangeEvent{ServiceID: svc, Summary: summary, Source: "deployer", Timestamp: at,
			Links: []Link{{Href: "https://ci.example.com/1", Text: "build"}}, CustomDetails: map[string]any{"version": "1.2.3"}})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	stale := add(f.payments, "deploy 1.2.2", epoch.Add(-3*time.Hour))
	deploy := add(f.payments, "deploy 1.2.3", epoch.Add(-20*time.Minute))
	dbChange := add(f.database, "vacuum", epoch.Add(-10*time.Minute))
	after := add(f.payments, "deploy 1.2.4", epoch.Add(time.Hour))
	inc := f.trigger(t, TriggerOptions{Title: "5xx spike"})

	ids := func(body map[string]any) []string {
		var out []string
		for _, c := range body["change_events"].([]any) {
			out = append(out, c.(map[string]any)["id"].(string))
		}
		return out
	}
	tests := []struct {
		name, path string
		want       []string
	}{
		{"all newest first", "/change_events", []string{after, dbChange, deploy, stale}},
		{"since until", "/change_events?since=" + formatTime(epoch.Add(-time.Hour)) + "&until=" + formatTime(epoch), []string{dbChange, deploy}},
		{"paged", "/change_events?limit=1&offset=1", []string{dbChange}},
		{"by team", "/change_events?team_ids[]=" + f.teamData, []string{dbChange}},
		{"related to incident", "/incidents/" + inc.IncidentID + "/related_change_events", []string{deploy}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := f.do(t, "GET", tc.path, "", nil)
			if r.status != http.StatusOK {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			if got := ids(r.json(t)); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	rel := f.do(t, "GET", "/incidents/"+inc.IncidentID+"/related_change_events", "", nil).json(t)
	c := rel["change_events"].([]any)[0].(map[string]any)
	if c["correlation_reason"].(map[string]any)["reason"] != "related_service" || c["custom_details"].(map[string]any)["version"] != "1.2.3" {
		t.Errorf("related change = %v", c)
	}
}

func TestResponderRequestsThroughClient(t *testing.T) {
	f := newFixture(t, Options{})
	res := f.trigger(t, TriggerOptions{Title: "orders failing"})
	f.clock.Advance(3 * time.Minute)
	target := func(id, typ string) []pagerduty.ResponderRequestTargetWrapper {
		return []pagerduty.ResponderRequestTargetWrapper{{Target: pagerduty.ResponderRequestTarget{APIObject: pagerduty.APIObject{ID: id, Type: typ}}}}
	}
	resp, err := f.client.ResponderRequestWithContext(ctx(t), res.IncidentID, pagerduty.ResponderRequestOptions{
		From: aliceEmail, RequesterID: f.alice, Message: "need DB help", Targets: target(f.carol, "user_reference"),
	})
	if err != nil {
		t.Fatal(err)
	}
	rr := resp.ResponderRequest
	if rr.Incident.ID != res.IncidentID || rr.Requester.ID != f.alice || rr.Message != "need DB help" || len(rr.Targets) != 1 {
		t.Fatalf("responder request = %+v", rr)
	}
	if tg := rr.Targets[0].Target; tg.ID != f.carol || len(tg.Responders) != 1 || tg.Responders[0].State != "pending" || tg.Responders[0].Requester.ID != f.alice {
		t.Errorf("target = %+v", tg)
	}
	info, err := f.srv.Incident(res.IncidentID)
	if err != nil || !slices.Equal(info.ResponderIDs, []string{f.carol}) || !slices.Equal(info.AssigneeIDs, []string{f.alice}) {
		t.Errorf("after the request: responders %v assignees %v (%v); a pending responder is not an assignee", info.ResponderIDs, info.AssigneeIDs, err)
	}
	in, err := f.client.GetIncidentWithContext(ctx(t), res.IncidentID)
	if err != nil {
		t.Fatal(err)
	}
	if len(in.IncidentResponders) != 1 || in.IncidentResponders[0].User.ID != f.carol || in.IncidentResponders[0].Message != "need DB help" {
		t.Errorf("incidents_responders = %+v", in.IncidentResponders)
	}
	entries := f.logEntries(t, res.IncidentID)
	var types []string
	for _, e := range entries[len(entries)-2:] {
		types = append(types, e.Type)
	}
	if want := []string{"responder_request_log_entry", "notify_log_entry"}; !slices.Equal(types, want) {
		t.Fatalf("newest entries = %v, want %v", types, want)
	}
	e := entries[len(entries)-2]
	if agentOf(e) != "user_reference:Alice Example" || e.Summary != "Alice Example requested Carol Example to respond: need DB help" ||
		e.Channel.Type != "api" || e.CreatedAt != formatTime(f.clock.Now()) {
		t.Errorf("request entry = %s %q via %s at %s", agentOf(e), e.Summary, e.Channel.Type, e.CreatedAt)
	}
	if n := entries[len(entries)-1]; n.User.ID != f.carol {
		t.Errorf("notified %q, want carol", n.User.ID)
	}

	resolved := f.trigger(t, TriggerOptions{Title: "already fixed"})
	if err := f.srv.Resolve(resolved.IncidentID, ""); err != nil {
		t.Fatal(err)
	}
	body := func(requester, targetID, typ string) string {
		return `{"requester_id":"` + requester + `","message":"help","responder_request_targets":[{"responder_request_target":{"id":"` + targetID + `","type":"` + typ + `"}}]}`
	}
	path := "/incidents/" + res.IncidentID + "/responder_requests"
	tests := []struct {
		name, path, body, from string
		status                 int
		mention                string // in the error details
	}{
		{"no From", path, body(f.alice, f.bob, "user_reference"), "", http.StatusBadRequest, "From"},
		{"unknown From", path, body(f.alice, f.bob, "user_reference"), "nobody@example.com", http.StatusBadRequest, "From"},
		{"unknown target", path, body(f.alice, "PNOBODY", "user_reference"), aliceEmail, http.StatusBadRequest, "responder_request_targets[0].responder_request_target.id"},
		{"unknown requester", path, body("PNOBODY", f.bob, "user_reference"), aliceEmail, http.StatusBadRequest, "requester_id"},
		{"no requester", path, `{"message":"help","responder_request_targets":[{"responder_request_target":{"id":"` + f.bob + `","type":"user_reference"}}]}`, aliceEmail, http.StatusBadRequest, "requester_id"},
		{"no message", path, `{"requester_id":"` + f.alice + `","responder_request_targets":[{"responder_request_target":{"id":"` + f.bob + `","type":"user_reference"}}]}`, aliceEmail, http.StatusBadRequest, "message"},
		{"no targets", path, `{"requester_id":"` + f.alice + `","message":"help","responder_request_targets":[]}`, aliceEmail, http.StatusBadRequest, "responder_request_targets"},
		{"bare target", path, `{"requester_id":"` + f.alice + `","message":"help","responder_request_targets":[{"id":"` + f.bob + `","type":"user_reference"}]}`, aliceEmail, http.StatusBadRequest, "responder_request_target"},
		{"policy target", path, body(f.alice, f.dbEP, "escalation_policy_reference"), aliceEmail, http.StatusBadRequest, "type"},
		{"resolved incident", "/incidents/" + resolved.IncidentID + "/responder_requests", body(f.alice, f.bob, "user_reference"), aliceEmail, http.StatusBadRequest, "resolved"},
		{"unknown incident", "/incidents/NOPE/responder_requests", body(f.alice, f.bob, "user_reference"), aliceEmail, http.StatusNotFound, "NOPE"},
		{"GET is not routed", path, "", aliceEmail, http.StatusNotFound, "no such endpoint"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method := "POST"
			if tc.body == "" {
				method = "GET"
			}
			r := f.do(t, method, tc.path, tc.body, map[string]string{"From": tc.from})
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if e := r.errorOf(t); !strings.Contains(strings.Join(e.Errors, " "), tc.mention) {
				t.Errorf("errors %q do not mention %q", e.Errors, tc.mention)
			}
		})
	}
	if n := len(f.logEntries(t, res.IncidentID)); n != len(entries) {
		t.Errorf("refused requests wrote log entries: %d, want %d", n, len(entries))
	}
	var posts []Request
	for _, r := range f.srv.Requests() {
		if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/responder_requests") {
			posts = append(posts, r)
		}
	}
	if len(posts) != 12 || posts[0].From != aliceEmail || posts[0].Status != http.StatusOK || posts[1].Status != http.StatusBadRequest {
		t.Errorf("recorded responder requests = %+v", posts)
	}
}

func TestStatusUpdatesThroughClient(t *testing.T) {
	f := newFixture(t, Options{})
	res := f.trigger(t, TriggerOptions{Title: "checkout slow"})
	f.clock.Advance(time.Minute)
	u, err := f.client.CreateIncidentStatusUpdate(ctx(t), res.IncidentID, bobEmail, "rolled back; watching")
	if err != nil {
		t.Fatal(err)
	}
	if u.ID == "" || u.Message != "rolled back; watching" || u.Sender.ID != f.bob || u.CreatedAt != formatTime(f.clock.Now()) {
		t.Errorf("status update = %+v", u)
	}
	entries := f.logEntries(t, res.IncidentID)
	last := entries[len(entries)-1]
	if last.Type != "status_update_log_entry" || agentOf(last) != "user_reference:Bob Example" ||
		last.Summary != "Status update from Bob Example: rolled back; watching" || last.Channel.Type != "api" {
		t.Errorf("last entry = %s by %s %q via %s", last.Type, agentOf(last), last.Summary, last.Channel.Type)
	}
	// A closing update after the fix is allowed: PagerDuty documents no
	// refusal for resolved incidents.
	if err := f.srv.Resolve(res.IncidentID, f.bob); err != nil {
		t.Fatal(err)
	}
	if _, err := f.client.CreateIncidentStatusUpdate(ctx(t), res.IncidentID, bobEmail, "resolved; postmortem Friday"); err != nil {
		t.Errorf("status update on a resolved incident: %v", err)
	}
	path := "/incidents/" + res.IncidentID + "/status_updates"
	tests := []struct {
		name, path, body, from string
		status                 int
		mention                string
	}{
		{"no From", path, `{"message":"x"}`, "", http.StatusBadRequest, "From"},
		{"no message", path, `{}`, aliceEmail, http.StatusBadRequest, "message"},
		{"blank message", path, `{"message":"  "}`, aliceEmail, http.StatusBadRequest, "message"},
		{"subject without html", path, `{"message":"x","subject":"s"}`, aliceEmail, http.StatusBadRequest, "html_message"},
		{"unknown incident", "/incidents/NOPE/status_updates", `{"message":"x"}`, aliceEmail, http.StatusNotFound, "NOPE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := f.do(t, "POST", tc.path, tc.body, map[string]string{"From": tc.from})
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if e := r.errorOf(t); !strings.Contains(strings.Join(e.Errors, " "), tc.mention) {
				t.Errorf("errors %q do not mention %q", e.Errors, tc.mention)
			}
		})
	}
	var statuses []int
	for _, r := range f.srv.Requests() {
		if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/status_updates") {
			statuses = append(statuses, r.Status)
		}
	}
	if fmt.Sprint(statuses) != "[200 200 400 400 400 400 404]" {
		t.Errorf("recorded status update statuses = %v", statuses)
	}
}

func TestResponderAndStatusUpdateGoAPI(t *testing.T) {
	f := newFixture(t, Options{})
	res := f.trigger(t, TriggerOptions{Title: "scripted"})
	if err := f.srv.RequestResponders(res.IncidentID, f.alice, "join the bridge", f.bob, f.carol, f.bob); err != nil {
		t.Fatal(err)
	}
	if err := f.srv.RequestResponders(res.IncidentID, f.alice, "x", "PNOBODY"); err == nil {
		t.Error("an unknown responder was accepted")
	}
	if err := f.srv.PostStatusUpdate(res.IncidentID, f.alice, "mitigated"); err != nil {
		t.Fatal(err)
	}
	info, err := f.srv.Incident(res.IncidentID)
	if err != nil || !slices.Equal(info.ResponderIDs, []string{f.bob, f.carol}) {
		t.Errorf("responders = %v (%v), want bob then carol once each", info.ResponderIDs, err)
	}
	entries := f.logEntries(t, res.IncidentID)
	var got []string
	for _, e := range entries {
		if e.Type == "responder_request_log_entry" || e.Type == "status_update_log_entry" {
			got = append(got, e.Summary+" via "+e.Channel.Type)
		}
	}
	want := []string{"Alice Example requested Bob Example, Carol Example to respond: join the bridge via website", "Status update from Alice Example: mitigated via website"}
	if !slices.Equal(got, want) {
		t.Errorf("entries = %q, want %q", got, want)
	}
}
