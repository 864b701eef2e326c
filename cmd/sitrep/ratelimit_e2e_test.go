package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"sitrep/sources/demo/pdemulator"
)

// A 429 that carries only Retry-After quiets sitrep until the reset: the
// refreshes that come due meanwhile are not sent, and the screen words it
// as a rate limit. The real binary in a real terminal against the
// emulator.
func TestRetryAfterQuietsEveryRefresh(t *testing.T) {
	bin := buildSitrep(t)
	pd := pdemulator.New(pdemulator.Options{Token: "t"})
	url, err := pd.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pd.Close() })
	alice, _ := pd.AddUser(pdemulator.User{Name: "Alice Chen", Email: "alice@example.com"})
	if err := pd.SetCurrentUser(alice); err != nil {
		t.Fatal(err)
	}
	if err := pd.InjectFault(pdemulator.Fault{Method: "GET", Path: "/incidents", Kind: pdemulator.FaultRateLimit, RetryAfterOnly: true, RetryAfter: time.Minute}); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte("refresh_interval: 5s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env, _ := demoEnv(dir)
	env = append(env, "PAGERDUTY_TOKEN=t")
	term := startTerminal(t, 120, 30, env, bin, "--config", cfg, "--journal", filepath.Join(dir, "journal.db"), "--scope", "all", "--api-url", url)

	term.waitFor("the rate limit, worded as one", 30*time.Second, contains("PagerDuty is rate limiting sitrep; next try in"))
	// Later refreshes fail at once, unsent: the wait they report shrinks.
	left := regexp.MustCompile(`next try in (\d+)s`)
	screen := term.waitFor("a later refresh during the pause", 45*time.Second, func(s string) bool {
		m := left.FindStringSubmatch(s)
		if m == nil {
			return false
		}
		n, _ := strconv.Atoi(m[1])
		return n <= 50
	})
	if strings.Contains(screen, "cannot reach") {
		t.Errorf("a rate limit is shown as PagerDuty being unreachable:\n%s", screen)
	}
	lists := 0
	for _, r := range pd.Requests() {
		if r.Path == "/incidents" {
			lists++
		}
	}
	if lists != 1 {
		t.Errorf("PagerDuty received %d incident lists during a 60 s Retry-After, want only the one that earned it", lists)
	}
}
