package main

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestUpstreamEndToEnd runs the demo in a real terminal: checkout-api's
// #11, which depends on checkout-db, flags checkout-db's #7 (which started
// first) in Overview as the likely cause; search-indexer's incident, which
// started before checkout-db's, flags nothing.
func TestUpstreamEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("drives the real binary")
	}
	bin := buildSitrep(t)
	dir := t.TempDir()
	env, state := demoEnv(dir)
	term := startTerminal(t, 140, 50, env, bin, "demo", "--seed", "7", "--refresh", "2s")
	readDemoState(t, state)
	term.waitFor("the incident list", 15*time.Second, contains("checkout-api POST /orders"))

	term.send("/", "POST /orders", "Enter")
	flag := regexp.MustCompile(`Upstream +checkout-db #7 started \d+m earlier — likely cause`)
	screen := term.waitFor("checkout-db's incident flagged upstream", 20*time.Second, func(s string) bool {
		return strings.Contains(s, "#11 ") && flag.MatchString(s)
	})
	if strings.Contains(screen, "dependencies unknown") {
		t.Errorf("Overview says the dependencies are unknown:\n%s", screen)
	}

	term.send("Escape") // clears the filter
	term.waitFor("the filter cleared", 10*time.Second, func(s string) bool { return !strings.Contains(s, "/POST /orders") })
	term.send("/", "Search indexing lag", "Enter")
	term.waitFor("search-indexer's incident looked at", 20*time.Second, func(s string) bool {
		return strings.Contains(s, "#4 ") && strings.Contains(s, "Search indexing lag") && strings.Contains(s, "Created")
	})
	// Give the dependency fetch its time, then make sure nothing is flagged.
	time.Sleep(3 * time.Second)
	screen = term.screen()
	if strings.Contains(screen, "Upstream") {
		t.Errorf("search-indexer's incident, older than checkout-db's, is flagged:\n%s", screen)
	}
}
