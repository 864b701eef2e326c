package effect_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"sitrep/actions"
	"sitrep/actions/effect"
	"sitrep/sources/demo/metricsemu"
	"sitrep/sources/metrics"
	"sitrep/sources/metrics/promtest"
)

func TestBeforeAfterThroughTheEmulator(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	actionAt := now.Add(-20 * time.Minute)
	done := now.Add(-15 * time.Minute)
	window := 5 * time.Minute

	e := metricsemu.New()
	// Values exact in binary, so the means compare exactly. The restart fixes the error rate as soon as it has finished.
	e.SetSeries("rate5xx", nil, func(t time.Time) float64 {
		if t.Before(done) {
			return 0.3125
		}
		return 0.015625
	})
	e.SetSeries("latency", nil, func(time.Time) float64 { return 120 })
	e.SetFault("broken", metricsemu.Fault{Status: 503})
	srv, err := e.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c, err := metrics.New(metrics.Config{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	queries := []metrics.Query{
		{Name: "5xx rate", PromQL: "rate5xx", Unit: "req/s"},
		{Name: "p99", PromQL: "broken", Unit: "ms"},
		{PromQL: "latency", Unit: "ms"},
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	eff, err := effect.BeforeAfter(ctx, c, queries, actionAt, window)
	if err == nil || !strings.Contains(err.Error(), `server_error: server error: 503`) || !strings.Contains(err.Error(), `(query "p99")`) {
		t.Fatalf("before: error %v, want the failing query named", err)
	}

	tests := []struct {
		name    string
		done    time.Time
		want    []actions.MetricChange
		wantErr string
		open    bool
	}{
		{"window still open", now.Add(-time.Minute), nil, "still open", true},
		{"after the window closed: the failing query does not cancel the others", done, []actions.MetricChange{
			{Name: "5xx rate", Unit: "req/s", Before: 0.3125, After: 0.015625, At: actionAt},
			{Name: "p99", Unit: "ms", At: actionAt, NoData: "before the action: server_error: server error: 503: Service Unavailable; after it: server_error: server error: 503: Service Unavailable"},
			{Name: "latency", Unit: "ms", Before: 120, After: 120, At: actionAt},
		}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := eff.After(ctx, tt.done)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("error %v, want none", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
			if errors.Is(err, effect.ErrWindowOpen) != tt.open {
				t.Errorf("ErrWindowOpen = %v, want %v", !tt.open, tt.open)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("changes %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("change %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
	if got := eff.ReadyAt(done); !got.Equal(done.Add(window)) {
		t.Errorf("ReadyAt = %s", got)
	}
}

// fakeWindower answers from a table, to check which windows are asked for.
type fakeWindower struct{ asked chan [2]time.Time }

func (f fakeWindower) Window(_ context.Context, q metrics.Query, at time.Time, d time.Duration) (float64, error) {
	f.asked <- [2]time.Time{at.Add(-d), at}
	return 1, nil
}

func TestWindowsAskedFor(t *testing.T) {
	actionAt := time.Date(2025, 11, 29, 3, 0, 0, 0, time.UTC)
	done := actionAt.Add(2 * time.Minute)
	fw := fakeWindower{asked: make(chan [2]time.Time, 2)}
	eff, err := effect.BeforeAfter(context.Background(), fw, []metrics.Query{{Name: "x", PromQL: "x"}}, actionAt, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eff.After(context.Background(), done); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, from, to string }{
		{"before: the window ending at the action", "02:55", "03:00"},
		{"after: the same window starting when it finished", "03:02", "03:07"},
	}
	for _, tt := range tests {
		w := <-fw.asked
		if w[0].Format("15:04") != tt.from || w[1].Format("15:04") != tt.to {
			t.Errorf("%s: asked %s–%s, want %s–%s", tt.name, w[0].Format("15:04"), w[1].Format("15:04"), tt.from, tt.to)
		}
	}
}

// TestOneMetricWithoutDataThroughPrometheus runs a real Prometheus holding
// one live series, one that went stale at the action (its exporter died
// with the pod) and a query that matches nothing: the live metric is
// compared, and the other two each say which window had no data.
func TestOneMetricWithoutDataThroughPrometheus(t *testing.T) {
	sp := promtest.NewSpike(time.Now())
	actionAt := sp.SpikeTo.Add(-5 * time.Minute) // in the spike
	done := sp.SpikeTo.Add(2 * time.Minute)      // back at the baseline
	window := 2 * time.Minute
	stale := promtest.Series{Metric: "queue_depth", Labels: map[string]string{"service": "payment-gateway"}}
	for _, s := range sp.Series.Samples {
		if !s.T.After(actionAt) {
			stale.Samples = append(stale.Samples, promtest.Sample{T: s.T, V: 7})
		}
	}
	srv := promtest.Start(t, sp.Series, stale)
	c, err := metrics.New(metrics.Config{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	queries := []metrics.Query{
		{Name: "5xx rate", PromQL: promtest.SpikeMetric + `{service="payment-gateway"}`},
		{Name: "queue", PromQL: `queue_depth{service="payment-gateway"}`},
		{Name: "absent", PromQL: `no_such_metric{service="payment-gateway"}`},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	eff, err := effect.BeforeAfter(ctx, c, queries, actionAt, window)
	if err == nil || !strings.Contains(err.Error(), `(query "absent")`) || strings.Contains(err.Error(), `(query "queue")`) {
		t.Fatalf("before: error %v, want only the absent query named", err)
	}
	got, err := eff.After(ctx, done)
	if err != nil {
		t.Fatalf("after: %v (one metric without data must not fail the others)", err)
	}
	if len(got) != 3 {
		t.Fatalf("changes %+v, want one per query", got)
	}
	if g := got[0]; g.NoData != "" || g.Before < promtest.SpikeHigh || g.After > promtest.SpikeBaseline+0.01 {
		t.Errorf("5xx rate = %+v, want compared: spike before, baseline after", g)
	}
	if g := got[1]; g.Before != 7 || !strings.HasPrefix(g.NoData, "after it: no series in ") {
		t.Errorf("queue = %+v, want its value before and no data after", g)
	}
	if g := got[2]; !strings.HasPrefix(g.NoData, "before the action: no series in ") || !strings.Contains(g.NoData, "; after it: no series in ") {
		t.Errorf("absent = %+v, want no data in both windows", g)
	}
}

// failingWindower has no data for any query.
type failingWindower struct{}

func (failingWindower) Window(context.Context, metrics.Query, time.Time, time.Duration) (float64, error) {
	return 0, &metrics.QueryError{Server: "http://prom", Kind: metrics.KindUnreachable, Msg: "cannot connect: connection refused"}
}

func TestNoMetricComparedIsAnError(t *testing.T) {
	actionAt := time.Date(2025, 11, 29, 3, 0, 0, 0, time.UTC)
	eff, _ := effect.BeforeAfter(context.Background(), failingWindower{}, []metrics.Query{{Name: "a", PromQL: "a"}, {Name: "b", PromQL: "b"}}, actionAt, time.Minute)
	got, err := eff.After(context.Background(), actionAt.Add(time.Minute))
	if !errors.Is(err, effect.ErrNoMetric) {
		t.Fatalf("error %v, want ErrNoMetric", err)
	}
	if len(got) != 2 || got[1].NoData != "before the action: unreachable: cannot connect: connection refused; after it: unreachable: cannot connect: connection refused" {
		t.Errorf("changes %+v, want each with its reason", got)
	}
}
