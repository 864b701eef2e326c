package tui

import (
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"sitrep/sources/pagerduty"
)

// A dialog sits on top of the screen and takes every key while open.
// key returns the dialog to keep (nil closes it) and, when the user has
// decided something, a result for the model to act on.
type dialog interface {
	key(msg tea.KeyPressMsg, now time.Time) (dialog, any)
	view(s Styles, width int) string
	// keys are the dialog's keys, for the help bar and ?.
	keys() help.KeyMap
}

// Results a dialog hands back.
type (
	confirmed struct {
		action   string
		incident pagerduty.Incident
		text     string // what the confirmation was about, when it carries one
	}
	noteWritten struct {
		incident    pagerduty.Incident
		text        string
		toPagerDuty bool
	}
	dialogCmd struct{ cmd tea.Cmd }
)

// confirmDialog asks y/N; the default, and any key but y, is No. Keys
// typed ahead never reach it: the model holds them back until it has been
// on screen for gracePeriod (typeahead.go).
type confirmDialog struct {
	action   string
	incident pagerduty.Incident
	question string
	text     string
}

func newConfirmDialog(action string, in pagerduty.Incident, question string) *confirmDialog {
	return &confirmDialog{action: action, incident: in, question: question}
}

func (d *confirmDialog) key(msg tea.KeyPressMsg, now time.Time) (dialog, any) {
	if key.Matches(msg, confirmKeys.Yes) {
		return nil, confirmed{action: d.action, incident: d.incident, text: d.text}
	}
	return nil, nil
}

func (d *confirmDialog) keys() help.KeyMap {
	return keyGroups{{confirmKeys.Yes, confirmKeys.No}}
}

func (d *confirmDialog) view(s Styles, width int) string {
	w := min(width-4, 70)
	var lines []string
	for _, para := range strings.Split(d.question, "\n") {
		lines = append(lines, wrap(para, w)...)
	}
	lines = append(lines, "", s.Key.Render("y")+" yes   "+s.Key.Render("N")+" no (default)")
	return s.Dialog.Width(w + 4).Render(strings.Join(lines, "\n"))
}

// noteDialog takes a one-line note for the journal and, unless the
// engineer turns it off with tab, for PagerDuty too, where the team sees it.
type noteDialog struct {
	incident    pagerduty.Incident
	input       textinput.Model
	toPagerDuty bool
	canChoose   bool // false without a journal: PagerDuty is the only place
}

func newNoteDialog(in pagerduty.Incident, width int, haveJournal bool) *noteDialog {
	ti := textinput.New()
	ti.Prompt = "> "
	ti.Placeholder = "what you saw or did"
	ti.CharLimit = 2000
	ti.SetWidth(min(width-10, 66))
	return &noteDialog{incident: in, input: ti, toPagerDuty: true, canChoose: haveJournal}
}

func (d *noteDialog) key(msg tea.KeyPressMsg, now time.Time) (dialog, any) {
	k := inputKeys
	switch {
	case key.Matches(msg, k.Cancel):
		return nil, nil
	case key.Matches(msg, k.Toggle):
		if d.canChoose {
			d.toPagerDuty = !d.toPagerDuty
		}
		return d, nil
	case key.Matches(msg, k.Accept):
		text := strings.TrimSpace(d.input.Value())
		if text == "" {
			return nil, nil
		}
		return nil, noteWritten{incident: d.incident, text: text, toPagerDuty: d.toPagerDuty}
	}
	var cmd tea.Cmd
	d.input, cmd = d.input.Update(msg)
	return d, dialogCmd{cmd: cmd}
}

func (d *noteDialog) keys() help.KeyMap {
	k := inputKeys
	accept, toggle := withHelp(k.Accept, "enter", "add the note"), k.Toggle
	toggle.SetEnabled(d.canChoose)
	return keyGroups{{accept, toggle, k.Cancel}}
}

func (d *noteDialog) view(s Styles, width int) string {
	w := min(width-4, 70)
	title := s.Title.Render(truncate("Note on "+number(d.incident)+" "+d.incident.Title, w))
	where := "journal only"
	switch {
	case !d.canChoose:
		where = "PagerDuty"
	case d.toPagerDuty:
		where = "journal and PagerDuty (the team sees it)"
	}
	// Where the note goes and how to change it are two lines, so that
	// neither is cut at 80 columns: whether the team sees the note is what
	// the engineer must not miss.
	keys := "esc: cancel"
	switch {
	case d.canChoose && d.toPagerDuty:
		keys = "tab: journal only (the team does not see it)   " + keys
	case d.canChoose:
		keys = "tab: to PagerDuty too (the team sees it)   " + keys
	}
	body := title + "\n" + d.input.View() + "\n" + s.Dim.Render(truncate("enter: add to "+where, w)) + "\n" + s.Dim.Render(truncate(keys, w))
	return s.Dialog.Width(w + 4).Render(body)
}

// inputKeys are the keys of the dialogs that take a line of text; every
// other key edits the line.
var inputKeys = struct{ Accept, Cancel, Toggle key.Binding }{
	Accept: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "accept")),
	Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
	Toggle: key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "toggle PagerDuty")),
}

// helpDialog shows the keys of what is beneath it; any key closes it, back
// to the dialog it was asked from (nil: to the screen or the list).
type helpDialog struct {
	shown help.KeyMap
	back  dialog
}

func newHelpDialog(k help.KeyMap, back dialog) *helpDialog { return &helpDialog{shown: k, back: back} }

func (d *helpDialog) key(tea.KeyPressMsg, time.Time) (dialog, any) { return d.back, nil }

var helpCloseKey = key.NewBinding(key.WithKeys("esc"), key.WithHelp("any key", "close"))

func (d *helpDialog) keys() help.KeyMap { return keyGroups{{helpCloseKey}} }

// view lays every key out in as many columns as fit, so all of them show
// at 80 columns (bubbles' full help drops the groups that do not fit).
func (d *helpDialog) view(s Styles, width int) string {
	var bindings []key.Binding
	for _, group := range d.shown.FullHelp() {
		for _, b := range group {
			if b.Enabled() {
				bindings = append(bindings, b)
			}
		}
	}
	keyW, descW := 0, 0
	for _, b := range bindings {
		keyW = max(keyW, lipgloss.Width(b.Help().Key))
		descW = max(descW, lipgloss.Width(b.Help().Desc))
	}
	colW := keyW + 1 + descW
	cols := max(1, min(3, (width-6+2)/(colW+2)))
	rows := (len(bindings) + cols - 1) / cols
	lines := make([]string, rows)
	for i, b := range bindings {
		cell := s.Key.Render(fit(b.Help().Key, keyW)) + " " + s.Dim.Render(fit(b.Help().Desc, descW))
		r := i % rows
		if i >= rows {
			lines[r] += "  "
		}
		lines[r] += cell
	}
	return s.Dialog.Render(s.Title.Render("Keys") + "\n\n" + strings.Join(lines, "\n") + "\n\n" + s.Dim.Render("any key closes"))
}

// logFilterDialog edits the logs pane's filter.
type logFilterDialog struct{ input textinput.Model }

// logFilterSet is its result.
type logFilterSet struct{ text string }

func newLogFilterDialog(current string, width int) *logFilterDialog {
	ti := textinput.New()
	ti.Prompt = "logs / "
	ti.Placeholder = "text to keep (empty: all)"
	ti.CharLimit = 200
	ti.SetValue(current)
	ti.SetWidth(min(width-14, 60))
	return &logFilterDialog{input: ti}
}

func (d *logFilterDialog) key(msg tea.KeyPressMsg, now time.Time) (dialog, any) {
	switch {
	case key.Matches(msg, inputKeys.Cancel):
		// As in the list's filter line, esc clears the filter.
		return nil, logFilterSet{}
	case key.Matches(msg, inputKeys.Accept):
		return nil, logFilterSet{text: strings.TrimSpace(d.input.Value())}
	}
	var cmd tea.Cmd
	d.input, cmd = d.input.Update(msg)
	return d, dialogCmd{cmd: cmd}
}

func (d *logFilterDialog) keys() help.KeyMap {
	return keyGroups{{withHelp(inputKeys.Accept, "enter", "apply"), withHelp(inputKeys.Cancel, "esc", "clear")}}
}

func (d *logFilterDialog) view(s Styles, width int) string {
	w := min(width-4, 70)
	return s.Dialog.Width(w + 4).Render(s.Title.Render("Filter the logs") + "\n" + d.input.View() + "\n" + s.Dim.Render("enter: apply   esc: clear"))
}
