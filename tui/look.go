package tui

import (
	tea "charm.land/bubbletea/v2"

	"sitrep/sources/pagerduty"
)

// A look at an incident asks PagerDuty only for what the shown tab needs;
// the list's copy stands for the incident itself while young, and a tab
// shown later fetches the part it lacks. A manual refresh asks for
// everything again.

// lookKind says why the detail is fetched.
type lookKind uint8

const (
	// lookSettled: the cursor rests on the incident, or a tab is shown.
	lookSettled lookKind = iota
	// lookChanged: PagerDuty says the incident changed (a new version, a
	// write delivered, a failed fetch to retry).
	lookChanged
	// lookFresh: the engineer pressed r.
	lookFresh
)

// tabParts are the parts of the detail a tab shows. The enrichment tabs
// show none, but their tab bar counts and the journal's timeline want the
// Overview's.
func tabParts(tab int) pagerduty.Part {
	switch detailTabs[tab] {
	case "Alerts":
		return pagerduty.PartAlerts
	case "Timeline":
		return pagerduty.PartLogEntries
	case "Notes":
		return pagerduty.PartNotes
	}
	return pagerduty.PartLogEntries | pagerduty.PartOnCall
}

// tabPart is the part a list tab (Alerts, Timeline, Notes) draws from, or
// zero for the others.
func tabPart(name string) pagerduty.Part {
	switch name {
	case "Alerts":
		return pagerduty.PartAlerts
	case "Timeline":
		return pagerduty.PartLogEntries
	case "Notes":
		return pagerduty.PartNotes
	}
	return 0
}

func partsOf(opts pagerduty.DetailOptions) pagerduty.Part {
	if opts.Parts == 0 {
		return pagerduty.AllParts
	}
	return opts.Parts
}

// fetchDetail starts a detail fetch for in unless one is running or what
// is held is current and has the shown tab's parts.
func (m *Model) fetchDetail(in pagerduty.Incident, kind lookKind) tea.Cmd {
	st := m.details[in.ID]
	if st.loading {
		return nil
	}
	shown := tabParts(m.detail.tab)
	current := !st.fetchedAt.IsZero() && in.Version() == st.version && st.err == ""
	opts := pagerduty.DetailOptions{Listed: in, ListedAt: m.lastRefresh}
	replace := true
	switch {
	case kind == lookFresh:
		opts.Parts, opts.Fresh = pagerduty.AllParts, true
	case kind == lookChanged:
		// What is held is refetched too, so no tab shows an old part
		// beside a new one.
		opts.Parts = shown | st.parts
	case current && st.parts&shown == shown:
		return nil
	case current:
		opts.Parts, replace = shown&^st.parts, false
	default:
		opts.Parts = shown
	}
	st.loading = true
	m.details[in.ID] = st
	return tea.Batch(m.loadDetail(in.ID, opts, replace), m.fetchPolicy(in, kind == lookFresh), m.fetchDependencies(in, kind == lookFresh))
}

// fetchShownParts fetches the parts the shown tab needs and the selected
// incident's detail lacks: a tab shown, or a fetch that ended while
// another tab came up. A failed fetch is not retried here: its error
// shows until the engineer moves, presses r or the next refresh.
func (m *Model) fetchShownParts() tea.Cmd {
	in, ok := m.list.selected()
	if !ok {
		return nil
	}
	st, seen := m.details[in.ID]
	if !seen || st.loading || st.err != "" || st.fetchedAt.IsZero() {
		return nil // the settle (scheduled already) fetches it
	}
	return m.fetchDetail(in, lookSettled)
}

// merge takes in a fetched detail: all of it after a new version or a
// manual refresh, else the parts fetched beside those held.
func (st *detailState) merge(msg detailLoaded) {
	st.err, st.fetchedAt = "", msg.at
	st.version = msg.detail.Incident.Version()
	if msg.replace {
		st.detail, st.parts = msg.detail, msg.parts
		return
	}
	d := &st.detail
	d.Incident = msg.detail.Incident
	if msg.parts&pagerduty.PartAlerts != 0 {
		d.Alerts = msg.detail.Alerts
	}
	if msg.parts&pagerduty.PartLogEntries != 0 {
		d.LogEntries = msg.detail.LogEntries
	}
	if msg.parts&pagerduty.PartNotes != 0 {
		d.Notes = msg.detail.Notes
	}
	if msg.parts&pagerduty.PartOnCall != 0 {
		d.OnCall = msg.detail.OnCall
	}
	st.parts |= msg.parts
}
