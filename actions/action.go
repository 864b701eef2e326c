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
	// NotifyFirst announces the run before it starts, not only after.
	NotifyFirst bool

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
}

// Match reports whether v matches the parameter's anchored pattern.
func (p Param) Match(v string) bool {
	return p.re != nil && p.re.MatchString(v)
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

// IsProduction reports whether env names production.
func IsProduction(env string) bool {
	e := strings.ToLower(env)
	return e == "prod" || e == "production"
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
