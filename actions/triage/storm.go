package triage

import (
	"cmp"
	"slices"
	"time"

	"sitrep/sources/pagerduty"
)

// A storm is several open incidents that belong together: they share a
// service, a class or a dependency and started within a few minutes of
// each other ("3 incidents, same service as #9"). Grouping is pure and
// deterministic: the same incidents give the same storms in the same
// order, whatever order they come in.

// DefaultStormWindow is how close the starts of two related incidents
// must be for them to count as one storm, when triage.storm_window is not
// set.
const DefaultStormWindow = 10 * time.Minute

// Bounds of triage.storm_window.
const (
	MinStormWindow = time.Minute
	MaxStormWindow = 24 * time.Hour
)

// Member is one open incident as storm grouping sees it.
type Member struct {
	Incident pagerduty.Incident
	// Class is its top class; empty when it has none.
	Class string
	// Depends are the IDs of the services its service depends on, as far
	// as they are known.
	Depends []string
}

// Link names what a storm's incidents share.
type Link string

// Links, strongest first: a storm says the strongest one all its members
// share.
const (
	LinkService    Link = "service"
	LinkClass      Link = "class"
	LinkDependency Link = "dependency"
	// LinkMixed: each incident shares something with another, but no
	// one thing is shared by all.
	LinkMixed Link = "related"
)

// Storm is a group of two or more related open incidents.
type Storm struct {
	// Members are oldest first (by start, then number, then ID).
	Members []pagerduty.Incident
	// Link is what they all share, and Shared its value: the service's
	// name, the class, the dependency's service name. Shared is empty for
	// LinkMixed.
	Link   Link
	Shared string
}

// Oldest is the storm's first incident.
func (s Storm) Oldest() pagerduty.Incident { return s.Members[0] }

// Storms groups the open incidents (triggered or acknowledged; others are
// left out) that share a service, a class or a dependency and whose starts
// are at most window apart, directly or through a chain of such
// incidents. A dependency is shared by two incidents whose services both
// depend on one service, or when one incident is on a service the other's
// depends on. Storms come oldest first. It costs O(n log n) in the number
// of incidents (and linear in their dependencies).
func Storms(in []Member, window time.Duration) []Storm {
	if window <= 0 {
		window = DefaultStormWindow
	}
	open := make([]int, 0, len(in))
	for i := range in {
		if st := in[i].Incident.Status; st == pagerduty.StatusTriggered || st == pagerduty.StatusAcknowledged {
			open = append(open, i)
		}
	}
	slices.SortFunc(open, func(a, b int) int { return older(&in[a].Incident, &in[b].Incident) })

	// Each key lists its incidents in start order; neighbours close
	// enough in time are joined.
	type key struct {
		link  Link
		value string
	}
	byKey := map[key][]int{} // positions in open
	for pos, i := range open {
		m := &in[i]
		if id := m.Incident.Service.ID; id != "" {
			byKey[key{LinkService, id}] = append(byKey[key{LinkService, id}], pos)
			// An incident on a service is on the dependency of those that
			// depend on it.
			byKey[key{LinkDependency, id}] = append(byKey[key{LinkDependency, id}], pos)
		}
		if m.Class != "" {
			byKey[key{LinkClass, m.Class}] = append(byKey[key{LinkClass, m.Class}], pos)
		}
		for _, d := range m.Depends {
			if d != "" && d != m.Incident.Service.ID {
				byKey[key{LinkDependency, d}] = append(byKey[key{LinkDependency, d}], pos)
			}
		}
	}
	parent := make([]int, len(open))
	for i := range parent {
		parent[i] = i
	}
	find := func(x int) int {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	for _, list := range byKey {
		for j := 1; j < len(list); j++ {
			a, b := list[j-1], list[j]
			if in[open[b]].Incident.CreatedAt.Sub(in[open[a]].Incident.CreatedAt) <= window {
				ra, rb := find(a), find(b)
				if ra != rb {
					// The older root stays the root, so a group's root is
					// its oldest incident.
					parent[max(ra, rb)] = min(ra, rb)
				}
			}
		}
	}
	groups := map[int][]int{}
	var roots []int
	for pos := range open {
		r := find(pos)
		if _, seen := groups[r]; !seen {
			roots = append(roots, r)
		}
		groups[r] = append(groups[r], pos)
	}
	var out []Storm
	for _, r := range roots { // in start order of their oldest
		g := groups[r]
		if len(g) < 2 {
			continue
		}
		ms := make([]*Member, len(g))
		s := Storm{Members: make([]pagerduty.Incident, len(g))}
		for j, pos := range g {
			ms[j] = &in[open[pos]]
			s.Members[j] = ms[j].Incident
		}
		s.Link, s.Shared = shared(ms, in)
		out = append(out, s)
	}
	return out
}

// older orders incidents by start, then number, then ID.
func older(a, b *pagerduty.Incident) int {
	if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Number, b.Number); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

// shared is the strongest link every member has in common, and its value.
func shared(ms []*Member, all []Member) (Link, string) {
	first := ms[0]
	same := func(f func(*Member) string) bool {
		v := f(first)
		if v == "" {
			return false
		}
		for _, m := range ms[1:] {
			if f(m) != v {
				return false
			}
		}
		return true
	}
	if same(func(m *Member) string { return m.Incident.Service.ID }) {
		return LinkService, first.Incident.Service.Name
	}
	if same(func(m *Member) string { return m.Class }) {
		return LinkClass, first.Class
	}
	// A dependency all share: one of the first member's, or its own
	// service, that every other member is on or depends on.
	candidates := append([]string{first.Incident.Service.ID}, first.Depends...)
	slices.Sort(candidates)
	for _, c := range slices.Compact(candidates) {
		if c == "" {
			continue
		}
		everyone := true
		for _, m := range ms[1:] {
			if m.Incident.Service.ID != c && !slices.Contains(m.Depends, c) {
				everyone = false
				break
			}
		}
		if everyone {
			return LinkDependency, serviceName(c, all)
		}
	}
	return LinkMixed, ""
}

// serviceName is a service's name as an incident on it gives it, or its ID.
func serviceName(id string, in []Member) string {
	for i := range in {
		if s := in[i].Incident.Service; s.ID == id && s.Name != "" {
			return s.Name
		}
	}
	return id
}
