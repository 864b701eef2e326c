package tui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"sitrep/sources/pagerduty"
	"sitrep/store/outbox"
)

// Every call to the outside world is here, in a tea.Cmd with a deadline.
// Update only ever returns these; it never waits on them.

func (m *Model) callContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), m.opts.CallTimeout)
}

func (m *Model) loadIncidents() tea.Cmd {
	feed, scope, now := m.feed, m.scope, m.opts.Now
	ctx, cancel := m.callContext()
	return func() tea.Msg {
		defer cancel()
		incidents, err := feed.Incidents(ctx, scope)
		if err != nil {
			return incidentsFailed{scope: scope, err: err, at: now()}
		}
		pagerduty.Sort(incidents)
		return incidentsLoaded{scope: scope, incidents: incidents, at: now()}
	}
}

func (m *Model) loadDetail(id string, opts pagerduty.DetailOptions, replace bool) tea.Cmd {
	feed, now := m.feed, m.opts.Now
	ctx, cancel := m.callContext()
	return func() tea.Msg {
		defer cancel()
		d, err := feed.DetailWith(ctx, id, opts)
		return detailLoaded{id: id, detail: d, parts: partsOf(opts), replace: replace, err: err, at: now()}
	}
}

func (m *Model) acknowledge(in pagerduty.Incident) tea.Cmd {
	if m.opts.Outbox != nil {
		return m.operationWrite(in, outbox.OpAcknowledge, "acknowledged")
	}
	feed := m.feed
	ctx, cancel := m.callContext()
	return func() tea.Msg {
		defer cancel()
		return operationDone{op: "acknowledged", incident: number(in), id: in.ID, err: feed.Acknowledge(ctx, in.ID)}
	}
}

func (m *Model) resolve(in pagerduty.Incident) tea.Cmd {
	if m.opts.Outbox != nil {
		return m.operationWrite(in, outbox.OpResolve, "resolved")
	}
	feed := m.feed
	ctx, cancel := m.callContext()
	return func() tea.Msg {
		defer cancel()
		return operationDone{op: "resolved", incident: number(in), id: in.ID, err: feed.Resolve(ctx, in.ID)}
	}
}

func (m *Model) openURL(url string) tea.Cmd {
	open := m.opts.OpenURL
	return func() tea.Msg {
		return urlOpened{url: url, err: open(url)}
	}
}

func scheduleRefresh(d time.Duration, gen int) tea.Cmd {
	return tea.Tick(d, func(time.Time) tea.Msg { return refreshDue{gen: gen} })
}

// detailDelay lets the cursor pass over incidents (j j j j) without
// fetching the detail of each one.
const detailDelay = 150 * time.Millisecond

func scheduleDetail(id string) tea.Cmd {
	return tea.Tick(detailDelay, func(time.Time) tea.Msg { return detailDue{id: id} })
}
