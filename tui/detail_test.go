package tui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"sitrep/sources/demo/pdemulator"
	"sitrep/sources/pagerduty"
)

// emulatorFeed is the real PagerDuty client against the emulator on
// loopback, with one incident on payment-gateway.
func emulatorFeed(t *testing.T) (*pdemulator.Server, *pagerduty.Client, string) {
	t.Helper()
	const token = "detail-test-token"
	pd := pdemulator.New(pdemulator.Options{Token: token})
	url, err := pd.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pd.Close() })
	must := func(id string, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	me := must(pd.AddUser(pdemulator.User{Name: "Alice Chen", Email: "alice@example.com"}))
	if err := pd.SetCurrentUser(me); err != nil {
		t.Fatal(err)
	}
	ep := must(pd.AddEscalationPolicy(pdemulator.EscalationPolicy{Name: "Payments on-call", Levels: []pdemulator.EscalationLevel{{UserIDs: []string{me}}}}))
	svc := must(pd.AddService(pdemulator.Service{Name: "payment-gateway", EscalationPolicyID: ep}))
	res, err := pd.Trigger(pdemulator.TriggerOptions{ServiceID: svc, Title: "payment-gateway 5xx rate above 5%", Urgency: "high"})
	if err != nil {
		t.Fatal(err)
	}
	return pd, pagerduty.New(pagerduty.Config{APIURL: url, Token: token, Timeout: 10 * time.Second}), res.IncidentID
}

// run runs a Cmd that answers at once (an outside call, not a timer).
func run(t *testing.T, cmd tea.Cmd) tea.Msg {
	t.Helper()
	if cmd == nil {
		t.Fatal("no command to run")
	}
	return cmd()
}

// A detail error clears as soon as a refresh of the incident succeeds:
// PagerDuty has recovered, and an error left on screen under "updated 3s
// ago" would say otherwise.
func TestDetailErrorClearsOnTheNextGoodRefresh(t *testing.T) {
	pd, feed, id := emulatorFeed(t)
	m := New(feed, Options{Now: fixedClock, Scope: pagerduty.ScopeAll})
	m = step(t, m, tea.WindowSizeMsg{Width: 100, Height: 30})
	m = step(t, m, run(t, m.loadIncidents()))
	if got := selectedID(t, m); got != id {
		t.Fatalf("selected %s, want %s", got, id)
	}
	m = press(t, m, "tab") // Alerts: a detail that never loaded shows its error here

	// fetchDetail reports whether the model asked for the detail; if it
	// did, the fetch runs against the emulator and its answer is delivered.
	fetchDetail := func(m Model) (Model, bool) {
		t.Helper()
		if !m.details[id].loading {
			return m, false
		}
		// Without the list's copy, so the incident's GET (broken below) is made.
		return step(t, m, run(t, m.loadDetail(id, pagerduty.DetailOptions{Parts: tabParts(m.detail.tab)}, true))), true
	}
	breakDetail := func() {
		t.Helper()
		if err := pd.InjectFault(pdemulator.Fault{Method: "GET", Path: "/incidents/" + id, Kind: pdemulator.FaultMalformedJSON, Times: 100}); err != nil {
			t.Fatal(err)
		}
	}
	// refresh is the next interval's list refresh, PagerDuty healthy.
	refresh := func(m Model) Model {
		t.Helper()
		pd.ClearFaults()
		m = step(t, m, refreshDue{gen: m.refreshGen})
		return step(t, m, run(t, m.loadIncidents()))
	}

	// The first fetch fails.
	breakDetail()
	m = step(t, m, detailDue{id: id})
	m, asked := fetchDetail(m)
	if !asked {
		t.Fatal("the detail was not fetched when the cursor rested on the incident")
	}
	if v := plainView(m); !strings.Contains(v, "detail: ") {
		t.Fatalf("the failed fetch is not shown:\n%s", v)
	}
	m, _ = fetchDetail(refresh(m))
	if v := plainView(m); strings.Contains(v, "detail: ") || !strings.Contains(v, "payment-gateway 5xx") {
		t.Errorf("after a good refresh the detail error is still shown:\n%s", v)
	}

	// A refetch of a loaded detail (r) fails: the old detail stays, marked.
	breakDetail()
	m = press(t, m, "r")
	m, _ = fetchDetail(m)
	if v := plainView(m); !strings.Contains(v, "could not refresh") {
		t.Fatalf("the failed refetch is not shown:\n%s", v)
	}
	m, _ = fetchDetail(refresh(m))
	if v := plainView(m); strings.Contains(v, "could not refresh") {
		t.Errorf("after a good refresh the detail still says it could not refresh:\n%s", v)
	}
}
