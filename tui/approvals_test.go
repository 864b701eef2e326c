package tui

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"sitrep/actions"
	"sitrep/actions/approval"
	"sitrep/sources/pagerduty"
)

const approvalCatalogue = `
actions:
  - name: rollback
    explain: puts the previous release back
    params:
      service: {pattern: '[a-z][a-z0-9-]*', from: service}
    runner: exec
    exec: {argv: [/bin/echo, rollback, "{{.service}}"]}
    risk: high
    guards: {approval: {required: true, approvers: [PTEAM01], expires: 15m}}
    announce: {pagerduty: false}
`

// approvalSetup is a request for a rollback on a staging incident, made by
// Alice at t0, and the approver's sitrep (Bob, of PTEAM01) with the same
// catalogue.
func approvalSetup(t *testing.T) (*engineActions, pagerduty.Incident, approval.Request, time.Time) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "actions.yaml"), []byte(approvalCatalogue), 0o600); err != nil {
		t.Fatal(err)
	}
	cat, problems := actions.Load(dir)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	t0 := time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)
	acts := &engineActions{eng: &actions.Engine{Catalogue: cat, Now: func() time.Time { return t0 }}}
	in := pagerduty.Incident{ID: "Q1", Number: 7, Title: "search down", Status: "triggered", Service: pagerduty.Ref{ID: "S1", Name: "search"}}
	plan, err := acts.Prepare(context.Background(), "rollback", nil, in)
	if err != nil {
		t.Fatal(err)
	}
	req, err := approval.NewRequest(plan, t0)
	if err != nil {
		t.Fatal(err)
	}
	return acts, in, req, t0
}

// opened is the approvals screen, as Bob, with req opened and the plan
// prepared here answered.
func opened(t *testing.T, acts *engineActions, in pagerduty.Incident, req approval.Request, requester string, now time.Time) *approvalsScreen {
	t.Helper()
	bob := pagerduty.User{Ref: pagerduty.Ref{ID: "PBOB", Name: "Bob Okafor"}, Teams: []pagerduty.Ref{{ID: "PTEAM01"}}}
	e := approval.Entry{Request: req, RequestedBy: pagerduty.Ref{ID: requester, Name: "Alice Chen"}, RequestedAt: now, Status: approval.Pending}
	s := newApprovalsScreen([]pendingApproval{{incident: in, entry: e, mine: requester == bob.ID}}, bob, acts, now)
	_, cmd := s.update(keyMsg("enter"), now)
	if s.open != req.ID || cmd == nil {
		t.Fatalf("enter did not open request %s", req.ID)
	}
	plan, err := acts.Prepare(context.Background(), req.Action, req.Params, in)
	if err != nil {
		t.Fatal(err)
	}
	hash, err := approval.PlanHash(plan)
	if err != nil {
		t.Fatal(err)
	}
	s.planned(approvalPlanned{requestID: req.ID, plan: plan, hash: hash}, now)
	return s
}

// answer types text and enter after the grace period, and returns what
// the screen asked for.
func answer(t *testing.T, s *approvalsScreen, text string, now time.Time) tea.Msg {
	t.Helper()
	now = now.Add(gracePeriod + time.Millisecond)
	for _, k := range typed(text) {
		s.update(k, now)
	}
	_, cmd := s.update(keyMsg("enter"), now)
	if cmd == nil {
		return nil
	}
	return cmd()
}

func TestApproverDecides(t *testing.T) {
	acts, in, req, t0 := approvalSetup(t)
	tampered := req
	tampered.PlanHash = strings.Repeat("0", 64)
	for _, tc := range []struct {
		name      string
		req       approval.Request
		requester string
		now       time.Time
		typed     string
		want      string // approve, deny, or a refusal's words
		shown     string
	}{
		{"the same plan, approved by its ID", req, "PALICE", t0.Add(time.Minute), approval.Short(req.ID), approval.Approve, "✓ same plan"},
		{"the same plan, approved by the word", req, "PALICE", t0.Add(time.Minute), "approve", approval.Approve, "✓ same plan"},
		{"denied", req, "PALICE", t0.Add(time.Minute), "deny", approval.Deny, "✓ same plan"},
		{"a changed plan", tampered, "PALICE", t0.Add(time.Minute), "approve", "DIFFERENT PLAN", "✗ DIFFERENT PLAN"},
		{"expired", req, "PALICE", t0.Add(16 * time.Minute), "approve", "expired at 03:15:00 UTC", "cannot approve"},
		{"expired, not even denied", req, "PALICE", t0.Add(16 * time.Minute), "deny", "expired", "cannot approve"},
		{"my own request", req, "PBOB", t0.Add(time.Minute), "approve", "you asked for this", "cannot approve: you asked for this"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := opened(t, acts, in, tc.req, tc.requester, tc.now)
			if v := ansi.Strip(s.view(NewStyles(true), 120, 30)); !strings.Contains(v, tc.shown) {
				t.Errorf("the screen does not show %q:\n%s", tc.shown, v)
			}
			switch msg := answer(t, s, tc.typed, tc.now).(type) {
			case approvalDecided:
				if msg.decision.Decision != tc.want || msg.decision.RequestID != tc.req.ID {
					t.Errorf("decided %+v, want %s", msg.decision, tc.want)
				}
				if msg.decision.Approved() && msg.decision.PlanHash != req.PlanHash {
					t.Errorf("the approval names plan %s, not the one prepared here", msg.decision.PlanHash)
				}
			case approvalRefused:
				if !strings.Contains(msg.why, tc.want) {
					t.Errorf("refused because %q, want %q", msg.why, tc.want)
				}
			default:
				t.Errorf("answer %q gave %#v, want %s", tc.typed, msg, tc.want)
			}
		})
	}
}

// A wrong answer decides nothing and says what to type.
func TestApproverWrongAnswer(t *testing.T) {
	acts, in, req, t0 := approvalSetup(t)
	s := opened(t, acts, in, req, "PALICE", t0)
	if msg := answer(t, s, "yes", t0); msg != nil {
		t.Fatalf("yes decided: %#v", msg)
	}
	if want := "type " + approval.Short(req.ID) + " or approve to approve, deny to deny"; s.refusal != want {
		t.Errorf("refusal %q, want %q", s.refusal, want)
	}
}

// Pending approvals are looked for on one schedule: P's extra look sets
// up no second one, and a scheduled look that finds P's on its way waits
// for the next turn instead of ending the schedule.
func TestApprovalScanKeepsOneSchedule(t *testing.T) {
	m := New(nil, Options{Approvals: pagerduty.New(pagerduty.Config{APIURL: "http://127.0.0.1:1", Token: "t"})})
	next, cmd := m.approvalUpdate(approvalsScanned{chain: false})
	if cmd != nil {
		t.Error("P's look scheduled another")
	}
	m = next.(Model)
	if _, cmd = m.approvalUpdate(approvalsScanned{chain: true}); cmd == nil {
		t.Error("the scheduled look did not schedule the next")
	}
	m.approvals.scanning = true
	next, cmd = m.approvalUpdate(approvalScanDue{})
	if cmd == nil || !next.(Model).approvals.scanning {
		t.Error("a scheduled look during P's ended the schedule")
	}
}

// A look that read some incidents' notes and not others shows what it
// found and names the ones it could not read: a request may wait there.
func TestApprovalScanShowsFoundAndFailedTogether(t *testing.T) {
	m := New(nil, Options{Approvals: pagerduty.New(pagerduty.Config{APIURL: "http://127.0.0.1:1", Token: "t"})})
	found := pendingApproval{incident: pagerduty.Incident{ID: "Q1", Number: 1}}
	found.entry.Request.ID = "r1"
	next, _ := m.approvalUpdate(approvalsScanned{
		me: pagerduty.User{Ref: pagerduty.Ref{ID: "U1"}}, pending: []pendingApproval{found},
		err: errors.New("pending approvals: the notes of #2 could not be read"),
	})
	st := next.(Model).approvals
	if len(st.pending) != 1 {
		t.Errorf("what was found is not shown: %+v", st.pending)
	}
	if !strings.Contains(st.scanErr, "#2 could not be read") {
		t.Errorf("the incident whose notes failed is not named: %q", st.scanErr)
	}
}
