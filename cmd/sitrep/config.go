package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/goccy/go-yaml"

	"sitrep/actions/triage"
	"sitrep/sources/pagerduty"
	"sitrep/sources/sanitize"
)

// config is config.yaml. Every field is optional.
type config struct {
	// APIURL is PagerDuty's REST API, or anything that speaks it.
	APIURL string `yaml:"api_url"`
	// TokenCmd is an argv whose standard output is the API token (e.g. a
	// password manager). It runs without a shell.
	TokenCmd []string `yaml:"token_cmd"`
	// Token is the API token itself. Prefer PAGERDUTY_TOKEN or token_cmd;
	// a config file holding it must be readable by its owner only.
	Token string `yaml:"token"`
	// Refresh is refresh_interval as written ("30s"); RefreshInterval is
	// it parsed, so a bad value gets an error with its line and column.
	Refresh         string        `yaml:"refresh_interval"`
	RefreshInterval time.Duration `yaml:"-"`
	Scope           string        `yaml:"scope"`

	Prometheus endpointConfig           `yaml:"prometheus"`
	Loki       endpointConfig           `yaml:"loki"`
	Enrichment enrichmentConfig         `yaml:"enrichment"`
	Actions    actionsConfig            `yaml:"actions"`
	Services   map[string]serviceConfig `yaml:"services"`
	// Triage holds the rules that classify incidents (actions/triage).
	Triage triage.Config `yaml:"triage"`
	// History is how far back past incidents are read (history.go).
	History historyConfig `yaml:"history"`
	// Ring is how sitrep rings for a new high-urgency incident assigned
	// to the engineer while it is open.
	Ring ringConfig `yaml:"ring"`
	// classifier is Triage compiled, with the built-in rules.
	classifier *triage.Classifier

	path string
	data []byte // the file, to point errors at a line and column
}

// ringConfig is ring: the bell and the desktop notification, each on
// unless set to false.
type ringConfig struct {
	Bell    *bool `yaml:"bell"`
	Desktop *bool `yaml:"desktop"`
}

func (r ringConfig) bell() bool    { return r.Bell == nil || *r.Bell }
func (r ringConfig) desktop() bool { return r.Desktop == nil || *r.Desktop }

const (
	defaultRefresh = 30 * time.Second
	minRefresh     = 5 * time.Second
)

// configPath is $XDG_CONFIG_HOME/sitrep/config.yaml.
func configPath() (string, error) {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("find the config directory: set XDG_CONFIG_HOME or HOME: %w", err)
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "sitrep", "config.yaml"), nil
}

// loadConfig reads the config file. A missing file is an empty config when
// the path is the default one, and an error when the user named it.
func loadConfig(path string, named bool) (config, error) {
	cfg := config{path: path}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && !named {
		return cfg, cfg.validate()
	}
	if err != nil {
		return cfg, fmt.Errorf("read config: %w", err)
	}
	if err := yaml.UnmarshalWithOptions(data, &cfg, yaml.Strict()); err != nil {
		return cfg, configError(path, err)
	}
	cfg.path, cfg.data = path, data
	if cfg.Token != "" {
		if err := checkPrivate(path); err != nil {
			return cfg, err
		}
	}
	return cfg, cfg.validate()
}

var topLevelFields = []string{"api_url", "token_cmd", "token", "refresh_interval", "scope", "prometheus", "loki", "enrichment", "actions", "services", "triage", "history", "ring"}

// configError turns a YAML error into "file:line:column: what is wrong".
func configError(path string, err error) error {
	var ye yaml.Error
	if errors.As(err, &ye) && ye.GetToken() != nil {
		pos := ye.GetToken().Position
		// The message quotes the file, which may hold anything.
		msg := sanitize.Line(ye.GetMessage())
		if strings.Contains(msg, "unknown field") {
			if pos.Column == 1 {
				msg += " (known fields: " + strings.Join(topLevelFields, ", ") + ")"
			} else {
				msg += " (check the spelling; README.md lists every field)"
			}
		}
		return fmt.Errorf("%s:%d:%d: %s", path, pos.Line, pos.Column, msg)
	}
	return fmt.Errorf("%s: %s", path, sanitize.Line(err.Error()))
}

// checkPrivate refuses a secret in a file others can read.
func checkPrivate(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("check config permissions: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("%s holds a token but is readable by others (mode %04o): run chmod 600 %s, or move the token to PAGERDUTY_TOKEN or token_cmd", path, fi.Mode().Perm(), path)
	}
	return nil
}

func (c *config) validate() error {
	if c.Refresh != "" {
		d, err := time.ParseDuration(c.Refresh)
		if err != nil {
			return c.fieldError("refresh_interval", fmt.Sprintf("%q is not a duration: write it like 30s or 2m", c.Refresh))
		}
		c.RefreshInterval, c.Refresh = d, ""
	}
	if c.RefreshInterval == 0 {
		c.RefreshInterval = defaultRefresh
	}
	if c.RefreshInterval < minRefresh {
		return c.fieldError("refresh_interval", fmt.Sprintf("%s is too short: PagerDuty rate-limits the account, use %s or more", c.RefreshInterval, minRefresh))
	}
	if _, err := pagerduty.ParseScope(c.Scope); err != nil {
		return c.fieldError("scope", err.Error())
	}
	if c.APIURL != "" {
		if err := checkAPIURL(c.APIURL); err != nil {
			return c.fieldError("api_url", err.Error())
		}
	}
	if len(c.TokenCmd) > 0 && c.TokenCmd[0] == "" {
		return c.fieldError("token_cmd", "the first element must be a program")
	}
	if err := c.History.parse(); err != nil {
		return c.fieldError("history.window", err.Error())
	}
	classifier, err := triage.Load(c.Triage, c.path, c.data)
	if err != nil {
		return err
	}
	c.classifier = classifier
	return c.validateServices()
}

// triageClassifier is the classifier the triage section describes, or the
// built-in rules alone for a config that was not loaded from a file (the
// demo's).
func (c *config) triageClassifier() *triage.Classifier {
	if c.classifier == nil {
		c.classifier = triage.New(triage.DefaultRules())
	}
	return c.classifier
}

// fieldError names the file, and the line and column of the field when it
// came from the file (a flag has none).
func (c *config) fieldError(field, msg string) error {
	if p, err := yaml.PathString("$." + field); err == nil && len(c.data) > 0 {
		// Point at the field's value when it has one, else at its key.
		if node, err := p.ReadNode(bytes.NewReader(c.data)); err == nil && node != nil && node.GetToken() != nil {
			pos := node.GetToken().Position
			return fmt.Errorf("%s:%d:%d: %s: %s", c.path, pos.Line, pos.Column, field, msg)
		}
	}
	return fmt.Errorf("%s: %s: %s", c.path, field, msg)
}

// checkAPIURL refuses a URL that would carry the token in clear text to
// another machine: plain http is for loopback (the demo, a local proxy).
func checkAPIURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("%q is not an https:// URL", raw)
	}
	if u.Scheme == "http" {
		host := u.Hostname()
		if ip := net.ParseIP(host); !(host == "localhost" || ip != nil && ip.IsLoopback()) {
			return fmt.Errorf("%q would send the API token unencrypted to %s: use https://", raw, host)
		}
	}
	return nil
}

// token finds the API token: PAGERDUTY_TOKEN, then token_cmd, then token.
// The token is never printed, and never part of an error.
func (c *config) token(ctx context.Context) (string, error) {
	if t := strings.TrimSpace(os.Getenv("PAGERDUTY_TOKEN")); t != "" {
		return t, nil
	}
	if len(c.TokenCmd) > 0 {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, c.TokenCmd[0], c.TokenCmd[1:]...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			// Its stderr is outside text: escape sequences in it would
			// reach the terminal, and it may echo what it printed.
			quiet := &sanitize.Secrets{}
			for _, line := range strings.Split(string(out), "\n") {
				quiet.Add(line)
			}
			msg := fmt.Sprintf("token_cmd %s failed: %v", sanitize.Line(c.TokenCmd[0]), err)
			if why := quiet.Quote(stderr.String(), 300); why != "" {
				msg += ": " + why
			}
			return "", errors.New(msg)
		}
		t := strings.TrimSpace(string(out))
		if t == "" {
			return "", fmt.Errorf("token_cmd %s printed nothing; it must print the API token", sanitize.Line(c.TokenCmd[0]))
		}
		return t, nil
	}
	if c.Token != "" {
		return c.Token, nil
	}
	return "", errors.New("no PagerDuty token: set PAGERDUTY_TOKEN, or token_cmd in " + c.path + " (or try the demo: sitrep demo)")
}
