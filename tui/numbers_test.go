package tui

import (
	"strings"
	"testing"
	"time"

	"sitrep/actions"
	"sitrep/sources/enrich"
	"sitrep/sources/metrics"
	"sitrep/sources/pagerduty"
)

// TestMetricValuesHaveNoExponent checks the E note, a pin's summary and the
// run view's effect: a latency of 2630 ms reads "2,630 ms", not "2.63e+03".
func TestMetricValuesHaveNoExponent(t *testing.T) {
	rec := &memoryRecorder{}
	incidents := fixture(3)
	m := New(nil, Options{Now: fixedClock, Recorder: rec, Enricher: nopEnricher{}})
	m = step(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: incidents, at: t0})
	in := incidents[0]
	threshold := 1500.0
	q := metrics.Query{Name: "p99 latency", PromQL: "latency", Unit: "ms", Threshold: &threshold}
	var pts []metrics.Point
	for i, v := range []float64{120, 2630, 12840.4, 2630} {
		pts = append(pts, metrics.Point{T: t0.Add(time.Duration(i-4) * time.Minute), V: v})
	}
	m.enrichment[in.ID] = &enrichState{panes: map[string]paneData{}}
	m = step(t, m, enrichArrived{id: in.ID, result: enrich.Result{SourceID: paneMetrics, FetchedAt: t0,
		Value: enrich.Charts{Start: t0.Add(-time.Hour), End: t0, Results: []metrics.Result{{Query: q, Series: []metrics.Series{{Points: pts}}}}}}})

	summary, ok := m.enrichmentSummary(in)
	if want := "p99 latency: now 2,630 ms, peak 12,840 ms, threshold 1,500 ms"; !ok || !strings.Contains(summary, want) {
		t.Errorf("the E note does not say %q:\n%s", want, summary)
	}
	_, pin := m.paneFacts(in, "Metrics")
	if want := "p99 latency 2,630 ms (peak 12,840 ms)"; pin != want {
		t.Errorf("pin summary = %q, want %q", pin, want)
	}
	effect := effectText([]actions.MetricChange{{Name: "p99 latency", Unit: "ms", Before: 2630, After: 0.00012}})
	if want := "p99 latency 2,630 ms → 0.00012 ms"; effect != want {
		t.Errorf("effect = %q, want %q", effect, want)
	}
	for _, s := range []string{summary, pin, effect} {
		if strings.Contains(s, "e+") || strings.Contains(s, "e-0") {
			t.Errorf("scientific notation in %q", s)
		}
	}
}
