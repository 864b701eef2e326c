package main

import (
	"os"

	"sitrep/actions"
	"sitrep/sources/sanitize"
)

// knownSecrets is every secret sitrep can name at start: the PagerDuty
// token, the Prometheus and Loki bearer tokens, and the values of the
// variables the catalogue's secret headers and Slack webhooks read. The
// cockpit, the journal, exports and every action plan redact them by value
// from whatever they show, so a server or proxy that echoes one back puts
// nothing on the screen. Secrets resolved later (a header's token_cmd, a
// webhook read at run time) join the same set.
func knownSecrets(cfg *config, token string, cat *actions.Catalogue) *sanitize.Secrets {
	s := &sanitize.Secrets{}
	s.Add(token)
	var envs []string
	if cfg != nil {
		envs = append(envs, cfg.Loki.BearerTokenEnv, cfg.Prometheus.BearerTokenEnv)
	}
	if cat != nil {
		for _, a := range cat.Actions() {
			envs = append(envs, a.Announce.SlackWebhookEnv)
			if a.HTTP != nil {
				for _, h := range a.HTTP.Secrets {
					envs = append(envs, h.Env)
				}
			}
		}
	}
	for _, env := range envs {
		if env != "" {
			s.Add(os.Getenv(env))
		}
	}
	return s
}
