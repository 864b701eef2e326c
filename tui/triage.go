package tui

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"sitrep/actions/triage"
	"sitrep/sources/deploys"
	"sitrep/sources/enrich"
	"sitrep/sources/logs"
	"sitrep/sources/pagerduty"
	"sitrep/sources/sanitize"
	"sitrep/store/journal"
)

// Triage: what kind of incident each one is, and why. The evidence is
// what the cockpit already holds (the list's incident, the detail's
// alerts, the enrichment panes' metrics, logs and changes); it is
// classified in a Cmd whenever it changes, and the answer is kept per
// incident with the version of the evidence it came from, so drawing a
// frame only looks it up.

// triageState is one incident's classification and the evidence version
// it was computed from (or asked for, while the Cmd runs).
type triageState struct {
	version string
	result  []triage.Classification
	done    bool
}

// triageJob is one incident's evidence, gathered in Update and classified
// in a Cmd.
type triageJob struct {
	id, version string
	evidence    triage.Evidence
}

// triageResult is a job's answer.
type triageResult struct {
	id, version string
	evidence    triage.Evidence
	result      []triage.Classification
}

// triaged carries a Cmd's answers back to Update.
type triaged struct{ results []triageResult }

// triageWindow is how long after the start a metric's mean is taken for
// the evidence: the figure the errors reached once the incident began.
const triageWindow = 5 * time.Minute

// triageAfter returns the Cmd that classifies what msg brought new
// evidence for: every listed incident after a refresh, one incident when
// its detail or an enrichment result arrives. Nil when nothing changed.
func (m *Model) triageAfter(msg tea.Msg) tea.Cmd {
	if m.opts.Triage == nil {
		return nil
	}
	var ids []string
	switch msg := msg.(type) {
	case incidentsLoaded:
		for i := range m.list.all {
			ids = append(ids, m.list.all[i].ID)
		}
	case enrichArrived:
		ids = []string{msg.id}
	case detailLoaded:
		ids = []string{msg.id}
	default:
		return nil
	}
	var jobs []triageJob
	for _, id := range ids {
		in, ok := m.list.byID(id)
		if !ok {
			continue
		}
		v := m.triageVersion(in)
		if st, ok := m.triage[id]; ok && st.version == v {
			continue
		}
		st := m.triage[id]
		st.version = v
		m.triage[id] = st
		jobs = append(jobs, triageJob{id: id, version: v, evidence: m.evidence(in)})
	}
	if len(jobs) == 0 {
		return nil
	}
	t := m.opts.Triage
	return func() tea.Msg {
		out := make([]triageResult, len(jobs))
		for i, j := range jobs {
			out[i] = triageResult{id: j.id, version: j.version, evidence: j.evidence, result: t.Classify(j.evidence)}
		}
		return triaged{results: out}
	}
}

// triaged keeps the answers still current and journals a top class that
// is new for its incident.
func (m *Model) triaged(msg triaged) tea.Cmd {
	if m.list.badges == nil {
		m.list.badges = map[string]string{}
	}
	var cmds []tea.Cmd
	for _, r := range msg.results {
		st, ok := m.triage[r.id]
		if !ok || st.version != r.version {
			continue // newer evidence is on its way
		}
		before := topClass(st.result)
		st.result, st.done = r.result, true
		m.triage[r.id] = st
		if len(r.result) == 0 {
			delete(m.list.badges, r.id)
		} else {
			m.list.badges[r.id] = badge(r.result[0].Class)
		}
		if top := topClass(r.result); top != "" && top != before && m.lookedAt(r.id) {
			cmds = append(cmds, m.recordTriage(r))
		}
	}
	return tea.Batch(cmds...)
}

func topClass(cs []triage.Classification) string {
	if len(cs) == 0 {
		return ""
	}
	return cs[0].Class
}

// triageVersion names the evidence an incident's classification rests
// on: the incident's version and the fetch times of its detail and
// panes. Equal versions need no new classification.
func (m *Model) triageVersion(in pagerduty.Incident) string {
	var b strings.Builder
	b.WriteString(in.Version())
	if st, ok := m.details[in.ID]; ok && st.detail.Incident.ID == in.ID {
		fmt.Fprintf(&b, "|d%d.%d", st.fetchedAt.UnixNano(), st.parts)
	}
	if es := m.enrichment[in.ID]; es != nil {
		for _, name := range []string{paneMetrics, paneLogs, paneDeploys} {
			if p, ok := es.panes[name]; ok && p.value != nil {
				fmt.Fprintf(&b, "|%s%d", name[:1], p.fetchedAt.UnixNano())
			}
		}
	}
	return b.String()
}

// evidence gathers what the cockpit knows of an incident. The values are
// the panes' own, which are never changed after they arrive, so the Cmd
// may read them.
// alertDetails are the incident's alerts' custom details as one set of
// fields; where alerts disagree on a field, the first alert PagerDuty
// lists says it.
func alertDetails(alerts []pagerduty.Alert) map[string]string {
	var out map[string]string
	for _, a := range alerts {
		for k, v := range a.Details {
			if out == nil {
				out = map[string]string{}
			}
			if _, seen := out[k]; !seen {
				out[k] = v
			}
		}
	}
	return out
}

func (m *Model) evidence(in pagerduty.Incident) triage.Evidence {
	e := triage.Evidence{Incident: in}
	if st, ok := m.details[in.ID]; ok && st.detail.Incident.ID == in.ID {
		e.Incident = st.detail.Incident
		e.Alerts = st.detail.Alerts
		e.AlertDetails = alertDetails(st.detail.Alerts)
	}
	es := m.enrichment[in.ID]
	if es == nil {
		return e
	}
	if charts, ok := es.panes[paneMetrics].value.(enrich.Charts); ok {
		e.Metrics = metricFigures(charts, e.Incident.CreatedAt)
	}
	if lines, ok := es.panes[paneLogs].value.([]logs.Line); ok {
		e.Logs = lines
	}
	if flagged, ok := es.panes[paneDeploys].value.([]deploys.Flagged); ok {
		e.Changes = make([]deploys.Change, len(flagged))
		for i, f := range flagged {
			e.Changes[i] = f.Change
		}
	}
	return e
}

// metricFigures is each query's figure around the start: the mean of its
// first series over the window after the start, or its newest value when
// the chart does not reach back to the start.
func metricFigures(charts enrich.Charts, start time.Time) map[string]float64 {
	out := map[string]float64{}
	for _, r := range charts.Results {
		if len(r.Series) == 0 || len(r.Series[0].Points) == 0 {
			continue
		}
		pts := r.Series[0].Points
		sum, n := 0.0, 0
		for _, p := range pts {
			if !p.T.Before(start) && !p.T.After(start.Add(triageWindow)) {
				sum += p.V
				n++
			}
		}
		if n > 0 {
			out[r.Query.Name] = sum / float64(n)
		} else {
			out[r.Query.Name] = pts[len(pts)-1].V
		}
	}
	return out
}

// badge is a class as the list shows it: a few cells.
func badge(class string) string {
	switch strings.ToLower(class) {
	case "deploy regression":
		return "deploy"
	case "database":
		return "db"
	case "network":
		return "net"
	case "certificate":
		return "cert"
	case "capacity":
		return "cap"
	case "dependency":
		return "dep"
	}
	first, _, _ := strings.Cut(strings.TrimSpace(sanitize.Line(class)), " ")
	return truncate(first, badgeWidth)
}

// badgeWidth is the list's triage column.
const badgeWidth = 6

// triageLines are Overview's Triage line: the class and its confidence,
// the why wrapped below it, and the other classes that matched.
func triageLines(s Styles, cs []triage.Classification, width int) []string {
	if len(cs) == 0 {
		return nil
	}
	const indent = 11
	top := cs[0]
	head := sanitize.Line(top.Class) + "  " + s.Dim.Render(string(top.Confidence)+" confidence")
	lines := []string{s.Label.Render(fmt.Sprintf("%-11s", "Triage")) + truncate(head, max(1, width-indent))}
	why := strings.Join(top.Evidence, "; ")
	if top.Rule != top.Class {
		why += " (rule " + top.Rule + ")"
	}
	for _, l := range wrap(sanitize.Line(why), max(10, width-indent)) {
		lines = append(lines, strings.Repeat(" ", indent)+l)
	}
	if len(cs) > 1 {
		var also []string
		for _, c := range cs[1:] {
			also = append(also, sanitize.Line(c.Class))
		}
		lines = append(lines, strings.Repeat(" ", indent)+s.Dim.Render(truncate("also: "+strings.Join(also, ", "), max(1, width-indent))))
	}
	return lines
}

// withTriage puts the Triage lines into Overview's fields, before the
// first section below them (or at the end).
func withTriage(lines, tri []string) []string {
	if len(tri) == 0 {
		return lines
	}
	at := len(lines)
	for i, l := range lines {
		if l == "" {
			at = i
			break
		}
	}
	out := make([]string, 0, len(lines)+len(tri))
	out = append(out, lines[:at]...)
	out = append(out, tri...)
	return append(out, lines[at:]...)
}

// lookedAt says whether the engineer has looked at an incident (its
// detail or panes were fetched): only those are journaled, so a list of
// thousands does not write thousands of entries at start.
func (m *Model) lookedAt(id string) bool {
	if st, ok := m.details[id]; ok && st.detail.Incident.ID == id {
		return true
	}
	return m.enrichment[id] != nil
}

// triageData is a triage entry's Data: the classification and the
// evidence it rested on.
type triageData struct {
	Class      string   `json:"class"`
	Rule       string   `json:"rule"`
	Score      int      `json:"score"`
	Confidence string   `json:"confidence"`
	Why        string   `json:"why"`
	Evidence   []string `json:"evidence"`
	Also       []string `json:"also,omitempty"`
	// Sources say which kinds of evidence were at hand.
	Alerts  int      `json:"alerts"`
	Metrics []string `json:"metrics,omitempty"`
	Logs    int      `json:"log_lines"`
	Changes int      `json:"changes"`
}

// recordTriage journals an incident's top class; the recorder writes it
// only when the class differs from the incident's last triage entry.
func (m *Model) recordTriage(r triageResult) tea.Cmd {
	if m.opts.ReadOnly || m.opts.Recorder == nil {
		return nil
	}
	top := r.result[0]
	d := triageData{
		Class: top.Class, Rule: top.Rule, Score: top.Score, Confidence: string(top.Confidence),
		Why: top.Why(), Evidence: top.Evidence,
		Alerts: len(r.evidence.Alerts), Logs: len(r.evidence.Logs), Changes: len(r.evidence.Changes),
	}
	for _, c := range r.result[1:] {
		d.Also = append(d.Also, c.Class)
	}
	for name := range r.evidence.Metrics {
		d.Metrics = append(d.Metrics, name)
	}
	slices.Sort(d.Metrics)
	data, err := json.Marshal(d)
	if err != nil {
		return func() tea.Msg { return journalFailed{err: err} }
	}
	return m.record(journal.Entry{
		Incident: r.id, Kind: "triage", Actor: "sitrep",
		Summary: truncate(sanitize.Line(top.Why()), 300), Data: data,
	})
}
