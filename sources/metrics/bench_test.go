package metrics_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"sitrep/sources/demo/metricsemu"
	"sitrep/sources/metrics"
)

// BenchmarkRange is one pane's chart: ten series of 240 points from the
// emulator over loopback, decoded by the official client and converted.
func BenchmarkRange(b *testing.B) {
	e := metricsemu.New()
	for i := range 10 {
		e.SetSeries("rate", map[string]string{"pod": fmt.Sprint("pod-", i)}, func(t time.Time) float64 { return float64(t.Unix()%97) / 7 })
	}
	srv, err := e.Start()
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	c, err := metrics.New(metrics.Config{URL: srv.URL})
	if err != nil {
		b.Fatal(err)
	}
	end := time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)
	start := end.Add(-time.Hour)
	q := metrics.Query{PromQL: "rate"}
	ctx := context.Background()
	for b.Loop() {
		res, err := c.Range(ctx, q, start, end, 240)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Series) != 10 || len(res.Series[0].Points) != 241 {
			b.Fatalf("%d series, %d points", len(res.Series), len(res.Series[0].Points))
		}
	}
}
