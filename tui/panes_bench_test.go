package tui

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"sitrep/sources/enrich"
	"sitrep/sources/logs"
	"sitrep/sources/metrics"
)

// BenchmarkMetricsChart1000 draws one chart of a 1,000-point series (with
// a threshold and markers) into an 80×13 pane. Budget: under 1 ms.
func BenchmarkMetricsChart1000(b *testing.B) {
	s := NewStyles(true)
	from := paneStart.Add(-30 * time.Minute)
	r := rand.New(rand.NewPCG(5, 6))
	pts := make([]metrics.Point, 1000)
	for i := range pts {
		pts[i] = metrics.Point{T: from.Add(time.Duration(i) * 2520 * time.Millisecond), V: 0.01 + 0.3*r.Float64()*r.Float64()}
	}
	end := pts[len(pts)-1].T
	charts := enrich.Charts{Start: from, End: end, Results: []metrics.Result{{
		Query: metrics.Query{Name: "5xx rate", Unit: "req/s", Threshold: ptr(0.05)}, Step: 2520 * time.Millisecond,
		Series: []metrics.Series{{Key: "{}", Points: pts}},
	}}}
	deployAt := []time.Time{paneDeploy}
	b.ReportAllocs()
	for b.Loop() {
		renderMetrics(s, charts, paneStart, deployAt, 80, 13, end, 0)
	}
}

// BenchmarkLogsView10000 draws the last lines that fit in an 80×13 pane
// out of 10,000, through a filter one line in five matches.
func BenchmarkLogsView10000(b *testing.B) {
	s := NewStyles(true)
	lines := make([]logs.Line, 10000)
	levels := []string{logs.LevelInfo, logs.LevelInfo, logs.LevelDebug, logs.LevelWarn, logs.LevelError}
	for i := range lines {
		text := fmt.Sprintf("POST /v1/charges 200 %dms request_id=%08x user=u%d", i%300, i*2654435761, i%97)
		if i%5 == 4 {
			text = fmt.Sprintf("POST /v1/charges 503 upstream Timeout after %dms request_id=%08x", 2000+i%7, i)
		}
		lines[i] = logs.Line{T: paneStart.Add(time.Duration(i) * 100 * time.Millisecond), Level: levels[i%len(levels)], Text: text, Source: "kubectl logs deploy/payment-gateway"}
	}
	for _, c := range []struct {
		name string
		v    logsView
	}{
		{"follow", logsView{follow: true}},
		{"filter", logsView{follow: true, filter: "timeout"}},
		{"filter+errors", logsView{follow: true, filter: "TIMEOUT", errorsOnly: true}},
		{"rare-filter", logsView{follow: true, filter: "user=u96 "}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.v.view(s, lines, 80, 13, paneNow)
			}
		})
	}
}
