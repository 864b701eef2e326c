package tui

import (
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"sitrep/actions/triage"
	"sitrep/sources/pagerduty"
)

// Storms: open incidents that share a service, a class or a dependency
// and started within a few minutes of each other (triage.Storms). The list
// marks each member with ≈, Overview says "Storm      3 incidents, same
// service as #9 (#10, #11)", and M on any member opens the preview of the
// built-in merge of the others into the storm's oldest incident.
//
// The oldest is the target whichever member the cursor is on: it is the
// incident the responders were paged for first and have most likely
// worked (its notes, its timeline, its number in the chat), PagerDuty
// keeps the target and resolves the others, and the same storm then merges
// the same way from any of its rows. The preview names the target.
//
// The storms are worked out in Update when what they rest on changes (a
// refresh, a class, a service's dependencies), never to draw a frame.

// stormIndex is the storms among the listed incidents.
type stormIndex struct {
	storms []triage.Storm
	// of is each member's storm, by incident ID.
	of map[string]int
	// classes are the top classes the storms were worked out from, so a
	// classification that changes none of them costs nothing.
	classes map[string]string
}

// stormOf is the storm incident id belongs to.
func (x *stormIndex) stormOf(id string) (triage.Storm, bool) {
	i, ok := x.of[id]
	if !ok {
		return triage.Storm{}, false
	}
	return x.storms[i], true
}

// maxMergeSources is how many incidents one merge takes: the built-in
// merge's source_ids pattern allows 25.
const maxMergeSources = 25

// stormWindow is triage.storm_window, or the default.
func (m *Model) stormWindow() time.Duration {
	if w, ok := m.opts.Triage.(StormWindow); ok {
		return w.StormWindow()
	}
	return triage.DefaultStormWindow
}

// stormsAfter works the storms out again when msg changed what they rest
// on: the incidents, a service's dependencies, or an incident's class.
func (m *Model) stormsAfter(msg tea.Msg) {
	switch msg := msg.(type) {
	case incidentsLoaded, cachedLoaded, depsLoaded:
		m.regroup()
	case triaged:
		for _, r := range msg.results {
			if topClass(m.triage[r.id].result) != m.list.storms.classes[r.id] {
				m.regroup()
				return
			}
		}
	}
}

// regroup works out the storms among the listed open incidents.
func (m *Model) regroup() {
	members := make([]triage.Member, 0, len(m.list.all))
	classes := map[string]string{}
	for i := range m.list.all {
		in := &m.list.all[i]
		if in.Status != pagerduty.StatusTriggered && in.Status != pagerduty.StatusAcknowledged {
			continue
		}
		class := topClass(m.triage[in.ID].result)
		if class != "" {
			classes[in.ID] = class
		}
		var deps []string
		for _, d := range m.deps[in.Service.ID].deps {
			deps = append(deps, d.ID)
		}
		members = append(members, triage.Member{Incident: *in, Class: class, Depends: deps})
	}
	x := stormIndex{storms: triage.Storms(members, m.stormWindow()), of: map[string]int{}, classes: classes}
	for i, s := range x.storms {
		for _, in := range s.Members {
			x.of[in.ID] = i
		}
	}
	m.list.storms = x
}

// stormWidth is the list's storm column: the mark and a blank.
const stormWidth = 2

// withStorms makes room for the storm column while any storm is listed.
func (l *listView) withStorms(c columns) columns {
	if len(l.storms.of) == 0 || c.title < 8+stormWidth {
		return c
	}
	c.storm = stormWidth
	c.title -= stormWidth
	return c
}

// stormCell is a row's storm column: ≈ for a storm's member.
func (l *listView) stormCell(c columns, in *pagerduty.Incident) string {
	if c.storm == 0 {
		return ""
	}
	if _, ok := l.storms.of[in.ID]; ok {
		return "≈ "
	}
	return "  "
}

// stormText is Overview's Storm line for a member: "3 incidents, same
// service as #9 (#10, #11) — M merges them into #9".
func stormText(s triage.Storm) string {
	oldest := s.Oldest()
	var others []string
	for _, in := range s.Members[1:] {
		others = append(others, number(in))
	}
	var same string
	switch s.Link {
	case triage.LinkService:
		same = "same service"
	case triage.LinkClass:
		same = "same class (" + s.Shared + ")"
	case triage.LinkDependency:
		same = "same dependency (" + s.Shared + ")"
	default:
		same = "related"
	}
	return fmt.Sprintf("%d incidents, %s as %s (%s) — M merges them into %s",
		len(s.Members), same, number(oldest), strings.Join(others, ", "), number(oldest))
}

// stormLines are Overview's Storm line for in, or nothing.
func (m *Model) stormLines(in pagerduty.Incident, width int) []string {
	s, ok := m.list.storms.stormOf(in.ID)
	if !ok {
		return nil
	}
	return []string{m.styles.Label.Render(fmt.Sprintf("%-11s", "Storm")) + m.styles.Warn.Render(truncate(stormText(s), max(1, width-11)))}
}

// mergeStorm is M: the preview of merging in's storm into its oldest.
func (m *Model) mergeStorm(in pagerduty.Incident) tea.Cmd {
	s, ok := m.list.storms.stormOf(in.ID)
	if !ok {
		m.status = number(in) + " is not part of a storm: nothing to merge (M merges related incidents marked ≈)"
		return nil
	}
	target := s.Oldest()
	var ids []string
	for _, o := range s.Members[1:] {
		ids = append(ids, o.ID)
	}
	cmd := m.prepareAction(actionChosen{name: mergeAction, incident: target,
		params: map[string]string{"source_ids": strings.Join(ids[:min(len(ids), maxMergeSources)], ",")}})
	if len(ids) > maxMergeSources {
		m.status += fmt.Sprintf(" (the %d oldest of %d; M again merges the rest)", maxMergeSources, len(ids))
	}
	return cmd
}
