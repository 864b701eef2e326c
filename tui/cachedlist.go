package tui

import (
	"time"

	tea "charm.land/bubbletea/v2"

	"sitrep/sources/pagerduty"
)

// The cached list can come in the background: with Options.LoadCached the
// program starts, and draws its first frame, while the cache is decoded,
// instead of after. The rows arrive as cachedLoaded, marked stale like
// Options.Cached, unless PagerDuty's answer or another scope came first.

// cachedLoaded carries the cached list for the scope it was read for.
type cachedLoaded struct {
	scope     pagerduty.Scope
	incidents []pagerduty.Incident
	at        time.Time
}

func (m Model) loadCached() tea.Cmd {
	load, scope := m.opts.LoadCached, m.scope
	if load == nil {
		return nil
	}
	return func() tea.Msg {
		in, at := load()
		return cachedLoaded{scope: scope, incidents: in, at: at}
	}
}

func (m Model) cachedLoaded(msg cachedLoaded) (tea.Model, tea.Cmd) {
	m.loadingCache = false
	if msg.scope != m.scope || !m.lastRefresh.IsZero() || len(msg.incidents) == 0 {
		// PagerDuty answered first, or the engineer left the scope: the
		// cache would only hide something newer.
		return m, nil
	}
	m.list.setIncidents(msg.incidents, m.matcher())
	m.list.clamp(m.listHeight())
	m.stale = true
	m.lastRefresh = msg.at
	return m, m.selectionChanged()
}
