package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sitrep/actions"
	"sitrep/store/journal"
)

// A token_cmd that fails writes whatever it likes to stderr: a window
// title, an OSC 52 clipboard write, the half-token it printed. sitrep
// quotes one clean line of it, on a terminal as a user would meet it.
func TestFailingTokenCmdStderrIsClean(t *testing.T) {
	bin := buildSitrep(t)
	dir := t.TempDir()
	script := filepath.Join(dir, "token.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\n"+
		"printf 'half-a-token-abcd\\n'\n"+
		"printf '\\033]0;pwned\\007\\033]52;c;cHduZWQ=\\007vault: permission denied for half-a-token-abcd\\n' >&2\n"+
		"exit 1\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte("token_cmd: ["+script+"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config", cfg, "--journal", filepath.Join(dir, "journal.db"))
	cmd.Env = append(os.Environ(), "PAGERDUTY_TOKEN=")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("sitrep started with a failing token_cmd:\n%s", out)
	}
	text := string(out)
	if strings.ContainsAny(text, "\x1b\x07") || strings.Contains(text, "cHduZWQ") || strings.Contains(text, "pwned") {
		t.Errorf("escape sequences reached the terminal: %q", text)
	}
	if strings.Contains(text, "half-a-token") {
		t.Errorf("what token_cmd printed reached the terminal: %q", text)
	}
	if !strings.Contains(text, "token_cmd "+script+" failed") || !strings.Contains(text, "vault: permission denied") {
		t.Errorf("output %q does not say which command failed and why", text)
	}
}

func TestKnownSecrets(t *testing.T) {
	t.Setenv("PROM_TOKEN_T", "prom-bearer-1234")
	t.Setenv("LOKI_TOKEN_T", "loki-bearer-5678")
	t.Setenv("HOOK_T", "https://hooks.slack.com/services/T0/B0/xyz123")
	t.Setenv("API_KEY_T", "hdr-value-9999")
	cfg := &config{}
	cfg.Prometheus.BearerTokenEnv = "PROM_TOKEN_T"
	cfg.Loki.BearerTokenEnv = "LOKI_TOKEN_T"
	cat := catalogueWith(t, `actions:
  - name: page_team
    title: Page the team
    explain: Pages the team through its paging service; it changes nothing else.
    runner: http
    risk: low
    http:
      method: POST
      url: https://example.com/page
      secret_headers:
        X-Api-Key: {env: API_KEY_T}
    announce:
      slack_webhook_env: HOOK_T
`)
	s := knownSecrets(cfg, "pd-token-0000", cat)
	in := "pd-token-0000 prom-bearer-1234 loki-bearer-5678 https://hooks.slack.com/services/T0/B0/xyz123 hdr-value-9999"
	if got := s.RedactValues(in); got != "*** *** *** *** ***" {
		t.Errorf("RedactValues = %q", got)
	}
}

func catalogueWith(t *testing.T, yaml string) *actions.Catalogue {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "actions.yaml"), []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cat, problems := actions.Load(dir)
	if len(problems) > 0 {
		t.Fatalf("catalogue: %v", problems)
	}
	return cat
}

// sitrep export hides the token even where the journal kept it (written
// before sitrep knew it, or by an older sitrep).
func TestExportCommandHidesTheToken(t *testing.T) {
	jp, id := exportWorld(t)
	const token = "cli-Token-5555"
	j, err := journal.Open(jp, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Append(journal.Entry{Incident: id, Kind: "note", Actor: "Alice", Summary: "proxy said: Authorization: Token token=" + token}); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PAGERDUTY_TOKEN", token)
	out, err := runRoot(t, "export", id, "--journal", jp, "--api-url", "http://127.0.0.1:1")
	if err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	if strings.Contains(out, token) || !strings.Contains(out, "[redacted]") {
		t.Errorf("the export shows the token or does not say it hid it:\n%s", out)
	}
}
