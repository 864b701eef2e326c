package main

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// O through the real binary in the demo: the on-call screen shows the
// demo's policies for Alice's teams, each level with who covers it until
// when, Alice marked, and her next shifts; esc goes back to the list.
func TestOnCallScreenThroughTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("drives the real binary")
	}
	bin := buildSitrep(t)
	env, state := demoEnv(t.TempDir())
	term := startTerminal(t, 120, 40, env, bin, "demo", "--seed", "5", "--refresh", "2s")
	readDemoState(t, state)
	term.waitFor("the incident list", 15*time.Second, contains("payment-gateway 5xx rate"))

	term.send("O")
	screen := term.waitFor("the on-call rows", 15*time.Second, contains("Your shifts in the next 14 days"))
	if !strings.Contains(screen, "On call now for the teams of Alice Chen (Payments, Checkout)") {
		t.Errorf("the screen does not say whose teams:\n%s", screen)
	}
	until := `\w{3} \d{2} \w{3} \d{2}:\d{2} \(in \w+\)`
	for _, row := range []*regexp.Regexp{
		regexp.MustCompile(`Checkout on-call +L1 +\S.+ ` + until),
		regexp.MustCompile(`Payments on-call +L1 +\S.+ ` + until),
		regexp.MustCompile(`\n +L2 +\S.+ ` + until),
		regexp.MustCompile(`Alice Chen \(you\)`),
	} {
		if !row.MatchString(screen) {
			t.Errorf("no row matches %s:\n%s", row, screen)
		}
	}
	if !regexp.MustCompile(`(Checkout|Payments) on-call +L\d +(now|` + until + `) +` + until).MatchString(screen) {
		t.Errorf("Alice's shifts are not listed with from and until:\n%s", screen)
	}

	time.Sleep(600 * time.Millisecond) // past the screen's grace period
	term.send("Escape")
	term.waitFor("the list again", 5*time.Second, func(s string) bool {
		return !strings.Contains(s, "Your shifts in the next") && strings.Contains(s, "payment-gateway 5xx rate")
	})
}
