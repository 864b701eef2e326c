package main

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// The enrichment and actions parts of config.yaml:
//
//	prometheus: {url: http://prometheus:9090}
//	loki: {url: http://loki:3100}
//	enrichment: {window: 30m, timeout: 5s, refresh: 15s}
//	actions: {dir: ~/.config/sitrep}
//	services:
//	  default: {env: prod}
//	  payment-gateway:            # PagerDuty service name or ID
//	    env: prod
//	    metrics:
//	      - {name: 5xx rate, query: 'sum(rate(...))', unit: ratio, threshold: 0.05}
//	    logs:
//	      - loki: '{service="payment-gateway"}'
//	      - command: [kubectl, logs, -f, deploy/payment-gateway]
//	      - file: /var/log/payment-gateway.log
//	      - journald: {unit: payment-gateway.service}
//	    deploys:
//	      - pagerduty: true
//	      - git: {repo: /src/payment-gateway, branch: main}
//	      - command: [deploy-history, payment-gateway]

type endpointConfig struct {
	URL string `yaml:"url"`
	// BearerTokenEnv names an environment variable holding a bearer
	// token; the token itself never sits in the file.
	BearerTokenEnv string `yaml:"bearer_token_env"`
}

type enrichmentConfig struct {
	// Window is how far before the incident start a change counts as a
	// likely cause, and how recent a log line must be for "ok".
	Window  string `yaml:"window"`
	Timeout string `yaml:"timeout"` // per source
	Refresh string `yaml:"refresh"` // while a pane is visible

	window, timeout, refresh time.Duration
}

type actionsConfig struct {
	// Dir holds actions.yaml and runbooks/; default the config directory.
	Dir string `yaml:"dir"`
}

type serviceConfig struct {
	Env     string         `yaml:"env"`
	Metrics []metricConfig `yaml:"metrics"`
	Logs    []logConfig    `yaml:"logs"`
	Deploys []deployConfig `yaml:"deploys"`
}

type metricConfig struct {
	Name      string   `yaml:"name"`
	Query     string   `yaml:"query"`
	Unit      string   `yaml:"unit"`
	Threshold *float64 `yaml:"threshold"`
}

// logConfig is one log source; exactly one field is set.
type logConfig struct {
	Loki     string          `yaml:"loki"`
	Command  []string        `yaml:"command"`
	File     string          `yaml:"file"`
	Journald *journaldConfig `yaml:"journald"`
}

type journaldConfig struct {
	Unit       string `yaml:"unit"`
	Identifier string `yaml:"identifier"`
	File       string `yaml:"file"`
	Directory  string `yaml:"directory"`
}

// deployConfig is one change source; exactly one field is set.
type deployConfig struct {
	PagerDuty *bool      `yaml:"pagerduty"`
	Git       *gitConfig `yaml:"git"`
	Command   []string   `yaml:"command"`
}

type gitConfig struct {
	Repo   string `yaml:"repo"`
	Branch string `yaml:"branch"` // merges on this branch; tags when empty
	URL    string `yaml:"url"`    // commit link, "{id}" replaced: https://git/x/commit/{id}
}

// Defaults of the enrichment settings.
const (
	defaultWindow        = 30 * time.Minute
	defaultSourceTimeout = 5 * time.Second
	defaultPaneRefresh   = 15 * time.Second
)

// validateServices checks the enrichment, endpoints and services parts.
func (c *config) validateServices() error {
	e := &c.Enrichment
	for _, d := range []struct {
		field string
		raw   string
		def   time.Duration
		out   *time.Duration
	}{
		{"enrichment.window", e.Window, defaultWindow, &e.window},
		{"enrichment.timeout", e.Timeout, defaultSourceTimeout, &e.timeout},
		{"enrichment.refresh", e.Refresh, defaultPaneRefresh, &e.refresh},
	} {
		*d.out = d.def
		if d.raw == "" {
			continue
		}
		v, err := time.ParseDuration(d.raw)
		if err != nil || v <= 0 {
			return c.fieldError(d.field, fmt.Sprintf("%q is not a positive duration: write it like 30s or 5m", d.raw))
		}
		*d.out = v
	}
	for _, ep := range []struct {
		field string
		cfg   endpointConfig
	}{{"prometheus.url", c.Prometheus}, {"loki.url", c.Loki}} {
		if ep.cfg.URL == "" {
			continue
		}
		u, err := url.Parse(ep.cfg.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c.fieldError(ep.field, fmt.Sprintf("%q is not an http(s) URL", ep.cfg.URL))
		}
	}
	for name, s := range c.Services {
		at := "services." + quoteKey(name)
		if s.Env != "" && !knownEnv(s.Env) {
			return c.fieldError(at+".env", fmt.Sprintf("%q is not an environment sitrep knows (%s): guards and confirmations depend on it, so a typo would weaken them", s.Env, strings.Join(knownEnvs, ", ")))
		}
		for i, m := range s.Metrics {
			p := fmt.Sprintf("%s.metrics[%d]", at, i)
			if strings.TrimSpace(m.Query) == "" {
				return c.fieldError(p, "query is missing: the PromQL to chart")
			}
			if m.Name == "" {
				return c.fieldError(p, "name is missing: what the pane calls the chart")
			}
			if len(s.Metrics) > 0 && c.Prometheus.URL == "" {
				return c.fieldError(p, "metrics need prometheus.url (any Prometheus-compatible server)")
			}
		}
		for i, l := range s.Logs {
			p := fmt.Sprintf("%s.logs[%d]", at, i)
			if n := countSet(l.Loki != "", len(l.Command) > 0, l.File != "", l.Journald != nil); n != 1 {
				return c.fieldError(p, "set exactly one of loki, command, file or journald")
			}
			if l.Loki != "" && c.Loki.URL == "" {
				return c.fieldError(p, "a loki log source needs loki.url")
			}
			if l.Journald != nil && l.Journald.Unit == "" && l.Journald.Identifier == "" && l.Journald.File == "" && l.Journald.Directory == "" {
				return c.fieldError(p, "journald needs a unit, an identifier, a file or a directory")
			}
		}
		for i, d := range s.Deploys {
			p := fmt.Sprintf("%s.deploys[%d]", at, i)
			if n := countSet(d.PagerDuty != nil, d.Git != nil, len(d.Command) > 0); n != 1 {
				return c.fieldError(p, "set exactly one of pagerduty, git or command")
			}
			if d.Git != nil && d.Git.Repo == "" {
				return c.fieldError(p, "git needs repo: the repository's path")
			}
		}
	}
	return nil
}

// knownEnvs are the environment names a service may have. Production's
// names raise every action's confirmation to the typed service name.
var knownEnvs = []string{"prod", "production", "live", "staging", "stage", "preprod", "canary", "qa", "test", "dev", "development", "sandbox"}

func knownEnv(env string) bool {
	for _, k := range knownEnvs {
		if env == k {
			return true
		}
	}
	return false
}

var plainKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// quoteKey writes a map key into a YAML path.
func quoteKey(k string) string {
	if plainKey.MatchString(k) {
		return k
	}
	return "'" + strings.ReplaceAll(k, "'", "''") + "'"
}

func countSet(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// service finds a PagerDuty service's settings by name or ID, over the
// "default" entry: a field the service leaves empty is the default's.
func (c *config) service(name, id string) serviceConfig {
	def := c.Services["default"]
	s, ok := c.Services[name]
	if !ok {
		s, ok = c.Services[id]
	}
	if !ok {
		return def
	}
	if s.Env == "" {
		s.Env = def.Env
	}
	if s.Metrics == nil {
		s.Metrics = def.Metrics
	}
	if s.Logs == nil {
		s.Logs = def.Logs
	}
	if s.Deploys == nil {
		s.Deploys = def.Deploys
	}
	return s
}
