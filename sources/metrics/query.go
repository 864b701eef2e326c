package metrics

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"sitrep/sources/sanitize"
)

// Query is one configured metric of a service.
type Query struct {
	Name      string   // what the pane calls it: "5xx rate"
	PromQL    string   // what the server evaluates
	Unit      string   // shown beside values: "req/s", "%", "ms"
	Threshold *float64 // drawn as a line when set
}

// label is how messages name the query.
func (q Query) label() string {
	if q.Name != "" {
		return q.Name
	}
	return q.PromQL
}

// Point is one sample.
type Point struct {
	T time.Time
	V float64
}

// Series is one label set's samples, oldest first.
type Series struct {
	// Key is the label set as PromQL writes it ({job="api",code="500"}),
	// stable and sortable; Labels is the same set as a map. Both are
	// sanitized for drawing.
	Key    string
	Labels map[string]string
	Points []Point
	// Skipped counts NaN and ±Inf samples, left out so that a chart's scale
	// stays finite; a gap is drawn where they were.
	Skipped int
}

// Result is a query's answer.
type Result struct {
	Query      Query
	Start, End time.Time     // the evaluated range (equal for an instant query)
	Step       time.Duration // zero for an instant query
	Series     []Series      // sorted by Key
	// Warnings holds the server's warnings and infos ("info: …"), and notes
	// about samples left out, sanitized, in that order.
	Warnings []string
}

// DefaultLookBehind is how far before the incident start a pane looks.
const DefaultLookBehind = 30 * time.Minute

// DefaultRange is the range a pane shows for an incident: from 30 minutes
// before it started until now.
func DefaultRange(incidentStart, now time.Time) (start, end time.Time) {
	start = incidentStart.Add(-DefaultLookBehind)
	if !now.After(start) {
		now = incidentStart
	}
	return start, now
}

// maxWidth caps the points asked for per series, well below the 11,000
// Prometheus allows.
const maxWidth = 4000

// niceSteps are the steps a chart may use: a person reads "every 15s"
// more easily than "every 13.7s", and aligned steps let caches on the
// server (Thanos, Mimir) answer repeated polls.
var niceSteps = []time.Duration{
	time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour,
}

// Step is the smallest nice step (at least 1s) that gives at most about
// one point per column for a range drawn width columns wide.
func Step(start, end time.Time, width int) time.Duration {
	if width <= 0 {
		width = 1
	}
	if width > maxWidth {
		width = maxWidth
	}
	span := end.Sub(start)
	if span <= 0 {
		return time.Second
	}
	raw := span / time.Duration(width)
	if span%time.Duration(width) != 0 {
		raw++
	}
	for _, s := range niceSteps {
		if s >= raw {
			return s
		}
	}
	day := 24 * time.Hour
	return (raw + day - 1) / day * day
}

// Range evaluates q from start to end with a step that fits width columns
// (see Step). A zero end means now. start is aligned down and end down to a
// multiple of the step, so repeated polls evaluate the same timestamps.
func (c *Client) Range(ctx context.Context, q Query, start, end time.Time, width int) (Result, error) {
	if end.IsZero() {
		end = c.now()
	}
	if q.PromQL == "" {
		return Result{Query: q}, &QueryError{Server: c.server, Query: q.Name, Kind: KindRequest, Msg: "the query has no PromQL"}
	}
	if !end.After(start) {
		return Result{Query: q}, &QueryError{Server: c.server, Query: q.label(), Kind: KindRequest,
			Msg: fmt.Sprintf("the range ends (%s) before it starts (%s)", end.UTC().Format(time.RFC3339), start.UTC().Format(time.RFC3339))}
	}
	step := Step(start, end, width)
	start, end = start.Truncate(step), end.Truncate(step)
	if end.Before(start) {
		end = start
	}
	return c.rangeStep(ctx, q, start, end, step)
}

func (c *Client) rangeStep(ctx context.Context, q Query, start, end time.Time, step time.Duration) (Result, error) {
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	budget := budgetOf(ctx)
	res := Result{Query: q, Start: start, End: end, Step: step}
	val, warns, infos, err := c.api.QueryRange(ctx, q.PromQL, v1.Range{Start: start, End: end, Step: step})
	res.Warnings = notes(warns, infos)
	if err != nil {
		return res, c.wrapErr(err, q.label(), budget)
	}
	if err := res.fill(val); err != nil {
		return res, &QueryError{Server: c.server, Query: q.label(), Kind: KindResult, Msg: err.Error()}
	}
	return res, nil
}

// Instant evaluates promql at at (zero means now): the "value now".
func (c *Client) Instant(ctx context.Context, promql string, at time.Time) (Result, error) {
	if at.IsZero() {
		at = c.now()
	}
	q := Query{PromQL: promql}
	res := Result{Query: q, Start: at, End: at}
	if promql == "" {
		return res, &QueryError{Server: c.server, Kind: KindRequest, Msg: "the query has no PromQL"}
	}
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	budget := budgetOf(ctx)
	val, warns, infos, err := c.api.Query(ctx, promql, at)
	res.Warnings = notes(warns, infos)
	if err != nil {
		return res, c.wrapErr(err, promql, budget)
	}
	if err := res.fill(val); err != nil {
		return res, &QueryError{Server: c.server, Query: promql, Kind: KindResult, Msg: err.Error()}
	}
	return res, nil
}

func budgetOf(ctx context.Context) time.Duration {
	d, _ := ctx.Deadline()
	return max(time.Until(d), 0)
}

func notes(warns v1.Warnings, infos v1.Infos) []string {
	if len(warns)+len(infos) == 0 {
		return nil
	}
	out := make([]string, 0, len(warns)+len(infos))
	for _, w := range warns {
		out = append(out, sanitize.Line(w))
	}
	for _, i := range infos {
		out = append(out, "info: "+sanitize.Line(i))
	}
	return out
}

// fill converts the client's value into series. A range query answers
// with a matrix; some compatible servers answer a range query over an
// instant vector with a vector, which is taken as one point per series.
func (r *Result) fill(val model.Value) error {
	switch v := val.(type) {
	case nil:
		// "success" with no data: nothing matched.
	case model.Matrix:
		for _, ss := range v {
			if ss == nil {
				continue
			}
			s := newSeries(ss.Metric)
			s.Points = make([]Point, 0, len(ss.Values))
			for _, p := range ss.Values {
				s.add(p.Timestamp, p.Value)
			}
			if len(ss.Histograms) > 0 {
				r.Warnings = append(r.Warnings, fmt.Sprintf("%s: %d native histogram samples not charted (chart a quantile or a rate of it)", s.Key, len(ss.Histograms)))
			}
			r.Series = append(r.Series, s)
		}
	case model.Vector:
		for _, smp := range v {
			if smp == nil {
				continue
			}
			s := newSeries(smp.Metric)
			if smp.Histogram != nil {
				r.Warnings = append(r.Warnings, fmt.Sprintf("%s: native histogram sample not charted", s.Key))
			} else {
				s.add(smp.Timestamp, smp.Value)
			}
			r.Series = append(r.Series, s)
		}
	case *model.Scalar:
		if v == nil {
			return nil
		}
		s := newSeries(nil)
		s.add(v.Timestamp, v.Value)
		r.Series = append(r.Series, s)
	case *model.String:
		return fmt.Errorf("the query returns a string, not numbers")
	default:
		return fmt.Errorf("unexpected result type %s", val.Type())
	}
	sort.Slice(r.Series, func(i, j int) bool { return r.Series[i].Key < r.Series[j].Key })
	for _, s := range r.Series {
		if s.Skipped > 0 {
			r.Warnings = append(r.Warnings, fmt.Sprintf("%s: %d NaN or infinite samples left out", s.Key, s.Skipped))
		}
	}
	return nil
}

func newSeries(m model.Metric) Series {
	s := Series{Labels: make(map[string]string, len(m))}
	for k, v := range m {
		s.Labels[sanitize.Line(string(k))] = sanitize.Line(string(v))
	}
	s.Key = sanitize.Line(m.String())
	return s
}

func (s *Series) add(t model.Time, v model.SampleValue) {
	f := float64(v)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		s.Skipped++
		return
	}
	s.Points = append(s.Points, Point{T: t.Time().UTC(), V: f})
}
