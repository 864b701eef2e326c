package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The shell beside the cockpit: while the demo runs in one terminal and
// holds its journal, `sitrep run`, `journal show` and `export` from
// another process work, the runs go through the demo's own engine and
// journal, and the cockpit's J screen shows them.
func TestDoorEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("drives the real binary")
	}
	bin := buildSitrep(t)
	dir := t.TempDir()
	env, _ := demoEnv(dir)
	run := filepath.Join(dir, "run")
	if err := os.Mkdir(run, 0o700); err != nil {
		t.Fatal(err)
	}
	env = append(env, "XDG_RUNTIME_DIR="+run)
	term := startTerminal(t, 120, 40, env, bin, "demo", "--seed", "7", "--refresh", "2s")
	term.waitFor("the incident list", 15*time.Second, contains("payment-gateway 5xx rate"))
	journalPath := filepath.Join(dir, "data", "sitrep", "demo-journal.db")

	// The shell: the demo's journal named, and no token of its own (the
	// holder's is used).
	shell := func(args ...string) (stdout, stderr string, code int) {
		t.Helper()
		cmd := exec.Command(bin, append(args, "--journal", journalPath)...)
		cmd.Env = append(append(os.Environ(), env...), "PAGERDUTY_TOKEN=")
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		var ee *exec.ExitError
		switch {
		case errors.As(err, &ee):
			code = ee.ExitCode()
		case err != nil:
			t.Fatalf("sitrep %s: %v", strings.Join(args, " "), err)
		}
		return o.String(), e.String(), code
	}
	const through = "sitrep: the journal is held by the running sitrep (pid "

	out, errOut, code := shell("run", "restart_service", "--incident", "9", "--dry-run")
	if code != 0 || !strings.Contains(errOut, through) || !strings.Contains(out, "Restart the service (restart_service)") || !strings.Contains(out, "guards: allowed (confirm: typed)") {
		t.Fatalf("dry run from the shell: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if strings.Contains(out, "-- run --") {
		t.Errorf("the dry run ran:\n%s", out)
	}

	// Exit codes are those of a local run.
	if _, errOut, code := shell("run", "no_such_action", "--incident", "9", "--dry-run"); code != statusUsage || !strings.Contains(errOut, `unknown action "no_such_action"`) {
		t.Errorf("unknown action: exit %d\n%s", code, errOut)
	}
	if out, errOut, code := shell("run", "restart_service", "--incident", "9", "--confirm", "checkout-db"); code != statusRefused || !strings.Contains(errOut, "confirmation refused") || strings.Contains(out, "-- run --") {
		t.Errorf("wrong confirmation: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	out, errOut, code = shell("run", "restart_service", "--incident", "9", "--confirm", "payment-gateway")
	if code != 0 || !strings.Contains(out, "-- run --") || !strings.Contains(out, "done: 3/3 pods ready") || !strings.Contains(out, "-- exit 0 in ") {
		t.Fatalf("run from the shell: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	// Read from the shell while the cockpit holds the journal: the runs
	// are there, and say where they came from.
	out, errOut, code = shell("journal", "show", "9")
	if code != 0 {
		t.Fatalf("journal show: exit %d\n%s", code, errOut)
	}
	var marks, finished int
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "shell.run") && strings.Contains(line, "from the shell, through the running sitrep") {
			marks++
		}
		if strings.Contains(line, "action.finished") && strings.Contains(line, "restart_service finished on payment-gateway (prod): exit 0") {
			finished++
		}
	}
	// The dry run, the refused run and the run that ran.
	if marks != 3 || finished != 1 {
		t.Errorf("journal show: %d shell.run entries (want 3), %d finished runs (want 1):\n%s", marks, finished, out)
	}
	if out, errOut, code := shell("journal", "ls"); code != 0 || !strings.Contains(out, "payment-gateway 5xx rate") {
		t.Errorf("journal ls: exit %d\n%s\n%s", code, out, errOut)
	}
	if out, errOut, code := shell("export", "9"); code != 0 || !strings.Contains(out, "restart\\_service") || errOut != "" {
		t.Errorf("export: exit %d\n%s\nstderr:\n%s", code, out, errOut)
	}
	// The running sitrep journaled the export.
	if out, _, _ := shell("journal", "show", "9"); !strings.Contains(out, "exported the post-mortem draft to stdout, from the shell, through the running sitrep") {
		t.Errorf("the export from the shell is not in the journal:\n%s", out)
	}

	// The cockpit's J screen shows the run from the shell.
	term.send("/", "5xx rate", "Enter")
	term.waitFor("the filter", 10*time.Second, func(s string) bool {
		return strings.Contains(s, "/5xx rate") && !strings.Contains(s, "checkout-db connection pool")
	})
	term.send("J")
	term.waitFor("the run from the shell in the journal screen", 15*time.Second, func(s string) bool {
		return strings.Contains(s, "shell.run") && strings.Contains(s, "action.finished")
	})
	time.Sleep(600 * time.Millisecond) // past the screen's type-ahead grace period
	term.send("Escape")
	term.waitFor("the list again", 10*time.Second, func(s string) bool { return !strings.Contains(s, "Journal of #9") })
	time.Sleep(600 * time.Millisecond)
	term.send("q")
	term.waitFor("sitrep to exit", 15*time.Second, contains("sitrep journal ls --journal"))

	// The door closed with the cockpit: the shell runs here again, and
	// finds the journal free.
	if entries, err := os.ReadDir(filepath.Join(run, "sitrep")); err != nil || len(entries) != 0 {
		t.Errorf("the socket outlived the cockpit: %v %v", entries, err)
	}
}
