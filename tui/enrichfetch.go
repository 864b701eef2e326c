package tui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"sitrep/sources/enrich"
	"sitrep/sources/health"
	"sitrep/sources/pagerduty"
)

// The enrichment fan-out: fetching every source of the selected
// incident's service, each pane filling as its source answers, and the
// visible pane's refresh.

// Pane names, as the detail's tabs call them and sources report them.
const (
	paneMetrics = "metrics"
	paneLogs    = "logs"
	paneDeploys = "deploys"
)

// paneData is one pane's latest answer.
type paneData struct {
	value     any
	err       string
	fetchedAt time.Time
	took      time.Duration
	// statuses say how each source of the pane fared at the last fetch,
	// even when it failed and value is the last good data.
	statuses []health.Status
}

// enrichState is what the panes know of one incident.
type enrichState struct {
	panes    map[string]paneData
	fetching bool
	started  time.Time
}

// Messages of the enrichment.
type (
	enrichStarted struct {
		id string
		ch <-chan enrich.Result
	}
	enrichArrived struct {
		id     string
		result enrich.Result
		ch     <-chan enrich.Result
	}
	enrichDone     struct{ id string }
	paneRefreshDue struct{ gen int }
)

// enrichTimeout bounds one whole fan-out; each source has its own, shorter
// deadline inside it.
const enrichTimeout = 30 * time.Second

// fetchEnrichment starts the fan-out for an incident.
func (m *Model) fetchEnrichment(in pagerduty.Incident, force bool) tea.Cmd {
	e := m.opts.Enricher
	if e == nil {
		return nil
	}
	st := m.enrichment[in.ID]
	if st == nil {
		st = &enrichState{panes: map[string]paneData{}}
		m.enrichment[in.ID] = st
	}
	if st.fetching {
		return nil
	}
	st.fetching = true
	st.started = m.opts.Now()
	return func() tea.Msg {
		if force {
			e.Forget(in)
		}
		ctx, cancel := context.WithTimeout(context.Background(), enrichTimeout)
		ch := e.Fetch(ctx, in)
		// The fan-out closes ch after its last result; cancel then.
		out := make(chan enrich.Result, cap(ch))
		go func() {
			defer cancel()
			defer close(out)
			for r := range ch {
				out <- r
			}
		}()
		return enrichStarted{id: in.ID, ch: out}
	}
}

// waitEnrich delivers the next result of a fan-out as its own message, so
// each pane fills as soon as its source answers.
func waitEnrich(id string, ch <-chan enrich.Result) tea.Cmd {
	return func() tea.Msg {
		r, ok := <-ch
		if !ok {
			return enrichDone{id: id}
		}
		return enrichArrived{id: id, result: r, ch: ch}
	}
}

func (m *Model) enrichArrived(msg enrichArrived) tea.Cmd {
	st := m.enrichment[msg.id]
	if st == nil {
		return waitEnrich(msg.id, msg.ch)
	}
	r := msg.result
	p := paneData{value: r.Value, fetchedAt: r.FetchedAt, took: r.Took, statuses: r.Statuses}
	if r.Err != nil {
		p.err = m.errText(r.Err)
		if old, ok := st.panes[r.SourceID]; ok {
			p.value, p.fetchedAt = old.value, old.fetchedAt // keep the last good data beside the error
		}
	}
	st.panes[r.SourceID] = p
	return waitEnrich(msg.id, msg.ch)
}

// paneRefreshEvery refreshes the visible pane; the fan-out's cache keeps
// this cheap.
func (m *Model) schedulePaneRefresh() tea.Cmd {
	m.paneGen++
	gen, every := m.paneGen, m.opts.PaneRefresh
	return tea.Tick(every, func(time.Time) tea.Msg { return paneRefreshDue{gen: gen} })
}

// enrichTabVisible says whether an enrichment pane is on screen.
func (m *Model) enrichTabVisible() bool {
	if m.bodyCovered() {
		return false
	}
	return enrichTab(m.detail.tab)
}

// enrichTab says whether a detail tab is an enrichment pane.
func enrichTab(tab int) bool {
	switch detailTabs[tab] {
	case "Metrics", "Logs", "Deploys":
		return true
	}
	return false
}

// tabChanged starts what the new tab needs: the detail's parts it shows,
// the enrichment for a pane, the pane's refresh timer, the log stream.
func (m *Model) tabChanged() tea.Cmd {
	in, ok := m.list.selected()
	if !ok {
		return nil
	}
	parts := m.fetchShownParts()
	if !m.enrichTabVisible() {
		return tea.Batch(parts, m.wantStream(), m.fetchHistory(in, false))
	}
	return tea.Batch(parts, m.fetchEnrichment(in, false), m.schedulePaneRefresh(), m.wantStream())
}
