package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The guards the documentation shows for production (typed confirmation,
// a required dry run) allow PagerDuty writes, and check says so; an exec
// action with no dry run under them is reported, not called ok.
func TestActionsCheckNeverAllowed(t *testing.T) {
	dir := t.TempDir()
	yaml := `guards:
  prod:
    confirm: typed
    require_dry_run: true
actions:
  - name: page_more
    explain: Escalates to level 2.
    runner: pagerduty
    pagerduty: {op: escalate, args: {level: "2"}}
    risk: low
`
	if err := os.WriteFile(filepath.Join(dir, "actions.yaml"), []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runRoot(t, "actions", "check", dir)
	if err != nil || !strings.HasPrefix(out, "ok: "+dir+" (checked 1 action, 0 runbooks; 9 PagerDuty operations built in)") {
		t.Fatalf("check on PagerDuty writes under require_dry_run: %v\n%s", err, out)
	}

	yaml += `  - name: restart
    explain: Restarts, with no dry run.
    runner: exec
    exec: {argv: [echo, restart]}
    risk: medium
`
	if err := os.WriteFile(filepath.Join(dir, "actions.yaml"), []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = runRoot(t, "actions", "check", dir)
	if err == nil || !strings.Contains(err.Error(), "1 problem(s) in "+dir+" (checked 2 actions, 0 runbooks") {
		t.Fatalf("check on an action the guards never allow: %v\n%s", err, out)
	}
	want := filepath.Join(dir, "actions.yaml") + ":2:3: action restart: the guards never allow it in prod: require_dry_run is true and it has no dry run"
	if !strings.HasPrefix(out, want) {
		t.Errorf("check printed %q, want it to start with %q", out, want)
	}
}
