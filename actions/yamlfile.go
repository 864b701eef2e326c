package actions

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// The YAML shapes. They are decoded one action at a time so that a
// problem in one action leaves the others usable.

type rawApplies struct {
	Services      []string `yaml:"services"`
	Envs          []string `yaml:"envs"`
	Categories    []string `yaml:"categories"`
	TitlePatterns []string `yaml:"title_patterns"`
}

type rawParam struct {
	Pattern          string  `yaml:"pattern"`
	Default          *string `yaml:"default"`
	From             string  `yaml:"from"`
	Help             string  `yaml:"help"`
	AllowLeadingDash bool    `yaml:"allow_leading_dash"`
}

type rawExec struct {
	Argv   []string `yaml:"argv"`
	DryRun []string `yaml:"dry_run"`
	Env    []string `yaml:"env"`
	Dir    string   `yaml:"dir"`
}

type rawAnsible struct {
	Playbook     string            `yaml:"playbook"`
	Inventory    string            `yaml:"inventory"`
	Connection   string            `yaml:"connection"`
	Limit        string            `yaml:"limit"`
	ExtraVars    map[string]string `yaml:"extra_vars"`
	Env          []string          `yaml:"env"`
	FleetPattern string            `yaml:"fleet_pattern"`
}

type rawSecret struct {
	Env      string   `yaml:"env"`
	TokenCmd []string `yaml:"token_cmd"`
	Prefix   string   `yaml:"prefix"`
}

type rawHTTPDry struct {
	Method string `yaml:"method"`
	URL    string `yaml:"url"`
	Body   string `yaml:"body"`
}

type rawHTTP struct {
	Method        string               `yaml:"method"`
	URL           string               `yaml:"url"`
	Headers       map[string]string    `yaml:"headers"`
	SecretHeaders map[string]rawSecret `yaml:"secret_headers"`
	Body          string               `yaml:"body"`
	JSON          *bool                `yaml:"json"`
	DryRun        *rawHTTPDry          `yaml:"dry_run"`
}

type rawPD struct {
	Op   string            `yaml:"op"`
	Args map[string]string `yaml:"args"`
}

type rawWindow struct {
	Days string `yaml:"days"`
	From string `yaml:"from"`
	To   string `yaml:"to"`
	Zone string `yaml:"zone"`
}

type rawRate struct {
	Max    int    `yaml:"max"`
	Window string `yaml:"window"`
}

type rawApproval struct {
	Required  bool     `yaml:"required"`
	Approvers []string `yaml:"approvers"`
	Expires   string   `yaml:"expires"`
}

type rawGuards struct {
	Confirm        string       `yaml:"confirm"`
	MaxHosts       *int         `yaml:"max_hosts"`
	MaxPercent     *float64     `yaml:"max_percent"`
	RateLimit      *rawRate     `yaml:"rate_limit"`
	Windows        []rawWindow  `yaml:"windows"`
	RequireDryRun  *bool        `yaml:"require_dry_run"`
	RefuseResolved *bool        `yaml:"refuse_resolved"`
	Approval       *rawApproval `yaml:"approval"`
	// AllowAuto is read for an environment only (loadEnvGuards).
	AllowAuto *bool `yaml:"allow_auto"`
}

type rawAnnounce struct {
	PagerDuty       *bool  `yaml:"pagerduty"`
	SlackWebhookEnv string `yaml:"slack_webhook_env"`
	Before          bool   `yaml:"before"`
}

type rawAction struct {
	Name      string       `yaml:"name"`
	Title     string       `yaml:"title"`
	Explain   string       `yaml:"explain"`
	Applies   rawApplies   `yaml:"applies"`
	Params    ast.Node     `yaml:"params"`
	Runner    string       `yaml:"runner"`
	Exec      *rawExec     `yaml:"exec"`
	Ansible   *rawAnsible  `yaml:"ansible"`
	HTTP      *rawHTTP     `yaml:"http"`
	PagerDuty *rawPD       `yaml:"pagerduty"`
	Risk      string       `yaml:"risk"`
	Guards    rawGuards    `yaml:"guards"`
	Timeout   string       `yaml:"timeout"`
	Announce  *rawAnnounce `yaml:"announce"`
	Auto      ast.Node     `yaml:"auto"`
	Changes   string       `yaml:"changes"`
}

var topKeys = map[string]bool{"include": true, "actions": true, "guards": true}

func (l *loader) loadYAML(file string, from Pos) {
	abs, _ := filepath.Abs(file)
	if l.seen[abs] {
		if from.File != "" {
			l.problem(from, "", "include cycle: %s is already loaded", file)
		}
		return
	}
	l.seen[abs] = true
	data, err := os.ReadFile(file)
	if err != nil {
		l.problem(orPos(from, file), "", "cannot read %s: %v", file, err)
		return
	}
	f, err := parseSafe(data)
	if err != nil {
		l.yamlProblem(file, "", err)
		return
	}
	for _, doc := range f.Docs {
		if doc.Body == nil {
			continue
		}
		m, ok := doc.Body.(*ast.MappingNode)
		if !ok {
			l.problem(nodePos(file, doc.Body), "", "expected a mapping with include, guards and actions")
			continue
		}
		for _, kv := range m.Values {
			key := keyName(kv.Key)
			switch key {
			case "include":
				var inc []string
				if err := decodeNode(kv.Value, &inc); err != nil {
					l.yamlProblem(file, "", err)
					continue
				}
				for _, p := range inc {
					if !filepath.IsAbs(p) {
						p = filepath.Join(filepath.Dir(file), p)
					}
					l.loadYAML(p, nodePos(file, kv.Value))
				}
			case "guards":
				l.loadEnvGuards(file, kv.Value)
			case "actions":
				seq, ok := kv.Value.(*ast.SequenceNode)
				if !ok {
					l.problem(nodePos(file, kv.Value), "", "actions must be a list")
					continue
				}
				for _, n := range seq.Values {
					if a := l.loadAction(file, n); a != nil {
						l.add(a)
					}
				}
			default:
				if !topKeys[key] {
					l.problem(nodePos(file, kv.Key), "", "unknown key %q (want include, guards or actions)", key)
				}
			}
		}
	}
}

func orPos(p Pos, file string) Pos {
	if p.File == "" {
		return Pos{File: file}
	}
	return p
}

// keyName is a mapping key as written, without the quotes a key such as
// "*" needs in YAML: String() keeps them, and guards under "*" would then
// never apply.
func keyName(k ast.MapKeyNode) string {
	if s, ok := k.(*ast.StringNode); ok {
		return s.Value
	}
	return k.String()
}

func (l *loader) loadEnvGuards(file string, n ast.Node) {
	m, ok := n.(*ast.MappingNode)
	if !ok {
		l.problem(nodePos(file, n), "", "guards must map environment names to guard settings")
		return
	}
	for _, kv := range m.Values {
		env := keyName(kv.Key)
		var rg rawGuards
		if err := decodeNode(kv.Value, &rg, yaml.DisallowUnknownField()); err != nil {
			l.yamlProblem(file, "", err)
			continue
		}
		if rg.AllowAuto != nil {
			l.cat.autoAllow[env] = *rg.AllowAuto
		}
		g, ok := l.guards(file, "", kv.Value, rg)
		if ok {
			l.cat.EnvGuards[env] = g
			l.guardPos[env] = nodePos(file, kv.Key)
		}
	}
}

// parseSafe is parser.ParseBytes that reports a panic as an error.
func parseSafe(data []byte) (f *ast.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("cannot parse YAML (%v)", r)
		}
	}()
	return parser.ParseBytes(data, 0)
}

// decodeNode is yaml.NodeToValue that turns a panic inside the YAML
// library (seen with tags on odd nodes) into an error at the node.
func decodeNode(n ast.Node, v any, opts ...yaml.DecodeOption) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cannot decode this value (%v)", r)
			if n != nil && n.GetToken() != nil {
				tk := n.GetToken()
				err = fmt.Errorf("line %d column %d: cannot decode this value", tk.Position.Line, tk.Position.Column)
			}
		}
	}()
	return yaml.NodeToValue(n, v, opts...)
}

// yamlProblem turns a go-yaml error into a problem with its line and column.
func (l *loader) yamlProblem(file, action string, err error) {
	var ye yaml.Error
	if errors.As(err, &ye) && ye.GetToken() != nil {
		tk := ye.GetToken()
		l.problem(Pos{File: file, Line: tk.Position.Line, Column: tk.Position.Column}, action, "%s", ye.GetMessage())
		return
	}
	l.problem(Pos{File: file}, action, "%v", err)
}

func nodePos(file string, n ast.Node) Pos {
	if n == nil || n.GetToken() == nil {
		return Pos{File: file}
	}
	tk := n.GetToken()
	return Pos{File: file, Line: tk.Position.Line, Column: tk.Position.Column}
}

// child finds the value node under a path of mapping keys, or nil.
func child(n ast.Node, keys ...string) ast.Node {
	for _, k := range keys {
		m, ok := n.(*ast.MappingNode)
		if !ok {
			return nil
		}
		var next ast.Node
		for _, kv := range m.Values {
			if keyName(kv.Key) == k {
				next = kv.Value
				break
			}
		}
		if next == nil {
			return nil
		}
		n = next
	}
	return n
}

// at returns the position of the node under keys, falling back to n.
func at(file string, n ast.Node, keys ...string) Pos {
	for i := len(keys); i >= 0; i-- {
		if c := child(n, keys[:i]...); c != nil {
			return nodePos(file, c)
		}
	}
	return nodePos(file, n)
}

func (l *loader) loadAction(file string, n ast.Node) *Action {
	var ra rawAction
	if _, ok := n.(*ast.MappingNode); !ok {
		l.problem(nodePos(file, n), "", "an action must be a mapping")
		return nil
	}
	l.cat.defs++
	if c := child(n, "notify_first"); c != nil {
		// The flag that announced a run before it started is announce:
		// {before: true}; notify_first now names an auto: block's countdown.
		name := ""
		if c := child(n, "name"); c != nil {
			name = strings.TrimSpace(c.String())
		}
		l.problem(at(file, n, "notify_first"), name, "notify_first belongs in an auto: block, as the countdown before an automatic run (auto: {notify_first: 2m, ...}); "+
			"to announce a run before it starts as well as after, write announce: {before: true}")
		l.markInvalid(name)
		return nil
	}
	if err := decodeNode(n, &ra, yaml.DisallowUnknownField()); err != nil {
		name := ""
		if c := child(n, "name"); c != nil {
			name = strings.TrimSpace(c.String())
		}
		l.yamlProblem(file, name, err)
		l.markInvalid(name)
		return nil
	}
	b := &actionBuilder{l: l, file: file, node: n, name: ra.Name, appliesEnvs: ra.Applies.Envs}
	before := len(l.problems)
	a := &Action{
		Name:     ra.Name,
		Title:    ra.Title,
		Explain:  strings.TrimSpace(ra.Explain),
		Runner:   ra.Runner,
		Risk:     ra.Risk,
		Changes:  ra.Changes,
		Source:   nodePos(file, n),
		Announce: Announce{PagerDuty: true},
	}
	if ra.Announce != nil {
		if ra.Announce.PagerDuty != nil {
			a.Announce.PagerDuty = *ra.Announce.PagerDuty
		}
		a.Announce.SlackWebhookEnv = ra.Announce.SlackWebhookEnv
		a.Announce.Before = ra.Announce.Before
	}
	if ra.Guards.AllowAuto != nil {
		b.fail(at(file, n, "guards", "allow_auto"), "allow_auto is an environment's guard, not an action's: write it under the top-level guards: for the environment (guards: {staging: {allow_auto: true}})")
	}
	a.Applies = b.applies(ra.Applies)
	a.Params = b.params(ra.Params)
	a.Auto = b.auto(ra.Auto)
	if ra.Timeout != "" {
		d, err := time.ParseDuration(ra.Timeout)
		if err != nil || d <= 0 {
			b.fail(at(file, n, "timeout"), "bad timeout %q: want a positive duration such as 2m or 30s", ra.Timeout)
		}
		a.Timeout = d
	}
	if g, ok := l.guards(file, ra.Name, child(n, "guards"), ra.Guards); ok {
		a.Guards = g
	}
	switch ra.Runner {
	case RunnerExec:
		if ra.Exec != nil {
			a.Exec = &ExecSpec{Argv: ra.Exec.Argv, DryRun: ra.Exec.DryRun, Env: ra.Exec.Env, Dir: ra.Exec.Dir}
		}
	case RunnerAnsible:
		if ra.Ansible != nil {
			s := &AnsibleSpec{Playbook: ra.Ansible.Playbook, Inventory: ra.Ansible.Inventory,
				Connection: ra.Ansible.Connection, Limit: ra.Ansible.Limit, ExtraVars: ra.Ansible.ExtraVars,
				Env: ra.Ansible.Env, FleetPattern: ra.Ansible.FleetPattern}
			if s.Playbook != "" && !filepath.IsAbs(s.Playbook) {
				s.Playbook = filepath.Join(filepath.Dir(file), s.Playbook)
			}
			a.Ansible = s
		}
	case RunnerHTTP:
		if h := ra.HTTP; h != nil {
			s := &HTTPSpec{Method: h.Method, URL: h.URL, Headers: h.Headers, Body: h.Body}
			if len(h.SecretHeaders) > 0 {
				s.Secrets = map[string]SecretHeader{}
				for k, v := range h.SecretHeaders {
					s.Secrets[k] = SecretHeader(v)
				}
			}
			s.JSON = isJSONContent(h.Headers)
			if h.JSON != nil {
				s.JSON = *h.JSON
			}
			if h.DryRun != nil {
				s.DryRun = &HTTPDryRun{Method: h.DryRun.Method, URL: h.DryRun.URL, Body: h.DryRun.Body}
			}
			a.HTTP = s
		}
	case RunnerPagerDuty:
		if ra.PagerDuty != nil {
			a.PD = &PagerDutySpec{Op: ra.PagerDuty.Op, Args: ra.PagerDuty.Args}
		}
	}
	b.validate(a, map[string]Pos{
		"name": at(file, n, "name"), "explain": at(file, n, "explain"), "risk": at(file, n, "risk"),
		"runner": at(file, n, "runner"), "exec": at(file, n, "exec"), "ansible": at(file, n, "ansible"),
		"http": at(file, n, "http"), "pagerduty": at(file, n, "pagerduty"),
		"changes": at(file, n, "changes"),
	})
	if len(l.problems) > before {
		l.markInvalid(a.Name)
		return nil
	}
	return a
}

// markInvalid notes an action whose definition has a problem.
func (l *loader) markInvalid(name string) {
	if name != "" {
		l.invalid[name] = true
	}
}

func isJSONContent(h map[string]string) bool {
	for k, v := range h {
		if strings.EqualFold(k, "Content-Type") && strings.Contains(strings.ToLower(v), "json") {
			return true
		}
	}
	return false
}

// actionBuilder checks one action's parts, reporting problems in place.
type actionBuilder struct {
	l    *loader
	file string
	node ast.Node // nil for runbook actions
	name string
	// pos is a runbook action's fence, the place of a problem that has
	// none of its own; fenceLine is that line, to find attributes on it.
	pos       *Pos
	fenceLine string
	// appliesEnvs are the environments the action is offered in, which
	// its auto: block must stay within.
	appliesEnvs []string
}

func (b *actionBuilder) fail(p Pos, format string, args ...any) {
	if b.pos != nil && p.Line == 0 {
		p = *b.pos
	}
	b.l.problem(p, b.name, format, args...)
}

// attr is the place of a runbook action's fence attribute: its column on
// the fence line, or the fence itself when the attribute is not written.
func (b *actionBuilder) attr(key string) Pos {
	p := *b.pos
	if c := attrColumn(b.fenceLine, key); c > 0 {
		p.Column = c
	}
	return p
}

func (b *actionBuilder) at(keys ...string) Pos {
	if b.pos != nil || b.node == nil {
		if b.pos != nil {
			return *b.pos
		}
		return Pos{File: b.file}
	}
	return at(b.file, b.node, keys...)
}

func (b *actionBuilder) applies(r rawApplies) Applies {
	ap := Applies{Services: r.Services, Envs: r.Envs, Categories: r.Categories}
	for _, p := range r.TitlePatterns {
		re, err := regexp.Compile(p)
		if err != nil {
			b.fail(b.at("applies", "title_patterns"), "bad title pattern %q: %v", p, err)
			continue
		}
		ap.TitlePatterns = append(ap.TitlePatterns, re)
	}
	return ap
}

func (b *actionBuilder) params(n ast.Node) []Param {
	if n == nil {
		return nil
	}
	if _, isNull := n.(*ast.NullNode); isNull {
		return nil
	}
	m, ok := n.(*ast.MappingNode)
	if !ok {
		b.fail(nodePos(b.file, n), "params must map parameter names to {pattern, default, from}")
		return nil
	}
	var out []Param
	for _, kv := range m.Values {
		name := keyName(kv.Key)
		var rp rawParam
		if err := decodeNode(kv.Value, &rp, yaml.DisallowUnknownField()); err != nil {
			b.l.yamlProblem(b.file, b.name, err)
			continue
		}
		p := Param{Name: name, Pattern: rp.Pattern, From: rp.From, Help: rp.Help, AllowLeadingDash: rp.AllowLeadingDash}
		if rp.Default != nil {
			p.Default, p.HasDef = *rp.Default, true
		}
		b.checkParam(&p, at(b.file, kv.Value, "pattern"), at(b.file, kv.Value, "from"), at(b.file, kv.Value, "default"))
		out = append(out, p)
	}
	return out
}

var paramName = regexp.MustCompile(`\A[a-z][a-z0-9_]*\z`)

// checkParam compiles the pattern and checks from and default.
func (b *actionBuilder) checkParam(p *Param, patPos, fromPos, defPos Pos) {
	if !paramName.MatchString(p.Name) {
		b.fail(patPos, "parameter name %q must be lower case letters, digits and _", p.Name)
	}
	if p.Pattern == "" {
		b.fail(patPos, "parameter %s has no pattern: every parameter needs one", p.Name)
		return
	}
	re, err := compileAnchored(p.Pattern)
	if err != nil {
		b.fail(patPos, "parameter %s: bad pattern %q: %v", p.Name, p.Pattern, err)
		return
	}
	p.re = re
	switch p.From {
	case "", FromService, FromEnv, FromIncidentID, FromIncidentNumber, FromCaller:
	default:
		b.fail(fromPos, "parameter %s: unknown from %q (want service, env, incident_id, incident_number or caller)", p.Name, p.From)
	}
	if p.HasDef && !re.MatchString(p.Default) {
		b.fail(defPos, "parameter %s: default %q does not match its pattern %q", p.Name, p.Default, p.Pattern)
	} else if p.HasDef && strings.HasPrefix(p.Default, "-") && !p.AllowLeadingDash {
		b.fail(defPos, "parameter %s: default %q begins with \"-\", which is refused when the action runs: %s",
			p.Name, p.Default, b.dashFix(p.Name))
	}
	if !p.AllowLeadingDash && admitsLeadingDash(p.Pattern) {
		b.warn(patPos, "parameter %s: its pattern %q admits a value that begins with \"-\", which a program reads as an option, "+
			"so such values are refused when the action runs; make the pattern start with something else (e.g. [a-z0-9] first), "+
			"or %s", p.Name, p.Pattern, b.dashFix(p.Name))
	}
}

// dashFix says how to allow a leading dash where the parameter is declared.
func (b *actionBuilder) dashFix(name string) string {
	if b.node == nil {
		return fmt.Sprintf("if such values are meant, add allow_leading_dash.%s=true to the fence", name)
	}
	return "if such values are meant, add allow_leading_dash: true to the parameter"
}

// warn notes something that works but is likely a mistake.
func (b *actionBuilder) warn(p Pos, format string, args ...any) {
	if b.pos != nil && p.Line == 0 {
		p = *b.pos
	}
	b.l.warnings = append(b.l.warnings, Problem{Pos: p, Action: b.name, Msg: fmt.Sprintf(format, args...)})
}

// validate checks what every action needs, wherever it was defined.
func (b *actionBuilder) validate(a *Action, pos map[string]Pos) {
	if a.Name == "" {
		b.fail(pos["name"], "missing name")
	} else if !paramName.MatchString(a.Name) {
		b.fail(pos["name"], "name %q must be lower case letters, digits and _", a.Name)
	}
	if a.Explain == "" {
		b.fail(pos["explain"], "missing explain: say what the action does and why it is safe")
	}
	switch a.Risk {
	case RiskLow, RiskMedium, RiskHigh:
	case "":
		b.fail(pos["risk"], "missing risk (low, medium or high)")
	default:
		b.fail(pos["risk"], "unknown risk %q (want low, medium or high)", a.Risk)
	}
	if a.Title == "" {
		a.Title = a.Name
	}
	switch a.Changes {
	case "", ChangesNothing:
	default:
		b.fail(pos["changes"], "unknown changes %q: the only value is nothing (a read-only diagnostic); leave it out otherwise", a.Changes)
	}
	defer func() {
		// After the runner's defaults are set (http's method).
		if a.ReadOnly() {
			if why := a.WriteReason(); why != "" {
				b.fail(pos["changes"], "claims changes: nothing, but %s; remove changes: nothing (the action then needs the usual confirmation)", why)
			}
		}
	}()
	defined := map[string]bool{}
	for _, p := range a.Params {
		if defined[p.Name] {
			b.fail(pos["name"], "parameter %s is declared twice", p.Name)
		}
		defined[p.Name] = true
	}
	tpl := func(p Pos, what, s string) { b.checkTemplate(p, what, s, defined) }
	switch a.Runner {
	case "":
		b.fail(pos["runner"], "missing runner (exec, ansible, http or pagerduty)")
	case RunnerExec:
		if a.Exec == nil || len(a.Exec.Argv) == 0 {
			if b.pos == nil { // a fence's empty command is reported where it is read
				b.fail(pos["exec"], "runner exec needs exec.argv")
			}
			return
		}
		for i, s := range a.Exec.Argv {
			tpl(pos["exec"], fmt.Sprintf("exec.argv[%d]", i), s)
		}
		for i, s := range a.Exec.DryRun {
			tpl(pos["exec"], fmt.Sprintf("exec.dry_run[%d]", i), s)
		}
		b.checkEnv(pos["exec"], a.Exec.Env, defined)
	case RunnerAnsible:
		s := a.Ansible
		if s == nil || s.Playbook == "" {
			b.fail(pos["ansible"], "runner ansible needs ansible.playbook")
			return
		}
		if _, err := os.Stat(s.Playbook); err != nil {
			b.fail(pos["ansible"], "playbook %s: %v", s.Playbook, err)
		}
		if s.Inventory == "" {
			b.fail(pos["ansible"], "runner ansible needs ansible.inventory")
		}
		tpl(pos["ansible"], "ansible.inventory", s.Inventory)
		tpl(pos["ansible"], "ansible.limit", s.Limit)
		for _, k := range keys(s.ExtraVars) {
			if !extraVarName.MatchString(k) {
				b.fail(pos["ansible"], "ansible.extra_vars: name %q must be an identifier (letters, digits and _)", k)
			}
			tpl(pos["ansible"], "ansible.extra_vars."+k, s.ExtraVars[k])
		}
		b.checkEnv(pos["ansible"], s.Env, defined)
	case RunnerHTTP:
		s := a.HTTP
		if s == nil || s.URL == "" {
			b.fail(pos["http"], "runner http needs http.url")
			return
		}
		if s.Method == "" {
			s.Method = "POST"
		}
		s.Method = strings.ToUpper(s.Method)
		tpl(pos["http"], "http.url", s.URL)
		if err := checkURLTemplate(s.URL); err != nil {
			b.fail(b.at("http", "url"), "http.url: %v", err)
		}
		tpl(pos["http"], "http.body", s.Body)
		for k, v := range s.Headers {
			tpl(pos["http"], "http.headers."+k, v)
		}
		for k, sec := range s.Secrets {
			if (sec.Env == "") == (len(sec.TokenCmd) == 0) {
				b.fail(pos["http"], "secret header %s needs exactly one of env or token_cmd", k)
			}
		}
		if d := s.DryRun; d != nil {
			if d.Method == "" {
				d.Method = s.Method
			}
			d.Method = strings.ToUpper(d.Method)
			if d.URL == "" {
				b.fail(pos["http"], "http.dry_run needs a url")
			}
			tpl(pos["http"], "http.dry_run.url", d.URL)
			if err := checkURLTemplate(d.URL); d.URL != "" && err != nil {
				b.fail(b.at("http", "dry_run", "url"), "http.dry_run.url: %v", err)
			}
			tpl(pos["http"], "http.dry_run.body", d.Body)
		}
	case RunnerPagerDuty:
		s := a.PD
		if s == nil {
			b.fail(pos["pagerduty"], "runner pagerduty needs pagerduty.op")
			return
		}
		need, ok := pdOps[s.Op]
		if !ok {
			b.fail(pos["pagerduty"], "unknown pagerduty op %q (want %s)", s.Op, strings.Join(keys(pdOps), ", "))
			return
		}
		for _, k := range need {
			if _, ok := s.Args[k]; !ok {
				b.fail(pos["pagerduty"], "pagerduty op %s needs args.%s", s.Op, k)
			}
		}
		for k, v := range s.Args {
			if !contains(need, k) {
				b.fail(pos["pagerduty"], "pagerduty op %s takes no argument %q (it takes %s)", s.Op, k, strings.Join(need, ", "))
			}
			tpl(pos["pagerduty"], "pagerduty.args."+k, v)
		}
	default:
		b.fail(pos["runner"], "unknown runner %q (want exec, ansible, http or pagerduty)", a.Runner)
	}
}

var envName = regexp.MustCompile(`\A[A-Za-z_][A-Za-z0-9_]*\z`)

func (b *actionBuilder) checkEnv(p Pos, env []string, defined map[string]bool) {
	for _, e := range env {
		name, val, hasVal := strings.Cut(e, "=")
		if !envName.MatchString(name) {
			b.fail(p, "env entry %q: %q is not a variable name", e, name)
		}
		if hasVal {
			b.checkTemplate(p, "env "+name, val, defined)
		}
	}
}

func (b *actionBuilder) checkTemplate(p Pos, what, s string, defined map[string]bool) {
	refs, err := templateRefs(s)
	if err != nil {
		b.fail(p, "%s: bad template: %v", what, err)
		return
	}
	for _, r := range refs {
		if !defined[r] {
			b.fail(p, "%s: template references undefined parameter %q%s", what, r, suggestSuffix(r, keys(defined)))
		}
	}
}
