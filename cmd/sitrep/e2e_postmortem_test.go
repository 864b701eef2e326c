package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	pd "github.com/PagerDuty/go-pagerduty"
)

// The post-mortem says what happened, not what was tried: through the real
// binary in the demo, a preview left with esc is an attempt, not a run, and
// a pin of the Logs pane under "errors only" keeps the error lines shown,
// in the journal and in the export's Supporting data.
func TestPostmortemAttemptsAndPinnedLogsEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("drives the real binary")
	}
	bin := buildSitrep(t)
	dir := t.TempDir()
	env, state := demoEnv(dir)
	term := startTerminal(t, 120, 40, env, bin, "demo", "--seed", "7", "--refresh", "2s")
	st := readDemoState(t, state)
	term.waitFor("the incident list", 15*time.Second, contains("payment-gateway 5xx rate"))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	id := incidentID(t, ctx, pd.NewClient(st.Token, pd.WithAPIEndpoint(st.PagerDutyURL)), "payment-gateway 5xx")
	term.send("/", "5xx rate", "Enter")
	term.waitFor("the filter", 10*time.Second, func(s string) bool {
		return strings.Contains(s, "/5xx rate") && !strings.Contains(s, "checkout-db connection pool")
	})

	// Logs (the sixth tab), errors only, pinned.
	for range 5 {
		term.send("Tab")
	}
	term.waitFor("error lines in the logs pane", 15*time.Second, contains("ERROR"))
	term.send("e")
	term.waitFor("errors only", 5*time.Second, contains("errors only"))
	term.send("p")
	term.waitFor("the pin", 5*time.Second, contains("pinned Logs"))

	// restart_service previewed, and left with esc.
	term.send("!")
	term.waitFor("the palette", 5*time.Second, contains("restart_service"))
	time.Sleep(600 * time.Millisecond) // past the palette's grace period
	term.send("restart_service")
	term.waitFor("the palette filtered", 5*time.Second, contains("/restart_service"))
	term.send("Enter")
	term.waitFor("the preview", 20*time.Second, contains("Type payment-gateway to run restart_service"))
	leave(term, "Type payment-gateway to run")
	term.send("q")
	term.waitFor("sitrep to exit", 15*time.Second, contains("sitrep journal ls --journal"))

	journalPath := filepath.Join(dir, "data", "sitrep", "demo-journal.db")
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, append(args, "--journal", journalPath)...)
		cmd.Env = append(append(os.Environ(), env...), "PAGERDUTY_TOKEN=")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("sitrep %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	md := run("export", id)
	actions := md[strings.Index(md, "## Actions taken"):strings.Index(md, "## Contributing factors")]
	if strings.Contains(actions, "| restart\\_service |") || !strings.Contains(actions, "### Attempts") {
		t.Errorf("the preview left with esc is in the runs table, or no Attempts list:\n%s", actions)
	}
	if flat := strings.Join(strings.Fields(actions), " "); !strings.Contains(flat, "restart\\_service on payment-gateway in prod: previewed, not confirmed") {
		t.Errorf("the attempt does not say why it did not run:\n%s", actions)
	}
	pins := md[strings.Index(md, "### Pins"):strings.Index(md, "### Links")]
	lines := regexp.MustCompile(`(?m)^  - \d\d:\d\d:\d\d (\w+):`).FindAllStringSubmatch(pins, -1)
	if !strings.Contains(pins, "pinned Logs") || len(lines) == 0 {
		t.Errorf("the pinned log lines are not in Supporting data:\n%s", pins)
	}
	for _, l := range lines {
		if l[1] != "error" {
			t.Errorf("a pin under errors only kept a line that is not an error: %q", l[0])
		}
	}
	for _, bad := range []string{"&gt;", "&lt;", "&amp;", "preview above"} {
		if strings.Contains(md, bad) {
			t.Errorf("the export contains %q", bad)
		}
	}
}
