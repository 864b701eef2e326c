package tui

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"sitrep/sources/pagerduty"
)

// depsBook is the dependency source for model tests: it answers from a
// map and counts what it was asked, or fails with err.
type depsBook struct {
	mu    sync.Mutex
	deps  map[string][]pagerduty.ServiceRef
	err   error
	asked []string
}

func (b *depsBook) Get(_ context.Context, id string, _ bool) ([]pagerduty.ServiceRef, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.asked = append(b.asked, id)
	if b.err != nil {
		return nil, b.err
	}
	return b.deps[id], nil
}

// upstreamWorld is the demo's storyline: checkout-api's #11 and
// search-indexer's #9 both depend on checkout-db, whose #7 started 23
// minutes before #11 but after #9.
func upstreamWorld() (api, db, indexer pagerduty.Incident, book *depsBook) {
	mk := func(id string, n uint, svc, name string, ago time.Duration) pagerduty.Incident {
		return pagerduty.Incident{ID: id, Number: n, Title: name + " trouble", Status: pagerduty.StatusTriggered, Urgency: "high",
			Service: pagerduty.Ref{ID: svc, Name: name}, CreatedAt: t0.Add(-ago), LastChangeAt: t0.Add(-ago)}
	}
	api = mk("PAPI", 11, "SAPI", "checkout-api", 5*time.Minute)
	db = mk("PDB", 7, "SDB", "checkout-db", 28*time.Minute)
	indexer = mk("PIDX", 9, "SIDX", "search-indexer", 40*time.Minute)
	book = &depsBook{deps: map[string][]pagerduty.ServiceRef{"SAPI": {{ID: "SDB"}}, "SIDX": {{ID: "SDB"}}}}
	return api, db, indexer, book
}

// lookedAt is a 120×30 cockpit listing all with the cursor on in, after a
// look at it.
func lookedAt(t *testing.T, in pagerduty.Incident, all []pagerduty.Incident, book *depsBook) Model {
	t.Helper()
	clock := func() time.Time { return t0 }
	details := map[string]pagerduty.Detail{}
	for _, i := range all {
		details[i.ID] = pagerduty.Detail{Incident: i}
	}
	m := New(detailBook{details: details}, Options{Now: clock, Dependencies: book})
	m = step(t, m, tea.WindowSizeMsg{Width: 120, Height: 30})
	m = step(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: all, at: clock()})
	for i, idx := range m.list.visible {
		if m.list.all[idx].ID == in.ID {
			m.list.cursor = i
		}
	}
	if sel, ok := m.list.selected(); !ok || sel.ID != in.ID {
		t.Fatalf("could not select %s", in.ID)
	}
	return runAll(t, m, m.fetchDetail(in, lookSettled))
}

func TestOverviewFlagsUpstreamIncidentThatStartedFirst(t *testing.T) {
	api, db, indexer, book := upstreamWorld()
	all := []pagerduty.Incident{api, db, indexer}
	m := lookedAt(t, api, all, book)
	if len(book.asked) != 1 || book.asked[0] != "SAPI" {
		t.Fatalf("the look asked the dependency source %v, want SAPI once", book.asked)
	}
	frame := plainView(m)
	up := lineWith(frame, "Upstream")
	if !strings.Contains(up, "checkout-db #7 started 23m earlier — likely cause") {
		t.Errorf("Overview's Upstream line = %q\n%s", up, frame)
	}
	// A second look within the lifetime asks nothing more.
	m = runAll(t, m, m.fetchDetail(api, lookSettled))
	if len(book.asked) != 1 {
		t.Errorf("a second look asked again: %v", book.asked)
	}

	// search-indexer's incident started before checkout-db's: not flagged.
	m = lookedAt(t, indexer, all, book)
	if frame := plainView(m); strings.Contains(frame, "Upstream") {
		t.Errorf("search-indexer's Overview flags an upstream incident that started later:\n%s", frame)
	}
	// checkout-db depends on nothing: no field.
	m = lookedAt(t, db, all, book)
	if frame := plainView(m); strings.Contains(frame, "Upstream") {
		t.Errorf("checkout-db's Overview shows an Upstream field:\n%s", frame)
	}
	// Once checkout-db's incident is resolved and gone from the list, the
	// flag goes with the next refresh.
	m = lookedAt(t, api, all, book)
	m = step(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: []pagerduty.Incident{api, indexer}, at: t0})
	if frame := plainView(m); strings.Contains(frame, "Upstream") {
		t.Errorf("the flag stayed after checkout-db's incident left the list:\n%s", frame)
	}
}

func TestOverviewSaysWhyDependenciesAreUnknown(t *testing.T) {
	api, db, _, book := upstreamWorld()
	book.err = errors.New("get service dependencies of SAPI: PagerDuty answered 403")
	m := lookedAt(t, api, []pagerduty.Incident{api, db}, book)
	frame := plainView(m)
	if up := lineWith(frame, "Upstream"); !strings.Contains(up, "dependencies unknown: ") || !strings.Contains(up, "403") {
		t.Errorf("Overview's Upstream line = %q, want the failure\n%s", up, frame)
	}
	// A failed fetch is asked again when the engineer refreshes (r).
	book.err = nil
	m = runAll(t, m, m.fetchDetail(api, lookFresh))
	if frame := plainView(m); !strings.Contains(lineWith(frame, "Upstream"), "checkout-db #7 started 23m earlier") || strings.Contains(frame, "dependencies unknown") {
		t.Errorf("after a good fetch Overview shows\n%s", frame)
	}
}

func TestNoDependencySourceNoUpstreamField(t *testing.T) {
	api, db, _, _ := upstreamWorld()
	clock := func() time.Time { return t0 }
	m := New(detailBook{details: map[string]pagerduty.Detail{api.ID: {Incident: api}}}, Options{Now: clock})
	m = step(t, m, tea.WindowSizeMsg{Width: 120, Height: 30})
	m = step(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: []pagerduty.Incident{api, db}, at: clock()})
	if cmd := m.fetchDependencies(api, false); cmd != nil {
		t.Error("fetchDependencies without a source returned a command")
	}
	if frame := plainView(m); strings.Contains(frame, "Upstream") {
		t.Errorf("Overview shows Upstream without a source:\n%s", frame)
	}
}
