package tui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"sitrep/sources/pagerduty"
)

// An incident on a service the looked-at incident's service depends on,
// open and started first, is flagged in Overview as a likely cause:
// "Upstream   checkout-db #7 started 23m earlier — likely cause". The
// service's dependencies are fetched beside its escalation policy and kept
// by service ID; the open incidents are the list's, so the flag follows
// each refresh without asking PagerDuty again.

// Dependencies reads the services a service depends on. cmd/sitrep hands
// in pagerduty.DependencyReader, which keeps each answer a while; nil shows
// no Upstream field.
type Dependencies interface {
	// Get returns the services serviceID depends on; fresh asks past any
	// cache.
	Get(ctx context.Context, serviceID string, fresh bool) ([]pagerduty.ServiceRef, error)
}

// depsLoaded answers a dependency fetch.
type depsLoaded struct {
	service string
	deps    []pagerduty.ServiceRef
	err     error
	at      time.Time
}

// depsState is what is known of one service's dependencies.
type depsState struct {
	deps      []pagerduty.ServiceRef
	err       string
	loading   bool
	fetchedAt time.Time
}

// upstreamView is Overview's Upstream field: the likely causes upstream,
// or why they are not known.
type upstreamView struct {
	// on says a dependency source is wired: without one there is no
	// Upstream field at all.
	on     bool
	known  bool
	err    string
	causes []pagerduty.Upstream
}

// fetchDependencies starts fetching the dependencies of in's service unless
// no source is wired, a fetch is running, or what is held is young. fresh
// asks past the source's cache too (r).
func (m *Model) fetchDependencies(in pagerduty.Incident, fresh bool) tea.Cmd {
	src := m.opts.Dependencies
	id := in.Service.ID
	if src == nil || id == "" {
		return nil
	}
	ds := m.deps[id]
	if ds.loading {
		return nil
	}
	if !fresh && ds.err == "" && !ds.fetchedAt.IsZero() && m.opts.Now().Sub(ds.fetchedAt) < pagerduty.DefaultDependencyLifetime {
		return nil
	}
	ds.loading = true
	m.deps[id] = ds
	now := m.opts.Now
	ctx, cancel := m.callContext()
	return func() tea.Msg {
		defer cancel()
		deps, err := src.Get(ctx, id, fresh)
		return depsLoaded{service: id, deps: deps, err: err, at: now()}
	}
}

// depsLoaded keeps a service's fetched dependencies, or why the fetch
// failed; dependencies held from before still count beside the failure.
func (m *Model) depsLoaded(msg depsLoaded) {
	ds := m.deps[msg.service]
	ds.loading = false
	if msg.err != nil {
		ds.err = m.errText(msg.err)
	} else {
		ds.deps, ds.err, ds.fetchedAt = msg.deps, "", msg.at
	}
	m.deps[msg.service] = ds
}

// upstreamOf is in's Upstream field as Overview draws it, from its
// service's dependencies and the incidents the list holds.
func (m *Model) upstreamOf(in pagerduty.Incident) upstreamView {
	u := upstreamView{on: m.opts.Dependencies != nil}
	if !u.on {
		return u
	}
	ds, held := m.deps[in.Service.ID]
	if !held {
		return u
	}
	u.err = ds.err
	if ds.fetchedAt.IsZero() {
		return u
	}
	u.known = true
	u.causes = pagerduty.UpstreamCauses(in, ds.deps, m.list.all)
	return u
}

// upstreamLines are Overview's Upstream lines: one per likely cause, the
// earliest first; "dependencies unknown: <why>" when they could not be
// read; nothing when there are none or the field is off.
func upstreamLines(s Styles, u upstreamView, field func(label, value string) string) []string {
	if !u.on {
		return nil
	}
	var lines []string
	label := "Upstream"
	for _, c := range u.causes {
		lines = append(lines, field(label, s.Warn.Render(pagerduty.FormatUpstream(c))))
		label = ""
	}
	if u.err != "" {
		lines = append(lines, field(label, s.Error.Render("dependencies unknown: "+u.err)))
	}
	return lines
}
