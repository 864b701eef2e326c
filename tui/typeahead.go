package tui

import (
	"fmt"
	"reflect"
	"time"
	"unicode/utf8"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// Keys typed ahead. A script, a paste or fast fingers send keys faster
// than sitrep can show what the first of them asked for: after "!" and
// enter, the rest of the burst arrives while the action is prepared, and
// the incident list underneath would take "a" as acknowledge and "n" as a
// note. So from the moment the engineer asks for something that opens a
// screen or a dialog until it is on screen and gracePeriod has passed,
// the model holds every key back, counts it and says so once on the
// status line. Only esc (which abandons a pending preparation, or leaves
// what just opened) and ctrl+c get through.
//
// This is one gate in front of every screen and dialog, not a check in
// each of them: Update notices what comes on top, whatever opened it.
//
// Time is read when Update handles a key, not when the key was typed, and
// Bubble Tea hands a burst over one key at a time, each after the frame
// for the one before. On a busy machine the tail of a long burst is handled
// after the grace period; so a burst that is being held stays held while
// its keys keep coming, until a pause of burstGap.

// gracePeriod is how long whatever just opened ignores keys, so that keys
// typed for the screen before cannot act on it.
const gracePeriod = 500 * time.Millisecond

// burstGap is the pause that ends a burst being held: longer than the time
// a busy sitrep takes to handle one key, shorter than a person's pause to
// read what opened.
const burstGap = 250 * time.Millisecond

// typeAhead is the gate's state.
type typeAhead struct {
	until    time.Time // when the grace period of what opened last ends
	what     string    // what the held keys were typed before: "the preview"
	held     int       // keys held back since the engineer last asked for something
	lastHeld time.Time // when the last of them was held
}

// holdsKeys reports whether keys are held back now: a preparation is
// pending, what opened last is within its grace period, or a burst being
// held is still coming.
func (m *Model) holdsKeys(now time.Time) bool {
	t := m.typeAhead
	return m.pending.id != 0 || now.Before(t.until) || (t.held > 0 && now.Sub(t.lastHeld) < burstGap)
}

// holdKey holds back a key or a paste that arrives while the gate is
// shut; it reports whether msg was one. esc abandons a pending
// preparation here; otherwise esc and ctrl+c pass to whatever is on top.
func (m *Model) holdKey(msg tea.Msg, now time.Time) bool {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		k := typeAheadKeys
		switch {
		case key.Matches(msg, k.Quit):
			return false
		case key.Matches(msg, k.Abandon):
			if !m.abandonPreparation() {
				return false
			}
			m.typeAhead.held = 0 // the engineer is watching again
			return true
		}
		m.typeAhead.held++
	case tea.PasteMsg:
		m.typeAhead.held += max(1, utf8.RuneCountInString(msg.Content))
	default:
		return false
	}
	m.typeAhead.lastHeld = now
	m.status = m.typeAhead.report(m.pending)
	return true
}

// keyPassed is a key that got through the gate: the count of the keys
// held before it has been read, and goes.
func (m *Model) keyPassed(msg tea.Msg) {
	if _, ok := msg.(tea.KeyPressMsg); !ok || m.typeAhead.held == 0 {
		return
	}
	if m.status == m.typeAhead.report(m.pending) {
		m.status = ""
	}
	m.typeAhead.held = 0
}

// noteOpened shuts the gate for gracePeriod when this message brought a
// new kind of screen or dialog on top, or answered the preparation the
// gate was waiting for, and starts a new count when the engineer asked
// for something while the gate was open. A screen seen already, back on
// top when a dialog over it closes, is not new. before is what was on top
// and under what was beneath it, pendingBefore the preparation pending
// before the message; held says whether the gate was shut then.
func (m *Model) noteOpened(before, under any, pendingBefore uint64, held bool, now time.Time) {
	asked := m.pending.id != 0 && m.pending.id != pendingBefore
	answered := pendingBefore != 0 && m.pending.id != pendingBefore
	top, _ := m.layers()
	opened := top != nil && !sameLayer(top, under) && (reflect.TypeOf(top) != reflect.TypeOf(before) || answered)
	if !asked && !opened {
		return
	}
	if !held {
		m.typeAhead.held = 0
	}
	if asked {
		m.typeAhead.what = "the preview"
	}
	if opened {
		m.typeAhead.until = now.Add(gracePeriod)
		m.typeAhead.what = layerName(top)
	}
	if m.typeAhead.held > 0 {
		m.status = m.typeAhead.report(m.pending)
	}
}

// report is the status line about the keys held back.
func (t typeAhead) report(pending preparation) string {
	keys := "keys"
	if t.held == 1 {
		keys = "key"
	}
	if pending.id != 0 {
		return fmt.Sprintf("preparing %s… ignored %d %s typed before the preview opened (esc abandons)", pending.name, t.held, keys)
	}
	return fmt.Sprintf("ignored %d %s typed before %s opened", t.held, keys, t.what)
}

// sameLayer reports whether a and b are the same screen or dialog.
// Screens and dialogs are pointers; anything else is never the same.
func sameLayer(a, b any) bool {
	if a == nil || b == nil {
		return false
	}
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	return va.Kind() == reflect.Pointer && va.Type() == vb.Type() && va.Pointer() == vb.Pointer()
}

// layerName names what opened, for the status line.
func layerName(top any) string {
	switch top.(type) {
	case *previewScreen:
		return "the preview"
	case *runScreen:
		return "the run view"
	case *runbookScreen:
		return "the runbook"
	case *journalScreen:
		return "the journal"
	case *paletteDialog:
		return "the palette"
	case *commandLine:
		return "the command line"
	case *confirmDialog:
		return "the confirmation"
	case *noteDialog:
		return "the note"
	case *helpDialog:
		return "help"
	case *logFilterDialog:
		return "the log filter"
	}
	return "the screen"
}
