package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"sitrep/actions"
	"sitrep/actions/effect"
	"sitrep/sources/metrics"
	"sitrep/sources/pagerduty"
	"sitrep/sources/sanitize"
	"sitrep/store/recorder"
	"sitrep/tui"
)

// actionsDir is where actions.yaml and runbooks/ live: actions.dir, or the
// config file's directory.
func (c *config) actionsDir() string {
	if c.Actions.Dir != "" {
		return expandHome(c.Actions.Dir)
	}
	return filepath.Dir(c.path)
}

// remediation is the tui.Actions the cockpit uses: the engine, the
// service environments from the config, and the metrics for "did it help?".
type remediation struct {
	engine *actions.Engine
	cfg    *config
	prom   *metrics.Client
	feed   *pagerduty.Client

	mu sync.Mutex // guards engine.User, learned on the first Prepare
}

var _ tui.Actions = (*remediation)(nil)

// env is the incident's service environment. A service the config does
// not place anywhere is treated as production: when sitrep cannot tell,
// the guards are the strictest.
func (r *remediation) env(in pagerduty.Incident) string {
	env := r.cfg.service(in.Service.Name, in.Service.ID).Env
	if env == "" || env == "live" {
		return "prod"
	}
	return env
}

// Env is the incident's service environment, for the guards of a bulk
// run over several incidents (tui/bulk.go).
func (r *remediation) Env(in pagerduty.Incident) string { return r.env(in) }

func (r *remediation) target(in pagerduty.Incident) actions.Target {
	return actions.TargetFromIncident(in, r.env(in), "")
}

func (r *remediation) For(in pagerduty.Incident) []*actions.Action {
	return r.engine.Catalogue.ForIncident(r.target(in))
}

func (r *remediation) Prepare(ctx context.Context, name string, params map[string]string, in pagerduty.Incident) (*actions.Plan, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.feed != nil && r.engine.User == "" {
		// Confirmations and announcements name the engineer: the token's
		// owner. The client asks PagerDuty once.
		if me, err := r.feed.Me(ctx); err == nil {
			r.engine.User = me.Name
		}
	}
	return r.engine.Prepare(ctx, name, params, r.target(in))
}

func (r *remediation) Runbooks(in pagerduty.Incident) []*actions.Runbook {
	return r.engine.Catalogue.RunbooksFor(in.Service.Name)
}

func (r *remediation) Parse(line string) (actions.Command, error) {
	return actions.ParseCommand(line, r.engine.Catalogue)
}

func (r *remediation) Complete(line string) []string {
	return actions.Complete(line, r.engine.Catalogue)
}

// checkCatalogue is `sitrep actions check`: every problem and warning at
// its file:line:column. Problems fail the check; warnings (a pattern that
// admits a leading "-") are printed and do not.
func checkCatalogue(w io.Writer, paths []string) error {
	cat, problems := actions.CheckCatalogue(paths...)
	for _, p := range problems {
		fmt.Fprintln(w, sanitize.Line(p.String()))
	}
	warnings := cat.Warnings()
	for _, p := range warnings {
		fmt.Fprintln(w, sanitize.Line(p.Pos.String()+": warning: "+strings.TrimPrefix(p.String(), p.Pos.String()+": ")))
	}
	where := strings.Join(paths, ", ")
	if len(problems) > 0 {
		return fmt.Errorf("%d problem(s) in %s (checked %s)", len(problems), where, cat.Checked())
	}
	if len(warnings) > 0 {
		fmt.Fprintf(w, "ok: %s (checked %s; %d warning(s))\n", where, cat.Checked(), len(warnings))
		return nil
	}
	fmt.Fprintf(w, "ok: %s (checked %s)\n", where, cat.Checked())
	return nil
}

// effectWindow is the window measured before an action and after it.
const effectWindow = 2 * time.Minute

func (r *remediation) Effect(in pagerduty.Incident) tui.EffectProbe {
	s := r.cfg.service(in.Service.Name, in.Service.ID)
	if r.prom == nil || len(s.Metrics) == 0 {
		return nil
	}
	return &effectProbe{client: r.prom, queries: metricQueries(s.Metrics)}
}

// effectProbe measures a run's effect with the actions/effect package.
type effectProbe struct {
	client  *metrics.Client
	queries []metrics.Query
	eff     *effect.Effect
}

func (p *effectProbe) Before(ctx context.Context, at time.Time) error {
	eff, err := effect.BeforeAfter(ctx, p.client, p.queries, at, effectWindow)
	p.eff = eff
	return err
}

func (p *effectProbe) After(ctx context.Context, done time.Time) ([]actions.MetricChange, error) {
	if p.eff == nil {
		return nil, fmt.Errorf("no measurement before the run")
	}
	return p.eff.After(ctx, done)
}

func (p *effectProbe) ReadyAt(done time.Time) time.Time {
	if p.eff == nil {
		return done.Add(effectWindow)
	}
	return p.eff.ReadyAt(done)
}

// newEngine builds the actions engine over a catalogue. Every step of every
// run is journaled against its incident, and rate limits read earlier runs,
// through the recorder.
func newEngine(cat *actions.Catalogue, rec *recorder.Recorder, feed *pagerduty.Client, secrets *sanitize.Secrets, readOnly bool) *actions.Engine {
	e := &actions.Engine{
		Catalogue: cat,
		ReadOnly:  readOnly,
		Secrets:   secrets,
	}
	if feed != nil {
		e.PagerDuty = pagerduty.Writer{Client: feed}
	}
	if rec == nil {
		return e
	}
	e.History = func(action, service string, since time.Time) ([]time.Time, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return rec.RunHistory(ctx, action, service, since)
	}
	if !rec.Journal().ReadOnly() {
		e.Record = func(r actions.Record) {
			// A failed journal write must not stop the run; it shows in
			// the run's own record of steps, and verify covers the rest.
			_ = rec.RecordActionStep(r, e.User)
		}
	}
	return e
}

func expandHome(p string) string {
	if strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[2:])
		}
	}
	return p
}

// requireCatalogue refuses to list a catalogue that is not there, naming
// where it looked: an empty listing would look like a catalogue with no
// actions. Without arguments the place is the configured actions
// directory.
func requireCatalogue(args, paths []string) error {
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("no action catalogue at %s: %w", p, err)
		}
		if st.IsDir() && !hasCatalogue(p) {
			where := "no action catalogue in " + p + ": it has no actions.yaml and no runbooks/ directory"
			if len(args) == 0 {
				where += " (the directory is actions.dir in the config file, else the config file's own directory)"
			}
			return errors.New(where)
		}
	}
	return nil
}

// hasCatalogue reports whether dir holds what actions.Load reads from a
// directory: actions.yaml (or .yml) or runbooks/.
func hasCatalogue(dir string) bool {
	for _, name := range []string{"actions.yaml", "actions.yml", "runbooks"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return true
		}
	}
	return false
}
