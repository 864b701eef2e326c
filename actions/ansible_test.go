package actions

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// requireAnsible skips without ansible-playbook, except in CI, where a
// missing tool is a failure.
func requireAnsible(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("ansible-playbook"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("ansible-playbook not found in CI: install it with %s", AnsibleInstallHint)
		}
		t.Skipf("ansible-playbook not found; install it with: %s", AnsibleInstallHint)
	}
}

func TestAnsibleCheckThenRun(t *testing.T) {
	requireAnsible(t)
	c, probs := Load(filepath.Join(tdata, "ansible"))
	if len(probs) > 0 {
		t.Fatalf("problems: %v", probs)
	}
	dest := filepath.Join(t.TempDir(), "app.conf")
	const before = "# managed by the sitrep ansible test\nversion = v1.0\n"
	if err := os.WriteFile(dest, []byte(before), 0o644); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	e := &Engine{Catalogue: c, Caller: map[string]string{"dest": dest}, User: "Alice", Record: rec.add,
		LookupEnv: func(k string) (string, bool) {
			if k == "PATH" || k == "HOME" {
				return os.Getenv(k), true
			}
			return "", false
		}}
	ctx := context.Background()
	p, err := e.Prepare(ctx, "write_config", map[string]string{"version": "v2.0"}, stagingIncident)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(p.BlastRadius, ",") != "localhost" || p.Fleet != 1 {
		t.Errorf("blast radius = %v of %d", p.BlastRadius, p.Fleet)
	}
	if !strings.Contains(strings.Join(p.Preview.DryRun, " "), "--check --diff") {
		t.Errorf("dry run argv = %q", p.Preview.DryRun)
	}
	if p.Verdict.Allowed || p.Verdict.BlockedBy != RuleDryRun {
		t.Errorf("verdict before the dry run = %s", p.Verdict)
	}

	dr := p.DryRun(ctx, nil)
	if !dr.OK || dr.Summary == nil {
		t.Fatalf("dry run = %s\n%s", dr.Text, dr.Output)
	}
	if !dr.Summary.CheckMode || dr.Summary.Hosts["localhost"].Changed != 1 {
		t.Errorf("check summary = %+v", dr.Summary)
	}
	if len(dr.Summary.Diffs) != 1 || !strings.Contains(dr.Summary.Diffs[0].Diff, "-version = v1.0") || !strings.Contains(dr.Summary.Diffs[0].Diff, "+version = v2.0") {
		t.Errorf("diffs = %+v", dr.Summary.Diffs)
	}
	if b, _ := os.ReadFile(dest); string(b) != before {
		t.Fatalf("check mode changed the file: %q", b)
	}
	if !p.Verdict.Allowed {
		t.Fatalf("verdict after a good dry run = %s", p.Verdict)
	}

	if err := p.Confirm("yes"); err != nil {
		t.Fatal(err)
	}
	c2 := newCollector()
	res, err := p.Run(ctx, c2.add)
	if err != nil || !res.OK {
		t.Fatalf("run = %s %v\n%s", res.Text, err, res.Output)
	}
	if res.Summary == nil || res.Summary.CheckMode || res.Summary.Hosts["localhost"].Changed != 1 || res.Summary.Hosts["localhost"].Failed != 0 {
		t.Errorf("run summary = %+v", res.Summary)
	}
	if !strings.Contains(c2.text(""), "changed: [localhost] Render app.conf") {
		t.Errorf("live output = %q", c2.text(""))
	}
	if b, _ := os.ReadFile(dest); !strings.Contains(string(b), "version = v2.0") {
		t.Errorf("file after run = %q", b)
	}
	if got := rec.steps(); got != "previewed,previewed,confirmed,started,output,finished" {
		t.Errorf("steps = %s", got)
	}
}

func TestParseListHosts(t *testing.T) {
	out := "\nplaybook: site.yml\n\n  play #1 (all): Write the app config\tTAGS: []\n    pattern: ['all']\n    hosts (2):\n      web1\n      web2\n"
	if got := strings.Join(parseListHosts(out), ","); got != "web1,web2" {
		t.Errorf("hosts = %s", got)
	}
}
