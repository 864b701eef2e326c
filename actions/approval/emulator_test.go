package approval

import (
	"context"
	"strings"
	"testing"
	"time"

	"sitrep/actions"
	"sitrep/sources/demo/pdemulator"
	"sitrep/sources/pagerduty"
)

// Request, approve, run, through the real PagerDuty client against the
// emulator: Alice and Bob each hold a user token, so each note's author
// is who wrote it. Alice's own approval is set aside; Bob's, read back by
// Alice's client and checked against the approvers' team, lets the plan
// run.
func TestRequestApproveRunThroughPagerDuty(t *testing.T) {
	pd := pdemulator.New(pdemulator.Options{Token: "account"})
	url, err := pd.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pd.Close() })
	team, err := pd.AddTeam(pdemulator.Team{ID: "PTEAM01", Name: "Payments"})
	if err != nil {
		t.Fatal(err)
	}
	aliceID, err := pd.AddUser(pdemulator.User{Name: "Alice Chen", Email: "alice@example.com", TeamIDs: []string{team}})
	if err != nil {
		t.Fatal(err)
	}
	bobID, err := pd.AddUser(pdemulator.User{Name: "Bob Okafor", Email: "bob@example.com", TeamIDs: []string{team}})
	if err != nil {
		t.Fatal(err)
	}
	ep, err := pd.AddEscalationPolicy(pdemulator.EscalationPolicy{Name: "Payments on-call", Levels: []pdemulator.EscalationLevel{{UserIDs: []string{aliceID}}}})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := pd.AddService(pdemulator.Service{Name: "payment-gateway", EscalationPolicyID: ep})
	if err != nil {
		t.Fatal(err)
	}
	res, err := pd.Trigger(pdemulator.TriggerOptions{ServiceID: svc, Title: "payment-gateway 5xx", Urgency: "high"})
	if err != nil {
		t.Fatal(err)
	}
	client := func(userID string) *pagerduty.Client {
		tok, err := pd.AddUserToken(userID)
		if err != nil {
			t.Fatal(err)
		}
		return pagerduty.New(pagerduty.Config{APIURL: url, Token: tok})
	}
	alice, bob := client(aliceID), client(bobID)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	// Alice prepares the rollback and asks for approval.
	e := engine(t, strings.Replace(catalogueYAML, "approvers: [PTEAM01, PBOB001]", "approvers: [PTEAM01]", 1))
	e.Now = time.Now
	target := actions.Target{IncidentID: res.IncidentID, Title: "payment-gateway 5xx", Status: "triggered", Service: "payment-gateway", Env: "prod"}
	p, err := e.Prepare(ctx, "rollback_deploy", nil, target)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Confirm("payment-gateway"); err != nil {
		t.Fatal(err)
	}
	req, err := NewRequest(p, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.AddNote(ctx, res.IncidentID, RequestNote(req, p, RequestInfo{Requester: "Alice Chen", IncidentLabel: "#1"})); err != nil {
		t.Fatal(err)
	}

	// Alice approves it herself: PagerDuty says the author is Alice.
	if _, err := alice.AddNote(ctx, res.IncidentID, DecisionNote(Decision{RequestID: req.ID, Decision: Approve, PlanHash: req.PlanHash}, req, "Bob Okafor")); err != nil {
		t.Fatal(err)
	}
	read := func() Entry {
		t.Helper()
		notes, err := alice.Notes(ctx, res.IncidentID)
		if err != nil {
			t.Fatal(err)
		}
		e, ok := Read(res.IncidentID, notes, time.Now()).Find(req.ID)
		if !ok {
			t.Fatalf("request %s is not among the incident's notes", req.ID)
		}
		return e
	}
	if got := read(); got.Status != Pending || got.RequestedBy.ID != aliceID {
		t.Fatalf("after Alice's own approval: %+v", got)
	}

	// Bob's sitrep prepares the same plan and approves it.
	notes, err := bob.Notes(ctx, res.IncidentID)
	if err != nil {
		t.Fatal(err)
	}
	pending := Read(res.IncidentID, notes, time.Now()).Pending()
	me, err := bob.Me(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 1 || !InScope(pending[0].Request.Approvers, me.ID, []string{me.Teams[0].ID}) {
		t.Fatalf("Bob sees %+v pending (he is %+v)", pending, me)
	}
	mine, err := e.Prepare(ctx, pending[0].Request.Action, pending[0].Request.Params, target)
	if err != nil {
		t.Fatal(err)
	}
	if hash(t, mine) != pending[0].Request.PlanHash {
		t.Fatal("Bob's plan hashes differently from the request's")
	}
	if _, err := bob.AddNote(ctx, res.IncidentID, DecisionNote(Decision{RequestID: req.ID, Decision: Approve, PlanHash: hash(t, mine)}, req, "Bob Okafor")); err != nil {
		t.Fatal(err)
	}

	// Alice's side: approved by Bob, who is in the approvers' team.
	got := read()
	if got.Status != Approved || got.DecidedBy.ID != bobID || got.DecidedBy.Name != "Bob Okafor" {
		t.Fatalf("after Bob's approval: %+v", got)
	}
	teams, err := alice.UserTeams(ctx, got.DecidedBy.ID)
	if err != nil || !InScope(got.Request.Approvers, got.DecidedBy.ID, teams) {
		t.Fatalf("Bob's teams %v (%v) are not among the approvers %v", teams, err, got.Request.Approvers)
	}
	if v := p.GrantApproval(actions.ApprovalGrant{RequestID: req.ID, By: got.DecidedBy.Name, ByID: got.DecidedBy.ID, At: got.DecidedAt}); !v.Allowed {
		t.Fatalf("after the approval: %s", v)
	}
	run, err := p.Run(ctx, nil)
	if err != nil || !run.OK {
		t.Fatalf("run: %v %+v", err, run)
	}
}
