package metrics_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"sitrep/sources/metrics"
	"sitrep/sources/metrics/promtest"
)

// flaky is a second series with NaN samples among known values.
func flaky(sp promtest.Spike) promtest.Series {
	s := promtest.Series{Metric: "queue_depth", Labels: map[string]string{"service": "payment-gateway"}}
	for i, smp := range sp.Series.Samples[:20] {
		v := float64(i)
		if i%5 == 0 {
			v = math.NaN()
		}
		s.Samples = append(s.Samples, promtest.Sample{T: smp.T, V: v})
	}
	return s
}

func TestAgainstPrometheus(t *testing.T) {
	sp := promtest.NewSpike(time.Now())
	fl := flaky(sp)
	srv := promtest.Start(t, sp.Series, fl)
	c, err := metrics.New(metrics.Config{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	samples := sp.Series.Samples
	first, last := samples[0].T, samples[len(samples)-1].T
	spikeIdx := func(from, to time.Time) []promtest.Sample {
		var out []promtest.Sample
		for _, s := range samples {
			if !s.T.Before(from) && !s.T.After(to) {
				out = append(out, s)
			}
		}
		return out
	}

	t.Run("Range", func(t *testing.T) {
		tests := []struct {
			name       string
			promql     string
			start, end time.Time
			width      int
			want       []promtest.Sample
			wantSeries int
			wantErr    string
		}{
			{
				name:   "whole hour at the sample interval",
				promql: `http_5xx_rate{service="payment-gateway"}`,
				start:  first, end: last, width: 240,
				want: samples, wantSeries: 1,
			},
			{
				name:   "the spike alone",
				promql: `http_5xx_rate`,
				start:  sp.SpikeFrom, end: sp.SpikeTo.Add(-sp.Interval), width: 59,
				want: spikeIdx(sp.SpikeFrom, sp.SpikeTo.Add(-sp.Interval)), wantSeries: 1,
			},
			{
				name:   "nothing matches",
				promql: `http_5xx_rate{service="nope"}`,
				start:  first, end: last, width: 240,
				wantSeries: 0,
			},
			{
				name:   "parse error",
				promql: `sum(http_5xx_rate`,
				start:  first, end: last, width: 240,
				wantErr: "prometheus " + srv.URL + ": bad_data: ",
			},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				res, err := c.Range(ctx, metrics.Query{Name: "5xx rate", PromQL: tt.promql}, tt.start, tt.end, tt.width)
				if tt.wantErr != "" {
					if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), `(query "5xx rate")`) {
						t.Fatalf("error = %v, want prefix %q naming the query", err, tt.wantErr)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if res.Step != sp.Interval {
					t.Errorf("step = %s, want %s", res.Step, sp.Interval)
				}
				if len(res.Series) != tt.wantSeries {
					t.Fatalf("%d series, want %d: %+v", len(res.Series), tt.wantSeries, res.Series)
				}
				if tt.wantSeries == 0 {
					return
				}
				s := res.Series[0]
				if s.Labels["service"] != "payment-gateway" || s.Labels["__name__"] != promtest.SpikeMetric {
					t.Errorf("labels = %v", s.Labels)
				}
				assertPoints(t, s.Points, tt.want)
			})
		}
	})

	t.Run("NaN samples are left out and counted", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		from, to := fl.Samples[0].T, fl.Samples[len(fl.Samples)-1].T
		res, err := c.Range(ctx, metrics.Query{PromQL: "queue_depth"}, from, to, 19)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Series) != 1 {
			t.Fatalf("%d series, want 1", len(res.Series))
		}
		var want []promtest.Sample
		for _, s := range fl.Samples {
			if !math.IsNaN(s.V) {
				want = append(want, s)
			}
		}
		assertPoints(t, res.Series[0].Points, want)
		if got := res.Series[0].Skipped; got != 4 {
			t.Errorf("skipped = %d, want 4", got)
		}
		if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "4 NaN or infinite samples left out") {
			t.Errorf("warnings = %q", res.Warnings)
		}
	})

	t.Run("Instant", func(t *testing.T) {
		tests := []struct {
			name string
			at   promtest.Sample
		}{
			{"baseline", samples[3]},
			{"spike", spikeIdx(sp.SpikeFrom, sp.SpikeTo)[7]},
			{"last", samples[len(samples)-1]},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				res, err := c.Instant(ctx, promtest.SpikeMetric, tt.at.T)
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Series) != 1 || len(res.Series[0].Points) != 1 {
					t.Fatalf("want one series with one point, got %+v", res.Series)
				}
				assertPoints(t, res.Series[0].Points, []promtest.Sample{tt.at})
			})
		}
	})

	t.Run("Window", func(t *testing.T) {
		tests := []struct {
			name string
			at   time.Time
			d    time.Duration
		}{
			{"before the spike", sp.SpikeFrom.Add(-sp.Interval), 15 * time.Minute},
			{"inside the spike", sp.SpikeTo.Add(-sp.Interval), 59 * sp.Interval},
			{"after the spike", last, 15 * time.Minute},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				got, err := c.Window(ctx, metrics.Query{Name: "5xx", PromQL: promtest.SpikeMetric}, tt.at, tt.d)
				if err != nil {
					t.Fatal(err)
				}
				in := spikeIdx(tt.at.Add(-tt.d), tt.at)
				var sum float64
				for _, s := range in {
					sum += s.V
				}
				if want := sum / float64(len(in)); got != want {
					t.Errorf("mean = %v, want %v (over %d samples)", got, want, len(in))
				}
			})
		}
	})

	t.Run("Window with no data", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := c.Window(ctx, metrics.Query{PromQL: promtest.SpikeMetric}, first.Add(-time.Hour), 5*time.Minute)
		if !errors.Is(err, metrics.ErrNoData) {
			t.Fatalf("error = %v, want ErrNoData", err)
		}
	})
}

func assertPoints(t *testing.T, got []metrics.Point, want []promtest.Sample) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d points, want %d", len(got), len(want))
	}
	for i := range want {
		if !got[i].T.Equal(want[i].T) || got[i].V != want[i].V {
			t.Fatalf("point %d = %v %v, want %v %v", i, got[i].T, got[i].V, want[i].T, want[i].V)
		}
	}
}
