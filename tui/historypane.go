package tui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"sitrep/sources/pagerduty"
	"sitrep/sources/sanitize"
	"sitrep/store/postmortem"
)

// The History tab: what happened last time on the incident's service.
// PagerDuty's resolved incidents of the service over the configured
// window, newest first, each with its class, how long it lasted, what was
// run on it from this journal (with the outcome the engineer gave) and its
// last note. The list is fetched when the tab is shown and kept by the
// source; the notes of the highlighted past incident (the newest at
// first, j/k in the focused pane) are fetched when it is highlighted.

// PastIncidents reads what happened last time. cmd/sitrep hands in the
// recorder over PagerDuty's history; nil shows why there is none.
type PastIncidents interface {
	// Past returns the earlier resolved incidents of in's service, with
	// what the journal knows of each; fresh asks past any cache.
	Past(ctx context.Context, in pagerduty.Incident, fresh bool) (postmortem.History, error)
	// PastNotes reads a past incident's PagerDuty notes.
	PastNotes(ctx context.Context, incidentID string) ([]pagerduty.Note, error)
}

// historyTab is the detail tab's name.
const historyTab = "History"

// historyView is what the History tab of one incident knows.
type historyView struct {
	h   postmortem.History
	err string
	// noSource: sitrep has nothing to read the history from.
	noSource  bool
	loading   bool
	fetchedAt time.Time
	// cursor is the highlighted past incident.
	cursor int
	// notes are the past incidents' PagerDuty notes read so far, by ID.
	notes map[string]pastNotes
}

// pastNotes are one past incident's notes, or why they could not be read.
type pastNotes struct {
	notes   []pagerduty.Note
	err     string
	loading bool
	done    bool
}

// Messages of the History tab.
type (
	historyLoaded struct {
		id  string // the incident whose service's history this is
		h   postmortem.History
		err error
		at  time.Time
	}
	pastNotesLoaded struct {
		id, past string
		notes    []pagerduty.Note
		err      error
	}
)

// historyShown says whether the History tab is on screen.
func (m *Model) historyShown() bool {
	return !m.bodyCovered() && detailTabs[m.detail.tab] == historyTab
}

// fetchHistory starts reading in's history when the tab shows it, unless
// a read is running or what is held is young; fresh (r) asks again.
func (m *Model) fetchHistory(in pagerduty.Incident, fresh bool) tea.Cmd {
	src := m.opts.History
	if !m.historyShown() {
		return nil
	}
	st := m.details[in.ID]
	hv := &st.history
	if src == nil {
		hv.noSource = true
		m.details[in.ID] = st
		return nil
	}
	if hv.loading {
		return nil
	}
	if !fresh && hv.err == "" && !hv.fetchedAt.IsZero() && m.opts.Now().Sub(hv.fetchedAt) < pagerduty.DefaultHistoryLifetime {
		return m.fetchPastNotes(in.ID, false)
	}
	hv.loading = true
	if fresh {
		hv.notes = nil
	}
	m.details[in.ID] = st
	now := m.opts.Now
	ctx, cancel := m.callContext()
	return func() tea.Msg {
		defer cancel()
		h, err := src.Past(ctx, in, fresh)
		return historyLoaded{id: in.ID, h: h, err: err, at: now()}
	}
}

// fetchPastNotes reads the highlighted past incident's notes unless they
// are held or on their way; retry asks again after a failure.
func (m *Model) fetchPastNotes(id string, retry bool) tea.Cmd {
	src := m.opts.History
	st, ok := m.details[id]
	hv := &st.history
	if src == nil || !ok || hv.cursor >= len(hv.h.Past) {
		return nil
	}
	past := hv.h.Past[hv.cursor].Incident.ID
	pn := hv.notes[past]
	if pn.loading || pn.done && (pn.err == "" || !retry) {
		return nil
	}
	if hv.notes == nil {
		hv.notes = map[string]pastNotes{}
	}
	hv.notes[past] = pastNotes{loading: true}
	m.details[id] = st
	ctx, cancel := m.callContext()
	return func() tea.Msg {
		defer cancel()
		notes, err := src.PastNotes(ctx, past)
		return pastNotesLoaded{id: id, past: past, notes: notes, err: err}
	}
}

// historyUpdate takes in the History tab's messages.
func (m *Model) historyUpdate(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case historyLoaded:
		st := m.details[msg.id]
		hv := &st.history
		hv.loading = false
		if msg.err != nil {
			hv.err = m.errText(msg.err)
			m.details[msg.id] = st
			return nil
		}
		hv.h, hv.err, hv.fetchedAt = msg.h, "", msg.at
		hv.cursor = min(hv.cursor, max(0, len(hv.h.Past)-1))
		m.details[msg.id] = st
		if in, ok := m.list.selected(); ok && in.ID == msg.id {
			return m.fetchPastNotes(msg.id, false)
		}
	case pastNotesLoaded:
		st := m.details[msg.id]
		hv := &st.history
		if hv.notes == nil {
			hv.notes = map[string]pastNotes{}
		}
		pn := pastNotes{notes: msg.notes, done: true}
		if msg.err != nil {
			pn = pastNotes{err: m.errText(msg.err), done: true}
		}
		hv.notes[msg.past] = pn
		m.details[msg.id] = st
	}
	return nil
}

// historyKeys are j/k in the focused History tab: they move between the
// past incidents.
var historyKeys = struct{ Down, Up key.Binding }{
	Down: key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("j/↓", "next past incident")),
	Up:   key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("k/↑", "previous past incident")),
}

// historyKey moves the highlight in the focused History tab and reads the
// newly highlighted incident's notes.
func (m *Model) historyKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	if !m.detail.focused || detailTabs[m.detail.tab] != historyTab {
		return nil, false
	}
	in, ok := m.list.selected()
	if !ok {
		return nil, false
	}
	st := m.details[in.ID]
	n := len(st.history.h.Past)
	step := 0
	switch {
	case key.Matches(msg, historyKeys.Down):
		step = 1
	case key.Matches(msg, historyKeys.Up):
		step = -1
	default:
		return nil, false
	}
	if n == 0 {
		return nil, true
	}
	st.history.cursor = min(max(st.history.cursor+step, 0), n-1)
	m.details[in.ID] = st
	// Keep the highlighted incident's lines on screen.
	lines := historyLines(m.styles, in, st.history, max(20, m.width), m.now)
	top, bottom := highlightSpan(lines)
	body := m.bodyHeight() - 1
	switch {
	case top < m.detail.scroll:
		m.detail.scroll = top
	case bottom >= m.detail.scroll+body:
		m.detail.scroll = max(0, min(top, bottom-body+1))
	}
	return m.fetchPastNotes(in.ID, true), true
}

// highlightMark starts the highlighted past incident's first line.
const highlightMark = "▸ "

// highlightSpan is the first and last line of the highlighted incident.
func highlightSpan(lines []string) (int, int) {
	top, bottom := 0, len(lines)-1
	found := false
	for i, l := range lines {
		plain := strings.TrimLeft(ansi.Strip(l), " ")
		switch {
		case strings.HasPrefix(plain, highlightMark):
			top, found = i, true
		case found && strings.HasPrefix(plain, "#"):
			return top, i - 1
		}
	}
	return top, bottom
}

// historyLines draws the History tab of in.
func historyLines(s Styles, in pagerduty.Incident, hv historyView, width int, now time.Time) []string {
	service := sanitize.Line(firstText(in.Service.Name, in.Service.ID, "this service"))
	window := "the configured window"
	if hv.h.Window > 0 {
		window = "the last " + pagerduty.FormatWindow(hv.h.Window)
	}
	switch {
	case hv.noSource:
		return []string{s.Dim.Render(fit("No history: sitrep has no PagerDuty access to read past incidents.", width))}
	case hv.err != "":
		lines := wrapStyled(s.Error, "history of "+service+": "+hv.err, width)
		return append(lines, s.Dim.Render(fit("r asks PagerDuty again", width)))
	case hv.fetchedAt.IsZero():
		return []string{s.Dim.Render(fit("loading "+service+"'s past incidents…", width))}
	case len(hv.h.Past) == 0:
		return []string{s.Dim.Render(fit(fmt.Sprintf("No resolved incidents on %s in %s.", service, window), width))}
	}
	head := fmt.Sprintf("Resolved on %s in %s, newest first", service, window)
	if hv.h.Capped {
		head += fmt.Sprintf(" (the newest %d: there are more)", hv.h.Limit)
	}
	lines := []string{s.Label.Render(truncate(head, width))}
	for i, p := range hv.h.Past {
		mark := "  "
		title := s.Title
		if i == hv.cursor {
			mark, title = highlightMark, s.Selected
		}
		pi := p.Incident
		lines = append(lines, title.Render(truncate(mark+fmt.Sprintf("#%d %s", pi.Number, sanitize.Line(pi.Title)), width)))
		about := []string{pi.CreatedAt.UTC().Format("Jan 02 15:04") + " (" + age(now, pi.CreatedAt) + " ago)"}
		if d := p.Duration(); d > 0 {
			about = append(about, "lasted "+pagerduty.FormatDuration(d))
		}
		if p.Class != "" {
			about = append(about, "class "+sanitize.Line(p.Class))
		} else {
			about = append(about, "unclassified")
		}
		lines = append(lines, s.Dim.Render(truncate("    "+strings.Join(about, " · "), width)))
		if len(p.Runs) == 0 {
			lines = append(lines, s.Dim.Render(truncate("    ran: nothing journaled here", width)))
		}
		for _, r := range p.Runs {
			st := s.Dim
			switch r.Outcome {
			case "helped":
				st = s.OK
			case "worse":
				st = s.Error
			case "no effect":
				st = s.Warn
			}
			lines = append(lines, truncate("    ran: "+st.Render(sanitize.Line(r.RunText())), width))
		}
		lines = append(lines, noteLine(s, p, hv.notes[pi.ID], i == hv.cursor, width)...)
	}
	return lines
}

// noteLine is a past incident's last note: PagerDuty's once read, else
// the journal's; for the highlighted one, whether its notes are on their
// way or could not be read.
func noteLine(s Styles, p postmortem.Past, pn pastNotes, highlighted bool, width int) []string {
	if pn.done && pn.err == "" {
		p = postmortem.WithNotes(p, pn.notes)
	}
	var out []string
	if n := p.LastNote; n != nil {
		who := sanitize.Line(firstText(n.By, "someone"))
		head := fmt.Sprintf("    last note (%s, %s, %s): ", who, n.From, n.At.UTC().Format("Jan 02 15:04"))
		for i, l := range wrap(sanitize.Line(n.Text), max(10, width-6)) {
			if i == 0 {
				out = append(out, truncate(s.Dim.Render(head)+l, width))
				continue
			}
			if i == 3 {
				out = append(out, s.Dim.Render("      …"))
				break
			}
			out = append(out, truncate("      "+l, width))
		}
	}
	if !highlighted {
		return out
	}
	switch {
	case pn.loading:
		out = append(out, s.Dim.Render(truncate("    reading its notes in PagerDuty…", width)))
	case pn.err != "":
		out = append(out, s.Error.Render(truncate("    notes: "+pn.err, width)))
	case pn.done && p.LastNote == nil:
		out = append(out, s.Dim.Render(truncate("    no notes", width)))
	}
	return out
}

// historyCount is the tab bar's count: the past incidents, once known.
func historyCount(hv historyView) string {
	if hv.fetchedAt.IsZero() || hv.err != "" {
		return ""
	}
	n := fmt.Sprintf(" %d", len(hv.h.Past))
	if hv.h.Capped {
		n += "+"
	}
	return n
}

func firstText(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}
