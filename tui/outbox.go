package tui

import (
	"fmt"

	tea "charm.land/bubbletea/v2"

	"sitrep/sources/pagerduty"
	"sitrep/store/journal"
	"sitrep/store/outbox"
)

// Messages from the outbox and the journal's backlog.
type (
	// writeSubmitted answers a Submit: the write is journaled and queued.
	writeSubmitted struct {
		item outbox.Item
		err  error
	}
	// outboxChanged is the outbox's latest snapshot.
	outboxChanged struct{ snap outbox.Snapshot }
	// journalBacklog says how many journal entries wait for a disk that
	// refused them.
	journalBacklog struct {
		n     int
		cause error
	}
)

func waitOutbox(ob Outbox) tea.Cmd {
	if ob == nil {
		return nil
	}
	ch := ob.Changes()
	return func() tea.Msg {
		snap, ok := <-ch
		if !ok {
			return nil
		}
		return outboxChanged{snap: snap}
	}
}

// submit queues a write through the outbox.
func (m *Model) submit(w outbox.Write, e journal.Entry) tea.Cmd {
	ob := m.opts.Outbox
	if e.At.IsZero() {
		e.At = m.opts.Now()
	}
	ctx, cancel := m.callContext()
	return func() tea.Msg {
		defer cancel()
		it, err := ob.Submit(ctx, w, e)
		return writeSubmitted{item: it, err: err}
	}
}

// operationWrite is an acknowledgement or resolution through the outbox,
// journaled as what the engineer asked for.
func (m *Model) operationWrite(in pagerduty.Incident, op outbox.Op, past string) tea.Cmd {
	w := outbox.Write{Incident: in.ID, Label: number(in), Op: op}
	e := journal.Entry{Incident: in.ID, Kind: "operation", Summary: string(op) + " " + number(in) + " through sitrep",
		Data: mustJSON(map[string]string{"operation": past})}
	return m.submit(w, e)
}

func (m Model) writeSubmitted(msg writeSubmitted) (tea.Model, tea.Cmd) {
	it := msg.item
	m.status = it.What() + " journaled; sending it to PagerDuty…"
	if msg.err != nil {
		m.lastErr = m.errText(msg.err)
	}
	var cmds []tea.Cmd
	if j := m.shownJournal(); j != nil && j.incident.ID == it.Incident {
		cmds = append(cmds, m.readJournal(it.Incident))
	}
	return m, tea.Batch(cmds...)
}

// outboxChanged shows what waits, and says once what settled.
func (m Model) outboxChanged(msg outboxChanged) (tea.Model, tea.Cmd) {
	cmds := []tea.Cmd{waitOutbox(m.opts.Outbox)}
	m.bulkProgress(msg.snap)
	before := m.pendingWrites
	m.pendingWrites = msg.snap.Pending
	for _, p := range m.pendingWrites {
		if p.Unconfirmed && !wasUnconfirmed(before, p.ID) {
			m.status = p.What() + " not confirmed yet: sitrep checks PagerDuty before trying again"
		}
	}
	refresh := false
	for _, s := range msg.snap.Settled {
		it := s.Item
		if it.Args["run"] != "" {
			refresh = true // a bulk run's: bulkProgress said where it got to
			continue
		}
		if !s.Delivered {
			// Kept in the footer until the engineer presses a key: a
			// refresh does not wipe it.
			m.status = "⚠ " + it.What() + " could not be delivered to PagerDuty: " + m.errText(errorString(s.Reason)) + " (the journal keeps it)"
			continue
		}
		m.status = it.What() + " delivered to PagerDuty"
		if it.Op == outbox.OpResolve {
			if in, ok := m.list.byID(it.Incident); ok {
				in.Status, in.LastChangeAt = pagerduty.StatusResolved, m.opts.Now()
				m.resolvedHere[in.ID] = in
			}
		}
		// Show the change now rather than at the next interval.
		st := m.details[it.Incident]
		st.version = ""
		m.details[it.Incident] = st
		if in, ok := m.list.selected(); ok && in.ID == it.Incident {
			cmds = append(cmds, m.fetchDetail(in, lookChanged))
		}
		refresh = true
	}
	if j := m.shownJournal(); j != nil && len(msg.snap.Settled) > 0 {
		cmds = append(cmds, m.readJournal(j.incident.ID))
	}
	if refresh && !m.refreshing {
		m.refreshGen++
		m.refreshing = true
		cmds = append(cmds, m.loadIncidents())
	}
	if j := m.shownJournal(); j != nil {
		j.pending = pendingIDs(m.pendingWrites)
	}
	return m, tea.Batch(cmds...)
}

func wasUnconfirmed(items []outbox.Item, id string) bool {
	for _, it := range items {
		if it.ID == id {
			return it.Unconfirmed
		}
	}
	return false
}

func pendingIDs(items []outbox.Item) map[string]bool {
	if len(items) == 0 {
		return nil
	}
	ids := make(map[string]bool, len(items))
	for _, it := range items {
		ids[it.ID] = true
	}
	return ids
}

// pendingNotes are the notes on an incident that PagerDuty does not have
// yet, for the Notes pane.
func (m *Model) pendingNotes(incidentID string) []outbox.Item {
	var out []outbox.Item
	for _, it := range m.pendingWrites {
		if it.Incident == incidentID && it.Op == outbox.OpNote {
			out = append(out, it)
		}
	}
	return out
}

// outboxBadges are the header's counts of what has not reached its place.
func (m *Model) outboxBadges() string {
	s := m.styles
	var out string
	if n := len(m.pendingWrites); n > 0 {
		unconfirmed := 0
		for _, it := range m.pendingWrites {
			if it.Unconfirmed {
				unconfirmed++
			}
		}
		label := fmt.Sprintf("⇡%d pending", n)
		if unconfirmed > 0 {
			label += fmt.Sprintf(" (%d not confirmed)", unconfirmed)
		}
		out += " " + s.Warn.Render(label)
	}
	if m.journalWaiting > 0 {
		out += " " + s.Error.Render(fmt.Sprintf("journal: %d waiting for disk", m.journalWaiting))
	}
	return out
}
