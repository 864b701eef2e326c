package pdemulator

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PagerDuty/go-pagerduty"
)

func TestStartServesOnLoopbackAndCloses(t *testing.T) {
	s := New(Options{Token: testToken})
	uid, err := s.AddUser(User{Name: "Alice Example", Email: aliceEmail})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetCurrentUser(uid); err != nil {
		t.Fatal(err)
	}
	base, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	u, err := url.Parse(base)
	if err != nil || u.Hostname() != "127.0.0.1" || u.Port() == "0" {
		t.Fatalf("Start() = %q, want http://127.0.0.1:<port>", base)
	}
	if _, err := s.Start(); err == nil {
		t.Error("second Start succeeded")
	}
	client := pagerduty.NewClient(testToken, pagerduty.WithAPIEndpoint(base))
	me, err := client.GetCurrentUserWithContext(ctx(t), pagerduty.GetCurrentUserOptions{})
	if err != nil || me.ID != uid {
		t.Fatalf("GetCurrentUser = %+v, %v", me, err)
	}
	if !strings.HasPrefix(me.Self, base) {
		t.Errorf("self %q does not point back at the emulator %q", me.Self, base)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := client.GetCurrentUserWithContext(ctx(t), pagerduty.GetCurrentUserOptions{}); err == nil {
		t.Error("request after Close succeeded")
	}
}

// script is a storyline run against a fresh fixture; the same script on the
// same clock must give byte-identical responses.
func script(t *testing.T) (*fixture, []string) {
	t.Helper()
	f := newFixture(t, Options{})
	a := f.trigger(t, TriggerOptions{Title: "deploy broke checkout", PriorityID: f.priorities[0], DedupKey: "checkout"})
	f.clock.Advance(time.Minute)
	f.trigger(t, TriggerOptions{Title: "deploy broke checkout", DedupKey: "checkout"})
	b := f.trigger(t, TriggerOptions{ServiceID: f.database, Title: "pool exhausted", Urgency: "low"})
	f.clock.Advance(time.Minute)
	for _, err := range []error{
		f.srv.Acknowledge(a.IncidentID, f.alice),
		f.srv.Snooze(a.IncidentID, f.alice, 10*time.Minute),
		f.srv.Escalate(b.IncidentID, f.carol, 1),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.srv.AddChangeEvent(ChangeEvent{ServiceID: f.payments, Summary: "deploy v42", Timestamp: epoch.Add(-5 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(15 * time.Minute)
	var bodies []string
	for _, p := range []string{
		"/incidents?include[]=assignees&include[]=first_trigger_log_entries",
		"/incidents/" + a.IncidentID + "/log_entries?include[]=channels",
		"/incidents/" + a.IncidentID + "/alerts",
		"/incidents/" + a.IncidentID + "/related_change_events",
		"/services", "/oncalls",
	} {
		req := httptest.NewRequest("GET", p, nil)
		req.Header.Set("Authorization", "Token token="+testToken)
		rec := httptest.NewRecorder()
		f.srv.Handler().ServeHTTP(rec, req)
		if rec.Code != 200 {
			t.Fatalf("%s: %d %s", p, rec.Code, rec.Body)
		}
		bodies = append(bodies, rec.Body.String())
	}
	return f, bodies
}

func TestDeterministicGivenSameCallsAndClock(t *testing.T) {
	_, first := script(t)
	_, second := script(t)
	for i := range first {
		if first[i] != second[i] {
			t.Errorf("response %d differs between runs:\n%s\n%s", i, first[i], second[i])
		}
	}
}

func TestGoAPIStorylineWritesLogEntries(t *testing.T) {
	f := newFixture(t, Options{})
	res := f.trigger(t, TriggerOptions{Title: "story"})
	steps := []struct {
		name     string
		act      func() error
		status   string
		assignee []string
		types    []string // new non-notify entries
		agent    string
	}{
		{"acknowledge", func() error { return f.srv.Acknowledge(res.IncidentID, f.alice) }, "acknowledged", []string{f.alice}, []string{"acknowledge_log_entry"}, f.alice},
		{"snooze", func() error { return f.srv.Snooze(res.IncidentID, f.alice, 30*time.Minute) }, "acknowledged", []string{f.alice}, []string{"snooze_log_entry"}, f.alice},
		{"reassign", func() error { return f.srv.Reassign(res.IncidentID, f.alice, f.bob, f.carol) }, "triggered", []string{f.bob, f.carol}, []string{"assign_log_entry"}, f.alice},
		{"escalate to 3", func() error { return f.srv.Escalate(res.IncidentID, f.bob, 3) }, "triggered", []string{f.carol}, []string{"escalate_log_entry"}, f.bob},
		{"note", func() error { _, err := f.srv.AddNote(res.IncidentID, f.carol, "on it"); return err }, "triggered", []string{f.carol}, []string{"annotate_log_entry"}, f.carol},
		{"resolve by the check", func() error { return f.srv.Resolve(res.IncidentID, "") }, "resolved", nil, []string{"resolve_log_entry"}, f.payments},
	}
	seen := len(f.logEntries(t, res.IncidentID))
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			f.clock.Advance(time.Minute)
			if err := st.act(); err != nil {
				t.Fatal(err)
			}
			info, err := f.srv.Incident(res.IncidentID)
			if err != nil {
				t.Fatal(err)
			}
			if info.Status != st.status || !slices.Equal(info.AssigneeIDs, st.assignee) {
				t.Errorf("incident = %+v, want status %s assignees %v", info, st.status, st.assignee)
			}
			entries := f.logEntries(t, res.IncidentID)
			var types []string
			for _, e := range entries[seen:] {
				if e.Type != "notify_log_entry" {
					types = append(types, e.Type)
					if e.Agent.ID != st.agent {
						t.Errorf("%s agent = %s, want %s", e.Type, e.Agent.ID, st.agent)
					}
				}
			}
			seen = len(entries)
			if !slices.Equal(types, st.types) {
				t.Errorf("new entries %v, want %v", types, st.types)
			}
		})
	}
	// A cleared snooze never fires later.
	f.clock.Advance(time.Hour)
	if info, _ := f.srv.Incident(res.IncidentID); info.Status != "resolved" {
		t.Errorf("status after the old snooze time = %s", info.Status)
	}
}

func TestScheduleTargetsFollowTheShift(t *testing.T) {
	f := newFixture(t, Options{})
	during := f.trigger(t, TriggerOptions{Title: "during shift"})
	if info, _ := f.srv.Incident(during.IncidentID); !slices.Equal(info.AssigneeIDs, []string{f.alice}) {
		t.Errorf("during alice's shift assignees = %v", info.AssigneeIDs)
	}
	f.clock.Advance(13 * time.Hour)
	after := f.trigger(t, TriggerOptions{Title: "after shift"})
	if info, _ := f.srv.Incident(after.IncidentID); len(info.AssigneeIDs) != 0 {
		t.Errorf("nobody is on the schedule, yet assignees = %v", info.AssigneeIDs)
	}
}

func TestConcurrentClients(t *testing.T) {
	f := newFixture(t, Options{})
	var ids []string
	for i := range 20 {
		ids = append(ids, f.trigger(t, TriggerOptions{Title: fmt.Sprint("c", i)}).IncidentID)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				id := ids[(w*10+i)%len(ids)]
				var err error
				switch i % 4 {
				case 0:
					_, err = f.client.ListIncidentsWithContext(ctx(t), pagerduty.ListIncidentsOptions{Includes: []string{"assignees"}})
				case 1:
					_, err = f.client.CreateIncidentNoteWithContext(ctx(t), id, pagerduty.IncidentNote{Content: "n", User: pagerduty.APIObject{Summary: bobEmail}})
				case 2:
					_, err = f.client.ListIncidentLogEntriesWithContext(ctx(t), id, pagerduty.ListIncidentLogEntriesOptions{})
				case 3:
					_, err = f.srv.Trigger(TriggerOptions{ServiceID: f.payments, Title: "more"})
				}
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := len(f.srv.Requests()); got != 64 {
		t.Errorf("recorded %d requests, want 64", got)
	}
	for _, r := range f.srv.Requests() {
		if r.Status != http.StatusOK {
			t.Errorf("request %+v did not succeed", r)
		}
	}
}

// FuzzQueries feeds arbitrary query strings to the list endpoints: the
// answer is a success or a 4xx, never a panic or a 5xx.
func FuzzQueries(f *testing.F) {
	for _, seed := range []string{
		"limit=10&offset=5", "statuses[]=triggered&statuses[]=bogus", "sort_by=urgency:desc,created_at", "since=2026-01-01&until=2025-01-01",
		"include[]=assignees", "limit=-1", "offset=99999999999999999999", "date_range=all&total=true", "limit=%zz",
		"is_overview=true&include[]=channels", "user_ids[]=&team_ids[]=,,,", "since=2026-13-45T99:99:99Z",
	} {
		f.Add(seed)
	}
	fx := newFixture(f, Options{})
	res, err := fx.srv.Trigger(TriggerOptions{ServiceID: fx.payments, Title: "fuzz"})
	if err != nil {
		f.Fatal(err)
	}
	paths := []string{"/incidents", "/incidents/" + res.IncidentID + "/log_entries", "/incidents/" + res.IncidentID + "/alerts",
		"/change_events", "/oncalls", "/services", "/teams", "/priorities"}
	f.Fuzz(func(t *testing.T, query string) {
		for _, p := range paths {
			req := httptest.NewRequest("GET", "/", nil)
			req.URL.Path, req.URL.RawQuery = p, query
			req.Header.Set("Authorization", "Token token="+testToken)
			rec := httptest.NewRecorder()
			fx.srv.Handler().ServeHTTP(rec, req)
			if rec.Code >= 500 || (rec.Code != 200 && rec.Code != 400) {
				t.Fatalf("%s?%s: status %d: %s", p, query, rec.Code, rec.Body)
			}
		}
	})
}

// FuzzBodies feeds arbitrary bodies to the write endpoints.
func FuzzBodies(f *testing.F) {
	for _, seed := range []string{
		`{"incidents":[{"id":"Q000001","status":"acknowledged"}]}`, `{"incidents":null}`, `[]`, `null`, `{"duration":-5}`,
		`{"note":{"content":7}}`, `{"source_incidents":[{"id":"Q000001"}]}`, `{"incidents":[{"id":"Q000001","escalation_level":-3}]}`,
		"\x00\xff", `{"incidents":[{"id":"Q000001","assignments":[{"assignee":null}]}]}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		fx := newFixture(t, Options{})
		res := fx.trigger(t, TriggerOptions{Title: "fuzz"})
		other := fx.trigger(t, TriggerOptions{Title: "other"})
		_ = fx.srv.Acknowledge(other.IncidentID, fx.alice)
		for _, ep := range []struct{ method, path string }{
			{"PUT", "/incidents"}, {"POST", "/incidents/" + other.IncidentID + "/snooze"},
			{"POST", "/incidents/" + res.IncidentID + "/notes"}, {"PUT", "/incidents/" + other.IncidentID + "/merge"},
		} {
			req := httptest.NewRequest(ep.method, ep.path, strings.NewReader(body))
			req.Header.Set("Authorization", "Token token="+testToken)
			req.Header.Set("From", aliceEmail)
			rec := httptest.NewRecorder()
			fx.srv.Handler().ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Fatalf("%s %s with %q: status %d: %s", ep.method, ep.path, body, rec.Code, rec.Body)
			}
		}
	})
}

func BenchmarkListIncidents(b *testing.B) {
	f := newFixture(b, Options{})
	for i := range 1000 {
		if _, err := f.srv.Trigger(TriggerOptions{ServiceID: f.payments, Title: fmt.Sprint("bench ", i)}); err != nil {
			b.Fatal(err)
		}
	}
	req := httptest.NewRequest("GET", "/incidents?limit=100&sort_by=urgency:desc,created_at:desc&include[]=assignees", nil)
	req.Header.Set("Authorization", "Token token="+testToken)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		f.srv.Handler().ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}
