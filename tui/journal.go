package tui

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"sitrep/sources/pagerduty"
	"sitrep/sources/sanitize"
	"sitrep/store/journal"
	"sitrep/store/outbox"
)

// journalScreen is J: the journal of one incident, oldest first, with the
// time in UTC and relative to the incident's start. enter opens the entry
// under the cursor (journalentry.go); esc goes back to the list with the
// cursor where it was.
type journalScreen struct {
	incident pagerduty.Incident
	entries  []journal.Entry
	err      string
	loading  bool
	// cursor is the entry under the cursor and top the first entry drawn.
	cursor, top int
	// open is the entry being read, nil while the list shows.
	open *journalEntryView
	// pending are the outbox items not yet delivered to PagerDuty: their
	// entries are marked.
	pending map[string]bool
	// main is the list's keys: n, p, x, J and q work here too.
	main keyMap
	// width and height are the body's, for moving by pages.
	width, height int
}

func (j *journalScreen) resize(width, height int) { j.width, j.height = width, height }

// Below this width an entry takes two lines: time, kind and actor on the
// first, the summary on the second, so the summary is not cut to a few
// characters. From it on, one line per entry.
const journalTwoLineWidth = 100

// journalSummaryLines is the most lines a summary takes in the two-line
// layout; the rest is in the entry (enter).
const journalSummaryLines = 3

func (j *journalScreen) view(s Styles, width, height int) string {
	if j.open != nil {
		return j.open.view(s, width, height)
	}
	title := s.Title.Render(truncate(fmt.Sprintf("Journal of #%d %s", j.incident.Number, sanitize.Line(j.incident.Title)), width))
	room := max(1, height-3) // title, column heads, footer
	var lines []string
	switch {
	case j.loading:
		lines = []string{s.Dim.Render("reading the journal…")}
	case j.err != "":
		lines = []string{s.Error.Render(truncate("journal: "+j.err, width))}
	case len(j.entries) == 0:
		lines = []string{s.Dim.Render("Nothing journaled for this incident yet.")}
	default:
		lines = append(lines, s.Label.Render(truncate(j.head(width), width)))
		// Only what is on screen is drawn: a journal can hold thousands of
		// entries.
		for i := j.topFor(width, room); i < len(j.entries) && len(lines) <= room; i++ {
			lines = append(lines, j.block(s, i, width)...)
		}
		lines = lines[:min(len(lines), room+1)]
	}
	where := fmt.Sprintf("%d entries", len(j.entries))
	if len(j.entries) > 0 {
		where = fmt.Sprintf("entry %d of %d", j.cursor+1, len(j.entries))
	}
	// The keys are in the help bar below (journalHelp).
	return padLines(title+"\n"+strings.Join(lines, "\n"), width, height-1) + "\n" + fit(s.Dim.Render(where), width)
}

// journalColumns are the widths of the one-line layout: narrower
// terminals drop the date and narrow kind and actor, so the summary keeps
// room to be read.
func journalColumns(width int) (layout string, timeW, kindW, actorW int) {
	if width < 110 {
		return "15:04:05", 8, 18, 12
	}
	return "2006-01-02 15:04:05", 19, 20, 14
}

func (j *journalScreen) head(width int) string {
	if width < journalTwoLineWidth {
		return " " + fit("UTC", 8) + " " + fit("T+", 7) + " kind · actor, the summary below"
	}
	_, timeW, kindW, actorW := journalColumns(width)
	return " " + fit("UTC", timeW) + " " + fit("T+", 9) + " " + fit("kind", kindW) + " " + fit("actor", actorW) + " summary"
}

// block is entry i as drawn in the list: one line, or at narrow widths
// a line of time, kind and actor and the summary wrapped below it.
func (j *journalScreen) block(s Styles, i, width int) []string {
	e := j.entries[i]
	marker := " "
	if i == j.cursor {
		marker = "▌"
	}
	rel := relative(e.At, j.incident.CreatedAt)
	actor := sanitize.Line(e.Actor)
	summary := sanitize.Line(e.Summary)
	pending := false
	if id := outbox.ItemOf(e); id != "" && j.pending[id] && e.Kind != outbox.KindDelivered {
		pending = true
	}
	if width < journalTwoLineWidth {
		first := fit(e.At.UTC().Format("15:04:05"), 8) + " " + fit(rel, 7) + " " + sanitize.Line(e.Kind)
		if actor != "" {
			first += " · " + actor
		}
		if pending {
			summary = "[pending] " + summary
		}
		const indent = "   "
		wrapped := wrap(summary, max(10, width-len(indent)))
		if len(wrapped) > journalSummaryLines {
			wrapped = wrapped[:journalSummaryLines]
			last := wrapped[journalSummaryLines-1]
			wrapped[journalSummaryLines-1] = ansi.Truncate(last, max(1, width-len(indent)-1), "") + "…"
		}
		lines := []string{j.styleRow(s, i, truncate(marker+first, width))}
		for _, l := range wrapped {
			lines = append(lines, j.styleRow(s, i, truncate(indent+l, width)))
		}
		return lines
	}
	layout, timeW, kindW, actorW := journalColumns(width)
	row := marker + fit(e.At.UTC().Format(layout), timeW) + " " + fit(rel, 9) + " " + fit(sanitize.Line(e.Kind), kindW) + " " + fit(actor, actorW) + " "
	if pending {
		summary = s.Warn.Render("[pending]") + " " + summary
	}
	return []string{j.styleRow(s, i, truncate(row+summary, width))}
}

// styleRow marks the cursor's row beyond its ▌, which shows without
// colour too.
func (j *journalScreen) styleRow(s Styles, i int, line string) string {
	if i != j.cursor {
		return line
	}
	return s.Selected.Render(line)
}

// topFor is the first entry to draw so that the cursor's entry is on
// screen, starting from top where it can: it looks only at the entries
// between, so moving costs what is drawn, not the journal's length.
func (j *journalScreen) topFor(width, room int) int {
	n := len(j.entries)
	if n == 0 {
		return 0
	}
	cursor := max(0, min(j.cursor, n-1))
	top := max(0, min(j.top, cursor))
	height := func(i int) int {
		if width >= journalTwoLineWidth {
			return 1
		}
		return 1 + min(journalSummaryLines, len(wrap(sanitize.Line(j.entries[i].Summary), max(10, width-3))))
	}
	if cursor-top < room {
		used := 0
		for i := top; i <= cursor; i++ {
			used += height(i)
		}
		if used <= room {
			return top
		}
	}
	// The cursor's entry last on screen, as many before it as fit.
	top, used := cursor, height(cursor)
	for top > 0 && used+height(top-1) <= room {
		top--
		used += height(top)
	}
	return top
}

// move puts the cursor delta entries on and keeps it on screen.
func (j *journalScreen) move(delta, width, room int) {
	j.cursor = max(0, min(j.cursor+delta, len(j.entries)-1))
	j.top = j.topFor(width, room)
}

// setEntries replaces the entries after a read, keeping the cursor on the
// entry it was on (a new pin can land before it in time).
func (j *journalScreen) setEntries(es []journal.Entry) {
	var seq uint64
	if j.cursor >= 0 && j.cursor < len(j.entries) {
		seq = j.entries[j.cursor].Seq
	}
	j.entries = byTime(es)
	j.cursor = max(0, min(j.cursor, len(j.entries)-1))
	for i, e := range j.entries {
		if seq != 0 && e.Seq == seq {
			j.cursor = i
			break
		}
	}
}

// byTime orders entries by when they happened, not when they were
// journaled: a PagerDuty event journaled late belongs where it happened.
func byTime(es []journal.Entry) []journal.Entry {
	sort.SliceStable(es, func(a, b int) bool { return es[a].At.Before(es[b].At) })
	return es
}

// relative is the time since the incident began: +12m30s, or -3m before.
func relative(at, start time.Time) string {
	if start.IsZero() || at.IsZero() {
		return ""
	}
	d := at.Sub(start).Round(time.Second)
	sign := "+"
	if d < 0 {
		sign, d = "-", -d
	}
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%s%dh%02dm", sign, h, m)
	}
	return fmt.Sprintf("%s%dm%02ds", sign, m, s)
}

// journalKeys are the keys that write to or read the journal, on the main
// screen and on J's screen alike.
func (m *Model) journalKeys(msg tea.KeyPressMsg, in pagerduty.Incident) (tea.Cmd, bool) {
	k := m.keys
	switch {
	case key.Matches(msg, k.Note):
		if m.opts.ReadOnly {
			m.status = "read-only: sitrep changes nothing"
			return nil, true
		}
		d := newNoteDialog(in, m.width, m.opts.Recorder != nil)
		m.dialog = d
		return d.input.Focus(), true
	case key.Matches(msg, k.Pin):
		if m.opts.Recorder == nil || m.opts.ReadOnly {
			m.status = "no journal to pin to (read-only or none)"
			return nil, true
		}
		tab, lines := m.pinnable(in)
		data := map[string]any{"observed": true, "pane": tab, "lines": lines}
		summary := firstNonBlank(lines)
		if facts, line := m.paneFacts(in, tab); facts != nil {
			data["facts"], summary = facts, line
		}
		if failed := m.sourceFailures(in, tab); len(failed) > 0 {
			data["sitrep_sources_failed"] = failed // sitrep's trouble, not evidence
		}
		m.status = "pinned " + tab + " of " + number(in) + " to the journal"
		cmds := []tea.Cmd{m.record(journal.Entry{
			Incident: in.ID, Kind: "pin",
			Summary: fmt.Sprintf("pinned %s: %s", tab, summary),
			Data:    mustJSON(data),
		})}
		if m.shownJournal() != nil {
			cmds = append(cmds, m.readJournal(in.ID))
		}
		return tea.Sequence(cmds...), true
	case key.Matches(msg, k.Export):
		if m.opts.Recorder == nil {
			m.status = "no journal to export from"
			return nil, true
		}
		m.status = "exporting " + number(in) + "…"
		return m.export(in), true
	case key.Matches(msg, k.Journal):
		if m.opts.Recorder == nil {
			m.status = "no journal"
			return nil, true
		}
		if m.shownJournal() != nil {
			m.screen = nil // J again closes it
			return nil, true
		}
		m.openScreen(&journalScreen{incident: in, loading: true, pending: pendingIDs(m.pendingWrites), main: m.keys})
		return m.readJournal(in.ID), true
	}
	return nil, false
}

// journalKeyMap is J's own keys: moving in the list and reading an entry.
// n, p, x, J, ? and q are the main screen's (journalKeys).
type journalKeyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Open, Back                              key.Binding
}

var journalNav = journalKeyMap{
	Up:       key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("k/↑", "up")),
	Down:     key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("j/↓", "down")),
	PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("pgup", "page up")),
	PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+d"), key.WithHelp("pgdn", "page down")),
	Top:      key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g", "top")),
	Bottom:   key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G", "bottom")),
	Open:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open entry")),
	Back:     key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
}

// journalHelp is what the help bar and ? show while J is open: the list's
// keys, or the open entry's.
type journalHelp struct {
	main  keyMap
	entry bool
}

func (h journalHelp) ShortHelp() []key.Binding {
	k := journalNav
	if h.entry {
		return []key.Binding{k.Down, k.Up, k.PageDown, k.PageUp, withHelp(k.Back, "esc", "back to the list"), h.main.Help, h.main.Quit}
	}
	return []key.Binding{k.Open, k.Down, k.Up, k.PageDown, h.main.Note, h.main.Pin, h.main.Export, withHelp(k.Back, "esc", "close"), h.main.Help}
}

func (h journalHelp) FullHelp() [][]key.Binding {
	k := journalNav
	back, open := withHelp(k.Back, "esc", "close the journal"), k.Open
	if h.entry {
		back = withHelp(k.Back, "esc", "back to the list")
		open.SetEnabled(false)
	}
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
		{open, back, withHelp(h.main.Journal, "J", "close the journal")},
		{h.main.Note, h.main.Pin, h.main.Export},
		{h.main.Help, h.main.Quit},
	}
}

// withHelp is b described for where it is shown.
func withHelp(b key.Binding, k, desc string) key.Binding {
	b.SetHelp(k, desc)
	return b
}

func (j *journalScreen) keys() help.KeyMap {
	return journalHelp{main: j.main, entry: j.open != nil}
}

// update moves in the list or the open entry. n, p and x are the model's
// (journalKeys), which sees them before the screen does.
func (j *journalScreen) update(msg tea.Msg, _ time.Time) (screen, tea.Cmd) {
	km, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return j, nil
	}
	k := journalNav
	width, room := max(20, j.width), max(1, j.height-3) // title, column heads, footer
	switch {
	case key.Matches(km, j.main.Quit):
		return j, tea.Quit
	case j.open != nil && key.Matches(km, k.Back):
		j.open = nil // the list, with the cursor where it was
	case j.open != nil && j.open.key(km, width, room):
	case key.Matches(km, k.Back, j.main.Journal):
		return nil, nil
	case key.Matches(km, k.Open):
		if j.cursor < len(j.entries) {
			j.open = newJournalEntryView(j, j.cursor)
		}
	case key.Matches(km, k.Down):
		j.move(1, width, room)
	case key.Matches(km, k.Up):
		j.move(-1, width, room)
	case key.Matches(km, k.PageDown):
		j.move(max(1, room/j.rowsPerEntry(width)), width, room)
	case key.Matches(km, k.PageUp):
		j.move(-max(1, room/j.rowsPerEntry(width)), width, room)
	case key.Matches(km, k.Top):
		j.move(-len(j.entries), width, room)
	case key.Matches(km, k.Bottom):
		j.move(len(j.entries), width, room)
	}
	return j, nil
}

// rowsPerEntry is about how many rows an entry takes, for paging.
func (j *journalScreen) rowsPerEntry(width int) int {
	if width < journalTwoLineWidth {
		return 2
	}
	return 1
}

// pinnable is what the detail pane shows now, as plain text: the evidence
// a pin keeps.
func (m *Model) pinnable(in pagerduty.Incident) (string, []string) {
	tab := detailTabs[m.detail.tab]
	d := m.detail
	d.scroll = 0
	var text string
	if enrichTab(m.detail.tab) {
		text = ansi.Strip(m.enrichEvidence(in, max(40, m.width), m.pinHeight()))
	} else {
		text = ansi.Strip(d.view(m.styles, in, m.details[in.ID], max(40, m.width), 200, m.now))
	}
	var lines []string
	for i, l := range strings.Split(text, "\n") {
		if i == 0 {
			continue // the tab bar
		}
		if l = strings.TrimRight(l, " "); l != "" {
			lines = append(lines, l)
		}
	}
	return tab, lines
}

// pinHeight is the height the detail pane is drawn at: a pin keeps what
// the engineer saw, no more.
func (m *Model) pinHeight() int {
	if m.detail.focused {
		return m.bodyHeight()
	}
	return max(3, m.bodyHeight()-m.listHeight()-1)
}

func firstNonBlank(lines []string) string {
	for _, l := range lines {
		if strings.TrimSpace(l) != "" {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return b
}
