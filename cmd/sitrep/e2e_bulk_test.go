package main

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"sitrep/sources/demo/pdemulator"
)

// TestBulkAcknowledgeThroughTheBinary selects three incidents with space
// in the real binary, presses a, reads one preview listing all three,
// confirms once (the typed count: the services are not placed in an
// environment, so they count as production), and finds one bulk request
// in the emulator's request log, all three acknowledged, and three
// journal entries naming the run in `sitrep journal show`.
func TestBulkAcknowledgeThroughTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("drives the real binary")
	}
	bin := buildSitrep(t)
	pd := pdemulator.New(pdemulator.Options{Token: "t"})
	url, err := pd.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pd.Close() })
	must := func(id string, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	alice := must(pd.AddUser(pdemulator.User{Name: "Alice Chen", Email: "alice@example.com"}))
	if err := pd.SetCurrentUser(alice); err != nil {
		t.Fatal(err)
	}
	ep := must(pd.AddEscalationPolicy(pdemulator.EscalationPolicy{Name: "Payments on-call", Levels: []pdemulator.EscalationLevel{{UserIDs: []string{alice}}}}))
	svc := must(pd.AddService(pdemulator.Service{Name: "payment-gateway", EscalationPolicyID: ep}))
	var ids []string
	for _, title := range []string{"disk full on pay-1", "disk full on pay-2", "disk full on pay-3", "certificate expires in 7 days"} {
		res, err := pd.Trigger(pdemulator.TriggerOptions{ServiceID: svc, Title: title, Urgency: "high"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.IncidentID)
	}

	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte("refresh_interval: 30m\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	journalPath := filepath.Join(dir, "journal.db")
	env, _ := demoEnv(dir)
	env = append(env, "PAGERDUTY_TOKEN=t")
	term := startTerminal(t, 120, 32, env, bin, "--config", cfg, "--journal", journalPath, "--scope", "all", "--api-url", url)
	term.waitFor("the incident list", 15*time.Second, contains("disk full on pay-1"))
	pause := func() { time.Sleep(600 * time.Millisecond) } // past the grace period of what just opened

	// The filter shows the three disk-full incidents; space on each.
	term.send("/", "disk full", "Enter")
	term.waitFor("the filter", 5*time.Second, func(s string) bool { return !strings.Contains(s, "certificate expires") })
	term.send("g", "Space", "j", "Space", "j", "Space")
	term.waitFor("three selected", 5*time.Second, contains("3 selected"))
	pd.ResetRequests()

	term.send("a")
	preview := term.waitFor("the bulk preview", 5*time.Second, contains("Bulk acknowledge"))
	for _, title := range []string{"disk full on pay-1", "disk full on pay-2", "disk full on pay-3"} {
		if !strings.Contains(preview, title) {
			t.Errorf("the preview does not list %q:\n%s", title, preview)
		}
	}
	if strings.Contains(preview, "certificate expires") {
		t.Errorf("the preview lists an incident that is not selected:\n%s", preview)
	}
	if !strings.Contains(preview, "Type 3 to acknowledge") {
		t.Errorf("no typed confirmation for production:\n%s", preview)
	}
	run := regexp.MustCompile(`run (bulk-[0-9a-f]+)`).FindStringSubmatch(preview)
	if run == nil {
		t.Fatalf("the preview names no run:\n%s", preview)
	}
	pause()
	term.send("3", "Enter")
	done := term.waitFor("the run settled", 20*time.Second, contains("bulk acknowledge: 3 done"))
	if strings.Count(done, "✓ acknowledged") != 3 {
		t.Errorf("not every incident shows acknowledged:\n%s", done)
	}

	puts := 0
	for _, r := range pd.Requests() {
		if r.Method == http.MethodPut && strings.HasPrefix(r.Path, "/incidents") {
			puts++
		}
	}
	if puts != 1 {
		t.Errorf("%d PUTs to /incidents for three incidents, want one bulk request: %+v", puts, pd.Requests())
	}
	for i, id := range ids {
		in, err := pd.Incident(id)
		if err != nil {
			t.Fatal(err)
		}
		want := "acknowledged"
		if i == 3 {
			want = "triggered"
		}
		if in.Status != want {
			t.Errorf("%s (%s) is %s, want %s", id, in.Title, in.Status, want)
		}
	}

	term.send("Escape")
	term.waitFor("the list, the selection done", 5*time.Second, func(s string) bool {
		return strings.Contains(s, "disk full on pay-1") && !strings.Contains(s, "3 selected")
	})
	term.send("q")
	time.Sleep(500 * time.Millisecond)

	for _, id := range ids[:3] {
		out, err := exec.Command(bin, "journal", "show", "--journal", journalPath, id).CombinedOutput()
		if err != nil {
			t.Fatalf("sitrep journal show %s: %v\n%s", id, err, out)
		}
		if n := strings.Count(string(out), "bulk run "+run[1]); n != 1 {
			t.Errorf("the journal of %s names %s %d times, want once:\n%s", id, run[1], n, out)
		}
	}
}
