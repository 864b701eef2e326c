package pdemulator

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PagerDuty/go-pagerduty"
)

const testToken = "test-token-0123"

// testClock is a settable clock, so snooze expiry and time filters are
// driven by the test, not by waiting.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var epoch = time.Date(2026, 3, 14, 3, 0, 0, 0, time.UTC)

// fixture is a small world: two teams, three users, two services on two
// policies, P1..P5, one on-call schedule, and an httptest server.
type fixture struct {
	srv    *Server
	http   *httptest.Server
	clock  *testClock
	client *pagerduty.Client

	alice, bob, carol  string // user IDs
	payments, database string // service IDs
	paymentsEP, dbEP   string
	teamPay, teamData  string
	primary            string // schedule ID
	priorities         []string
}

const (
	aliceEmail = "alice@example.com"
	bobEmail   = "bob@example.com"
	carolEmail = "carol@example.com"
)

func newFixture(t testing.TB, opts Options) *fixture {
	t.Helper()
	clock := &testClock{t: epoch}
	opts.Token = testToken
	if opts.Clock == nil {
		opts.Clock = clock.Now
	}
	f := &fixture{srv: New(opts), clock: clock}
	must := func(id string, err error) string {
		t.Helper()
		if err != nil {
			t.Fatalf("building fixture: %v", err)
		}
		return id
	}
	s := f.srv
	f.teamPay = must(s.AddTeam(Team{Name: "Payments", Description: "Money in, money out"}))
	f.teamData = must(s.AddTeam(Team{Name: "Data"}))
	f.alice = must(s.AddUser(User{Name: "Alice Example", Email: aliceEmail, TimeZone: "Europe/Berlin", TeamIDs: []string{f.teamPay}}))
	f.bob = must(s.AddUser(User{Name: "Bob Example", Email: bobEmail, TeamIDs: []string{f.teamPay}}))
	f.carol = must(s.AddUser(User{Name: "Carol Example", Email: carolEmail, TeamIDs: []string{f.teamData}}))
	if err := s.SetCurrentUser(f.alice); err != nil {
		t.Fatal(err)
	}
	f.primary = must(s.AddSchedule(Schedule{Name: "Payments primary"}))
	f.paymentsEP = must(s.AddEscalationPolicy(EscalationPolicy{
		Name: "Payments", TeamIDs: []string{f.teamPay},
		Levels: []EscalationLevel{{ScheduleIDs: []string{f.primary}}, {UserIDs: []string{f.bob}}, {UserIDs: []string{f.carol}}},
	}))
	f.dbEP = must(s.AddEscalationPolicy(EscalationPolicy{Name: "Database", Levels: []EscalationLevel{{UserIDs: []string{f.carol}}}}))
	f.payments = must(s.AddService(Service{Name: "payment-gateway", EscalationPolicyID: f.paymentsEP, TeamIDs: []string{f.teamPay}}))
	f.database = must(s.AddService(Service{Name: "orders-db", EscalationPolicyID: f.dbEP, TeamIDs: []string{f.teamData}}))
	if err := s.AddOnCall(OnCall{UserID: f.alice, EscalationPolicyID: f.paymentsEP, Level: 1, ScheduleID: f.primary, Start: epoch.Add(-time.Hour), End: epoch.Add(12 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddOnCall(OnCall{UserID: f.bob, EscalationPolicyID: f.paymentsEP, Level: 2}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddOnCall(OnCall{UserID: f.carol, EscalationPolicyID: f.dbEP, Level: 1}); err != nil {
		t.Fatal(err)
	}
	var err error
	if f.priorities, err = s.AddStandardPriorities(); err != nil {
		t.Fatal(err)
	}
	f.http = httptest.NewServer(s.Handler())
	t.Cleanup(f.http.Close)
	t.Cleanup(func() { _ = s.Close() })
	f.client = pagerduty.NewClient(testToken, pagerduty.WithAPIEndpoint(f.http.URL))
	return f
}

func (f *fixture) trigger(t *testing.T, o TriggerOptions) TriggerResult {
	t.Helper()
	if o.ServiceID == "" {
		o.ServiceID = f.payments
	}
	res, err := f.srv.Trigger(o)
	if err != nil {
		t.Fatalf("Trigger(%+v): %v", o, err)
	}
	return res
}

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// rawResponse is a response read whole.
type rawResponse struct {
	status int
	header http.Header
	body   []byte
}

func (r rawResponse) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response %d is not JSON: %v\n%s", r.status, err, r.body)
	}
	return m
}

// errorOf decodes PagerDuty's error envelope and checks its shape.
func (r rawResponse) errorOf(t *testing.T) errorObject {
	t.Helper()
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("error response Content-Type = %q, want application/json", ct)
	}
	var b struct {
		Error *errorObject `json:"error"`
	}
	if err := json.Unmarshal(r.body, &b); err != nil || b.Error == nil {
		t.Fatalf("not a PagerDuty error body (%v): %s", err, r.body)
	}
	return *b.Error
}

// do sends a raw request with the test token unless headers override it.
func (f *fixture) do(t *testing.T, method, path, body string, headers map[string]string) rawResponse {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx(t), method, f.http.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Token token="+testToken)
	req.Header.Set("Accept", "application/vnd.pagerduty+json;version=2")
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := f.http.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return rawResponse{status: resp.StatusCode, header: resp.Header, body: bytes.TrimSpace(data)}
}

// logTypes lists an incident's log entry types, oldest first.
func (f *fixture) logEntries(t *testing.T, id string) []pagerduty.LogEntry {
	t.Helper()
	var all []pagerduty.LogEntry
	for offset := uint(0); ; {
		resp, err := f.client.ListIncidentLogEntriesWithContext(ctx(t), id, pagerduty.ListIncidentLogEntriesOptions{Limit: 100, Offset: offset})
		if err != nil {
			t.Fatalf("ListIncidentLogEntries(%s): %v", id, err)
		}
		all = append(all, resp.LogEntries...)
		if !resp.More {
			break
		}
		offset = resp.Offset + resp.Limit
	}
	// The API lists newest first; reverse for readable assertions.
	for i, j := 0, len(all)-1; i < j; i, j = i+1, j-1 {
		all[i], all[j] = all[j], all[i]
	}
	return all
}
