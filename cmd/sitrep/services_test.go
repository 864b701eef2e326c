package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sitrep/sources/demo/world"
	"sitrep/sources/pagerduty"
)

func TestServicesListsTheDemo(t *testing.T) {
	_, state := startDemoWorld(t)
	out, err := runRoot(t, "services", "--demo", "--state-file", state)
	if err != nil {
		t.Fatalf("services --demo: %v\n%s", err, out)
	}
	lines := strings.Split(out, "\n")
	if !strings.HasPrefix(lines[0], "SERVICE ") || !strings.Contains(lines[0], "ESCALATION POLICY") {
		t.Errorf("header: %q", lines[0])
	}
	for _, s := range world.EnrichmentConfig() {
		if !strings.Contains(out, s.Service+" ") || !strings.Contains(out, "✓ "+s.Service) {
			t.Errorf("services does not list %s as named in the config:\n%s", s.Service, out)
		}
	}
	if !strings.Contains(out, "\nTEAM ") || !strings.Contains(out, "Payments") {
		t.Errorf("no teams:\n%s", out)
	}
	// The columns line up: every service row puts its ID at the same place.
	col := strings.Index(lines[0], "ID")
	for _, l := range lines[1:] {
		if l == "" {
			break
		}
		if !strings.HasPrefix(l[col:], "V") {
			t.Errorf("row %q: the ID is not under its header", l)
		}
	}

	out, err = runRoot(t, "services", "--demo", "--state-file", state, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Services []struct {
			ID, Name         string
			ConfigKey        string        `json:"config_key"`
			EscalationPolicy pagerduty.Ref `json:"escalation_policy"`
		}
		Teams []pagerduty.Team
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	if len(got.Services) != len(world.EnrichmentConfig()) || len(got.Teams) == 0 || got.Services[0].EscalationPolicy.Name == "" ||
		got.Services[0].Name == "" || got.Services[0].ConfigKey != got.Services[0].Name {
		t.Errorf("--json = %+v", got)
	}
}

func TestServiceKeyCheck(t *testing.T) {
	w, err := world.Start(world.Options{Seed: 1, Tick: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	feed := pagerduty.New(pagerduty.Config{APIURL: w.PagerDutyURL, Token: w.Token})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tests := []struct {
		keys []string
		want string
	}{
		{[]string{"default", "payment-gateway", "V000002"}, ""},
		{[]string{"payment-gatway", "checkout-db"}, `services: "payment-gatway" names no PagerDuty service; run sitrep doctor (nearest: payment-gateway)`},
		{[]string{"payment-gatway", "Checkout-DB"}, `services: 2 keys name no PagerDuty service; run sitrep doctor ("Checkout-DB" (nearest: checkout-db), "payment-gatway" (nearest: payment-gateway))`},
	}
	for _, tt := range tests {
		cfg := &config{Services: map[string]serviceConfig{}}
		for _, k := range tt.keys {
			cfg.Services[k] = serviceConfig{}
		}
		got, err := serviceKeyCheck(cfg, feed)(ctx)
		if err != nil || got != tt.want {
			t.Errorf("keys %v: %q, %v; want %q", tt.keys, got, err, tt.want)
		}
	}
}

// TestStartupNoticeEndToEnd starts the real cockpit in a terminal with a
// config whose one services: key is misspelt, and waits for the notice.
func TestStartupNoticeEndToEnd(t *testing.T) {
	bin := buildSitrep(t)
	w, err := world.Start(world.Options{Seed: 1, Tick: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	body := fmt.Sprintf("api_url: %s\nscope: all\nservices:\n  payment-gatway: {env: prod}\n", w.PagerDutyURL)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	env, _ := demoEnv(dir)
	env = append(env, "PAGERDUTY_TOKEN="+w.Token)
	term := startTerminal(t, 80, 24, env, bin, "--config", cfg)
	term.waitFor("the start-up notice", 30*time.Second, contains(`⚠ services: "payment-gatway" names no PagerDuty service; run sitrep doctor`))
	term.waitFor("the incident list", 30*time.Second, contains("payment-gateway"))
	term.send("q")
}
