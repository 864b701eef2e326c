package tui

import "charm.land/bubbles/v2/key"

// keyMap is the main screen's keys. Destructive keys are capitals (R) and
// go through a confirmation whose default is No.
type keyMap struct {
	Up, Down, Top, Bottom key.Binding
	Open, Back, Tab       key.Binding
	PrevTab               key.Binding
	Follow, ErrorsOnly    key.Binding
	EnrichNote            key.Binding
	Palette, Command      key.Binding
	Runbook               key.Binding
	Filter, Scope, Urgent key.Binding
	Refresh, Ack, Resolve key.Binding
	Note, Browser, Copy   key.Binding
	Journal, Pin, Export  key.Binding
	Help, Quit            key.Binding
}

func newKeyMap() keyMap {
	return keyMap{
		Up:         key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("k/↑", "up")),
		Down:       key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("j/↓", "down")),
		Top:        key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g", "top")),
		Bottom:     key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G", "bottom")),
		Open:       key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "detail")),
		Back:       key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Tab:        key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next pane")),
		PrevTab:    key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous pane")),
		Follow:     key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "follow logs")),
		ErrorsOnly: key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "errors only")),
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
		Help:       key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:       key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
	}
}

// ShortHelp is the help bar.
func (k keyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Down, k.Open, k.Tab, k.Ack, k.Palette, k.Note, k.Filter, k.Help, k.Quit}
}

// FullHelp is the ? screen.
func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.Top, k.Bottom, k.Open, k.Back, k.Tab, k.PrevTab},
		{k.Filter, k.Scope, k.Urgent, k.Refresh},
		{k.Ack, k.Resolve, k.Note, k.Browser, k.Copy},
		{k.Journal, k.Pin, k.Export, k.EnrichNote},
		{k.Palette, k.Command, k.Runbook, k.Follow, k.ErrorsOnly},
		{k.Help, k.Quit},
	}
}

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
var confirmKeys = struct{ Yes key.Binding }{
	Yes: key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "yes")),
}
