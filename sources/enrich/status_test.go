package enrich_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"sitrep/sources/enrich"
	"sitrep/sources/health"
	"sitrep/sources/metrics"
)

// reporting answers with a value and the statuses of its parts.
type reporting struct {
	id  string
	err error
}

func (r reporting) ID() string { return r.id }

func (r reporting) Fetch(context.Context, enrich.Target) (any, error) {
	return enrich.Reported{Value: []string{"a change"}, Statuses: []health.Status{
		health.Failed("git /srv/gone", errors.New("git repository /srv/gone does not exist"), time.Now()),
		health.Ok("pagerduty change events", time.Now()),
	}}, r.err
}

// Every result says how its source fared: the parts' own statuses when it
// reports them (even when the cached value is served), else one status for
// the whole source.
func TestResultsCarryStatuses(t *testing.T) {
	f := &enrich.Fanout{Timeout: time.Second}
	hang := &fake{id: "hangs", hang: true, release: make(chan struct{})}
	defer close(hang.release)
	sources := []enrich.Source{
		&fake{id: "fine"},
		&fake{id: "broken", err: errors.New("connection refused")},
		reporting{id: "deploys"},
		hang,
	}
	byID := func(rs []enrich.Result) map[string]enrich.Result {
		m := map[string]enrich.Result{}
		for _, r := range rs {
			m[r.SourceID] = r
		}
		return m
	}
	got := byID(collect(t, f.Fetch(context.Background(), target, sources)))

	if st := got["fine"].Statuses; len(st) != 1 || st[0].State != health.OK || st[0].Source != "fine" {
		t.Errorf("fine: %+v", st)
	}
	if st := got["broken"].Statuses; len(st) != 1 || st[0].State != health.Error || st[0].Reason != "connection refused" {
		t.Errorf("broken: %+v", st)
	}
	if st := got["hangs"].Statuses; len(st) != 1 || st[0].State != health.Error || !strings.Contains(st[0].Reason, "no answer within 1s") {
		t.Errorf("hangs: %+v", st)
	}
	d := got["deploys"]
	if v, ok := d.Value.([]string); !ok || len(v) != 1 {
		t.Errorf("deploys value = %#v, want the unwrapped value", d.Value)
	}
	if len(d.Statuses) != 2 || d.Statuses[0].State != health.Error || d.Statuses[1].State != health.OK {
		t.Errorf("deploys statuses = %+v, want the broken git and the working PagerDuty", d.Statuses)
	}

	again := byID(collect(t, f.Fetch(context.Background(), target, sources[:3])))
	if c := again["deploys"]; !c.FromCache || len(c.Statuses) != 2 {
		t.Errorf("a cached result lost its statuses: %+v", c)
	}
}

func TestQueryStatus(t *testing.T) {
	at := time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)
	q := metrics.Query{Name: "5xx rate", PromQL: "rate5xx"}
	series := func(last time.Time) []metrics.Series {
		return []metrics.Series{{Points: []metrics.Point{{T: last.Add(-time.Minute), V: 1}, {T: last, V: 1}}}}
	}
	base := metrics.Result{Query: q, Start: at.Add(-45 * time.Minute), End: at, Step: 15 * time.Second}
	tests := []struct {
		name  string
		res   metrics.Result
		err   error
		state health.State
		text  string
		since time.Time
	}{
		{"fresh", withSeries(base, series(at.Add(-30*time.Second))), nil, health.OK, "ok", time.Time{}},
		{"no series", base, nil, health.NoData, "no data (no series since 02:15 UTC)", time.Time{}},
		{"stale", withSeries(base, series(at.Add(-20*time.Minute))), nil, health.NoData, "no data since 02:40 UTC", at.Add(-20 * time.Minute)},
		{"failed", base, errors.New("prometheus http://prom:9090: unreachable: connection refused"), health.Error, "error: prometheus http://prom:9090: unreachable: connection refused", time.Time{}},
		{"query error", base, &metrics.QueryError{Server: "http://prom:9090", Query: "5xx rate", Kind: metrics.KindUnreachable, Msg: "connection refused"}, health.Error, "error: prometheus http://prom:9090: unreachable: connection refused", time.Time{}},
		{"no data error", base, &metrics.QueryError{Kind: metrics.KindNoData, Msg: "nothing"}, health.NoData, "no data", time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := enrich.QueryStatus(tt.res, tt.err, at)
			if st.State != tt.state || st.Text() != tt.text || !st.Since.Equal(tt.since) || st.Source != "5xx rate" {
				t.Errorf("QueryStatus = %+v (%q), want %v %q since %v", st, st.Text(), tt.state, tt.text, tt.since)
			}
		})
	}
}

func withSeries(r metrics.Result, s []metrics.Series) metrics.Result {
	r.Series = s
	return r
}
