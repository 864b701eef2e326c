package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHistoryEndToEnd runs the demo in a real terminal: the History tab of
// tonight's payment-gateway incident lists the two earlier ones read from
// the emulator over HTTP, the newest (three days ago) with the last note
// that says the restart fixed it; j in the focused tab reads the older
// one's; and x's export, and sitrep export beside the cockpit, list both
// under Related incidents.
func TestHistoryEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("drives the real binary")
	}
	bin := buildSitrep(t)
	dir := t.TempDir()
	env, state := demoEnv(dir)
	term := startTerminal(t, 140, 50, env, bin, "demo", "--seed", "7", "--refresh", "2s")
	st := readDemoState(t, state)
	term.waitFor("the incident list", 15*time.Second, contains("payment-gateway 5xx"))

	term.send("/", "payment-gateway 5xx", "Enter")
	term.waitFor("tonight's payment-gateway incident", 20*time.Second, func(s string) bool {
		return strings.Contains(s, "#9 ") && strings.Contains(s, "Created")
	})
	for range 7 {
		term.send("Tab")
	}
	screen := term.waitFor("the History tab with what fixed it", 20*time.Second, func(s string) bool {
		return strings.Contains(s, "History 2") && strings.Contains(s, "restarted payment-gateway, 5xx back to 1% within 2 min")
	})
	for _, want := range []string{
		"Resolved on payment-gateway in the last 30 days, newest first",
		"▸ #13 [FIRING] payment-gateway HTTP 5xx ratio above 5% (24.6%)", "lasted 18m",
		"#12 payment-gateway p99 latency above 1.5 s (2.1 s)", "lasted 44m",
		"last note (Bob Okafor, PagerDuty",
	} {
		if !strings.Contains(screen, want) {
			t.Errorf("the History tab lacks %q:\n%s", want, screen)
		}
	}

	term.send("Enter", "j")
	term.waitFor("the older incident's last note", 20*time.Second, func(s string) bool {
		return strings.Contains(s, "▸ #12 payment-gateway p99") && strings.Contains(s, "Acquirer recovered; p99 back to 300 ms.")
	})

	term.send("Escape")
	term.waitFor("the list back", 10*time.Second, func(s string) bool { return !strings.Contains(s, "next past incident") })
	term.send("x")
	var md []byte
	deadline := time.Now().Add(20 * time.Second)
	for md == nil && time.Now().Before(deadline) {
		paths, _ := filepath.Glob(filepath.Join(dir, "data", "sitrep", "*", "*.md"))
		more, _ := filepath.Glob(filepath.Join(dir, "data", "sitrep", "exports", "*.md"))
		for _, p := range append(paths, more...) {
			md, _ = os.ReadFile(p)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if md == nil {
		t.Fatalf("no export written under %s:\n%s", filepath.Join(dir, "data"), term.screen())
	}
	cli := exec.Command(bin, "export", "9", "--journal", filepath.Join(dir, "data", "sitrep", "demo-journal.db"), "--api-url", st.PagerDutyURL)
	cli.Env = append(env, "PAGERDUTY_TOKEN="+st.Token)
	out, err := cli.Output()
	if err != nil {
		t.Fatalf("sitrep export 9: %v\n%s", err, out)
	}
	for what, md := range map[string][]byte{"x": md, "sitrep export": out} {
		doc := strings.Join(strings.Fields(string(md)), " ")
		for _, want := range []string{
			"Earlier incidents resolved on payment-gateway in the 30 days before the export",
			"\\#13 \\[FIRING\\] payment-gateway HTTP 5xx ratio above 5% (24.6%)",
			"restarted payment-gateway, 5xx back to 1% within 2 min",
			"\\#12 payment-gateway p99 latency above 1.5 s (2.1 s)",
		} {
			if !strings.Contains(doc, want) {
				t.Errorf("%s's export lacks %q:\n%s", what, want, md)
			}
		}
	}
}
