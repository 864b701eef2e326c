package approval

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sitrep/actions"
	"sitrep/sources/pagerduty"
)

const catalogueYAML = `
guards:
  prod:
    approval: {required: true, approvers: [PTEAM01, PBOB001], expires: 15m}
actions:
  - name: rollback_deploy
    explain: puts the previous release back
    risk: high
    params:
      service: {pattern: '[a-z][a-z0-9-]*', from: service}
      release: {pattern: '[a-z0-9.]+', default: "v1"}
    runner: exec
    exec:
      argv: [echo, rollback, "{{.service}}", "{{.release}}"]
`

var t0 = time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)

func engine(t *testing.T, yaml string) *actions.Engine {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "actions.yaml"), []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cat, problems := actions.Load(dir)
	if len(problems) > 0 {
		t.Fatalf("catalogue: %v", problems)
	}
	return &actions.Engine{Catalogue: cat, Now: func() time.Time { return t0 }, User: "Alice Chen"}
}

func plan(t *testing.T, e *actions.Engine, params map[string]string) *actions.Plan {
	t.Helper()
	p, err := e.Prepare(context.Background(), "rollback_deploy", params,
		actions.Target{IncidentID: "Q1INC", IncidentNumber: 12, Title: "5xx on payment-gateway", Status: "triggered", Service: "payment-gateway", Env: "prod"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func mustRequest(t *testing.T, p *actions.Plan) Request {
	t.Helper()
	r, err := NewRequest(p, t0)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func hash(t *testing.T, p *actions.Plan) string {
	t.Helper()
	h, err := PlanHash(p)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func note(id, content, author string, at time.Time) pagerduty.Note {
	return pagerduty.Note{ID: id, Content: content, User: pagerduty.Ref{ID: author, Name: author}, At: at}
}

func TestGuardNeedsApproval(t *testing.T) {
	p := plan(t, engine(t, catalogueYAML), nil)
	v := p.Verdict
	if v.Allowed || !v.NeedsApproval || !v.AwaitsOnlyApproval() {
		t.Fatalf("verdict %q: want blocked only by approval", v)
	}
	if want := "needs approval by one of PTEAM01, PBOB001"; !strings.Contains(v.String(), want) {
		t.Fatalf("verdict %q does not say %q", v, want)
	}
	// A typed confirmation is the request; Run still refuses until the
	// approval is granted.
	if err := p.Confirm("payment-gateway"); err != nil {
		t.Fatalf("confirm the request: %v", err)
	}
	if _, err := p.Run(context.Background(), nil); err == nil {
		t.Fatal("a plan that needs approval ran without one")
	}
	v = p.GrantApproval(actions.ApprovalGrant{RequestID: "0123456789abcdef", By: "Bob Okafor", ByID: "PBOB001", At: t0.Add(time.Minute)})
	if !v.Allowed {
		t.Fatalf("after approval: %q", v)
	}
	res, err := p.Run(context.Background(), nil)
	if err != nil || !res.OK {
		t.Fatalf("run after approval: %v %+v", err, res)
	}
}

func TestApprovalYAMLProblems(t *testing.T) {
	for _, tc := range []struct{ guard, want string }{
		{`{required: true}`, "approval.required needs approvers"},
		{`{required: true, approvers: [bob]}`, `"bob" is not a PagerDuty user or team ID`},
		{`{required: true, approvers: [PBOB001], expires: 3d}`, "approval.expires"},
		{`{required: true, approvers: [PBOB001], expires: 48h}`, "at most 24h"},
		{`{required: true, approvers: [PBOB001], when: always}`, "when"},
	} {
		dir := t.TempDir()
		yaml := strings.Replace(catalogueYAML, "{required: true, approvers: [PTEAM01, PBOB001], expires: 15m}", tc.guard, 1)
		if err := os.WriteFile(filepath.Join(dir, "actions.yaml"), []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		_, problems := actions.Load(dir)
		var all []string
		for _, p := range problems {
			all = append(all, p.String())
		}
		if !strings.Contains(strings.Join(all, "\n"), tc.want) {
			t.Errorf("guard %s: problems %q, want one saying %q", tc.guard, all, tc.want)
		}
		if len(all) > 0 && !strings.Contains(all[0], "actions.yaml:4") {
			t.Errorf("guard %s: problem %q does not name its line", tc.guard, all[0])
		}
	}
}

func TestRoundTrip(t *testing.T) {
	p := plan(t, engine(t, catalogueYAML), map[string]string{"release": "v41"})
	r := mustRequest(t, p)
	if r.Params["release"] != "v41" || r.Params["service"] != "payment-gateway" {
		t.Fatalf("params %v", r.Params)
	}
	if got := r.Expires.Sub(t0); got != 15*time.Minute {
		t.Fatalf("expires after %s, want 15m", got)
	}
	text := RequestNote(r, p, RequestInfo{Requester: "Alice Chen", IncidentLabel: "#12", Why: "5xx on payment-gateway", DryRun: "no dry run", Verdict: p.Verdict.Explain()})
	for _, want := range []string{"Alice Chen asks to run rollback_deploy on payment-gateway (prod) for incident #12", "Command: echo rollback payment-gateway v41",
		"Blast radius: 1", "needs approval by one of", "typing " + Short(r.ID)} {
		if !strings.Contains(text, want) {
			t.Errorf("request note lacks %q:\n%s", want, text)
		}
	}
	m, err := Parse(text)
	if err != nil || m.Request == nil {
		t.Fatalf("parse: %v %+v", err, m)
	}
	got := *m.Request
	if got.ID != r.ID || got.PlanHash != r.PlanHash || !got.Expires.Equal(r.Expires) || got.Params["release"] != "v41" || got.Incident != "Q1INC" {
		t.Fatalf("round trip: got %+v, want %+v", got, r)
	}
	d := Decision{RequestID: r.ID, Decision: Approve, PlanHash: r.PlanHash, Reason: "looks right"}
	dm, err := Parse(DecisionNote(d, r, "Bob Okafor"))
	if err != nil || dm.Decision == nil || *dm.Decision != d {
		t.Fatalf("decision round trip: %v %+v", err, dm.Decision)
	}
	w := Withdrawal{RequestID: r.ID, Reason: "fixed by itself"}
	wm, err := Parse(WithdrawalNote(w, r, "Alice Chen"))
	if err != nil || wm.Withdrawal == nil || *wm.Withdrawal != w {
		t.Fatalf("withdrawal round trip: %v %+v", err, wm.Withdrawal)
	}
}

func TestPlanHash(t *testing.T) {
	e := engine(t, catalogueYAML)
	a, b := plan(t, e, map[string]string{"release": "v41"}), plan(t, e, map[string]string{"release": "v41"})
	if hash(t, a) != hash(t, b) {
		t.Fatal("the same plan prepared twice hashes differently")
	}
	if hash(t, a) == hash(t, plan(t, e, map[string]string{"release": "v40"})) {
		t.Fatal("a different release hashes the same")
	}
	// A value sitrep supplies itself differs between machines (its own
	// binary's path): the same plan on both.
	withCaller := strings.Replace(catalogueYAML, "      release:", "      tool: {pattern: '/[a-z/]+', from: caller}\n      release:", 1)
	withCaller = strings.Replace(withCaller, "argv: [echo, rollback,", "argv: [\"{{.tool}}\", rollback,", 1)
	alice, bob := engine(t, withCaller), engine(t, withCaller)
	alice.Caller, bob.Caller = map[string]string{"tool": "/home/alice/bin/echo"}, map[string]string{"tool": "/usr/local/bin/echo"}
	if hash(t, plan(t, alice, nil)) != hash(t, plan(t, bob, nil)) {
		t.Fatal("a caller value that differs between machines makes another plan")
	}
	// The approver's catalogue renders another command: another plan.
	other := engine(t, strings.Replace(catalogueYAML, "argv: [echo, rollback,", "argv: [echo, rollback, --force,", 1))
	if hash(t, a) == hash(t, plan(t, other, map[string]string{"release": "v41"})) {
		t.Fatal("a changed argv hashes the same")
	}
}

func TestParseRefuses(t *testing.T) {
	p := plan(t, engine(t, catalogueYAML), nil)
	good := RequestNote(mustRequest(t, p), p, RequestInfo{Requester: "Alice"})
	block := func(json string) string { return "hello\n```sitrep-approval\n" + json + "\n```\n" }
	for _, tc := range []struct{ name, content, want string }{
		{"oversize", block(`{"v":1,"kind":"request","reason":"` + strings.Repeat("x", MaxBlock) + `"}`), "over the limit"},
		{"unknown field", block(`{"v":1,"kind":"decision","id":"0123456789abcdef","decision":"approve","plan_sha256":"` + strings.Repeat("a", 64) + `","by":"PBOB001"}`), "unknown field"},
		{"bad hash", block(`{"v":1,"kind":"decision","id":"0123456789abcdef","decision":"approve","plan_sha256":"abc"}`), "plan_sha256"},
		{"bad id", block(`{"v":1,"kind":"withdrawal","id":"../../etc"}`), "16 hex digits"},
		{"unknown kind", block(`{"v":1,"kind":"override","id":"0123456789abcdef"}`), "unknown kind"},
		{"two blocks", good + "\n" + good, "2 approval blocks"},
		{"unclosed", "```sitrep-approval\n{}", "not closed"},
		{"version", block(`{"v":2,"kind":"withdrawal","id":"0123456789abcdef"}`), "version 2"},
		{"control chars", block(`{"v":1,"kind":"withdrawal","id":"0123456789abcdef","reason":"a\u001b[2Jb"}`), "printable"},
		{"trailing value", block(`{"v":1,"kind":"withdrawal","id":"0123456789abcdef"} {}`), "more than one"},
	} {
		if _, err := Parse(tc.content); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", tc.name, err, tc.want)
		}
	}
	if _, err := Parse("just a note about ``` fences"); err != ErrNoBlock {
		t.Errorf("an ordinary note: %v, want ErrNoBlock", err)
	}
}

func TestReadDecisionRules(t *testing.T) {
	p := plan(t, engine(t, catalogueYAML), nil)
	r := mustRequest(t, p)
	req := note("N1", RequestNote(r, p, RequestInfo{Requester: "Alice"}), "PALICE1", t0)
	approve := func(hash string) string {
		return DecisionNote(Decision{RequestID: r.ID, Decision: Approve, PlanHash: hash}, r, "someone")
	}
	tampered := strings.Repeat("0", 64)
	for _, tc := range []struct {
		name   string
		notes  []pagerduty.Note
		now    time.Time
		status Status
		by     string
		why    string // a reason among the ignored notes
	}{
		{"pending", []pagerduty.Note{req}, t0.Add(time.Minute), Pending, "", ""},
		{"approved by another user", []pagerduty.Note{req, note("N2", approve(r.PlanHash), "PBOB001", t0.Add(2*time.Minute))}, t0.Add(3 * time.Minute), Approved, "PBOB001", ""},
		{"self-approval", []pagerduty.Note{req, note("N2", approve(r.PlanHash), "PALICE1", t0.Add(2*time.Minute))}, t0.Add(3 * time.Minute), Pending, "", "its own requester"},
		{"tampered hash", []pagerduty.Note{req, note("N2", approve(tampered), "PBOB001", t0.Add(2*time.Minute))}, t0.Add(3 * time.Minute), Pending, "", "different plan"},
		{"approved after expiry", []pagerduty.Note{req, note("N2", approve(r.PlanHash), "PBOB001", t0.Add(16*time.Minute))}, t0.Add(17 * time.Minute), Expired, "", "expired"},
		{"expired without decision", []pagerduty.Note{req}, t0.Add(15 * time.Minute), Expired, "", ""},
		{"denied first wins", []pagerduty.Note{req,
			note("N2", DecisionNote(Decision{RequestID: r.ID, Decision: Deny, PlanHash: r.PlanHash, Reason: "not now"}, r, "x"), "PCARMEN", t0.Add(time.Minute)),
			note("N3", approve(r.PlanHash), "PBOB001", t0.Add(2*time.Minute))}, t0.Add(3 * time.Minute), Denied, "PCARMEN", "denied already"},
		{"withdrawn by requester", []pagerduty.Note{req, note("N2", WithdrawalNote(Withdrawal{RequestID: r.ID}, r, "Alice"), "PALICE1", t0.Add(time.Minute))}, t0.Add(2 * time.Minute), Withdrawn, "PALICE1", ""},
		{"withdrawal by someone else", []pagerduty.Note{req, note("N2", WithdrawalNote(Withdrawal{RequestID: r.ID}, r, "Alice"), "PBOB001", t0.Add(time.Minute))}, t0.Add(2 * time.Minute), Pending, "", "only the requester"},
		{"no author", []pagerduty.Note{note("N1", req.Content, "", t0)}, t0, "", "", "no author"},
		{"request for another incident", []pagerduty.Note{note("N1", strings.Replace(req.Content, `"incident":"Q1INC"`, `"incident":"Q2OTHER"`, 1), "PALICE1", t0)}, t0, "", "", "not this one"},
		{"decision before request is unknown", []pagerduty.Note{note("N0", approve(r.PlanHash), "PBOB001", t0.Add(-time.Minute)), req}, t0.Add(time.Minute), Pending, "", "not on this incident"},
	} {
		th := Read("Q1INC", tc.notes, tc.now)
		var whys []string
		for _, ig := range th.Ignored {
			whys = append(whys, ig.Why)
		}
		if tc.why != "" && !strings.Contains(strings.Join(whys, "\n"), tc.why) {
			t.Errorf("%s: ignored %q, want a reason with %q", tc.name, whys, tc.why)
		}
		if tc.status == "" {
			if len(th.Requests) != 0 {
				t.Errorf("%s: requests %+v, want none", tc.name, th.Requests)
			}
			continue
		}
		e, ok := th.Find(r.ID)
		if !ok || e.Status != tc.status || e.DecidedBy.ID != tc.by && tc.by != "" {
			t.Errorf("%s: entry %+v, want status %s by %q", tc.name, e, tc.status, tc.by)
		}
	}
}

func TestInScope(t *testing.T) {
	if !InScope([]string{"PTEAM01"}, "PBOB001", []string{"PTEAM01"}) || !InScope([]string{"PBOB001"}, "PBOB001", nil) {
		t.Fatal("a member of an approving team, or a named approver, is in scope")
	}
	if InScope([]string{"PTEAM01"}, "PBOB001", []string{"PTEAM02"}) {
		t.Fatal("a user of another team is not in scope")
	}
}

// A request is announced to the action's Slack webhook too, when it has
// one; the URL is a credential and never appears in an error.
func TestRequestAnnouncedToSlack(t *testing.T) {
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- string(b)
	}))
	defer srv.Close()
	yaml := strings.Replace(catalogueYAML, "    runner: exec\n", "    runner: exec\n    announce: {slack_webhook_env: SLACK_URL}\n", 1)
	e := engine(t, yaml)
	e.LookupEnv = func(k string) (string, bool) {
		if k == "SLACK_URL" {
			return srv.URL, true
		}
		return "", false
	}
	p := plan(t, e, nil)
	if err := p.AnnounceSlack(context.Background(), "Alice Chen asks for approval to run rollback_deploy <!channel>"); err != nil {
		t.Fatal(err)
	}
	if body := <-got; !strings.Contains(body, "asks for approval to run rollback_deploy") || strings.Contains(body, "<!channel>") {
		t.Errorf("Slack got %s", body)
	}
	srv.Close()
	err := p.AnnounceSlack(context.Background(), "again")
	if err == nil || strings.Contains(err.Error(), srv.URL) {
		t.Errorf("a failed announcement: %v (it must fail, and not show the webhook URL)", err)
	}
}
