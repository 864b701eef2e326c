package tui

import (
	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// Every screen and dialog has its own keys with help text, and exposes
// them (screen.keys, dialog.keys): the help bar shows the short help of
// whatever is on top and ? its full help (topKeys). A key that does
// nothing where it is shown is disabled, and so hidden; in --read-only the
// keys that write (acknowledge, resolve, note, pin, run) are, and the
// handlers' own read-only checks stay as the second lock.

// keyMap is the incident list's and detail's keys. Destructive keys are
// capitals (R) and go through a confirmation whose default is No.
type keyMap struct {
	Up, Down, Top, Bottom key.Binding
	Open, Back, Tab       key.Binding
	PrevTab               key.Binding
	EnrichNote            key.Binding
	Palette, Command      key.Binding
	Runbook               key.Binding
	Filter, Scope, Urgent key.Binding
	Refresh, Ack, Resolve key.Binding
	Note, Browser, Copy   key.Binding
	Journal, Pin, Export  key.Binding
	Merge, Route          key.Binding
	OnCall                key.Binding
	Arm, Veto             key.Binding
	Select, SelectAll     key.Binding
	Snooze, Reassign      key.Binding
	Stats                 key.Binding
	Help, Quit            key.Binding
	Approvals             key.Binding
}

// newKeyMap is the list's keys; readOnly disables the keys that write.
func newKeyMap(readOnly bool) keyMap {
	k := keyMap{
		Up:         key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("k/↑", "up")),
		Down:       key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("j/↓", "down")),
		Top:        key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g", "top")),
		Bottom:     key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G", "bottom")),
		Open:       key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "detail")),
		Back:       key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Tab:        key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next pane")),
		PrevTab:    key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous pane")),
		EnrichNote: key.NewBinding(key.WithKeys("E"), key.WithHelp("E", "enrichment to PagerDuty")),
		Palette:    key.NewBinding(key.WithKeys("!"), key.WithHelp("!", "actions")),
		Runbook:    key.NewBinding(key.WithKeys("b"), key.WithHelp("b", "runbook")),
		Command:    key.NewBinding(key.WithKeys(":"), key.WithHelp(":", "command")),
		Filter:     key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Scope:      key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "scope")),
		Urgent:     key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "urgency")),
		Refresh:    key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh")),
		Ack:        key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "acknowledge")),
		Resolve:    key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "resolve")),
		Note:       key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "note")),
		Browser:    key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "open in browser")),
		Copy:       key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "copy ID")),
		Journal:    key.NewBinding(key.WithKeys("J"), key.WithHelp("J", "journal")),
		Pin:        key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "pin as evidence")),
		Export:     key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "export post-mortem")),
		Merge:      key.NewBinding(key.WithKeys("M"), key.WithHelp("M", "merge the storm")),
		Route:      key.NewBinding(key.WithKeys("T"), key.WithHelp("T", "route by class")),
		Stats:      key.NewBinding(key.WithKeys("S"), key.WithHelp("S", "stats")),
		OnCall:     key.NewBinding(key.WithKeys("O"), key.WithHelp("O", "who is on call")),
		Arm:        key.NewBinding(key.WithKeys("ctrl+a"), key.WithHelp("ctrl+a", "arm / disarm automation")),
		Veto:       key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "veto the automatic run")),
		Select:     key.NewBinding(key.WithKeys("space", " "), key.WithHelp("space", "select")),
		SelectAll:  key.NewBinding(key.WithKeys("V"), key.WithHelp("V", "select all shown / none")),
		Snooze:     key.NewBinding(key.WithKeys("z"), key.WithHelp("z", "snooze")),
		Reassign:   key.NewBinding(key.WithKeys("A"), key.WithHelp("A", "reassign")),
		Approvals:  key.NewBinding(key.WithKeys("P"), key.WithHelp("P", "pending approvals")),
		Help:       helpKey,
		Quit:       key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
	}
	if readOnly {
		for _, b := range k.writes() {
			b.SetEnabled(false)
		}
		// A selection is only for a bulk run, which read-only refuses.
		k.Select.SetEnabled(false)
		k.SelectAll.SetEnabled(false)
	}
	return k
}

// writes are the keys that change PagerDuty or the journal.
func (k *keyMap) writes() []*key.Binding {
	return []*key.Binding{&k.Ack, &k.Resolve, &k.Note, &k.EnrichNote, &k.Pin, &k.Arm, &k.Veto, &k.Snooze, &k.Reassign, &k.Merge, &k.Route}
}

// readOnlyRefused says whether msg is a write key that --read-only turned
// off, so that pressing it says why nothing happens.
func readOnlyRefused(msg tea.KeyPressMsg) bool {
	all := newKeyMap(false)
	for _, b := range all.writes() {
		if key.Matches(msg, *b) {
			return true
		}
	}
	return false
}

// helpKey is ? on every screen and dialog that does not take text there.
var helpKey = key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help"))

// ShortHelp is the help bar.
func (k keyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Down, k.Open, k.Tab, k.Ack, k.Palette, k.Note, k.Filter, k.Help, k.Quit}
}

// FullHelp is the ? screen.
func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.Top, k.Bottom, k.Open, k.Back, k.Tab, k.PrevTab},
		{k.Filter, k.Scope, k.Urgent, k.Refresh, k.OnCall},
		{k.Ack, k.Resolve, k.Snooze, k.Reassign, k.Note, k.Browser, k.Copy},
		{k.Select, k.SelectAll},
		{k.Journal, k.Pin, k.Export, k.EnrichNote, k.Stats},
		{k.Arm, k.Veto},
		{k.Merge, k.Route},
		{k.Palette, k.Command, k.Runbook, k.Approvals},
		{k.Help, k.Quit},
	}
}

// mainHelp is the list's keys, and the logs pane's while it shows.
type mainHelp struct {
	keyMap
	logs *logsKeyMap
}

func (h mainHelp) ShortHelp() []key.Binding {
	if h.logs == nil {
		return h.keyMap.ShortHelp()
	}
	k := h.keyMap
	return []key.Binding{k.Down, k.Open, k.Tab, h.logs.Follow, h.logs.ErrorsOnly, h.logs.Filter, k.Pin, k.Help, k.Quit}
}

func (h mainHelp) FullHelp() [][]key.Binding {
	groups := h.keyMap.FullHelp()
	if h.logs == nil {
		return groups
	}
	// The logs pane's keys come first: they are what the engineer looks at.
	return append([][]key.Binding{h.logs.bindings()}, groups...)
}

// mainKeys are the list's keys as they stand: with the logs pane's when
// the Logs tab shows.
func (m *Model) mainKeys() help.KeyMap {
	h := mainHelp{keyMap: m.keys}
	if m.detail.focused {
		// The detail fills the body: j/k scroll it and esc goes back.
		k := &h.keyMap
		k.Up.SetHelp("k/↑", "scroll up")
		k.Down.SetHelp("j/↓", "scroll down")
		k.Top.SetHelp("g", "scroll to the top")
		k.Bottom.SetEnabled(false)
		k.Open.SetEnabled(false)
		k.Back.SetHelp("esc", "back to the list")
		if detailTabs[m.detail.tab] == historyTab {
			// j/k move between the past incidents (historypane.go).
			k.Down.SetHelp(historyKeys.Down.Help().Key, historyKeys.Down.Help().Desc)
			k.Up.SetHelp(historyKeys.Up.Help().Key, historyKeys.Up.Help().Desc)
		}
	}
	if !m.filter.Focused() && detailTabs[m.detail.tab] == "Logs" {
		lk := newLogsKeyMap(m.detail.focused)
		h.logs = &lk
		if m.detail.focused {
			// The pane takes j/k and / before the detail and the list do.
			for _, b := range []*key.Binding{&h.keyMap.Up, &h.keyMap.Down, &h.keyMap.Filter} {
				b.SetEnabled(false)
			}
		}
	}
	return h
}

// keyGroups is a key map for a screen or dialog with few keys: its groups
// are the full help, all of them in a row the short help.
type keyGroups [][]key.Binding

func (g keyGroups) ShortHelp() []key.Binding {
	var out []key.Binding
	for _, group := range g {
		out = append(out, group...)
	}
	return out
}

func (g keyGroups) FullHelp() [][]key.Binding { return g }

// drawnKeys is the key map of a screen that draws the keys that matter
// now beside what they act on (the preview's answer, the runbook's tick):
// the help bar adds only ?, which lists them all.
type drawnKeys keyGroups

func (g drawnKeys) ShortHelp() []key.Binding {
	for _, group := range g {
		for _, b := range group {
			if b.Enabled() && b.Help().Key == helpKey.Help().Key {
				return []key.Binding{b}
			}
		}
	}
	return nil
}

func (g drawnKeys) FullHelp() [][]key.Binding { return g }

// typeAheadKeyMap is what still works while keys typed ahead are held
// back (see typeahead.go): everything else is swallowed.
type typeAheadKeyMap struct {
	Abandon, Quit key.Binding
}

var typeAheadKeys = typeAheadKeyMap{
	Abandon: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "abandon the preparation")),
	Quit:    key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
}

// confirmKeys answer a y/N question; every other key is No.
var confirmKeys = struct{ Yes, No key.Binding }{
	Yes: key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "yes")),
	No:  key.NewBinding(key.WithKeys("n", "N", "enter", "esc"), key.WithHelp("N", "no (default, any other key)")),
}
