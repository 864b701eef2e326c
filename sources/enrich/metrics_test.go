package enrich_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"sitrep/sources/demo/metricsemu"
	"sitrep/sources/enrich"
	"sitrep/sources/metrics"
)

func TestMetricsSource(t *testing.T) {
	e := metricsemu.New()
	e.SetSeries("rate5xx", nil, func(at time.Time) float64 {
		if at.Before(target.Start) {
			return 0.01
		}
		return 0.31
	})
	e.SetFault("broken", metricsemu.Fault{ErrorType: "bad_data", Message: "parse error at char 5"})
	srv, err := e.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c, err := metrics.New(metrics.Config{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return target.Start.Add(30 * time.Minute) }
	good := metrics.Query{Name: "5xx rate", PromQL: "rate5xx", Unit: "req/s"}
	bad := metrics.Query{Name: "latency", PromQL: "broken"}

	tests := []struct {
		name     string
		src      *enrich.MetricsSource
		wantErr  string
		wantErrs []bool
	}{
		{"all queries answer", &enrich.MetricsSource{Client: c, Queries: []metrics.Query{good}, Width: 60, Now: now}, "", []bool{false}},
		{"one query fails", &enrich.MetricsSource{Client: c, Queries: []metrics.Query{bad, good}, Width: 60, Now: now}, "", []bool{true, false}},
		{"every query fails", &enrich.MetricsSource{Client: c, Queries: []metrics.Query{bad}, Now: now}, `bad_data: parse error at char 5 (query "latency")`, nil},
		{"no queries", &enrich.MetricsSource{Client: c, Now: now}, "no queries configured for service payment-gateway", nil},
		{"no client", &enrich.MetricsSource{Name: "metrics-eu"}, "no metrics server configured: add prometheus:", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := enrich.Fanout{}
			rs := collect(t, f.Fetch(context.Background(), target, []enrich.Source{tt.src}))
			if len(rs) != 1 {
				t.Fatalf("%d results", len(rs))
			}
			r := rs[0]
			if tt.wantErr != "" {
				if r.Err == nil || !strings.Contains(r.Err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", r.Err, tt.wantErr)
				}
				return
			}
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			ch, ok := r.Value.(enrich.Charts)
			if !ok {
				t.Fatalf("value %T, want enrich.Charts", r.Value)
			}
			if want := target.Start.Add(-30 * time.Minute); !ch.Start.Equal(want) || !ch.End.Equal(now()) {
				t.Errorf("range %s–%s, want %s–%s", ch.Start, ch.End, want, now())
			}
			for i, failed := range tt.wantErrs {
				if (ch.Errs[i] != nil) != failed {
					t.Errorf("query %d: error %v, want failed=%v", i, ch.Errs[i], failed)
				}
				if failed {
					continue
				}
				res := ch.Results[i]
				if res.Query.Unit != "req/s" || res.Step != time.Minute || len(res.Series) != 1 {
					t.Fatalf("query %d: %+v", i, res)
				}
				pts := res.Series[0].Points
				if len(pts) != 61 || pts[29].V != 0.01 || pts[30].V != 0.31 || !pts[30].T.Equal(target.Start) {
					t.Errorf("query %d: %d points, around the start %+v %+v", i, len(pts), pts[29], pts[30])
				}
			}
		})
	}
	var qe *metrics.QueryError
	_, err = (&enrich.MetricsSource{Client: c, Queries: []metrics.Query{bad}}).Fetch(context.Background(), target)
	if !errors.As(err, &qe) || qe.Kind != "bad_data" {
		t.Errorf("error %v does not unwrap to the query error", err)
	}
}
