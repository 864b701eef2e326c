// Package effect answers "did it help?": a service's metrics in a window
// before an action and in the same window after it, as the journal's
// actions.MetricChange ("5xx rate 0.31 → 0.01"), metric by metric: one
// that has no data says so and why, and the others are compared anyway.
//
// It lives apart from package metrics so that the query client does not
// depend on the actions package.
package effect

import (
	"context"
	"errors"
	"fmt"
	"strings"
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
// and the same window has passed. Each metric stands alone: one without
// data (a stale series, a query that fails) is reported as such, and the
// others are still compared.
type Effect struct {
	w         Windower
	queries   []metrics.Query
	actionAt  time.Time
	window    time.Duration
	before    []float64
	beforeErr []error
	now       func() time.Time
}

// BeforeAfter takes each query's mean over the window that ends at
// actionAt. It always returns an Effect; the queries that failed are named
// in the error and reported by After as having no data before the action.
func BeforeAfter(ctx context.Context, w Windower, queries []metrics.Query, actionAt time.Time, window time.Duration) (*Effect, error) {
	e := &Effect{
		w:         w,
		queries:   append([]metrics.Query(nil), queries...),
		actionAt:  actionAt,
		window:    window,
		before:    make([]float64, len(queries)),
		beforeErr: make([]error, len(queries)),
		now:       time.Now,
	}
	windows(ctx, w, e.queries, actionAt, window, e.before, e.beforeErr)
	if err := errors.Join(e.beforeErr...); err != nil {
		return e, fmt.Errorf("metrics before the action at %s: %w", actionAt.UTC().Format(time.RFC3339), err)
	}
	return e, nil
}

// ReadyAt is when After can measure a whole window for an action that
// finished at done.
func (e *Effect) ReadyAt(done time.Time) time.Time { return done.Add(e.window) }

// ErrNoMetric is matched by After's error when not one metric could be
// compared: then trying again later (Prometheus back, the series written
// late) may do better.
var ErrNoMetric = errors.New("no metric could be compared")

// After takes the same window starting when the action finished (done)
// and returns one change per query, in the order of the queries, each
// dated at the action's start. A query without data in either window is
// a change with NoData saying which window and why; the others are
// compared all the same. The error matches ErrNoMetric when no query
// could be compared (the changes still say why, one by one). Before the
// window has closed it returns an error matching ErrWindowOpen and no
// changes.
func (e *Effect) After(ctx context.Context, done time.Time) ([]actions.MetricChange, error) {
	if ready := e.ReadyAt(done); e.now().Before(ready) {
		return nil, fmt.Errorf("%w: it closes at %s", ErrWindowOpen, ready.UTC().Format(time.RFC3339))
	}
	after := make([]float64, len(e.queries))
	afterErr := make([]error, len(e.queries))
	windows(ctx, e.w, e.queries, done.Add(e.window), e.window, after, afterErr)
	out := make([]actions.MetricChange, 0, len(e.queries))
	compared := 0
	for i, q := range e.queries {
		name := q.Name
		if name == "" {
			name = q.PromQL
		}
		c := actions.MetricChange{Name: name, Unit: q.Unit, At: e.actionAt}
		var why []string
		if err := e.beforeErr[i]; err != nil {
			why = append(why, "before the action: "+reason(err))
		} else {
			c.Before = e.before[i]
		}
		if err := afterErr[i]; err != nil {
			why = append(why, "after it: "+reason(err))
		} else {
			c.After = after[i]
		}
		if len(why) > 0 {
			c.NoData = strings.Join(why, "; ")
		} else {
			compared++
		}
		out = append(out, c)
	}
	if compared == 0 && len(out) > 0 {
		return out, fmt.Errorf("metrics after the action finished at %s: %w (%s: %s)", done.UTC().Format(time.RFC3339), ErrNoMetric, out[0].Name, out[0].NoData)
	}
	return out, nil
}

// reason is why one query had no value, without the server and query
// names the change already carries.
func reason(err error) string {
	var qe *metrics.QueryError
	if errors.As(err, &qe) {
		if qe.Kind == metrics.KindNoData {
			return qe.Msg
		}
		return qe.Kind + ": " + qe.Msg
	}
	return err.Error()
}

// windows fills vals[i] and errs[i] with queries[i]'s window mean or why it
// has none, querying concurrently so that one slow query does not hold up
// the rest.
func windows(ctx context.Context, w Windower, queries []metrics.Query, at time.Time, d time.Duration, vals []float64, errs []error) {
	var wg sync.WaitGroup
	for i, q := range queries {
		wg.Go(func() {
			vals[i], errs[i] = w.Window(ctx, q, at, d)
		})
	}
	wg.Wait()
}
