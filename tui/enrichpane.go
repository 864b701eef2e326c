package tui

import (
	"fmt"
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

// Drawing the enrichment panes (Metrics, Logs, Deploys) from what the
// fan-out and the log stream hold, their keys, and the note E writes from
// them.

// paneKey handles the keys of the pane on screen: follow and errors-only
// in the logs pane.
func (m *Model) paneKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	if detailTabs[m.detail.tab] != "Logs" {
		return nil, false
	}
	k := newLogsKeyMap(m.detail.focused)
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

func (m *Model) drawEnrichPane(in pagerduty.Incident, width, height int, withStatuses bool) string {
	s := m.styles
	st := m.details[in.ID]
	tabs := m.detail.tabBar(s, in, st, len(m.pendingNotes(in.ID)))
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
