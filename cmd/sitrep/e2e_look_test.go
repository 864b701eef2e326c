package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"sitrep/sources/demo/pdemulator"
)

// A settled look at an incident costs at most 4 PagerDuty requests, and r
// asks for everything again. The real binary in a real terminal against
// the emulator, counting the requests that name the incident, who is on
// call and change events.
func TestSettledLookRequestsThroughTheBinary(t *testing.T) {
	bin := buildSitrep(t)
	pd := pdemulator.New(pdemulator.Options{Token: "t"})
	url, err := pd.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pd.Close() })
	alice, err := pd.AddUser(pdemulator.User{Name: "Alice Chen", Email: "alice@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if err := pd.SetCurrentUser(alice); err != nil {
		t.Fatal(err)
	}
	ep, err := pd.AddEscalationPolicy(pdemulator.EscalationPolicy{Name: "Payments on-call", Levels: []pdemulator.EscalationLevel{{UserIDs: []string{alice}}}})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := pd.AddService(pdemulator.Service{Name: "payment-gateway", EscalationPolicyID: ep})
	if err != nil {
		t.Fatal(err)
	}
	res, err := pd.Trigger(pdemulator.TriggerOptions{ServiceID: svc, Title: "payment-gateway 5xx rate above 5%", Urgency: "high"})
	if err != nil {
		t.Fatal(err)
	}
	id := res.IncidentID

	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	// No refresh during the test: the counts are one look's.
	if err := os.WriteFile(cfg, []byte("refresh_interval: 30m\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env, _ := demoEnv(dir)
	env = append(env, "PAGERDUTY_TOKEN=t")
	term := startTerminal(t, 120, 30, env, bin, "--config", cfg, "--journal", filepath.Join(dir, "journal.db"), "--scope", "all", "--api-url", url)

	// look counts the requests of a look by path, once they have stopped
	// coming for a second.
	look := func() map[string]int {
		t.Helper()
		count := func() map[string]int {
			got := map[string]int{}
			for _, r := range pd.Requests() {
				path := r.Path
				if rest, ok := strings.CutPrefix(path, "/incidents/"+id); ok {
					path = "/incidents/{id}" + rest
				}
				switch {
				case strings.HasPrefix(path, "/incidents/{id}"), path == "/oncalls", path == "/change_events":
					got[r.Method+" "+path]++
				}
			}
			return got
		}
		last, quiet := total(count()), time.Now()
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if n := total(count()); n != last {
				last, quiet = n, time.Now()
			} else if time.Since(quiet) > time.Second {
				break
			}
		}
		got := count()
		pd.ResetRequests()
		return got
	}

	term.waitFor("the settled look", 30*time.Second, func(s string) bool {
		return strings.Contains(s, "payment-gateway 5xx") && regexp.MustCompile(`Timeline [1-9]`).MatchString(s)
	})
	settled := look()
	if n := total(settled); n > 4 || n == 0 {
		t.Errorf("a settled look made %d requests, want 1 to 4: %v", n, settled)
	}
	if settled["GET /incidents/{id}"] != 0 {
		t.Errorf("a settled look asked for the incident the list holds: %v", settled)
	}
	t.Logf("settled look: %d requests: %v", total(settled), settled)

	term.send("r")
	refreshed := look()
	for _, path := range []string{"GET /incidents/{id}", "GET /incidents/{id}/alerts", "GET /incidents/{id}/log_entries", "GET /incidents/{id}/notes", "GET /oncalls", "GET /incidents/{id}/related_change_events", "GET /change_events"} {
		if refreshed[path] == 0 {
			t.Errorf("r did not ask for %s: %v", path, refreshed)
		}
	}
	t.Logf("r: %d requests: %v", total(refreshed), refreshed)
}

func total(reqs map[string]int) int {
	n := 0
	for _, c := range reqs {
		n += c
	}
	return n
}
