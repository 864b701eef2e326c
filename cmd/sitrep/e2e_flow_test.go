package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	pd "github.com/PagerDuty/go-pagerduty"
	bolt "go.etcd.io/bbolt"
)

// TestIncidentFlowEndToEnd is the on-call loop as a new user would try it
// in the demo: look at the payment-gateway incident's panes, acknowledge,
// note, pin, restart the service through the palette and its preview,
// resolve; then export the post-mortem, verify the journal, catch a
// tamperer, and reopen sitrep with the network gone.
func TestIncidentFlowEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("drives the real binary for a minute")
	}
	bin := buildSitrep(t)
	dir := t.TempDir()
	env, state := demoEnv(dir)
	term := startTerminal(t, 120, 40, env, bin, "demo", "--seed", "3", "--refresh", "2s")
	st := readDemoState(t, state)
	term.waitFor("the incident list", 15*time.Second, contains("payment-gateway 5xx rate"))

	// Select the payment-gateway incident.
	term.send("/", "5xx rate", "Enter")
	term.waitFor("the filter", 10*time.Second, func(s string) bool {
		return strings.Contains(s, "/5xx rate") && !strings.Contains(s, "checkout-db connection pool")
	})

	// Its panes: the spike with the start and deploy marked, error logs,
	// and the deploy flagged as the likely cause. The tabs are Overview,
	// Alerts, Timeline, Notes, Metrics, Logs, Deploys.
	tab := func(n int) {
		for range n {
			term.send("Tab")
		}
	}
	tab(4)
	term.waitFor("the 5xx chart with its markers", 15*time.Second, func(s string) bool {
		return strings.Contains(s, "5xx rate") && strings.Contains(s, "▲ start") && strings.Contains(s, "D deploy")
	})
	tab(1)
	term.waitFor("error lines in the logs pane", 15*time.Second, contains("ERROR"))
	tab(1)
	term.waitFor("the deploy flagged as the likely cause", 15*time.Second, func(s string) bool {
		return strings.Contains(s, "likely cause") && strings.Contains(s, "Deploy payment-gateway v2.14.0")
	})
	tab(2) // past History
	term.waitFor("the overview again", 5*time.Second, contains("Escalation"))

	// Acknowledge, note, pin.
	term.send("a")
	term.waitFor("the acknowledgement", 15*time.Second, func(s string) bool { return rowHas(s, "payment-gateway 5xx", "◐") })
	term.send("n")
	term.waitFor("the note dialog", 5*time.Second, contains("Note on #"))
	time.Sleep(600 * time.Millisecond) // past the grace period of what just opened
	term.send("restarting the pods; the deploy is suspect")
	term.send("Enter")
	term.waitFor("the note delivered", 20*time.Second, func(s string) bool {
		return strings.Contains(s, "note on #") && strings.Contains(s, "delivered to PagerDuty")
	})
	term.send("p")
	term.waitFor("the pin", 5*time.Second, contains("pinned Overview"))

	// Restart the service through the palette and the preview.
	term.send("!")
	term.waitFor("the palette", 5*time.Second, contains("restart_service"))
	time.Sleep(600 * time.Millisecond) // past the grace period of what just opened
	term.send("restart")
	term.send("Enter")
	preview := term.waitFor("the preview", 20*time.Second, contains("Type payment-gateway to run restart_service"))
	for _, want := range []string{"demo-ctl restart --service=payment-gateway --env=prod", "Blast radius", "no dry run", "allowed (confirm: typed)"} {
		if !strings.Contains(preview, want) {
			t.Errorf("the preview lacks %q:\n%s", want, preview)
		}
	}
	time.Sleep(600 * time.Millisecond) // past the type-ahead grace period
	term.send("payment-gatewa")        // not the service's name yet
	term.send("Enter")
	term.waitFor("the wrong name refused", 5*time.Second, contains("confirmation refused"))
	term.send("y")
	time.Sleep(600 * time.Millisecond) // a refusal arms the grace period again
	term.send("Enter")
	term.waitFor("the run's output", 30*time.Second, contains("done: 3/3 pods ready"))
	term.waitFor("the outcome prompt", 10*time.Second, contains("Did it help?"))
	time.Sleep(600 * time.Millisecond) // past the grace period of the question
	term.send("h")
	term.send("Escape")
	term.waitFor("the list again", 10*time.Second, contains("─────"))

	// The announcement reached the incident's PagerDuty timeline.
	client := pd.NewClient(st.Token, pd.WithAPIEndpoint(st.PagerDutyURL))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	id := incidentID(t, ctx, client, "payment-gateway 5xx")
	notes, err := client.ListIncidentNotesWithContext(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var announced bool
	for _, n := range notes {
		if strings.Contains(n.Content, "restart_service on payment-gateway (prod) by Alice Chen: exit 0") {
			announced = true
		}
	}
	if !announced {
		t.Errorf("no announcement note on %s: %+v", id, notes)
	}

	// Resolve (y/N, after the grace period).
	term.send("R")
	term.waitFor("the resolve question", 5*time.Second, contains("Resolve #"))
	time.Sleep(600 * time.Millisecond)
	term.send("y")
	term.waitFor("the resolution", 15*time.Second, func(s string) bool { return rowHas(s, "payment-gateway 5xx", "✓") })
	term.send("q")
	term.waitFor("sitrep to exit", 15*time.Second, contains("sitrep journal ls --journal"))

	journalPath := filepath.Join(dir, "data", "sitrep", "demo-journal.db")
	run := func(args ...string) (string, error) {
		cmd := exec.Command(bin, append(args, "--journal", journalPath)...)
		cmd.Env = append(os.Environ(), env...)
		cmd.Env = append(cmd.Env, "PAGERDUTY_TOKEN=")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := run("journal", "verify"); err != nil || !strings.Contains(out, "ok:") {
		t.Fatalf("journal verify: %v\n%s", err, out)
	}

	// The post-mortem: PagerDuty's events and the journal's, in order.
	md, err := run("export", id)
	if err != nil {
		t.Fatalf("export: %v\n%s", err, md)
	}
	order := []string{"**INCIDENT BEGINS**", "Acknowledged by Alice Chen", "**ACKNOWLEDGED**", "restarting the pods", "pinned Overview", "restart\\_service started", "**MITIGATED**", "**RESOLVED**"}
	last := -1
	for _, want := range order {
		i := strings.Index(md, want)
		if i < 0 {
			t.Errorf("the export lacks %q", want)
			continue
		}
		if i < last {
			t.Errorf("%q is out of order in the timeline:\n%s", want, md)
		}
		last = i
	}
	actions := md[strings.Index(md, "## Actions taken"):]
	if !strings.Contains(actions, "restart\\_service") || !strings.Contains(actions, "helped") || !strings.Contains(actions, "Alice Chen") {
		t.Errorf("Actions taken does not show the restart:\n%s", actions[:min(len(actions), 1500)])
	}
	mdPath := filepath.Join(dir, "postmortem.md")
	if err := os.WriteFile(mdPath, []byte(md), 0o600); err != nil {
		t.Fatal(err)
	}
	if lint, err := exec.LookPath("markdownlint-cli2"); err == nil {
		if out, err := exec.Command(lint, mdPath).CombinedOutput(); err != nil {
			t.Errorf("markdownlint-cli2: %v\n%s", err, out)
		}
	} else if os.Getenv("CI") == "true" {
		t.Error("markdownlint-cli2 is not installed; CI must install it: npm install -g markdownlint-cli2")
	}

	// A tamperer rewrites the note's entry in the file: verify names it.
	seq := tamper(t, journalPath, "restarting the pods", "RESTARTING THE PODS")
	out, err := run("journal", "verify")
	if err == nil || !strings.Contains(out, "BROKEN at seq "+itoa(seq)) {
		t.Errorf("verify after tampering with entry %d: %v\n%s", seq, err, out)
	}

	// Reopened with the network gone, sitrep shows the cached incidents at
	// once, marked as such, and says why it cannot refresh.
	offline := startTerminal(t, 120, 30, append(env, "PAGERDUTY_TOKEN=demo-token"), bin, "--journal", journalPath, "--scope", "all", "--api-url", "http://127.0.0.1:1")
	offline.waitFor("the cached incidents", 5*time.Second, func(s string) bool {
		return strings.Contains(s, "cached, updated") && strings.Contains(s, "checkout-db connection pool exhausted")
	})
	offline.waitFor("the refresh error", 20*time.Second, contains("connection refused"))
	offline.send("q")
}

func rowHas(screen, title, glyph string) bool {
	for _, line := range strings.Split(screen, "\n") {
		if strings.Contains(line, title) && strings.Contains(line, glyph) {
			return true
		}
	}
	return false
}

func incidentID(t *testing.T, ctx context.Context, c *pd.Client, title string) string {
	t.Helper()
	list, err := c.ListIncidentsWithContext(ctx, pd.ListIncidentsOptions{Statuses: []string{"triggered", "acknowledged", "resolved"}, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range list.Incidents {
		if strings.Contains(in.Title, title) {
			return in.ID
		}
	}
	t.Fatalf("no incident titled %q", title)
	return ""
}

// tamper replaces text inside the journal entry that holds it, as someone
// editing the file with bbolt would, and returns that entry's sequence.
func tamper(t *testing.T, path, from, to string) uint64 {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var seq uint64
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("entries"))
		return b.ForEach(func(k, v []byte) error {
			if seq == 0 && bytes.Contains(v, []byte(from)) {
				seq = binary.BigEndian.Uint64(k)
				return b.Put(append([]byte(nil), k...), bytes.Replace(append([]byte(nil), v...), []byte(from), []byte(to), 1))
			}
			return nil
		})
	})
	if err != nil || seq == 0 {
		t.Fatalf("tamper: %v (found at seq %d)", err, seq)
	}
	return seq
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
