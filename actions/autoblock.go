package actions

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"

	"sitrep/sources/sanitize"
)

// Auto is an action's auto: block: when sitrep, once an engineer has armed
// it, may run the action by itself on a new incident, after announcing it
// on the incident and counting down NotifyFirst for anyone to veto. The
// decision itself lives in actions/auto; this is the catalogue's word.
type Auto struct {
	When AutoWhen
	// NotifyFirst is the countdown between the announcement and the run.
	NotifyFirst time.Duration
	// MaxRunsPerIncident and MaxRunsPerHour bound the automatic runs of
	// the action: on one incident, and on every incident in any hour.
	MaxRunsPerIncident int
	MaxRunsPerHour     int
	// Source is where the auto: block is written.
	Source Pos
}

// AutoWhen says which new incidents an armed auto action applies to. Every
// condition set must hold; Envs is required.
type AutoWhen struct {
	Services []string // names or path.Match globs
	Envs     []string
	// Classes are triage classes (actions/triage), one of which the
	// incident must have.
	Classes []string
	// Alert maps an alert field (summary, severity or source) to an
	// unanchored regexp its value must match, in one of the incident's
	// alerts: every field in the same alert.
	Alert map[string]*regexp.Regexp
	// MaxAge is the oldest an incident may be when sitrep first sees it;
	// zero means any age.
	MaxAge  time.Duration
	Urgency string // high or low; "" means either
}

// Defaults of an auto: block.
const (
	DefaultAutoMaxRunsPerIncident = 1
	DefaultAutoMaxRunsPerHour     = 3
	// maxNotifyFirst bounds the countdown: an automation that waits an
	// hour is not the fix a new incident needs.
	maxNotifyFirst = time.Hour
)

// AutoAllowed reports whether env's guards let an auto action run there
// (allow_auto: true). Production needs it said; elsewhere it is allowed
// unless the environment says allow_auto: false.
func (c *Catalogue) AutoAllowed(env string) bool {
	if v, ok := c.autoAllow[env]; ok {
		return v
	}
	if v, ok := c.autoAllow["*"]; ok && !IsProduction(env) {
		return v
	}
	return !IsProduction(env)
}

type rawAutoWhen struct {
	Services []string          `yaml:"services"`
	Envs     []string          `yaml:"envs"`
	Classes  []string          `yaml:"classes"`
	Alert    map[string]string `yaml:"alert"`
	MaxAge   string            `yaml:"max_age"`
	Urgency  string            `yaml:"urgency"`
}

type rawAuto struct {
	When               rawAutoWhen `yaml:"when"`
	NotifyFirst        string      `yaml:"notify_first"`
	MaxRunsPerIncident *int        `yaml:"max_runs_per_incident"`
	MaxRunsPerHour     *int        `yaml:"max_runs_per_hour"`
}

// AlertFields are the alert fields auto.when.alert may test.
var AlertFields = []string{"summary", "severity", "source"}

// auto reads an action's auto: block, or nil when there is none.
func (b *actionBuilder) auto(n ast.Node) *Auto {
	if n == nil {
		return nil
	}
	if _, isNull := n.(*ast.NullNode); isNull {
		return nil
	}
	var r rawAuto
	if err := decodeNode(n, &r, yaml.DisallowUnknownField()); err != nil {
		b.l.yamlProblem(b.file, b.name, err)
		return nil
	}
	pos := func(keys ...string) Pos { return at(b.file, n, keys...) }
	au := &Auto{
		When:               AutoWhen{Services: r.When.Services, Envs: r.When.Envs, Classes: r.When.Classes, Urgency: r.When.Urgency},
		MaxRunsPerIncident: DefaultAutoMaxRunsPerIncident, MaxRunsPerHour: DefaultAutoMaxRunsPerHour,
		Source: nodePos(b.file, n),
	}
	if r.NotifyFirst == "" {
		b.fail(pos("notify_first"), "auto: needs notify_first, the countdown between the announcement on the incident and the run (e.g. notify_first: 2m): an automatic run always announces itself first, for anyone to veto")
	} else if d, err := time.ParseDuration(r.NotifyFirst); err != nil || d < 10*time.Second || d > maxNotifyFirst {
		b.fail(pos("notify_first"), "auto.notify_first %q: want a duration from 10s to 1h, such as 2m, so that a responder can read the announcement and veto it", r.NotifyFirst)
	} else {
		au.NotifyFirst = d
	}
	if len(r.When.Envs) == 0 {
		b.fail(pos("when"), "auto.when.envs is missing: name the environments where sitrep may run %s by itself (e.g. envs: [staging])", b.name)
	}
	for _, e := range r.When.Envs {
		if !matchList(b.appliesEnvs, e) {
			b.fail(pos("when", "envs"), "auto.when.envs names %s, where the action is not offered (applies.envs is %s): add it to applies.envs or take it out of auto.when.envs", e, strings.Join(b.appliesEnvs, ", "))
		}
	}
	switch r.When.Urgency {
	case "", "high", "low":
	default:
		b.fail(pos("when", "urgency"), "auto.when.urgency %q: want high or low, or leave it out for either", r.When.Urgency)
	}
	if r.When.MaxAge != "" {
		d, err := time.ParseDuration(r.When.MaxAge)
		if err != nil || d <= 0 {
			b.fail(pos("when", "max_age"), "auto.when.max_age %q: want a positive duration such as 10m", r.When.MaxAge)
		}
		au.When.MaxAge = d
	}
	fields := make([]string, 0, len(r.When.Alert))
	for k := range r.When.Alert {
		fields = append(fields, k)
	}
	sort.Strings(fields)
	for _, k := range fields {
		if !slices.Contains(AlertFields, k) {
			b.fail(pos("when", "alert"), "auto.when.alert: unknown alert field %q (want %s)", k, strings.Join(AlertFields, ", "))
			continue
		}
		re, err := regexp.Compile(r.When.Alert[k])
		if err != nil {
			b.fail(pos("when", "alert"), "auto.when.alert.%s: bad pattern %q: %v", k, r.When.Alert[k], err)
			continue
		}
		if au.When.Alert == nil {
			au.When.Alert = map[string]*regexp.Regexp{}
		}
		au.When.Alert[k] = re
	}
	if v := r.MaxRunsPerIncident; v != nil {
		if *v < 1 || *v > 10 {
			b.fail(pos("max_runs_per_incident"), "auto.max_runs_per_incident %d: want 1 to 10", *v)
		}
		au.MaxRunsPerIncident = *v
	}
	if v := r.MaxRunsPerHour; v != nil {
		if *v < 1 || *v > 60 {
			b.fail(pos("max_runs_per_hour"), "auto.max_runs_per_hour %d: want 1 to 60", *v)
		}
		au.MaxRunsPerHour = *v
	}
	return au
}

// checkAuto refuses an auto action in production unless that
// environment's guards say allow_auto: true. It runs once every file is
// read, since guards may come from an included file.
func (l *loader) checkAuto() {
	refused := map[string]bool{}
	for _, a := range l.cat.actions {
		if a.Auto == nil {
			continue
		}
		for _, p := range a.Params {
			if !p.HasDef && p.From == "" {
				refused[a.Name] = true
				l.problem(a.Auto.Source, a.Name, "auto: nobody is there to give parameter %s when sitrep runs %s by itself: give it a default, or take it from the incident (from: service, env, incident_id or incident_number)", p.Name, a.Name)
			}
		}
		for _, env := range a.Auto.When.Envs {
			if l.cat.AutoAllowed(env) {
				continue
			}
			refused[a.Name] = true
			fix := fmt.Sprintf("add allow_auto: true under guards: %s: if the team means sitrep to run it there unattended, or take %s out of auto.when.envs", env, env)
			if IsProduction(env) {
				l.problem(a.Auto.Source, a.Name, "auto: runs %s by itself in %s, a production environment, whose guards do not allow automatic runs: %s", a.Name, env, fix)
			} else {
				l.problem(a.Auto.Source, a.Name, "auto: runs %s by itself in %s, whose guards say allow_auto: false: %s", a.Name, env, fix)
			}
		}
	}
	if len(refused) == 0 {
		return
	}
	// Like any action with a problem, a refused one is left out.
	kept := l.cat.actions[:0]
	for _, a := range l.cat.actions {
		if refused[a.Name] {
			delete(l.cat.byName, a.Name)
			l.markInvalid(a.Name)
			continue
		}
		kept = append(kept, a)
	}
	l.cat.actions = kept
}

// AnnounceFor tells the team about a's run on an incident before there is
// a plan (an automatic run's announcement, its veto or cancellation): a
// PagerDuty note, always, since the team's veto is a reply to it on the
// incident, and the action's Slack webhook when it names one. It returns
// the other announcers' failures and the PagerDuty note's apart, redacted.
func (e *Engine) AnnounceFor(ctx context.Context, a *Action, incidentID, text string) (others []error, noteErr error) {
	red := &Redactor{}
	red.Inherit(e.Secrets)
	text = red.Redact(text)
	clean := func(err error) error { return errors.New(red.Redact(sanitize.Line(err.Error()))) }
	switch {
	case e.PagerDuty == nil:
		noteErr = errors.New("no PagerDuty access to post the note")
	case incidentID == "":
		noteErr = errors.New("no incident to post the note on")
	default:
		if err := (PagerDutyNote{Writer: e.PagerDuty}).Announce(ctx, incidentID, text); err != nil {
			noteErr = clean(err)
		}
	}
	var targets []Announcer
	if env := a.Announce.SlackWebhookEnv; env != "" {
		if u, ok := e.lookupEnv(env); ok && u != "" {
			red.Root().Add(u) // a webhook URL is a credential
			targets = append(targets, SlackWebhook{URL: u})
		}
	}
	targets = append(targets, e.Announcers...)
	for _, t := range targets {
		if err := t.Announce(ctx, incidentID, text); err != nil {
			others = append(others, clean(err))
		}
	}
	return others, noteErr
}
