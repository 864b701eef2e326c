package tui

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"sitrep/sources/pagerduty"
	"sitrep/sources/sanitize"
	"sitrep/store/journal"
	"sitrep/store/outbox"
)

// journalScreen is J: the journal of one incident, oldest first, with the
// time in UTC and relative to the incident's start.
type journalScreen struct {
	incident pagerduty.Incident
	entries  []journal.Entry
	err      string
	loading  bool
	scroll   int
	// pending are the outbox items not yet delivered to PagerDuty: their
	// entries are marked.
	pending map[string]bool
}

func (j *journalScreen) view(s Styles, width, height int) string {
	title := s.Title.Render(truncate(fmt.Sprintf("Journal of #%d %s", j.incident.Number, j.incident.Title), width))
	var lines []string
	switch {
	case j.loading:
		lines = []string{s.Dim.Render("reading the journal…")}
	case j.err != "":
		lines = []string{s.Error.Render(truncate("journal: "+j.err, width))}
	case len(j.entries) == 0:
		lines = []string{s.Dim.Render("Nothing journaled for this incident yet.")}
	default:
		// Narrow terminals drop the date and narrow kind and actor, so the
		// summary keeps room to be read.
		layout, timeW, kindW, actorW := "2006-01-02 15:04:05", 19, 20, 14
		if width < 110 {
			layout, timeW, kindW, actorW = "15:04:05", 8, 18, 12
		}
		head := fit("UTC", timeW) + " " + fit("T+", 9) + " " + fit("kind", kindW) + " " + fit("actor", actorW) + " summary"
		lines = append(lines, s.Label.Render(truncate(head, width)))
		for _, e := range j.entries {
			rel := relative(e.At, j.incident.CreatedAt)
			row := fit(e.At.UTC().Format(layout), timeW) + " " + fit(rel, 9) + " " + fit(e.Kind, kindW) + " " + fit(sanitize.Line(e.Actor), actorW) + " "
			summary := sanitize.Line(e.Summary)
			if id := outbox.ItemOf(e); id != "" && j.pending[id] && e.Kind != outbox.KindDelivered {
				summary = s.Warn.Render("[pending]") + " " + summary
			}
			lines = append(lines, truncate(row+summary, width))
		}
	}
	body := height - 2
	maxScroll := max(0, len(lines)-body)
	j.scroll = max(0, min(j.scroll, maxScroll))
	footer := s.Dim.Render(fmt.Sprintf("%d entries · j/k scroll · n note · p pin · x export · esc back", len(j.entries)))
	return padLines(title+"\n"+strings.Join(lines[j.scroll:], "\n"), width, height-1) + "\n" + fit(footer, width)
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
		if m.journal != nil {
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
		m.journal = &journalScreen{incident: in, loading: true, pending: pendingIDs(m.pendingWrites)}
		return m.readJournal(in.ID), true
	}
	return nil, false
}

func (m Model) journalKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	switch {
	case key.Matches(msg, k.Back), msg.String() == "J":
		m.journal = nil
		return m, nil
	case key.Matches(msg, k.Quit):
		return m, tea.Quit
	case key.Matches(msg, k.Down):
		m.journal.scroll++
		return m, nil
	case key.Matches(msg, k.Up):
		m.journal.scroll = max(0, m.journal.scroll-1)
		return m, nil
	case key.Matches(msg, k.Top):
		m.journal.scroll = 0
		return m, nil
	case key.Matches(msg, k.Bottom):
		m.journal.scroll = len(m.journal.entries)
		return m, nil
	case key.Matches(msg, k.Help):
		m.dialog = newHelpDialog(m.keys)
		return m, nil
	}
	cmd, _ := m.journalKeys(msg, m.journal.incident)
	return m, cmd
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
