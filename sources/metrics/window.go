package metrics

import (
	"context"
	"fmt"
	"time"
)

// windowPoints is how many evaluations a window's mean is taken over.
const windowPoints = 60

// Window is q's mean over the window of length d that ends at at. The mean
// is taken over evaluations at a nice step (about 60 of them), client-side,
// so it works on every compatible server without subqueries. The query
// must return one series (aggregate it with sum() or avg()); none, or only
// NaN samples, is an error that matches ErrNoData.
func (c *Client) Window(ctx context.Context, q Query, at time.Time, d time.Duration) (float64, error) {
	if d <= 0 {
		return 0, &QueryError{Server: c.server, Query: q.label(), Kind: KindRequest, Msg: fmt.Sprintf("window %s is not positive", d)}
	}
	if q.PromQL == "" {
		return 0, &QueryError{Server: c.server, Query: q.Name, Kind: KindRequest, Msg: "the query has no PromQL"}
	}
	start := at.Add(-d)
	step := Step(start, at, windowPoints)
	res, err := c.rangeStep(ctx, q, start, at, step)
	if err != nil {
		return 0, err
	}
	return c.mean(q, res, start, at)
}

func (c *Client) mean(q Query, res Result, start, end time.Time) (float64, error) {
	span := fmt.Sprintf("%s–%s", start.UTC().Format("15:04:05"), end.UTC().Format("15:04:05"))
	switch len(res.Series) {
	case 0:
		return 0, &QueryError{Server: c.server, Query: q.label(), Kind: KindNoData, Msg: "no series in " + span}
	case 1:
	default:
		return 0, &QueryError{Server: c.server, Query: q.label(), Kind: KindResult,
			Msg: fmt.Sprintf("returns %d series; a before/after value needs one (aggregate it with sum() or avg())", len(res.Series))}
	}
	pts := res.Series[0].Points
	if len(pts) == 0 {
		return 0, &QueryError{Server: c.server, Query: q.label(), Kind: KindNoData, Msg: "no finite samples in " + span}
	}
	var sum float64
	for _, p := range pts {
		sum += p.V
	}
	return sum / float64(len(pts)), nil
}
