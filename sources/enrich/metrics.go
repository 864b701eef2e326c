package enrich

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

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
// error there and an empty result.
type Charts struct {
	Start, End time.Time
	Results    []metrics.Result
	Errs       []error
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
	if s.Client == nil {
		return nil, fmt.Errorf("source %s: no metrics server configured", s.ID())
	}
	if len(s.Queries) == 0 {
		return nil, fmt.Errorf("source %s: no queries configured for service %s", s.ID(), t.Service)
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
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
	failed := 0
	for _, err := range c.Errs {
		if err != nil {
			failed++
		}
	}
	if failed == len(s.Queries) {
		return nil, errors.Join(c.Errs...)
	}
	return c, nil
}
