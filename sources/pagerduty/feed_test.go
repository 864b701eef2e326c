package pagerduty_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"sitrep/sources/demo/pdemulator"
	"sitrep/sources/pagerduty"
)

// The feed is tested through the real go-pagerduty client against the
// emulator on loopback: the same code path as production.

const token = "test-token"

type world struct {
	pd      *pdemulator.Server
	url     string
	service string
	me      string
	other   string
	team    string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	pd := pdemulator.New(pdemulator.Options{Token: token})
	url, err := pd.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pd.Close() })
	w := &world{pd: pd, url: url}
	must := func(id string, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	w.team = must(pd.AddTeam(pdemulator.Team{Name: "Payments"}))
	w.me = must(pd.AddUser(pdemulator.User{Name: "Alice Chen", Email: "alice@example.com", TeamIDs: []string{w.team}}))
	w.other = must(pd.AddUser(pdemulator.User{Name: "Bob Okafor", Email: "bob@example.com"}))
	if err := pd.SetCurrentUser(w.me); err != nil {
		t.Fatal(err)
	}
	ep := must(pd.AddEscalationPolicy(pdemulator.EscalationPolicy{Name: "Payments on-call", Levels: []pdemulator.EscalationLevel{{UserIDs: []string{w.me}}, {UserIDs: []string{w.other}}}}))
	if err := pd.AddOnCall(pdemulator.OnCall{UserID: w.me, EscalationPolicyID: ep, Level: 1}); err != nil {
		t.Fatal(err)
	}
	w.service = must(pd.AddService(pdemulator.Service{Name: "payment-gateway", EscalationPolicyID: ep, TeamIDs: []string{w.team}}))
	return w
}

func (w *world) trigger(t *testing.T, title, urgency string) string {
	t.Helper()
	res, err := w.pd.Trigger(pdemulator.TriggerOptions{ServiceID: w.service, Title: title, Urgency: urgency})
	if err != nil {
		t.Fatal(err)
	}
	return res.IncidentID
}

func (w *world) client(timeout time.Duration) *pagerduty.Client {
	return pagerduty.New(pagerduty.Config{APIURL: w.url, Token: token, Timeout: timeout})
}

func (w *world) count(method, path string) int {
	n := 0
	for _, r := range w.pd.Requests() {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

func TestIncidentsPagesOverAThousand(t *testing.T) {
	w := newWorld(t)
	for i := range 1005 {
		w.trigger(t, fmt.Sprintf("incident %d", i), "low")
	}
	c := w.client(30 * time.Second)
	got, err := c.Incidents(context.Background(), pagerduty.ScopeAll)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1005 {
		t.Fatalf("got %d incidents, want 1005", len(got))
	}
	seen := map[string]bool{}
	for _, in := range got {
		if seen[in.ID] {
			t.Fatalf("incident %s listed twice", in.ID)
		}
		seen[in.ID] = true
	}
	if n := w.count("GET", "/incidents"); n != 11 {
		t.Errorf("%d list requests for 1005 incidents, want 11 pages of 100", n)
	}
	for _, r := range w.pd.Requests() {
		if r.Path == "/incidents" && !strings.Contains(r.RawQuery, "limit=100") {
			t.Errorf("list request without limit=100: %s", r.RawQuery)
		}
	}
}

func TestSteadyStateRefreshIsOneRequest(t *testing.T) {
	w := newWorld(t)
	for i := range 30 {
		w.trigger(t, fmt.Sprintf("incident %d", i), "high")
	}
	c := w.client(10 * time.Second)
	ctx := context.Background()
	if _, err := c.Incidents(ctx, pagerduty.ScopeMine); err != nil {
		t.Fatal(err)
	}
	w.pd.ResetRequests()
	got, err := c.Incidents(ctx, pagerduty.ScopeMine)
	if err != nil {
		t.Fatal(err)
	}
	if reqs := w.pd.Requests(); len(reqs) != 1 {
		t.Errorf("a refresh made %d requests, want 1: %+v", len(reqs), reqs)
	}
	if len(got) != 30 {
		t.Fatalf("got %d", len(got))
	}
	in := got[0]
	if in.Service.Name != "payment-gateway" || len(in.Assignees) == 0 || in.Assignees[0].Name != "Alice Chen" || in.EscalationPolicy.Name == "" || len(in.Teams) == 0 {
		t.Errorf("the list row lacks what the list shows: %+v", in)
	}
}

func TestScopes(t *testing.T) {
	w := newWorld(t)
	mine := w.trigger(t, "mine", "high")
	res, err := w.pd.Trigger(pdemulator.TriggerOptions{ServiceID: w.service, Title: "bob's"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.pd.Reassign(res.IncidentID, w.me, w.other); err != nil {
		t.Fatal(err)
	}
	c := w.client(10 * time.Second)
	ctx := context.Background()
	got, err := c.Incidents(ctx, pagerduty.ScopeMine)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != mine {
		t.Errorf("Mine = %+v, want only %s", got, mine)
	}
	for _, scope := range []pagerduty.Scope{pagerduty.ScopeTeam, pagerduty.ScopeAll} {
		got, err := c.Incidents(ctx, scope)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 {
			t.Errorf("%s = %d incidents, want 2", scope, len(got))
		}
	}
}

func TestRateLimitIsWaitedOut(t *testing.T) {
	w := newWorld(t)
	w.trigger(t, "one", "high")
	if err := w.pd.InjectFault(pdemulator.Fault{Method: "GET", Path: "/incidents", Kind: pdemulator.FaultRateLimit, Times: 2, RetryAfter: 300 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	got, err := w.client(10*time.Second).Incidents(context.Background(), pagerduty.ScopeAll)
	if err != nil {
		t.Fatalf("a 429 with ratelimit-reset was not waited out: %v", err)
	}
	if len(got) != 1 {
		t.Errorf("got %d incidents", len(got))
	}
	var statuses []int
	for _, r := range w.pd.Requests() {
		if r.Path == "/incidents" {
			statuses = append(statuses, r.Status)
		}
	}
	if fmt.Sprint(statuses) != "[429 429 200]" {
		t.Errorf("statuses = %v, want [429 429 200]", statuses)
	}
}

func TestRateLimitBeyondDeadlineIsAnError(t *testing.T) {
	w := newWorld(t)
	if err := w.pd.InjectFault(pdemulator.Fault{Method: "GET", Path: "/incidents", Kind: pdemulator.FaultRateLimit, RetryAfter: time.Minute}); err != nil {
		t.Fatal(err)
	}
	_, err := w.client(2*time.Second).Incidents(context.Background(), pagerduty.ScopeAll)
	var rl *pagerduty.RateLimitError
	if !errors.As(err, &rl) || !strings.HasPrefix(err.Error(), "list incidents: PagerDuty is rate limiting sitrep; next try in ") {
		t.Fatalf("err = %v, want a rate-limit error", err)
	}
	if rl.RetryIn < 50*time.Second || rl.RetryIn > 61*time.Second {
		t.Errorf("RetryIn = %v, want about a minute", rl.RetryIn)
	}
}

// stamped is a front door to the emulator that notes when each request
// arrived, so a test can see what was sent during a pause.
type stamped struct {
	mu   sync.Mutex
	reqs []stamp
}

type stamp struct {
	path   string
	at     time.Time
	status int
}

func (w *world) stamped(t *testing.T) (*stamped, string) {
	t.Helper()
	st := &stamped{}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		at := time.Now()
		w.pd.Handler().ServeHTTP(rec, r)
		st.mu.Lock()
		st.reqs = append(st.reqs, stamp{r.URL.Path, at, rec.Code})
		st.mu.Unlock()
		for k, v := range rec.Header() {
			rw.Header()[k] = v
		}
		rw.WriteHeader(rec.Code)
		_, _ = rw.Write(rec.Body.Bytes())
	}))
	t.Cleanup(srv.Close)
	return st, srv.URL
}

func (s *stamped) all() []stamp {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]stamp(nil), s.reqs...)
}

// waitFor polls cond with a generous deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// A 429 that carries only Retry-After (as a gateway in front of PagerDuty
// answers) pauses every request the client makes, not just the retry of
// the one that earned it.
func TestRetryAfterPausesEveryRequest(t *testing.T) {
	w := newWorld(t)
	id := w.trigger(t, "one", "high")
	const pause = 2 * time.Second
	if err := w.pd.InjectFault(pdemulator.Fault{Method: "GET", Path: "/incidents", Kind: pdemulator.FaultRateLimit, RetryAfterOnly: true, RetryAfter: pause}); err != nil {
		t.Fatal(err)
	}
	st, url := w.stamped(t)
	c := pagerduty.New(pagerduty.Config{APIURL: url, Token: token, Timeout: 20 * time.Second})

	listed := make(chan error, 1)
	go func() {
		_, err := c.Incidents(context.Background(), pagerduty.ScopeAll)
		listed <- err
	}()
	waitFor(t, "the 429", func() bool { return len(st.all()) > 0 })
	// The detail is asked for during the pause: it must wait it out too.
	if _, err := c.Detail(context.Background(), id); err != nil {
		t.Fatalf("detail during the pause: %v", err)
	}
	if err := <-listed; err != nil {
		t.Fatalf("a 429 with Retry-After was not waited out: %v", err)
	}

	reqs := st.all()
	if reqs[0].path != "/incidents" || reqs[0].status != http.StatusTooManyRequests {
		t.Fatalf("first request %+v, want the injected 429", reqs[0])
	}
	lists := 0
	for _, r := range reqs[1:] {
		if r.at.Sub(reqs[0].at) < pause {
			t.Errorf("%s was sent %v after the 429, inside the %v Retry-After pause", r.path, r.at.Sub(reqs[0].at), pause)
		}
		if r.path == "/incidents" {
			lists++
		}
	}
	if lists != 1 {
		t.Errorf("the list was sent %d more times after the 429, want once", lists)
	}
}

// When a request's deadline is sooner than the reset, it fails at once
// with a rate-limit error and is never sent: a refresh every few seconds
// during a 20 s Retry-After costs PagerDuty nothing more.
func TestRateLimitFailsFastWithoutSending(t *testing.T) {
	w := newWorld(t)
	id := w.trigger(t, "one", "high")
	if err := w.pd.InjectFault(pdemulator.Fault{Method: "GET", Path: "/incidents", Kind: pdemulator.FaultRateLimit, RetryAfterOnly: true, RetryAfter: 20 * time.Second}); err != nil {
		t.Fatal(err)
	}
	c := w.client(5 * time.Second)
	// Known before the pause, so a write goes straight to its request.
	if _, err := c.Me(context.Background()); err != nil {
		t.Fatal(err)
	}
	w.pd.ResetRequests()
	calls := map[string]func() error{
		"refresh": func() error { _, err := c.Incidents(context.Background(), pagerduty.ScopeAll); return err },
		"detail":  func() error { _, err := c.Detail(context.Background(), id); return err },
		"note":    func() error { _, err := c.AddNote(context.Background(), id, "still looking"); return err },
		"change events": func() error {
			req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, w.url+"/incidents/"+id+"/related_change_events", nil)
			ctx, cancel := context.WithTimeout(req.Context(), 5*time.Second)
			defer cancel()
			resp, err := c.HTTPClient().Do(req.WithContext(ctx))
			if err == nil {
				resp.Body.Close()
			}
			return err
		},
	}
	if err := calls["refresh"](); err == nil {
		t.Fatal("the 429 was not an error")
	}
	for round := 0; round < 10; round++ {
		for name, call := range calls {
			err := call()
			var rl *pagerduty.RateLimitError
			if !errors.As(err, &rl) {
				t.Fatalf("%s during the pause: err = %v, want a *RateLimitError", name, err)
			}
			if rl.RetryIn <= 0 || rl.RetryIn > 21*time.Second {
				t.Errorf("%s: RetryIn = %v, want under the 20 s Retry-After", name, rl.RetryIn)
			}
			msg := err.Error()
			// The feed's own calls say what failed, not the URL; a raw
			// request's caller (change events) unwraps the url.Error.
			if !strings.Contains(msg, ": PagerDuty is rate limiting sitrep; next try in ") || strings.Contains(msg, "cannot reach") || name != "change events" && strings.Contains(msg, "http://") {
				t.Errorf("%s: %q, want it worded as a rate limit", name, msg)
			}
		}
	}
	if n := len(w.pd.Requests()); n != 1 {
		t.Errorf("PagerDuty received %d requests during a 20 s Retry-After, want only the one that earned it", n)
	}
}

func TestServerErrorsAreRetried(t *testing.T) {
	w := newWorld(t)
	w.trigger(t, "one", "high")
	for _, status := range []int{502, 503} {
		if err := w.pd.InjectFault(pdemulator.Fault{Method: "GET", Path: "/incidents", Kind: pdemulator.FaultServerError, Status: status}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.client(10*time.Second).Incidents(context.Background(), pagerduty.ScopeAll); err != nil {
		t.Fatalf("5xx not retried: %v", err)
	}
	if n := w.count("GET", "/incidents"); n != 3 {
		t.Errorf("%d attempts, want 3", n)
	}
}

func TestNotesAreNotRetried(t *testing.T) {
	w := newWorld(t)
	id := w.trigger(t, "one", "high")
	if err := w.pd.InjectFault(pdemulator.Fault{Method: "POST", Path: "/incidents/*/notes", Kind: pdemulator.FaultServerError, Status: 502}); err != nil {
		t.Fatal(err)
	}
	_, err := w.client(10*time.Second).AddNote(context.Background(), id, "hello")
	if err == nil {
		t.Fatal("a 502 on a note is not an error")
	}
	if n := w.count("POST", "/incidents/"+id+"/notes"); n != 1 {
		t.Errorf("a note was sent %d times; a POST must not be repeated", n)
	}
}

func TestBadBodiesAreErrors(t *testing.T) {
	for _, kind := range []pdemulator.FaultKind{pdemulator.FaultMalformedJSON, pdemulator.FaultTruncated} {
		t.Run(kind.String(), func(t *testing.T) {
			w := newWorld(t)
			w.trigger(t, "one", "high")
			if err := w.pd.InjectFault(pdemulator.Fault{Method: "GET", Path: "/incidents", Kind: kind, Times: 10}); err != nil {
				t.Fatal(err)
			}
			_, err := w.client(5*time.Second).Incidents(context.Background(), pagerduty.ScopeAll)
			if err == nil {
				t.Fatal("no error")
			}
			var pdErr *pagerduty.Error
			if !errors.As(err, &pdErr) || !strings.HasPrefix(err.Error(), "list incidents:") {
				t.Errorf("error %q does not say what failed", err)
			}
		})
	}
}

func TestUnauthorized(t *testing.T) {
	w := newWorld(t)
	c := pagerduty.New(pagerduty.Config{APIURL: w.url, Token: "wrong-token-value"})
	_, err := c.Incidents(context.Background(), pagerduty.ScopeAll)
	if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "check the API token") {
		t.Errorf("err = %v", err)
	}
	if strings.Contains(err.Error(), "wrong-token-value") {
		t.Errorf("the error shows the token: %v", err)
	}
}

func TestDeadline(t *testing.T) {
	w := newWorld(t)
	if err := w.pd.InjectFault(pdemulator.Fault{Method: "GET", Path: "/incidents", Kind: pdemulator.FaultLatency, Delay: 5 * time.Second}); err != nil {
		t.Fatal(err)
	}
	_, err := w.client(200*time.Millisecond).Incidents(context.Background(), pagerduty.ScopeAll)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the deadline", err)
	}
}

func TestWritesReachTheTimeline(t *testing.T) {
	w := newWorld(t)
	id := w.trigger(t, "payment-gateway 5xx rate above 5%", "high")
	c := w.client(10 * time.Second)
	ctx := context.Background()

	if err := c.Acknowledge(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddNote(ctx, id, "rolled back v2.14.0"); err != nil {
		t.Fatal(err)
	}
	if err := c.Snooze(ctx, id, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := c.Escalate(ctx, id, 2); err != nil {
		t.Fatal(err)
	}
	if err := c.Resolve(ctx, id); err != nil {
		t.Fatal(err)
	}
	for _, r := range w.pd.Requests() {
		if r.Method != http.MethodGet && r.From != "alice@example.com" {
			t.Errorf("%s %s sent From %q", r.Method, r.Path, r.From)
		}
	}
	d, err := c.Detail(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.Incident.Status != pagerduty.StatusResolved {
		t.Errorf("status %s", d.Incident.Status)
	}
	types := map[string]bool{}
	for _, e := range d.LogEntries {
		types[e.Type] = true
		if e.Type == "acknowledge_log_entry" && e.Agent.Name != "Alice Chen" {
			t.Errorf("acknowledged by %q", e.Agent.Name)
		}
	}
	for _, want := range []string{"trigger_log_entry", "acknowledge_log_entry", "annotate_log_entry", "snooze_log_entry", "escalate_log_entry", "resolve_log_entry"} {
		if !types[want] {
			t.Errorf("timeline lacks %s: %v", want, types)
		}
	}
	if len(d.Notes) != 1 || d.Notes[0].Content != "rolled back v2.14.0" || d.Notes[0].User.Name != "Alice Chen" {
		t.Errorf("notes = %+v", d.Notes)
	}
	if len(d.Alerts) != 1 || len(d.OnCall) == 0 {
		t.Errorf("alerts %+v, on call %+v", d.Alerts, d.OnCall)
	}
}

func TestFlappingAlertShowsRetries(t *testing.T) {
	w := newWorld(t)
	for range 4 {
		if _, err := w.pd.Trigger(pdemulator.TriggerOptions{ServiceID: w.service, Title: "edge check", DedupKey: "edge"}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := w.client(10*time.Second).Incidents(context.Background(), pagerduty.ScopeAll)
	if err != nil || len(got) != 1 {
		t.Fatalf("%v %v", got, err)
	}
	d, err := w.client(10*time.Second).Detail(context.Background(), got[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Alerts) != 1 || d.Alerts[0].Retries != 3 {
		t.Errorf("alerts = %+v, want one alert retried 3 times", d.Alerts)
	}
}

func TestHostileTextIsSanitized(t *testing.T) {
	w := newWorld(t)
	id := w.trigger(t, "\x1b]52;c;cm0gLXJmIC8=\x07Disk \x1b[31mfull\x1b[0m\r\n on db-1", "high")
	c := w.client(10 * time.Second)
	if _, err := c.AddNote(context.Background(), id, "see \x1b]8;;http://evil\x1b\\this\x1b]8;;\x1b\\"); err != nil {
		t.Fatal(err)
	}
	d, err := c.Detail(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if d.Incident.Title != "Disk full on db-1" {
		t.Errorf("title = %q", d.Incident.Title)
	}
	if d.Notes[0].Content != "see this" {
		t.Errorf("note = %q", d.Notes[0].Content)
	}
}

func TestActionWrites(t *testing.T) {
	w := newWorld(t)
	id := w.trigger(t, "noise", "high")
	c := w.client(10 * time.Second)
	ctx := context.Background()
	if err := c.SetUrgency(ctx, id, "low"); err != nil {
		t.Fatal(err)
	}
	if err := c.SetUrgency(ctx, id, "urgent"); err == nil {
		t.Error("an unknown urgency was sent")
	}
	if err := c.Reassign(ctx, id, w.other); err != nil {
		t.Fatal(err)
	}
	d, err := c.Detail(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.Incident.Urgency != "low" || len(d.Incident.Assignees) != 1 || d.Incident.Assignees[0].Name != "Bob Okafor" {
		t.Errorf("incident after the writes: %+v", d.Incident)
	}
	var types []string
	for _, e := range d.LogEntries {
		types = append(types, e.Type)
	}
	if !strings.Contains(strings.Join(types, " "), "urgency_change_log_entry") {
		t.Errorf("no urgency change in the timeline: %v", types)
	}
}

func TestUnreachableSaysWhere(t *testing.T) {
	c := pagerduty.New(pagerduty.Config{APIURL: "http://127.0.0.1:1", Token: "t", Timeout: 2 * time.Second})
	_, err := c.Incidents(context.Background(), pagerduty.ScopeAll)
	if err == nil || !strings.Contains(err.Error(), "cannot reach PagerDuty at 127.0.0.1:1") || !strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), "include%5B") {
		t.Errorf("err = %v", err)
	}
}

func TestResponderAndStatusUpdate(t *testing.T) {
	w := newWorld(t)
	id := w.trigger(t, "orders-db replication lag", "high")
	c := w.client(10 * time.Second)
	ctx := context.Background()

	if err := c.AddResponder(ctx, id, w.other, "need DB help"); err != nil {
		t.Fatal(err)
	}
	if err := c.StatusUpdate(ctx, id, "rolled back; watching"); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/incidents/" + id + "/responder_requests", "/incidents/" + id + "/status_updates"} {
		if n := w.count(http.MethodPost, path); n != 1 {
			t.Errorf("POST %s sent %d times, want 1", path, n)
		}
	}
	for _, r := range w.pd.Requests() {
		if r.Method == http.MethodPost && (r.From != "alice@example.com" || r.Status != http.StatusOK) {
			t.Errorf("%s %s: From %q, status %d", r.Method, r.Path, r.From, r.Status)
		}
	}
	info, err := w.pd.Incident(id)
	if err != nil {
		t.Fatal(err)
	}
	if len(info.ResponderIDs) != 1 || info.ResponderIDs[0] != w.other {
		t.Errorf("responders = %v, want %s", info.ResponderIDs, w.other)
	}

	d, err := c.Detail(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"responder_request_log_entry": "Alice Chen requested Bob Okafor to respond: need DB help",
		"status_update_log_entry":     "Status update from Alice Chen: rolled back; watching",
	}
	for typ, summary := range want {
		var found []pagerduty.LogEntry
		for _, e := range d.LogEntries {
			if e.Type == typ {
				found = append(found, e)
			}
		}
		if len(found) != 1 {
			t.Errorf("timeline has %d %s, want 1", len(found), typ)
			continue
		}
		e := found[0]
		if e.Agent.ID != w.me || e.Agent.Name != "Alice Chen" || e.AgentType != "user_reference" || e.Summary != summary || e.Channel != "api" {
			t.Errorf("%s = agent %+v (%s) %q via %q, want Alice Chen %q via api", typ, e.Agent, e.AgentType, e.Summary, e.Channel, summary)
		}
	}

	// Responders are asked only on open incidents; the feed says why not.
	if err := c.Resolve(ctx, id); err != nil {
		t.Fatal(err)
	}
	err = c.AddResponder(ctx, id, w.other, "too late")
	if err == nil || !strings.Contains(err.Error(), "add responder to "+id) || !strings.Contains(err.Error(), "400") || !strings.Contains(err.Error(), "resolved") {
		t.Errorf("responder on a resolved incident: err = %v", err)
	}
}
