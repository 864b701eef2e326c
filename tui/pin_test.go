package tui

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"sitrep/sources/deploys"
	"sitrep/sources/enrich"
	"sitrep/sources/logs"
	"sitrep/sources/metrics"
	"sitrep/sources/pagerduty"
)

func TestPinOfMetricsKeepsTheValues(t *testing.T) {
	rec := &memoryRecorder{}
	incidents := fixture(3)
	m := New(nil, Options{Now: fixedClock, Recorder: rec, Enricher: nopEnricher{}})
	m = step(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: incidents, at: t0})
	in := incidents[0]
	threshold := 0.05
	q := metrics.Query{Name: "5xx rate", PromQL: "errors", Threshold: &threshold}
	var pts []metrics.Point
	for i, v := range []float64{0.01, 0.02, 0.31, 0.30, 0.02} {
		pts = append(pts, metrics.Point{T: t0.Add(time.Duration(i-5) * time.Minute), V: v})
	}
	m.enrichment[in.ID] = &enrichState{panes: map[string]paneData{}}
	m = step(t, m, enrichArrived{id: in.ID, result: enrich.Result{SourceID: paneMetrics, FetchedAt: t0,
		Value: enrich.Charts{Start: t0.Add(-time.Hour), End: t0, Results: []metrics.Result{{Query: q, Series: []metrics.Series{{Points: pts}}}}}}})
	m = step(t, m, enrichArrived{id: in.ID, result: enrich.Result{SourceID: paneDeploys, FetchedAt: t0,
		Value: []deploys.Flagged{{Change: deploys.Change{ID: "C1", Summary: "Deploy v2.14.0", At: t0.Add(-14 * time.Minute)}, Likely: true}}}})

	for detailTabs[m.detail.tab] != "Metrics" {
		m = press(t, m, "tab")
	}
	next, cmd := m.Update(keyMsg("p"))
	m = next.(Model)
	runCmds(t, cmd)
	if len(rec.entries) != 1 || rec.entries[0].Kind != "pin" {
		t.Fatalf("recorded %+v, want one pin", rec.entries)
	}
	e := rec.entries[0]
	if !strings.Contains(e.Summary, "5xx rate 0.02 (peak 0.31)") {
		t.Errorf("pin summary = %q", e.Summary)
	}
	var data struct {
		Observed bool `json:"observed"`
		Facts    []struct {
			Name      string   `json:"name"`
			Now, Peak float64  `json:"-"`
			Threshold *float64 `json:"threshold"`
		} `json:"facts"`
	}
	if err := json.Unmarshal(e.Data, &data); err != nil || !data.Observed || len(data.Facts) != 1 || data.Facts[0].Name != "5xx rate" {
		t.Errorf("pin data = %s (%v)", e.Data, err)
	}

	// E: the summary for PagerDuty names the values and the likely cause.
	summary, ok := m.enrichmentSummary(in)
	if !ok || !strings.Contains(summary, "5xx rate: now 0.02, peak 0.31, threshold 0.05") || !strings.Contains(summary, "likely cause: Deploy v2.14.0 (7m0s before the start)") {
		t.Errorf("enrichment summary:\n%s", summary)
	}
}

// nopEnricher fetches nothing: the test delivers the results itself.
type nopEnricher struct{}

func (nopEnricher) Fetch(context.Context, pagerduty.Incident) <-chan enrich.Result {
	ch := make(chan enrich.Result)
	close(ch)
	return ch
}
func (nopEnricher) Follow(context.Context, pagerduty.Incident, *logs.Ring) error { return nil }
func (nopEnricher) Forget(pagerduty.Incident)                                    {}

// runCmds runs a command's messages that are not timers: enough for the
// journal writes a key starts.
func runCmds(t *testing.T, cmd tea.Cmd) {
	t.Helper()
	if cmd == nil {
		return
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	select {
	case msg := <-done:
		// Batches and sequences (the latter's type is unexported) are
		// both slices of commands.
		if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeOf(tea.Cmd(nil)) {
			for i := range v.Len() {
				runCmds(t, v.Index(i).Interface().(tea.Cmd))
			}
		}
	case <-time.After(2 * time.Second):
		// a timer or a stream: not what this test waits for
	}
}
