package main

import (
	"context"
	"os"
	"path/filepath"
	"sitrep/store/journal"
	"strings"
	"testing"
	"time"
)

func writeConfig(t *testing.T, body string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		mode    os.FileMode
		wantErr []string // substrings of the error; none means success
		check   func(t *testing.T, c config)
	}{
		{
			name: "full",
			body: "api_url: http://127.0.0.1:9999\nrefresh_interval: 45s\nscope: team\ntoken_cmd: [pass, show, pd]\n",
			mode: 0o644,
			check: func(t *testing.T, c config) {
				if c.RefreshInterval != 45*time.Second || c.Scope != "team" || c.APIURL != "http://127.0.0.1:9999" || len(c.TokenCmd) != 3 {
					t.Errorf("got %+v", c)
				}
			},
		},
		{
			name: "defaults",
			body: "",
			mode: 0o644,
			check: func(t *testing.T, c config) {
				if c.RefreshInterval != defaultRefresh {
					t.Errorf("refresh = %s, want %s", c.RefreshInterval, defaultRefresh)
				}
			},
		},
		{name: "unknown field names line and column and the known ones", body: "scope: mine\nrefresh: 10s\n", mode: 0o644, wantErr: []string{":2:1:", "refresh", "refresh_interval"}},
		{name: "bad duration", body: "refresh_interval: soon\n", mode: 0o644, wantErr: []string{":1:", "soon"}},
		{name: "too fast", body: "refresh_interval: 1s\n", mode: 0o644, wantErr: []string{":1:19: refresh_interval: 1s is too short"}},
		{name: "bad scope", body: "api_url: https://x\nscope: everyone\n", mode: 0o644, wantErr: []string{":2:8: scope", "everyone", "mine, team or all"}},
		{name: "bad url", body: "api_url: api.pagerduty.com\n", mode: 0o644, wantErr: []string{"api_url", "https://"}},
		{name: "token readable by others", body: "token: abc123\n", mode: 0o644, wantErr: []string{"readable by others", "chmod 600"}},
		{name: "token private", body: "token: abc123\n", mode: 0o600},
		{name: "not yaml", body: "scope: [mine\n", mode: 0o644, wantErr: []string{"config.yaml:1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.body, tt.mode)
			c, err := loadConfig(path, true)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if tt.check != nil {
					tt.check(t, c)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want one containing %q", tt.wantErr)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
			if strings.Contains(err.Error(), "abc123") {
				t.Errorf("error %q shows the token", err)
			}
		})
	}
}

func TestMissingConfig(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.yaml")
	if _, err := loadConfig(missing, false); err != nil {
		t.Errorf("a missing default config is an error: %v", err)
	}
	if _, err := loadConfig(missing, true); err == nil {
		t.Error("a missing config named with --config is not an error")
	}
}

func TestToken(t *testing.T) {
	ctx := context.Background()
	t.Setenv("PAGERDUTY_TOKEN", "")
	c := config{path: "config.yaml", TokenCmd: []string{"echo", "from-cmd"}}
	if tok, err := c.token(ctx); err != nil || tok != "from-cmd" {
		t.Errorf("token_cmd: %q, %v", tok, err)
	}
	t.Setenv("PAGERDUTY_TOKEN", "from-env")
	if tok, _ := c.token(ctx); tok != "from-env" {
		t.Errorf("PAGERDUTY_TOKEN does not win: %q", tok)
	}
	t.Setenv("PAGERDUTY_TOKEN", "")
	c.TokenCmd = []string{"sh", "-c", "echo secret-value >&2; exit 3"}
	_, err := c.token(ctx)
	if err == nil || !strings.Contains(err.Error(), "token_cmd sh failed") {
		t.Errorf("failing token_cmd: %v", err)
	}
	c.TokenCmd = []string{"true"}
	if _, err := c.token(ctx); err == nil || !strings.Contains(err.Error(), "printed nothing") {
		t.Errorf("empty token_cmd: %v", err)
	}
	c.TokenCmd = nil
	if _, err := c.token(ctx); err == nil || !strings.Contains(err.Error(), "sitrep demo") {
		t.Errorf("no token: %v", err)
	}
}

func TestServicesConfig(t *testing.T) {
	good := `prometheus: {url: "http://127.0.0.1:9090"}
loki: {url: "http://127.0.0.1:3100"}
enrichment: {window: 45m, timeout: 3s}
services:
  default:
    env: prod
    deploys:
      - pagerduty: true
  payment-gateway:
    metrics:
      - {name: 5xx rate, query: 'sum(rate(x[5m]))', unit: ratio, threshold: 0.05}
    logs:
      - loki: '{service="payment-gateway"}'
      - command: [kubectl, logs, -f, deploy/payment-gateway]
      - journald: {unit: payment-gateway.service}
  search-indexer:
    env: staging
`
	c, err := loadConfig(writeConfig(t, good, 0o644), true)
	if err != nil {
		t.Fatal(err)
	}
	if c.Enrichment.window != 45*time.Minute || c.Enrichment.timeout != 3*time.Second || c.Enrichment.refresh != defaultPaneRefresh {
		t.Errorf("enrichment = %+v", c.Enrichment)
	}
	pg := c.service("payment-gateway", "PXYZ")
	if pg.Env != "prod" || len(pg.Metrics) != 1 || *pg.Metrics[0].Threshold != 0.05 || len(pg.Logs) != 3 || len(pg.Deploys) != 1 {
		t.Errorf("payment-gateway over default = %+v", pg)
	}
	if s := c.service("search-indexer", ""); s.Env != "staging" {
		t.Errorf("search-indexer env = %q", s.Env)
	}
	if s := c.service("unknown", "PABC"); s.Env != "prod" {
		t.Errorf("an unconfigured service does not get the default: %+v", s)
	}

	bad := []struct{ name, body, want string }{
		{"metric without query", "prometheus: {url: 'http://p:9090'}\nservices:\n  api:\n    metrics:\n      - name: x\n", ":5:13: services.api.metrics[0]: query is missing"},
		{"metric without server", "services:\n  api:\n    metrics:\n      - {name: x, query: up}\n", "metrics need prometheus.url"},
		{"two log kinds", "services:\n  api:\n    logs:\n      - {file: /x, command: [a]}\n", "services.api.logs[0]: set exactly one of"},
		{"loki without url", "services:\n  api:\n    logs:\n      - loki: '{a=\"b\"}'\n", "needs loki.url"},
		{"bad window", "enrichment:\n  window: soon\n", ":2:11: enrichment.window"},
		{"bad prometheus url", "prometheus:\n  url: prometheus:9090\n", "prometheus.url"},
		{"git without repo", "services:\n  api:\n    deploys:\n      - git: {branch: main}\n", "git needs repo"},
		{"nested typo", "services:\n  api:\n    metrcs: []\n", ":3:5: unknown field \"metrcs\""},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadConfig(writeConfig(t, tt.body, 0o644), true)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestConfigRefusesWhatWouldWeakenSafety(t *testing.T) {
	t.Setenv("SITREP_TEST_UNSET_TOKEN", "")
	for _, tt := range []struct{ name, body, want string }{
		{"token in clear text", "api_url: http://pagerduty.example.com\n", "would send the API token unencrypted"},
		{"env typo", "services:\n  api:\n    env: prd\n", ":3:10: services.api.env: \"prd\" is not an environment"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadConfig(writeConfig(t, tt.body, 0o644), true)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
	for _, ok := range []string{"api_url: http://127.0.0.1:8080\n", "api_url: http://localhost:8080\n", "api_url: https://api.pagerduty.com\n"} {
		if _, err := loadConfig(writeConfig(t, ok, 0o644), true); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	// A bearer token variable that is not set fails at start, naming it.
	c, err := loadConfig(writeConfig(t, "prometheus: {url: 'http://127.0.0.1:9', bearer_token_env: SITREP_TEST_UNSET_TOKEN}\n", 0o644), true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bearerToken(&c, "prometheus.bearer_token_env", "SITREP_TEST_UNSET_TOKEN"); err == nil || !strings.Contains(err.Error(), "SITREP_TEST_UNSET_TOKEN is not set") {
		t.Errorf("unset bearer token: %v", err)
	}
}

func TestDemoJournalIsNeverPulledFromUnderAnotherDemo(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_DATA_HOME", dir)
	t.Setenv("HOME", dir)
	g := &globalFlags{}
	first, err := openDemoJournal(g)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	if _, err := first.Append(journal.Entry{Incident: "Q1", Kind: "note", Summary: "first demo"}); err != nil {
		t.Fatal(err)
	}
	if _, err := openDemoJournal(g); err == nil || !strings.Contains(err.Error(), "another sitrep demo is running") {
		t.Fatalf("a second demo: %v", err)
	}
	// The first demo's journal is still its file, with its entry.
	if es, err := first.Entries("Q1"); err != nil || len(es) != 1 {
		t.Errorf("the first demo's journal lost its entry: %v %v", es, err)
	}
	first.Close()
	ro, err := openDemoJournal(&globalFlags{readOnly: true})
	if err != nil {
		t.Fatalf("demo --read-only: %v", err)
	}
	defer ro.Close()
	if es, _ := ro.Entries("Q1"); len(es) != 1 {
		t.Error("demo --read-only did not read the last run's journal")
	}
}
