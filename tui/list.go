package tui

import (
	"fmt"
	"strings"
	"time"

	"sitrep/sources/pagerduty"
)

// listView is the incident list: all incidents, the rows the filter keeps,
// and the cursor. Moving the cursor and drawing are O(visible rows); only a
// refresh or a filter change touches every incident.
type listView struct {
	all []pagerduty.Incident
	// search[i] is all[i]'s lower-cased search text, built on first use
	// (searchOf): only a filter query reads it, so a list nobody filters
	// never pays for it, and the first frame from the cache does not wait
	// on it.
	search  []string
	visible []int // indices into all, in display order
	cursor  int   // index into visible
	offset  int   // first visible row drawn
	counts  map[string]int
	// next are the incidents' next escalations, by incident ID, for
	// those looked at; nil hides the next column (escalation.go).
	next map[string]pagerduty.Escalation
	// storms are the storms among the listed incidents (storm.go).
	storms stormIndex
	// badges are the incidents' triage classes as the list shows them,
	// by incident ID (triage.go).
	badges map[string]string
	// marks are the incidents selected for a bulk run (selection.go).
	marks map[string]bool
}

// setIncidents replaces the list after a refresh, keeping the cursor on
// the incident it was on if that is still listed.
func (l *listView) setIncidents(in []pagerduty.Incident, keep rowFilter) {
	// The selection is read before the rows change under it: after a
	// refresh the same row index may hold another incident, and acting on
	// that one (R, y) would be acting on the wrong incident.
	selectedID := ""
	if cur, ok := l.selected(); ok {
		selectedID = cur.ID
	}
	l.all = in
	l.search = make([]string, len(in))
	l.counts = map[string]int{}
	for i := range in {
		l.counts[in[i].Status]++
	}
	l.filter(keep, selectedID)
}

// refilter recomputes the visible rows, keeping the cursor on the same
// incident where it can.
func (l *listView) refilter(keep rowFilter) {
	selectedID := ""
	if in, ok := l.selected(); ok {
		selectedID = in.ID
	}
	l.filter(keep, selectedID)
}

// rowFilter is what the filter line and the urgency toggle keep: rows
// whose search text contains query (lower-cased; empty keeps all) and
// whose urgency is urgency (empty keeps all).
type rowFilter struct {
	query   string
	urgency string
}

func (l *listView) filter(keep rowFilter, selectedID string) {
	l.visible = l.visible[:0]
	next := -1
	for i := range l.all {
		if keep.keeps(l, i) {
			if l.all[i].ID == selectedID {
				next = len(l.visible)
			}
			l.visible = append(l.visible, i)
		}
	}
	if next >= 0 {
		l.cursor = next
	}
	// Otherwise the cursor keeps its row, clamped: the incident that slid
	// into the place of a resolved one is the natural next to look at.
}

// keeps says whether the filter keeps l.all[i]; it builds the row's
// search text only when there is a query to look for.
func (f rowFilter) keeps(l *listView, i int) bool {
	if f.urgency != "" && l.all[i].Urgency != f.urgency {
		return false
	}
	return f.query == "" || strings.Contains(l.searchOf(i), f.query)
}

// searchOf is all[i]'s search text, built once per refresh on first use.
// searchText is never empty ("#N …"), so empty means not built yet.
func (l *listView) searchOf(i int) string {
	if l.search[i] == "" {
		l.search[i] = searchText(&l.all[i])
	}
	return l.search[i]
}

func searchText(in *pagerduty.Incident) string {
	var b strings.Builder
	fmt.Fprintf(&b, "#%d %s %s %s", in.Number, in.Title, in.Service.Name, in.ID)
	for _, a := range in.Assignees {
		b.WriteString(" " + a.Name)
	}
	return strings.ToLower(b.String())
}

func (l *listView) len() int { return len(l.visible) }

func (l *listView) selected() (pagerduty.Incident, bool) {
	if l.cursor < 0 || l.cursor >= len(l.visible) {
		return pagerduty.Incident{}, false
	}
	return l.all[l.visible[l.cursor]], true
}

// byID finds a listed incident.
func (l *listView) byID(id string) (pagerduty.Incident, bool) {
	for i := range l.all {
		if l.all[i].ID == id {
			return l.all[i], true
		}
	}
	return pagerduty.Incident{}, false
}

func (l *listView) move(delta, height int) {
	l.cursor += delta
	l.clamp(height)
}

// clamp keeps the cursor on a row and the row on screen.
func (l *listView) clamp(height int) {
	l.cursor = max(0, min(l.cursor, len(l.visible)-1))
	if height < 1 {
		height = 1
	}
	if l.cursor < l.offset {
		l.offset = l.cursor
	}
	if l.cursor >= l.offset+height {
		l.offset = l.cursor - height + 1
	}
	l.offset = max(0, min(l.offset, len(l.visible)-height))
}

// view draws height rows of width cells.
func (l *listView) view(s Styles, width, height int, now time.Time, focused bool) string {
	if len(l.visible) == 0 {
		msg := "No open incidents in this scope."
		if len(l.all) > 0 {
			msg = "No incident matches the filter."
		}
		return padLines(s.Dim.Render(fit(msg, width)), width, height)
	}
	cols := l.withStorms(l.withNext(columnsFor(width), width))
	rows := make([]string, 0, height)
	for r := l.offset; r < len(l.visible) && len(rows) < height; r++ {
		in := &l.all[l.visible[r]]
		rows = append(rows, l.row(s, cols, in, now, r == l.cursor, focused))
	}
	return padLines(strings.Join(rows, "\n"), width, height)
}

type columns struct {
	title, service, age, assignee int
	badge                         int
	next                          int
	storm                         int
}

// columnsFor shares the width between the columns; the title gets what is
// left. Narrow terminals lose the assignee, then the service.
func columnsFor(width int) columns {
	c := columns{service: 18, age: 4, assignee: 14, badge: badgeWidth}
	if width < 90 {
		c.badge = 0 // the triage badge goes first
	}
	if width < 100 {
		c.service, c.assignee = 16, 10
	}
	if width < 72 {
		c.assignee = 0
	}
	if width < 56 {
		c.service = 0
	}
	// cursor, glyph, urgency and number: "▌● H #12345 "
	fixed := 12 + c.age + 1
	if c.service > 0 {
		fixed += c.service + 1
	}
	if c.assignee > 0 {
		fixed += c.assignee + 1
	}
	if c.badge > 0 {
		fixed += c.badge + 1
	}
	c.title = max(8, width-fixed)
	return c
}

func (l *listView) row(s Styles, c columns, in *pagerduty.Incident, now time.Time, selected, focused bool) string {
	glyph, st := s.status(in.Status)
	urg := "L"
	if in.Urgency == pagerduty.UrgencyHigh {
		urg = "H"
	}
	marker := " "
	if selected {
		marker = "▌"
	}
	var b strings.Builder
	b.WriteString(marker)
	b.WriteString(st.Render(glyph))
	if l.marks[in.ID] {
		b.WriteString(s.Key.Render("✓"))
	} else {
		b.WriteString(" ")
	}
	b.WriteString(s.urgency(in.Urgency).Render(urg))
	b.WriteString(" ")
	b.WriteString(fit(fmt.Sprintf("#%d", in.Number), 6))
	b.WriteString(" ")
	rest := l.stormCell(c, in) + fit(in.Title, c.title)
	if c.badge > 0 {
		rest += " " + fit(l.badges[in.ID], c.badge)
	}
	if c.service > 0 {
		rest += " " + fit(in.Service.Name, c.service)
	}
	rest += " " + fitRight(age(now, in.CreatedAt), c.age)
	if c.assignee > 0 {
		rest += " " + fit(assignees(in), c.assignee)
	}
	if c.next > 0 {
		rest += " " + fit(l.nextColumn(in, now), c.next)
	}
	line := b.String()
	if selected && focused {
		return line + s.Selected.Render(rest)
	}
	return line + rest
}

func assignees(in *pagerduty.Incident) string {
	if len(in.Assignees) == 0 {
		return "—"
	}
	name := in.Assignees[0].Name
	if len(in.Assignees) > 1 {
		name += fmt.Sprintf(" +%d", len(in.Assignees)-1)
	}
	return name
}

// age is a compact duration: 45s, 12m, 3h, 2d.
func age(now, t time.Time) string {
	if t.IsZero() {
		return "?"
	}
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", max(0, int(d.Seconds())))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

func number(in pagerduty.Incident) string { return fmt.Sprintf("#%d", in.Number) }
