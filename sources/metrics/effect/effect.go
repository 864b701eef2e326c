// Package effect answers "did it help?": a service's metrics in a window
// before an action and in the same window after it, as the journal's
// actions.MetricChange ("5xx rate 0.31 → 0.01").
//
// It lives apart from package metrics so that the query client does not
// depend on the actions package.
package effect

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"sitrep/actions"
	"sitrep/sources/metrics"
)

// Windower is the one call effect needs; *metrics.Client has it.
type Windower interface {
	Window(ctx context.Context, q metrics.Query, at time.Time, d time.Duration) (float64, error)
}

// ErrWindowOpen is matched by After's error when the window after the
// action has not closed yet.
var ErrWindowOpen = errors.New("the window after the action is still open")

// Effect is a before/after comparison in progress: the means before an
// action are taken when it starts, the means after once it has finished
// and the same window has passed.
type Effect struct {
	w        Windower
	queries  []metrics.Query
	actionAt time.Time
	window   time.Duration
	before   []float64
	ok       []bool
	now      func() time.Time
}

// BeforeAfter takes each query's mean over the window that ends at
// actionAt. It always returns an Effect; queries that failed are named in
// the error and left out of After.
func BeforeAfter(ctx context.Context, w Windower, queries []metrics.Query, actionAt time.Time, window time.Duration) (*Effect, error) {
	e := &Effect{
		w:        w,
		queries:  append([]metrics.Query(nil), queries...),
		actionAt: actionAt,
		window:   window,
		before:   make([]float64, len(queries)),
		ok:       make([]bool, len(queries)),
		now:      time.Now,
	}
	if err := windows(ctx, w, e.queries, actionAt, window, e.before, e.ok); err != nil {
		return e, fmt.Errorf("metrics before the action at %s: %w", actionAt.UTC().Format(time.RFC3339), err)
	}
	return e, nil
}

// ReadyAt is when After can measure a whole window for an action that
// finished at done.
func (e *Effect) ReadyAt(done time.Time) time.Time { return done.Add(e.window) }

// After takes the same window starting when the action finished (done)
// and returns a change, at the action's start, for every query that has
// both values, in the order of the queries. Before that window has closed
// it returns an error matching ErrWindowOpen and no changes.
func (e *Effect) After(ctx context.Context, done time.Time) ([]actions.MetricChange, error) {
	if ready := e.ReadyAt(done); e.now().Before(ready) {
		return nil, fmt.Errorf("%w: it closes at %s", ErrWindowOpen, ready.UTC().Format(time.RFC3339))
	}
	after := make([]float64, len(e.queries))
	ok := make([]bool, len(e.queries))
	err := windows(ctx, e.w, e.queries, done.Add(e.window), e.window, after, ok)
	var out []actions.MetricChange
	for i, q := range e.queries {
		if !e.ok[i] || !ok[i] {
			continue
		}
		name := q.Name
		if name == "" {
			name = q.PromQL
		}
		out = append(out, actions.MetricChange{Name: name, Unit: q.Unit, Before: e.before[i], After: after[i], At: e.actionAt})
	}
	if err != nil {
		return out, fmt.Errorf("metrics after the action finished at %s: %w", done.UTC().Format(time.RFC3339), err)
	}
	return out, nil
}

// windows fills vals[i] and ok[i] with queries[i]'s window mean, querying
// concurrently so that one slow query does not hold up the rest.
func windows(ctx context.Context, w Windower, queries []metrics.Query, at time.Time, d time.Duration, vals []float64, ok []bool) error {
	errs := make([]error, len(queries))
	var wg sync.WaitGroup
	for i, q := range queries {
		wg.Go(func() {
			v, err := w.Window(ctx, q, at, d)
			vals[i], ok[i], errs[i] = v, err == nil, err
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
