package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"sitrep/actions"
	"sitrep/sources/demo/catalogue"
)

// runRoot runs sitrep's root command with args, as main does, and returns
// what it printed (stdout and stderr together) and its error.
func runRoot(t *testing.T, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetIn(strings.NewReader(""))
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	return out.String(), err
}

func TestActionsCheckDemoCatalogue(t *testing.T) {
	dir, err := catalogue.Install(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	out, err := runRoot(t, "actions", "check", dir)
	if err != nil {
		t.Fatalf("check on the demo catalogue: %v\n%s", err, out)
	}
	// It says what it checked: the demo's own actions, its runbook, and
	// the built-in operations it does not replace.
	want := "ok: " + dir + " (checked 9 actions, 1 runbook; 6 PagerDuty operations built in)\n"
	if out != want {
		t.Errorf("check printed %q, want %q", out, want)
	}
}

func TestActionsCheckBrokenCatalogue(t *testing.T) {
	dir := filepath.Join("testdata", "broken")
	file := filepath.Join(dir, "actions.yaml")
	out, err := runRoot(t, "actions", "check", dir)
	if err == nil {
		t.Fatalf("check on a broken catalogue succeeded:\n%s", out)
	}
	if !strings.Contains(err.Error(), "4 problem(s) in "+dir) {
		t.Errorf("err = %v, want the count of problems and the path", err)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	// Each problem at the line and column of what is wrong, in file order.
	want := []struct{ pos, text string }{
		{file + ":2:9: ", "action no_explain: missing explain"},
		{file + ":15:23: ", `action bad_pattern: parameter host: bad pattern "[a-z"`},
		{file + ":24:13: ", `action unknown_runner: unknown runner "ssh" (want exec, ansible, http or pagerduty)`},
		{file + ":35:9: ", "action twice: duplicate name: already defined at " + file + ":27:9"},
	}
	if len(lines) != len(want) {
		t.Fatalf("check printed %d lines, want %d:\n%s", len(lines), len(want), out)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w.pos+w.text) {
			t.Errorf("line %d = %q, want it to start with %q", i+1, lines[i], w.pos+w.text)
		}
	}
	if strings.Contains(out, "ok:") {
		t.Errorf("a broken catalogue was called ok:\n%s", out)
	}
}

func TestActionsCheckConfiguredDirectory(t *testing.T) {
	// Without arguments, check reads actions.dir from the config file.
	dir, err := catalogue.Install(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfg, []byte("actions: {dir: "+strconv.Quote(dir)+"}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runRoot(t, "actions", "check", "--config", cfg)
	if err != nil || !strings.HasPrefix(out, "ok: "+dir+" (checked ") {
		t.Errorf("check with actions.dir: %v\n%s", err, out)
	}
}

func TestActionsLs(t *testing.T) {
	dir, err := catalogue.Install(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	out, err := runRoot(t, "actions", "ls", dir)
	if err != nil {
		t.Fatalf("ls: %v\n%s", err, out)
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) >= 3 && !strings.HasPrefix(line, "runbook:") {
			rows[f[0]] = f[1:3]
		}
	}
	want := map[string][2]string{
		"restart_service":      {"medium", "exec"},
		"restart_stuck_worker": {"low", "exec"},
		"scale_up":             {"low", "exec"},
		"rollback_deploy":      {"high", "ansible"},
		"block_ip":             {"medium", "http"},
		"check_health":         {"low", "exec"},
		"escalate":             {"low", "pagerduty"},
		"reassign":             {"low", "pagerduty"},
		"snooze":               {"low", "pagerduty"},
		"merge":                {"high", "pagerduty"},
		"add_responder":        {"low", "pagerduty"},
		"set_urgency":          {"low", "pagerduty"},
		"set_priority":         {"low", "pagerduty"},
		"route":                {"medium", "pagerduty"},
		"status_update":        {"low", "pagerduty"},
		"NAME":                 {"RISK", "RUNNER"},
	}
	if len(rows) != len(want) {
		t.Errorf("ls listed %d actions, want %d:\n%s", len(rows), len(want), out)
	}
	for name, w := range want {
		got, ok := rows[name]
		if !ok {
			t.Errorf("ls does not list %s:\n%s", name, out)
			continue
		}
		if got[0] != w[0] {
			t.Errorf("%s: risk %q, want %q", name, got[0], w[0])
		}
		if got[1] != w[1] {
			t.Errorf("%s: runner %q, want %q", name, got[1], w[1])
		}
	}
	for _, w := range []string{"restart_service       medium  exec       all services / staging,prod", "rollback_deploy       high    ansible    payment-gateway / staging,prod"} {
		if !strings.Contains(out, w) {
			t.Errorf("ls lacks the row %q:\n%s", w, out)
		}
	}
	// Every column starts where its header does, whatever the widths.
	lines := strings.Split(out, "\n")
	title := strings.Index(lines[0], "TITLE")
	for _, l := range lines[1:] {
		if l == "" || strings.HasPrefix(l, "runbook:") {
			continue
		}
		if len(l) < title || l[title-1] != ' ' || l[title] == ' ' {
			t.Errorf("row %q: its title does not start under TITLE (column %d):\n%s", l, title, out)
		}
	}
	if !strings.Contains(out, "runbook: payment-gateway 5xx spike (payment-gateway) — ") {
		t.Errorf("ls lacks the payment-gateway runbook:\n%s", out)
	}
}

func TestActionsCheckWarnsLeadingDash(t *testing.T) {
	dir := filepath.Join("..", "..", "actions", "testdata", "catalogues", "dash")
	out, err := runRoot(t, "actions", "check", dir)
	if err != nil {
		t.Fatalf("warnings failed the check: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	want := []string{
		filepath.Join(dir, "actions.yaml") + `:7:24: warning: action tag: parameter label: its pattern "[a-z0-9-]{1,20}" admits a value that begins with "-"`,
		filepath.Join(dir, "runbooks", "dash.md") + `:8:26: warning: action say: parameter word: its pattern "[-a-z]+" admits`,
		"ok: " + dir + " (checked ",
	}
	if len(lines) != len(want) {
		t.Fatalf("check printed %d lines, want %d:\n%s", len(lines), len(want), out)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d = %q, want it to start with %q", i+1, lines[i], w)
		}
	}
	// Each warning says how to fix it, in the form its file uses.
	if !strings.Contains(lines[0], "add allow_leading_dash: true to the parameter") || !strings.Contains(lines[1], "add allow_leading_dash.word=true to the fence") {
		t.Errorf("the warnings do not give the fix:\n%s", out)
	}
}

func TestRunRefusesLeadingDash(t *testing.T) {
	rw := startRunWorld(t, filepath.Join("testdata", "run"))
	recorder := filepath.Join(t.TempDir(), "sitrep-test-recorder")
	script := "#!/bin/sh\nprintf '%s\\n' \"$@\" >>\"$HOME/canary\"\n"
	if err := os.WriteFile(recorder, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", filepath.Dir(recorder)+string(os.PathListSeparator)+os.Getenv("PATH"))

	// label's pattern, [a-z0-9-]{1,20}, admits "--all".
	out, err := rw.run(t, "annotate", map[string]string{"label": "--all"}, false, "payment-gateway", false, "")
	var pe *actions.ParamError
	if !errors.As(err, &pe) || !pe.LeadingDash {
		t.Fatalf("label=--all: err = %v, want a leading-dash refusal\n%s", err, out)
	}
	if msg := err.Error(); !strings.Contains(msg, `refused parameter label="--all"`) || !strings.Contains(msg, "allow_leading_dash: true") {
		t.Errorf("the refusal does not name the parameter and the fix: %v", err)
	}
	if _, err := os.Stat(filepath.Join(rw.home, "canary")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a refused run reached the recorder: %v", err)
	}
}
