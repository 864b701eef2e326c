package enrich

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"sitrep/sources/health"
	"sitrep/sources/metrics"
)

// DefaultChartWidth is the columns a chart is fetched for when a
// MetricsSource sets none.
const DefaultChartWidth = 120

// Ranger is what MetricsSource needs; *metrics.Client has it.
type Ranger interface {
	Range(ctx context.Context, q metrics.Query, start, end time.Time, width int) (metrics.Result, error)
}

// MetricsSource charts a service's configured queries around an incident:
// from metrics.DefaultLookBehind before its start until now.
type MetricsSource struct {
	Name    string // the source's ID; "metrics" when empty
	Client  Ranger
	Queries []metrics.Query
	Width   int              // chart columns; DefaultChartWidth when zero
	Now     func() time.Time // nil means time.Now
}

// Charts is what a MetricsSource delivers: one result per query, in the
// order of the queries. Errs has the same indexes; a failed query has its
// error there and an empty result. Statuses has one per query too, named
// by the query: ok, no data since its last sample, or its error.
type Charts struct {
	Start, End time.Time
	Results    []metrics.Result
	Errs       []error
	Statuses   []health.Status
}

// SourceStatuses makes Charts a health.Reporter.
func (c Charts) SourceStatuses() []health.Status { return c.Statuses }

// StaleAfter is how long a query's newest sample may lie before the end
// of the range before its status says "no data since": Prometheus's own
// staleness period, or three steps of a coarse chart.
func StaleAfter(step time.Duration) time.Duration {
	return max(5*time.Minute, 3*step)
}

// QueryStatus is what a query's result says about its source: an error,
// no series at all in the range, series whose newest sample is stale, or
// ok. at is when it was asked.
func QueryStatus(res metrics.Result, err error, at time.Time) health.Status {
	name := res.Query.Name
	if name == "" {
		name = res.Query.PromQL
	}
	if errors.Is(err, metrics.ErrNoData) {
		return health.Empty(name, time.Time{}, at, "")
	}
	var qe *metrics.QueryError
	if errors.As(err, &qe) && qe.Query != "" {
		// The status names the query already; without it in the reason,
		// queries failing alike (a dead server) share one status line.
		bare := *qe
		bare.Query = ""
		return health.Failed(name, &bare, at)
	}
	if err != nil {
		return health.Failed(name, err, at)
	}
	var newest time.Time
	for _, s := range res.Series {
		if n := len(s.Points); n > 0 && s.Points[n-1].T.After(newest) {
			newest = s.Points[n-1].T
		}
	}
	end := res.End
	if end.IsZero() {
		end = at
	}
	switch {
	case newest.IsZero():
		reason := "no series"
		if !res.Start.IsZero() {
			reason += " since " + res.Start.UTC().Format("15:04 UTC")
		}
		return health.Empty(name, time.Time{}, at, reason)
	case end.Sub(newest) > StaleAfter(res.Step):
		return health.Empty(name, newest, at, "")
	}
	return health.Ok(name, at)
}

// ID names the source in results and errors.
func (s *MetricsSource) ID() string {
	if s.Name == "" {
		return "metrics"
	}
	return s.Name
}

// Fetch runs every query concurrently. It fails only when every query
// fails; otherwise the failures travel in Charts.Errs.
func (s *MetricsSource) Fetch(ctx context.Context, t Target) (any, error) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	if s.Client == nil {
		return nil, fmt.Errorf("no metrics server configured: add prometheus: {url: …} to the config")
	}
	if len(s.Queries) == 0 {
		return nil, fmt.Errorf("source %s: no queries configured for service %s", s.ID(), t.Service)
	}
	width := s.Width
	if width <= 0 {
		width = DefaultChartWidth
	}
	start, end := metrics.DefaultRange(t.Start, now())
	c := Charts{Start: start, End: end, Results: make([]metrics.Result, len(s.Queries)), Errs: make([]error, len(s.Queries))}
	var wg sync.WaitGroup
	for i, q := range s.Queries {
		wg.Go(func() {
			c.Results[i], c.Errs[i] = s.Client.Range(ctx, q, start, end, width)
		})
	}
	wg.Wait()
	at := now()
	c.Statuses = make([]health.Status, len(s.Queries))
	failed := 0
	for i, err := range c.Errs {
		if c.Results[i].Query.PromQL == "" {
			c.Results[i].Query = s.Queries[i] // a failed query's result is empty
		}
		c.Statuses[i] = QueryStatus(c.Results[i], err, at)
		if err != nil {
			failed++
		}
	}
	if failed == len(s.Queries) {
		// Every query failed: the error keeps the last good charts on
		// screen, the statuses say what each query met.
		return Reported{Statuses: c.Statuses}, errors.Join(c.Errs...)
	}
	return c, nil
}
