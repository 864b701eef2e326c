package tui

import (
	"fmt"
	"strings"
	"time"

	"sitrep/sources/pagerduty"
	"sitrep/sources/sanitize"
	"sitrep/store/outbox"
)

// detailView is the selected incident's detail: tabs of sections, drawn
// below the list, or over the whole body when focused (enter).
type detailView struct {
	focused bool
	tab     int
	scroll  int
}

var detailTabs = []string{"Overview", "Alerts", "Timeline", "Notes", "Metrics", "Logs", "Deploys", historyTab}

func (d *detailView) nextTab() {
	d.tab = (d.tab + 1) % len(detailTabs)
	d.scroll = 0
}

func (d *detailView) prevTab() {
	d.tab = (d.tab + len(detailTabs) - 1) % len(detailTabs)
	d.scroll = 0
}

// view draws the detail of in into width×height cells.
func (d *detailView) view(s Styles, in pagerduty.Incident, st detailState, width, height int, now time.Time) string {
	if height <= 0 {
		return ""
	}
	tabs := d.tabBar(s, in, st, len(st.pendingNotes))
	lines := d.lines(s, in, st, width, now)
	// Scrolling stops at the last page so the pane never shows blank.
	body := height - 1
	scroll := min(d.scroll, max(0, len(lines)-body))
	lines = lines[scroll:]
	return padLines(tabs+"\n"+strings.Join(lines, "\n"), width, height)
}

// lines are the current tab's lines, before scrolling.
func (d *detailView) lines(s Styles, in pagerduty.Incident, st detailState, width int, now time.Time) []string {
	det := st.detail
	have := det.Incident.ID == in.ID
	var lines []string
	switch {
	case detailTabs[d.tab] == "Overview":
		lines = withTriage(overview(s, in, det, have, width, now, st.next, st.upstream), append(triageLines(s, st.triage, width), st.related...))
	case detailTabs[d.tab] == historyTab:
		// The service's past, not this incident's detail: it shows
		// whether or not the detail has arrived.
		return historyLines(s, in, st.history, width, now)
	case !have && detailTabs[d.tab] == "Notes" && len(st.pendingNotes) > 0:
		// What the engineer wrote shows even while PagerDuty cannot be
		// read: that is when notes wait.
		lines = noteLines(s, nil, st.pendingNotes, width, now)
		if st.err != "" {
			lines = append(lines, s.Error.Render(fit("PagerDuty's notes: "+st.err, width)))
		} else {
			lines = append(lines, s.Dim.Render("loading PagerDuty's notes…"))
		}
	case !have && st.err != "":
		lines = []string{s.Error.Render(fit("detail: "+st.err, width))}
	case !have:
		lines = []string{s.Dim.Render("loading detail…")}
	case st.parts&tabPart(detailTabs[d.tab]) == 0:
		// Asked for when the tab came up; a failure shows above.
		if st.err == "" {
			lines = []string{s.Dim.Render("loading " + strings.ToLower(detailTabs[d.tab]) + "…")}
		}
	default:
		switch detailTabs[d.tab] {
		case "Alerts":
			lines = alertLines(s, det.Alerts, width, now)
		case "Timeline":
			lines = timelineLines(s, det.LogEntries, width, now)
		case "Notes":
			lines = noteLines(s, det.Notes, st.pendingNotes, width, now)
		}
	}
	if have && st.err != "" {
		lines = append([]string{s.Warn.Render(fit("could not refresh: "+st.err, width))}, lines...)
	}
	return lines
}

// tabBar draws the tabs with their counts: a part's count once it is
// fetched; before, the list's alert count, and "…" for the others (never
// a zero that is not known).
func (d *detailView) tabBar(s Styles, in pagerduty.Incident, st detailState, pendingNotes int) string {
	det := st.detail
	have := det.Incident.ID == in.ID
	var parts []string
	for i, name := range detailTabs {
		label := name
		if have {
			held := st.parts&tabPart(name) != 0
			switch {
			case name == "Alerts" && held:
				label += fmt.Sprintf(" %d", len(det.Alerts))
			case name == "Alerts":
				label += fmt.Sprintf(" %d", in.AlertCounts.All)
			case name == "Timeline" && held:
				label += fmt.Sprintf(" %d", len(det.LogEntries))
			case name == "Notes" && held:
				label += fmt.Sprintf(" %d", len(det.Notes))
			case name == "Timeline" || name == "Notes":
				label += " …"
			}
			if name == "Notes" && pendingNotes > 0 {
				label += fmt.Sprintf("+%d", pendingNotes)
			}
		}
		if name == historyTab {
			label += historyCount(st.history)
		}
		if !have && name == "Notes" && pendingNotes > 0 {
			label += fmt.Sprintf(" +%d", pendingNotes)
		}
		if i == d.tab {
			parts = append(parts, s.TabActive.Render(label))
		} else {
			parts = append(parts, s.Tab.Render(label))
		}
	}
	return strings.Join(parts, "")
}

func overview(s Styles, in pagerduty.Incident, det pagerduty.Detail, have bool, width int, now time.Time, next nextEscalation, up upstreamView) []string {
	if have {
		in = det.Incident // fresher than the list row
	}
	glyph, st := s.status(in.Status)
	field := func(label, value string) string {
		return s.Label.Render(fmt.Sprintf("%-11s", label)) + truncate(value, max(1, width-11))
	}
	var lines []string
	for _, l := range wrap(fmt.Sprintf("#%d %s", in.Number, in.Title), width) {
		lines = append(lines, s.Title.Render(l))
	}
	priority := in.Priority
	if priority == "" {
		priority = "—"
	}
	lines = append(lines,
		field("Status", st.Render(glyph+" "+in.Status)+"   "+s.Label.Render("Urgency ")+s.urgency(in.Urgency).Render(in.Urgency)+"   "+s.Label.Render("Priority ")+priority),
		field("Service", in.Service.Name+teamsSuffix(in.Teams)),
		field("Assigned", joinNames(in.Assignees)),
		field("Escalation", in.EscalationPolicy.Name+onCallSuffix(det.OnCall)),
	)
	if text, ok := nextEscalationText(s, in, next, now); ok {
		lines = append(lines, field("Next", text))
	}
	lines = append(lines, upstreamLines(s, up, field)...)
	lines = append(lines,
		field("Created", fmt.Sprintf("%s (%s ago)", in.CreatedAt.UTC().Format("2006-01-02 15:04:05 UTC"), age(now, in.CreatedAt))),
		field("Alerts", fmt.Sprintf("%d (%d triggered, %d resolved)", in.AlertCounts.All, in.AlertCounts.Triggered, in.AlertCounts.Resolved)),
	)
	if in.HTMLURL != "" {
		lines = append(lines, field("Link", in.HTMLURL))
	}
	if have && len(det.LogEntries) > 0 {
		lines = append(lines, "", s.Section.Render("Latest"))
		latest := timelineLines(s, det.LogEntries, width, now)
		lines = append(lines, latest[:min(len(latest), 5)]...)
	}
	return lines
}

func alertLines(s Styles, alerts []pagerduty.Alert, width int, now time.Time) []string {
	if len(alerts) == 0 {
		return []string{s.Dim.Render("No alerts.")}
	}
	var lines []string
	for _, a := range alerts {
		glyph, st := s.status(statusOfAlert(a.Status))
		head := st.Render(glyph) + " " + fit(a.Severity, 8) + " " + s.Dim.Render(fitRight(age(now, a.CreatedAt), 4)) + " "
		summary := a.Summary
		if a.Retries > 0 {
			summary = fmt.Sprintf("[flapping: retried %d×] %s", a.Retries, summary)
		}
		lines = append(lines, head+truncate(summary, max(1, width-16)))
		if a.Source != "" {
			lines = append(lines, s.Dim.Render(fit("                source: "+a.Source, width)))
		}
	}
	return lines
}

func statusOfAlert(s string) string {
	if s == "resolved" {
		return "resolved"
	}
	return "triggered"
}

// timelineLines lists log entries newest first: at 3 a.m. the latest
// change is the one that matters.
func timelineLines(s Styles, entries []pagerduty.LogEntry, width int, now time.Time) []string {
	if len(entries) == 0 {
		return []string{s.Dim.Render("No timeline entries.")}
	}
	sorted := make([]pagerduty.LogEntry, len(entries))
	copy(sorted, entries)
	sortEntriesNewestFirst(sorted)
	var lines []string
	for _, e := range sorted {
		when := e.At.UTC().Format("15:04:05")
		text := e.Summary
		if text == "" {
			text = strings.TrimSuffix(e.Type, "_log_entry")
		}
		lines = append(lines, s.Dim.Render(when)+" "+truncate(text, max(1, width-9)))
	}
	return lines
}

func sortEntriesNewestFirst(es []pagerduty.LogEntry) {
	for i := 1; i < len(es); i++ {
		for j := i; j > 0 && es[j].At.After(es[j-1].At); j-- {
			es[j], es[j-1] = es[j-1], es[j]
		}
	}
}

func noteLines(s Styles, notes []pagerduty.Note, pending []outbox.Item, width int, now time.Time) []string {
	if len(notes) == 0 && len(pending) == 0 {
		return []string{s.Dim.Render("No notes. Press n to add one.")}
	}
	var lines []string
	for _, it := range pending {
		mark := "pending: not in PagerDuty yet"
		if it.Unconfirmed {
			mark = "pending: not confirmed by PagerDuty yet"
		}
		lines = append(lines, s.Dim.Render(it.Created.UTC().Format("15:04:05")+" you ")+s.Warn.Render(mark))
		for _, l := range wrap(sanitize.Line(it.Text), max(1, width-2)) {
			lines = append(lines, "  "+l)
		}
	}
	for _, n := range notes {
		lines = append(lines, s.Dim.Render(n.At.UTC().Format("15:04:05")+" "+n.User.Name))
		for _, l := range wrap(n.Content, max(1, width-2)) {
			lines = append(lines, "  "+l)
		}
	}
	return lines
}

func joinNames(refs []pagerduty.Ref) string {
	if len(refs) == 0 {
		return "—"
	}
	names := make([]string, len(refs))
	for i, r := range refs {
		names[i] = r.Name
	}
	return strings.Join(names, ", ")
}

func teamsSuffix(teams []pagerduty.Ref) string {
	if len(teams) == 0 {
		return ""
	}
	return " (" + joinNames(teams) + ")"
}

func onCallSuffix(oc []pagerduty.OnCall) string {
	if len(oc) == 0 {
		return ""
	}
	var parts []string
	for _, o := range oc {
		parts = append(parts, fmt.Sprintf("L%d %s", o.Level, o.User.Name))
	}
	return " — on call: " + strings.Join(parts, ", ")
}
