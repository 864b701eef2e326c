package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	pd "github.com/PagerDuty/go-pagerduty"

	"sitrep/actions"
	"sitrep/actions/approval"
)

// Two people, two cockpits, one demo world: Alice asks for a rollback of
// payment-gateway in prod, which needs a Payments approval. Her request
// is a PagerDuty note; an approval written by Alice herself (through the
// API, as her) is set aside by her own sitrep, and her second sitrep
// (demo --as alice) refuses to approve it; Bob (demo --as bob) sees it
// pending, finds the same plan, approves it, and Alice's sitrep runs it.
// One test for the whole story: the demo and ansible are slow to start.
// The real binary in tmux; the rollback is ansible's, dry run and run.
func TestApprovalBetweenTwoPeople(t *testing.T) {
	if testing.Short() {
		t.Skip("runs ansible twice and three cockpits")
	}
	needTool(t, "ansible-playbook", actions.AnsibleInstallHint)
	bin := buildSitrep(t)
	dir := t.TempDir()
	env, state := demoEnv(dir)
	alice := startTerminal(t, 130, 40, env, bin, "demo", "--seed", "3", "--refresh", "2s")
	st := readDemoState(t, state)
	if st.Users["bob"] == "" || st.Users["alice"] == "" {
		t.Fatalf("the demo's state file names no tokens for alice and bob: %+v", st.Users)
	}
	bob := startTerminal(t, 130, 40, env, bin, "demo", "--as", "bob", "--refresh", "2s")
	// Alice's second cockpit, as on her laptop beside the on-call host.
	again := startTerminal(t, 130, 40, env, bin, "demo", "--as", "alice", "--refresh", "2s")
	// settle waits out the grace period in which what just opened
	// ignores keys (typeahead.go).
	settle := func() { time.Sleep(700 * time.Millisecond) }
	alice.waitFor("Alice's list", 15*time.Second, contains("payment-gateway 5xx"))

	alice.send("/", "payment-gateway 5xx", "Enter", ":")
	alice.waitFor("the command line", 10*time.Second, contains("runbook ACTION"))
	settle()
	alice.send("rollback_deploy", "Enter")
	alice.waitFor("the request prompt after the dry run", 60*time.Second, contains("Type payment-gateway to request approval to run rollback_deploy in prod"))
	settle()
	alice.send("payment-gateway", "Enter")
	screen := alice.waitFor("the request", 15*time.Second, contains("AWAITING APPROVAL · rollback_deploy on payment-gateway (prod)"))
	m := regexp.MustCompile(`Request ([0-9a-f]{16}) on (#\d+)`).FindStringSubmatch(screen)
	if m == nil {
		t.Fatalf("no request ID on Alice's screen:\n%s", screen)
	}
	reqID, short := m[1], approval.Short(m[1])
	if !strings.Contains(lineWith(screen, "sitrep "), "[awaiting approval]") {
		t.Errorf("the header does not say the run awaits approval:\n%s", screen)
	}

	// The request is a note on the incident, written by Alice.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	asAlice := pd.NewClient(st.Users["alice"], pd.WithAPIEndpoint(st.PagerDutyURL))
	incID := incidentWithTitle(ctx, t, asAlice, "payment-gateway 5xx")
	var req approval.Request
	for deadline := time.Now().Add(15 * time.Second); req.ID == "" && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		notes, err := asAlice.ListIncidentNotesWithContext(ctx, incID)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range notes {
			if msg, err := approval.Parse(n.Content); err == nil && msg.Request != nil && msg.Request.ID == reqID {
				if n.User.Summary != "Alice Chen" || !strings.Contains(n.Content, "Alice Chen asks to run rollback_deploy on payment-gateway (prod)") {
					t.Errorf("the request note is by %q and reads:\n%s", n.User.Summary, n.Content)
				}
				req = *msg.Request
			}
		}
	}
	if req.ID == "" {
		t.Fatalf("request %s never reached PagerDuty as a note", reqID)
	}

	// Alice approves her own request through the API: her sitrep sets
	// the decision aside and runs nothing.
	self := approval.DecisionNote(approval.Decision{RequestID: req.ID, Decision: approval.Approve, PlanHash: req.PlanHash}, req, "Alice Chen")
	if _, err := asAlice.CreateIncidentNoteWithContext(ctx, incID, pd.IncidentNote{Content: self}); err != nil {
		t.Fatalf("post Alice's own approval: %v", err)
	}
	alice.send("r")
	alice.waitFor("the self-approval set aside", 15*time.Second, contains("decided by its own requester"))
	if s := alice.screen(); !strings.Contains(s, "AWAITING APPROVAL") || strings.Contains(s, "Run of rollback_deploy") {
		t.Fatalf("Alice's own approval moved her request on:\n%s", s)
	}

	// Alice's other cockpit lists her request as hers and refuses to
	// approve it: PagerDuty says who she is there too.
	again.waitFor("her other cockpit's list", 15*time.Second, contains("payment-gateway 5xx"))
	again.send("P")
	again.waitFor("her own request, marked", 45*time.Second, contains("· yours"))
	settle()
	again.send("Enter")
	again.waitFor("the plan on her other cockpit", 30*time.Second, contains("✓ same plan"))
	settle()
	again.send("approve")
	again.waitFor("the typed answer", 10*time.Second, contains("> approve"))
	again.send("Enter")
	again.waitFor("the refusal", 10*time.Second, contains("refused: you asked for this: another PagerDuty user must approve it"))

	// Bob: pending in the header, the same plan, approved by typing.
	bob.waitFor("Bob's pending approval", 45*time.Second, contains("[1 approval pending: P]"))
	bob.send("P")
	bob.waitFor("the pending list", 10*time.Second, contains(short+" "+m[2]))
	settle()
	bob.send("Enter")
	bob.waitFor("Bob's own plan", 30*time.Second, contains("✓ same plan: its SHA-256 matches the request's"))
	settle()
	bob.send(short)
	bob.waitFor("the typed answer", 10*time.Second, contains("> "+short))
	bob.send("Enter")
	bob.waitFor("the approval sent", 15*time.Second, contains("none in the open incidents listed"))

	alice.send("r")
	alice.waitFor("the approved run", 90*time.Second, func(s string) bool {
		return strings.Contains(s, "Run of rollback_deploy on payment-gateway (prod)  ✓ exit 0")
	})
	notes, err := asAlice.ListIncidentNotesWithContext(ctx, incID)
	if err != nil {
		t.Fatal(err)
	}
	approvedByBob := false
	for _, n := range notes {
		if msg, err := approval.Parse(n.Content); err == nil && msg.Decision != nil && msg.Decision.RequestID == req.ID && n.User.Summary == "Bob Okafor" && msg.Decision.Approved() {
			approvedByBob = true
		}
	}
	if !approvedByBob {
		t.Errorf("no approval by Bob Okafor among the notes: %+v", notes)
	}
	alice.send("Escape")
}

// incidentWithTitle is the ID of the open incident whose title holds sub.
func incidentWithTitle(ctx context.Context, t *testing.T, c *pd.Client, sub string) string {
	t.Helper()
	list, err := c.ListIncidentsWithContext(ctx, pd.ListIncidentsOptions{Statuses: []string{"triggered", "acknowledged"}, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range list.Incidents {
		if strings.Contains(in.Title, sub) {
			return in.ID
		}
	}
	t.Fatalf("no open incident titled %q", sub)
	return ""
}
