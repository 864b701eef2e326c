package tui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"sitrep/sources/deploys"
	"sitrep/sources/enrich"
	"sitrep/sources/health"
	"sitrep/sources/logs"
	"sitrep/sources/metrics"
	"sitrep/sources/pagerduty"
	"sitrep/sources/sanitize"
)

// Pane names, as the detail's tabs call them and sources report them.
const (
	paneMetrics = "metrics"
	paneLogs    = "logs"
	paneDeploys = "deploys"
)

// paneData is one pane's latest answer.
type paneData struct {
	value     any
	err       string
	fetchedAt time.Time
	took      time.Duration
	// statuses say how each source of the pane fared at the last fetch,
	// even when it failed and value is the last good data.
	statuses []health.Status
}

// enrichState is what the panes know of one incident.
type enrichState struct {
	panes    map[string]paneData
	fetching bool
	started  time.Time
}

// Messages of the enrichment.
type (
	enrichStarted struct {
		id string
		ch <-chan enrich.Result
	}
	enrichArrived struct {
		id     string
		result enrich.Result
		ch     <-chan enrich.Result
	}
	enrichDone     struct{ id string }
	paneRefreshDue struct{ gen int }
	// logsTicked carries a snapshot of the followed logs.
	logsTicked struct {
		id       string
		gen      int
		lines    []logs.Line
		total    uint64
		statuses []health.Status // the followed sources' own states
	}
	// followEnded says a stream stopped on its own (every source ended or
	// failed), with what its ring held last.
	followEnded struct {
		id   string
		gen  int
		err  error
		last logsTicked
	}
)

// enrichTimeout bounds one whole fan-out; each source has its own, shorter
// deadline inside it.
const enrichTimeout = 30 * time.Second

// fetchEnrichment starts the fan-out for an incident.
func (m *Model) fetchEnrichment(in pagerduty.Incident, force bool) tea.Cmd {
	e := m.opts.Enricher
	if e == nil {
		return nil
	}
	st := m.enrichment[in.ID]
	if st == nil {
		st = &enrichState{panes: map[string]paneData{}}
		m.enrichment[in.ID] = st
	}
	if st.fetching {
		return nil
	}
	st.fetching = true
	st.started = m.opts.Now()
	return func() tea.Msg {
		if force {
			e.Forget(in)
		}
		ctx, cancel := context.WithTimeout(context.Background(), enrichTimeout)
		ch := e.Fetch(ctx, in)
		// The fan-out closes ch after its last result; cancel then.
		out := make(chan enrich.Result, cap(ch))
		go func() {
			defer cancel()
			defer close(out)
			for r := range ch {
				out <- r
			}
		}()
		return enrichStarted{id: in.ID, ch: out}
	}
}

// waitEnrich delivers the next result of a fan-out as its own message, so
// each pane fills as soon as its source answers.
func waitEnrich(id string, ch <-chan enrich.Result) tea.Cmd {
	return func() tea.Msg {
		r, ok := <-ch
		if !ok {
			return enrichDone{id: id}
		}
		return enrichArrived{id: id, result: r, ch: ch}
	}
}

func (m *Model) enrichArrived(msg enrichArrived) tea.Cmd {
	st := m.enrichment[msg.id]
	if st == nil {
		return waitEnrich(msg.id, msg.ch)
	}
	r := msg.result
	p := paneData{value: r.Value, fetchedAt: r.FetchedAt, took: r.Took, statuses: r.Statuses}
	if r.Err != nil {
		p.err = m.errText(r.Err)
		if old, ok := st.panes[r.SourceID]; ok {
			p.value, p.fetchedAt = old.value, old.fetchedAt // keep the last good data beside the error
		}
	}
	st.panes[r.SourceID] = p
	return waitEnrich(msg.id, msg.ch)
}

// paneRefreshEvery refreshes the visible pane; the fan-out's cache keeps
// this cheap.
func (m *Model) schedulePaneRefresh() tea.Cmd {
	m.paneGen++
	gen, every := m.paneGen, m.opts.PaneRefresh
	return tea.Tick(every, func(time.Time) tea.Msg { return paneRefreshDue{gen: gen} })
}

// enrichTabVisible says whether an enrichment pane is on screen.
func (m *Model) enrichTabVisible() bool {
	if m.journal != nil || m.screen != nil {
		return false
	}
	return enrichTab(m.detail.tab)
}

// enrichTab says whether a detail tab is an enrichment pane.
func enrichTab(tab int) bool {
	switch detailTabs[tab] {
	case "Metrics", "Logs", "Deploys":
		return true
	}
	return false
}

// The log stream: every log source of the selected incident's service,
// followed into a ring for as long as the incident stays selected and its
// detail is on screen, whichever tab shows and whether the pane follows or
// is paused. A log command that never ends (kubectl logs -f) so has lines
// to show at any time, and runs as one process that the pane's fetches
// read too (logs.Background). The stream stops when the selection moves,
// a screen or J covers the detail, or sitrep quits; one that ends on its
// own starts again only when the engineer asks (r, f, a tab, selecting
// the incident again).
//
// Following, the pane shows the newest lines at every frame; paused, its
// view holds still and takes in what arrived at the pane's refresh, on r,
// or when f follows again.

// follow is the running log stream of the selected incident.
type follow struct {
	id     string
	gen    int
	cancel context.CancelFunc
	ring   *logs.Ring
	ticks  int // frames delivered so far
}

// followRing is how many followed lines the pane keeps.
const followRing = 5000

// followSettle is how many frames a paused pane keeps taking lines after
// the stream starts: the sources' backlogs arrive over the first second
// or so, and a view frozen on half of one would mislead.
const followSettle = 4

// startFollow starts the stream of the selected incident's logs.
func (m *Model) startFollow(in pagerduty.Incident) tea.Cmd {
	if m.opts.Enricher == nil || (m.following != nil && m.following.id == in.ID) {
		return nil
	}
	m.stopFollow()
	ctx, cancel := context.WithCancel(context.Background())
	m.followGen++
	f := &follow{id: in.ID, gen: m.followGen, cancel: cancel, ring: logs.NewRing(followRing)}
	m.following = f
	e := m.opts.Enricher
	return tea.Batch(
		func() tea.Msg {
			err := e.Follow(ctx, in, f.ring)
			return followEnded{id: in.ID, gen: f.gen, err: err, last: f.snapshot()}
		},
		tickLogs(f),
	)
}

func (m *Model) stopFollow() {
	if m.following != nil {
		m.following.cancel()
		m.following = nil
	}
}

// logsFrame is how often a followed stream is redrawn: the ring absorbs
// any rate, the screen shows it twice a second.
const logsFrame = 500 * time.Millisecond

func tickLogs(f *follow) tea.Cmd {
	return tea.Tick(logsFrame, func(time.Time) tea.Msg { return f.snapshot() })
}

// snapshot takes the ring's newest lines, ordered by when they were
// logged: lines of several sources arrive interleaved as they are read,
// and a line's own time is what tells their order. It runs in a Cmd, off
// the update loop; a stable sort keeps lines of the same time in the
// order they came.
func (f *follow) snapshot() logsTicked {
	lines := f.ring.Last(1000)
	byTime := func(a, b logs.Line) int { return a.T.Compare(b.T) }
	if !slices.IsSortedFunc(lines, byTime) {
		slices.SortStableFunc(lines, byTime)
	}
	return logsTicked{id: f.id, gen: f.gen, lines: lines, total: f.ring.Total(), statuses: f.ring.Statuses()}
}

// logsArrived takes a frame of the stream: into the view when following,
// while the stream settles, or when a refresh asked for it; a paused view
// otherwise holds still.
func (m *Model) logsArrived(msg logsTicked) tea.Cmd {
	f := m.following
	if f == nil || f.gen != msg.gen {
		return nil
	}
	f.ticks++
	m.takeFrame(msg, f.ticks <= followSettle)
	return tickLogs(f)
}

func (m *Model) takeFrame(msg logsTicked, settling bool) {
	m.followedStatuses = msg.statuses
	if m.logs.follow || settling || m.takeLogs || m.followedFor != msg.id || len(m.followed) == 0 {
		m.followed, m.followedN, m.followedFor = msg.lines, msg.total, msg.id
		m.takeLogs = false
	}
}

// followStopped handles a stream that ended by itself. It is not started
// again until the engineer asks; its failure is the header's only when
// the engineer was following, since each source's own state is in the
// pane's statuses already.
func (m *Model) followStopped(msg followEnded) {
	if m.following == nil || m.following.gen != msg.gen {
		return
	}
	m.following = nil
	m.streamFor = ""
	m.takeFrame(msg.last, false)
	if msg.err != nil && m.logs.follow {
		m.lastErr = "logs: " + m.errText(msg.err)
	}
	m.logs.follow = false
}

// wantStream asks for the selected incident's stream: the engineer is
// looking at that incident.
func (m *Model) wantStream() tea.Cmd {
	if in, ok := m.list.selected(); ok {
		m.streamFor = in.ID
	}
	return m.syncFollow()
}

// syncFollow starts or stops the stream to match what is on screen.
func (m *Model) syncFollow() tea.Cmd {
	if !m.followWanted() {
		m.stopFollow()
		return nil
	}
	in, _ := m.list.selected()
	return m.startFollow(in)
}

// followWanted says whether the selected incident's stream should run:
// it was asked for, nothing covers the detail and sitrep is not quitting.
func (m *Model) followWanted() bool {
	in, ok := m.list.selected()
	if !ok || m.quitting || m.journal != nil || m.screen != nil || m.opts.Enricher == nil {
		return false
	}
	return m.streamFor == in.ID
}

// tabChanged starts what the new tab needs: the enrichment for a pane, the
// pane's refresh timer, the log stream.
func (m *Model) tabChanged() tea.Cmd {
	in, ok := m.list.selected()
	if !ok {
		return nil
	}
	if !m.enrichTabVisible() {
		return m.wantStream()
	}
	return tea.Batch(m.fetchEnrichment(in, false), m.schedulePaneRefresh(), m.wantStream())
}

// paneKey handles the keys of the pane on screen: follow and errors-only
// in the logs pane.
func (m *Model) paneKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	if detailTabs[m.detail.tab] != "Logs" {
		return nil, false
	}
	k := m.keys
	switch {
	case key.Matches(msg, k.Follow):
		m.logs.toggleFollow()
		return m.wantStream(), true
	case key.Matches(msg, k.ErrorsOnly):
		m.logs.toggleErrors()
		return nil, true
	case m.detail.focused && key.Matches(msg, k.Filter):
		d := newLogFilterDialog(m.logs.filter, m.width)
		m.dialog = d
		return d.input.Focus(), true
	case m.detail.focused && key.Matches(msg, k.Down):
		m.logs.scrollBy(1)
		if in, ok := m.list.selected(); ok {
			m.logs.clampScroll(m.logLines(in), m.bodyHeight())
		}
		return m.syncFollow(), true
	case m.detail.focused && key.Matches(msg, k.Up):
		m.logs.scrollBy(-1) // scrolling back in time pauses following
		return m.syncFollow(), true
	}
	return nil, false
}

// enrichPane draws the Metrics, Logs or Deploys tab of an incident.
func (m *Model) enrichPane(in pagerduty.Incident, width, height int) string {
	return m.drawEnrichPane(in, width, height, true)
}

// enrichEvidence is the pane as a pin keeps it: what the sources said of
// the service, without what they said of themselves (sourceFailures keeps
// that apart, as sitrep's).
func (m *Model) enrichEvidence(in pagerduty.Incident, width, height int) string {
	return m.drawEnrichPane(in, width, height, false)
}

// sourceFailures are the pane's sources that did not answer, as lines for
// a pin: sitrep's own trouble, kept apart from the evidence.
func (m *Model) sourceFailures(in pagerduty.Incident, tab string) []string {
	name := map[string]string{"Metrics": paneMetrics, "Logs": paneLogs, "Deploys": paneDeploys}[tab]
	var out []string
	for _, st := range m.paneStatuses(in, name) {
		if st.State != health.OK {
			out = append(out, st.String())
		}
	}
	return out
}

func (m *Model) drawEnrichPane(in pagerduty.Incident, width, height int, withStatuses bool) string {
	s := m.styles
	st := m.details[in.ID]
	tabs := m.detail.tabBar(s, st.detail, st.detail.Incident.ID == in.ID, len(m.pendingNotes(in.ID)))
	if height < 2 {
		return padLines(tabs, width, height)
	}
	body := height - 1
	if m.opts.Enricher == nil {
		msg := "No enrichment configured. Add the service under services: in config.yaml (see README)."
		return padLines(tabs+"\n"+s.Dim.Render(truncate(msg, width)), width, height)
	}
	es := m.enrichment[in.ID]
	var name string
	switch detailTabs[m.detail.tab] {
	case "Metrics":
		name = paneMetrics
	case "Logs":
		name = paneLogs
	default:
		name = paneDeploys
	}
	var p paneData
	known := false
	if es != nil {
		p, known = es.panes[name]
	}
	loading := es != nil && es.fetching && !known
	var err error
	if p.err != "" && len(p.statuses) == 0 {
		err = errorString(p.err)
	}
	status := paneStatus(s, loading || (es == nil), p.fetchedAt, err, m.now, width)
	if name == paneLogs && m.following != nil {
		status = paneStatus(s, false, m.now, nil, m.now, width)
	}
	var statuses []health.Status
	if withStatuses {
		statuses = m.paneStatuses(in, name)
	}
	if allOK(statuses) {
		// Every source answered: said beside the pane's own status (a
		// dim line, redrawn without its padding), taking no row.
		status = truncate(s.Dim.Render(strings.TrimRight(ansi.Strip(status), " ")+" · ")+okSummary(s, statuses), width)
	}
	extra := m.statusRows(statuses, width, body)
	rows := body - 1 - len(extra)
	var content string
	switch name {
	case paneMetrics:
		charts, _ := p.value.(enrich.Charts)
		content = renderMetrics(s, charts, in.CreatedAt, m.deployTimes(in.ID), width, rows, m.now, m.detail.scroll)
	case paneLogs:
		content = m.logs.view(s, m.logLines(in), width, rows, m.now)
	case paneDeploys:
		flagged, _ := p.value.([]deploys.Flagged)
		content = renderDeploys(s, flagged, in.CreatedAt, width, rows, m.now)
	}
	head := tabs + "\n" + status
	if len(extra) > 0 {
		head += "\n" + strings.Join(extra, "\n")
	}
	return padLines(head+"\n"+content, width, height)
}

// shownLogLines are the lines the Logs pane of in shows when drawn at
// width×height (tab bar, status, the sources' trouble, then the lines).
func (m *Model) shownLogLines(in pagerduty.Incident, width, height int) []logs.Line {
	body := height - 1
	extra := m.statusRows(m.paneStatuses(in, paneLogs), width, body)
	rows := body - 1 - len(extra)
	all := m.logLines(in)
	idx, _ := m.logs.visible(all, rows-1)
	out := make([]logs.Line, len(idx))
	for i, j := range idx {
		out[i] = all[j]
	}
	return out
}

// paneStatuses are the statuses of a pane's sources: the last fetch's,
// and for the logs pane what the followed stream says since.
func (m *Model) paneStatuses(in pagerduty.Incident, name string) []health.Status {
	es := m.enrichment[in.ID]
	if es == nil {
		return nil
	}
	statuses := es.panes[name].statuses
	if name == paneLogs && m.followedFor == in.ID {
		statuses = mergeStatuses(statuses, m.followedStatuses)
	}
	return statuses
}

// statusRows are the lines the sources' statuses take under the pane's
// status line: none when all are ok, else one per source (more for a
// reason wrapped in the focused pane), leaving a line of content.
func (m *Model) statusRows(statuses []health.Status, width, body int) []string {
	if len(statuses) == 0 || allOK(statuses) {
		return nil
	}
	rows := sourceStatusLines(m.styles, statuses, width, m.detail.focused)
	return rows[:min(len(rows), max(0, body-2))]
}

// logLines are the lines the logs pane shows: the followed stream while
// it holds lines for the selected incident (also once paused, so the view
// does not jump), else the last fetch.
func (m *Model) logLines(in pagerduty.Incident) []logs.Line {
	if m.followedFor == in.ID && len(m.followed) > 0 {
		return m.followed
	}
	if es := m.enrichment[in.ID]; es != nil {
		lines, _ := es.panes[paneLogs].value.([]logs.Line)
		return lines
	}
	return nil
}

// deployTimes are the changes the deploys pane found, as chart markers.
func (m *Model) deployTimes(id string) []time.Time {
	es := m.enrichment[id]
	if es == nil {
		return nil
	}
	flagged, _ := es.panes[paneDeploys].value.([]deploys.Flagged)
	var out []time.Time
	for _, f := range flagged {
		if !f.At.IsZero() {
			out = append(out, f.At)
		}
	}
	return out
}

type errorString string

func (e errorString) Error() string { return string(e) }

// enrichmentSummary is the note E attaches to the incident: what the
// panes show, in a few lines a colleague can read in PagerDuty's app.
func (m *Model) enrichmentSummary(in pagerduty.Incident) (string, bool) {
	es := m.enrichment[in.ID]
	if es == nil {
		return "", false
	}
	var b strings.Builder
	fmt.Fprintf(&b, "sitrep enrichment for #%d at %s UTC", in.Number, m.now.UTC().Format("15:04"))
	have := false
	if charts, ok := es.panes[paneMetrics].value.(enrich.Charts); ok {
		for _, r := range charts.Results {
			if len(r.Series) == 0 || len(r.Series[0].Points) == 0 {
				continue
			}
			pts := r.Series[0].Points
			peak := pts[0].V
			for _, p := range pts {
				peak = max(peak, p.V)
			}
			line := fmt.Sprintf("\n- %s: now %s, peak %s", r.Query.Name, formatValue(pts[len(pts)-1].V, r.Query.Unit), formatValue(peak, r.Query.Unit))
			if r.Query.Threshold != nil {
				line += ", threshold " + formatValue(*r.Query.Threshold, r.Query.Unit)
			}
			b.WriteString(line)
			have = true
		}
	}
	if flagged, ok := es.panes[paneDeploys].value.([]deploys.Flagged); ok {
		for _, f := range flagged {
			if f.Likely {
				fmt.Fprintf(&b, "\n- likely cause: %s (%s before the start)", f.Summary, in.CreatedAt.Sub(f.At).Round(time.Minute))
				if f.URL != "" {
					b.WriteString(" " + f.URL)
				}
				have = true
				break
			}
		}
	}
	if lines, ok := es.panes[paneLogs].value.([]logs.Line); ok && len(lines) > 0 {
		errs, last := 0, ""
		for _, l := range lines {
			if l.Level == logs.LevelError {
				errs++
				last = l.Text
			}
		}
		fmt.Fprintf(&b, "\n- logs: %d error lines of the last %d", errs, len(lines))
		if last != "" {
			fmt.Fprintf(&b, "; latest: %s", truncate(last, 160))
		}
		have = true
	}
	// A source that failed is sitrep's problem, not evidence about the
	// service: said apart, and marked as sitrep's.
	for _, name := range []string{paneMetrics, paneLogs, paneDeploys} {
		for _, st := range es.panes[name].statuses {
			if st.State == health.Error {
				fmt.Fprintf(&b, "\n- (sitrep could not read its %s source %s: %s)", name, sanitize.Line(st.Source), truncate(sanitize.Line(st.Reason), 160))
			}
		}
	}
	return b.String(), have
}

// formatValue is a metric value as notes and pins write it (never in
// scientific notation); outside text is sanitized by the caller.
func formatValue(v float64, unit string) string {
	return metrics.FormatValue(v, unit)
}

// maxPinned bounds the rows of a pane a pin keeps.
const maxPinned = 50

// paneFacts is what a pin of an enrichment pane keeps besides its text:
// the metric values around now, the log lines shown, the changes listed.
func (m *Model) paneFacts(in pagerduty.Incident, tab string) (any, string) {
	es := m.enrichment[in.ID]
	if es == nil {
		return nil, ""
	}
	switch tab {
	case "Metrics":
		charts, ok := es.panes[paneMetrics].value.(enrich.Charts)
		if !ok {
			return nil, ""
		}
		type value struct {
			Name      string    `json:"name"`
			Query     string    `json:"query"`
			Unit      string    `json:"unit,omitempty"`
			Now       float64   `json:"now"`
			Peak      float64   `json:"peak"`
			At        time.Time `json:"at"`
			Threshold *float64  `json:"threshold,omitempty"`
		}
		var out []value
		var parts []string
		for _, r := range charts.Results {
			if len(r.Series) == 0 || len(r.Series[0].Points) == 0 {
				continue
			}
			pts := r.Series[0].Points
			v := value{Name: r.Query.Name, Query: r.Query.PromQL, Unit: r.Query.Unit, Now: pts[len(pts)-1].V, Peak: pts[0].V, At: pts[len(pts)-1].T, Threshold: r.Query.Threshold}
			for _, p := range pts {
				v.Peak = max(v.Peak, p.V)
			}
			out = append(out, v)
			parts = append(parts, fmt.Sprintf("%s %s (peak %s)", v.Name, formatValue(v.Now, v.Unit), formatValue(v.Peak, v.Unit)))
		}
		return out, strings.Join(parts, ", ")
	case "Logs":
		// Exactly the lines the pane shows: under "errors only" or a
		// filter, the matching lines on screen, not the last lines held.
		type line struct {
			At     time.Time `json:"at"`
			Level  string    `json:"level"`
			Source string    `json:"source,omitempty"`
			Text   string    `json:"text"`
		}
		shown := m.shownLogLines(in, max(40, m.width), m.pinHeight())
		shown = shown[max(0, len(shown)-maxPinned):]
		out := make([]line, len(shown))
		for i, l := range shown {
			out[i] = line{At: l.T, Level: l.Level, Source: l.Source, Text: l.Text}
		}
		what := "log lines"
		if m.logs.errorsOnly {
			what = "error lines"
		}
		summary := fmt.Sprintf("%d %s shown", len(out), what)
		if m.logs.filter != "" {
			summary += fmt.Sprintf(" matching %q", m.logs.filter)
		}
		if len(out) > 0 {
			summary += ", the last: " + out[len(out)-1].Text
		}
		return out, summary
	case "Deploys":
		flagged, ok := es.panes[paneDeploys].value.([]deploys.Flagged)
		if !ok {
			return nil, ""
		}
		flagged = flagged[:min(len(flagged), maxPinned)]
		line := fmt.Sprintf("%d changes", len(flagged))
		for _, f := range flagged {
			if f.Likely {
				line += "; likely cause: " + f.Summary
				break
			}
		}
		return flagged, line
	}
	return nil, ""
}

// clampDetailScroll keeps the focused detail's scroll within its content,
// so k after many j moves the view at once.
func (m *Model) clampDetailScroll() {
	in, ok := m.list.selected()
	if !ok {
		m.detail.scroll = 0
		return
	}
	body := m.bodyHeight() - 1
	if detailTabs[m.detail.tab] == "Metrics" {
		if es := m.enrichment[in.ID]; es != nil {
			charts, _ := es.panes[paneMetrics].value.(enrich.Charts)
			extra := m.statusRows(m.paneStatuses(in, paneMetrics), max(20, m.width), body)
			m.detail.scroll = clampMetricsScroll(charts, body-1-len(extra), m.detail.scroll)
		}
		return
	}
	if enrichTab(m.detail.tab) {
		return
	}
	n := len(m.detail.lines(m.styles, in, m.details[in.ID], m.width, m.now))
	m.detail.scroll = max(0, min(m.detail.scroll, n-body))
}
