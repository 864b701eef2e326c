package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	pd "github.com/PagerDuty/go-pagerduty"
)

// The countdown and PagerDuty agree: in the demo, checkout-api's
// unacknowledged incident counts down to Checkout's second level in its
// Overview and the list, and when the count passes zero the emulator has
// escalated it (its assignee is the level-2 on-call, its log says so), and
// the cockpit shows the new assignee. The real binary in tmux, with the
// demo's escalation brought forward from 4 minutes to 25 seconds.
func TestEscalationCountdownThroughTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("waits half a minute for the demo's escalation")
	}
	bin := buildSitrep(t)
	dir := t.TempDir()
	env, state := demoEnv(dir)
	term := startTerminal(t, 130, 40, env, bin, "demo", "--seed", "5", "--refresh", "2s", "--escalate-in", "25s")
	st := readDemoState(t, state)
	term.waitFor("the incident list", 15*time.Second, contains("checkout-api POST /orders"))

	term.send("/", "POST /orders", "Enter")
	countdown := regexp.MustCompile(`Next +→ L2 Alice Chen in (\d+)s`)
	screen := term.waitFor("the countdown in Overview", 15*time.Second, func(s string) bool {
		return countdown.MatchString(s) && strings.Contains(s, "#11 ")
	})
	if !strings.Contains(lineWith(screen, "Assigned"), "Carmen Ruiz") {
		t.Errorf("before the escalation #11 is not with Carmen Ruiz (level 1):\n%s", screen)
	}
	row := lineWith(screen, "#11 ")
	if !regexp.MustCompile(`→ L2 Alice Chen in \d+s`).MatchString(row) {
		t.Errorf("the list row of #11 does not count down: %q", row)
	}
	first := countdown.FindStringSubmatch(screen)[1]
	// It counts down by the clock's tick, with nothing pressed.
	term.waitFor("the countdown to move", 5*time.Second, func(s string) bool {
		m := countdown.FindStringSubmatch(s)
		return m != nil && m[1] != first
	})

	// Past zero, PagerDuty has escalated it to level 2 and the cockpit
	// shows it with Alice.
	screen = term.waitFor("the escalation to Alice Chen", 45*time.Second, func(s string) bool {
		return strings.Contains(lineWith(s, "Assigned"), "Alice Chen")
	})
	if strings.Contains(lineWith(screen, "Next"), "→ L2") {
		t.Errorf("after the escalation Overview still counts down to level 2:\n%s", screen)
	}

	client := pd.NewClient(st.Token, pd.WithAPIEndpoint(st.PagerDutyURL))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	list, err := client.ListIncidentsWithContext(ctx, pd.ListIncidentsOptions{Statuses: []string{"triggered"}, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var in *pd.Incident
	for i := range list.Incidents {
		if list.Incidents[i].IncidentNumber == 11 {
			in = &list.Incidents[i]
		}
	}
	if in == nil {
		t.Fatalf("#11 is not triggered in PagerDuty: %+v", list.Incidents)
	}
	if len(in.Assignments) != 1 || in.Assignments[0].Assignee.Summary != "Alice Chen" {
		t.Errorf("PagerDuty has #11 with %+v, want Alice Chen", in.Assignments)
	}
	entries, err := client.ListIncidentLogEntriesWithContext(ctx, in.ID, pd.ListIncidentLogEntriesOptions{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	escalated := false
	for _, e := range entries.LogEntries {
		if e.Type == "escalate_log_entry" && strings.Contains(strings.ToLower(e.Summary), "level 2") {
			escalated = true
		}
	}
	if !escalated {
		t.Errorf("#11's log has no escalation to level 2: %+v", entries.LogEntries)
	}
	term.send("q")
}

// lineWith is the first line of a screen that holds sub, or "".
func lineWith(screen, sub string) string {
	for _, l := range strings.Split(screen, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}
