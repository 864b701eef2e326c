package tui

import (
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"sitrep/sources/pagerduty"
)

// When a triggered, unacknowledged incident escalates next and to whom
// ("→ L2 Bob Okafor in 4m12s"), in Overview and in the list's next
// column. It is worked out from the incident's escalation policy, fetched
// beside its detail and kept by policy ID, and its log entries, which a
// look has fetched already: the list shows it only for incidents looked
// at, never fetching every timeline. The countdown moves with the clock's
// tick; nothing here has a timer of its own.

// policyLoaded answers an escalation policy fetch.
type policyLoaded struct {
	id     string
	policy pagerduty.EscalationPolicy
	err    error
	at     time.Time
}

// policyState is what is known of one escalation policy.
type policyState struct {
	policy    pagerduty.EscalationPolicy
	err       string
	loading   bool
	fetchedAt time.Time
}

// nextEscalation is an incident's next escalation as Overview shows it:
// known once its policy and log entries are, or why it cannot be known.
type nextEscalation struct {
	esc   pagerduty.Escalation
	known bool
	err   string
	// on says a policy source is wired: without one there is no Next
	// field at all.
	on bool
}

// escalating says whether an incident can escalate: triggered and not
// acknowledged.
func escalating(in *pagerduty.Incident) bool { return in.Status == pagerduty.StatusTriggered }

// fetchPolicy starts fetching in's escalation policy unless it is not
// needed (the incident cannot escalate, the cockpit has no policy source),
// a fetch is running, or what is held is young. fresh asks past the
// source's cache too (r).
func (m *Model) fetchPolicy(in pagerduty.Incident, fresh bool) tea.Cmd {
	src := m.opts.EscalationPolicies
	if src == nil || !escalating(&in) {
		return nil
	}
	id := in.EscalationPolicy.ID
	ps := m.policies[id]
	if ps.loading {
		return nil
	}
	if !fresh && ps.err == "" && !ps.fetchedAt.IsZero() && m.opts.Now().Sub(ps.fetchedAt) < pagerduty.DefaultPolicyLifetime {
		return nil
	}
	ps.loading = true
	m.policies[id] = ps
	now := m.opts.Now
	ctx, cancel := m.callContext()
	return func() tea.Msg {
		defer cancel()
		p, err := src.Get(ctx, id, fresh)
		return policyLoaded{id: id, policy: p, err: err, at: now()}
	}
}

// policyLoaded keeps a fetched policy (or why it failed) and works out
// again the next escalation of every incident looked at under it.
func (m *Model) policyLoaded(msg policyLoaded) {
	ps := m.policies[msg.id]
	ps.loading = false
	if msg.err != nil {
		ps.err = m.errText(msg.err)
	} else {
		ps.policy, ps.err, ps.fetchedAt = msg.policy, "", msg.at
	}
	m.policies[msg.id] = ps
	for id, st := range m.details {
		if st.detail.Incident.EscalationPolicy.ID == msg.id {
			m.reckonEscalation(id)
		}
	}
}

// reckonEscalation works out incident id's next escalation from what is
// held of its detail and policy, for Overview and the list. It is worked
// out as if the incident were triggered: what is drawn asks the incident's
// current status, which a refresh may change before the detail follows.
func (m *Model) reckonEscalation(id string) {
	st, ok := m.details[id]
	if !ok || st.detail.Incident.ID != id {
		return
	}
	in := st.detail.Incident
	ps, held := m.policies[in.EscalationPolicy.ID]
	var next nextEscalation
	switch {
	case held && ps.err != "" && ps.fetchedAt.IsZero():
		next.err = ps.err
	case !held || ps.fetchedAt.IsZero() || st.parts&pagerduty.PartLogEntries == 0:
		// Not known yet: the policy or the log entries are on their way.
	default:
		in.Status = pagerduty.StatusTriggered
		next.esc = pagerduty.NextEscalationOf(in, ps.policy, st.detail.LogEntries).WithOnCall(st.detail.OnCall)
		next.known = true
		if ps.err != "" {
			// A later fetch failed: the rules held still count, and the
			// failure shows beside them.
			next.err = ps.err
		}
	}
	st.next = next
	m.details[id] = st
	if m.list.next == nil {
		return
	}
	if next.known && next.esc.None == "" {
		m.list.next[id] = next.esc
	} else {
		delete(m.list.next, id)
	}
}

// nextEscalationText is Overview's Next field for in, counting down to
// now; ok is false when the field is not shown (the incident cannot
// escalate, or no policy source is wired).
func nextEscalationText(s Styles, in pagerduty.Incident, next nextEscalation, now time.Time) (string, bool) {
	if !next.on || !escalating(&in) {
		return "", false
	}
	switch {
	case !next.known && next.err != "":
		return s.Error.Render("next escalation unknown: " + next.err), true
	case !next.known:
		return s.Dim.Render("…"), true
	case next.esc.None != "":
		text := s.Dim.Render("none (" + next.esc.None + ")")
		if next.err != "" {
			text += " " + s.Error.Render("policy: "+next.err)
		}
		return text, true
	}
	text := pagerduty.FormatEscalation(next.esc, now)
	if next.err != "" {
		text += " " + s.Error.Render("policy: "+next.err)
	}
	return text, true
}

// nextColumn is the list's next column for in: its next escalation
// counting down, or blank.
func (l *listView) nextColumn(in *pagerduty.Incident, now time.Time) string {
	if !escalating(in) {
		return ""
	}
	e, ok := l.next[in.ID]
	if !ok {
		return ""
	}
	return fitEscalation(e, now, nextWidth)
}

// fitEscalation is FormatEscalation in w cells: the repeat count goes
// first (Overview shows it), then the name is cut short, before the
// countdown is, which is what the column is for.
func fitEscalation(e pagerduty.Escalation, now time.Time, w int) string {
	full := pagerduty.FormatEscalation(e, now)
	if ansi.StringWidth(full) <= w {
		return full
	}
	e.Repeat = 0
	if full = pagerduty.FormatEscalation(e, now); ansi.StringWidth(full) <= w || len(e.Targets) == 0 {
		return full
	}
	bare := e
	bare.Targets = nil
	short := pagerduty.FormatEscalation(bare, now)
	room := w - ansi.StringWidth(short) - 1
	if room < 2 {
		return short
	}
	t := e.Targets[0]
	if t.Name == "" {
		t.Name = t.ID
	}
	t.Name = ansi.Truncate(t.Name, room, "…")
	e.Targets = []pagerduty.Target{t}
	return pagerduty.FormatEscalation(e, now)
}

// nextWidth is the list's next column: "→ L2 Bob Okafor in 4m12s" with the
// name cut short.
const nextWidth = 22

// withNext makes room for the next column on wide terminals: it is the
// first column to go on narrow ones, and the title gives it its room.
func (l *listView) withNext(c columns, width int) columns {
	if l.next == nil || width < 110 {
		return c
	}
	c.next = nextWidth
	c.title = max(8, c.title-nextWidth-1)
	return c
}
