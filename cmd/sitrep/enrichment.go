package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"sitrep/sources/deploys"
	"sitrep/sources/enrich"
	"sitrep/sources/health"
	"sitrep/sources/logs"
	"sitrep/sources/metrics"
	"sitrep/sources/pagerduty"
)

// enricher builds, per incident, the sources its service is configured
// with, and fetches them through one fan-out. It is the tui.Enricher.
type enricher struct {
	cfg        *config
	prom       *metrics.Client // nil without prometheus.url
	loki       string
	lokiHeader http.Header
	pd         deploys.PagerDuty
	fan        *enrich.Fanout
	http       *http.Client
	// seen remembers the log files read, so a file that goes away is
	// reported deleted rather than missing.
	seen *logs.Presence

	// root ends every fetch and stream when sitrep exits; streams counts
	// the followed streams Close waits for, so no log command outlives
	// sitrep.
	root    context.Context
	stop    context.CancelFunc
	streams sync.WaitGroup
	// background keeps each log command running while the TUI follows
	// the incident's logs, so fetches read it instead of starting it
	// again (a kubectl logs -f never ends on its own).
	background logs.Background
}

// logLines is how many recent lines each log source contributes.
const logLines = 300

func newEnricher(cfg *config, feed *pagerduty.Client, token string) (*enricher, error) {
	root, stop := context.WithCancel(context.Background())
	e := &enricher{
		cfg:  cfg,
		loki: cfg.Loki.URL,
		pd:   deploys.PagerDuty{Client: feed.HTTPClient(), BaseURL: feed.BaseURL(), Token: token, Cache: &deploys.ChangeCache{}},
		fan:  &enrich.Fanout{Timeout: cfg.Enrichment.timeout},
		http: &http.Client{},
		seen: &logs.Presence{},
		root: root,
		stop: stop,
	}
	if env := cfg.Loki.BearerTokenEnv; env != "" {
		tok, err := bearerToken(cfg, "loki.bearer_token_env", env)
		if err != nil {
			stop()
			return nil, err
		}
		e.lokiHeader = http.Header{"Authorization": {"Bearer " + tok}}
	}
	if cfg.Prometheus.URL != "" {
		pc := metrics.Config{URL: cfg.Prometheus.URL}
		if env := cfg.Prometheus.BearerTokenEnv; env != "" {
			tok, err := bearerToken(cfg, "prometheus.bearer_token_env", env)
			if err != nil {
				stop()
				return nil, err
			}
			pc.BearerToken = tok
		}
		c, err := metrics.New(pc)
		if err != nil {
			stop()
			return nil, fmt.Errorf("%s: prometheus.url: %w", cfg.path, err)
		}
		e.prom = c
	}
	return e, nil
}

// bearerToken reads the token a *_bearer_token_env field names; an unset
// variable is an error now rather than a 401 in a pane later.
func bearerToken(cfg *config, field, env string) (string, error) {
	tok := strings.TrimSpace(os.Getenv(env))
	if tok == "" {
		return "", cfg.fieldError(field, fmt.Sprintf("the environment variable %s is not set; export it, or remove the field", env))
	}
	return tok, nil
}

// Close ends every fetch and followed stream and waits for the streams'
// processes to be gone.
func (e *enricher) Close() {
	e.stop()
	done := make(chan struct{})
	go func() { e.streams.Wait(); e.background.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(logs.DefaultGrace + time.Second):
	}
}

func (e *enricher) target(in pagerduty.Incident) enrich.Target {
	s := e.cfg.service(in.Service.Name, in.Service.ID)
	return enrich.Target{IncidentID: in.ID, Service: in.Service.Name, Env: s.Env, Start: in.CreatedAt}
}

// Env is the incident's service environment, from the config.
func (e *enricher) Env(in pagerduty.Incident) string {
	return e.cfg.service(in.Service.Name, in.Service.ID).Env
}

// Fetch starts every configured source for the incident's service; each
// result arrives on the channel as soon as it is ready.
func (e *enricher) Fetch(ctx context.Context, in pagerduty.Incident) <-chan enrich.Result {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(e.root, cancel)
	ch := e.fan.Fetch(ctx, e.target(in), e.sources(in))
	out := make(chan enrich.Result, cap(ch))
	go func() {
		defer close(out)
		defer cancel()
		defer stop()
		for r := range ch {
			out <- r
		}
	}()
	return out
}

// Forget drops cached results, for a manual refresh: the fan-out's and
// the change events kept for the incident and the account.
func (e *enricher) Forget(in pagerduty.Incident) {
	e.fan.Forget(e.target(in))
	e.pd.Forget(in.ID)
}

func (e *enricher) sources(in pagerduty.Incident) []enrich.Source {
	s := e.cfg.service(in.Service.Name, in.Service.ID)
	var out []enrich.Source
	if len(s.Metrics) > 0 && e.prom != nil {
		out = append(out, &enrich.MetricsSource{Name: "metrics", Client: e.prom, Queries: metricQueries(s.Metrics)})
	}
	if len(s.Logs) > 0 {
		out = append(out, logsSource{fetchers: e.logFetchers(s.Logs), timeout: e.cfg.Enrichment.timeout, window: e.cfg.Enrichment.window})
	}
	out = append(out, deploysSource{e: e, in: in, cfg: s, window: e.cfg.Enrichment.window})
	return out
}

func metricQueries(ms []metricConfig) []metrics.Query {
	out := make([]metrics.Query, len(ms))
	for i, m := range ms {
		out[i] = metrics.Query{Name: m.Name, PromQL: m.Query, Unit: m.Unit, Threshold: m.Threshold}
	}
	return out
}

// logFetcher is what every log source can do.
type logFetcher interface {
	Fetch(ctx context.Context, n int) ([]logs.Line, error)
	Follow(ctx context.Context, ring *logs.Ring) error
	// Label names the source in its status; Status is what a Fetch's
	// answer says about the source.
	Label() string
	Status(lines []logs.Line, err error, at time.Time, window time.Duration) health.Status
}

func (e *enricher) logFetchers(ls []logConfig) []logFetcher {
	var out []logFetcher
	for _, l := range ls {
		switch {
		case l.Loki != "":
			out = append(out, logs.Loki{BaseURL: e.loki, Query: l.Loki, Client: e.http, Header: e.lokiHeader})
		case len(l.Command) > 0:
			out = append(out, logs.Command{Argv: l.Command, Background: &e.background})
		case l.File != "":
			out = append(out, logs.File{Path: l.File, Seen: e.seen})
		case l.Journald != nil:
			j := logs.Journald{Directory: l.Journald.Directory}
			if l.Journald.Unit != "" {
				j.Units = []string{l.Journald.Unit}
			}
			if l.Journald.Identifier != "" {
				j.Identifiers = []string{l.Journald.Identifier}
			}
			if l.Journald.File != "" {
				j.Files = []string{l.Journald.File}
			}
			out = append(out, j)
		}
	}
	return out
}

// Follow streams every log source of the incident's service into ring
// until ctx ends (the logs pane is hidden or follow is turned off).
func (e *enricher) Follow(ctx context.Context, in pagerduty.Incident, ring *logs.Ring) error {
	if e.root.Err() != nil {
		return nil // sitrep is closing
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(e.root, cancel)()
	e.streams.Add(1)
	defer e.streams.Done()
	s := e.cfg.service(in.Service.Name, in.Service.ID)
	fs := e.logFetchers(s.Logs)
	if len(fs) == 0 {
		return fmt.Errorf("no log sources configured for %s", in.Service.Name)
	}
	errs := make([]error, len(fs))
	var wg sync.WaitGroup
	for i, f := range fs {
		wg.Go(func() {
			errs[i] = f.Follow(ctx, ring)
			if errs[i] != nil && ctx.Err() == nil {
				// The source stopped on its own: its status says why,
				// while the others go on. A failed command's stderr was
				// its complaint, now in the status, not the service's.
				if c, ok := f.(logs.Command); ok {
					ring.DropSource(c.StderrSource())
				}
				ring.SetStatus(health.Failed(f.Label(), errs[i], time.Now()))
			}
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		return nil // stopped on purpose
	}
	return errors.Join(errs...)
}

// logsSource merges the recent lines of several log sources by time.
// Each source's own state is its status beside the lines: a failing source
// never adds a line, so the pane's error count and E's note hold only the
// service's lines.
type logsSource struct {
	fetchers []logFetcher
	timeout  time.Duration // the fan-out's deadline for the whole source
	window   time.Duration // a source with nothing newer is "no data since"
}

func (logsSource) ID() string { return "logs" }

func (s logsSource) Fetch(ctx context.Context, _ enrich.Target) (any, error) {
	type answer struct {
		lines []logs.Line
		err   error
	}
	answers := make([]answer, len(s.fetchers))
	// Each log source gets most of the deadline on its own, so one that
	// hangs comes back with its status before the fan-out cuts the whole
	// pane off, and the others' lines still show.
	each := ctx
	if s.timeout > 0 {
		var cancel context.CancelFunc
		each, cancel = context.WithTimeout(ctx, s.timeout*4/5)
		defer cancel()
	}
	var wg sync.WaitGroup
	for i, f := range s.fetchers {
		wg.Go(func() {
			answers[i].lines, answers[i].err = f.Fetch(each, logLines)
		})
	}
	wg.Wait()
	at := time.Now()
	var lines []logs.Line
	var errs []error
	statuses := make([]health.Status, len(s.fetchers))
	for i, a := range answers {
		f := s.fetchers[i]
		statuses[i] = f.Status(a.lines, a.err, at, s.window)
		if a.err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.Label(), a.err))
			if _, isCommand := f.(logs.Command); isCommand {
				// A failed command's stderr is its complaint, not the
				// service's output: it is in the status's reason.
				a.lines = withoutStderr(a.lines)
			}
		}
		lines = append(lines, a.lines...)
	}
	sort.SliceStable(lines, func(a, b int) bool { return lines[a].T.Before(lines[b].T) })
	v := enrich.Reported{Value: lines, Statuses: statuses}
	if len(errs) == len(s.fetchers) {
		return v, errors.Join(errs...)
	}
	return v, nil
}

// withoutStderr drops the lines a command wrote to stderr.
func withoutStderr(lines []logs.Line) []logs.Line {
	out := lines[:0:0]
	for _, l := range lines {
		if !strings.HasSuffix(l.Source, logs.StderrSuffix) {
			out = append(out, l)
		}
	}
	return out
}

// deploysSource gathers changes around the start from PagerDuty, git and
// commands, and flags the likely causes.
type deploysSource struct {
	e      *enricher
	in     pagerduty.Incident
	cfg    serviceConfig
	window time.Duration
}

func (deploysSource) ID() string { return "deploys" }

func (s deploysSource) Fetch(ctx context.Context, _ enrich.Target) (any, error) {
	changes, statuses, err := s.e.changesAround(ctx, s.in, s.cfg, s.window)
	flagged := deploys.LikelyCause(changes, s.in.CreatedAt, s.window)
	v := enrich.Reported{Value: flagged, Statuses: statuses}
	if allFailed(statuses) {
		return v, err // the last changes found stay on screen beside the errors
	}
	return v, nil
}

// allFailed says whether every part of a source failed.
func allFailed(statuses []health.Status) bool {
	for _, st := range statuses {
		if st.State != health.Error {
			return false
		}
	}
	return len(statuses) > 0
}

// Around is the recorder's view of the same changes, for the export's
// contributing factors.
func (e *enricher) Around(ctx context.Context, in pagerduty.Incident) ([]deploys.Change, error) {
	changes, _, err := e.changesAround(ctx, in, e.cfg.service(in.Service.Name, in.Service.ID), e.cfg.Enrichment.window)
	return changes, err
}

// changesAround asks every deploy source of the service at once. Each
// source has its status, in the order configured (PagerDuty last): one
// source's failure is said even when another found changes.
func (e *enricher) changesAround(ctx context.Context, in pagerduty.Incident, s serviceConfig, window time.Duration) ([]deploys.Change, []health.Status, error) {
	since, until := in.CreatedAt.Add(-2*window), time.Now()
	type part struct {
		label   string
		changes []deploys.Change
		errs    []error
	}
	var (
		mu    sync.Mutex
		parts []*part
		wg    sync.WaitGroup
	)
	newPart := func(label string) *part {
		p := &part{label: label}
		parts = append(parts, p)
		return p
	}
	collect := func(p *part) func([]deploys.Change, error) {
		return func(cs []deploys.Change, err error) {
			mu.Lock()
			defer mu.Unlock()
			p.changes = append(p.changes, cs...)
			if err != nil {
				p.errs = append(p.errs, err)
			}
		}
	}
	pdOn := len(s.Deploys) == 0 // PagerDuty's change events are on unless configured otherwise
	for _, d := range s.Deploys {
		switch {
		case d.PagerDuty != nil:
			pdOn = *d.PagerDuty
		case d.Git != nil:
			g := deploys.Git{Repo: d.Git.Repo, Service: in.Service.Name, CommitURL: d.Git.URL}
			branch := d.Git.Branch
			add := collect(newPart(g.Label()))
			wg.Go(func() {
				if branch == "" {
					add(g.Tags(ctx, since, until))
				} else {
					add(g.Merges(ctx, branch, since, until))
				}
			})
		case len(d.Command) > 0:
			c := deploys.Command{Argv: d.Command, Service: in.Service.Name}
			add := collect(newPart(c.Label()))
			wg.Go(func() { add(c.Changes(ctx)) })
		}
	}
	if pdOn {
		add := collect(newPart(deploys.PagerDutyLabel))
		wg.Go(func() { add(e.pd.RelatedChanges(ctx, in.ID)) })
		wg.Go(func() { add(e.pd.ListChanges(ctx, since, until, in.Service.ID)) })
	}
	wg.Wait()
	at := time.Now()
	var (
		changes  []deploys.Change
		statuses []health.Status
		errs     []error
	)
	for _, p := range parts {
		changes = append(changes, p.changes...)
		switch err := errors.Join(p.errs...); {
		case err != nil:
			statuses = append(statuses, health.Failed(p.label, err, at))
			errs = append(errs, err)
		case len(p.changes) == 0:
			statuses = append(statuses, health.Empty(p.label, time.Time{}, at, "no changes since "+since.UTC().Format("15:04 UTC")))
		default:
			statuses = append(statuses, health.Ok(p.label, at))
		}
	}
	// The same change event comes both as related to the incident and
	// among the service's recent changes: list it once.
	seen := map[string]bool{}
	unique := changes[:0]
	for _, c := range changes {
		key := c.Source + "|" + c.ID
		if c.ID != "" && seen[key] {
			continue
		}
		seen[key] = true
		unique = append(unique, c)
	}
	return unique, statuses, errors.Join(errs...)
}
