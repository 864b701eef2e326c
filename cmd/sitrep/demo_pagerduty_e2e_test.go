package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	pd "github.com/PagerDuty/go-pagerduty"
)

// The demo is a local PagerDuty other tools can be pointed at: it prints the
// emulator's URL and token on stderr, and a client that is not sitrep (an
// OAuth client, a raw single-incident update) works with what it printed.
func TestDemoPrintsItsPagerDutyForOtherTools(t *testing.T) {
	bin := buildSitrep(t)
	dir := t.TempDir()
	env, state := demoEnv(dir)
	errFile := filepath.Join(dir, "stderr")
	term := startTerminal(t, 120, 40, env, "sh", "-c", quoteAll([]string{bin})[0]+" demo --seed 3 2>"+quoteAll([]string{errFile})[0])

	st := readDemoState(t, state)
	term.waitFor("the incident list", 15*time.Second, contains("payment-gateway 5xx rate"))
	printed, err := os.ReadFile(errFile)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`PagerDuty API (\S+) token (\S+)`).FindStringSubmatch(string(printed))
	if m == nil || m[1] != st.PagerDutyURL || m[2] != st.Token {
		t.Fatalf("stderr does not carry the emulator's URL %s and token; it says:\n%s", st.PagerDutyURL, printed)
	}
	if n := strings.Count(strings.TrimSpace(string(printed)), "\n"); n != 0 {
		t.Errorf("the demo printed %d lines on stderr before the cockpit, want one:\n%s", n+1, printed)
	}
	url, token := m[1], m[2]

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	oauth := pd.NewClient(token, pd.WithOAuth(), pd.WithAPIEndpoint(url))
	me, err := oauth.GetCurrentUserWithContext(ctx, pd.GetCurrentUserOptions{})
	if err != nil {
		t.Fatalf("an OAuth client against the printed URL: %v", err)
	}
	if len(me.Teams) == 0 {
		t.Fatalf("the demo user %s is on no team", me.Email)
	}
	members, err := oauth.ListTeamMembers(ctx, me.Teams[0].ID, pd.ListTeamMembersOptions{})
	if err != nil || len(members.Members) == 0 {
		t.Fatalf("members of %s: %+v, %v", me.Teams[0].ID, members, err)
	}
	list, err := oauth.ListIncidentsWithContext(ctx, pd.ListIncidentsOptions{Statuses: []string{"triggered"}, Limit: 100})
	if err != nil || len(list.Incidents) == 0 {
		t.Fatalf("triggered incidents: %+v, %v", list, err)
	}
	id := list.Incidents[0].ID

	// Acknowledge as PagerDuty's own clients do: one incident, wrapped.
	body := strings.NewReader(`{"incident":{"type":"incident_reference","status":"acknowledged"}}`)
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, url+"/incidents/"+id, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("From", me.Email)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		Incident struct{ Status string } `json:"incident"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != http.StatusOK || got.Incident.Status != "acknowledged" {
		t.Fatalf("PUT /incidents/%s: %d %+v %v", id, resp.StatusCode, got, err)
	}
	after, err := oauth.GetIncidentWithContext(ctx, id)
	if err != nil || after.Status != "acknowledged" {
		t.Errorf("incident %s after the update: %+v, %v", id, after, err)
	}
	term.send("q")
}
