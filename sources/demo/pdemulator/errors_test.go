package pdemulator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PagerDuty/go-pagerduty"
)

func TestAuthentication(t *testing.T) {
	f := newFixture(t, Options{})
	tests := []struct {
		name   string
		header string
		status int
	}{
		{"no header", "", http.StatusUnauthorized},
		{"wrong token", "Token token=nope", http.StatusUnauthorized},
		{"wrong bearer token", "Bearer nope", http.StatusUnauthorized},
		{"bearer without a token", "Bearer", http.StatusUnauthorized},
		{"token scheme without token=", "Token " + testToken, http.StatusUnauthorized},
		{"OAuth bearer token", "Bearer " + testToken, http.StatusOK},
		{"right token", "Token token=" + testToken, http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{"Authorization": tc.header}
			r := f.do(t, "GET", "/incidents", "", h)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d", r.status, tc.status)
			}
			if tc.status == http.StatusUnauthorized {
				if e := r.errorOf(t); e.Code != 2006 {
					t.Errorf("error code %d, want 2006", e.Code)
				}
			}
		})
	}
	// Through the client, the failure is a typed APIError.
	bad := pagerduty.NewClient("wrong", pagerduty.WithAPIEndpoint(f.http.URL))
	_, err := bad.ListIncidentsWithContext(ctx(t), pagerduty.ListIncidentsOptions{})
	var apiErr pagerduty.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 401 || apiErr.APIError.ErrorObject.Code != 2006 {
		t.Errorf("client error = %#v", err)
	}
}

func TestFromHeaderRequired(t *testing.T) {
	f := newFixture(t, Options{})
	res := f.trigger(t, TriggerOptions{Title: "x"})
	body := `{"incidents":[{"id":"` + res.IncidentID + `","type":"incident_reference","status":"acknowledged"}]}`
	tests := []struct {
		name, method, path, body, from string
	}{
		{"manage without From", "PUT", "/incidents", body, ""},
		{"manage with unknown From", "PUT", "/incidents", body, "mallory@example.com"},
		{"note without From", "POST", "/incidents/" + res.IncidentID + "/notes", `{"note":{"content":"hi"}}`, ""},
		{"snooze without From", "POST", "/incidents/" + res.IncidentID + "/snooze", `{"duration":60}`, ""},
		{"merge without From", "PUT", "/incidents/" + res.IncidentID + "/merge", `{"source_incidents":[{"id":"X"}]}`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := f.do(t, tc.method, tc.path, tc.body, map[string]string{"From": tc.from})
			if r.status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", r.status, r.body)
			}
			if e := r.errorOf(t); e.Code != codeInvalid || !strings.Contains(e.Errors[0], "From") {
				t.Errorf("error = %+v, want code 2001 naming From", e)
			}
		})
	}
	if info, _ := f.srv.Incident(res.IncidentID); info.Status != "triggered" {
		t.Errorf("a refused request changed the incident: %s", info.Status)
	}
}

func TestBulkLimit(t *testing.T) {
	f := newFixture(t, Options{})
	var ids []string
	for i := range 251 {
		ids = append(ids, f.trigger(t, TriggerOptions{Title: fmt.Sprint("bulk ", i)}).IncidentID)
	}
	update := func(n int) []pagerduty.ManageIncidentsOptions {
		out := make([]pagerduty.ManageIncidentsOptions, n)
		for i := range out {
			out[i] = pagerduty.ManageIncidentsOptions{ID: ids[i], Status: "acknowledged"}
		}
		return out
	}
	tests := []struct {
		n      int
		status int
	}{{251, 400}, {250, 200}}
	for _, tc := range tests {
		t.Run(strconv.Itoa(tc.n), func(t *testing.T) {
			resp, err := f.client.ManageIncidentsWithContext(ctx(t), aliceEmail, update(tc.n))
			if tc.status == 200 {
				if err != nil || len(resp.Incidents) != tc.n {
					t.Fatalf("bulk of %d: %v", tc.n, err)
				}
				return
			}
			var apiErr pagerduty.APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != tc.status {
				t.Fatalf("bulk of %d: err %v, want status %d", tc.n, err, tc.status)
			}
			if !strings.Contains(apiErr.APIError.ErrorObject.Errors[0], "250") {
				t.Errorf("message does not name the limit: %v", apiErr.APIError.ErrorObject.Errors)
			}
		})
	}
	if info, _ := f.srv.Incident(ids[250]); info.Status != "triggered" {
		t.Errorf("the refused bulk update changed incident 251: %s", info.Status)
	}
}

func TestRateLimit(t *testing.T) {
	f := newFixture(t, Options{RateLimit: 3, RateWindow: time.Minute})
	for i := range 3 {
		r := f.do(t, "GET", "/priorities", "", nil)
		if r.status != 200 {
			t.Fatalf("request %d: status %d", i, r.status)
		}
		if got := r.header.Get("ratelimit-remaining"); got != strconv.Itoa(2-i) {
			t.Errorf("request %d: ratelimit-remaining %q", i, got)
		}
	}
	f.clock.Advance(15 * time.Second)
	r := f.do(t, "GET", "/priorities", "", nil)
	if r.status != http.StatusTooManyRequests {
		t.Fatalf("4th request: status %d, want 429", r.status)
	}
	if e := r.errorOf(t); e.Code != 2020 {
		t.Errorf("429 code %d, want 2020", e.Code)
	}
	wantHeaders := map[string]string{"ratelimit-limit": "3", "ratelimit-remaining": "0", "ratelimit-reset": "45"}
	for k, v := range wantHeaders {
		if got := r.header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	_, err := f.client.ListPrioritiesWithContext(ctx(t), pagerduty.ListPrioritiesOptions{})
	var apiErr pagerduty.APIError
	if !errors.As(err, &apiErr) || !apiErr.RateLimited() {
		t.Errorf("client sees %v, want a rate-limited APIError", err)
	}
	f.clock.Advance(45 * time.Second)
	if r := f.do(t, "GET", "/priorities", "", nil); r.status != 200 {
		t.Errorf("after the window: status %d", r.status)
	}
}

func TestFaultInjection(t *testing.T) {
	tests := []struct {
		name  string
		fault Fault
		check func(t *testing.T, r rawResponse, err error)
	}{
		{"server error default 503", Fault{Kind: FaultServerError}, func(t *testing.T, r rawResponse, err error) {
			if r.status != 503 || r.errorOf(t).Message == "" {
				t.Errorf("status %d body %s", r.status, r.body)
			}
		}},
		{"server error 502", Fault{Kind: FaultServerError, Status: 502}, func(t *testing.T, r rawResponse, err error) {
			if r.status != 502 {
				t.Errorf("status %d", r.status)
			}
		}},
		{"rate limit burst", Fault{Kind: FaultRateLimit, RetryAfter: 7 * time.Second}, func(t *testing.T, r rawResponse, err error) {
			if r.status != 429 || r.header.Get("ratelimit-reset") != "7" || r.header.Get("ratelimit-remaining") != "0" || r.header.Get("ratelimit-limit") == "" {
				t.Errorf("status %d headers %v", r.status, r.header)
			}
			if r.errorOf(t).Code != 2020 {
				t.Errorf("code %d", r.errorOf(t).Code)
			}
		}},
		{"truncated body", Fault{Kind: FaultTruncated}, func(t *testing.T, r rawResponse, err error) {
			if err == nil {
				t.Fatalf("reading a truncated body succeeded: %s", r.body)
			}
			if !strings.HasPrefix(string(r.body), `{"incidents":[`) {
				t.Errorf("truncated body does not start like the real one: %.40s", r.body)
			}
			if json.Valid(r.body) {
				t.Error("truncated body is valid JSON")
			}
		}},
		{"malformed JSON", Fault{Kind: FaultMalformedJSON}, func(t *testing.T, r rawResponse, err error) {
			if r.status != 200 || json.Valid(r.body) || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
				t.Errorf("status %d valid %v", r.status, json.Valid(r.body))
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, Options{})
			f.trigger(t, TriggerOptions{Title: "target"})
			tc.fault.Method, tc.fault.Path, tc.fault.Times = "GET", "/incidents", 2
			if err := f.srv.InjectFault(tc.fault); err != nil {
				t.Fatal(err)
			}
			// Other paths are untouched.
			if r := f.do(t, "GET", "/priorities", "", nil); r.status != 200 {
				t.Fatalf("unrelated path got %d", r.status)
			}
			for i := range 2 {
				r, err := rawGet(t, f, "/incidents")
				tc.check(t, r, err)
				if t.Failed() {
					t.Fatalf("application %d failed", i+1)
				}
			}
			if r := f.do(t, "GET", "/incidents", "", nil); r.status != 200 || !json.Valid(r.body) {
				t.Errorf("after the fault was used up: status %d", r.status)
			}
			if n := f.srv.PendingFaults(); n != 0 {
				t.Errorf("%d fault applications still pending", n)
			}
		})
	}
}

// rawGet is f.do but returns read errors instead of failing, for faults that
// break the body.
func rawGet(t *testing.T, f *fixture, path string) (rawResponse, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx(t), "GET", f.http.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Token token="+testToken)
	resp, err := f.http.Client().Do(req)
	if err != nil {
		return rawResponse{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return rawResponse{status: resp.StatusCode, header: resp.Header, body: data}, err
}

func TestFaultLatencyHonoursClientDeadline(t *testing.T) {
	f := newFixture(t, Options{})
	if err := f.srv.InjectFault(Fault{Path: "/incidents", Kind: FaultLatency, Delay: time.Hour}); err != nil {
		t.Fatal(err)
	}
	c, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := f.client.ListIncidentsWithContext(c, pagerduty.ListIncidentsOptions{})
	// go-pagerduty flattens the cause with %v, so match the text.
	if err == nil || !strings.Contains(err.Error(), context.DeadlineExceeded.Error()) {
		t.Fatalf("slow response: err = %v, want deadline exceeded", err)
	}
	// The delay was consumed; the next request is served.
	if _, err := f.client.ListIncidentsWithContext(ctx(t), pagerduty.ListIncidentsOptions{}); err != nil {
		t.Errorf("after the latency fault: %v", err)
	}
}

func TestFaultsAreConsumedInOrder(t *testing.T) {
	f := newFixture(t, Options{})
	for _, fl := range []Fault{
		{Path: "/incidents/*/notes", Kind: FaultServerError, Status: 500},
		{Kind: FaultServerError, Status: 502},
		{Method: "PUT", Kind: FaultRateLimit},
	} {
		if err := f.srv.InjectFault(fl); err != nil {
			t.Fatal(err)
		}
	}
	res := f.trigger(t, TriggerOptions{Title: "x"})
	steps := []struct {
		method, path string
		want         int
	}{
		{"GET", "/incidents/" + res.IncidentID + "/notes", 500},
		{"GET", "/incidents/" + res.IncidentID + "/notes", 502},
		{"GET", "/teams", 200},
		{"PUT", "/incidents", 429},
		{"PUT", "/incidents", 400}, // faults used up; no From header
	}
	for i, st := range steps {
		if r := f.do(t, st.method, st.path, `{}`, nil); r.status != st.want {
			t.Errorf("step %d %s %s: status %d, want %d", i, st.method, st.path, r.status, st.want)
		}
	}
	bad := []Fault{{Kind: 0}, {Kind: FaultLatency}, {Kind: FaultServerError, Status: 404}, {Kind: FaultMalformedJSON, Path: "["}}
	for _, fl := range bad {
		if err := f.srv.InjectFault(fl); err == nil {
			t.Errorf("InjectFault(%+v) accepted a bad fault", fl)
		}
	}
}

func TestBadInputIsA400NamingTheField(t *testing.T) {
	f := newFixture(t, Options{})
	res := f.trigger(t, TriggerOptions{Title: "x"})
	id := res.IncidentID
	from := map[string]string{"From": aliceEmail}
	tests := []struct {
		name, method, path, body string
		status                   int
		field                    string
	}{
		{"limit not a number", "GET", "/incidents?limit=ten", "", 400, "limit"},
		{"negative offset", "GET", "/incidents?offset=-1", "", 400, "offset"},
		{"bad status", "GET", "/incidents?statuses[]=open", "", 400, "statuses"},
		{"bad urgency", "GET", "/incidents?urgencies[]=urgent", "", 400, "urgencies"},
		{"bad since", "GET", "/incidents?since=yesterday", "", 400, "since"},
		{"until before since", "GET", "/incidents?since=2026-03-14T00:00:00Z&until=2026-03-13T00:00:00Z", "", 400, "until"},
		{"bad date_range", "GET", "/incidents?date_range=some", "", 400, "date_range"},
		{"bad sort_by", "GET", "/incidents?sort_by=title:up", "", 400, "sort_by"},
		{"bad include", "GET", "/incidents?include[]=everything", "", 400, "include"},
		{"bad total", "GET", "/incidents?total=maybe", "", 400, "total"},
		{"bad is_overview", "GET", "/incidents/" + id + "/log_entries?is_overview=perhaps", "", 400, "is_overview"},
		{"bad alert status", "GET", "/incidents/" + id + "/alerts?statuses[]=open", "", 400, "statuses"},
		{"bad change since", "GET", "/change_events?since=soon", "", 400, "since"},
		{"bad oncall until", "GET", "/oncalls?until=later", "", 400, "until"},
		{"not JSON", "PUT", "/incidents", "{incidents:", 400, "JSON"},
		{"empty body", "PUT", "/incidents", " ", 400, "empty"},
		{"wrong type", "PUT", "/incidents", `{"incidents":{"id":"x"}}`, 400, "incidents"},
		{"no incidents", "PUT", "/incidents", `{"incidents":[]}`, 400, "incidents"},
		{"missing id", "PUT", "/incidents", `{"incidents":[{"status":"resolved"}]}`, 400, "incidents[0].id"},
		{"bad status value", "PUT", "/incidents", `{"incidents":[{"id":"` + id + `","type":"incident_reference","status":"triggered"}]}`, 400, "status"},
		{"escalation level out of range", "PUT", "/incidents", `{"incidents":[{"id":"` + id + `","type":"incident_reference","escalation_level":9}]}`, 400, "escalation_level"},
		{"unknown assignee", "PUT", "/incidents", `{"incidents":[{"id":"` + id + `","type":"incident_reference","assignments":[{"assignee":{"id":"NOPE","type":"user_reference"}}]}]}`, 400, "assignee"},
		{"unknown priority", "PUT", "/incidents", `{"incidents":[{"id":"` + id + `","type":"incident_reference","priority":{"id":"NOPE","type":"priority_reference"}}]}`, 400, "priority"},
		{"unknown incident", "PUT", "/incidents", `{"incidents":[{"id":"NOPE","status":"resolved"}]}`, 404, "NOPE"},
		{"snooze duration string", "POST", "/incidents/" + id + "/snooze", `{"duration":"1h"}`, 400, "duration"},
		{"snooze too long", "POST", "/incidents/" + id + "/snooze", `{"duration":99999999}`, 400, "duration"},
		{"note missing", "POST", "/incidents/" + id + "/notes", `{}`, 400, "note"},
		{"note empty", "POST", "/incidents/" + id + "/notes", `{"note":{"content":"  "}}`, 400, "note.content"},
		{"note too long", "POST", "/incidents/" + id + "/notes", `{"note":{"content":"` + strings.Repeat("a", 25001) + `"}}`, 400, "note.content"},
		{"unknown incident get", "GET", "/incidents/NOPE", "", 404, "NOPE"},
		{"unknown path", "GET", "/schedules", "", 404, "/schedules"},
		{"unknown sub path", "GET", "/incidents/" + id + "/responders", "", 404, "responders"},
		{"wrong method", "DELETE", "/incidents", "", 404, "DELETE"},
		{"wrong method on sub path", "POST", "/incidents/" + id + "/alerts", "", 404, "POST"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := f.do(t, tc.method, tc.path, tc.body, from)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			e := r.errorOf(t)
			if len(e.Errors) == 0 || !strings.Contains(strings.Join(e.Errors, " "), tc.field) {
				t.Errorf("errors %q do not name %q", e.Errors, tc.field)
			}
		})
	}
	if info, _ := f.srv.Incident(id); info.Status != "triggered" || info.Level != 1 {
		t.Errorf("refused requests changed the incident: %+v", info)
	}
}

func TestWorldBuildingRejectsBadInput(t *testing.T) {
	s := New(Options{Token: "t"})
	uid, err := s.AddUser(User{Name: "A", Email: "a@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	epID, err := s.AddEscalationPolicy(EscalationPolicy{Name: "EP", Levels: []EscalationLevel{{UserIDs: []string{uid}}}})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := s.AddService(Service{Name: "svc", EscalationPolicyID: epID})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		call func() error
	}{
		{"user without email", func() error { _, err := s.AddUser(User{Name: "B"}); return err }},
		{"duplicate email", func() error { _, err := s.AddUser(User{Name: "B", Email: "A@example.com"}); return err }},
		{"duplicate ID", func() error { _, err := s.AddTeam(Team{ID: uid, Name: "T"}); return err }},
		{"user in unknown team", func() error { _, err := s.AddUser(User{Name: "C", Email: "c@x", TeamIDs: []string{"T?"}}); return err }},
		{"policy without levels", func() error { _, err := s.AddEscalationPolicy(EscalationPolicy{Name: "E"}); return err }},
		{"policy with empty level", func() error {
			_, err := s.AddEscalationPolicy(EscalationPolicy{Name: "E", Levels: []EscalationLevel{{}}})
			return err
		}},
		{"service without policy", func() error { _, err := s.AddService(Service{Name: "S"}); return err }},
		{"on-call level out of range", func() error { return s.AddOnCall(OnCall{UserID: uid, EscalationPolicyID: epID, Level: 2}) }},
		{"trigger unknown service", func() error { _, err := s.Trigger(TriggerOptions{ServiceID: "nope", Title: "x"}); return err }},
		{"trigger without title", func() error { _, err := s.Trigger(TriggerOptions{ServiceID: svc}); return err }},
		{"trigger bad urgency", func() error {
			_, err := s.Trigger(TriggerOptions{ServiceID: svc, Title: "x", Urgency: "urgent"})
			return err
		}},
		{"trigger bad severity", func() error {
			_, err := s.Trigger(TriggerOptions{ServiceID: svc, Title: "x", Alert: AlertDetails{Severity: "fatal"}})
			return err
		}},
		{"acknowledge unknown incident", func() error { return s.Acknowledge("nope", uid) }},
		{"current user unknown", func() error { return s.SetCurrentUser("nope") }},
		{"change event unknown service", func() error { _, err := s.AddChangeEvent(ChangeEvent{ServiceID: "x", Summary: "y"}); return err }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); err == nil {
				t.Error("accepted")
			}
		})
	}
	res, err := s.Trigger(TriggerOptions{ServiceID: svc, Title: "x"})
	if err != nil {
		t.Fatal(err)
	}
	goTests := []struct {
		name string
		call func() error
	}{
		{"snooze triggered", func() error { return s.Snooze(res.IncidentID, uid, time.Hour) }},
		{"escalate past last level", func() error { return s.Escalate(res.IncidentID, uid, 2) }},
		{"acknowledge by unknown user", func() error { return s.Acknowledge(res.IncidentID, "nope") }},
		{"empty note", func() error { _, err := s.AddNote(res.IncidentID, uid, ""); return err }},
	}
	for _, tc := range goTests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); err == nil {
				t.Error("accepted")
			}
		})
	}
	// /users/me without a current user gets PagerDuty's answer for account
	// tokens, not a crash.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/users/me", nil)
	req.Header.Set("Authorization", "Token token=t")
	s.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusBadRequest {
		t.Errorf("/users/me without a current user: %d", rec.Code)
	}
	if err := s.Resolve(res.IncidentID, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.Resolve(res.IncidentID, ""); err == nil {
		t.Error("resolving twice succeeded")
	}
}
