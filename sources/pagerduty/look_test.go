package pagerduty_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"sitrep/sources/demo/pdemulator"
	"sitrep/sources/deploys"
	"sitrep/sources/pagerduty"
)

// A settled look at an incident is what the cockpit asks PagerDuty for
// when the cursor rests on it: the detail (alerts, timeline, notes, who is
// on call) and the Deploys pane's change events (related to the incident,
// and the account's around its start). These tests count the requests of
// one look, path by path, through the real go-pagerduty client and the
// emulator.

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// looker looks at incidents as the cockpit does.
type looker struct {
	t       *testing.T
	w       *world
	clk     *fakeClock
	feed    *pagerduty.Client
	changes deploys.PagerDuty
	listed  []pagerduty.Incident
	at      time.Time
}

// window is the enrichment window: change events from two windows before
// the start, as cmd/sitrep asks for them.
const window = 30 * time.Minute

func newLooker(t *testing.T, w *world) *looker {
	clk := &fakeClock{t: time.Now()}
	feed := pagerduty.New(pagerduty.Config{APIURL: w.url, Token: token, Timeout: 10 * time.Second, Now: clk.now})
	return &looker{t: t, w: w, clk: clk, feed: feed,
		changes: deploys.PagerDuty{Client: feed.HTTPClient(), BaseURL: feed.BaseURL(), Token: token, Cache: &deploys.ChangeCache{Now: clk.now}}}
}

// list refreshes the incident list, as every refresh interval does.
func (l *looker) list() {
	l.t.Helper()
	in, err := l.feed.Incidents(context.Background(), pagerduty.ScopeMine)
	if err != nil {
		l.t.Fatal(err)
	}
	l.listed, l.at = in, l.clk.now()
}

func (l *looker) incident(id string) pagerduty.Incident {
	l.t.Helper()
	for _, in := range l.listed {
		if in.ID == id {
			return in
		}
	}
	l.t.Fatalf("%s is not listed", id)
	return pagerduty.Incident{}
}

// look settles on an incident and returns the requests it made by path
// ("GET /oncalls"), and its errors. fresh is the manual refresh.
func (l *looker) look(id string, parts pagerduty.Part, fresh bool) (map[string]int, error) {
	l.t.Helper()
	in := l.incident(id)
	l.w.pd.ResetRequests()
	ctx := context.Background()
	var errs []string
	_, err := l.feed.DetailWith(ctx, id, pagerduty.DetailOptions{Parts: parts, Listed: in, ListedAt: l.at, Fresh: fresh})
	if err != nil {
		errs = append(errs, err.Error())
	}
	if parts == 0 || parts == pagerduty.AllParts {
		// The Deploys pane, as cmd/sitrep's enricher reads it; a manual
		// refresh forgets what it keeps first.
		if fresh {
			l.changes.Forget(id)
		}
		if _, err := l.changes.RelatedChanges(ctx, id); err != nil {
			errs = append(errs, err.Error())
		}
		if _, err := l.changes.ListChanges(ctx, in.CreatedAt.Add(-2*window), time.Now(), in.Service.ID); err != nil {
			errs = append(errs, err.Error())
		}
	}
	got := map[string]int{}
	for _, r := range l.w.pd.Requests() {
		path := r.Path
		if rest, ok := strings.CutPrefix(path, "/incidents/"+id); ok {
			path = "/incidents/{id}" + rest
		}
		got[r.Method+" "+path]++
	}
	if len(errs) > 0 {
		return got, &lookError{strings.Join(errs, "; ")}
	}
	return got, nil
}

type lookError struct{ msg string }

func (e *lookError) Error() string { return e.msg }

func total(reqs map[string]int) int {
	n := 0
	for _, c := range reqs {
		n += c
	}
	return n
}

const (
	getIncident = "GET /incidents/{id}"
	getAlerts   = "GET /incidents/{id}/alerts"
	getLog      = "GET /incidents/{id}/log_entries"
	getNotes    = "GET /incidents/{id}/notes"
	getOnCalls  = "GET /oncalls"
	getChanges  = "GET /change_events"
	getRelated  = "GET /incidents/{id}/related_change_events"
)

func wantRequests(t *testing.T, what string, got map[string]int, want map[string]int) {
	t.Helper()
	for path, n := range want {
		if got[path] != n {
			t.Errorf("%s: %d × %s, want %d (all: %v)", what, got[path], path, n, got)
		}
	}
	for path, n := range got {
		if _, ok := want[path]; !ok {
			t.Errorf("%s: unexpected %d × %s (all: %v)", what, n, path, got)
		}
	}
}

func lookWorld(t *testing.T) (*world, *looker, string, string) {
	t.Helper()
	w := newWorld(t)
	a := w.trigger(t, "error rate above 5%", "high")
	b := w.trigger(t, "p99 latency above 2s", "high")
	if _, err := w.pd.AddChangeEvent(pdemulator.ChangeEvent{ServiceID: w.service, Summary: "deploy payment-gateway v2.4.1", Timestamp: time.Now().Add(-10 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	l := newLooker(t, w)
	l.list()
	return w, l, a, b
}

// TestSettledLookRequests counts the requests of settled looks: the
// incident itself comes from the list, who is on call and the account's
// change events are read once per lifetime for every incident, and a
// manual refresh asks for everything again.
func TestSettledLookRequests(t *testing.T) {
	_, l, a, b := lookWorld(t)

	got, err := l.look(a, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	wantRequests(t, "first look", got, map[string]int{getAlerts: 1, getLog: 1, getNotes: 1, getOnCalls: 1, getChanges: 1, getRelated: 1})

	// Another incident of the same policy within the lifetimes: only what
	// is its own.
	got, err = l.look(b, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	wantRequests(t, "look at another incident", got, map[string]int{getAlerts: 1, getLog: 1, getNotes: 1, getRelated: 1})
	if n := total(got); n > 4 {
		t.Errorf("a settled look made %d requests, want at most 4: %v", n, got)
	}

	// Back to the first within the lifetimes: its related changes are kept.
	got, err = l.look(a, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	wantRequests(t, "second look", got, map[string]int{getAlerts: 1, getLog: 1, getNotes: 1})

	// After the lifetimes (and a refresh of the list in between, as every
	// interval has), everything kept is read again.
	l.clk.add(pagerduty.DefaultOnCallLifetime + time.Second)
	l.list()
	got, err = l.look(a, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	wantRequests(t, "look after the lifetimes", got, map[string]int{getAlerts: 1, getLog: 1, getNotes: 1, getOnCalls: 1, getChanges: 1, getRelated: 1})

	// A manual refresh asks for everything, the incident too.
	got, err = l.look(a, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	wantRequests(t, "manual refresh", got, map[string]int{getIncident: 1, getAlerts: 1, getLog: 1, getNotes: 1, getOnCalls: 1, getChanges: 1, getRelated: 1})

	// A list copy older than a refresh does not stand for the incident.
	l.clk.add(pagerduty.ListedLifetime)
	got, err = l.look(a, pagerduty.PartNotes, false)
	if err != nil {
		t.Fatal(err)
	}
	wantRequests(t, "look with an old list", got, map[string]int{getIncident: 1, getNotes: 1})
}

// TestLookByPane asks only for what one pane shows.
func TestLookByPane(t *testing.T) {
	_, l, a, b := lookWorld(t)
	// The Overview: who is on call and the latest of the timeline.
	got, err := l.look(a, pagerduty.PartLogEntries|pagerduty.PartOnCall, false)
	if err != nil {
		t.Fatal(err)
	}
	wantRequests(t, "overview", got, map[string]int{getLog: 1, getOnCalls: 1})
	got, err = l.look(b, pagerduty.PartLogEntries|pagerduty.PartOnCall, false)
	if err != nil {
		t.Fatal(err)
	}
	wantRequests(t, "overview of another incident", got, map[string]int{getLog: 1})
	got, err = l.look(b, pagerduty.PartAlerts, false)
	if err != nil {
		t.Fatal(err)
	}
	wantRequests(t, "alerts", got, map[string]int{getAlerts: 1})
}

// TestLookFailureShows: a source that fails says so, and what was kept
// from it before is not served as current afterwards.
func TestLookFailureShows(t *testing.T) {
	w, l, a, _ := lookWorld(t)
	if _, err := l.look(a, 0, false); err != nil {
		t.Fatal(err)
	}
	// Both kept sources fail on the manual refresh (every retry too).
	for _, p := range []string{"/oncalls", "/change_events"} {
		if err := w.pd.InjectFault(pdemulator.Fault{Method: "GET", Path: p, Kind: pdemulator.FaultServerError, Status: 503, Times: 4}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := l.look(a, 0, true)
	if err == nil {
		t.Fatal("a refresh whose sources failed reported no error")
	}
	for _, want := range []string{"on-calls", "/change_events"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not name %q: %v", want, err)
		}
	}
	if n := w.pd.PendingFaults(); n != 0 {
		t.Fatalf("%d faults not served", n)
	}
	// Within the lifetimes, the next look asks again instead of showing
	// the answers kept before the failure.
	got, err := l.look(a, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	if got[getOnCalls] != 1 || got[getChanges] != 1 {
		t.Errorf("after a failure the kept answers were served: %v", got)
	}
	// And the detail's error is the detail's, with what did arrive beside it.
	if err := w.pd.InjectFault(pdemulator.Fault{Method: "GET", Path: "/oncalls", Kind: pdemulator.FaultServerError, Status: 503, Times: 4}); err != nil {
		t.Fatal(err)
	}
	d, err := l.feed.DetailWith(context.Background(), a, pagerduty.DetailOptions{Fresh: true})
	if err == nil || !strings.Contains(err.Error(), "on-calls") {
		t.Fatalf("err = %v, want the on-call failure", err)
	}
	if d.Incident.ID != a || len(d.LogEntries) == 0 {
		t.Errorf("what did arrive is lost: %+v", d)
	}
}

// TestOnCallLivesNoLongerThanTheShift: an answer is kept until the first
// shift in it ends, when that comes before the lifetime.
func TestOnCallLivesNoLongerThanTheShift(t *testing.T) {
	pd := pdemulator.New(pdemulator.Options{Token: token})
	url, err := pd.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pd.Close() })
	u, err := pd.AddUser(pdemulator.User{Name: "Alice Chen", Email: "alice@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	ep, err := pd.AddEscalationPolicy(pdemulator.EscalationPolicy{Name: "Payments", Levels: []pdemulator.EscalationLevel{{UserIDs: []string{u}}}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := pd.AddOnCall(pdemulator.OnCall{UserID: u, EscalationPolicyID: ep, Level: 1, Start: now.Add(-time.Hour), End: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	clk := &fakeClock{t: now}
	c := pagerduty.New(pagerduty.Config{APIURL: url, Token: token, Now: clk.now})
	ctx := context.Background()
	count := func() int {
		n := 0
		for _, r := range pd.Requests() {
			if r.Path == "/oncalls" {
				n++
			}
		}
		return n
	}
	oc, err := c.OnCall(ctx, ep, false)
	if err != nil || len(oc) != 1 || oc[0].User.Name != "Alice Chen" {
		t.Fatalf("OnCall = %+v, %v", oc, err)
	}
	clk.add(59 * time.Second)
	if _, err := c.OnCall(ctx, ep, false); err != nil || count() != 1 {
		t.Fatalf("within the shift: %d requests, err %v; want 1", count(), err)
	}
	clk.add(2 * time.Second)
	if _, err := c.OnCall(ctx, ep, false); err != nil || count() != 2 {
		t.Fatalf("after the shift ended: %d requests, err %v; want 2", count(), err)
	}
}
