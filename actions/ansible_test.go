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
	if got := rec.steps(); got != "previewed,confirmed,started,output,finished" {
		t.Errorf("steps = %s", got)
	}
}

func TestParseListHosts(t *testing.T) {
	out := "\nplaybook: site.yml\n\n  play #1 (all): Write the app config\tTAGS: []\n    pattern: ['all']\n    hosts (2):\n      web1\n      web2\n"
	if got := strings.Join(parseListHosts(out), ","); got != "web1,web2" {
		t.Errorf("hosts = %s", got)
	}
}

// TestAnsibleExtraVarsAreNotTemplated runs a real playbook with a value
// that Jinja would run as a command: it must arrive literally, and nothing
// may run, in the dry run, the run and the --list-hosts probe.
func TestAnsibleExtraVarsAreNotTemplated(t *testing.T) {
	requireAnsible(t)
	dir := t.TempDir()
	canary := filepath.Join(dir, "canary")
	hostile := `{{ lookup('pipe', 'touch ` + canary + `') }}{% if true %}x{% endif %}'"`
	newRunner := func(out string) *AnsibleRunner {
		return &AnsibleRunner{
			Playbook: filepath.Join(tdata, "ansible", "unsafe.yml"), Inventory: "localhost,", Connection: "local",
			ExtraVars: map[string]string{"svc": hostile, "out": out, "target": "localhost"},
			Env:       []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}, Redactor: &Redactor{},
		}
	}
	ctx := context.Background()
	for _, mode := range []string{"check", "run"} {
		out := filepath.Join(dir, mode+".out")
		r := newRunner(out)
		var res Result
		if mode == "check" {
			res = r.DryRun(ctx, nil)
		} else {
			res = r.Run(ctx, nil)
		}
		if !res.OK {
			t.Fatalf("%s = %s\n%s", mode, res.Text, res.Output)
		}
		if b, err := os.ReadFile(out); err != nil || string(b) != hostile {
			t.Errorf("%s: svc arrived as %q (%v), want %q", mode, b, err, hostile)
		}
		if _, err := os.Stat(canary); err == nil {
			t.Fatalf("%s: the lookup ran on the controller", mode)
		}
	}

	r := newRunner(filepath.Join(dir, "unused"))
	r.ExtraVars["target"] = `{{ lookup('pipe', 'touch ` + canary + `') }}`
	_, _ = r.ListHosts(ctx)
	if _, err := os.Stat(canary); err == nil {
		t.Fatal("--list-hosts: the lookup ran on the controller")
	}
	// The control: the same runner with a plain target lists localhost.
	r.ExtraVars["target"] = "localhost"
	if hosts, err := r.ListHosts(ctx); err != nil || strings.Join(hosts, ",") != "localhost" {
		t.Errorf("list hosts = %v, %v", hosts, err)
	}
}

func TestAnsibleExtraVarsPreview(t *testing.T) {
	r := &AnsibleRunner{Playbook: "site.yml", Inventory: "localhost,",
		ExtraVars: map[string]string{"version": "v2.0", "note": "it's {{ x }}", "token": "s3cr3t-value"}, Redactor: &Redactor{}}
	r.Redactor.Add("s3cr3t-value")
	p := r.Preview()
	cmd := strings.Join(p.Command, " ")
	if !strings.Contains(cmd, "--extra-vars @") || strings.Contains(cmd, "v2.0") {
		t.Errorf("command = %q, want the vars passed as a file", cmd)
	}
	if want := `note='it''s {{ x }}' token='***' version='v2.0'`; p.Body != want {
		t.Errorf("preview vars = %q, want %q", p.Body, want)
	}
	y, err := extraVarsYAML(r.ExtraVars)
	if err != nil {
		t.Fatal(err)
	}
	if want := "'note': !unsafe 'it''s {{ x }}'\n'token': !unsafe 's3cr3t-value'\n'version': !unsafe 'v2.0'\n"; y != want {
		t.Errorf("vars file = %q, want %q", y, want)
	}
	for _, bad := range []map[string]string{{"a-b": "x"}, {"1a": "x"}, {"": "x"}, {"a": "line\nbreak"}, {"a": "nul\x00"}} {
		if _, err := extraVarsYAML(bad); err == nil {
			t.Errorf("extraVarsYAML(%q) was accepted", bad)
		}
	}
}
