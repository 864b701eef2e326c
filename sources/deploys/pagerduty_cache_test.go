package deploys

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// changeServer answers /change_events with the events in [since, until)
// as PagerDuty does, and counts the requests by path.
func changeServer(t *testing.T, fail *bool) (PagerDuty, func() map[string]int) {
	t.Helper()
	type event struct{ id, svc, ts string }
	events := []event{
		{"E1", "PSVC001", "2026-11-29T00:30:00Z"},
		{"E2", "POTHER", "2026-11-29T01:15:00Z"},
		{"E3", "PSVC001", "2026-11-29T01:45:00Z"},
		{"E4", "POTHER", "2026-11-29T02:30:00Z"},
	}
	var mu sync.Mutex
	srv, calls := pdServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		failing := fail != nil && *fail
		mu.Unlock()
		if failing {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"error":{"message":"Service unavailable","code":2001}}`)
			return
		}
		if strings.HasSuffix(r.URL.Path, "/related_change_events") {
			fmt.Fprint(w, relatedBody)
			return
		}
		q := r.URL.Query()
		var out []string
		for _, e := range events {
			at, _ := time.Parse(time.RFC3339, e.ts)
			if s := q.Get("since"); s != "" {
				if since, _ := time.Parse(time.RFC3339, s); at.Before(since) {
					continue
				}
			}
			if u := q.Get("until"); u != "" {
				if until, _ := time.Parse(time.RFC3339, u); !at.Before(until) {
					continue
				}
			}
			out = append(out, fmt.Sprintf(`{"id":%q,"summary":"deploy","timestamp":%q,"services":[{"id":%q,"summary":"svc-%s"}]}`, e.id, e.ts, e.svc, e.svc))
		}
		fmt.Fprintf(w, `{"change_events":[%s],"more":false}`, strings.Join(out, ","))
	})
	p := PagerDuty{Client: srv.Client(), BaseURL: srv.URL, Token: testToken}
	return p, func() map[string]int {
		n := map[string]int{}
		for _, c := range calls() {
			n[c.path]++
		}
		return n
	}
}

func ids(cs []Change) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return strings.Join(out, " ")
}

// TestChangeCacheAccountWindow: one read of the account's change events
// serves every service and every window inside it while it lives.
func TestChangeCacheAccountWindow(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)}
	p, count := changeServer(t, nil)
	p.Cache = &ChangeCache{Now: clk.now}
	ctx := context.Background()
	at := func(hhmm string) time.Time {
		t, _ := time.Parse("2006-01-02T15:04Z", "2026-11-29T"+hhmm+"Z")
		return t
	}
	steps := []struct {
		name         string
		since, until time.Time
		service      string
		wantIDs      string
		wantRequests int // so far
	}{
		{"first incident", at("01:00"), at("03:00"), "PSVC001", "E3", 1},
		{"another service, later window", at("01:30"), at("03:00"), "POTHER", "E4", 1},
		{"an older incident widens the read", at("00:00"), at("03:00"), "PSVC001", "E1 E3", 2},
		{"the first again, from the wider read", at("01:00"), at("03:00"), "", "E2 E3 E4", 2},
		{"until a moment later, within the lifetime", at("01:00"), at("03:01"), "POTHER", "E2 E4", 2},
	}
	for _, s := range steps {
		got, err := p.ListChanges(ctx, s.since, s.until, s.service)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if ids(got) != s.wantIDs {
			t.Errorf("%s: changes %q, want %q", s.name, ids(got), s.wantIDs)
		}
		if n := count()["/change_events"]; n != s.wantRequests {
			t.Errorf("%s: %d requests so far, want %d", s.name, n, s.wantRequests)
		}
	}
	// After the lifetime the account is read again, from the window asked.
	clk.add(DefaultChangeLifetime)
	if _, err := p.ListChanges(ctx, at("01:00"), at("03:02"), ""); err != nil {
		t.Fatal(err)
	}
	if n := count()["/change_events"]; n != 3 {
		t.Errorf("after the lifetime: %d requests, want 3", n)
	}
	// A manual refresh forgets it.
	p.Forget("Q1")
	if _, err := p.ListChanges(ctx, at("01:00"), at("03:02"), ""); err != nil {
		t.Fatal(err)
	}
	if n := count()["/change_events"]; n != 4 {
		t.Errorf("after Forget: %d requests, want 4", n)
	}
}

// TestChangeCacheFailure: a failed read is an error, and what was kept
// before it is not served afterwards.
func TestChangeCacheFailure(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)}
	fail := false
	p, count := changeServer(t, &fail)
	p.Cache = &ChangeCache{Now: clk.now}
	ctx := context.Background()
	since, until := clk.now().Add(-3*time.Hour), clk.now()
	if _, err := p.ListChanges(ctx, since, until, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := p.RelatedChanges(ctx, "Q1"); err != nil {
		t.Fatal(err)
	}
	fail = true
	p.Forget("Q1") // the engineer refreshes while PagerDuty fails
	if _, err := p.ListChanges(ctx, since, until, ""); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("ListChanges while failing: err = %v, want the 503", err)
	}
	if _, err := p.RelatedChanges(ctx, "Q1"); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("RelatedChanges while failing: err = %v, want the 503", err)
	}
	// Still failing, within the lifetime: the error again, not the old answer.
	if got, err := p.ListChanges(ctx, since, until, ""); err == nil {
		t.Errorf("after a failure the kept answer was served: %v", ids(got))
	}
	if got, err := p.RelatedChanges(ctx, "Q1"); err == nil {
		t.Errorf("after a failure the kept related changes were served: %v", ids(got))
	}
	fail = false
	got, err := p.RelatedChanges(ctx, "Q1")
	if err != nil || len(got) != 2 {
		t.Fatalf("after the recovery: %v, %v", ids(got), err)
	}
	if _, err := p.RelatedChanges(ctx, "Q1"); err != nil {
		t.Fatal(err)
	}
	if n := count()["/incidents/Q1/related_change_events"]; n != 4 {
		t.Errorf("related change events read %d times, want 4 (the last look served from the cache)", n)
	}
}

// TestChangeCacheCutShort: a read cut off at MaxPages is not kept, and a
// widened read cut short is not trusted for the window asked: that window
// is read on its own.
func TestChangeCacheCutShort(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)}
	var (
		mu    sync.Mutex
		reads []string
	)
	srv, _ := pdServer(t, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		mu.Lock()
		reads = append(reads, q.Get("since")+".."+q.Get("until"))
		mu.Unlock()
		// Up to 03:05 the account's events fit one page; after, they do not.
		more := q.Get("until") > "2026-11-29T03:05:00Z"
		fmt.Fprintf(w, `{"change_events":[{"id":"E","summary":"s","timestamp":"2026-11-29T02:00:00Z"}],"more":%v}`, more)
	})
	p := PagerDuty{Client: srv.Client(), BaseURL: srv.URL, MaxPages: 1, Cache: &ChangeCache{Now: clk.now}}
	ctx := context.Background()
	at := func(hhmm string) time.Time {
		t, _ := time.Parse("2006-01-02T15:04Z", "2026-11-29T"+hhmm+"Z")
		return t
	}
	for _, w := range [][2]string{
		{"01:30", "03:00"}, // complete: kept
		{"01:45", "03:10"}, // past the kept window: widened to 01:30, cut short, read again from 01:45
		{"01:45", "03:10"}, // nothing cut short is kept
	} {
		if _, err := p.ListChanges(ctx, at(w[0]), at(w[1]), ""); err != nil {
			t.Fatal(err)
		}
	}
	want := "2026-11-29T01:30:00Z..2026-11-29T03:00:00Z " +
		"2026-11-29T01:30:00Z..2026-11-29T03:10:00Z 2026-11-29T01:45:00Z..2026-11-29T03:10:00Z " +
		"2026-11-29T01:30:00Z..2026-11-29T03:10:00Z 2026-11-29T01:45:00Z..2026-11-29T03:10:00Z"
	if got := strings.Join(reads, " "); got != want {
		t.Errorf("reads:\n%s\nwant:\n%s", got, want)
	}
}

// TestChangeCacheConcurrent looks at many incidents at once.
func TestChangeCacheConcurrent(t *testing.T) {
	p, _ := changeServer(t, nil)
	p.Cache = &ChangeCache{}
	now := time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			ctx := context.Background()
			if _, err := p.ListChanges(ctx, now.Add(-time.Duration(i)*10*time.Minute), now, "PSVC001"); err != nil {
				t.Error(err)
			}
			if _, err := p.RelatedChanges(ctx, fmt.Sprintf("Q%d", i%5)); err != nil {
				t.Error(err)
			}
			if i%7 == 0 {
				p.Forget("Q1")
			}
		})
	}
	wg.Wait()
}
