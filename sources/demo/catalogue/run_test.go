package catalogue

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sitrep/actions"
)

type notes struct{ got []string }

func (n *notes) Reassign(context.Context, string, string) error { return nil }
func (n *notes) Escalate(_ context.Context, id string, l uint) error {
	n.got = append(n.got, "escalate")
	return nil
}
func (n *notes) Snooze(context.Context, string, time.Duration) error        { return nil }
func (n *notes) Merge(context.Context, string, []string) error              { return nil }
func (n *notes) SetUrgency(context.Context, string, string) error           { return nil }
func (n *notes) SetPriority(context.Context, string, string) error          { return nil }
func (n *notes) AddResponder(context.Context, string, string, string) error { return nil }
func (n *notes) StatusUpdate(context.Context, string, string) error         { return nil }
func (n *notes) AddNote(_ context.Context, id, c string) error {
	n.got = append(n.got, "note "+c)
	return nil
}

func demoEngine(t *testing.T, edgeURL, config string) (*actions.Engine, *notes, *[]actions.Record) {
	t.Helper()
	c, probs, err := load(t.TempDir())
	if err != nil || len(probs) > 0 {
		t.Fatalf("load: %v %v", err, probs)
	}
	echo, err := exec.LookPath("echo")
	if err != nil {
		t.Skip("no echo binary")
	}
	var recs []actions.Record
	pd := &notes{}
	return &actions.Engine{
		Catalogue: c,
		// echo stands in for the sitrep binary: the argv it prints is the
		// demo-ctl call sitrep would make.
		Caller:    Caller(echo, edgeURL, config, "/state/demo.json"),
		LookupEnv: func(k string) (string, bool) { v := os.Getenv(k); return v, k == "PATH" || k == "HOME" },
		User:      "Alice",
		PagerDuty: pd,
		Record:    func(r actions.Record) { recs = append(recs, r) },
	}, pd, &recs
}

var incident = actions.Target{IncidentID: "PDEMO01", IncidentNumber: 7, Title: "5xx rate high on payment-gateway", Status: "triggered", Service: "payment-gateway", Env: "prod"}

func TestDemoRestartService(t *testing.T) {
	e, pd, recs := demoEngine(t, "http://127.0.0.1:1", "/nonexistent/release.conf")
	p, err := e.Prepare(context.Background(), "restart_service", nil, incident)
	if err != nil {
		t.Fatal(err)
	}
	if p.ConfirmLevel() != actions.ConfirmTyped || p.Risk() != actions.RiskMedium {
		t.Errorf("confirm %s risk %s", p.ConfirmLevel(), p.Risk())
	}
	if err := p.Confirm("payment-gateway"); err != nil {
		t.Fatal(err)
	}
	res, err := p.Run(context.Background(), nil)
	if err != nil || !res.OK {
		t.Fatalf("run %+v %v", res, err)
	}
	if res.Output != "demo-ctl restart --service=payment-gateway --env=prod --state-file=/state/demo.json\n" {
		t.Errorf("output = %q", res.Output)
	}
	if len(pd.got) != 1 || !strings.HasPrefix(pd.got[0], "note restart_service on payment-gateway (prod) by Alice: exit 0 in ") {
		t.Errorf("pagerduty = %q", pd.got)
	}
	if len(*recs) != 5 {
		t.Errorf("records = %d", len(*recs))
	}
}

func TestDemoRollbackDeploy(t *testing.T) {
	if _, err := exec.LookPath("ansible-playbook"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("ansible-playbook missing in CI: %s", actions.AnsibleInstallHint)
		}
		t.Skipf("ansible-playbook not found; install it with: %s", actions.AnsibleInstallHint)
	}
	conf := filepath.Join(t.TempDir(), "release.conf")
	old := "# Managed by sitrep's rollback_deploy; edits are overwritten.\nservice = payment-gateway\nenv = prod\nversion = v1.5.0\n"
	if err := os.WriteFile(conf, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	e, _, _ := demoEngine(t, "http://127.0.0.1:1", conf)
	ctx := context.Background()
	p, err := e.Prepare(ctx, "rollback_deploy", nil, incident)
	if err != nil {
		t.Fatal(err)
	}
	if p.Verdict.BlockedBy != actions.RuleDryRun {
		t.Errorf("verdict before dry run = %s", p.Verdict)
	}
	dr := p.DryRun(ctx, nil)
	if !dr.OK || dr.Summary == nil || len(dr.Summary.Diffs) != 1 || !strings.Contains(dr.Summary.Diffs[0].Diff, "+version = v2.13.4") {
		t.Fatalf("dry run = %s %+v\n%s", dr.Text, dr.Summary, dr.Output)
	}
	if b, _ := os.ReadFile(conf); string(b) != old {
		t.Fatal("the dry run changed the file")
	}
	if err := p.Confirm("payment-gateway"); err != nil {
		t.Fatal(err)
	}
	// A rollback needs a second person's approval before it runs.
	if _, err := p.Run(ctx, nil); err == nil || !strings.Contains(err.Error(), "needs approval by one of PPAYMTS") {
		t.Fatalf("a rollback ran without approval: %v", err)
	}
	p, err = e.Prepare(ctx, "rollback_deploy", nil, incident)
	if err != nil {
		t.Fatal(err)
	}
	if dr := p.DryRun(ctx, nil); !dr.OK {
		t.Fatalf("second dry run = %s", dr.Text)
	}
	if err := p.Confirm("payment-gateway"); err != nil {
		t.Fatal(err)
	}
	p.GrantApproval(actions.ApprovalGrant{RequestID: "0123456789abcdef", By: "Bob Okafor", ByID: "PBOB", At: time.Now()})
	res, err := p.Run(ctx, nil)
	if err != nil || !res.OK {
		t.Fatalf("run = %s %v\n%s", res.Text, err, res.Output)
	}
	if b, _ := os.ReadFile(conf); !strings.Contains(string(b), "version = v2.13.4") {
		t.Errorf("file after rollback = %q", b)
	}
}

func TestDemoBlockIP(t *testing.T) {
	var got map[string]string
	var dry bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/ip-blocks" {
			http.NotFound(w, r)
			return
		}
		b, _ := io.ReadAll(r.Body)
		if r.URL.Query().Get("dry_run") == "true" {
			dry = true
			_, _ = io.WriteString(w, `{"would_drop": 120}`)
			return
		}
		_ = json.Unmarshal(b, &got)
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	e, _, _ := demoEngine(t, srv.URL, "/nonexistent/release.conf")
	inc := incident
	inc.Env = "staging"
	p, err := e.Prepare(context.Background(), "block_ip", map[string]string{"ip": "198.51.100.4"}, inc)
	if err != nil {
		t.Fatal(err)
	}
	if dr := p.DryRun(context.Background(), nil); !dr.OK || !dry {
		t.Fatalf("dry run = %+v", dr)
	}
	if err := p.Confirm("yes"); err != nil {
		t.Fatal(err)
	}
	res, err := p.Run(context.Background(), nil)
	if err != nil || res.ExitCode != 201 {
		t.Fatalf("run = %+v %v", res, err)
	}
	if got["ip"] != "198.51.100.4" || got["incident"] != "PDEMO01" || got["ttl"] != "30m" {
		t.Errorf("edge API got %v", got)
	}
	if _, err := e.Prepare(context.Background(), "block_ip", map[string]string{"ip": "1.2.3.4/8"}, inc); err == nil {
		t.Error("a /8 block was accepted")
	}
}
