package main

import (
	"context"
	"strings"
	"testing"
	"time"

	pd "github.com/PagerDuty/go-pagerduty"
)

// The built-in PagerDuty operations are in the palette of a catalogue that
// does not define them, and one runs from the command mode through the
// preview to PagerDuty: the real binary in the demo.
func TestBuiltInOperationEndToEnd(t *testing.T) {
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
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	id := incidentID(t, ctx, client, "payment-gateway 5xx")

	// The demo catalogue defines escalate, snooze and reassign; the other
	// operations are the built-ins.
	term.send("!")
	term.waitFor("the palette", 5*time.Second, contains("restart_service"))
	time.Sleep(600 * time.Millisecond) // past the grace period of what just opened
	term.send("urgency")
	term.waitFor("the built-in in the palette", 5*time.Second, contains("set_urgency"))
	term.send("Escape") // clears the filter
	term.waitFor("the filter cleared", 5*time.Second, contains("restart_service"))
	term.send("Escape")
	term.waitFor("the palette closed", 5*time.Second, func(s string) bool { return !strings.Contains(s, "Actions for #") })

	term.send(":")
	time.Sleep(600 * time.Millisecond)
	term.send("set_urgency --urgency=low", "Enter")
	preview := term.waitFor("the preview", 20*time.Second, contains("Type payment-gateway to run set_urgency"))
	if !strings.Contains(preview, "PUT /incidents/"+id) || !strings.Contains(preview, "no dry run") {
		t.Errorf("the preview does not show the request and why there is no dry run:\n%s", preview)
	}
	time.Sleep(600 * time.Millisecond) // past the type-ahead grace period
	term.send("payment-gateway", "Enter")

	deadline := time.Now().Add(60 * time.Second)
	for {
		in, err := client.GetIncidentWithContext(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if in.Urgency == "low" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the urgency of %s is still %s:\n%s", id, in.Urgency, term.screen())
		}
		time.Sleep(500 * time.Millisecond)
	}
}
