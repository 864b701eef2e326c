package main

import (
	"strings"
	"testing"
	"time"
)

// TestTriageEndToEnd runs the demo in a real terminal: the payment-gateway
// incident, once looked at, shows the class "deploy regression" in
// Overview with its why (the rollout before the start and the 5xx ratio
// above its threshold), and its row carries the badge.
func TestTriageEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("drives the real binary")
	}
	bin := buildSitrep(t)
	dir := t.TempDir()
	env, state := demoEnv(dir)
	term := startTerminal(t, 140, 50, env, bin, "demo", "--seed", "7", "--refresh", "2s")
	readDemoState(t, state)
	term.waitFor("the incident list", 15*time.Second, contains("payment-gateway 5xx rate"))
	term.send("/", "payment-gateway 5xx", "Enter")

	screen := term.waitFor("the payment-gateway incident classified", 30*time.Second, func(s string) bool {
		return strings.Contains(s, "Triage") && strings.Contains(s, "deploy regression")
	})
	for _, want := range []string{"high confidence", "v2.14.0", "before the start", "> 0.05"} {
		if !strings.Contains(screen, want) {
			t.Errorf("Overview's Triage lacks %q:\n%s", want, screen)
		}
	}
	badged := false
	for _, line := range strings.Split(screen, "\n") {
		if strings.Contains(line, "payment-gateway 5xx rate") && strings.Contains(line, " deploy ") {
			badged = true
		}
	}
	if !badged {
		t.Errorf("the payment-gateway row has no deploy badge:\n%s", screen)
	}
}
