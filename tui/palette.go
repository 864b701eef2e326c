package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"sitrep/actions"
	"sitrep/sources/pagerduty"
	"sitrep/sources/sanitize"
)

// paletteDialog is !: the actions the catalogue offers for an incident,
// each with its risk and runner. Typing filters (j and k move until the
// filter has begun; / begins it explicitly), arrows move, enter chooses,
// esc clears the filter and then closes. Choosing only prepares the
// action: the preview comes next, and nothing runs from here.
type paletteDialog struct {
	incident  pagerduty.Incident
	all       []*actions.Action
	shown     []*actions.Action
	query     string
	filtering bool
	cursor    int
}

// paletteRows is the most actions listed at once.
const paletteRows = 10

func newPaletteDialog(in pagerduty.Incident, list []*actions.Action) *paletteDialog {
	d := &paletteDialog{incident: in, all: list}
	d.refilter()
	return d
}

func (d *paletteDialog) refilter() {
	q := strings.ToLower(d.query)
	d.shown = d.shown[:0]
	for _, a := range d.all {
		hay := strings.ToLower(a.Name + " " + a.Title + " " + a.Risk + " " + a.Runner)
		if q == "" || strings.Contains(hay, q) {
			d.shown = append(d.shown, a)
		}
	}
	d.cursor = max(0, min(d.cursor, len(d.shown)-1))
}

func (d *paletteDialog) key(msg tea.KeyPressMsg, _ time.Time) (dialog, any) {
	k := paletteKeys
	switch {
	case key.Matches(msg, k.Close):
		if d.query != "" || d.filtering {
			d.query, d.filtering = "", false
			d.refilter()
			return d, nil
		}
		return nil, nil
	case key.Matches(msg, k.Choose):
		if len(d.shown) == 0 {
			return d, nil
		}
		a := d.shown[d.cursor]
		return nil, actionChosen{name: a.Name, incident: d.incident}
	case key.Matches(msg, k.Up):
		d.move(-1)
		return d, nil
	case key.Matches(msg, k.Down):
		d.move(1)
		return d, nil
	case key.Matches(msg, k.Erase):
		if r := []rune(d.query); len(r) > 0 {
			d.query = string(r[:len(r)-1])
			d.refilter()
		}
		return d, nil
	}
	if !d.filtering && d.query == "" {
		switch {
		case key.Matches(msg, k.LetterDown):
			d.move(1)
			return d, nil
		case key.Matches(msg, k.LetterUp):
			d.move(-1)
			return d, nil
		case key.Matches(msg, k.Filter):
			d.filtering = true
			return d, nil
		case key.Matches(msg, k.Help):
			return newHelpDialog(d.keys(), d), nil
		}
	}
	if msg.Text != "" && (msg.Mod == 0 || msg.Mod == tea.ModShift) {
		d.query += sanitize.Line(msg.Text)
		d.filtering = true
		d.refilter()
	}
	return d, nil
}

// paletteKeys are the palette's keys; j, k and / work until a filter has
// begun, after which they are part of it.
var paletteKeys = struct {
	Close, Choose, Up, Down, Erase key.Binding
	LetterUp, LetterDown, Filter   key.Binding
	Help                           key.Binding
}{
	Close:      key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear the filter, then close")),
	Choose:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "preview")),
	Up:         key.NewBinding(key.WithKeys("up", "ctrl+p", "shift+tab"), key.WithHelp("↑", "up")),
	Down:       key.NewBinding(key.WithKeys("down", "ctrl+n", "tab"), key.WithHelp("↓", "down")),
	Erase:      key.NewBinding(key.WithKeys("backspace"), key.WithHelp("backspace", "erase")),
	LetterUp:   key.NewBinding(key.WithKeys("k"), key.WithHelp("k", "up")),
	LetterDown: key.NewBinding(key.WithKeys("j"), key.WithHelp("j", "down")),
	Filter:     key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
	Help:       helpKey,
}

// keys are the palette's keys as they stand: once a filter has begun, j,
// k, / and ? are part of it.
func (d *paletteDialog) keys() help.KeyMap {
	k := paletteKeys
	letters := !d.filtering && d.query == ""
	for _, b := range []*key.Binding{&k.LetterUp, &k.LetterDown, &k.Filter, &k.Help} {
		b.SetEnabled(letters)
	}
	k.Erase.SetEnabled(!letters)
	up, down := k.Up, k.Down
	if letters {
		// One entry per direction: "↑/k up", not "↑ up" and "k up".
		up, down = withHelp(up, "↑/k", "up"), withHelp(down, "↓/j", "down")
	}
	return keyGroups{
		{up, down},
		{k.Choose, k.Filter, withHelp(k.Erase, "backspace", "erase a letter of the filter"), k.Close},
		{k.Help},
	}
}

func (d *paletteDialog) move(delta int) {
	if len(d.shown) == 0 {
		return
	}
	d.cursor = (d.cursor + delta + len(d.shown)) % len(d.shown)
}

func (d *paletteDialog) view(s Styles, width int) string {
	w := max(20, min(width-4, 96))
	var lines []string
	lines = append(lines, s.Title.Render(truncate("Actions for "+number(d.incident)+" "+sanitize.Line(d.incident.Service.Name), w)))
	filter := s.Dim.Render("type to filter")
	if d.filtering || d.query != "" {
		filter = "/" + d.query + "█"
	}
	lines = append(lines, truncate(filter, w), "")

	nameW := 0
	for _, a := range d.all {
		nameW = max(nameW, len(a.Name))
	}
	nameW = min(nameW, max(8, w/3))
	const riskW, runnerW = 6, 9
	titleW := w - 2 - nameW - 1 - riskW - 1 - runnerW - 1
	switch {
	case len(d.all) == 0:
		lines = append(lines, s.Dim.Render(truncate("The catalogue offers no action for this service and environment.", w)))
	case len(d.shown) == 0:
		lines = append(lines, s.Dim.Render(truncate("No action matches.", w)))
	}
	first := max(0, min(d.cursor-paletteRows/2, len(d.shown)-paletteRows))
	for i := first; i < min(len(d.shown), first+paletteRows); i++ {
		a := d.shown[i]
		mark := "  "
		if i == d.cursor {
			mark = "▸ "
		}
		row := mark + fit(a.Name, nameW) + " " + riskStyle(s, a.Risk).Render(fit(a.Risk, riskW)) + " " + fit(a.Runner, runnerW)
		if titleW > 4 {
			row += " " + fit(sanitize.Line(a.Title), titleW)
		}
		if i == d.cursor {
			row = s.Selected.Render(row)
		}
		lines = append(lines, row)
	}
	if n := len(d.shown); n > paletteRows {
		lines = append(lines, s.Dim.Render(fmt.Sprintf("%d–%d of %d", first+1, min(n, first+paletteRows), n)))
	}
	lines = append(lines, "", s.Dim.Render(truncate("enter preview · ↑/↓ (j/k) move · esc close · nothing runs before the preview", w)))
	return s.Dialog.Width(w + 4).Render(strings.Join(lines, "\n"))
}

// riskStyle colours a risk level; the word itself keeps it readable
// without colour.
func riskStyle(s Styles, risk string) interface{ Render(...string) string } {
	switch risk {
	case actions.RiskHigh:
		return s.Error
	case actions.RiskMedium:
		return s.Warn
	case actions.RiskLow:
		return s.OK
	}
	return s.Dim
}
