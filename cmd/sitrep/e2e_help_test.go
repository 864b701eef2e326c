package main

import (
	"strings"
	"testing"
	"time"
)

// TestHelpEndToEnd opens ? on the list, on J and on the palette through
// the real binary, and checks that each lists its own keys and not the
// others'.
func TestHelpEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("drives the real binary")
	}
	bin := buildSitrep(t)
	dir := t.TempDir()
	env, state := demoEnv(dir)
	term := startTerminal(t, 120, 40, env, bin, "demo", "--seed", "5", "--refresh", "2s")
	readDemoState(t, state)
	term.waitFor("the incident list", 15*time.Second, contains("payment-gateway 5xx rate"))
	pause := func() { time.Sleep(600 * time.Millisecond) } // past the grace period of what just opened

	// help asks ? and checks the box for want and against unwanted.
	help := func(where string, want, unwanted []string) {
		t.Helper()
		term.send("?")
		s := term.waitFor("? on "+where, 5*time.Second, contains("any key closes"))
		words := strings.Join(strings.Fields(s), " ")
		for _, w := range want {
			if !strings.Contains(words, w) {
				t.Errorf("? on %s lacks %q:\n%s", where, w, s)
			}
		}
		for _, u := range unwanted {
			if strings.Contains(words, u) {
				t.Errorf("? on %s shows %q, a key of another screen:\n%s", where, u, s)
			}
		}
		pause()
		term.send("Escape")
		term.waitFor("the help closed", 5*time.Second, func(s string) bool { return !strings.Contains(s, "any key closes") })
		pause()
	}

	help("the list", []string{"a acknowledge", "R resolve", "J journal", "E enrichment to PagerDuty"},
		[]string{"close the journal", "clear the filter, then close"})

	term.send("J")
	term.waitFor("the journal", 10*time.Second, contains("Journal of #"))
	pause()
	help("the journal", []string{"enter open entry", "esc close the journal", "pgdn page down", "p pin as evidence"},
		[]string{"E enrichment to PagerDuty", "R resolve", "clear the filter, then close"})
	term.send("Escape")
	term.waitFor("the list again", 5*time.Second, func(s string) bool { return !strings.Contains(s, "Journal of #") })
	pause()

	term.send("!")
	term.waitFor("the palette", 10*time.Second, contains("Actions for #"))
	pause()
	help("the palette", []string{"enter preview", "esc clear the filter, then close", "/ filter"},
		[]string{"a acknowledge", "close the journal"})
	// The help closed back onto the palette, not the list.
	if s := term.screen(); !strings.Contains(s, "Actions for #") {
		t.Errorf("closing the help closed the palette:\n%s", s)
	}
}
