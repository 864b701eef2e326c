package tui

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"sitrep/sources/sanitize"
	"sitrep/store/journal"
	"sitrep/store/outbox"
)

// journalEntryView is one journal entry opened from J: everything it
// holds, scrollable. Its data is drawn by journal.RenderData, the same
// reading `sitrep journal show -v` prints, so the shell and the cockpit
// say the same thing. Every string in it came from outside and is
// sanitized before it is drawn.
type journalEntryView struct {
	incident string // "#9 payment-gateway 5xx rate"
	index, n int
	entry    journal.Entry
	start    time.Time // the incident's start
	// delivery is where the entry's PagerDuty write got to, "" when the
	// entry was not sent through the outbox.
	delivery string
	scroll   int
	// lines is the entry drawn at width, kept so a keystroke does not
	// render the data again.
	lines []string
	width int
}

func newJournalEntryView(j *journalScreen, i int) *journalEntryView {
	e := j.entries[i]
	return &journalEntryView{
		incident: fmt.Sprintf("#%d %s", j.incident.Number, sanitize.Line(j.incident.Title)),
		index:    i, n: len(j.entries),
		entry:    e,
		start:    j.incident.CreatedAt,
		delivery: deliveryOf(e, j.entries, j.pending),
	}
}

// deliveryOf says where e's PagerDuty write got to: waiting in the outbox,
// delivered or refused (from the outbox's own entries), or "" when e was
// not sent through the outbox.
func deliveryOf(e journal.Entry, all []journal.Entry, pending map[string]bool) string {
	id := outbox.ItemOf(e)
	if id == "" || e.Kind == outbox.KindDelivered || e.Kind == outbox.KindFailed {
		return ""
	}
	if pending[id] {
		return "pending: waiting to be delivered to PagerDuty (outbox " + sanitize.Line(id) + ")"
	}
	for _, s := range all {
		if (s.Kind != outbox.KindDelivered && s.Kind != outbox.KindFailed) || outbox.ItemOf(s) != id {
			continue
		}
		var d struct {
			Ref      string `json:"ref"`
			Reason   string `json:"reason"`
			Attempts int    `json:"attempts"`
		}
		_ = json.Unmarshal(s.Data, &d)
		at := s.At.UTC().Format("15:04:05") + " UTC"
		if s.Kind == outbox.KindFailed {
			return "failed: PagerDuty did not take it (" + sanitize.Line(d.Reason) + "), " + at
		}
		text := "delivered to PagerDuty at " + at
		if d.Attempts > 1 {
			text += fmt.Sprintf(" after %d attempts", d.Attempts)
		}
		return text
	}
	return "not waiting in the outbox; its delivery is not in this journal (outbox " + sanitize.Line(id) + ")"
}

// render draws the whole entry at width: the facts first, then its data.
func (v *journalEntryView) render(s Styles, width int) []string {
	e := v.entry
	var out []string
	const labelW = 10
	field := func(label, value string) {
		if value == "" {
			return
		}
		rest := wrap(value, max(10, width-labelW-1))
		for i, l := range rest {
			head := strings.Repeat(" ", labelW)
			if i == 0 {
				head = s.Label.Render(fit(label, labelW))
			}
			out = append(out, head+" "+l)
		}
	}
	when := e.At.UTC().Format("2006-01-02 15:04:05") + " UTC"
	if rel := relative(e.At, v.start); rel != "" {
		when += ", T" + rel + " from the incident's start"
	}
	field("when", when)
	if d := e.Recorded.Sub(e.At); d >= time.Second || d <= -time.Second {
		field("journaled", e.Recorded.UTC().Format("2006-01-02 15:04:05")+" UTC")
	}
	field("kind", sanitize.Line(e.Kind))
	field("actor", sanitize.Line(e.Actor))
	field("delivery", v.delivery)
	field("summary", sanitize.Line(e.Summary))
	field("seq", fmt.Sprint(e.Seq))
	out = append(out, "")
	if len(e.Data) == 0 {
		return append(out, s.Dim.Render("No data beyond the summary."))
	}
	out = append(out, s.Section.Render("Data"))
	for _, l := range strings.Split(strings.TrimSuffix(journal.RenderData(e.Data, "  "), "\n"), "\n") {
		out = append(out, wrapIndented(l, width)...)
	}
	return out
}

// wrapIndented wraps a line of the data tree to width, continuation lines
// indented two more than the line itself, so a long output line or value
// reads on without leaving its place in the tree.
func wrapIndented(line string, width int) []string {
	body := strings.TrimLeft(line, " ")
	indent := len(line) - len(body)
	if body == "" {
		return []string{""}
	}
	if indent+2 >= width-10 {
		indent = 0 // deep trees at narrow widths keep room for the text
	}
	parts := wrap(body, width-indent-2)
	for i, p := range parts {
		pad := indent + 2
		if i == 0 {
			pad = indent
		}
		parts[i] = strings.Repeat(" ", pad) + p
	}
	return parts
}

func (v *journalEntryView) view(s Styles, width, height int) string {
	if v.lines == nil || v.width != width {
		v.lines, v.width = v.render(s, width), width
	}
	room := max(1, height-2) // title, footer
	v.scroll = max(0, min(v.scroll, len(v.lines)-room))
	end := min(len(v.lines), v.scroll+room)
	title := s.Title.Render(truncate(fmt.Sprintf("Entry %d of %d · journal of %s", v.index+1, v.n, v.incident), width))
	where := "all shown"
	if len(v.lines) > room {
		where = fmt.Sprintf("lines %d–%d of %d", v.scroll+1, end, len(v.lines))
	}
	return padLines(title+"\n"+strings.Join(v.lines[v.scroll:end], "\n"), width, height-1) + "\n" + fit(s.Dim.Render(where), width)
}

// key scrolls the entry; it reports whether the key was the entry's.
func (v *journalEntryView) key(msg tea.KeyPressMsg, width, room int) bool {
	k := journalNav
	room = max(1, room+1) // the entry has no column heads
	total := len(v.lines)
	if v.width != width {
		total = len(v.render(NewStyles(true), width)) // only its length: styles do not change it
	}
	last := max(0, total-room)
	switch {
	case key.Matches(msg, k.Down):
		v.scroll++
	case key.Matches(msg, k.Up):
		v.scroll--
	case key.Matches(msg, k.PageDown):
		v.scroll += max(1, room-1)
	case key.Matches(msg, k.PageUp):
		v.scroll -= max(1, room-1)
	case key.Matches(msg, k.Top):
		v.scroll = 0
	case key.Matches(msg, k.Bottom):
		v.scroll = last
	case key.Matches(msg, k.Open):
	default:
		return false
	}
	v.scroll = max(0, min(v.scroll, last))
	return true
}
