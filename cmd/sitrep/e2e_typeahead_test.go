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

// Keys sent in one burst, as a script, a paste or fast fingers send them,
// must not act on the screen underneath what they asked for: the real
// binary in the demo, each burst in a single tmux send-keys.
func TestTypeAheadBurstEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("drives the real binary")
	}
	bin := buildSitrep(t)
	dir := t.TempDir()
	env, state := demoEnv(dir)
	term := startTerminal(t, 120, 40, env, bin, "demo", "--seed", "5", "--refresh", "2s")
	st := readDemoState(t, state)
	term.waitFor("the incident list", 15*time.Second, contains("payment-gateway 5xx rate"))
	term.send("/", "5xx rate", "Enter")
	term.waitFor("the filter", 10*time.Second, func(s string) bool {
		return strings.Contains(s, "/5xx rate") && !strings.Contains(s, "checkout-db connection pool")
	})

	client := pd.NewClient(st.Token, pd.WithAPIEndpoint(st.PagerDutyURL))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	id := incidentID(t, ctx, client, "payment-gateway 5xx")
	notesBefore := countNotes(t, ctx, client, id)

	// The audit's burst from the list: the palette opens on "!", and the
	// rest arrives before anyone could have read it. (If the machine stalls
	// past the grace period, enter prepares an action and the preparation
	// holds the rest: either way the list never sees a key.)
	burst(t, term, "!", "Enter", "payment-gateway", "Enter", "a", "p", "n", "x", "J")
	held := term.waitFor("the held burst reported", 10*time.Second, regexp.MustCompile(`ignored \d+ keys typed before the (palette|preview) opened`).MatchString)
	switch {
	case strings.Contains(held, "Actions for #"):
		leave(term, "Actions for #")
	case strings.Contains(held, "Type payment-gateway to run"):
		leave(term, "Type payment-gateway to run")
	default:
		leave(term, "esc abandons")
	}

	// The same burst once the palette has been read: enter prepares the
	// action, and the keys that follow wait for the preview and its grace
	// period instead of reaching the list.
	term.send("!")
	term.waitFor("the palette", 5*time.Second, contains("restart_service"))
	time.Sleep(600 * time.Millisecond) // past the grace period of what just opened
	term.send("restart")
	term.waitFor("the palette filtered", 5*time.Second, contains("/restart"))
	burst(t, term, "Enter", "payment-gateway", "Enter", "a", "p", "n", "x")
	preview := term.waitFor("the preview with the held keys", 20*time.Second, func(s string) bool {
		return strings.Contains(s, "Type payment-gateway to run restart_service") &&
			regexp.MustCompile(`ignored \d+ keys typed before the preview opened`).MatchString(s)
	})
	if strings.Contains(preview, "> payment-gateway") || strings.Contains(preview, "confirmation refused") {
		t.Errorf("keys typed before the preview opened reached its confirmation:\n%s", preview)
	}
	leave(term, "Type payment-gateway to run")

	// Nothing reached PagerDuty: still triggered, no new note.
	in, err := client.GetIncidentWithContext(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if in.Status != "triggered" {
		t.Errorf("the burst changed %s to %s", id, in.Status)
	}
	if n := countNotes(t, ctx, client, id); n != notesBefore {
		t.Errorf("the burst added %d notes to %s", n-notesBefore, id)
	}
	term.send("q")
	term.waitFor("sitrep to exit", 15*time.Second, contains("sitrep journal ls --journal"))
	// Nothing reached the journal: no pin, note, acknowledgement or export.
	cmd := exec.Command(bin, "journal", "show", id, "--journal", filepath.Join(dir, "data", "sitrep", "demo-journal.db"))
	cmd.Env = append(append(os.Environ(), env...), "PAGERDUTY_TOKEN=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("journal show: %v\n%s", err, out)
	}
	for _, bad := range []string{"pinned", "acknowledged #", "exported", "payment-gatewayapnx"} {
		if strings.Contains(string(out), bad) {
			t.Errorf("the journal of %s has %q from the burst:\n%s", id, bad, out)
		}
	}
	if !strings.Contains(string(out), "restart_service") {
		t.Errorf("the journal of %s does not show the previewed action, so it may not be the journal the demo wrote:\n%s", id, out)
	}
}

// burst sends keys in one tmux send-keys, so they reach sitrep together.
func burst(t *testing.T, term *terminal, keys ...string) {
	t.Helper()
	args := append([]string{"send-keys", "-t", term.name}, keys...)
	if out, err := exec.Command("tmux", args...).CombinedOutput(); err != nil {
		t.Fatalf("tmux send-keys %q: %v\n%s", keys, err, out)
	}
}

// leave closes what is open, after its grace period, and waits until
// what showed it is gone.
func leave(term *terminal, shown string) {
	term.t.Helper()
	time.Sleep(600 * time.Millisecond) // past the grace period of what just opened
	term.send("Escape")
	term.waitFor("the list again", 10*time.Second, func(s string) bool {
		return !strings.Contains(s, shown) && strings.Contains(s, "─────")
	})
}

func countNotes(t *testing.T, ctx context.Context, c *pd.Client, id string) int {
	t.Helper()
	notes, err := c.ListIncidentNotesWithContext(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return len(notes)
}
