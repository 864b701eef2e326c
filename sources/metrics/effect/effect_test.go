package effect_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"sitrep/actions"
	"sitrep/sources/metrics"
	"sitrep/sources/metrics/effect"
	"sitrep/sources/metricsemu"
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
		{"after the window closed", done, []actions.MetricChange{
			{Name: "5xx rate", Unit: "req/s", Before: 0.3125, After: 0.015625, At: actionAt},
			{Name: "latency", Unit: "ms", Before: 120, After: 120, At: actionAt},
		}, `(query "p99")`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := eff.After(ctx, tt.done)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
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
