package actions

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Risk levels of an action.
const (
	RiskLow    = "low"
	RiskMedium = "medium"
	RiskHigh   = "high"
)

// Runner names.
const (
	RunnerExec      = "exec"
	RunnerAnsible   = "ansible"
	RunnerHTTP      = "http"
	RunnerPagerDuty = "pagerduty"
)

// Where a parameter can take its value from instead of the user.
const (
	FromService        = "service"
	FromEnv            = "env"
	FromIncidentID     = "incident_id"
	FromIncidentNumber = "incident_number"
	// FromCaller marks a value sitrep itself supplies (its own binary's
	// path, a demo API's base URL): the user may not set it.
	FromCaller = "caller"
)

// Action is one remediation the catalogue offers.
type Action struct {
	Name    string
	Title   string
	Explain string // what it does and why it is safe; required
	Applies Applies
	Params  []Param // in declaration order
	Runner  string
	Exec    *ExecSpec
	Ansible *AnsibleSpec
	HTTP    *HTTPSpec
	PD      *PagerDutySpec
	Risk    string
	Guards  GuardConfig
	Timeout time.Duration
	// Announce says whom to tell about a run.
	Announce Announce
	// Auto is the action's auto: block, when sitrep may run it by itself
	// once armed; nil otherwise.
	Auto *Auto
	// Changes is ChangesNothing for a read-only diagnostic: it needs no
	// confirmation beyond its own guards.confirm, and only a runner sitrep
	// can see is read-only (an HTTP GET or HEAD) may claim it.
	Changes string
	// BuiltIn marks one of sitrep's own PagerDuty operations, offered
	// without YAML; a catalogue action of the same name replaces it.
	BuiltIn bool

	// Source is where the action was defined, for messages.
	Source Pos
	// Runbook is the runbook's file when the action came from one.
	Runbook string
}

// Pos is a place in a catalogue file.
type Pos struct {
	File   string
	Line   int
	Column int
}

func (p Pos) String() string {
	switch {
	case p.Line == 0:
		return p.File
	case p.Column == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
}

// Applies says where an action is offered. An empty list matches anything.
type Applies struct {
	Services []string // names or path.Match globs
	Envs     []string
	// Categories and TitlePatterns narrow the offer for an incident: a
	// category is matched against the incident's category, a title pattern
	// (a regexp, unanchored) against its title.
	Categories    []string
	TitlePatterns []*regexp.Regexp
}

// Param is one parameter of an action.
type Param struct {
	Name    string
	Pattern string // as written; matched anchored
	Default string
	HasDef  bool
	From    string // "", service, env, incident_id, incident_number, caller
	Help    string
	// AllowLeadingDash lets a value begin with "-". Without it such a value
	// is refused: as one argv element it is still read as an option.
	AllowLeadingDash bool
	re               *regexp.Regexp
	lazyRE           func() *regexp.Regexp // a built-in's, compiled on first use
}

// Match reports whether v matches the parameter's anchored pattern.
func (p Param) Match(v string) bool {
	re := p.re
	if re == nil && p.lazyRE != nil {
		re = p.lazyRE()
	}
	return re != nil && re.MatchString(v)
}

// ExecSpec runs a process.
type ExecSpec struct {
	Argv   []string // one template per element
	DryRun []string // optional; empty means there is no dry run
	// Env names variables passed from sitrep's environment ("NAME") or
	// set from a template ("NAME={{.x}}").
	Env []string
	Dir string
}

// AnsibleSpec runs a playbook.
type AnsibleSpec struct {
	Playbook   string // resolved against the catalogue file's directory
	Inventory  string // template; "localhost," style lists allowed
	Connection string // e.g. local
	Limit      string // template
	ExtraVars  map[string]string
	Env        []string
	// FleetPattern is the host pattern whose size is the fleet for the
	// blast-radius percentage; default "all".
	FleetPattern string
}

// HTTPSpec sends one request.
type HTTPSpec struct {
	Method  string
	URL     string
	Headers map[string]string
	Secrets map[string]SecretHeader
	Body    string
	// JSON makes every value JSON-escaped as it enters Body; it is on when
	// the Content-Type header says JSON.
	JSON   bool
	DryRun *HTTPDryRun
}

// SecretHeader is a header whose value comes from the environment or a
// token command and is never shown.
type SecretHeader struct {
	Env      string
	TokenCmd []string
	Prefix   string // e.g. "Bearer "
}

// HTTPDryRun is a request that asks the server what would happen.
type HTTPDryRun struct {
	Method string
	URL    string
	Body   string
}

// PagerDuty operations.
const (
	PDReassign     = "reassign"
	PDEscalate     = "escalate"
	PDSnooze       = "snooze"
	PDMerge        = "merge"
	PDUrgency      = "urgency"
	PDPriority     = "priority"
	PDAddResponder = "add_responder"
	PDStatusUpdate = "status_update"
	// PDRoute reassigns the incident to an escalation policy and notes why.
	PDRoute = "route"
)

var pdOps = map[string][]string{
	PDReassign:     {"user_id"},
	PDEscalate:     {"level"},
	PDSnooze:       {"duration"},
	PDMerge:        {"source_ids"},
	PDUrgency:      {"urgency"},
	PDPriority:     {"priority_id"},
	PDAddResponder: {"user_id", "message"},
	PDStatusUpdate: {"message"},
	PDRoute:        {"escalation_policy_id", "message"},
}

// PagerDutySpec is one write to the incident.
type PagerDutySpec struct {
	Op   string
	Args map[string]string // templates, by the op's argument names
}

// Announce says whom to tell about a run.
type Announce struct {
	PagerDuty bool // a note on the incident; on unless turned off
	// SlackWebhookEnv names the environment variable holding a Slack
	// incoming-webhook URL; empty means no Slack announcement.
	SlackWebhookEnv string
	// Before announces the run before it starts, not only after.
	Before bool
}

// ChangesNothing is the value of changes: that declares a read-only
// diagnostic.
const ChangesNothing = "nothing"

// ReadOnly reports whether the action declares that it changes nothing.
func (a *Action) ReadOnly() bool { return a.Changes == ChangesNothing }

// HasDryRun reports whether the action has a dry run: an exec dry_run, an
// http dry_run, or ansible's check mode. A PagerDuty write has none.
func (a *Action) HasDryRun() bool {
	switch a.Runner {
	case RunnerExec:
		return a.Exec != nil && len(a.Exec.DryRun) > 0
	case RunnerAnsible:
		return true
	case RunnerHTTP:
		return a.HTTP != nil && a.HTTP.DryRun != nil
	}
	return false
}

// DryRunExempt says why require_dry_run does not apply to the action, or
// "" when it does: a PagerDuty write has no dry run by nature (the preview
// shows the exact request instead), and a read-only diagnostic is itself
// as safe as a dry run.
func (a *Action) DryRunExempt() string {
	switch {
	case a.Runner == RunnerPagerDuty:
		return "PagerDuty writes have no dry run by nature; the preview shows the exact request that will be sent"
	case a.ReadOnly():
		return "it changes nothing (changes: nothing), so running it is as safe as a dry run"
	}
	return ""
}

// WriteReason says why a's runner can change something, or "" when it
// cannot: only an HTTP GET or HEAD is read-only in a way sitrep can see. A
// program (exec) or a playbook (ansible, even in check mode: a task may set
// check_mode: false) can do anything, so their claim is not accepted.
func (a *Action) WriteReason() string {
	switch a.Runner {
	case RunnerPagerDuty:
		op := ""
		if a.PD != nil {
			op = " " + a.PD.Op
		}
		return "runner pagerduty writes to the incident (op" + op + ")"
	case RunnerHTTP:
		if a.HTTP == nil {
			return ""
		}
		if m := strings.ToUpper(a.HTTP.Method); m != "GET" && m != "HEAD" {
			return "runner http sends " + m + ", which may change the server's state (only GET and HEAD are read-only)"
		}
		if d := a.HTTP.DryRun; d != nil {
			if m := strings.ToUpper(d.Method); m != "" && m != "GET" && m != "HEAD" {
				return "its http.dry_run sends " + m + " (only GET and HEAD are read-only)"
			}
		}
		return ""
	case RunnerExec:
		return "runner exec runs a program, and sitrep cannot see what a program changes"
	case RunnerAnsible:
		return "runner ansible runs a playbook, and a task may change hosts even in check mode (check_mode: false)"
	}
	return "runner " + a.Runner + " may change something"
}

// Param returns the named parameter.
func (a *Action) Param(name string) (Param, bool) {
	for _, p := range a.Params {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

// ParamNames lists the parameters a user may set, in order.
func (a *Action) ParamNames() []string {
	var out []string
	for _, p := range a.Params {
		if p.From != FromCaller {
			out = append(out, p.Name)
		}
	}
	return out
}

// AppliesTo reports whether the action is offered for service in env.
func (a *Action) AppliesTo(service, env string) bool {
	return matchList(a.Applies.Services, service) && matchList(a.Applies.Envs, env)
}

// AppliesToIncident is AppliesTo narrowed by category and title.
func (a *Action) AppliesToIncident(t Target) bool {
	if !a.AppliesTo(t.Service, t.Env) {
		return false
	}
	if len(a.Applies.Categories) > 0 && !slices.Contains(a.Applies.Categories, t.Category) {
		return false
	}
	if len(a.Applies.TitlePatterns) == 0 {
		return true
	}
	for _, re := range a.Applies.TitlePatterns {
		if re.MatchString(t.Title) {
			return true
		}
	}
	return false
}

func matchList(list []string, v string) bool {
	if len(list) == 0 {
		return true
	}
	for _, p := range list {
		if p == v || p == "*" {
			return true
		}
		if ok, err := path.Match(p, v); err == nil && ok {
			return true
		}
	}
	return false
}

// IsProduction reports whether env names production: every name the
// config accepts for it (see knownEnvs in cmd/sitrep), since a name left out
// here would lower a production action's confirmation.
func IsProduction(env string) bool {
	e := strings.ToLower(env)
	return e == "prod" || e == "production" || e == "live"
}

// compileAnchored compiles pattern so that it must match the whole value.
func compileAnchored(pattern string) (*regexp.Regexp, error) {
	// Compile the pattern alone first: its own error is the one to show,
	// and a pattern that does not parse alone ("a)|(b") would otherwise
	// escape the anchors once wrapped.
	if _, err := regexp.Compile(pattern); err != nil {
		return nil, err
	}
	return regexp.Compile(`\A(?:` + pattern + `)\z`)
}
