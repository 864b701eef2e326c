package tui

import (
	"fmt"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// selection is the incidents picked for a bulk operation (space, V), by
// incident ID, so it survives refreshes and filters: a refresh only drops
// the incidents that left the list. The list draws a mark beside each.
type selection struct {
	ids map[string]bool
	// gone is how many the last refresh dropped, for the header until
	// the next key.
	gone int
}

func newSelection() *selection { return &selection{ids: map[string]bool{}} }

func (s *selection) len() int { return len(s.ids) }

func (s *selection) has(id string) bool { return s.ids[id] }

// toggle picks id, or drops it when picked; it reports whether id is
// picked now.
func (s *selection) toggle(id string) bool {
	if s.ids[id] {
		delete(s.ids, id)
		return false
	}
	s.ids[id] = true
	return true
}

func (s *selection) add(id string)  { s.ids[id] = true }
func (s *selection) drop(id string) { delete(s.ids, id) }

func (s *selection) clear() {
	for id := range s.ids {
		delete(s.ids, id)
	}
}

// keepListed drops the picked incidents that are no longer listed, and
// keeps how many it dropped for the header.
func (s *selection) keepListed(l *listView) {
	if len(s.ids) == 0 {
		return
	}
	listed := make(map[string]bool, len(l.all))
	for i := range l.all {
		listed[l.all[i].ID] = true
	}
	n := 0
	for id := range s.ids {
		if !listed[id] {
			delete(s.ids, id)
			n++
		}
	}
	if n > 0 {
		s.gone = n
	}
}

// selectionKey handles space and V on the list; handled says whether msg
// was one of them.
func (m *Model) selectionKey(msg tea.KeyPressMsg) (handled bool) {
	k := m.keys
	switch {
	case key.Matches(msg, k.Select):
		in, ok := m.list.selected()
		if !ok {
			return true
		}
		if m.picked.toggle(in.ID) {
			m.status = number(in) + " selected"
		} else {
			m.status = number(in) + " no longer selected"
		}
	case key.Matches(msg, k.SelectAll):
		all := m.list.len() > 0
		for _, i := range m.list.visible {
			if !m.picked.has(m.list.all[i].ID) {
				all = false
				break
			}
		}
		if all {
			n := m.picked.len()
			m.picked.clear()
			m.status = fmt.Sprintf("selection of %d cleared", n)
			return true
		}
		for _, i := range m.list.visible {
			m.picked.add(m.list.all[i].ID)
		}
		m.status = fmt.Sprintf("%d shown incidents selected; %d in all", m.list.len(), m.picked.len())
	default:
		return false
	}
	return true
}

// selectionBadge is the header's count of picked incidents.
func (m *Model) selectionBadge() string {
	if m.picked == nil {
		return ""
	}
	n, gone := m.picked.len(), m.picked.gone
	switch {
	case n == 0 && gone == 0:
		return ""
	case gone == 0:
		return " " + m.styles.Key.Render(fmt.Sprintf("%d selected", n))
	case n == 0:
		return " " + m.styles.Warn.Render(fmt.Sprintf("%d selected left the list", gone))
	}
	return " " + m.styles.Key.Render(fmt.Sprintf("%d selected", n)) + " " + m.styles.Warn.Render(fmt.Sprintf("(%d left the list)", gone))
}
