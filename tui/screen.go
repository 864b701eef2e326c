package tui

import (
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// A screen takes over the body of the cockpit (between the header and the
// help bar): the action preview, the run view, the runbook and the
// journal. While a screen is open it gets every key and every message the
// model does not handle itself; update returns the screen to keep (nil
// closes it). A screen reports what the engineer decided by returning a
// Cmd whose message the model handles.
//
// What is on top is one order, read by Update, View and the log stream
// alike (layers): a dialog, else the screen, else the incident list.
type screen interface {
	update(msg tea.Msg, now time.Time) (screen, tea.Cmd)
	view(s Styles, width, height int) string
	// keys are the screen's keys as they stand (a key that does nothing
	// now is disabled): the help bar shows the short help, ? the full.
	keys() help.KeyMap
}

// An answeringScreen waits for an answer ? must not take: a typed
// confirmation, or y/N on cancelling a run.
type answeringScreen interface {
	answering() bool
}

// A sizedScreen moves by pages and needs the body's size before it draws.
type sizedScreen interface {
	resize(width, height int)
}

// layers are what takes the keys now (a dialog, else a screen; nil is the
// incident list) and what is beneath it.
func (m *Model) layers() (top, under any) {
	if m.screen != nil {
		top = m.screen
	}
	if m.dialog != nil {
		top, under = m.dialog, top
	}
	return top, under
}

// bodyCovered says whether a screen hides the incident's detail, so the
// panes and the log stream that only the detail shows can rest.
func (m *Model) bodyCovered() bool { return m.screen != nil }

// topKeys are the keys of whatever is on top, for the help bar and ?.
func (m *Model) topKeys() help.KeyMap {
	switch {
	case m.dialog != nil:
		return m.dialog.keys()
	case m.screen != nil:
		return m.screen.keys()
	}
	return m.mainKeys()
}

// openScreen puts sc on top, sized to the body.
func (m *Model) openScreen(sc screen) {
	if s, ok := sc.(sizedScreen); ok {
		s.resize(max(20, m.width), m.bodyHeight())
	}
	m.screen = sc
}

// screenKey hands a key to the screen on top, after the keys every screen
// shares: ctrl+c quits (except in the run view, where it cancels the run),
// ? shows the screen's keys, and on the journal the journal's own keys
// (note, pin, export) work as on the list.
func (m Model) screenKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	_, running := m.screen.(*runScreen)
	if a, ok := m.screen.(*awaitingScreen); ok && a.open() {
		running = true // ctrl+c withdraws the request, as esc does
	}
	if !running && key.Matches(msg, typeAheadKeys.Quit) {
		// Nothing runs from a preview or a runbook until it is confirmed,
		// so ctrl+c quits there as everywhere; the run view keeps it to
		// cancel the run.
		m.quitting = true
		return m, tea.Quit
	}
	if a, ok := m.screen.(answeringScreen); (!ok || !a.answering()) && key.Matches(msg, m.keys.Help) {
		m.dialog = newHelpDialog(m.screen.keys(), nil)
		return m, nil
	}
	if j, ok := m.screen.(*journalScreen); ok {
		if m.opts.ReadOnly && readOnlyRefused(msg) {
			m.status = "read-only: sitrep changes nothing"
			return m, nil
		}
		if cmd, handled := m.journalKeys(msg, j.incident); handled {
			return m, cmd
		}
	}
	if s, ok := m.screen.(sizedScreen); ok {
		s.resize(max(20, m.width), m.bodyHeight())
	}
	var cmd tea.Cmd
	m.screen, cmd = m.screen.update(msg, m.opts.Now())
	return m, cmd
}

// shownJournal is the journal screen when it is open (under a dialog or
// not), else nil.
func (m *Model) shownJournal() *journalScreen {
	j, _ := m.screen.(*journalScreen)
	return j
}
