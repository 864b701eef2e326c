package pdemulator

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/PagerDuty/go-pagerduty"
)

// The directory endpoints other PagerDuty clients start with, through the
// real client over HTTP.

func TestUsersThroughClient(t *testing.T) {
	f := newFixture(t, Options{})
	resp, err := f.client.ListUsersWithContext(ctx(t), pagerduty.ListUsersOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var emails []string
	for _, u := range resp.Users {
		emails = append(emails, u.Email)
	}
	if !slices.Equal(emails, []string{aliceEmail, bobEmail, carolEmail}) {
		t.Errorf("users = %v", emails)
	}
	// Paged by one, filtered by team: the client's own paging loop ends.
	var paged []string
	for offset := uint(0); ; {
		r, err := f.client.ListUsersWithContext(ctx(t), pagerduty.ListUsersOptions{Limit: 1, Offset: offset, TeamIDs: []string{f.teamPay}})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range r.Users {
			paged = append(paged, u.ID)
		}
		if !r.More {
			break
		}
		offset = r.Offset + r.Limit
	}
	if !slices.Equal(paged, []string{f.alice, f.bob}) {
		t.Errorf("Payments users paged by one = %v, want alice and bob", paged)
	}
	byEmail, err := f.client.ListUsersWithContext(ctx(t), pagerduty.ListUsersOptions{Query: "carol@"})
	if err != nil || len(byEmail.Users) != 1 || byEmail.Users[0].ID != f.carol {
		t.Errorf("query by email = %+v, %v", byEmail, err)
	}
	withTeams, err := f.client.ListUsersWithContext(ctx(t), pagerduty.ListUsersOptions{Query: "Alice", Includes: []string{"teams"}})
	if err != nil || len(withTeams.Users) != 1 || len(withTeams.Users[0].Teams) != 1 || withTeams.Users[0].Teams[0].Name != "Payments" {
		t.Errorf("include[]=teams = %+v, %v", withTeams, err)
	}

	u, err := f.client.GetUserWithContext(ctx(t), f.bob, pagerduty.GetUserOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != f.bob || u.Name != "Bob Example" || u.Type != "user" || u.Timezone != "Etc/UTC" {
		t.Errorf("user = %+v", u)
	}
	_, err = f.client.GetUserWithContext(ctx(t), "NOPE", pagerduty.GetUserOptions{})
	var apiErr pagerduty.APIError
	if !errors.As(err, &apiErr) || !apiErr.NotFound() {
		t.Errorf("unknown user: %v", err)
	}
	// /users/me is still the token's owner, not a user called "me".
	me, err := f.client.GetCurrentUserWithContext(ctx(t), pagerduty.GetCurrentUserOptions{})
	if err != nil || me.ID != f.alice {
		t.Errorf("current user = %+v, %v", me, err)
	}
}

func TestTeamAndMembersThroughClient(t *testing.T) {
	f := newFixture(t, Options{})
	team, err := f.client.GetTeamWithContext(ctx(t), f.teamPay)
	if err != nil {
		t.Fatal(err)
	}
	if team.ID != f.teamPay || team.Name != "Payments" || team.Description != "Money in, money out" {
		t.Errorf("team = %+v", team)
	}
	members, err := f.client.ListTeamMembers(ctx(t), f.teamPay, pagerduty.ListTeamMembersOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range members.Members {
		ids = append(ids, m.User.ID)
		if m.User.Type != "user_reference" || m.Role == "" {
			t.Errorf("member = %+v", m)
		}
	}
	if !slices.Equal(ids, []string{f.alice, f.bob}) {
		t.Errorf("Payments members = %v, want alice and bob", ids)
	}
	all, err := f.client.ListTeamMembersPaginated(ctx(t), f.teamData)
	if err != nil || len(all) != 1 || all[0].User.ID != f.carol {
		t.Errorf("Data members paginated = %+v, %v", all, err)
	}
	var apiErr pagerduty.APIError
	if _, err := f.client.GetTeamWithContext(ctx(t), "NOPE"); !errors.As(err, &apiErr) || !apiErr.NotFound() {
		t.Errorf("unknown team: %v", err)
	}
	if _, err := f.client.ListTeamMembers(ctx(t), "NOPE", pagerduty.ListTeamMembersOptions{}); !errors.As(err, &apiErr) || !apiErr.NotFound() {
		t.Errorf("members of an unknown team: %v", err)
	}
	// include[]=users expands the references.
	r := f.do(t, "GET", "/teams/"+f.teamData+"/members?include[]=users", "", nil)
	m := r.json(t)["members"].([]any)[0].(map[string]any)["user"].(map[string]any)
	if m["type"] != "user" || m["email"] != carolEmail {
		t.Errorf("expanded member = %v", m)
	}
}

func TestServiceAndPoliciesThroughClient(t *testing.T) {
	f := newFixture(t, Options{})
	f.trigger(t, TriggerOptions{Title: "make payments critical"})
	sv, err := f.client.GetServiceWithContext(ctx(t), f.payments, &pagerduty.GetServiceOptions{Includes: []string{"teams"}})
	if err != nil {
		t.Fatal(err)
	}
	if sv.ID != f.payments || sv.Name != "payment-gateway" || sv.Status != "critical" || sv.EscalationPolicy.ID != f.paymentsEP ||
		len(sv.Teams) != 1 || sv.Teams[0].Name != "Payments" {
		t.Errorf("service = %+v", sv)
	}
	var apiErr pagerduty.APIError
	if _, err := f.client.GetServiceWithContext(ctx(t), "NOPE", nil); !errors.As(err, &apiErr) || !apiErr.NotFound() {
		t.Errorf("unknown service: %v", err)
	}

	names := func(o pagerduty.ListEscalationPoliciesOptions) []string {
		t.Helper()
		resp, err := f.client.ListEscalationPoliciesWithContext(ctx(t), o)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range resp.EscalationPolicies {
			out = append(out, p.Name)
		}
		return out
	}
	tests := []struct {
		name string
		o    pagerduty.ListEscalationPoliciesOptions
		want []string
	}{
		{"all, by name", pagerduty.ListEscalationPoliciesOptions{}, []string{"Database", "Payments"}},
		{"by name descending", pagerduty.ListEscalationPoliciesOptions{SortBy: "name:desc"}, []string{"Payments", "Database"}},
		{"query", pagerduty.ListEscalationPoliciesOptions{Query: "pay"}, []string{"Payments"}},
		{"team", pagerduty.ListEscalationPoliciesOptions{TeamIDs: []string{f.teamPay}}, []string{"Payments"}},
		{"direct target", pagerduty.ListEscalationPoliciesOptions{UserIDs: []string{f.carol}}, []string{"Database", "Payments"}},
		{"on call through a schedule", pagerduty.ListEscalationPoliciesOptions{UserIDs: []string{f.alice}}, []string{"Payments"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := names(tc.o); !slices.Equal(got, tc.want) {
				t.Errorf("policies = %v, want %v", got, tc.want)
			}
		})
	}
	r := f.do(t, "GET", "/escalation_policies?sort_by=created_at", "", nil)
	if e := r.errorOf(t); r.status != 400 || e.Code != codeInvalid || len(e.Errors) == 0 {
		t.Errorf("bad sort_by: %d %+v", r.status, e)
	}
}

func TestAccountLogEntriesThroughClient(t *testing.T) {
	f := newFixture(t, Options{})
	pay := f.trigger(t, TriggerOptions{Title: "payments down"})
	f.clock.Advance(time.Minute)
	db := f.trigger(t, TriggerOptions{Title: "db slow", ServiceID: f.database})
	f.clock.Advance(time.Minute)
	if err := f.srv.Acknowledge(pay.IncidentID, f.alice); err != nil {
		t.Fatal(err)
	}

	list := func(o pagerduty.ListLogEntriesOptions) []pagerduty.LogEntry {
		t.Helper()
		var all []pagerduty.LogEntry
		for {
			resp, err := f.client.ListLogEntriesWithContext(ctx(t), o)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, resp.LogEntries...)
			if !resp.More {
				return all
			}
			o.Offset = resp.Offset + resp.Limit
		}
	}
	all := list(pagerduty.ListLogEntriesOptions{Limit: 2})
	if len(all) != len(f.logEntries(t, pay.IncidentID))+len(f.logEntries(t, db.IncidentID)) {
		t.Fatalf("account log has %d entries, not the sum of both incidents'", len(all))
	}
	if all[0].Type != "acknowledge_log_entry" || all[0].Incident.ID != pay.IncidentID {
		t.Errorf("newest entry = %s on %s, want the acknowledgement", all[0].Type, all[0].Incident.ID)
	}
	for i := 1; i < len(all); i++ {
		if all[i].CreatedAt > all[i-1].CreatedAt {
			t.Errorf("entry %d (%s) is newer than entry %d (%s): not newest first", i, all[i].CreatedAt, i-1, all[i-1].CreatedAt)
		}
	}
	// since/until bound the window; until is exclusive.
	window := list(pagerduty.ListLogEntriesOptions{
		Since: epoch.Add(30 * time.Second).Format(time.RFC3339), Until: epoch.Add(90 * time.Second).Format(time.RFC3339),
	})
	if len(window) == 0 {
		t.Fatal("no entries in the window of the second trigger")
	}
	for _, e := range window {
		if e.Incident.ID != db.IncidentID {
			t.Errorf("entry %s of %s is outside the window", e.Type, e.Incident.ID)
		}
	}
	data := list(pagerduty.ListLogEntriesOptions{TeamIDs: []string{f.teamData}, IsOverview: true})
	if len(data) != 2 || data[0].Type != "assign_log_entry" || data[1].Type != "trigger_log_entry" {
		var types []string
		for _, e := range data {
			types = append(types, e.Type)
		}
		t.Errorf("Data team overview = %v, want the assign and trigger of the database incident", types)
	}

	one, err := f.client.GetLogEntryWithContext(ctx(t), all[0].ID, pagerduty.GetLogEntryOptions{})
	if err != nil || one.ID != all[0].ID || one.Type != "acknowledge_log_entry" {
		t.Errorf("GetLogEntry = %+v, %v", one, err)
	}
	var apiErr pagerduty.APIError
	if _, err := f.client.GetLogEntryWithContext(ctx(t), "NOPE", pagerduty.GetLogEntryOptions{}); !errors.As(err, &apiErr) || !apiErr.NotFound() {
		t.Errorf("unknown log entry: %v", err)
	}
	for _, q := range []string{"?limit=x", "?since=yesterday", "?time_zone=Mars/Olympus", "?since=2026-03-14T04:00:00Z&until=2026-03-14T03:00:00Z", "?include[]=notes"} {
		r := f.do(t, "GET", "/log_entries"+q, "", nil)
		if r.status != 400 || r.errorOf(t).Code != codeInvalid {
			t.Errorf("GET /log_entries%s: status %d, want 400 code 2001: %s", q, r.status, r.body)
		}
	}
}

// An OAuth client sends "Authorization: Bearer"; the same token works, a
// wrong one is PagerDuty's 401.
func TestOAuthBearerThroughClient(t *testing.T) {
	f := newFixture(t, Options{})
	oauth := pagerduty.NewClient(testToken, pagerduty.WithOAuth(), pagerduty.WithAPIEndpoint(f.http.URL))
	if _, err := oauth.ListIncidentsWithContext(ctx(t), pagerduty.ListIncidentsOptions{}); err != nil {
		t.Fatalf("bearer token refused: %v", err)
	}
	if got := f.srv.Requests()[0]; got.Status != 200 {
		t.Errorf("recorded status %d", got.Status)
	}
	bad := pagerduty.NewClient("wrong", pagerduty.WithOAuth(), pagerduty.WithAPIEndpoint(f.http.URL))
	_, err := bad.GetCurrentUserWithContext(ctx(t), pagerduty.GetCurrentUserOptions{})
	var apiErr pagerduty.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 401 || apiErr.APIError.ErrorObject.Code != codeAuth {
		t.Errorf("wrong bearer token: %#v", err)
	}
	// An empty server token accepts nothing, in either form.
	open := newFixture(t, Options{})
	open.srv.opts.Token = ""
	for _, h := range []string{"Bearer ", "Token token="} {
		if r := open.do(t, "GET", "/incidents", "", map[string]string{"Authorization": h}); r.status != 401 {
			t.Errorf("%q against an empty token: status %d", h, r.status)
		}
	}
}
