package actions

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"sitrep/sources/pagerduty"
	"sitrep/sources/sanitize"
)

// Target is what an action runs against.
type Target struct {
	IncidentID     string
	IncidentNumber uint
	Title          string
	Status         string // triggered, acknowledged, resolved
	Service        string
	Env            string
	Category       string
}

// TargetFromIncident makes a Target from the feed's incident; the
// environment and category come from the service's configuration.
func TargetFromIncident(inc pagerduty.Incident, env, category string) Target {
	return Target{
		IncidentID: inc.ID, IncidentNumber: inc.Number, Title: inc.Title, Status: inc.Status,
		Service: inc.Service.Name, Env: env, Category: category,
	}
}

// Engine prepares plans. The caller builds one from its configuration
// and hands it the outside world's pieces.
type Engine struct {
	Catalogue *Catalogue
	// Caller holds the values of from: caller parameters (sitrep's own
	// path, a demo API's base URL). They are checked like any other.
	Caller map[string]string
	// LookupEnv reads sitrep's environment for the variables an action
	// names; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// History returns when action ran on service since a time (from the
	// journal), for rate limits; see GuardInput.History.
	History func(action, service string, since time.Time) ([]time.Time, error)
	Now     func() time.Time
	// ReadOnly refuses every run and every dry run. Prepare still runs
	// its read-only probe, ansible-playbook --list-hosts, to show the
	// blast radius.
	ReadOnly bool
	User     string // who runs actions, for confirmations and announcements
	// PagerDuty performs pagerduty actions and posts announcement notes.
	PagerDuty  PagerDutyWriter
	HTTPClient *http.Client
	// Record receives every step of every run, redacted, for the journal.
	Record func(Record)
	// Announcers are told about runs besides PagerDuty notes and the
	// action's Slack webhook.
	Announcers []Announcer
	// Secrets are the values to redact everywhere (the tokens sitrep
	// holds); every plan's Redactor inherits them, and a secret a plan
	// resolves for a header or a webhook is added to them.
	Secrets *sanitize.Secrets
	// Grace is the time between SIGTERM and SIGKILL; zero means DefaultGrace.
	Grace time.Duration
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Engine) lookupEnv(k string) (string, bool) {
	if e.LookupEnv != nil {
		return e.LookupEnv(k)
	}
	return os.LookupEnv(k)
}

// baseEnv is PATH, HOME and LANG: all a child gets besides what its
// action names.
func (e *Engine) baseEnv() []string {
	var env []string
	for _, k := range []string{"PATH", "HOME", "LANG"} {
		if v, ok := e.lookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// childEnv builds a child's whole environment from the action's env list.
// Every value passed through from sitrep's environment is taught to red:
// a variable is named to pass a credential or a DSN more often than not.
func (e *Engine) childEnv(list []string, vals map[string]string, red *Redactor) (env, names []string, err error) {
	env = e.baseEnv()
	for _, item := range list {
		name, tpl, hasVal := strings.Cut(item, "=")
		names = append(names, name)
		if hasVal {
			v, err := render("env "+name, tpl, vals)
			if err != nil {
				return nil, nil, err
			}
			env = append(env, name+"="+v)
			continue
		}
		if v, ok := e.lookupEnv(name); ok {
			red.Add(v)
			env = append(env, name+"="+v)
		}
	}
	return env, names, nil
}

// announceTimeout bounds each announcement, before and after a run: a
// hung chat service must not hold a run up.
var announceTimeout = 15 * time.Second

// Plan is one prepared run of one action: everything the preview shows,
// and the steps the TUI and CLI drive (DryRun, Confirm, Run).
type Plan struct {
	RunID       string
	Action      *Action
	Target      Target
	Params      map[string]string
	Preview     Preview
	BlastRadius []string
	Fleet       int
	Limit       string
	Guards      GuardConfig
	Verdict     Verdict
	// AnnounceErrors are announcements that could not be delivered.
	AnnounceErrors []error

	engine      *Engine
	runner      Runner
	red         *Redactor
	mu          sync.Mutex
	dryRunOK    *bool
	dryRunText  string
	confirmedBy string
	// approval is the second person's approval, once the requester's
	// sitrep has read it from PagerDuty (see GrantApproval).
	approval *ApprovalGrant
	ran      bool
	// previewJournaled is set once the preview's entry is written: a
	// preview is journaled once, with the verdict it settled on.
	previewJournaled bool
}

// Explain is what the action does and why it is safe.
func (p *Plan) Explain() string { return p.Action.Explain }

// Risk is the action's risk level.
func (p *Plan) Risk() string { return p.Action.Risk }

// ConfirmLevel is the confirmation level required.
func (p *Plan) ConfirmLevel() string { return p.Verdict.Confirm }

// Runner is the plan's runner (for the TUI's type switches, e.g. to show
// the ansible summary).
func (p *Plan) Runner() Runner { return p.runner }

// BlockedError is a run refused by a guard rule.
type BlockedError struct{ Verdict Verdict }

func (e *BlockedError) Error() string { return e.Verdict.String() }

func newRunID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Prepare resolves and checks an action's parameters against an incident,
// renders its command or request, measures the blast radius, judges the
// guards, and records the preview. It runs nothing but read-only queries
// (ansible-playbook --list-hosts).
func (e *Engine) Prepare(ctx context.Context, name string, given map[string]string, t Target) (*Plan, error) {
	if e.Catalogue == nil {
		return nil, errors.New("no action catalogue loaded")
	}
	a, ok := e.Catalogue.Lookup(name)
	if !ok {
		return nil, fmt.Errorf("unknown action %q%s", name, suggestSuffix(name, e.Catalogue.Names()))
	}
	red := &Redactor{}
	red.Inherit(e.Secrets)
	p := &Plan{RunID: newRunID(), Action: a, Target: t, engine: e, red: red}
	vals, err := ResolveParams(a, given, t, e.Caller, red)
	if err != nil {
		rec := p.record(StepBlocked)
		rec.Verdict = "blocked: params — " + err.Error()
		rec.BlockedBy = "params"
		e.emit(red, rec)
		return nil, err
	}
	p.Params = vals
	if s, ok := vals["service"]; ok {
		p.Target.Service = s
	}
	if s, ok := vals["env"]; ok {
		p.Target.Env = s
	}
	// --service and --env may name a target the action is not offered
	// for; applies: is a rule, not a menu filter.
	if !a.AppliesTo(p.Target.Service, p.Target.Env) {
		v := notApplicable(a, p.Target.Service, p.Target.Env)
		rec := p.record(StepBlocked)
		rec.Verdict = v.String()
		rec.BlockedBy = v.BlockedBy
		e.emit(red, rec)
		return nil, &BlockedError{v}
	}
	p.Guards = e.Catalogue.Guards(a, p.Target.Env)
	if a.ReadOnly() {
		// The claim is checked again here, whoever built the action: a
		// diagnostic that could write would skip the confirmation.
		if why := a.WriteReason(); why != "" {
			return nil, fmt.Errorf("%s claims changes: nothing, but %s: refused", a.Name, why)
		}
		// Only the action's own confirm applies: the environment's is
		// written for actions that change something.
		p.Guards.Confirm = a.Guards.Confirm
	}
	if err := p.buildRunner(ctx, vals); err != nil {
		return nil, fmt.Errorf("%s: %w", a.Name, err)
	}
	p.Preview = p.runner.Preview()
	p.Limit = limitText(p.Guards)
	p.Verdict = p.evaluate()
	if !p.runner.HasDryRun() {
		// Nothing the engineer waits for can change the preview: it is
		// settled now. An action with a dry run is journaled by DryRun,
		// once it has run: before it, a required dry run reads as
		// "blocked by dry_run", a verdict the engineer never acted on.
		rec := p.record(StepPreviewed)
		rec.DryRun = p.Preview.DryRunNote
		p.previewJournaled = true
		e.emit(red, rec)
	}
	return p, nil
}

// notApplicable is the verdict on an action run where its applies: does
// not offer it.
func notApplicable(a *Action, service, env string) Verdict {
	where := func(list []string) string {
		if len(list) == 0 {
			return "any"
		}
		return strings.Join(list, ", ")
	}
	detail := fmt.Sprintf("%s is offered for services %s in environments %s, not for %s (%s)",
		a.Name, where(a.Applies.Services), where(a.Applies.Envs), orWord(service, "no service"), orWord(env, "no environment"))
	return Verdict{BlockedBy: RuleApplies, Rules: []RuleResult{{Rule: RuleApplies, Detail: detail}}}
}

func (p *Plan) buildRunner(ctx context.Context, vals map[string]string) error {
	a, e := p.Action, p.engine
	timeout := a.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	targetTxt := p.Target.Service
	if p.Target.Env != "" {
		targetTxt += " (" + p.Target.Env + ")"
	}
	p.BlastRadius = []string{p.Target.Service}
	switch a.Runner {
	case RunnerExec:
		argv, err := renderAll("argv", a.Exec.Argv, vals)
		if err != nil {
			return err
		}
		dry, err := renderAll("dry_run", a.Exec.DryRun, vals)
		if err != nil {
			return err
		}
		env, names, err := e.childEnv(a.Exec.Env, vals, p.red)
		if err != nil {
			return err
		}
		p.runner = &ExecRunner{Argv: argv, DryArgv: dry, Env: env, EnvNames: names, Dir: a.Exec.Dir,
			Timeout: timeout, Grace: e.Grace, Redactor: p.red, TargetTxt: targetTxt}
	case RunnerAnsible:
		s := a.Ansible
		inv, err := render("inventory", s.Inventory, vals)
		if err != nil {
			return err
		}
		limit, err := render("limit", s.Limit, vals)
		if err != nil {
			return err
		}
		extra := map[string]string{}
		for k, v := range s.ExtraVars {
			if extra[k], err = render("extra_vars."+k, v, vals); err != nil {
				return err
			}
		}
		if _, err := extraVarsYAML(extra); err != nil {
			return err
		}
		env, names, err := e.childEnv(s.Env, vals, p.red)
		if err != nil {
			return err
		}
		r := &AnsibleRunner{Playbook: s.Playbook, Inventory: inv, Connection: s.Connection, Limit: limit,
			ExtraVars: extra, Env: env, EnvNames: names, Timeout: timeout, Redactor: p.red, TargetTxt: targetTxt}
		p.runner = r
		hosts, err := r.ListHosts(ctx)
		if err != nil {
			return fmt.Errorf("blast radius: %w", err)
		}
		p.BlastRadius = hosts
		if p.Guards.MaxPercent != nil {
			// The fleet is every host the playbook would touch unlimited.
			fleet := *r
			fleet.Limit = ""
			if all, err := fleet.ListHosts(ctx); err == nil {
				p.Fleet = len(all)
			}
		}
	case RunnerHTTP:
		s := a.HTTP
		req, err := renderRequest(s.Method, s.URL, s.Body, s.Headers, s.JSON, vals)
		if err != nil {
			return err
		}
		r := &HTTPRunner{Request: req, Secrets: s.Secrets, Client: e.HTTPClient, LookupEnv: e.lookupEnv,
			TokenEnv: e.baseEnv(), Timeout: timeout, Redactor: p.red, TargetTxt: targetTxt}
		if d := s.DryRun; d != nil {
			body := d.Body
			if body == "" {
				body = s.Body // the dry run asks about the same request
			}
			dr, err := renderRequest(d.Method, d.URL, body, s.Headers, s.JSON, vals)
			if err != nil {
				return err
			}
			r.DryRequest = &dr
		}
		p.runner = r
	case RunnerPagerDuty:
		args := map[string]string{}
		for k, v := range a.PD.Args {
			s, err := render("args."+k, v, vals)
			if err != nil {
				return err
			}
			args[k] = s
		}
		if _, err := BuildPagerDutyCall(a.PD.Op, p.Target.IncidentID, args); err != nil {
			return err
		}
		p.runner = &PagerDutyRunner{Op: a.PD.Op, IncidentID: p.Target.IncidentID, Args: args,
			Writer: e.PagerDuty, Timeout: timeout, Redactor: p.red}
		p.BlastRadius = []string{"incident " + p.Target.IncidentID}
	default:
		return fmt.Errorf("unknown runner %q", a.Runner)
	}
	return nil
}

// renderRequest renders an HTTP request; in JSON bodies every value is
// JSON-escaped, and the body must come out as valid JSON.
func renderRequest(method, rawURL, body string, headers map[string]string, isJSON bool, vals map[string]string) (HTTPRequest, error) {
	req := HTTPRequest{Method: method, Headers: map[string]string{}}
	var err error
	// Built, not only rendered: values fill path segments and query
	// values, and never move the request off the host the template names.
	if req.URL, req.base, err = buildURL("url", rawURL, vals); err != nil {
		return req, err
	}
	for k, v := range headers {
		if req.Headers[k], err = render("header "+k, v, vals); err != nil {
			return req, err
		}
		if strings.ContainsAny(req.Headers[k], "\r\n") {
			return req, fmt.Errorf("header %s would contain a line break", k)
		}
	}
	bodyVals := vals
	if isJSON {
		bodyVals = jsonEscaped(vals)
	}
	if req.Body, err = render("body", body, bodyVals); err != nil {
		return req, err
	}
	if isJSON && req.Body != "" && !json.Valid([]byte(req.Body)) {
		return req, fmt.Errorf("body is not valid JSON after rendering: %s", displayValue(req.Body))
	}
	return req, nil
}

func (p *Plan) evaluate() Verdict {
	e := p.engine
	return Evaluate(GuardInput{
		Action: p.Action.Name, Service: p.Target.Service, Env: p.Target.Env, Risk: p.Action.Risk,
		Config: p.Guards, Hosts: len(p.BlastRadius), Fleet: p.Fleet, Now: e.now(), History: e.History,
		HasDryRun: p.runner.HasDryRun(), DryRunOK: p.dryRunOK, IncidentStatus: p.Target.Status,
		ReadOnly: e.ReadOnly, DryRunExempt: p.Action.DryRunExempt(), ChangesNothing: p.Action.ReadOnly(),
		Approved: p.approval,
	})
}

// GrantApproval records the approval a second person gave to run this
// plan, as read from PagerDuty by the caller (actions/approval checks the
// note's author, the plan's hash and the expiry), and judges the guards
// again. Run still judges every other rule.
func (p *Plan) GrantApproval(g ApprovalGrant) Verdict {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.approval = &g
	p.Verdict = p.evaluate()
	return p.Verdict
}

// Approval is the approval granted to this plan, or nil.
func (p *Plan) Approval() *ApprovalGrant {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.approval == nil {
		return nil
	}
	g := *p.approval
	return &g
}

// Evaluate judges the guards again (time passes, the dry run may have
// run) and returns the verdict.
func (p *Plan) Evaluate() Verdict {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.Verdict = p.evaluate()
	return p.Verdict
}

func (p *Plan) record(step string) Record {
	r := Record{
		RunID: p.RunID, Incident: p.Target.IncidentID, Step: step, Action: p.Action.Name, Title: p.Action.Title, Runner: p.Action.Runner,
		Target: p.Target.Service, Env: p.Target.Env, Limit: p.Limit,
	}
	if step == StepPreviewed || step == StepBlocked || step == StepStarted {
		r.Explain = p.Action.Explain
		r.BlastRadius = p.BlastRadius
		if p.runner != nil {
			r.Command = p.Preview.Command
		}
	}
	if p.runner != nil {
		r.Verdict = p.Verdict.String()
		if !p.Verdict.Allowed {
			r.BlockedBy = p.Verdict.BlockedBy
		}
	}
	if g := p.approval; g != nil {
		r.ApprovedBy, r.ApprovalRequest = g.By, g.RequestID
		at := g.At
		r.ApprovedAt = &at
	}
	return r
}

func (e *Engine) emit(red *Redactor, r Record) {
	if e.Record != nil {
		e.Record(red.RedactRecord(r))
	}
}

// DryRun runs the action's dry run, if it has one, and journals the
// preview with its result and the verdict that follows from it. With no
// dry run it says so plainly and returns a Result that is not OK (the
// preview was journaled by Prepare).
//
// In read-only mode nothing starts: a dry run is still a process or a
// request, and read-only promises neither.
func (p *Plan) DryRun(ctx context.Context, out func(Chunk)) Result {
	if !p.runner.HasDryRun() {
		if p.engine.ReadOnly {
			return Result{ExitCode: -1, Text: "read-only: no dry run"}
		}
		return Result{ExitCode: -1, Text: p.Preview.DryRunNote}
	}
	var res Result
	if p.engine.ReadOnly {
		res = Result{ExitCode: -1, Text: "read-only: no dry run"}
	} else {
		res = p.runner.DryRun(ctx, out)
	}
	p.mu.Lock()
	if !p.engine.ReadOnly {
		ok := res.OK
		p.dryRunOK = &ok
	}
	text := res.Text
	if res.Cancelled && !strings.HasPrefix(text, "cancelled") {
		text = "cancelled: " + text
	}
	if res.Summary != nil {
		text += "\n" + res.Summary.Text()
	} else if res.Output != "" {
		text += "\n" + lastLines(res.Output, 20)
	}
	p.dryRunText = text
	p.Verdict = p.evaluate()
	rec := p.record(StepPreviewed)
	rec.DryRun = text
	rec.DryRunOK = p.dryRunOK
	first := !p.previewJournaled
	p.previewJournaled = true
	p.mu.Unlock()
	if first {
		p.engine.emit(p.red, rec)
	}
	return res
}

// Confirm records the engineer's confirmation. For a typed confirmation,
// typed must be the service's name.
func (p *Plan) Confirm(typed string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.Verdict = p.evaluate()
	// A run that waits only for a second person's approval is confirmed
	// now, as the request for it: the approval lets it run, and Run
	// judges every rule again then.
	if !p.Verdict.Allowed && !p.Verdict.AwaitsOnlyApproval() {
		p.engine.emit(p.red, p.record(StepBlocked))
		return &BlockedError{p.Verdict}
	}
	if p.Verdict.Confirm == ConfirmTyped && strings.TrimSpace(typed) != p.Target.Service {
		return fmt.Errorf("confirmation refused: type the service's name %q to run %s in %s", p.Target.Service, p.Action.Name, p.Target.Env)
	}
	if p.Verdict.Confirm == ConfirmYesNo && !isYes(typed) && strings.TrimSpace(typed) != p.Target.Service {
		return fmt.Errorf("confirmation refused: answer yes to run %s", p.Action.Name)
	}
	p.confirmedBy = orWord(p.engine.User, "unknown")
	rec := p.record(StepConfirmed)
	rec.ConfirmedBy = p.confirmedBy
	p.engine.emit(p.red, rec)
	return nil
}

func isYes(s string) bool {
	s = strings.ToLower(strings.TrimSpace(s))
	return s == "y" || s == "yes"
}

// Run runs the action once: it judges the guards again, requires the
// confirmation, announces first if the action asks, streams output
// through out, records each step, and announces the result.
func (p *Plan) Run(ctx context.Context, out func(Chunk)) (Result, error) {
	p.mu.Lock()
	if p.ran {
		p.mu.Unlock()
		return Result{}, errors.New("this plan has already run: prepare it again")
	}
	p.Verdict = p.evaluate()
	if !p.Verdict.Allowed {
		rec := p.record(StepBlocked)
		p.mu.Unlock()
		p.engine.emit(p.red, rec)
		return Result{}, &BlockedError{p.Verdict}
	}
	if p.Verdict.Confirm != ConfirmNone && p.confirmedBy == "" {
		p.mu.Unlock()
		return Result{}, fmt.Errorf("%s needs a %s confirmation first", p.Action.Name, p.Verdict.Confirm)
	}
	p.ran = true
	p.mu.Unlock()
	e := p.engine

	if p.Action.Announce.Before {
		actx, cancel := context.WithTimeout(ctx, announceTimeout)
		p.announce(actx, fmt.Sprintf("%s: starting", p.announceHead()))
		cancel()
	}
	started := p.record(StepStarted)
	started.ConfirmedBy = p.confirmedBy
	e.emit(p.red, started)

	res := p.runner.Run(ctx, out)

	outRec := p.record(StepOutput)
	outRec.Output = res.Output
	if res.Summary != nil {
		outRec.Output = res.Summary.Text() + outRec.Output
	}
	e.emit(p.red, outRec)

	step := StepFinished
	switch {
	case res.TimedOut:
		step = StepTimedOut
	case res.Cancelled:
		step = StepCancelled
	case !res.OK:
		step = StepFailed
	}
	fin := p.record(step)
	fin.Result = res.Text
	if p.Action.Runner == RunnerExec || p.Action.Runner == RunnerAnsible || p.Action.Runner == RunnerHTTP {
		code := res.ExitCode
		fin.ExitCode = &code
	}
	fin.DurationMS = res.Duration.Milliseconds()
	e.emit(p.red, fin)

	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), announceTimeout)
	defer cancel()
	p.announce(actx, AnnouncementText(p.Action.Name, p.Target.Service, p.Target.Env, orWord(e.User, "unknown"), res))
	return res, nil
}

// AnnounceSlack posts text to the action's Slack webhook when it names
// one and the variable holding its URL is set; without one it does
// nothing. An approval request is announced this way beside its note.
func (p *Plan) AnnounceSlack(ctx context.Context, text string) error {
	env := p.Action.Announce.SlackWebhookEnv
	if env == "" {
		return nil
	}
	u, ok := p.engine.lookupEnv(env)
	if !ok || u == "" {
		return nil
	}
	p.red.Root().Add(u) // a webhook URL is a credential
	if err := (SlackWebhook{URL: u}).Announce(ctx, p.Target.IncidentID, p.red.Redact(text)); err != nil {
		return errors.New(p.red.Redact(sanitize.Line(err.Error())))
	}
	return nil
}

// RecordOutcome records whether the run helped, and the metrics before
// and after, once the caller knows.
func (p *Plan) RecordOutcome(outcome string, effect []MetricChange) {
	r := p.record(StepOutcome)
	r.Outcome = outcome
	r.Effect = effect
	p.engine.emit(p.red, r)
}

func (p *Plan) announceHead() string {
	return fmt.Sprintf("%s on %s (%s) by %s", p.Action.Name, p.Target.Service, p.Target.Env, orWord(p.engine.User, "unknown"))
}

// AnnouncementText is the one line that tells the team what ran:
// "restart_service on payment-gateway (prod) by Alice: exit 0 in 4.2 s".
func AnnouncementText(action, service, env, by string, res Result) string {
	return fmt.Sprintf("%s on %s (%s) by %s: %s in %s", action, service, env, by, res.Text, fmtSeconds(res.Duration))
}

func (p *Plan) announce(ctx context.Context, text string) {
	text = p.red.Redact(text)
	e := p.engine
	var targets []Announcer
	if p.Action.Announce.PagerDuty && e.PagerDuty != nil && p.Target.IncidentID != "" {
		targets = append(targets, PagerDutyNote{Writer: e.PagerDuty})
	}
	if env := p.Action.Announce.SlackWebhookEnv; env != "" {
		if u, ok := e.lookupEnv(env); ok && u != "" {
			p.red.Root().Add(u) // a webhook URL is a credential
			targets = append(targets, SlackWebhook{URL: u})
		}
	}
	targets = append(targets, e.Announcers...)
	for _, a := range targets {
		if err := a.Announce(ctx, p.Target.IncidentID, text); err != nil {
			p.mu.Lock()
			// A chat service's answer is outside text: one sanitized line.
			p.AnnounceErrors = append(p.AnnounceErrors, errors.New(p.red.Redact(sanitize.Line(err.Error()))))
			p.mu.Unlock()
		}
	}
}
