package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pd "github.com/PagerDuty/go-pagerduty"

	"sitrep/sources/demo/world"
)

// The end-to-end tests drive the real binary in a real terminal (tmux), as
// an engineer would, and check the results in the demo world through the
// real PagerDuty client.

// needTool skips locally when a tool is missing, and fails in CI, where
// .ci/run installs it.
func needTool(t *testing.T, name, install string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed; CI must install it: %s", name, install)
		}
		t.Skipf("%s is not installed; install it with: %s", name, install)
	}
	return path
}

// buildSitrep builds the binary once per test binary run.
func buildSitrep(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sitrep-e2e-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "sitrep")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// terminal is a tmux session running one command.
type terminal struct {
	t    *testing.T
	name string
}

func startTerminal(t *testing.T, width, height int, env []string, argv ...string) *terminal {
	t.Helper()
	needTool(t, "tmux", "apt-get install -y --no-install-recommends tmux")
	name := fmt.Sprintf("sitrep-e2e-%d-%d", os.Getpid(), time.Now().UnixNano())
	shellCmd := strings.Join(append(env, quoteAll(argv)...), " ")
	// remain-on-exit keeps the pane readable if sitrep dies, so the
	// failure shows what it printed.
	args := []string{"new-session", "-d", "-s", name, "-x", fmt.Sprint(width), "-y", fmt.Sprint(height), shellCmd}
	if out, err := exec.Command("tmux", args...).CombinedOutput(); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	exec.Command("tmux", "set-option", "-t", name, "remain-on-exit", "on").Run()
	term := &terminal{t: t, name: name}
	t.Cleanup(func() {
		exec.Command("tmux", "kill-session", "-t", name).Run()
	})
	return term
}

func quoteAll(argv []string) []string {
	out := make([]string, len(argv))
	for i, a := range argv {
		out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return out
}

func (term *terminal) screen() string {
	out, err := exec.Command("tmux", "capture-pane", "-p", "-t", term.name).Output()
	if err != nil {
		term.t.Fatalf("tmux capture-pane: %v", err)
	}
	return string(out)
}

func (term *terminal) send(keys ...string) {
	term.t.Helper()
	for _, k := range keys {
		if out, err := exec.Command("tmux", "send-keys", "-t", term.name, k).CombinedOutput(); err != nil {
			term.t.Fatalf("tmux send-keys %q: %v\n%s", k, err, out)
		}
	}
}

// waitFor polls the screen until cond holds, failing with the last screen
// after limit. This is a wait for a real program, not a timing assertion.
func (term *terminal) waitFor(what string, limit time.Duration, cond func(string) bool) string {
	term.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		s := term.screen()
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			term.t.Fatalf("waited %s for %s; the screen shows:\n%s", limit, what, s)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func contains(sub string) func(string) bool {
	return func(s string) bool { return strings.Contains(s, sub) }
}

// demoEnv runs a demo with its own HOME and XDG directories, so its state
// file, journal and config are the test's.
func demoEnv(dir string) (env []string, stateFile string) {
	state := filepath.Join(dir, ".local", "state")
	env = []string{"HOME=" + dir, "XDG_CONFIG_HOME=" + filepath.Join(dir, "config"), "XDG_DATA_HOME=" + filepath.Join(dir, "data"), "XDG_STATE_HOME=" + state}
	return env, filepath.Join(state, "sitrep", "demo.json")
}

func readDemoState(t *testing.T, path string) world.State {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		data, err := os.ReadFile(path)
		if err == nil {
			var st world.State
			if err := json.Unmarshal(data, &st); err != nil {
				t.Fatalf("demo state %s: %v", path, err)
			}
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("the demo wrote no state file %s", path)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestDemoEndToEnd(t *testing.T) {
	bin := buildSitrep(t)
	dir := t.TempDir()
	env, state := demoEnv(dir)
	term := startTerminal(t, 120, 40, env, bin, "demo", "--seed", "7", "--refresh", "2s")

	st := readDemoState(t, state)
	screen := term.waitFor("the incident list", 15*time.Second, contains("payment-gateway 5xx rate"))
	for _, want := range []string{"checkout-db connection pool exhausted", "edge-proxy", "triggered", "acknowledged"} {
		if !strings.Contains(screen, want) {
			t.Errorf("the first screen lacks %q:\n%s", want, screen)
		}
	}
	if strings.Contains(screen, "pwned") || strings.Contains(screen, "\x1b") {
		t.Errorf("the hostile title reached the terminal unsanitized:\n%s", screen)
	}

	// j moves, enter opens the detail.
	term.send("j", "Enter")
	term.waitFor("the detail view over the whole screen", 10*time.Second, func(s string) bool {
		lines := strings.Split(s, "\n")
		return len(lines) > 2 && strings.Contains(lines[1], "Overview") && strings.Contains(s, "Escalation") && !strings.Contains(s, "─────")
	})
	term.send("Escape")
	// A terminal cannot tell ESC followed at once by "/" from alt+/; a
	// person pauses, and so does the test.
	term.waitFor("the list again", 5*time.Second, contains("─────"))

	// Filter down to the payment-gateway incident and acknowledge it.
	term.send("/", "5xx rate", "Enter")
	term.waitFor("the filter to keep one incident", 10*time.Second, func(s string) bool {
		return strings.Contains(s, "/5xx rate") && !strings.Contains(s, "checkout-db connection pool")
	})
	term.send("a")
	term.waitFor("the acknowledgement on screen", 15*time.Second, func(s string) bool {
		for _, line := range strings.Split(s, "\n") {
			if strings.Contains(line, "payment-gateway 5xx") && strings.Contains(line, "◐") {
				return true
			}
		}
		return false
	})

	// The acknowledgement reached PagerDuty (the emulator), by the demo
	// user, through the API, and is in the incident's timeline.
	client := pd.NewClient(st.Token, pd.WithAPIEndpoint(st.PagerDutyURL))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	list, err := client.ListIncidentsWithContext(ctx, pd.ListIncidentsOptions{Statuses: []string{"acknowledged"}, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var id string
	for _, in := range list.Incidents {
		if strings.Contains(in.Title, "payment-gateway 5xx") {
			id = in.ID
		}
	}
	if id == "" {
		t.Fatalf("the payment-gateway incident is not acknowledged in PagerDuty")
	}
	entries, err := client.ListIncidentLogEntriesWithContext(ctx, id, pd.ListIncidentLogEntriesOptions{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range entries.LogEntries {
		if e.Type == "acknowledge_log_entry" && e.Agent.Summary == "Alice Chen" && e.Channel.Type == "api" {
			found = true
		}
	}
	if !found {
		t.Errorf("no acknowledge log entry by Alice Chen through the API in %s's timeline: %+v", id, entries.LogEntries)
	}

	term.send("q")
}
