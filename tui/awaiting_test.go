package tui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"sitrep/actions"
	"sitrep/actions/approval"
	"sitrep/sources/demo/pdemulator"
	"sitrep/sources/pagerduty"
)

// The requester's cockpit against the PagerDuty emulator, Alice and Bob
// each with their own token: a confirmed plan that needs approval posts
// the request note as Alice and waits; Alice's own approval is set aside;
// Bob's approval, read at the next look, runs the plan, and its records
// name Bob.
func TestAwaitingApprovalThroughPagerDuty(t *testing.T) {
	pd := pdemulator.New(pdemulator.Options{Token: "account"})
	url, err := pd.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pd.Close() })
	team, err := pd.AddTeam(pdemulator.Team{ID: "PTEAM01", Name: "Platform"})
	if err != nil {
		t.Fatal(err)
	}
	var ids [2]string
	for i, name := range []string{"Alice Chen", "Bob Okafor"} {
		if ids[i], err = pd.AddUser(pdemulator.User{Name: name, Email: strings.ToLower(name[:3]) + "@example.com", TeamIDs: []string{team}}); err != nil {
			t.Fatal(err)
		}
	}
	ep, err := pd.AddEscalationPolicy(pdemulator.EscalationPolicy{Name: "Platform on-call", Levels: []pdemulator.EscalationLevel{{UserIDs: []string{ids[0]}}}})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := pd.AddService(pdemulator.Service{Name: "search", EscalationPolicyID: ep})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pd.Trigger(pdemulator.TriggerOptions{ServiceID: svc, Title: "search down", Urgency: "high"}); err != nil {
		t.Fatal(err)
	}
	client := func(id string) *pagerduty.Client {
		tok, err := pd.AddUserToken(id)
		if err != nil {
			t.Fatal(err)
		}
		return pagerduty.New(pagerduty.Config{APIURL: url, Token: tok})
	}
	alice, bob := client(ids[0]), client(ids[1])
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	list, err := alice.Incidents(ctx, pagerduty.ScopeAll)
	if err != nil || len(list) != 1 {
		t.Fatalf("incidents: %v %v", list, err)
	}
	in := list[0]

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "actions.yaml"), []byte(approvalCatalogue), 0o600); err != nil {
		t.Fatal(err)
	}
	cat, problems := actions.Load(dir)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	recs := &actRecords{}
	acts := &engineActions{eng: &actions.Engine{Catalogue: cat, User: "Alice Chen", Record: recs.add,
		LookupEnv: func(k string) (string, bool) {
			if k == "PATH" {
				return os.Getenv("PATH"), true
			}
			return "", false
		}}}
	hn := &actHarness{t: t, now: time.Now(), recs: recs, acts: acts, msgs: make(chan tea.Msg, 64), done: make(chan struct{}), width: 100, h: 30}
	t.Cleanup(func() { close(hn.done) })
	m := New(alice, Options{Now: time.Now, Actions: acts, Approvals: alice})
	m = step(t, m, tea.WindowSizeMsg{Width: hn.width, Height: hn.h})
	hn.m = step(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: list, at: time.Now()})

	plan, err := acts.Prepare(ctx, "rollback", nil, in)
	if err != nil {
		t.Fatal(err)
	}
	if !plan.Verdict.AwaitsOnlyApproval() {
		t.Fatalf("verdict %s: want only approval to wait for", plan.Verdict)
	}
	hn.m.screen = newPreviewScreen(plan, in)
	if err := plan.Confirm("search"); err != nil {
		t.Fatal(err)
	}
	hn.deliver(actionConfirmed{plan: plan, incident: in})
	hn.until("the request posted", func() bool {
		a, ok := hn.m.screen.(*awaitingScreen)
		return ok && a.state == awaitWaiting
	})
	a := hn.m.screen.(*awaitingScreen)
	if !strings.Contains(hn.screen(), "[awaiting approval]") {
		t.Errorf("the header does not say the run awaits approval:\n%s", hn.screen())
	}
	var req approval.Request
	hn.until("the request note in PagerDuty", func() bool {
		notes, err := bob.Notes(ctx, in.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range approval.Read(in.ID, notes, time.Now()).Pending() {
			if e.Request.ID == a.req.ID && e.RequestedBy.ID == ids[0] {
				req = e.Request
			}
		}
		return req.ID != ""
	})

	time.Sleep(gracePeriod) // what opened ignores keys this long
	readNow := func() {
		t.Helper()
		before := a.lastPoll
		hn.press("r")
		hn.until("the notes read", func() bool { return hn.m.screen != a || a.lastPoll != before })
	}
	if _, err := alice.AddNote(ctx, in.ID, approval.DecisionNote(approval.Decision{RequestID: req.ID, Decision: approval.Approve, PlanHash: req.PlanHash}, req, "Alice Chen")); err != nil {
		t.Fatal(err)
	}
	readNow()
	if a.state != awaitWaiting || !strings.Contains(a.note, "its own requester") {
		t.Fatalf("Alice's own approval: state %s, note %q", a.state, a.note)
	}

	if _, err := bob.AddNote(ctx, in.ID, approval.DecisionNote(approval.Decision{RequestID: req.ID, Decision: approval.Approve, PlanHash: req.PlanHash}, req, "Bob Okafor")); err != nil {
		t.Fatal(err)
	}
	readNow()
	hn.until("the run to finish", func() bool { _, ok := recs.find(actions.StepFinished); return ok })
	started, _ := recs.find(actions.StepStarted)
	if started.ApprovedBy != "Bob Okafor" || started.ApprovalRequest != req.ID || started.ApprovedAt == nil {
		t.Errorf("the started record names no approval by Bob: %+v", started)
	}

	// A second request, withdrawn with esc: a note says so, and the
	// request is no longer pending for anyone.
	again, err := acts.Prepare(ctx, "rollback", nil, in)
	if err != nil {
		t.Fatal(err)
	}
	hn.m.screen = newPreviewScreen(again, in)
	if err := again.Confirm("search"); err != nil {
		t.Fatal(err)
	}
	hn.deliver(actionConfirmed{plan: again, incident: in})
	hn.until("the second request posted", func() bool {
		w, ok := hn.m.screen.(*awaitingScreen)
		return ok && w.state == awaitWaiting
	})
	second := hn.m.screen.(*awaitingScreen).req.ID
	time.Sleep(gracePeriod)
	hn.press("esc")
	hn.until("the awaiting view closed", func() bool { return hn.m.screen == nil })
	hn.until("the withdrawal in PagerDuty", func() bool {
		notes, err := bob.Notes(ctx, in.ID)
		if err != nil {
			t.Fatal(err)
		}
		e, ok := approval.Read(in.ID, notes, time.Now()).Find(second)
		return ok && e.Status == approval.Withdrawn && e.DecidedBy.ID == ids[0]
	})
}
