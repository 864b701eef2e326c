package tui

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/guptarohit/asciigraph"

	"sitrep/sources/enrich"
	"sitrep/sources/metrics"
	"sitrep/sources/sanitize"
)

// paneStatus is the one-line state of an enrichment pane: how old its data
// is, that it is loading, or why its last fetch failed. An error keeps the
// age of the data still shown beside it, so the engineer knows how stale the
// chart under the warning is.
func paneStatus(s Styles, loading bool, fetchedAt time.Time, err error, now time.Time, width int) string {
	if width <= 0 {
		return ""
	}
	have := !fetchedAt.IsZero()
	updated := ""
	if have {
		updated = "updated " + age(now, fetchedAt) + " ago"
	}
	switch {
	case err != nil:
		msg := "⚠ " + sanitize.Line(err.Error())
		if have {
			msg += " · showing data " + updated[len("updated "):]
		}
		return s.Error.Render(fit(msg, width))
	case loading && have:
		return s.Dim.Render(fit("refreshing… · "+updated, width))
	case loading:
		return s.Dim.Render(fit("loading…", width))
	case have:
		return s.Dim.Render(fit(updated, width))
	}
	return s.Dim.Render(fit("no data yet", width))
}

// Chart layout. A chart block is a caption, an optional legend, at least
// minPlotRows rows of plot and a marker line; a failed or empty query takes
// one line.
const (
	minPlotRows    = 3
	maxChartSeries = 3
	chartOffset    = 3 // asciigraph's default: label, space, axis
)

// The glyphs a chart draws with. Each series has its own line style so a
// chart stays readable without colour; the threshold is dashed.
var (
	seriesChars = []asciigraph.CharSet{
		asciigraph.DefaultCharSet,
		{Horizontal: "═", VerticalLine: "║", ArcDownRight: "╔", ArcDownLeft: "╗", ArcUpRight: "╚", ArcUpLeft: "╝", EndCap: "═", StartCap: "═"},
		asciigraph.CreateCharSet("•"),
	}
	seriesGlyphs   = []string{"─", "═", "•"}
	thresholdChars = asciigraph.CreateCharSet("┄")
)

const (
	thresholdGlyph = '┄'
	startGlyph     = '▲'
	deployGlyph    = 'D'
)

// renderMetrics draws one chart per query of charts into width×height
// cells: a header line with the time range and the marker legend, then as
// many charts as fit from the scroll'th on, sharing the spare rows. Every
// chart spans the same time range, so the incident start (▲) and the
// deploys (D, from changes) sit in the same column in all of them. Queries
// that failed or matched nothing take one line each in their slot.
//
// scroll is the index of the first chart drawn; it is clamped, so a caller
// may keep adding to it. now ends the range when charts has no end.
func renderMetrics(s Styles, charts enrich.Charts, start time.Time, changes []time.Time, width, height int, now time.Time, scroll int) string {
	if height <= 0 || width <= 0 {
		return ""
	}
	if len(charts.Results) == 0 {
		return padLines(s.Dim.Render(fit("No charts yet.", width)), width, height)
	}
	from, to := charts.Start, charts.End
	if to.IsZero() {
		to = now
	}
	if from.IsZero() || !to.After(from) {
		from, to = resultsSpan(charts.Results, to)
	}
	blocks := metricBlocks(charts)
	first, n, tall := layoutBlocks(blocks, height-1, scroll)
	if n == 0 {
		// Not even one chart fits: one caption line per query.
		var lines []string
		for i := clampInt(scroll, 0, len(blocks)-1); i < len(blocks) && len(lines) < height; i++ {
			lines = append(lines, blocks[i].caption(s, width))
		}
		return padLines(strings.Join(lines, "\n"), width, height)
	}
	lines := []string{metricsHeader(s, from, to, start, changes, first, n, len(blocks), width)}
	for i, b := range blocks[first : first+n] {
		lines = append(lines, b.render(s, from, to, start, changes, width, tall[i])...)
	}
	return padLines(strings.Join(lines, "\n"), width, height)
}

// clampMetricsScroll is the scroll renderMetrics would use for a pane of
// height rows. A caller keeps its scroll within it, so that k answers at
// once after j was held past the last chart.
func clampMetricsScroll(charts enrich.Charts, height, scroll int) int {
	first, n, _ := layoutBlocks(metricBlocks(charts), height-1, scroll)
	if n == 0 {
		return clampInt(scroll, 0, max(0, len(charts.Results)-1))
	}
	return first
}

func clampInt(v, lo, hi int) int { return max(lo, min(v, hi)) }

// resultsSpan is the range of the results' own bounds, for charts that
// carry none.
func resultsSpan(results []metrics.Result, to time.Time) (time.Time, time.Time) {
	var from time.Time
	for _, r := range results {
		if !r.Start.IsZero() && (from.IsZero() || r.Start.Before(from)) {
			from = r.Start
		}
		if r.End.After(to) {
			to = r.End
		}
	}
	if from.IsZero() || !to.After(from) {
		from = to.Add(-metrics.DefaultLookBehind)
	}
	return from, to
}

// metricsHeader is the pane's first line: the range, the markers' legend
// and, when not every chart fits, which are shown.
func metricsHeader(s Styles, from, to, start time.Time, changes []time.Time, first, n, total, width int) string {
	left := s.Dim.Render(from.UTC().Format("15:04") + "–" + to.UTC().Format("15:04") + " UTC")
	if !start.IsZero() {
		left += "  " + s.Error.Render(string(startGlyph)) + " start " + start.UTC().Format("15:04")
	}
	if n := countWithin(changes, from, to); n > 0 {
		left += "  " + s.Warn.Render(string(deployGlyph)) + fmt.Sprintf(" deploy (%d)", n)
	}
	var hint string
	switch {
	case n == total:
		return truncate(left, width)
	case first == 0:
		hint = fmt.Sprintf("+%d more (j/k to scroll)", total-n)
	default:
		hint = fmt.Sprintf("%d–%d of %d (j/k to scroll)", first+1, first+n, total)
	}
	right := s.Dim.Render(hint)
	rw := lipgloss.Width(right)
	if rw+2 > width {
		return truncate(right, width)
	}
	left = truncate(left, width-rw-2)
	return left + strings.Repeat(" ", width-lipgloss.Width(left)-rw) + right
}

func countWithin(ts []time.Time, from, to time.Time) int {
	n := 0
	for _, t := range ts {
		if !t.Before(from) && !t.After(to) {
			n++
		}
	}
	return n
}

// chartBlock is one query's slot in the pane.
type chartBlock struct {
	res    metrics.Result
	err    error
	series []metrics.Series // the series with points, at most maxChartSeries
	more   int              // series with points left out
}

func metricBlocks(charts enrich.Charts) []chartBlock {
	blocks := make([]chartBlock, len(charts.Results))
	for i, r := range charts.Results {
		b := chartBlock{res: r}
		if i < len(charts.Errs) {
			b.err = charts.Errs[i]
		}
		for _, sr := range r.Series {
			if len(sr.Points) == 0 {
				continue
			}
			if len(b.series) < maxChartSeries {
				b.series = append(b.series, sr)
			} else {
				b.more++
			}
		}
		blocks[i] = b
	}
	return blocks
}

func (b chartBlock) isChart() bool { return b.err == nil && len(b.series) > 0 }

// minRows is the least height the block is drawn in.
func (b chartBlock) minRows() int {
	if !b.isChart() {
		return 1
	}
	return 2 + minPlotRows + b.legendRows()
}

func (b chartBlock) legendRows() int {
	if len(b.series) > 1 {
		return 1
	}
	return 0
}

// layoutBlocks picks the blocks drawn from scroll on into avail rows and
// shares the spare rows between the charts among them. A scroll past the
// point where the last block shows is pulled back, so the pane never shows
// less than it could.
func layoutBlocks(blocks []chartBlock, avail, scroll int) (first, n int, rows []int) {
	if len(blocks) == 0 || avail <= 0 {
		return 0, 0, nil
	}
	first = clampInt(scroll, 0, len(blocks)-1)
	used := 0
	for i := first; i < len(blocks) && used+blocks[i].minRows() <= avail; i++ {
		used += blocks[i].minRows()
		n++
	}
	for n > 0 && first > 0 && first+n == len(blocks) && used+blocks[first-1].minRows() <= avail {
		first--
		used += blocks[first].minRows()
		n++
	}
	if n == 0 {
		return first, 0, nil
	}
	rows = make([]int, n)
	charts := 0
	for i := range rows {
		rows[i] = blocks[first+i].minRows()
		if blocks[first+i].isChart() {
			charts++
		}
	}
	spare := avail - used
	for i := range rows {
		if charts == 0 || !blocks[first+i].isChart() {
			continue
		}
		share := spare / charts
		if spare%charts > 0 {
			share++
		}
		rows[i] += share
		spare -= share
		charts--
	}
	return first, n, rows
}

func (b chartBlock) name() string {
	if n := sanitize.Line(b.res.Query.Name); n != "" {
		return n
	}
	return sanitize.Line(b.res.Query.PromQL)
}

// caption is the block's first line: the query's name and its numbers, or
// why there is no chart.
func (b chartBlock) caption(s Styles, width int) string {
	name := b.name()
	q := b.res.Query
	switch {
	case b.err != nil:
		return truncate(s.Header.Render(name)+"  "+s.Error.Render("⚠ "+sanitize.Line(b.err.Error())), width)
	case len(b.series) == 0:
		msg := "no data for " + name
		if len(b.res.Warnings) > 0 {
			msg += " (" + sanitize.Line(b.res.Warnings[0]) + ")"
		}
		return s.Dim.Render(fit(msg, width))
	}
	peak := math.Inf(-1)
	for _, sr := range b.series {
		for _, p := range sr.Points {
			peak = max(peak, p.V)
		}
	}
	var parts []string
	over := func(v float64) lipgloss.Style {
		if q.Threshold != nil && v > *q.Threshold {
			return s.Error
		}
		return lipgloss.NewStyle()
	}
	if len(b.series) == 1 {
		pts := b.series[0].Points
		now := pts[len(pts)-1].V
		parts = append(parts, "now "+over(now).Render(withUnit(now, q.Unit)))
	} else {
		parts = append(parts, fmt.Sprintf("%d series", len(b.series)+b.more))
	}
	parts = append(parts, "peak "+over(peak).Render(withUnit(peak, q.Unit)))
	if q.Threshold != nil {
		parts = append(parts, s.Warn.Render("threshold "+withUnit(*q.Threshold, q.Unit)))
	}
	return truncate(s.Header.Render(name)+"  "+strings.Join(parts, "  "), width)
}

// render draws the block in exactly rows lines.
func (b chartBlock) render(s Styles, from, to, start time.Time, changes []time.Time, width, rows int) []string {
	lines := []string{b.caption(s, width)}
	if !b.isChart() || rows < 2+minPlotRows {
		return padTo(lines, rows)
	}
	if b.legendRows() > 0 {
		lines = append(lines, b.legend(s, width))
	}
	plotRows := rows - len(lines) - 1
	plot, leftPad, plotW := b.plot(s, from, to, width, plotRows)
	if plot == nil {
		lines = append(lines, s.Dim.Render(fit("too narrow to chart", width)))
		return padTo(lines, rows)
	}
	lines = append(lines, padTo(plot, plotRows)...)
	lines = append(lines, markerLine(s, from, to, start, changes, leftPad, plotW))
	return padTo(lines, rows)
}

func padTo(lines []string, n int) []string {
	if len(lines) > n {
		return lines[:n]
	}
	for len(lines) < n {
		lines = append(lines, "")
	}
	return lines
}

// legend names the series by the labels that tell them apart.
func (b chartBlock) legend(s Styles, width int) string {
	names := seriesNames(b.series)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = seriesGlyphs[i] + " " + n
	}
	l := strings.Join(parts, "  ")
	if b.more > 0 {
		l += fmt.Sprintf("  +%d more series", b.more)
	}
	return s.Dim.Render(truncate(l, width))
}

// seriesNames are the label pairs that differ between the series, or
// their whole keys when none do.
func seriesNames(series []metrics.Series) []string {
	var keys []string
	for k := range series[0].Labels {
		keys = append(keys, k)
	}
	for _, sr := range series[1:] {
		for k := range sr.Labels {
			if _, ok := series[0].Labels[k]; !ok {
				keys = append(keys, k)
			}
		}
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	var differ []string
	for _, k := range keys {
		v0, ok0 := series[0].Labels[k]
		for _, sr := range series[1:] {
			if v, ok := sr.Labels[k]; v != v0 || ok != ok0 {
				differ = append(differ, k)
				break
			}
		}
	}
	names := make([]string, len(series))
	for i, sr := range series {
		var parts []string
		for _, k := range differ {
			parts = append(parts, sanitize.Line(k+"="+sr.Labels[k]))
		}
		names[i] = strings.Join(parts, ",")
		if names[i] == "" {
			names[i] = sanitize.Line(sr.Key)
		}
		if names[i] == "" {
			names[i] = fmt.Sprintf("series %d", i+1)
		}
	}
	return names
}

// plot draws the series (and the threshold) with asciigraph into rows
// lines at most width cells wide. It returns the lines, the column of the
// first data cell (the y-axis labels' width, read from the output) and the
// plot's width in columns; nil when width leaves no room for a plot.
func (b chartBlock) plot(s Styles, from, to time.Time, width, rows int) ([]string, int, int) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, sr := range b.series {
		for _, p := range sr.Points {
			lo, hi = min(lo, p.V), max(hi, p.V)
		}
	}
	th := b.res.Query.Threshold
	if th != nil {
		lo, hi = min(lo, *th), max(hi, *th)
	}
	if lo == hi {
		// A flat line sits on a range of its own scale, not on a single row.
		switch {
		case lo > 0:
			lo = 0
		case lo < 0:
			hi = 0
		default:
			hi = 1
		}
	}
	// The labels asciigraph prints lie between lo and hi; guess their
	// width from the ends, then correct it from the output.
	label := chartValue
	if th != nil {
		label = thresholdLabel(*th, lo, hi, rows-1)
	}
	guess := chartOffset + max(len(label(lo)), len(label(hi)), len(label((lo+hi)/2)))
	plotW := width - guess
	for range 2 {
		if plotW < 2 {
			return nil, 0, 0
		}
		out := b.plotOnce(from, to, lo, hi, plotW, rows, label)
		lines := strings.Split(out, "\n")
		leftPad := axisColumn(lines[0]) + 1
		if leftPad+plotW <= width {
			th := wrapOf(s.Warn)
			for i, l := range lines {
				lines[i] = styleRuns(l, thresholdGlyph, th)
			}
			return lines, leftPad, plotW
		}
		plotW = width - leftPad
	}
	return nil, 0, 0
}

func (b chartBlock) plotOnce(from, to time.Time, lo, hi float64, plotW, rows int, label func(float64) string) string {
	data := make([][]float64, 0, len(b.series)+1)
	chars := make([]asciigraph.CharSet, 0, len(b.series)+1)
	if th := b.res.Query.Threshold; th != nil {
		flat := make([]float64, plotW+1)
		for i := range flat {
			flat[i] = *th
		}
		data = append(data, flat)
		chars = append(chars, thresholdChars)
	}
	// Drawn last, the first series lies on top.
	for i := len(b.series) - 1; i >= 0; i-- {
		cols := downsample(b.series[i].Points, from, to, plotW, b.res.Step)
		// asciigraph draws the step from value x to x+1 in column x, so
		// the last column needs a value after it: its own.
		data = append(data, append(cols, cols[plotW-1]))
		chars = append(chars, seriesChars[i])
	}
	return asciigraph.PlotMany(data,
		asciigraph.Height(rows-1), // asciigraph draws height+1 rows
		asciigraph.LowerBound(lo), asciigraph.UpperBound(hi),
		asciigraph.Offset(chartOffset),
		asciigraph.SeriesChars(chars...),
		asciigraph.YAxisValueFormatter(label),
	)
}

// thresholdLabel is the y-axis formatter of a chart with a threshold: the
// row the threshold's line is drawn on is labelled with the threshold
// (800), not with the row's own value (1015), which would make a line at
// 800 read as a line at 1015. The row is found as asciigraph finds it for
// a value, from the same bounds and height; the formatter is given each
// row's value, which lies within half a row of no other row's.
func thresholdLabel(th, lo, hi float64, height int) func(float64) string {
	interval := math.Abs(hi - lo)
	ratio := 1.0
	if interval != 0 {
		ratio = float64(height) / interval
	}
	min2 := graphRound(lo * ratio)
	rows := int(math.Abs(graphRound(hi*ratio) - min2))
	if rows == 0 || interval == 0 {
		return chartValue
	}
	row := rows - int(graphRound(th*ratio)-min2) // from the top
	at := hi - float64(row)*interval/float64(rows)
	half := interval / float64(rows) / 2
	return func(v float64) string {
		if math.Abs(v-at) < half {
			return chartValue(th)
		}
		return chartValue(v)
	}
}

// graphRound rounds half away from zero, as asciigraph places values on
// rows.
func graphRound(x float64) float64 {
	if x < 0 {
		return -math.Floor(-x + 0.5)
	}
	return math.Floor(x + 0.5)
}

// axisColumn is the cell of the y-axis in a plotted line: the labels are
// ASCII, so runes before it are cells.
func axisColumn(line string) int {
	col := 0
	for _, r := range line {
		if r == '┤' || r == '┼' {
			return col
		}
		col++
	}
	return chartOffset - 1
}

// styleRuns styles each run of glyph in an unstyled line.
func styleRuns(line string, glyph rune, st styleWrap) string {
	if !strings.ContainsRune(line, glyph) {
		return line
	}
	var b strings.Builder
	var run strings.Builder
	flush := func() {
		if run.Len() > 0 {
			b.WriteString(st.of(run.String()))
			run.Reset()
		}
	}
	for _, r := range line {
		if r == glyph {
			run.WriteRune(r)
			continue
		}
		flush()
		b.WriteRune(r)
	}
	flush()
	return b.String()
}

// columnOf is the plot column of t in a plot of w columns spanning
// [from, to]; ok is false outside it.
func columnOf(t, from, to time.Time, w int) (int, bool) {
	if t.Before(from) || t.After(to) || w <= 0 {
		return 0, false
	}
	if w == 1 || !to.After(from) {
		return 0, true
	}
	return int(math.Round(float64(t.Sub(from)) / float64(to.Sub(from)) * float64(w-1))), true
}

// downsample maps points (oldest first) onto w columns spanning [from, to].
// A column with several points keeps the extreme farther from their mean,
// so a spike or a dip one sample wide survives; the columns holding the
// overall maximum and minimum keep them, so the plot's peak is the data's.
// Columns without a point between two samples no more than two steps apart
// are interpolated; a longer gap stays a gap (NaN).
func downsample(pts []metrics.Point, from, to time.Time, w int, step time.Duration) []float64 {
	out := make([]float64, w)
	lows := make([]float64, w)
	highs := make([]float64, w)
	firstT := make([]time.Time, w)
	lastT := make([]time.Time, w)
	for i := range out {
		out[i] = math.NaN()
	}
	maxCol, minCol := -1, -1
	gmax, gmin := math.Inf(-1), math.Inf(1)
	cur, cnt, sum := -1, 0, 0.0
	flushCol := func() {
		if cur < 0 || cnt == 0 {
			return
		}
		mean := sum / float64(cnt)
		if highs[cur]-mean >= mean-lows[cur] {
			out[cur] = highs[cur]
		} else {
			out[cur] = lows[cur]
		}
	}
	for _, p := range pts {
		c, ok := columnOf(p.T, from, to, w)
		if !ok || math.IsNaN(p.V) || math.IsInf(p.V, 0) {
			continue
		}
		if c != cur {
			flushCol()
			if !math.IsNaN(out[c]) {
				// Out of order: fold into what the column has.
				cnt, sum = 1, out[c]
			} else {
				cnt, sum = 0, 0
				lows[c], highs[c] = p.V, p.V
				firstT[c] = p.T
			}
			cur = c
		}
		cnt++
		sum += p.V
		lows[c], highs[c] = min(lows[c], p.V), max(highs[c], p.V)
		lastT[c] = p.T
		if p.V > gmax {
			gmax, maxCol = p.V, c
		}
		if p.V < gmin {
			gmin, minCol = p.V, c
		}
	}
	flushCol()
	if minCol >= 0 {
		out[minCol] = gmin
	}
	if maxCol >= 0 {
		out[maxCol] = gmax // the peak wins a column it shares with the trough
	}
	// Bridge columns between samples that are one step apart.
	prev := -1
	for c := range out {
		if math.IsNaN(out[c]) {
			continue
		}
		if prev >= 0 && c-prev > 1 && (step <= 0 || firstT[c].Sub(lastT[prev]) <= 2*step) {
			for k := prev + 1; k < c; k++ {
				f := float64(k-prev) / float64(c-prev)
				out[k] = out[prev] + (out[c]-out[prev])*f
			}
		}
		prev = c
	}
	return out
}

// markerLine is the line under a plot: the x-axis, with ▲ at the incident
// start, D at each deploy and the range's ends as clock times where they
// fit.
func markerLine(s Styles, from, to, start time.Time, changes []time.Time, leftPad, plotW int) string {
	const (
		kAxis = iota
		kStart
		kDeploy
		kLabel
	)
	n := leftPad + plotW
	cells := make([]rune, n)
	kinds := make([]int, n)
	for i := range cells {
		cells[i], kinds[i] = ' ', kLabel
	}
	cells[leftPad-1], kinds[leftPad-1] = '└', kAxis
	for i := leftPad; i < n; i++ {
		cells[i], kinds[i] = '─', kAxis
	}
	free := func(a, b int) bool {
		if a < leftPad || b > n {
			return false
		}
		for i := a; i < b; i++ {
			if kinds[i] != kAxis {
				return false
			}
		}
		return true
	}
	put := func(at int, text string, kind int) {
		for i, r := range []rune(text) {
			cells[at+i], kinds[at+i] = r, kind
		}
	}
	for _, t := range changes {
		if c, ok := columnOf(t, from, to, plotW); ok {
			put(leftPad+c, string(deployGlyph), kDeploy)
		}
	}
	if c, ok := columnOf(start, from, to, plotW); ok && !start.IsZero() {
		at := leftPad + c
		put(at, string(startGlyph), kStart)
		switch {
		case free(at+1, at+7):
			put(at+1, " start", kLabel)
		case free(at-6, at):
			put(at-6, "start ", kLabel)
		}
	}
	if leftPad-1 >= 6 {
		put(leftPad-7, from.UTC().Format("15:04"), kLabel)
	}
	if end := to.UTC().Format("15:04"); free(n-7, n) {
		put(n-6, " "+end, kLabel)
	}
	dim := wrapOf(s.Dim)
	wraps := [...]styleWrap{kAxis: dim, kStart: wrapOf(s.Error), kDeploy: wrapOf(s.Warn), kLabel: dim}
	var b strings.Builder
	for i := 0; i < n; {
		j := i
		for j < n && kinds[j] == kinds[i] {
			j++
		}
		b.WriteString(wraps[kinds[i]].of(string(cells[i:j])))
		i = j
	}
	return b.String()
}

// withUnit is a value and its unit as a caption shows it: "0.31 req/s",
// "97%".
func withUnit(v float64, unit string) string {
	unit = sanitize.Line(unit)
	switch unit {
	case "":
		return chartValue(v)
	case "%":
		return chartValue(v) + "%"
	}
	return chartValue(v) + " " + unit
}

// chartValue prints a value in at most about eight cells with three
// significant digits (two below 0.001), never in scientific notation, so
// that a pin of the chart reads like the notes: 0.312, 12.3, 1234, 45.6k,
// 0.000012.
func chartValue(v float64) string {
	a := math.Abs(v)
	scaled := func(x float64, suffix string) string {
		d := 1
		if math.Abs(x) >= 100 {
			d = 0
		}
		return strconv.FormatFloat(x, 'f', d, 64) + suffix
	}
	switch {
	case v == 0:
		return "0"
	case math.IsNaN(v) || math.IsInf(v, 0):
		return strconv.FormatFloat(v, 'g', -1, 64)
	case a >= 1e9:
		return scaled(v/1e9, "G")
	case a >= 1e6:
		return scaled(v/1e6, "M")
	case a >= 1e4:
		return scaled(v/1e3, "k")
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 0.001:
		// %g writes no exponent for values from 0.001 to 100 at three digits.
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	s := strconv.FormatFloat(v, 'f', 1-int(math.Floor(math.Log10(a))), 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}
