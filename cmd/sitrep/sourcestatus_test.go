package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"sitrep/sources/metrics/promtest"
	"sitrep/sources/pagerduty"
	"sitrep/tui"
)

// cockpit runs a tui.Model as the program would, without a terminal: each
// command in a goroutine, each message through Update, the view at 80×24.
type cockpit struct {
	t    *testing.T
	m    tea.Model
	msgs chan tea.Msg
}

func newCockpit(t *testing.T, env *environment) *cockpit {
	t.Helper()
	opts := env.tuiOptions(pagerduty.ScopeAll, false)
	c := &cockpit{t: t, m: tui.New(env.feed, opts), msgs: make(chan tea.Msg, 256)}
	c.run(c.m.Init())
	c.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	return c
}

func (c *cockpit) run(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() {
		if msg := cmd(); msg != nil {
			c.msgs <- msg
		}
	}()
}

func (c *cockpit) send(msg tea.Msg) {
	if b, ok := msg.(tea.BatchMsg); ok {
		for _, cmd := range b {
			c.run(cmd)
		}
		return
	}
	// tea.Sequence's message is a slice of commands too.
	if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeFor[tea.Cmd]() {
		for i := range v.Len() {
			c.run(v.Index(i).Interface().(tea.Cmd))
		}
		return
	}
	next, cmd := c.m.Update(msg)
	c.m = next
	c.run(cmd)
}

func (c *cockpit) view() string { return ansi.Strip(c.m.View().Content) }

func (c *cockpit) keys(keys ...string) {
	for _, k := range keys {
		switch k {
		case "enter":
			c.send(tea.KeyPressMsg{Code: tea.KeyEnter})
		case "tab":
			c.send(tea.KeyPressMsg{Code: tea.KeyTab})
		default:
			for _, r := range k {
				c.send(tea.KeyPressMsg{Code: r, Text: string(r)})
			}
		}
	}
}

// until handles messages until the view satisfies cond, or fails the test
// after a generous deadline.
func (c *cockpit) until(what string, cond func(view string) bool) string {
	c.t.Helper()
	return c.untilDoing(what, cond, nil)
}

// untilDoing is until, doing again every few hundred milliseconds (a key
// that a dialog ignores while it has just opened).
func (c *cockpit) untilDoing(what string, cond func(view string) bool, again func()) string {
	c.t.Helper()
	deadline := time.After(90 * time.Second)
	tick := time.NewTicker(300 * time.Millisecond)
	defer tick.Stop()
	for {
		if v := c.view(); cond(v) {
			return v
		}
		select {
		case msg := <-c.msgs:
			c.send(msg)
		case <-tick.C:
			if again != nil {
				again()
			}
		case <-deadline:
			c.t.Fatalf("timed out waiting for %s; screen:\n%s", what, c.view())
		}
	}
}

// TestSourcesTellTheTruthAboutThemselves configures payment-gateway with
// broken sources beside working ones — a real Prometheus with a query that
// has no series, a dead Loki, a log command that exits 2, a log file
// deleted after it was read, a git
// repository that does not exist beside PagerDuty's change events — and
// reads the panes as the engineer would at 80×24.
func TestSourcesTellTheTruthAboutThemselves(t *testing.T) {
	sh := needTool(t, "sh", "apt-get install -y dash")
	prom := promtest.Start(t, promtest.NewSpike(time.Now()).Series)
	ew := startEnrichWorld(t)
	dir := t.TempDir()
	served := filepath.Join(dir, "app.log")
	gone := filepath.Join(dir, "old.log")
	for _, p := range []string{served, gone} {
		if err := os.WriteFile(p, []byte("INFO request served\nERROR upstream timeout from acquirer\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	yaml := fmt.Sprintf(`api_url: %s
prometheus: {url: %q}
loki: {url: "http://%s"}
enrichment: {timeout: 3s}
services:
  payment-gateway:
    env: prod
    metrics:
      - {name: "up", query: "vector(1)"}
      - {name: "queue depth", query: "sitrep_no_such_metric"}
    logs:
      - file: %q
      - file: %q
      - loki: '{app="payment-gateway"}'
      - command: [%q, "-c", "echo 'error: pods \"pay-7f9\" not found' >&2; exit 2"]
    deploys:
      - git: {repo: %q}
      - pagerduty: true
`, ew.w.PagerDutyURL, prom.URL, deadAddress(t), served, gone, sh, filepath.Join(dir, "no-such-repo"))
	env := ew.environment(t, yaml)

	// The deleted file was read once before it went.
	fetchAll(t, env.enricher, ew.incident)
	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	env.enricher.Forget(ew.incident) // as r does; else the cache answers for a while

	c := newCockpit(t, env)
	c.until("the incident list", func(v string) bool { return strings.Contains(v, "payment-gateway") })
	c.keys("/", "5xx", "enter")
	for range 4 {
		c.keys("tab") // Overview → Metrics
	}

	metricsView := c.until("the metrics statuses", func(v string) bool { return strings.Contains(v, "queue depth: no data") })
	checkScreen(t, "Metrics", metricsView, []string{"✓ up: ok", "○ queue depth: no data (no series since"}, nil)

	c.keys("tab")
	logsView := c.until("the logs statuses", func(v string) bool {
		return strings.Contains(v, "✗ command sh") && strings.Contains(v, "old.log: error") && !strings.Contains(v, "(stderr)")
	})
	checkScreen(t, "Logs", logsView, []string{
		"/app.log: ok",
		"old.log: error: file deleted at",
		`✗ loki {app="payment-gateway"}: error: loki http://127.0.0.1:`,
		`✗ command sh -c echo 'error: pods…: error: sh: exit status 2: error: pods "pay-`,
		"ERROR upstream timeout from acquirer",
	}, []string{"sitrep:", "(stderr)"})

	c.keys("tab")
	deploysView := c.until("the deploys statuses", func(v string) bool { return strings.Contains(v, "no-such-repo") })
	checkScreen(t, "Deploys", deploysView, []string{
		"no-such-repo: error: git repository",
		"✓ pagerduty change events: ok",
		"Deploy payment-gateway v2.14.0",
	}, nil)

	// E's note holds the service's evidence: one error line of the file
	// that is there (the dead sources added none), and sitrep's own
	// failures apart, marked as sitrep's.
	c.keys("E")
	c.until("E's dialog", func(v string) bool { return strings.Contains(v, "Attach this to") })
	c.untilDoing("E's note to be sent", func(v string) bool { return !strings.Contains(v, "Attach this to") }, func() { c.keys("y") })
	var summary string
	c.untilDoing("E's note in PagerDuty", func(string) bool { return summary != "" }, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		d, err := env.feed.Detail(ctx, ew.incident.ID)
		if err != nil {
			return
		}
		for _, n := range d.Notes {
			if strings.Contains(n.Content, "sitrep enrichment") {
				summary = n.Content
			}
		}
	})
	if !strings.Contains(summary, "- logs: 1 error lines of the last 2; latest: ERROR upstream timeout from acquirer") {
		t.Errorf("the logs line of the summary counts sitrep's failures or misses the service's error:\n%s", summary)
	}
	for _, line := range strings.Split(summary, "\n") {
		if strings.Contains(line, "pay-7f9") || strings.Contains(line, "deleted") || strings.Contains(line, "no-such-repo") {
			if !strings.HasPrefix(line, "- (sitrep could not read its ") {
				t.Errorf("a source failure in the summary is not marked as sitrep's: %q", line)
			}
		}
	}
	if !strings.Contains(summary, "- (sitrep could not read its logs source command sh") {
		t.Errorf("the summary does not say the failing command could not be read:\n%s", summary)
	}

	// Back on the Logs pane, the file is deleted while it is followed:
	// its status says so, and recovers when the file is back.
	c.keys("tab", "tab", "tab", "tab", "tab", "tab", "tab") // Deploys → History → … → Logs
	if err := os.Remove(served); err != nil {
		t.Fatal(err)
	}
	c.until("the deleted file's status", func(v string) bool { return strings.Contains(v, "app.log: error: file deleted at") })
	if err := os.WriteFile(served, []byte("INFO back again\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.until("the file's status ok again", func(v string) bool { return strings.Contains(v, "/app.log: ok") })
}

// checkScreen checks that each line of the screen fits 80 columns, that
// every want appears on the screen, and that no notWant does.
func checkScreen(t *testing.T, pane, view string, want, notWant []string) {
	t.Helper()
	lines := strings.Split(view, "\n")
	for i, l := range lines {
		if w := ansi.StringWidth(l); w > 80 {
			t.Errorf("%s: line %d is %d columns wide: %q", pane, i, w, l)
		}
	}
	for _, w := range want {
		found := false
		for _, l := range lines {
			if strings.Contains(l, w) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s pane lacks %q; screen:\n%s", pane, w, view)
		}
	}
	for _, n := range notWant {
		if strings.Contains(view, n) {
			t.Errorf("%s pane shows %q; screen:\n%s", pane, n, view)
		}
	}
}
