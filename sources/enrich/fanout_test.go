package enrich_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"sitrep/sources/enrich"
)

// fake answers after a delay, or never (hang) until its context ends.
type fake struct {
	id      string
	delay   time.Duration
	hang    bool // ignores its context entirely
	err     error
	panics  bool
	timeout time.Duration
	calls   atomic.Int32
	release chan struct{}   // closed to let a hanging fake return
	after   <-chan struct{} // when set, the fake's timer starts once it is closed
}

func (f *fake) ID() string { return f.id }

func (f *fake) Fetch(ctx context.Context, t enrich.Target) (any, error) {
	f.calls.Add(1)
	if f.panics {
		panic("boom")
	}
	if f.hang {
		<-f.release
		return "late", nil
	}
	if f.after != nil {
		select {
		case <-f.after:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	timer := time.NewTimer(f.delay)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if f.err != nil {
		return nil, f.err
	}
	return f.id + " for " + t.Service, nil
}

// timed is a fake with a deadline of its own.
type timed struct{ *fake }

func (s timed) Timeout() time.Duration { return s.timeout }

var target = enrich.Target{IncidentID: "PABC123", Service: "payment-gateway", Env: "prod", Start: time.Date(2026, 11, 29, 2, 0, 0, 0, time.UTC)}

func collect(t *testing.T, ch <-chan enrich.Result) []enrich.Result {
	t.Helper()
	var out []enrich.Result
	for r := range ch {
		out = append(out, r)
	}
	return out
}

func ids(rs []enrich.Result) string {
	var s []string
	for _, r := range rs {
		s = append(s, r.SourceID)
	}
	return strings.Join(s, ",")
}

// TestFetchDeliversInOrderOfLatency runs three sources on real timers of
// 10, 50 and 200 ms. So that a busy machine cannot reorder them, each
// slower source starts its timer only once the test has received the
// faster one's result: a fan-out that held results back until all were
// ready would then never deliver in time (each source is cut at 5 s), and
// the test fails rather than passes by luck.
func TestFetchDeliversInOrderOfLatency(t *testing.T) {
	tests := []struct {
		name  string
		order []int // the sources' positions in the list passed to Fetch
		fail  string
		want  string
	}{
		{"listed slowest first", []int{2, 1, 0}, "", "metrics,logs,deploys"},
		{"listed mixed", []int{1, 2, 0}, "", "metrics,logs,deploys"},
		{"a failure arrives in its turn", []int{0, 1, 2}, "logs", "metrics,logs,deploys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gotMetrics, gotLogs := make(chan struct{}), make(chan struct{})
			byLatency := []*fake{
				{id: "metrics", delay: 10 * time.Millisecond},
				{id: "logs", delay: 50 * time.Millisecond, after: gotMetrics},
				{id: "deploys", delay: 200 * time.Millisecond, after: gotLogs},
			}
			srcs := make([]enrich.Source, 3)
			for i, f := range byLatency {
				if f.id == tt.fail {
					f.err = errors.New(f.id + ": 500")
				}
				srcs[tt.order[i]] = f
			}
			var f enrich.Fanout
			var got []enrich.Result
			for r := range f.Fetch(context.Background(), target, srcs) {
				got = append(got, r)
				switch r.SourceID {
				case "metrics":
					close(gotMetrics)
				case "logs":
					close(gotLogs)
				}
			}
			if ids(got) != tt.want {
				t.Fatalf("order %s, want %s", ids(got), tt.want)
			}
			for _, r := range got {
				if r.FromCache || r.FetchedAt.IsZero() || r.Target != target {
					t.Errorf("%s: %+v", r.SourceID, r)
				}
				if (r.Err != nil) != (r.SourceID == tt.fail) {
					t.Errorf("%s: error %v", r.SourceID, r.Err)
				}
				if r.Err == nil && r.Value != r.SourceID+" for payment-gateway" {
					t.Errorf("%s: value %v", r.SourceID, r.Value)
				}
			}
		})
	}
}

func TestHangingSourceIsCutAtItsDeadline(t *testing.T) {
	hung := &fake{id: "pagerduty-notes", hang: true, release: make(chan struct{})}
	defer close(hung.release)
	ownDeadline := &fake{id: "slow-logs", delay: time.Hour, timeout: 100 * time.Millisecond}
	srcs := []enrich.Source{
		hung,
		timed{ownDeadline},
		&fake{id: "metrics", delay: time.Millisecond},
		&fake{id: "deploys", delay: 5 * time.Millisecond},
	}
	f := enrich.Fanout{Timeout: 400 * time.Millisecond}
	got := collect(t, f.Fetch(context.Background(), target, srcs))
	if len(got) != 4 {
		t.Fatalf("%d results, want 4", len(got))
	}
	// The two quick ones first, in either order; then the cut ones in the
	// order of their deadlines.
	if first := ids(got[:2]); first != "metrics,deploys" && first != "deploys,metrics" {
		t.Errorf("first %s, want metrics and deploys", first)
	}
	if last := ids(got[2:]); last != "slow-logs,pagerduty-notes" {
		t.Errorf("last %s, want slow-logs,pagerduty-notes", last)
	}
	tests := []struct {
		id      string
		wantErr string
		after   time.Duration
	}{
		{"metrics", "", 0},
		{"deploys", "", 0},
		{"slow-logs", "source slow-logs gave no answer within 100ms", 100 * time.Millisecond},
		{"pagerduty-notes", "source pagerduty-notes gave no answer within 400ms", 400 * time.Millisecond},
	}
	byID := map[string]enrich.Result{}
	for _, r := range got {
		byID[r.SourceID] = r
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			r := byID[tt.id]
			if tt.wantErr == "" {
				if r.Err != nil {
					t.Fatalf("error %v", r.Err)
				}
				return
			}
			if r.Err == nil || !strings.Contains(r.Err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want %q", r.Err, tt.wantErr)
			}
			var de *enrich.DeadlineError
			if !errors.As(r.Err, &de) || de.After != tt.after {
				t.Errorf("error %v is not a DeadlineError of %s", r.Err, tt.after)
			}
			if r.Value != nil {
				t.Errorf("value %v from a source that was cut off", r.Value)
			}
			if r.Took < tt.after {
				t.Errorf("cut after %s, before its deadline %s", r.Took, tt.after)
			}
		})
	}
}

func TestCallerDeadlineIsNamedWhenItComesFirst(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	f := enrich.Fanout{Timeout: time.Hour}
	got := collect(t, f.Fetch(ctx, target, []enrich.Source{&fake{id: "logs", delay: time.Hour}}))
	var de *enrich.DeadlineError
	if len(got) != 1 || !errors.As(got[0].Err, &de) || de.After > 20*time.Millisecond {
		t.Fatalf("results %+v, want a deadline error of at most 20ms", got)
	}
}

func TestCancelledFetchReportsEverySource(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var f enrich.Fanout
	got := collect(t, f.Fetch(ctx, target, []enrich.Source{&fake{id: "a", delay: time.Hour}, &fake{id: "b", delay: time.Hour}}))
	if len(got) != 2 {
		t.Fatalf("%d results, want 2", len(got))
	}
	for _, r := range got {
		if !errors.Is(r.Err, context.Canceled) || !strings.Contains(r.Err.Error(), "source "+r.SourceID) {
			t.Errorf("%s: error %v, want it cancelled and named", r.SourceID, r.Err)
		}
	}
}

func TestPanickingSourceIsContained(t *testing.T) {
	var f enrich.Fanout
	got := collect(t, f.Fetch(context.Background(), target, []enrich.Source{&fake{id: "bad", panics: true}, &fake{id: "good", delay: time.Millisecond}, nil}))
	if len(got) != 2 {
		t.Fatalf("%d results, want 2", len(got))
	}
	for _, r := range got {
		var pe *enrich.PanicError
		if r.SourceID == "bad" && (!errors.As(r.Err, &pe) || !strings.Contains(r.Err.Error(), "source bad failed: panic: boom")) {
			t.Errorf("bad: error %v", r.Err)
		}
		if r.SourceID == "good" && r.Err != nil {
			t.Errorf("good: error %v", r.Err)
		}
	}
}

func TestCache(t *testing.T) {
	now := time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

	sameInstant := target
	sameInstant.Start = target.Start.In(time.FixedZone("CET", 3600))
	other := target
	other.IncidentID = "PXYZ"

	tests := []struct {
		name      string
		advance   time.Duration
		target    enrich.Target
		forget    bool
		wantCache bool
		wantCalls int32 // of the ok source, cumulative
	}{
		{"first fetch asks", 0, target, false, false, 1},
		{"within the TTL is served from the cache", 10 * time.Second, target, false, true, 1},
		{"the same instant in another zone is the same target", 0, sameInstant, false, true, 1},
		{"another incident asks", 0, other, false, false, 2},
		{"at the TTL asks again", 5 * time.Second, target, false, false, 3},
		{"forget asks again", 0, target, true, false, 4},
	}
	ok := &fake{id: "metrics"}
	failing := &fake{id: "logs", err: errors.New("loki down")}
	f := enrich.Fanout{TTL: 15 * time.Second, Now: clock}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			advance(tt.advance)
			if tt.forget {
				f.Forget(tt.target)
			}
			failsBefore := failing.calls.Load()
			got := collect(t, f.Fetch(context.Background(), tt.target, []enrich.Source{ok, failing}))
			if len(got) != 2 {
				t.Fatalf("%d results", len(got))
			}
			for _, r := range got {
				switch r.SourceID {
				case "metrics":
					if r.FromCache != tt.wantCache || r.Err != nil || r.Value != "metrics for payment-gateway" {
						t.Errorf("metrics: cache %v err %v value %v, want cache %v", r.FromCache, r.Err, r.Value, tt.wantCache)
					}
				case "logs":
					if r.FromCache || r.Err == nil {
						t.Errorf("logs: a failure must not be cached: %+v", r)
					}
				}
			}
			if c := ok.calls.Load(); c != tt.wantCalls {
				t.Errorf("source called %d times, want %d", c, tt.wantCalls)
			}
			if failing.calls.Load() != failsBefore+1 {
				t.Errorf("the failing source was not asked again")
			}
		})
	}
}

func TestCacheDisabled(t *testing.T) {
	ok := &fake{id: "metrics"}
	f := enrich.Fanout{TTL: -1}
	for range 3 {
		for r := range f.Fetch(context.Background(), target, []enrich.Source{ok}) {
			if r.FromCache {
				t.Fatal("served from a disabled cache")
			}
		}
	}
	if ok.calls.Load() != 3 {
		t.Fatalf("%d calls, want 3", ok.calls.Load())
	}
}

// BenchmarkFanout measures the time until all of three sources of
// different latency have delivered. It reports the overhead beyond the
// slowest source's own fetch time: concurrency makes the total the slowest
// plus that overhead, not the sum (sum-ms/op says what sequential would cost).
func BenchmarkFanout(b *testing.B) {
	delays := []time.Duration{10 * time.Millisecond, 50 * time.Millisecond, 200 * time.Millisecond}
	var srcs []enrich.Source
	var sum time.Duration
	for i, d := range delays {
		srcs = append(srcs, &fake{id: fmt.Sprint("s", i), delay: d})
		sum += d
	}
	f := enrich.Fanout{TTL: -1}
	var overhead, slowest time.Duration
	n := 0
	for b.Loop() {
		start := time.Now()
		var took time.Duration
		for r := range f.Fetch(context.Background(), target, srcs) {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
			took = max(took, r.Took)
		}
		overhead += time.Since(start) - took
		slowest += took
		n++
	}
	b.ReportMetric(float64(overhead.Microseconds())/float64(n), "overhead-µs/op")
	b.ReportMetric(float64(slowest.Microseconds())/float64(n)/1000, "slowest-ms/op")
	b.ReportMetric(float64(sum.Milliseconds()), "sum-ms/op")
}
