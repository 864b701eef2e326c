package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestSmallThingsEndToEnd drives the demo at 80×24 through the small
// things a tired engineer trips on: a refused : command stays open with
// the reason, the note dialog says whether the team sees the note, esc
// clears the Logs filter, the demo's own actions find a demo started with
// --state-file, and the run view says how long the effect takes.
func TestSmallThingsEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("drives the real binary for half a minute")
	}
	bin := buildSitrep(t)
	dir := t.TempDir()
	env, defaultState := demoEnv(dir)
	// A state file away from $XDG_STATE_HOME, with a blank in its path:
	// the demo's actions run demo-ctl with only PATH, HOME and LANG, so
	// they find it only if the demo hands it to them.
	state := filepath.Join(dir, "my state", "demo.json")
	term := startTerminal(t, 80, 24, env, bin, "demo", "--seed", "3", "--refresh", "2s", "--state-file", state)
	readDemoState(t, state)
	if _, err := os.Stat(defaultState); !os.IsNotExist(err) {
		t.Errorf("with --state-file the demo also wrote %s (%v)", defaultState, err)
	}
	term.waitFor("the incident list", 15*time.Second, contains("payment-gateway 5xx rate"))
	term.send("/", "5xx rate", "Enter")
	term.waitFor("the filter", 10*time.Second, func(s string) bool {
		return strings.Contains(s, "/5xx rate") && !strings.Contains(s, "checkout-db connection pool")
	})
	pause := func() { time.Sleep(600 * time.Millisecond) } // past the grace period of what just opened

	// 1. A refused command keeps the line open, with the reason under it,
	// through the refreshes that follow.
	term.send(":")
	term.waitFor("the command line", 5*time.Second, contains("Command for #"))
	pause()
	term.send("runbook block_ip --ip=300.1.1.1", "Enter")
	refused := func(s string) bool {
		return strings.Contains(s, "Command for #") && strings.Contains(s, "✗ block_ip: refused parameter ip=")
	}
	term.waitFor("the refusal under the command line", 15*time.Second, refused)
	time.Sleep(5 * time.Second) // two refreshes of the list
	if s := term.screen(); !refused(s) {
		t.Errorf("the refusal did not stay on screen:\n%s", s)
	}
	term.send("Escape")
	term.waitFor("the command line closed", 5*time.Second, func(s string) bool { return !strings.Contains(s, "Command for #") })

	// 2. The note dialog says where the note goes and what tab does.
	term.send("n")
	note := term.waitFor("the note dialog", 5*time.Second, contains("Note on #"))
	for _, want := range []string{"enter: add to journal and PagerDuty (the team sees it)", "tab: journal only (the team does not see it)"} {
		if !strings.Contains(note, want) {
			t.Errorf("the note dialog at 80 columns lacks %q:\n%s", want, note)
		}
	}
	pause()
	term.send("Escape")
	term.waitFor("the note dialog closed", 5*time.Second, func(s string) bool { return !strings.Contains(s, "Note on #") })

	// 4. esc clears the Logs filter. The tabs are Overview, Alerts,
	// Timeline, Notes, Metrics, Logs, Deploys, History.
	for range 5 {
		term.send("Tab")
	}
	term.waitFor("the logs pane", 15*time.Second, contains("ERROR"))
	term.send("Enter")
	pause()
	term.send("/")
	term.waitFor("the logs filter", 5*time.Second, contains("Filter the logs"))
	pause()
	term.send("timeout", "Enter")
	term.waitFor("the filter applied", 5*time.Second, contains(`filter "timeout"`))
	term.send("Escape")
	term.waitFor("the filter cleared", 5*time.Second, func(s string) bool {
		return !strings.Contains(s, `filter "timeout"`) && strings.Contains(s, "lines")
	})
	term.send("Escape")
	term.waitFor("the list again", 5*time.Second, contains("─────"))

	// 7 and 3. The demo's restart finds the demo through the state file it
	// was handed, and the run view says when the effect is measured and
	// how long that is.
	pause()
	term.send(":")
	term.waitFor("the command line", 5*time.Second, contains("Command for #"))
	pause()
	term.send("runbook restart_service", "Enter")
	term.waitFor("the preview", 20*time.Second, contains("Type payment-gateway to run restart_service"))
	pause()
	term.send("payment-gateway", "Enter")
	term.waitFor("the run's output", 30*time.Second, func(s string) bool {
		if strings.Contains(s, "no demo is running") {
			t.Fatalf("the demo's action did not find the demo:\n%s", s)
		}
		return strings.Contains(s, "done: 3/3 pods ready")
	})
	wait := regexp.MustCompile(`measuring effect… ready at \d\d:\d\d:\d\d, in (\dm\d\ds|\d+s)`)
	term.waitFor("how long the effect takes", 10*time.Second, wait.MatchString)
}
