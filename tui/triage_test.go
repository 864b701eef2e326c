package tui

import (
	"encoding/json"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"sitrep/actions/triage"
	"sitrep/sources/deploys"
	"sitrep/sources/enrich"
	"sitrep/sources/metrics"
	"sitrep/sources/pagerduty"
)

// countingTriage is the real classifier with the built-in rules, counting
// how often it classifies.
type countingTriage struct {
	c *triage.Classifier
	n atomic.Int64
}

func (t *countingTriage) Classify(e triage.Evidence) []triage.Classification {
	t.n.Add(1)
	return t.c.Classify(e)
}

// settle runs msg through Update and then every command that answers at
// once, feeding their messages back, the way the program would.
func settle(t *testing.T, m Model, msg tea.Msg) Model {
	t.Helper()
	queue := []tea.Msg{msg}
	for len(queue) > 0 {
		next, cmd := m.Update(queue[0])
		m = next.(Model)
		queue = append(queue[1:], answers(cmd)...)
	}
	return m
}

// answers runs a command tree and returns the messages worth feeding back
// (the triage's; timers, streams and journal acknowledgements are left).
func answers(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	select {
	case msg := <-done:
		if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeOf(tea.Cmd(nil)) {
			var out []tea.Msg
			for i := range v.Len() {
				out = append(out, answers(v.Index(i).Interface().(tea.Cmd))...)
			}
			return out
		}
		if tr, ok := msg.(triaged); ok {
			return []tea.Msg{tr}
		}
	case <-time.After(time.Second):
	}
	return nil
}

func TestTriageShowsClassInOverviewAndList(t *testing.T) {
	rec := &memoryRecorder{}
	tri := &countingTriage{c: triage.New(triage.DefaultRules())}
	incidents := fixture(3) // payment-gateway, checkout-db, edge-proxy
	m := New(nil, Options{Now: fixedClock, Recorder: rec, Enricher: nopEnricher{}, Triage: tri})
	m = step(t, m, tea.WindowSizeMsg{Width: 140, Height: 40})
	m = settle(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: incidents, at: t0})

	if got := tri.n.Load(); got != 3 {
		t.Errorf("a refresh of 3 incidents classified %d times, want 3", got)
	}
	view := plainView(m)
	if !rowHas(view, "#1001", " db ") {
		t.Errorf("checkout-db's row has no db badge:\n%s", view)
	}
	if rowHas(view, "#1000", "deploy") {
		t.Errorf("payment-gateway is badged before any evidence of a deploy:\n%s", view)
	}
	if len(rec.kind("triage")) != 0 {
		t.Errorf("journaled %+v for incidents nobody looked at", rec.kind("triage"))
	}

	// The panes' evidence arrives: a deploy 7 minutes before the start and
	// the 5xx ratio up after it.
	in := incidents[0]
	threshold := 0.05
	q := metrics.Query{Name: "5xx rate", PromQL: "errors", Threshold: &threshold}
	var pts []metrics.Point
	for i, v := range []float64{0.01, 0.02, 0.31, 0.33, 0.30} {
		pts = append(pts, metrics.Point{T: in.CreatedAt.Add(time.Duration(i-2) * time.Minute), V: v})
	}
	m.enrichment[in.ID] = &enrichState{panes: map[string]paneData{}}
	m = settle(t, m, enrichArrived{id: in.ID, result: enrich.Result{SourceID: paneMetrics, FetchedAt: t0,
		Value: enrich.Charts{Results: []metrics.Result{{Query: q, Series: []metrics.Series{{Points: pts}}}}}}})
	m = settle(t, m, enrichArrived{id: in.ID, result: enrich.Result{SourceID: paneDeploys, FetchedAt: t0,
		Value: []deploys.Flagged{{Change: deploys.Change{ID: "C1", Service: in.Service.Name, Summary: "Deploy payment-gateway v2.14.0", At: in.CreatedAt.Add(-7 * time.Minute)}, Likely: true}}}})

	view = plainView(m)
	for _, want := range []string{"Triage", "deploy regression", "high confidence", "payment-gateway v2.14.0", "> 0.05"} {
		if !strings.Contains(view, want) {
			t.Errorf("Overview lacks %q:\n%s", want, view)
		}
	}
	if !rowHas(view, "#1000", "deploy") {
		t.Errorf("payment-gateway's row has no deploy badge:\n%s", view)
	}

	// Journaled once, with the why and the evidence.
	entries := rec.kind("triage")
	if len(entries) != 1 || entries[0].Incident != in.ID {
		t.Fatalf("triage entries %+v, want one for %s", entries, in.ID)
	}
	var data triageData
	if err := json.Unmarshal(entries[0].Data, &data); err != nil || data.Class != "deploy regression" || data.Changes != 1 ||
		len(data.Metrics) != 1 || !strings.Contains(data.Why, "v2.14.0") {
		t.Errorf("triage data %s (%v)", entries[0].Data, err)
	}

	// Frames and unchanged refreshes do not classify again.
	before := tri.n.Load()
	for i := range 50 {
		_ = m.render()
		m = step(t, m, tea.WindowSizeMsg{Width: 140 - i%2, Height: 40})
	}
	m = settle(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: incidents, at: t0.Add(time.Minute)})
	if got := tri.n.Load(); got != before {
		t.Errorf("classified %d more times with no new evidence", got-before)
	}
	if n := len(rec.kind("triage")); n != 1 {
		t.Errorf("%d triage entries after an unchanged refresh, want 1", n)
	}
}

func TestTriageBadgeDroppedFirstOnNarrowWidths(t *testing.T) {
	if c := columnsFor(80); c.badge != 0 || c.assignee == 0 {
		t.Errorf("at 80 cells: %+v, want the badge gone before the assignee", c)
	}
	if c := columnsFor(120); c.badge != badgeWidth {
		t.Errorf("at 120 cells: %+v, want a badge column", c)
	}
}

// rowHas says whether the line holding marker also holds want.
func rowHas(view, marker, want string) bool {
	for _, l := range strings.Split(view, "\n") {
		if strings.Contains(l, marker) && strings.Contains(l, want) {
			return true
		}
	}
	return false
}

// The alerts' custom details are the evidence alert: rules read; where two
// alerts disagree, the first PagerDuty lists says it.
func TestAlertDetailsAreTriageEvidence(t *testing.T) {
	if got := alertDetails(nil); got != nil {
		t.Errorf("no alerts gave %v", got)
	}
	got := alertDetails([]pagerduty.Alert{
		{ID: "A1", Details: map[string]string{"db_host": "db-3"}},
		{ID: "A2", Details: map[string]string{"db_host": "db-9", "region": "eu"}},
	})
	if got["db_host"] != "db-3" || got["region"] != "eu" || len(got) != 2 {
		t.Errorf("alertDetails = %v, want db_host db-3 (the first alert's) and region eu", got)
	}
}
