package tui

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"sitrep/sources/deploys"
	"sitrep/sources/enrich"
	"sitrep/sources/logs"
	"sitrep/sources/metrics"
)

// The storyline of the pane fixtures: payment-gateway v2.14.0 is deployed
// at 02:49; nine minutes later its 5xx rate jumps from 0.01 to about 0.31
// and the incident starts; it recovers after a rollback at 03:05.
var (
	paneStart  = time.Date(2026, 11, 29, 2, 58, 0, 0, time.UTC)
	paneDeploy = paneStart.Add(-9 * time.Minute)
	paneNow    = paneStart.Add(12 * time.Minute)
)

func ptr(v float64) *float64 { return &v }

// spike is a rate around base that climbs to top at the incident start,
// holds for five minutes and recovers over two; jitter keeps it from
// drawing as a ruler.
func spike(from, to time.Time, step time.Duration, base, top float64) []metrics.Point {
	r := rand.New(rand.NewPCG(7, 11))
	var pts []metrics.Point
	for t := from; !t.After(to); t = t.Add(step) {
		v := base * (0.8 + 0.4*r.Float64())
		switch d := t.Sub(paneStart); {
		case d >= 0 && d < 5*time.Minute:
			v = top * (0.9 + 0.1*math.Sin(float64(d)/float64(time.Minute)))
		case d >= 5*time.Minute && d < 7*time.Minute:
			f := float64(d-5*time.Minute) / float64(2*time.Minute)
			v = top*(1-f) + v*f
		}
		pts = append(pts, metrics.Point{T: t, V: v})
	}
	return pts
}

func fixtureCharts() enrich.Charts {
	from, to := metrics.DefaultRange(paneStart, paneNow)
	step := 15 * time.Second
	five := spike(from, to, step, 0.01, 0.312)
	lat := spike(from, to, step, 180, 1450)
	series := func(key string, labels map[string]string, pts []metrics.Point) metrics.Series {
		return metrics.Series{Key: key, Labels: labels, Points: pts}
	}
	var pods []metrics.Series
	for i, pod := range []string{"pg-7c9f-a", "pg-7c9f-b", "pg-7c9f-c", "pg-7c9f-d"} {
		pods = append(pods, series(fmt.Sprintf(`{pod=%q}`, pod), map[string]string{"pod": pod, "job": "payment-gateway"},
			spike(from, to, step, 35+float64(10*i), 70+float64(8*i))))
	}
	return enrich.Charts{
		Start: from, End: to,
		Results: []metrics.Result{
			{Query: metrics.Query{Name: "5xx rate", Unit: "req/s", Threshold: ptr(0.05)}, Start: from, End: to, Step: step,
				Series: []metrics.Series{series(`{job="payment-gateway"}`, map[string]string{"job": "payment-gateway"}, five)}},
			{Query: metrics.Query{Name: "p99 latency", Unit: "ms", Threshold: ptr(800)}, Start: from, End: to, Step: step,
				Series: []metrics.Series{series(`{job="payment-gateway"}`, map[string]string{"job": "payment-gateway"}, lat)}},
			{Query: metrics.Query{Name: "CPU by pod", Unit: "%"}, Start: from, End: to, Step: step, Series: pods},
			{Query: metrics.Query{Name: "queue depth", PromQL: "sum(queue_depth)"}, Start: from, End: to, Step: step},
			{Query: metrics.Query{Name: "db pool"}},
		},
		Errs: []error{nil, nil, nil, nil, errors.New("prometheus: query timed out after 5s (the server is slow; the other charts are fresh)")},
	}
}

func fixtureLogs() []logs.Line {
	texts := []struct{ level, src, text string }{
		{logs.LevelInfo, "kubectl logs deploy/payment-gateway", "GET /healthz 200 1ms"},
		{logs.LevelDebug, "kubectl logs deploy/payment-gateway", "pool stats idle=12 busy=4"},
		{logs.LevelInfo, "kubectl logs deploy/payment-gateway", "POST /v1/charges 200 84ms"},
		{logs.LevelWarn, "kubectl logs deploy/payment-gateway", "upstream card-processor slow: 950ms"},
		{logs.LevelError, "kubectl logs deploy/payment-gateway", "POST /v1/charges 502 upstream timeout after 2000ms (card-processor)"},
		{logs.LevelInfo, "journald payment-gateway.service", "Started payment-gateway v2.14.0"},
		{logs.LevelError, "kubectl logs deploy/payment-gateway", "panic recovered: nil map write in retryBudget.Add; request_id=9f2c0d1e stack=" + strings.Repeat("frame;", 60)},
		{logs.LevelUnknown, "kubectl logs deploy/payment-gateway", "\x1b]52;c;cm0gLXJmIH4=\x07clipboard write attempt \x1b[2J\x1b[Hscreen clear attempt \u009b31mred"},
		{logs.LevelWarn, "journald payment-gateway.service", "retry budget exhausted for card-processor"},
		{logs.LevelError, "kubectl logs deploy/payment-gateway", "POST /v1/charges 503 Timeout waiting for connection from pool"},
	}
	var out []logs.Line
	for i := range 40 {
		x := texts[i%len(texts)]
		out = append(out, logs.Line{T: paneStart.Add(time.Duration(i*7) * time.Second), Level: x.level, Text: x.text, Source: x.src})
	}
	return out
}

func fixtureChanges() []deploys.Flagged {
	changes := []deploys.Change{
		{ID: "c1", Source: "pagerduty", Service: "payment-gateway", Summary: "Deploy payment-gateway v2.14.0 (retry budget rewrite)", At: paneDeploy,
			URL: "https://github.com/acme/payment-gateway/releases/tag/v2.14.0"},
		{ID: "c2", Source: "git", Service: "payment-gateway", Summary: "Merge pull request #812 from acme/bump-card-sdk", At: paneStart.Add(-47 * time.Minute),
			URL: "https://github.com/acme/payment-gateway/pull/812"},
		{ID: "c3", Source: "pagerduty", Service: "payment-gateway", Summary: "Rollback payment-gateway to v2.13.4", At: paneStart.Add(7 * time.Minute)},
		{ID: "c4", Source: "command", Service: "edge-proxy", Summary: "Config push: raise edge-proxy idle timeout to 65s", At: paneStart.Add(-2*time.Hour - 5*time.Minute)},
	}
	return deploys.LikelyCause(changes, paneStart, 30*time.Minute)
}

func TestPaneGoldens(t *testing.T) {
	s := NewStyles(true)
	charts := fixtureCharts()
	lines := fixtureLogs()
	flagged := fixtureChanges()
	deployAt := []time.Time{paneDeploy, paneStart.Add(7 * time.Minute)}
	for _, size := range []struct{ w, h int }{{80, 13}, {120, 25}} {
		sz := fmt.Sprintf("%dx%d", size.w, size.h)
		t.Run(sz, func(t *testing.T) {
			golden(t, "pane_metrics_"+sz, ansi.Strip(renderMetrics(s, charts, paneStart, deployAt, size.w, size.h, paneNow, 0)))
			golden(t, "pane_logs_"+sz, ansi.Strip(logsView{follow: true}.view(s, lines, size.w, size.h, paneNow)))
			golden(t, "pane_deploys_"+sz, ansi.Strip(renderDeploys(s, flagged, paneStart, size.w, size.h, paneNow)))
		})
	}
	golden(t, "pane_metrics_80x13_scrolled", ansi.Strip(renderMetrics(s, charts, paneStart, deployAt, 80, 13, paneNow, 2)))
	golden(t, "pane_logs_80x13_filtered", ansi.Strip(logsView{filter: "TIMEOUT", errorsOnly: true}.view(s, lines, 80, 13, paneNow)))
	golden(t, "pane_deploys_empty", ansi.Strip(renderDeploys(s, nil, paneStart, 80, 3, paneNow)))
}

// markerLineOf finds the line under a chart's plot, and the plot's lines.
func chartParts(t *testing.T, view string) (plot []string, marker string) {
	t.Helper()
	lines := strings.Split(ansi.Strip(view), "\n")
	for i, l := range lines {
		if strings.Contains(l, "└") {
			for j := i - 1; j >= 0 && strings.ContainsAny(lines[j], "┤┼"); j-- {
				plot = append(plot, lines[j])
			}
			return plot, l
		}
	}
	t.Fatalf("no marker line in\n%s", ansi.Strip(view))
	return nil, ""
}

func cellOf(line string, r rune) int {
	i := strings.IndexRune(line, r)
	if i < 0 {
		return -1
	}
	return ansi.StringWidth(line[:i])
}

func TestMetricsMarkersLandOnTheirColumns(t *testing.T) {
	s := NewStyles(true)
	charts := fixtureCharts()
	charts.Results, charts.Errs = charts.Results[:1], charts.Errs[:1]
	for _, width := range []int{60, 80, 117, 200} {
		view := renderMetrics(s, charts, paneStart, []time.Time{paneDeploy}, width, 13, paneNow, 0)
		plot, marker := chartParts(t, view)
		axis := cellOf(marker, '└')
		plotW := 0
		for _, l := range plot {
			plotW = max(plotW, ansi.StringWidth(strings.TrimRight(l, " "))-axis-1)
		}
		col := func(at time.Time) int {
			f := float64(at.Sub(charts.Start)) / float64(charts.End.Sub(charts.Start))
			return axis + 1 + int(math.Round(f*float64(plotW-1)))
		}
		if got, want := cellOf(marker, startGlyph), col(paneStart); got != want {
			t.Errorf("width %d: ▲ at cell %d, want %d (plot %d wide from cell %d)\n%s", width, got, want, plotW, axis+1, ansi.Strip(view))
		}
		if got, want := cellOf(marker, deployGlyph), col(paneDeploy); got != want {
			t.Errorf("width %d: D at cell %d, want %d\n%s", width, got, want, ansi.Strip(view))
		}
		// The spike begins at the start: the plot's top row, where the peak
		// is, has nothing to the left of the start's column.
		top := plot[len(plot)-1]
		if first := strings.IndexFunc(top[strings.IndexAny(top, "┤┼")+len("┤"):], func(r rune) bool { return r != ' ' && r != '┄' }); first < 0 {
			t.Errorf("width %d: the top row is empty: %q", width, top)
		} else if got := axis + 1 + first; got < col(paneStart)-1 {
			t.Errorf("width %d: the peak row starts at cell %d, before the start's %d", width, got, col(paneStart))
		}
	}
}

func TestMetricsCaptionPeakIsTheDataMax(t *testing.T) {
	s := NewStyles(true)
	from := paneStart.Add(-30 * time.Minute)
	r := rand.New(rand.NewPCG(1, 2))
	var pts []metrics.Point
	for i := range 1000 {
		pts = append(pts, metrics.Point{T: from.Add(time.Duration(i) * 2520 * time.Millisecond), V: 0.01 + 0.01*r.Float64()})
	}
	pts[613].V = 0.4321 // one sample wide: a mean per column would flatten it
	pts[200].V = -0.02  // and a dip
	end := pts[len(pts)-1].T
	charts := enrich.Charts{Start: from, End: end, Results: []metrics.Result{{
		Query: metrics.Query{Name: "5xx rate", Unit: "req/s"}, Step: 2520 * time.Millisecond,
		Series: []metrics.Series{{Key: "{}", Points: pts}},
	}}}
	view := ansi.Strip(renderMetrics(s, charts, paneStart, nil, 80, 13, end, 0))
	if want := "peak " + chartValue(0.4321) + " req/s"; !strings.Contains(view, want) {
		t.Errorf("caption lacks %q:\n%s", want, view)
	}
	if want := "now " + chartValue(pts[999].V) + " req/s"; !strings.Contains(view, want) {
		t.Errorf("caption lacks %q:\n%s", want, view)
	}
	for _, w := range []int{10, 57, 80, 199} {
		cols := downsample(pts, from, end, w, 2520*time.Millisecond)
		if len(cols) != w {
			t.Fatalf("downsample to %d gave %d columns", w, len(cols))
		}
		if got := slices.Max(cols); got != 0.4321 {
			t.Errorf("downsampled to %d columns, the peak is %v, want 0.4321", w, got)
		}
		if got := slices.Min(cols); got != -0.02 {
			t.Errorf("downsampled to %d columns, the dip is %v, want -0.02", w, got)
		}
		if slices.ContainsFunc(cols, math.IsNaN) {
			t.Errorf("downsampled to %d columns, a column has no value: %v", w, cols)
		}
	}
}

func TestMetricsSlotsForErrorsAndEmptyResults(t *testing.T) {
	s := NewStyles(true)
	charts := fixtureCharts()
	view := ansi.Strip(renderMetrics(s, charts, paneStart, nil, 100, 40, paneNow, 0))
	for _, want := range []string{"no data for queue depth", "db pool  ⚠ prometheus: query timed out", "─ pod=pg-7c9f-a", "+1 more series", "threshold 800 ms"} {
		if !strings.Contains(view, want) {
			t.Errorf("missing %q in\n%s", want, view)
		}
	}
	// At 80×13 only two charts fit: the pane says how many more.
	if view := ansi.Strip(renderMetrics(s, charts, paneStart, nil, 80, 13, paneNow, 0)); !strings.Contains(view, "+3 more (j/k to scroll)") {
		t.Errorf("no scroll hint in\n%s", view)
	}
	// Scrolling far past the end shows the last page, not an empty pane.
	last := ansi.Strip(renderMetrics(s, charts, paneStart, nil, 80, 13, paneNow, 99))
	if !strings.Contains(last, "db pool") || !strings.Contains(last, "CPU by pod") {
		t.Errorf("scrolled past the end:\n%s", last)
	}
	if got := clampMetricsScroll(charts, 13, 99); got != 2 {
		t.Errorf("clampMetricsScroll = %d, want 2", got)
	}
}

func TestLogsFilterKeepsExactlyTheMatches(t *testing.T) {
	s := NewStyles(true)
	lines := fixtureLogs()
	cases := []struct {
		name string
		v    logsView
		keep func(l logs.Line) bool
	}{
		{"all", logsView{}, func(logs.Line) bool { return true }},
		{"filter any case", logsView{filter: "tImEoUt"}, func(l logs.Line) bool { return strings.Contains(strings.ToLower(l.Text), "timeout") }},
		{"errors only", logsView{errorsOnly: true}, func(l logs.Line) bool { return l.Level == logs.LevelError }},
		{"both", logsView{filter: "POST", errorsOnly: true}, func(l logs.Line) bool { return l.Level == logs.LevelError && strings.Contains(l.Text, "POST") }},
		{"none", logsView{filter: "no such text"}, func(logs.Line) bool { return false }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var want []string
			for _, l := range lines {
				if c.keep(l) {
					want = append(want, l.T.UTC().Format("15:04:05"))
				}
			}
			view := strings.Split(ansi.Strip(c.v.view(s, lines, 120, len(lines)+5, paneNow)), "\n")
			var got []string
			for _, l := range view[1:] {
				if len(l) > 8 && l[2] == ':' && l[5] == ':' {
					got = append(got, l[:8])
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("kept %v\nwant %v", got, want)
			}
			if status := fmt.Sprintf("%d/%d lines", len(want), len(lines)); !strings.Contains(view[0], status) {
				t.Errorf("status %q lacks %q", view[0], status)
			}
		})
	}
}

func TestLogsScrollAndFollow(t *testing.T) {
	s := NewStyles(true)
	lines := fixtureLogs()
	v := logsView{follow: true}
	bottom := func(v logsView) string {
		rows := strings.Split(ansi.Strip(v.view(s, lines, 100, 6, paneNow)), "\n")
		return rows[len(rows)-1][:8]
	}
	newest := lines[len(lines)-1].T.Format("15:04:05")
	if got := bottom(v); got != newest {
		t.Fatalf("following, the last row is %s, want the newest line %s", got, newest)
	}
	v.scrollBy(-3)
	if v.follow {
		t.Error("scrolling back did not pause following")
	}
	if got, want := bottom(v), lines[len(lines)-4].T.Format("15:04:05"); got != want {
		t.Errorf("3 back, the last row is %s, want %s", got, want)
	}
	v.scrollBy(-1000)
	if got, want := bottom(v), lines[4].T.Format("15:04:05"); got != want {
		t.Errorf("scrolled past the oldest, the last row is %s, want %s (the oldest page)", got, want)
	}
	v.clampScroll(lines, 6)
	if v.scroll != len(lines)-5 {
		t.Errorf("clampScroll left %d, want %d", v.scroll, len(lines)-5)
	}
	v.toggleFollow()
	if !v.follow || v.scroll != 0 || bottom(v) != newest {
		t.Errorf("toggleFollow did not return to the newest line: %+v", v)
	}
	v.setFilter("\x1b[31mtimeout")
	if v.filter != "timeout" {
		t.Errorf("setFilter kept %q", v.filter)
	}
}

func TestLogsHostileLineIsDrawnInert(t *testing.T) {
	s := NewStyles(true)
	lines := []logs.Line{{T: paneStart, Level: logs.LevelUnknown, Text: "\x1b]52;c;cm0gLXJmIH4=\x07pwn \x1b[2J\u009b31m\x07bell", Source: "x"}}
	view := logsView{}.view(s, lines, 80, 3, paneNow)
	for _, bad := range []string{"\x1b]", "\x1b[2J", "\u009b", "\x07"} {
		if strings.Contains(view, bad) {
			t.Errorf("the hostile sequence %q reached the screen: %q", bad, view)
		}
	}
	if !strings.Contains(ansi.Strip(view), "pwn bell") {
		t.Errorf("the text around the sequences is lost: %q", ansi.Strip(view))
	}
}

func TestContainsFoldASCII(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	alphabet := "aAbBtT o"
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		return string(b)
	}
	for range 20000 {
		text, sub := word(r.IntN(30)), strings.ToLower(word(1+r.IntN(4)))
		if got, want := containsFoldASCII(text, sub), strings.Contains(strings.ToLower(text), sub); got != want {
			t.Fatalf("containsFoldASCII(%q, %q) = %v, want %v", text, sub, got, want)
		}
	}
}

func TestDeploysFlagLikelyCauseFirst(t *testing.T) {
	s := NewStyles(true)
	view := ansi.Strip(renderDeploys(s, fixtureChanges(), paneStart, 80, 13, paneNow))
	rows := strings.Split(view, "\n")
	if !strings.HasPrefix(rows[1], "⚑    -9m pagerduty") || !strings.Contains(rows[2], "likely cause") {
		t.Errorf("the likely cause is not first and marked:\n%s", view)
	}
	if strings.Count(view, "likely cause") != 2 { // the header's count and the entry's marker
		t.Errorf("want exactly one flagged entry:\n%s", view)
	}
	for _, want := range []string{"+7m", "-47m", "-2h05m", "https://github.com/acme/payment-gateway/pull/812"} {
		if !strings.Contains(view, want) {
			t.Errorf("missing %q:\n%s", want, view)
		}
	}
	if got := ansi.Strip(renderDeploys(s, nil, paneStart, 40, 2, paneNow)); !strings.Contains(got, "No changes found around the start.") {
		t.Errorf("empty pane: %q", got)
	}
	small := ansi.Strip(renderDeploys(s, fixtureChanges(), paneStart, 80, 4, paneNow))
	if !strings.Contains(small, "+3 more changes") {
		t.Errorf("a short pane does not count what it leaves out:\n%s", small)
	}
}

func TestPaneStatus(t *testing.T) {
	s := NewStyles(true)
	cases := []struct {
		loading bool
		at      time.Time
		err     error
		want    string
	}{
		{true, time.Time{}, nil, "loading…"},
		{true, paneNow.Add(-4 * time.Second), nil, "refreshing… · updated 4s ago"},
		{false, paneNow.Add(-4 * time.Second), nil, "updated 4s ago"},
		{false, paneNow.Add(-2 * time.Minute), errors.New("loki: 429\x1b[2J too many requests"), "⚠ loki: 429 too many requests · showing data 2m ago"},
		{false, time.Time{}, errors.New("no metrics server configured"), "⚠ no metrics server configured"},
	}
	for _, c := range cases {
		got := paneStatus(s, c.loading, c.at, c.err, paneNow, 80)
		if plain := strings.TrimRight(ansi.Strip(got), " "); plain != c.want {
			t.Errorf("paneStatus(%v, %v, %v) = %q, want %q", c.loading, c.at, c.err, plain, c.want)
		}
		if w := lipgloss.Width(got); w != 80 {
			t.Errorf("paneStatus is %d cells wide, want 80", w)
		}
	}
}

// TestPanesFitEverySize draws every pane at every size from 40×3 to
// 200×40: each frame must be exactly height lines of exactly width cells.
func TestPanesFitEverySize(t *testing.T) {
	s := NewStyles(true)
	charts := fixtureCharts()
	lines := fixtureLogs()
	flagged := fixtureChanges()
	deployAt := []time.Time{paneDeploy}
	check := func(pane string, w, h int, got string) { t.Helper(); checkFrame(t, pane, w, h, got) }
	// The widths are split between parallel subtests: under -race the
	// 18,000 frames take a while.
	for part := range 4 {
		t.Run(fmt.Sprintf("widths%%4=%d", part), func(t *testing.T) {
			t.Parallel()
			check := func(pane string, w, h int, got string) { t.Helper(); checkFrame(t, pane, w, h, got) }
			for w := 40 + part; w <= 200; w += 4 {
				for h := 3; h <= 40; h++ {
					check("metrics", w, h, renderMetrics(s, charts, paneStart, deployAt, w, h, paneNow, h%3))
					check("logs", w, h, logsView{follow: h%2 == 0, scroll: w % 7, filter: []string{"", "timeout"}[w%2]}.view(s, lines, w, h, paneNow))
					check("deploys", w, h, renderDeploys(s, flagged, paneStart, w, h, paneNow))
				}
				check("status", w, 1, paneStatus(s, false, paneNow.Add(-time.Minute), errors.New(strings.Repeat("slow ", 50)), paneNow, w))
			}
		})
	}
	// Smaller than any pane is meant for: still no overflow.
	for w := 1; w < 40; w++ {
		for h := 1; h < 5; h++ {
			check("metrics", w, h, renderMetrics(s, charts, paneStart, deployAt, w, h, paneNow, 0))
			check("logs", w, h, logsView{}.view(s, lines, w, h, paneNow))
			check("deploys", w, h, renderDeploys(s, flagged, paneStart, w, h, paneNow))
		}
	}
}

// checkFrame fails unless got is exactly h lines of exactly w cells.
func checkFrame(t *testing.T, pane string, w, h int, got string) {
	t.Helper()
	rows := strings.Split(got, "\n")
	if len(rows) != h {
		t.Fatalf("%s at %d×%d: %d lines", pane, w, h, len(rows))
	}
	for i, r := range rows {
		if cw := ansi.StringWidth(r); cw != w {
			t.Fatalf("%s at %d×%d: line %d is %d cells: %q", pane, w, h, i, cw, ansi.Strip(r))
		}
	}
}
