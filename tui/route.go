package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"sitrep/actions/triage"
	"sitrep/sources/pagerduty"
	"sitrep/sources/sanitize"
)

// Routing: a class can name the escalation policy its incidents belong
// with (triage.classes.NAME.route). When an open incident's top class
// routes to another policy than the one it sits with, Overview suggests
// the route with its why:
//
//	Route      → Platform on-call — press T
//	           class certificate: title matches "TLS certificate" (rule …)
//
// and T opens the preview of the built-in route operation, which
// reassigns the incident to that policy and adds a note that says why,
// through the guards and the journal like any action. Nothing is routed
// without the engineer confirming it.

// Action names of the built-in operations the storm and route keys open.
const (
	mergeAction = "merge"
	routeAction = "route"
)

// routeSuggestion is where an incident belongs and why.
type routeSuggestion struct {
	route triage.Route
	why   triage.Classification
	// policy is the target policy's name once fetched; empty until then.
	policy string
}

// target names the suggested policy: its name, or its ID until the name
// is known.
func (r routeSuggestion) target() string {
	if r.policy != "" {
		return sanitize.Line(r.policy)
	}
	return r.route.EscalationPolicy
}

// routeOf is in's suggested route, or why there is none.
func (m *Model) routeOf(in pagerduty.Incident) (routeSuggestion, string) {
	r, ok := m.opts.Triage.(Router)
	if !ok || m.opts.Triage == nil {
		return routeSuggestion{}, "no classification rules are loaded, so nothing names a route"
	}
	if in.Status == pagerduty.StatusResolved {
		return routeSuggestion{}, number(in) + " is resolved: nothing to route"
	}
	cs := m.triage[in.ID].result
	if len(cs) == 0 {
		return routeSuggestion{}, number(in) + " has no class yet, so no route: look at its panes, or wait for the classification"
	}
	rt, ok := r.Route(cs[0].Class)
	if !ok {
		return routeSuggestion{}, "class " + sanitize.Line(cs[0].Class) + " names no route (triage.classes." + sanitize.Line(cs[0].Class) + ".route.escalation_policy in config.yaml)"
	}
	s := routeSuggestion{route: rt, why: cs[0], policy: m.policies[rt.EscalationPolicy].policy.Name}
	if m.currentPolicy(in) == rt.EscalationPolicy {
		return routeSuggestion{}, number(in) + " is with " + s.target() + " already, where class " + sanitize.Line(rt.Class) + " belongs"
	}
	return s, ""
}

// currentPolicy is the escalation policy in sits with: the detail's when
// it was fetched after the list, which a reassignment changes first.
func (m *Model) currentPolicy(in pagerduty.Incident) string {
	if st, ok := m.details[in.ID]; ok && st.detail.Incident.ID == in.ID && st.fetchedAt.After(m.lastRefresh) {
		return st.detail.Incident.EscalationPolicy.ID
	}
	return in.EscalationPolicy.ID
}

// routeLines are Overview's Route lines for in: the suggestion and its
// why, or nothing.
func (m *Model) routeLines(in pagerduty.Incident, width int) []string {
	s, none := m.routeOf(in)
	if none != "" {
		return nil
	}
	const indent = 11
	lines := []string{m.styles.Label.Render(fmt.Sprintf("%-11s", "Route")) +
		m.styles.Warn.Render(truncate("→ "+s.target()+" — press T", max(1, width-indent)))}
	why := wrap("class "+sanitize.Line(s.why.Why()), max(10, width-indent))
	for _, l := range why[:min(len(why), 2)] {
		lines = append(lines, strings.Repeat(" ", indent)+m.styles.Dim.Render(l))
	}
	return lines
}

// relatedLines are what Overview adds after the Triage lines: the storm
// the incident is part of and where it belongs.
func (m *Model) relatedLines(in pagerduty.Incident, width int) []string {
	return append(m.stormLines(in, width), m.routeLines(in, width)...)
}

// routeAfter fetches the name of the policy the selected incident's
// suggestion names, once, so Overview can say "Platform on-call" rather
// than an ID. It only looks up maps when there is nothing to fetch.
func (m *Model) routeAfter() tea.Cmd {
	src := m.opts.EscalationPolicies
	if src == nil || m.opts.Triage == nil {
		return nil
	}
	in, ok := m.list.selected()
	if !ok {
		return nil
	}
	s, none := m.routeOf(in)
	if none != "" {
		return nil
	}
	id := s.route.EscalationPolicy
	if _, held := m.policies[id]; held {
		return nil
	}
	m.policies[id] = policyState{loading: true}
	now := m.opts.Now
	ctx, cancel := m.callContext()
	return func() tea.Msg {
		defer cancel()
		p, err := src.Get(ctx, id, false)
		return policyLoaded{id: id, policy: p, err: err, at: now()}
	}
}

// maxRouteNote bounds the note a route adds: the built-in's message
// pattern allows 1,000 characters.
const maxRouteNote = 900

// routeNote is the note the route adds to the incident: where it went,
// and the classification that sent it there.
func routeNote(s routeSuggestion) string {
	note := "Routed by sitrep to escalation policy " + s.target() + " (" + s.route.EscalationPolicy + "): class " + s.why.Why()
	note = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, sanitize.Line(note))
	if r := []rune(note); len(r) > maxRouteNote {
		note = string(r[:maxRouteNote-1]) + "…"
	}
	return note
}

// routeIncident is T: the preview of routing in where its class belongs.
func (m *Model) routeIncident(in pagerduty.Incident) tea.Cmd {
	s, none := m.routeOf(in)
	if none != "" {
		m.status = none
		return nil
	}
	return m.prepareAction(actionChosen{name: routeAction, incident: in, params: map[string]string{
		"escalation_policy_id": s.route.EscalationPolicy,
		"message":              routeNote(s),
	}})
}

// stormRouteKeys handles M and T on the selected incident.
func (m *Model) stormRouteKeys(msg tea.KeyPressMsg, in pagerduty.Incident) (tea.Cmd, bool) {
	switch {
	case key.Matches(msg, m.keys.Merge):
		return m.mergeStorm(in), true
	case key.Matches(msg, m.keys.Route):
		return m.routeIncident(in), true
	}
	return nil, false
}
