package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sitrep/sources/pagerduty"
)

// FuzzLoadConfig loads arbitrary config files, written readable by others
// as a careless user would: the load never panics, every error names the
// file and carries no escape byte, a token in such a file is always
// refused and never repeated in the error, and a config that loads is one
// sitrep can use (a known scope, a refresh interval it allows, an API URL
// that keeps the token encrypted).
func FuzzLoadConfig(f *testing.F) {
	for _, s := range []string{
		"", "api_url: http://127.0.0.1:9999\nrefresh_interval: 45s\nscope: team\ntoken_cmd: [pass, show, pd]\n",
		"scope: mine\nrefresh: 10s\n", "refresh_interval: soon\n", "refresh_interval: 1s\n", "scope: everyone\n",
		"api_url: api.pagerduty.com\n", "api_url: http://evil.example\n", "token: s3cr3t-t0ken-xyz\n", "scope: [mine\n",
		"token_cmd: ['', x]\n", "services:\n  payment-gateway:\n    metrics: [{name: x, promql: 'up'}]\n", "enrichment: {window: -5m}\n",
		"prometheus: {url: 'ftp://x'}\n", "\x1b]52;c;eA==\x07: 1\n", "scope: \"\\e[2J\"\n", "? [a, b]\n: c\n", "&a [*a]\n", "refresh_interval: 9999999h\n",
	} {
		f.Add(s)
	}
	path := filepath.Join(f.TempDir(), "config.yaml")
	f.Fuzz(func(t *testing.T, body string) {
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := loadConfig(path, true)
		if err != nil {
			msg := err.Error()
			if !strings.Contains(msg, path) {
				t.Fatalf("error %q does not name the file", msg)
			}
			if strings.ContainsAny(msg, "\x1b\x07\u009b\u009d") {
				t.Fatalf("error %q carries escape bytes", msg)
			}
			if c.Token != "" && len(c.Token) >= 8 && strings.Count(body, c.Token) == 1 && strings.Contains(msg, c.Token) {
				t.Fatalf("error %q shows the token", msg)
			}
			// Of several unknown fields, the YAML library names any one, so
			// only the failure itself must repeat.
			if _, again := loadConfig(path, true); again == nil {
				t.Fatalf("a second load of the same file succeeded, the first failed with %q", msg)
			}
			return
		}
		if c.Token != "" {
			t.Fatalf("a token in a file readable by others was accepted")
		}
		if c.RefreshInterval < minRefresh {
			t.Fatalf("refresh interval %s accepted", c.RefreshInterval)
		}
		if _, err := pagerduty.ParseScope(c.Scope); err != nil {
			t.Fatalf("scope %q accepted: %v", c.Scope, err)
		}
		if c.APIURL != "" && checkAPIURL(c.APIURL) != nil {
			t.Fatalf("api_url %q accepted", c.APIURL)
		}
		if len(c.TokenCmd) > 0 && c.TokenCmd[0] == "" {
			t.Fatalf("token_cmd %q accepted", c.TokenCmd)
		}
	})
}
