// Package childenv builds the environment of the commands sitrep runs to
// read logs and changes: the user's own, without sitrep's secrets.
package childenv

import (
	"os"
	"strings"
)

// For is the environment of a command sitrep runs: sitrep's own,
// minus sitrep's secrets and settings, plus the configured pairs (which
// win, being later).
//
// A configured kubectl, journalctl or deploy script needs what the user's
// shell gives it (HOME, PATH, KUBECONFIG, AWS_*, SSH_AUTH_SOCK, ...), so
// the environment is inherited; only these are kept back:
//
//   - PAGERDUTY_TOKEN, sitrep's PagerDuty API token;
//   - every SITREP_* variable, sitrep's own settings.
//
// Other tokens in the environment are the user's, for the tools they
// configured, and pass through.
func For(extra []string) []string {
	env := os.Environ()
	out := make([]string, 0, len(env)+len(extra))
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if name == "PAGERDUTY_TOKEN" || strings.HasPrefix(name, "SITREP_") {
			continue
		}
		out = append(out, kv)
	}
	return append(out, extra...)
}
