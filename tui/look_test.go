package tui

import (
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"sitrep/sources/demo/pdemulator"
	"sitrep/sources/pagerduty"
)

// TestLookAsksForTheShownTab counts the PagerDuty requests of looks at an
// incident, path by path, through the real client and the emulator: a
// settled look asks only for the shown tab's parts (the list's copy
// stands for the incident), another tab for what it lacks, a tab already
// fetched for nothing, and r for everything.
func TestLookAsksForTheShownTab(t *testing.T) {
	pd, feed, id := emulatorFeed(t)
	p := newPump(t, New(feed, Options{Now: time.Now, Scope: pagerduty.ScopeAll, RefreshInterval: time.Hour, PaneRefresh: time.Hour}))
	p.send(tea.WindowSizeMsg{Width: 120, Height: 40})
	p.run(p.m.loadIncidents())
	p.until("the list", func() bool { in, ok := p.m.list.selected(); return ok && in.ID == id })

	// requests returns the requests since the last call, by path, the
	// incident's own paths written /incidents/{id}….
	requests := func() map[string]int {
		got := map[string]int{}
		for _, r := range pd.Requests() {
			path := r.Path
			if rest, ok := strings.CutPrefix(path, "/incidents/"+id); ok {
				path = "/incidents/{id}" + rest
			}
			got[r.Method+" "+path]++
		}
		pd.ResetRequests()
		return got
	}
	want := func(what string, want map[string]int) {
		t.Helper()
		got := requests()
		for path, n := range want {
			if got[path] != n {
				t.Errorf("%s: %d × %s, want %d (all: %v)", what, got[path], path, n, got)
			}
		}
		for path, n := range got {
			if _, ok := want[path]; !ok {
				t.Errorf("%s: unexpected %d × %s (all: %v)", what, n, path, got)
			}
		}
	}
	settled := func(what string) {
		t.Helper()
		p.until(what, func() bool { st := p.m.details[id]; return !st.loading && !st.fetchedAt.IsZero() })
	}
	requests()

	// Settled on the Overview: its timeline and who is on call.
	p.until("the settled look", func() bool { return p.m.details[id].loading })
	settled("the settled look")
	want("settled on the Overview", map[string]int{
		"GET /incidents/{id}/log_entries": 1, "GET /oncalls": 1,
	})
	bar := plainView(p.m)
	if v := plainView(p.m); !strings.Contains(v, "Alerts 1") || !strings.Contains(v, "Notes …") || strings.Contains(v, "Notes 0") {
		t.Errorf("tabs not fetched show a count as fact (want the list's alert count and … for notes):\n%s", bar)
	}

	// Alerts: only the alerts.
	p.send(keyMsg("tab"))
	settled("the alerts")
	p.until("the alerts", func() bool { return p.m.details[id].parts&pagerduty.PartAlerts != 0 })
	want("the Alerts tab", map[string]int{"GET /incidents/{id}/alerts": 1})

	// Timeline: held already. Notes: only the notes.
	p.send(keyMsg("tab"))
	p.send(keyMsg("tab"))
	p.until("the notes", func() bool { return p.m.details[id].parts&pagerduty.PartNotes != 0 })
	settled("the notes")
	want("the Timeline and Notes tabs", map[string]int{"GET /incidents/{id}/notes": 1})
	if v := plainView(p.m); !strings.Contains(v, "Notes 0") || !regexp.MustCompile(`Timeline [1-9]`).MatchString(v) {
		t.Errorf("fetched tabs do not show their counts:\n%s", v)
	}

	// Settling again on what is held asks for nothing.
	p.send(detailDue{id: id})
	time.Sleep(100 * time.Millisecond)
	want("settled again", map[string]int{})

	// r asks for everything, the incident too, and the list.
	p.send(keyMsg("r"))
	p.until("the refresh", func() bool { return !p.m.refreshing })
	settled("the refresh")
	want("r", map[string]int{
		"GET /incidents": 1, "GET /incidents/{id}": 1, "GET /incidents/{id}/alerts": 1,
		"GET /incidents/{id}/log_entries": 1, "GET /incidents/{id}/notes": 1, "GET /oncalls": 1,
	})

	// A part that fails shows its error, as any failed fetch does.
	if err := pd.InjectFault(pdemulator.Fault{Method: "GET", Path: "/incidents/" + id + "/notes", Kind: pdemulator.FaultServerError, Status: 503, Times: 4}); err != nil {
		t.Fatal(err)
	}
	p.send(keyMsg("r"))
	p.until("the failed refresh", func() bool { st := p.m.details[id]; return !st.loading && st.err != "" && !p.m.refreshing })
	if v := plainView(p.m); !strings.Contains(v, "could not refresh") {
		t.Errorf("the failed part is not shown:\n%s", v)
	}
}
