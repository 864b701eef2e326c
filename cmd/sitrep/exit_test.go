package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

// sitrepExit runs the real binary with args and returns what it printed
// (stdout and stderr together) and its exit status.
func sitrepExit(t *testing.T, env []string, args ...string) (string, int) {
	t.Helper()
	bin := buildSitrep(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case errors.As(err, &ee) && ee.Exited():
		return string(out), ee.ExitCode()
	}
	t.Fatalf("sitrep %s: %v\n%s", strings.Join(args, " "), err, out)
	return "", -1
}

// isolatedEnv is an environment whose config, data and state directories
// are empty temporary ones, so nothing of the machine's own sitrep counts.
func isolatedEnv(t *testing.T) (env []string, configDir string) {
	t.Helper()
	home := t.TempDir()
	configDir = filepath.Join(home, "config", "sitrep")
	return []string{
		"HOME=" + home,
		"XDG_CONFIG_HOME=" + filepath.Join(home, "config"),
		"XDG_DATA_HOME=" + filepath.Join(home, "data"),
		"XDG_STATE_HOME=" + filepath.Join(home, "state"),
		"PAGERDUTY_TOKEN=",
	}, configDir
}

// TestExitStatusOfUsageMistakes: a mistake in the call itself exits 2,
// whatever command it is made on, and says what to do.
func TestExitStatusOfUsageMistakes(t *testing.T) {
	env, _ := isolatedEnv(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--bogus"}, "unknown flag: --bogus"},
		{[]string{"journal", "ls", "--bogus"}, "unknown flag: --bogus"},
		{[]string{"--refresh", "soon"}, `invalid argument "soon" for "--refresh"`},
		{[]string{"nosuch"}, `unknown command "nosuch" for "sitrep"; run sitrep --help for its commands`},
		{[]string{"journl"}, `unknown command "journl" for "sitrep" (did you mean journal?)`},
		{[]string{"journal", "lss"}, `unknown command "lss" for "sitrep journal" (did you mean ls?); run sitrep journal --help for its commands`},
		{[]string{"actions", "chek"}, `(did you mean check?)`},
		{[]string{"run"}, "accepts 1 arg(s), received 0; usage: sitrep run ACTION --incident"},
		{[]string{"run", "restart_service"}, "--incident is required"},
		{[]string{"run", "restart_service", "--incident", "9", "--param", "novalue"}, `--param "novalue": write it as name=value`},
		{[]string{"version", "extra"}, `unknown command "extra" for "sitrep version"`},
	} {
		out, code := sitrepExit(t, env, tc.args...)
		if code != statusUsage || !strings.Contains(out, tc.want) {
			t.Errorf("sitrep %s: exit %d, want %d, with %q:\n%s", strings.Join(tc.args, " "), code, statusUsage, tc.want, out)
		}
	}
	// A command group without a subcommand is help, and done.
	if out, code := sitrepExit(t, env, "journal"); code != statusOK || !strings.Contains(out, "Available Commands:") {
		t.Errorf("sitrep journal: exit %d:\n%s", code, out)
	}
}

// TestActionsLsWithoutCatalogue: an empty listing would look like a
// catalogue with no actions; ls fails, as check does, and says where it
// looked.
func TestActionsLsWithoutCatalogue(t *testing.T) {
	env, configDir := isolatedEnv(t)
	out, code := sitrepExit(t, env, "actions", "ls")
	if code != statusError || !strings.Contains(out, "no action catalogue at "+configDir) {
		t.Errorf("actions ls without a config directory: exit %d:\n%s", code, out)
	}
	if _, code := sitrepExit(t, env, "actions", "check"); code != statusError {
		t.Errorf("actions check without a config directory: exit %d, want %d", code, statusError)
	}

	empty := t.TempDir()
	out, code = sitrepExit(t, env, "actions", "ls", empty)
	if code != statusError || !strings.Contains(out, "no action catalogue in "+empty+": it has no actions.yaml and no runbooks/ directory") {
		t.Errorf("actions ls on an empty directory: exit %d:\n%s", code, out)
	}

	// A broken catalogue: what loads is listed, the problems are on
	// stderr, and the listing fails like check.
	broken := filepath.Join("testdata", "broken")
	out, code = sitrepExit(t, env, "actions", "ls", broken)
	if code != statusError || !strings.Contains(out, "4 problem(s) in "+broken+"; sitrep actions check "+broken) {
		t.Errorf("actions ls on a broken catalogue: exit %d:\n%s", code, out)
	}

	good := filepath.Join("testdata", "exitcodes")
	if out, code := sitrepExit(t, env, "actions", "ls", good); code != statusOK || !strings.Contains(out, "dry_fail") {
		t.Errorf("actions ls on a good catalogue: exit %d:\n%s", code, out)
	}
}

// TestRunExitStatus runs actions with the real binary against the demo
// world: done 0, refused 3 (a guard, also on a dry run; a parameter; no
// confirmation), failed 4 (the action or its dry run), a wrong action
// name 2.
func TestRunExitStatus(t *testing.T) {
	rw := startRunWorld(t, filepath.Join("testdata", "exitcodes"))
	run := func(args ...string) (string, int) {
		t.Helper()
		return sitrepExit(t, nil, append([]string{"--config", rw.config, "--journal", rw.journal, "run", "--incident", rw.incident.ID}, args...)...)
	}
	steps := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"a dry run the guards allow", []string{"succeed", "--dry-run"}, statusOK, "guards: allowed"},
		{"a dry run that fails", []string{"dry_fail", "--dry-run"}, statusFailed, "dry_fail: the dry run failed: exit 5"},
		{"no confirmation without a terminal", []string{"succeed"}, statusRefused, "give --confirm payment-gateway"},
		{"a wrong confirmation", []string{"succeed", "--confirm", "checkout"}, statusRefused, `--confirm checkout: confirmation refused`},
		{"a refused parameter", []string{"label", "--param", "label=Bad!", "--confirm", "payment-gateway"}, statusRefused, "refused parameter label="},
		{"an unknown parameter", []string{"label", "--param", "lable=x", "--confirm", "payment-gateway"}, statusRefused,
			`label has no parameter "lable" (did you mean --param label=…?); its parameters: service, label, each given as --param NAME=VALUE`},
		{"a missing parameter", []string{"label", "--confirm", "payment-gateway"}, statusRefused, "label: missing parameter label: give --param label=VALUE"},
		{"an unknown action", []string{"nosuch", "--dry-run"}, statusUsage, `unknown action "nosuch"`},
		{"a failing action", []string{"fail", "--confirm", "payment-gateway"}, statusFailed, "disk full"},
		{"a run that succeeds", []string{"succeed", "--confirm", "payment-gateway"}, statusOK, "-- exit 0 in "},
		// The rate limit (one run in 30m) now blocks succeed, and its
		// dry run says so in the exit status too.
		{"a dry run the guards block", []string{"succeed", "--dry-run"}, statusRefused, "blocked: rate_limit"},
		{"a run the guards block", []string{"succeed", "--confirm", "payment-gateway"}, statusRefused, "blocked: rate_limit"},
	}
	for _, s := range steps {
		out, code := run(s.args...)
		if code != s.code || !strings.Contains(out, s.want) {
			t.Errorf("%s (run %s): exit %d, want %d, with %q:\n%s", s.name, strings.Join(s.args, " "), code, s.code, s.want, out)
		}
		if strings.Contains(out, "--lable") || strings.Contains(out, "parameter --label") {
			t.Errorf("%s: a message in the command mode's syntax:\n%s", s.name, out)
		}
	}
}

// TestHelpShowsExitStatus: every command's --help ends with the exit
// statuses; run's names the refused and failed ones too.
func TestHelpShowsExitStatus(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"journal", "--help"}, {"actions", "ls", "--help"}, {"version", "--help"}} {
		out, err := runRoot(t, args...)
		if err != nil || !strings.Contains(out, "\nExit status:\n  0  done\n  1  error") || !strings.HasSuffix(out, "a bad flag value\n") {
			t.Errorf("sitrep %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	out, err := runRoot(t, "run", "--help")
	if err != nil || !strings.Contains(out, "  3  refused: a guard blocked it (with --dry-run too)") || !strings.Contains(out, "  4  the action ran and failed") {
		t.Errorf("sitrep run --help: %v\n%s", err, out)
	}
}

func TestVersion(t *testing.T) {
	env, _ := isolatedEnv(t)
	out, code := sitrepExit(t, env, "version")
	flag, flagCode := sitrepExit(t, env, "--version")
	if code != statusOK || flagCode != statusOK || out != flag {
		t.Errorf("sitrep version (exit %d):\n%s\nsitrep --version (exit %d):\n%s", code, out, flagCode, flag)
	}
	if !strings.HasPrefix(out, "sitrep ") || !strings.Contains(out, "\ngo:       "+runtime.Version()+" ") {
		t.Errorf("sitrep version:\n%s", out)
	}
	// -v stays free for the commands' own flags.
	if _, code := sitrepExit(t, env, "-v"); code != statusUsage {
		t.Errorf("sitrep -v: exit %d, want %d", code, statusUsage)
	}
}

func TestVersionText(t *testing.T) {
	vcs := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "sitrep", Version: "v1.4.0"},
		Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "4f308c7aa1b2c3d4e5f60718293a4b5c6d7e8f90"},
			{Key: "vcs.time", Value: "2026-11-29T16:41:54Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	platform := " " + runtime.GOOS + "/" + runtime.GOARCH + "\n"
	for _, tc := range []struct {
		name string
		bi   *debug.BuildInfo
		ok   bool
		want string
	}{
		{"from a checkout with changes", vcs, true, "sitrep v1.4.0\n" +
			"revision: 4f308c7aa1b2c3d4e5f60718293a4b5c6d7e8f90 (modified: built with uncommitted changes)\n" +
			"time:     2026-11-29T16:41:54Z\n" +
			"go:       go1.26.8" + platform},
		{"without version control", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "sitrep", Version: "(devel)"}}, true,
			"sitrep (devel)\nrevision: unknown (built without version control information)\ngo:       go1.26.8" + platform},
		{"without build information", nil, false,
			"sitrep (devel)\nrevision: unknown (built without version control information)\ngo:       " + runtime.Version() + platform},
	} {
		if got := versionText(tc.bi, tc.ok); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}
