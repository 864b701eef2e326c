package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"sitrep/actions"
	"sitrep/sources/demo/catalogue"
	"sitrep/sources/demo/world"
	"sitrep/sources/pagerduty"
	"sitrep/sources/sanitize"
	"sitrep/store/journal"
	"sitrep/store/outbox"
	"sitrep/store/recorder"
	"sitrep/tui"
)

// environment is everything a command works with, built once from the
// config and flags: the feed, the journal, the enrichment and the actions.
type environment struct {
	cfg         *config
	token       string
	feed        *pagerduty.Client
	journal     *journal.Journal
	enricher    *enricher
	remediation *remediation
	recorder    *recorder.Recorder
	outbox      *outbox.Outbox // nil when read-only
	// secrets are redacted from everything shown, journaled or exported.
	secrets *sanitize.Secrets
	// startHead bounds the search for interrupted runs (interrupted.go).
	startHead uint64
	closers   []func()
}

func (e *environment) Close() {
	for i := len(e.closers) - 1; i >= 0; i-- {
		e.closers[i]()
	}
}

// environment builds the live environment: a real PagerDuty account.
func (g globalFlags) environment(cmd *cobra.Command) (*environment, error) {
	cfg, err := g.settings(cmd)
	if err != nil {
		return nil, err
	}
	token, err := cfg.token(cmd.Context())
	if err != nil {
		return nil, err
	}
	feed := pagerduty.New(pagerduty.Config{APIURL: cfg.APIURL, Token: token})
	j, err := g.openJournal(false)
	if err != nil {
		return nil, err
	}
	cat, problems := actions.Load(catalogueDirs(cfg.actionsDir())...)
	if len(problems) > 0 {
		j.Close()
		return nil, fmt.Errorf("the action catalogue has %d problem(s); run sitrep actions check. First: %s", len(problems), problems[0])
	}
	return assemble(&cfg, token, feed, j, cat, callerValues(cfg.APIURL), g.readOnly)
}

// callerValues are the from: caller parameters sitrep supplies: its own
// binary, and, when the API is a running demo's emulator, that demo's edge
// API and release file, so the demo's actions also run from sitrep run or
// a sitrep pointed at the demo.
func callerValues(apiURL string) map[string]string {
	self, err := os.Executable()
	if err != nil {
		return nil
	}
	if b, err := os.ReadFile(world.DefaultStatePath()); err == nil && apiURL != "" {
		var st world.State
		if json.Unmarshal(b, &st) == nil && st.PagerDutyURL == apiURL && st.EdgeURL != "" {
			return catalogue.Caller(self, st.EdgeURL, st.ReleaseConfig, world.DefaultStatePath())
		}
	}
	return map[string]string{"sitrep": self}
}

// catalogueDirs is the actions directory when it has a catalogue, else
// nothing: a first run has no actions.yaml and needs none.
func catalogueDirs(dir string) []string {
	for _, name := range []string{"actions.yaml", "runbooks"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return []string{dir}
		}
	}
	return nil
}

// assemble wires the parts over a feed, a journal and a catalogue.
func assemble(cfg *config, token string, feed *pagerduty.Client, j *journal.Journal, cat *actions.Catalogue, caller map[string]string, readOnly bool) (*environment, error) {
	if cat == nil {
		cat, _ = actions.Load()
	}
	env := &environment{cfg: cfg, token: token, feed: feed, journal: j, secrets: knownSecrets(cfg, token, cat), startHead: startHead(j)}
	env.closers = append(env.closers, func() { j.Close() })
	enr, err := newEnricher(cfg, feed, token)
	if err != nil {
		env.Close()
		return nil, err
	}
	env.enricher = enr
	env.closers = append(env.closers, enr.Close) // before the journal closes
	env.recorder = recorder.New(j, feed, filepath.Join(filepath.Dir(j.Path()), "exports"))
	env.recorder.SetChanges(enr)
	env.recorder.SetSecrets(env.secrets)
	if feed != nil {
		// The History tab and the export read the past (history.go).
		readPast(env.recorder, cfg, feed)
	}
	engine := newEngine(cat, env.recorder, feed, env.secrets, readOnly || j.ReadOnly())
	engine.Caller = caller
	env.remediation = &remediation{engine: engine, cfg: cfg, prom: enr.prom, feed: feed}
	if !readOnly {
		env.startOutbox()
	}
	return env, nil
}

// tuiOptions are the cockpit's options over an environment.
func (e *environment) tuiOptions(scope pagerduty.Scope, readOnly bool) tui.Options {
	opts := tui.Options{
		Scope:           scope,
		RefreshInterval: e.cfg.RefreshInterval,
		PaneRefresh:     e.cfg.Enrichment.refresh,
		Recorder:        e.recorder,
		Enricher:        e.enricher,
		Actions:         e.remediation,
		ReadOnly:        readOnly || e.journal.ReadOnly(),
		Secrets:         e.secrets,
		StartupCheck:    e.markInterrupted,
		// Triage classifies incidents by the config's rules and the
		// built-in ones.
		Triage: e.cfg.triageClassifier(),
		// A new high-urgency incident assigned to the engineer rings
		// the terminal (ring in the config, both on by default).
		Ring: tui.Ring{Bell: e.cfg.Ring.bell(), Desktop: e.cfg.Ring.desktop(), Terminal: tui.TerminalFrom(os.Getenv)},
	}
	if e.feed != nil {
		// O shows who is on call; the ring asks who the engineer is.
		opts.OnCall = e.feed
		// The countdown to each incident's next escalation reads its
		// policy's rules, kept a while: they change rarely mid-incident.
		opts.EscalationPolicies = pagerduty.NewPolicies(e.feed, 0)
		// Two-person approvals travel as notes on the incident; the
		// pending ones are looked for only when a guard can ask for one.
		if e.remediation != nil && usesApproval(e.remediation.engine.Catalogue) {
			opts.Approvals = e.feed
		}
		// Overview flags an open incident upstream that started first
		// as a likely cause; the service graph changes rarely.
		opts.Dependencies = pagerduty.NewDependencyReader(e.feed, 0)
		// The History tab: the service's past incidents and what fixed
		// them, read through the recorder, which knows the journal's side.
		opts.History = e.recorder
	}
	if e.outbox != nil {
		opts.Outbox = e.outbox
	}
	// S reads the journal back across incidents (stats.go).
	opts.Stats = journalStats{j: e.journal}
	// The cache is decoded while the program starts and draws its first
	// frame, not before: the rows follow as soon as they are read.
	var (
		cached []pagerduty.Incident
		at     time.Time
		err    error
		done   = make(chan struct{})
	)
	go func() {
		defer close(done)
		cached, at, err = e.journal.LoadIncidents(scope.String())
	}()
	opts.LoadCached = func() ([]pagerduty.Incident, time.Time) {
		<-done
		if err != nil {
			return nil, time.Time{}
		}
		return cached, at
	}
	cacheNotice := func(ctx context.Context) (string, error) {
		select {
		case <-done:
		case <-ctx.Done():
			// A check's error is not shown, and this one must be: the
			// list would otherwise stay empty with no word on why.
			return "cached incidents not read in time; the next refresh shows the list", nil
		}
		if err == nil {
			return "", nil
		}
		// A cache this sitrep cannot read is set aside and said so, so an
		// empty first frame is not taken for "no incidents".
		why := err
		if inner := errors.Unwrap(err); inner != nil {
			why = inner // the journal's path and scope make the line too long
		}
		return fmt.Sprintf("cached incidents not shown: %v; the next refresh replaces them", why), nil
	}
	opts.StartupCheck = joinChecks(cacheNotice, opts.StartupCheck)
	return opts
}
