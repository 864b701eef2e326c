package main

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	pd "github.com/PagerDuty/go-pagerduty"
)

// The demo's billing-worker storm (Kafka consumer lag on three partitions
// within seconds, the storyline brought forward) is marked in the list and
// named in Overview; M opens the merge of the other two into the oldest,
// and once confirmed PagerDuty (the emulator) has one of them left open,
// the others merged into it. The real binary in tmux.
func TestStormMergedThroughTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("drives the real binary")
	}
	bin := buildSitrep(t)
	dir := t.TempDir()
	env, state := demoEnv(dir)
	term := startTerminal(t, 140, 45, env, bin, "demo", "--seed", "5", "--refresh", "1s", "--tick", "300ms")
	st := readDemoState(t, state)
	lagRow := regexp.MustCompile(`#(\d+) +≈ billing-worker Kafka consumer lag`)
	term.waitFor("the storm marked", 20*time.Second, func(s string) bool { return len(lagRow.FindAllString(s, -1)) == 3 })

	term.send("/", "consumer lag", "Enter")
	stormLine := regexp.MustCompile(`Storm +3 incidents, same service as #(\d+) \(#(\d+), #(\d+)\) — M merges them into #(\d+)`)
	screen := term.waitFor("Overview naming the storm", 10*time.Second, func(s string) bool { return stormLine.MatchString(s) })
	m := stormLine.FindStringSubmatch(screen)
	oldest, others := m[1], []string{m[2], m[3]}

	client := pd.NewClient(st.Token, pd.WithAPIEndpoint(st.PagerDutyURL))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	byNumber := lagIncidents(t, ctx, client)
	target := byNumber[oldest]
	if target.ID == "" || byNumber[others[0]].ID == "" || byNumber[others[1]].ID == "" {
		t.Fatalf("the storm's #%s, #%s, #%s are not PagerDuty's lag incidents %v", oldest, others[0], others[1], byNumber)
	}
	for n, in := range byNumber {
		if in.CreatedAt < target.CreatedAt {
			t.Errorf("#%s started before #%s, which the storm calls its oldest", n, oldest)
		}
	}

	time.Sleep(600 * time.Millisecond) // past the grace period of what just opened
	term.send("M")
	preview := term.waitFor("the merge's preview", 20*time.Second, contains("Type billing-worker to run merge"))
	if !strings.Contains(preview, "PUT /incidents/"+target.ID+"/merge") || !strings.Contains(preview, "(#"+oldest+")") {
		t.Errorf("the preview does not merge into #%s (%s):\n%s", oldest, target.ID, preview)
	}
	time.Sleep(600 * time.Millisecond) // past the type-ahead grace period
	term.send("billing-worker", "Enter")

	deadline := time.Now().Add(30 * time.Second)
	for {
		open := 0
		for _, in := range lagIncidents(t, ctx, client) {
			if in.Status != "resolved" {
				open++
			}
		}
		got, err := client.GetIncidentWithContext(ctx, target.ID)
		if err != nil {
			t.Fatal(err)
		}
		if open == 1 && got.Status != "resolved" {
			alerts, err := client.ListIncidentAlertsWithContext(ctx, target.ID, pd.ListIncidentAlertsOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(alerts.Alerts) != 3 {
				t.Errorf("#%s holds %d alerts after the merge, want the storm's 3", oldest, len(alerts.Alerts))
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d lag incidents still open, #%s %s:\n%s", open, oldest, got.Status, term.screen())
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// lagIncidents are PagerDuty's billing-worker Kafka lag incidents, by
// number.
func lagIncidents(t *testing.T, ctx context.Context, c *pd.Client) map[string]pd.Incident {
	t.Helper()
	list, err := c.ListIncidentsWithContext(ctx, pd.ListIncidentsOptions{Statuses: []string{"triggered", "acknowledged", "resolved"}, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]pd.Incident{}
	for _, in := range list.Incidents {
		if strings.Contains(in.Title, "Kafka consumer lag") {
			out[strconv.FormatUint(uint64(in.IncidentNumber), 10)] = in
		}
	}
	return out
}

// The demo routes certificates to Platform: its TLS incident, with Edge,
// shows the suggestion with its why; T opens the route's preview and, once
// confirmed, PagerDuty (the emulator) has the incident with Platform's
// policy and a note that says why.
func TestRouteThroughTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("drives the real binary")
	}
	bin := buildSitrep(t)
	dir := t.TempDir()
	env, state := demoEnv(dir)
	term := startTerminal(t, 130, 45, env, bin, "demo", "--seed", "5", "--refresh", "1s")
	st := readDemoState(t, state)
	term.waitFor("the incident list", 15*time.Second, contains("TLS certificate for api"))
	term.send("/", "TLS certificate", "Enter")
	screen := term.waitFor("the route suggested", 20*time.Second, contains("Route      → Platform on-call — press T"))
	if !strings.Contains(screen, "class certificate:") || !strings.Contains(lineWith(screen, "Escalation"), "Edge on-call") {
		t.Errorf("the suggestion lacks its why, or the incident is not with Edge:\n%s", screen)
	}
	client := pd.NewClient(st.Token, pd.WithAPIEndpoint(st.PagerDutyURL))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	id := incidentID(t, ctx, client, "TLS certificate for api")

	time.Sleep(600 * time.Millisecond)
	term.send("T")
	preview := term.waitFor("the route's preview", 20*time.Second, contains("Type edge-proxy to run route"))
	if !strings.Contains(preview, "PUT /incidents/"+id) {
		t.Errorf("the preview does not show the request:\n%s", preview)
	}
	time.Sleep(600 * time.Millisecond)
	term.send("edge-proxy", "Enter")

	deadline := time.Now().Add(30 * time.Second)
	for {
		in, err := client.GetIncidentWithContext(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		notes, err := client.ListIncidentNotesWithContext(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		noted := false
		for _, n := range notes {
			if strings.HasPrefix(n.Content, "Routed by sitrep to escalation policy Platform on-call") && strings.Contains(n.Content, "class certificate") {
				noted = true
			}
		}
		if in.EscalationPolicy.Summary == "Platform on-call" && noted {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is with %q, notes %+v:\n%s", id, in.EscalationPolicy.Summary, notes, term.screen())
		}
		time.Sleep(300 * time.Millisecond)
	}
	// Back on the list, the cockpit follows: the suggestion is gone once
	// the incident is where its class belongs.
	term.waitFor("the outcome prompt", 10*time.Second, contains("Did it help?"))
	time.Sleep(600 * time.Millisecond) // past the grace period of the question
	term.send("u")
	term.send("Escape")
	term.waitFor("the suggestion gone", 20*time.Second, func(s string) bool {
		return strings.Contains(lineWith(s, "Escalation"), "Platform on-call") && !strings.Contains(s, "press T")
	})
}
