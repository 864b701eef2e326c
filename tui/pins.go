package tui

import (
	"fmt"
	"strings"
	"time"

	"sitrep/sources/deploys"
	"sitrep/sources/enrich"
	"sitrep/sources/health"
	"sitrep/sources/pagerduty"
)

// What a pin of an enrichment pane keeps: the pane's evidence, apart from
// the sources' own failures, and its facts as data.

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
