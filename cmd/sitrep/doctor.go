package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/spf13/cobra"

	"sitrep/actions"
	"sitrep/sources/demo/catalogue"
	"sitrep/sources/demo/world"
	"sitrep/sources/deploys"
	"sitrep/sources/logs"
	"sitrep/sources/metrics"
	"sitrep/sources/pagerduty"
	"sitrep/sources/sanitize"
	"sitrep/store/journal"
)

// `sitrep doctor` checks, before the incident, everything the configuration
// names: a services: key that matches no PagerDuty service, a Prometheus that
// does not answer or a log file that is not there would otherwise show only
// as empty panes at 3 a.m.

// verdict is one check's outcome.
type verdict int

const (
	passed verdict = iota
	warned
	failed
)

func (v verdict) glyph() string { return [...]string{"✓", "⚠", "✗"}[v] }

func (v verdict) String() string { return [...]string{"ok", "warning", "failed"}[v] }

func (v verdict) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// finding is one row of the doctor's report.
type finding struct {
	Status  verdict `json:"status"`
	Check   string  `json:"check"`   // what kind of thing: token, service key, metric, log file, …
	Subject string  `json:"subject"` // which one: the key, the query's name, the path
	Found   string  `json:"found"`
	Fix     string  `json:"fix,omitempty"`
}

// probe is one check, run concurrently with the others under its own
// deadline.
type probe struct {
	check, subject string
	run            func(ctx context.Context) (verdict, string, string) // status, found, fix
}

// doctorTimeout is each check's deadline unless --timeout says otherwise.
const doctorTimeout = 10 * time.Second

// errDoctorFailed is the error of a doctor run with a ✗ row; the rows
// already say what is wrong.
var errDoctorFailed = errors.New("doctor found problems")

func newDoctorCmd(g *globalFlags) *cobra.Command {
	var (
		asJSON    bool
		timeout   time.Duration
		demoMode  bool
		stateFile string
	)
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check everything the config names: token, service keys, queries, logs, deploys, actions, journal",
		Long: `doctor checks, before the incident, everything sitrep will rely on during it:
the PagerDuty token (whose it is), that every services: key names a PagerDuty
service, that every Prometheus query returns series now, Loki, every log file,
command and journald unit, every git repository and deploy command, the action
catalogue, the environment variables actions and tokens need, and the journal.

Each row is ✓ (fine), ⚠ (works, but look) or ✗ (will not work), with what was
found and the fix. It exits 0 only when no row is ✗.

With --demo it checks a running 'sitrep demo' (start one in another terminal)
through the state file the demo writes.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if timeout <= 0 {
				return fmt.Errorf("--timeout %s: give a positive duration such as 10s", timeout)
			}
			var (
				d   *doctor
				err error
			)
			var rows []finding
			if demoMode {
				d, err = g.demoDoctor(stateFile)
			} else {
				d, err = g.liveDoctor(cmd)
				var cfgErr *configLoadError
				if errors.As(err, &cfgErr) {
					// Nothing else can be checked against a config that
					// does not load: its row says why, with the line.
					rows, err = []finding{{Status: failed, Check: "config", Subject: cfgErr.path, Found: sanitize.Line(cfgErr.err.Error()),
						Fix: "correct the file (README.md: Configuration lists every field)"}}, nil
				}
			}
			if err != nil {
				return err
			}
			if d != nil {
				rows = d.run(cmd.Context(), timeout)
			}
			if asJSON {
				err = writeDoctorJSON(cmd.OutOrStdout(), rows)
			} else {
				writeDoctorReport(cmd.OutOrStdout(), rows)
			}
			if err != nil {
				return err
			}
			for _, r := range rows {
				if r.Status == failed {
					return fmt.Errorf("%w (rows marked ✗)", errDoctorFailed)
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the checks as JSON")
	cmd.Flags().DurationVar(&timeout, "timeout", doctorTimeout, "each check's deadline")
	cmd.Flags().BoolVar(&demoMode, "demo", false, "check the running demo world instead of the config")
	cmd.Flags().StringVar(&stateFile, "state-file", world.DefaultStatePath(), "with --demo: the running demo's state file")
	return cmd
}

// doctor holds what the checks share.
type doctor struct {
	cfg         *config
	tokenFrom   string // where the token came from, for the token row
	token       string
	tokenErr    error
	feed        *pagerduty.Client
	journalPath string
	demoPID     int // the running demo whose journal is expected to be held
	// catalogue returns the action catalogue's directories to check;
	// cleanup removes what it installed.
	catalogueDirs []string
	catalogueName string // the actions row's subject when not the directory
	cleanup       func()

	services func() ([]pagerduty.Service, error)
	me       func() (pagerduty.User, error)
	promUp   func(ctx context.Context) error
}

func (g globalFlags) liveDoctor(cmd *cobra.Command) (*doctor, error) {
	cfg, err := g.settings(cmd)
	if err != nil {
		return nil, &configLoadError{path: cfg.path, err: err}
	}
	d := &doctor{cfg: &cfg}
	d.token, d.tokenErr = cfg.token(cmd.Context())
	switch {
	case strings.TrimSpace(os.Getenv("PAGERDUTY_TOKEN")) != "":
		d.tokenFrom = "PAGERDUTY_TOKEN"
	case len(cfg.TokenCmd) > 0:
		d.tokenFrom = "token_cmd " + cfg.TokenCmd[0]
	case cfg.Token != "":
		d.tokenFrom = "token in " + cfg.path
	default:
		d.tokenFrom = "no token"
	}
	if d.journalPath, err = g.journalPath(); err != nil {
		return nil, err
	}
	d.catalogueDirs = catalogueDirs(cfg.actionsDir())
	return d, nil
}

// configLoadError is a config file that did not load.
type configLoadError struct {
	path string
	err  error
}

func (e *configLoadError) Error() string { return e.err.Error() }
func (e *configLoadError) Unwrap() error { return e.err }

// demoDoctor checks the world of a running `sitrep demo`: its emulator and
// token, its metrics and logs endpoints, its catalogue and its journal.
func (g globalFlags) demoDoctor(stateFile string) (*doctor, error) {
	st, err := readDemoStateFile(stateFile)
	if err != nil {
		return nil, err
	}
	cfg := demoConfigAt(st.MetricsURL)
	cfg.APIURL = st.PagerDutyURL
	d := &doctor{cfg: cfg, token: st.Token, tokenFrom: "the demo's token", demoPID: st.PID}
	if g.journal != "" {
		d.journalPath = g.journal
	} else if d.journalPath, err = demoJournalPath(); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "sitrep-doctor-")
	if err != nil {
		return nil, err
	}
	d.cleanup = func() { os.RemoveAll(dir) }
	path, err := catalogue.Install(dir)
	if err != nil {
		d.cleanup()
		return nil, fmt.Errorf("install the demo catalogue: %w", err)
	}
	d.catalogueDirs = []string{path}
	d.catalogueName = "the demo catalogue"
	return d, nil
}

// run runs every check concurrently and returns the rows in the order the
// checks were listed, whatever order they finished in.
func (d *doctor) run(ctx context.Context, timeout time.Duration) []finding {
	if d.cleanup != nil {
		defer d.cleanup()
	}
	if d.token != "" {
		d.feed = pagerduty.New(pagerduty.Config{APIURL: d.cfg.APIURL, Token: d.token, Timeout: timeout})
	}
	// The checks that need PagerDuty or Prometheus share one answer.
	shared, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	d.me = sync.OnceValues(func() (pagerduty.User, error) {
		if d.feed == nil {
			return pagerduty.User{}, d.tokenErr
		}
		return d.feed.Me(shared)
	})
	d.services = sync.OnceValues(func() ([]pagerduty.Service, error) {
		if _, err := d.me(); err != nil {
			return nil, err
		}
		return d.feed.Services(shared)
	})
	probes := d.probes()
	rows := make([]finding, len(probes))
	var wg sync.WaitGroup
	for i, p := range probes {
		wg.Go(func() { rows[i] = runProbe(ctx, p, timeout) })
	}
	wg.Wait()
	return rows
}

// runProbe runs one check under its deadline. A check that does not come
// back a little after its deadline is reported as hung rather than waited
// for.
func runProbe(ctx context.Context, p probe, timeout time.Duration) finding {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	type answer struct {
		v          verdict
		found, fix string
	}
	ch := make(chan answer, 1)
	go func() {
		v, found, fix := p.run(ctx)
		ch <- answer{v, found, fix}
	}()
	f := finding{Check: p.check, Subject: sanitize.Line(p.subject)}
	select {
	case a := <-ch:
		f.Status, f.Found, f.Fix = a.v, sanitize.Line(a.found), sanitize.Line(a.fix)
	case <-time.After(timeout + 2*time.Second):
		f.Status, f.Found = failed, fmt.Sprintf("no answer within %s", timeout)
		f.Fix = "check that it answers at all; give slow checks more time with --timeout"
	}
	return f
}

// probes lists the checks in the order they are printed.
func (d *doctor) probes() []probe {
	c := d.cfg
	out := []probe{d.configProbe(), d.tokenProbe()}
	keys := make([]string, 0, len(c.Services))
	for k := range c.Services {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k != "default" {
			out = append(out, d.serviceKeyProbe(k))
		}
	}
	if c.Prometheus.URL != "" {
		out = append(out, d.prometheusProbe())
	}
	seen := map[string]bool{}
	add := func(p probe) {
		if id := p.check + "\x00" + p.subject; !seen[id] {
			seen[id] = true
			out = append(out, p)
		}
	}
	for _, k := range keys {
		for i, m := range c.Services[k].Metrics {
			add(d.metricProbe(k, i, m))
		}
	}
	for _, k := range keys {
		for i, l := range c.Services[k].Logs {
			add(d.logProbe(k, i, l))
		}
	}
	for _, k := range keys {
		for i, dc := range c.Services[k].Deploys {
			if p, ok := d.deployProbe(k, i, dc); ok {
				add(p)
			}
		}
	}
	out = append(out, d.catalogueProbe(), d.triageProbe())
	out = append(out, d.envProbes()...)
	return append(out, d.journalProbe())
}

// where is the config file and line of a field, for fixes: "config.yaml:12".
func (c *config) where(field string) string {
	if len(c.data) > 0 {
		if p, err := yaml.PathString("$." + field); err == nil {
			if node, err := p.ReadNode(bytes.NewReader(c.data)); err == nil && node != nil && node.GetToken() != nil {
				return fmt.Sprintf("%s:%d", c.path, node.GetToken().Position.Line)
			}
		}
	}
	return c.path
}

// keyWhere is the file and line of a key in the mapping at parent, where
// where would give the line of its value.
func (c *config) keyWhere(parent, key string) string {
	if len(c.data) > 0 {
		if p, err := yaml.PathString("$." + parent); err == nil {
			if node, err := p.ReadNode(bytes.NewReader(c.data)); err == nil {
				if m, ok := node.(*ast.MappingNode); ok {
					for _, v := range m.Values {
						if v.Key != nil && v.Key.GetToken() != nil && v.Key.GetToken().Value == key {
							return fmt.Sprintf("%s:%d", c.path, v.Key.GetToken().Position.Line)
						}
					}
				}
			}
		}
	}
	return c.where(parent + "." + quoteKey(key))
}

func (d *doctor) configProbe() probe {
	return probe{check: "config", subject: d.cfg.path, run: func(context.Context) (verdict, string, string) {
		n := len(d.cfg.Services)
		if _, ok := d.cfg.Services["default"]; ok {
			n--
		}
		what := fmt.Sprintf("%d %s", n, plural(n, "service"))
		if _, ok := d.cfg.Services["default"]; ok {
			what += " and a default"
		}
		if len(d.cfg.data) == 0 && d.demoPID == 0 {
			return passed, "no file: the defaults, and no services configured", ""
		}
		return passed, "loaded: " + what, ""
	}}
}

func (d *doctor) tokenProbe() probe {
	return probe{check: "token", subject: d.tokenFrom, run: func(context.Context) (verdict, string, string) {
		if d.feed == nil {
			return failed, d.tokenErr.Error(), "export PAGERDUTY_TOKEN=<a REST API token> (PagerDuty: My Profile → User Settings → API Access), or set token_cmd in " + d.cfg.path
		}
		me, err := d.me()
		if err != nil {
			return failed, "GET /users/me: " + err.Error(), pagerDutyFix(d.cfg, err)
		}
		api := d.cfg.APIURL
		if api == "" {
			api = pagerduty.DefaultAPIURL
		}
		return passed, fmt.Sprintf("%s <%s> (%s) at %s", me.Name, me.Email, me.ID, api), ""
	}}
}

// pagerDutyFix says what to do about a failed PagerDuty call.
func pagerDutyFix(c *config, err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, " 401"):
		return "the token was refused: create a new REST API token and set PAGERDUTY_TOKEN (or token_cmd)"
	case strings.Contains(msg, " 403"):
		return "the token may not read this: use a token of a user (or an account token) with read access"
	case strings.Contains(msg, "rate limit") || strings.Contains(msg, " 429"):
		return "PagerDuty is rate-limiting the account: run doctor again in a minute"
	}
	if c.APIURL != "" {
		return "check api_url (" + c.APIURL + ") at " + c.where("api_url") + " and the network"
	}
	return "check the network: can this machine reach https://api.pagerduty.com?"
}

func (d *doctor) serviceKeyProbe(key string) probe {
	return probe{check: "service key", subject: key, run: func(context.Context) (verdict, string, string) {
		svcs, err := d.services()
		if err != nil {
			return failed, "not checked: PagerDuty's services could not be listed (" + err.Error() + ")", "fix the token row first"
		}
		if s, ok := matchService(svcs, key); ok {
			found := fmt.Sprintf("PagerDuty service %s (%s)", s.Name, s.ID)
			if s.EscalationPolicy.Name != "" {
				found += ", escalation policy " + s.EscalationPolicy.Name
			}
			return passed, found, ""
		}
		found := "matches no PagerDuty service name or ID: its panes would stay empty"
		at := d.cfg.keyWhere("services", key)
		fix := fmt.Sprintf("rename the key at %s to the service's exact name or ID (sitrep services lists all %d)", at, len(svcs))
		if near := nearestServices(svcs, key, 3); len(near) > 0 {
			found += "; nearest: " + strings.Join(near, ", ")
			fix = fmt.Sprintf("rename the key at %s to %s (sitrep services lists them all)", at, strings.Fields(near[0])[0])
		}
		return failed, found, fix
	}}
}

// matchService finds the service a key names, as config.service does: by
// exact name, then by ID.
func matchService(svcs []pagerduty.Service, key string) (pagerduty.Service, bool) {
	for _, s := range svcs {
		if s.Name == key {
			return s, true
		}
	}
	for _, s := range svcs {
		if s.ID == key {
			return s, true
		}
	}
	return pagerduty.Service{}, false
}

// nearestServices are the services whose names are closest to key, as
// "name (ID)", closest first; only names a typo away, or that contain the
// key (or it them) case-insensitively, count.
func nearestServices(svcs []pagerduty.Service, key string, n int) []string {
	type cand struct {
		s    pagerduty.Service
		dist int
	}
	lk := strings.ToLower(key)
	var cs []cand
	for _, s := range svcs {
		ln := strings.ToLower(s.Name)
		dist := actions.EditDistance(lk, ln)
		if id := actions.EditDistance(lk, strings.ToLower(s.ID)); id < dist {
			dist = id
		}
		limit := max(2, utf8.RuneCountInString(key)/3)
		if dist > limit && !strings.Contains(ln, lk) && !strings.Contains(lk, ln) {
			continue
		}
		cs = append(cs, cand{s, dist})
	}
	sort.SliceStable(cs, func(a, b int) bool {
		if cs[a].dist != cs[b].dist {
			return cs[a].dist < cs[b].dist
		}
		return cs[a].s.Name < cs[b].s.Name
	})
	var out []string
	for _, c := range cs[:min(n, len(cs))] {
		out = append(out, fmt.Sprintf("%s (%s)", c.s.Name, c.s.ID))
	}
	return out
}

// promClient is the Prometheus client the checks share, or the error that
// kept it from being built.
func (d *doctor) promClient() (*metrics.Client, error) {
	pc := metrics.Config{URL: d.cfg.Prometheus.URL}
	if env := d.cfg.Prometheus.BearerTokenEnv; env != "" {
		pc.BearerToken = strings.TrimSpace(os.Getenv(env))
	}
	return metrics.New(pc)
}

func (d *doctor) prometheusProbe() probe {
	url := d.cfg.Prometheus.URL
	fix := fmt.Sprintf("check prometheus.url at %s and that the server is up (curl %s/-/healthy)", d.cfg.where("prometheus.url"), strings.TrimRight(url, "/"))
	// The metric rows wait for this one: when the server does not answer,
	// one row says so and the queries are not run against it.
	var once sync.Once
	var upErr error
	ready := make(chan struct{})
	d.promUp = func(ctx context.Context) error {
		select {
		case <-ready:
			return upErr
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return probe{check: "prometheus", subject: url, run: func(ctx context.Context) (verdict, string, string) {
		defer once.Do(func() { close(ready) })
		c, err := d.promClient()
		if err != nil {
			upErr = err
			return failed, err.Error(), fix
		}
		if _, err := c.Instant(ctx, "vector(1)", time.Time{}); err != nil {
			upErr = err
			return failed, err.Error(), fix
		}
		return passed, "answers queries", ""
	}}
}

func (d *doctor) metricProbe(key string, i int, m metricConfig) probe {
	at := fmt.Sprintf("services.%s.metrics[%d]", quoteKey(key), i)
	return probe{check: "metric", subject: key + ": " + m.Name, run: func(ctx context.Context) (verdict, string, string) {
		if err := d.promUp(ctx); err != nil {
			return failed, "not run: Prometheus does not answer (see its row)", ""
		}
		c, err := d.promClient()
		if err != nil {
			return failed, err.Error(), ""
		}
		res, err := c.Instant(ctx, m.Query, time.Time{})
		if err != nil {
			return failed, err.Error(), "fix the query at " + d.cfg.where(at+".query") + " (try it in Prometheus' graph page)"
		}
		if len(res.Series) == 0 {
			return warned, "no series now", "the query may just be quiet; if not, check its metric name and labels at " + d.cfg.where(at+".query") + " against what the server has"
		}
		var keys []string
		for _, s := range res.Series[:min(3, len(res.Series))] {
			if s.Key != "" && s.Key != "{}" {
				keys = append(keys, s.Key)
			}
		}
		if len(keys) == 0 {
			return passed, fmt.Sprintf("%d series now", len(res.Series)), ""
		}
		if len(res.Series) > 3 {
			keys = append(keys, "…")
		}
		return passed, fmt.Sprintf("%d series now: %s", len(res.Series), strings.Join(keys, ", ")), ""
	}}
}

func (d *doctor) logProbe(key string, i int, l logConfig) probe {
	at := fmt.Sprintf("services.%s.logs[%d]", quoteKey(key), i)
	switch {
	case l.File != "":
		return probe{check: "log file", subject: l.File, run: func(context.Context) (verdict, string, string) {
			return checkLogFile(l.File, d.cfg.where(at+".file"))
		}}
	case len(l.Command) > 0:
		return probe{check: "log command", subject: strings.Join(l.Command, " "), run: func(ctx context.Context) (verdict, string, string) {
			return checkLogCommand(ctx, l.Command, d.cfg.where(at+".command"))
		}}
	case l.Journald != nil:
		j := logs.Journald{Directory: l.Journald.Directory}
		var parts []string
		if l.Journald.Unit != "" {
			j.Units = []string{l.Journald.Unit}
			parts = append(parts, "unit "+l.Journald.Unit)
		}
		if l.Journald.Identifier != "" {
			j.Identifiers = []string{l.Journald.Identifier}
			parts = append(parts, "identifier "+l.Journald.Identifier)
		}
		if l.Journald.File != "" {
			j.Files = []string{l.Journald.File}
			parts = append(parts, "in "+l.Journald.File)
		}
		if l.Journald.Directory != "" {
			parts = append(parts, "in "+l.Journald.Directory)
		}
		subject := strings.Join(parts, " ")
		return probe{check: "journald", subject: subject, run: func(ctx context.Context) (verdict, string, string) {
			return checkJournald(ctx, j, d.cfg.where(at+".journald"))
		}}
	default:
		src := logs.Loki{BaseURL: d.cfg.Loki.URL, Query: l.Loki}
		if env := d.cfg.Loki.BearerTokenEnv; env != "" {
			src.Header = map[string][]string{"Authorization": {"Bearer " + strings.TrimSpace(os.Getenv(env))}}
		}
		return probe{check: "loki", subject: l.Loki, run: func(ctx context.Context) (verdict, string, string) {
			lines, err := src.Fetch(ctx, 1)
			if err != nil {
				return failed, err.Error(), fmt.Sprintf("check loki.url at %s and the selector at %s", d.cfg.where("loki.url"), d.cfg.where(at+".loki"))
			}
			if len(lines) == 0 {
				return warned, "no lines in the last hour", "the service may be quiet; if not, check the selector's labels at " + d.cfg.where(at+".loki")
			}
			return passed, "newest line " + age(time.Since(lines[len(lines)-1].T)) + " ago", ""
		}}
	}
}

func checkLogFile(path, where string) (verdict, string, string) {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return failed, "no such file", "check the path at " + where + "; if the service logs elsewhere, point file: there"
	case errors.Is(err, os.ErrPermission):
		return failed, "cannot be reached: permission denied on a directory above it", "ask for read access (ls -ld " + filepath.Dir(path) + "), or read the log with a command: source"
	case err != nil:
		return failed, err.Error(), "check the path at " + where
	case fi.IsDir():
		return failed, "is a directory, not a file", "name the log file itself at " + where
	}
	f, err := os.Open(path)
	if err != nil {
		return failed, "not readable by you", "ask for read access (ls -l " + path + "; often the adm group), or read it with a command: source"
	}
	f.Close()
	return passed, fmt.Sprintf("readable, %s, last written %s ago", byteSize(fi.Size()), age(time.Since(fi.ModTime()))), ""
}

func checkLogCommand(ctx context.Context, argv []string, where string) (verdict, string, string) {
	if _, err := exec.LookPath(argv[0]); err != nil {
		return failed, argv[0] + " is not installed or not on PATH", "install it, or give its full path at " + where
	}
	// A command that follows (kubectl logs -f) never ends: give it most of
	// the deadline and judge it by what it printed.
	deadline, _ := ctx.Deadline()
	run, cancel := context.WithDeadline(ctx, time.Now().Add(time.Until(deadline)*2/3))
	defer cancel()
	lines, err := logs.Command{Argv: argv}.Fetch(run, 20)
	switch {
	case err != nil && run.Err() == nil:
		return failed, err.Error(), "run it by hand to see why; fix the command at " + where
	case len(lines) > 0:
		return passed, fmt.Sprintf("prints log lines (%d read)", len(lines)), ""
	case err != nil:
		return warned, "printed nothing before the deadline", "run it by hand: it should print the service's recent lines at once"
	}
	return warned, "ran and printed nothing", "run it by hand: it should print the service's recent lines"
}

func checkJournald(ctx context.Context, j logs.Journald, where string) (verdict, string, string) {
	if _, err := exec.LookPath("journalctl"); err != nil {
		return failed, "journalctl is not installed", "install systemd's journalctl, or use a file: or command: source at " + where
	}
	lines, err := j.Fetch(ctx, 1)
	if err != nil {
		return failed, err.Error(), "check the unit at " + where + " and that you may read the journal (the systemd-journal group)"
	}
	if len(lines) == 0 {
		return warned, "no entries", "check the name at " + where + " (systemctl list-units), and that you may read its journal (the systemd-journal group)"
	}
	return passed, "newest entry " + age(time.Since(lines[len(lines)-1].T)) + " ago", ""
}

// deployWindow is how far back the doctor looks for changes.
const deployWindow = 30 * 24 * time.Hour

func (d *doctor) deployProbe(key string, i int, dc deployConfig) (probe, bool) {
	at := fmt.Sprintf("services.%s.deploys[%d]", quoteKey(key), i)
	switch {
	case dc.Git != nil:
		g := deploys.Git{Repo: expandHome(dc.Git.Repo), Service: key}
		subject := dc.Git.Repo
		if dc.Git.Branch != "" {
			subject += " (" + dc.Git.Branch + ")"
		}
		return probe{check: "git", subject: subject, run: func(ctx context.Context) (verdict, string, string) {
			until := time.Now()
			since := until.Add(-deployWindow)
			what := "tag"
			var cs []deploys.Change
			var err error
			if dc.Git.Branch != "" {
				what = "merge to " + dc.Git.Branch
				cs, err = g.Merges(ctx, dc.Git.Branch, since, until)
			} else {
				cs, err = g.Tags(ctx, since, until)
			}
			if err != nil {
				return failed, err.Error(), "check repo (and branch) at " + d.cfg.where(at+".git")
			}
			if len(cs) == 0 {
				return warned, "no " + plural(0, what) + " in the last 30 days", "if deploys are tagged or merged elsewhere, set branch: (merges) or leave it empty (tags) at " + d.cfg.where(at+".git")
			}
			return passed, fmt.Sprintf("%d %s in the last 30 days", len(cs), plural(len(cs), what)), ""
		}}, true
	case len(dc.Command) > 0:
		c := deploys.Command{Argv: dc.Command, Service: key}
		return probe{check: "deploy command", subject: strings.Join(dc.Command, " "), run: func(ctx context.Context) (verdict, string, string) {
			if _, err := exec.LookPath(dc.Command[0]); err != nil {
				return failed, dc.Command[0] + " is not installed or not on PATH", "install it, or give its full path at " + d.cfg.where(at+".command")
			}
			cs, err := c.Changes(ctx)
			if err != nil {
				return failed, err.Error(), "run it by hand; it must print one JSON object per line (README: deploys)"
			}
			if len(cs) == 0 {
				return warned, "printed no changes", "run it by hand: it should print recent deploys, one JSON object per line"
			}
			return passed, fmt.Sprintf("%d %s", len(cs), plural(len(cs), "change")), ""
		}}, true
	}
	return probe{}, false // PagerDuty's change events: the token row covers them
}

func (d *doctor) catalogueProbe() probe {
	dir := d.cfg.actionsDir()
	if len(d.catalogueDirs) > 0 {
		dir = strings.Join(d.catalogueDirs, ", ")
	}
	if d.catalogueName != "" {
		dir = d.catalogueName
	}
	return probe{check: "actions", subject: dir, run: func(context.Context) (verdict, string, string) {
		if len(d.catalogueDirs) == 0 {
			n := len(actions.BuiltInNames())
			return passed, fmt.Sprintf("no actions.yaml or runbooks/ here: the palette offers the %d built-in PagerDuty operations", n), ""
		}
		if problems := actions.Check(d.catalogueDirs...); len(problems) > 0 {
			return failed, fmt.Sprintf("%d problem(s); first: %s", len(problems), problems[0]), "run sitrep actions check " + strings.Join(d.catalogueDirs, " ") + " to see them all"
		}
		cat, _ := actions.Load(d.catalogueDirs...)
		return passed, cat.Checked() + ", no problems", ""
	}}
}

// triageProbe counts the classification rules and warns of a configured
// rule whose metric names no configured query, which could never match.
func (d *doctor) triageProbe() probe {
	return probe{check: "triage", subject: "classification rules", run: func(context.Context) (verdict, string, string) {
		c := d.cfg.triageClassifier()
		var names []string
		for _, svc := range d.cfg.Services {
			for _, m := range svc.Metrics {
				names = append(names, m.Name)
			}
		}
		if warns := c.Check(names); len(warns) > 0 {
			return warned, fmt.Sprintf("%s; %d %s; first: %s", c.Summary(), len(warns), plural(len(warns), "problem"), warns[0]),
				"name the metric as services.NAME.metrics[].name does in " + d.cfg.path
		}
		return passed, c.Summary(), ""
	}}
}

// envNeed is an environment variable something needs.
type envNeed struct {
	hard    bool     // without it something fails, rather than runs without it
	users   []string // who uses it
	without []string // what happens without it
}

// envProbes checks every environment variable the config and the catalogue
// name: bearer tokens, HTTP actions' secret headers, the variables exec and
// ansible actions pass through, Slack webhooks.
func (d *doctor) envProbes() []probe {
	needs := map[string]*envNeed{}
	need := func(name, user, without string, hard bool) {
		n := needs[name]
		if n == nil {
			n = &envNeed{}
			needs[name] = n
		}
		n.hard = n.hard || hard
		if !slices.Contains(n.users, user) {
			n.users = append(n.users, user)
		}
		if !slices.Contains(n.without, without) {
			n.without = append(n.without, without)
		}
	}
	if e := d.cfg.Prometheus.BearerTokenEnv; e != "" {
		need(e, "prometheus.bearer_token_env", "sitrep refuses to start (prometheus.bearer_token_env names it)", true)
	}
	if e := d.cfg.Loki.BearerTokenEnv; e != "" {
		need(e, "loki.bearer_token_env", "sitrep refuses to start (loki.bearer_token_env names it)", true)
	}
	if len(d.catalogueDirs) > 0 {
		cat, _ := actions.Load(d.catalogueDirs...)
		for _, a := range cat.Actions() {
			var pass []string
			if a.Exec != nil {
				pass = append(pass, a.Exec.Env...)
			}
			if a.Ansible != nil {
				pass = append(pass, a.Ansible.Env...)
			}
			for _, e := range pass {
				if !strings.Contains(e, "=") {
					need(e, "action "+a.Name, "action "+a.Name+" runs without it", false)
				}
			}
			if a.HTTP != nil {
				for h, s := range a.HTTP.Secrets {
					if s.Env != "" {
						need(s.Env, "action "+a.Name, "action "+a.Name+" fails: its "+h+" header has no value", true)
					}
				}
			}
			if e := a.Announce.SlackWebhookEnv; e != "" {
				need(e, "action "+a.Name+" (Slack)", "action "+a.Name+" is not announced to Slack", false)
			}
		}
	}
	names := make([]string, 0, len(needs))
	for n := range needs {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]probe, 0, len(names))
	for _, name := range names {
		n := needs[name]
		out = append(out, probe{check: "environment", subject: name, run: func(context.Context) (verdict, string, string) {
			users := strings.Join(n.users, ", ")
			if strings.TrimSpace(os.Getenv(name)) != "" {
				return passed, "set; used by " + users, ""
			}
			found := "not set: " + strings.Join(n.without, "; ")
			fix := "export " + name + "=… before starting sitrep"
			if n.hard {
				return failed, found, fix
			}
			return warned, found, fix + ", if that is not what you want"
		}})
	}
	return out
}

func (d *doctor) journalProbe() probe {
	path := d.journalPath
	return probe{check: "journal", subject: path, run: func(ctx context.Context) (verdict, string, string) {
		fi, err := os.Stat(path)
		if errors.Is(err, os.ErrNotExist) {
			dir := filepath.Dir(path)
			for ; dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
				if _, err := os.Stat(dir); err == nil {
					break
				}
			}
			if err := writableDir(dir); err != nil {
				return failed, "not created yet, and " + dir + " is not writable: " + err.Error(), "give sitrep a writable place with --journal FILE or XDG_DATA_HOME"
			}
			return passed, "not created yet; sitrep creates it on its first start", ""
		}
		if err != nil {
			return failed, err.Error(), ""
		}
		// Read-only, so that looking changes nothing: beside a running
		// sitrep this reads a snapshot, which says the file is held.
		j, err := journal.Open(path, journal.Options{ReadOnly: true})
		if err != nil {
			return journalFailure(path, err)
		}
		defer j.Close()
		if !fi.Mode().IsRegular() {
			return failed, "is not a regular file", ""
		}
		if f, err := os.OpenFile(path, os.O_WRONLY, 0); err != nil {
			return failed, "not writable by you: " + plainPathError(err), fmt.Sprintf("make it yours and private: chmod 600 %s (and chown it if another user owns it)", path)
		} else {
			f.Close()
		}
		rep, err := j.Verify(ctx)
		if err != nil {
			if errors.Is(err, journal.ErrCorrupt) {
				return journalFailure(path, err)
			}
			if errors.Is(err, journal.ErrBroken) {
				return failed, rep.String(), fmt.Sprintf("keep the evidence and start a new journal: mv %s %s.broken", path, path)
			}
			return failed, err.Error(), ""
		}
		found := fmt.Sprintf("chain intact, %d entries", rep.Entries)
		if !j.Snapshot() {
			return passed, "writable; " + found, ""
		}
		o := journalOwner(path)
		if d.demoPID > 0 && o.PID == d.demoPID {
			return passed, fmt.Sprintf("in use by the running demo (pid %d); %s", d.demoPID, found), ""
		}
		who := "another process"
		if o.PID > 0 {
			who = fmt.Sprintf("%s (pid %d) since %s", orDash(o.Command), o.PID, o.Since.Local().Format(time.DateTime))
		}
		return warned, found + "; held by " + who + ": a second sitrep opens it read-only", "none if that is your running sitrep; else close that process"
	}}
}

// journalFailure is the row of a journal that cannot be opened: the
// journal's own message, split into what is wrong and the fix.
func journalFailure(path string, err error) (verdict, string, string) {
	var fe *journal.FileError
	if errors.As(err, &fe) {
		return failed, strings.TrimPrefix(fe.Problem, "is "), fmt.Sprintf("move it aside to start a new journal: mv %s %s%s", path, path, fe.Aside)
	}
	if errors.Is(err, journal.ErrLocked) {
		return warned, err.Error(), ""
	}
	return failed, err.Error(), ""
}

func plainPathError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// journalOwner reads the sidecar in which a journal's writer records
// itself.
func journalOwner(path string) (o struct {
	PID     int       `json:"pid"`
	Since   time.Time `json:"since"`
	Command string    `json:"command"`
}) {
	if b, err := os.ReadFile(path + ".owner"); err == nil && len(b) < 4096 {
		_ = json.Unmarshal(b, &o)
	}
	o.Command = sanitize.Line(o.Command)
	return o
}

// writableDir reports whether a file can be created in dir.
func writableDir(dir string) error {
	f, err := os.CreateTemp(dir, ".sitrep-doctor-*")
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return pe.Err
		}
		return err
	}
	f.Close()
	return os.Remove(f.Name())
}

// plural is "tag" or "tags", "merge to main" or "merges to main".
func plural(n int, what string) string {
	if n == 1 {
		return what
	}
	first, rest, _ := strings.Cut(what, " ")
	if rest != "" {
		return first + "s " + rest
	}
	return what + "s"
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// age is a duration as kubectl shows one: 42s, 7m12s, 3h4m, 3d.
func age(d time.Duration) string {
	d = max(d, 0).Truncate(time.Second)
	switch {
	case d < time.Minute:
		return d.String()
	case d < time.Hour:
		if s := int(d.Seconds()) % 60; s != 0 {
			return fmt.Sprintf("%dm%ds", int(d.Minutes()), s)
		}
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// writeDoctorReport prints one aligned row per check, the fix on the line
// below it, and a count.
func writeDoctorReport(w io.Writer, rows []finding) {
	checkW, subjW := 0, 0
	for _, r := range rows {
		checkW = max(checkW, utf8.RuneCountInString(r.Check))
		subjW = max(subjW, utf8.RuneCountInString(r.Subject))
	}
	subjW = min(subjW, 40)
	var counts [3]int
	for _, r := range rows {
		counts[r.Status]++
		if utf8.RuneCountInString(r.Subject) > subjW {
			// A long path is shown whole: what was found goes below it.
			fmt.Fprintf(w, "%s %-*s  %s\n", r.Status.glyph(), checkW, r.Check, r.Subject)
			fmt.Fprintf(w, "  %*s  %*s  %s\n", checkW, "", subjW, "", r.Found)
		} else {
			fmt.Fprintf(w, "%s %-*s  %-*s  %s\n", r.Status.glyph(), checkW, r.Check, subjW, r.Subject, r.Found)
		}
		if r.Fix != "" {
			fmt.Fprintf(w, "  %*s  %*s  fix: %s\n", checkW, "", subjW, "", r.Fix)
		}
	}
	fmt.Fprintf(w, "\n%d checks: %d ok, %d warnings, %d failed\n", len(rows), counts[passed], counts[warned], counts[failed])
}

func writeDoctorJSON(w io.Writer, rows []finding) error {
	ok := true
	for _, r := range rows {
		ok = ok && r.Status != failed
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		OK     bool      `json:"ok"`
		Checks []finding `json:"checks"`
	}{ok, rows})
}
