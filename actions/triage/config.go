package triage

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"

	"sitrep/sources/logs"
	"sitrep/sources/sanitize"
)

// Config is the triage section of config.yaml:
//
//	triage:
//	  defaults: true          # the built-in rules (DefaultRules); false turns them off
//	  rules:
//	    - name: payments-deploy
//	      class: deploy regression
//	      score: 95
//	      when:
//	        - service: {glob: payment-*}
//	        - change: {within: 30m, summary: '(?i)deploy'}
//	        - metric: {query: 5xx rate, op: '>', value: 0.05}
//
// A rule with the name of a built-in rule replaces it. classes and
// storm_window are described in routes.go.
type Config struct {
	Defaults *bool        `yaml:"defaults"`
	Rules    []RuleConfig `yaml:"rules"`
	// StormWindow is how close related incidents' starts must be to make
	// a storm ("10m").
	StormWindow string `yaml:"storm_window"`
	// Classes holds what each class of incident comes with, by class.
	Classes map[string]ClassConfig `yaml:"classes"`
}

// RuleConfig is one rule as written.
type RuleConfig struct {
	Name  string        `yaml:"name"`
	Class string        `yaml:"class"`
	Score *int          `yaml:"score"`
	When  []MatchConfig `yaml:"when"`
}

// MatchConfig is one matcher as written: exactly one field is set.
type MatchConfig struct {
	Title   *TextConfig   `yaml:"title"`
	Service *TextConfig   `yaml:"service"`
	Alert   *FieldConfig  `yaml:"alert"`
	Field   *FieldConfig  `yaml:"field"`
	Metric  *MetricConfig `yaml:"metric"`
	Log     *LogConfig    `yaml:"log"`
	Change  *ChangeConfig `yaml:"change"`
}

// TextConfig matches a text by any of its patterns.
type TextConfig struct {
	Regex  Patterns `yaml:"regex"`
	Glob   Patterns `yaml:"glob"`
	Equals Patterns `yaml:"equals"`
}

// FieldConfig matches a named alert field or custom field.
type FieldConfig struct {
	Name   string   `yaml:"name"`
	Regex  Patterns `yaml:"regex"`
	Glob   Patterns `yaml:"glob"`
	Equals Patterns `yaml:"equals"`
}

// MetricConfig compares a metric's value with a threshold.
type MetricConfig struct {
	Query Patterns `yaml:"query"` // globs of query names
	Op    string   `yaml:"op"`
	Value *float64 `yaml:"value"`
}

// LogConfig counts log lines that match.
type LogConfig struct {
	Regex Patterns `yaml:"regex"`
	Min   int      `yaml:"min"`
	Level string   `yaml:"level"`
}

// ChangeConfig looks for a change shortly before the start.
type ChangeConfig struct {
	Within  string   `yaml:"within"`
	Service Patterns `yaml:"service"` // globs of service names
	Summary Patterns `yaml:"summary"` // regular expressions
}

// Patterns is one pattern or a list of them, any of which may match.
type Patterns []string

// UnmarshalYAML accepts a single string as well as a list.
func (p *Patterns) UnmarshalYAML(unmarshal func(any) error) error {
	var one string
	if err := unmarshal(&one); err == nil {
		*p = Patterns{one}
		return nil
	}
	var many []string
	if err := unmarshal(&many); err != nil {
		return errors.New("want a string or a list of strings")
	}
	*p = many
	return nil
}

// DefaultScore is a rule's score when it sets none.
const DefaultScore = 50

// MaxScore bounds a rule's score.
const MaxScore = 100

// MaxWithin bounds how far before the start a change matcher looks.
const MaxWithin = 7 * 24 * time.Hour

// Problem is one mistake in the triage section, where it is.
type Problem struct {
	File         string
	Line, Column int    // zero when unknown
	Field        string // triage.rules[2].when[0].metric.op
	Msg          string // what is wrong and how to fix it
}

func (p Problem) Error() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d:%d: %s: %s", p.File, p.Line, p.Column, p.Field, p.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", p.File, p.Field, p.Msg)
}

// Load builds the classifier that cfg describes: the built-in rules unless
// defaults is false, with a configured rule replacing the built-in rule of
// its name, then the configured rules in their order. file and data are
// config.yaml's path and text, to place problems at their line and column.
// A rule with a problem is left out; the error joins every Problem.
func Load(cfg Config, file string, data []byte) (*Classifier, error) {
	c := compiler{file: file, data: data}
	var own []Rule
	names := map[string]int{}
	for i, rc := range cfg.Rules {
		at := fmt.Sprintf("triage.rules[%d]", i)
		if j, dup := names[rc.Name]; dup && rc.Name != "" {
			c.fail(at+".name", "rule %q is also defined at triage.rules[%d]: give each rule its own name", rc.Name, j)
			continue
		}
		names[rc.Name] = i
		if r, ok := c.rule(at, rc); ok {
			own = append(own, r)
		}
	}
	var rules []Rule
	if cfg.Defaults == nil || *cfg.Defaults {
		for _, d := range DefaultRules() {
			if _, replaced := names[d.Name]; !replaced {
				rules = append(rules, d)
			}
		}
	}
	rules = append(rules, own...)
	cl := New(rules)
	c.classes(cfg, cl)
	return cl, errors.Join(c.problems...)
}

// Problems unpacks the error Load returns.
func Problems(err error) []Problem {
	var out []Problem
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			var p Problem
			if errors.As(e, &p) {
				out = append(out, p)
			}
		}
	}
	return out
}

type compiler struct {
	file     string
	data     []byte
	problems []error
}

func (c *compiler) fail(field, format string, args ...any) {
	p := Problem{File: c.file, Field: field, Msg: sanitize.Line(fmt.Sprintf(format, args...))}
	p.Line, p.Column = c.position(field)
	c.problems = append(c.problems, p)
}

// position finds field in the file, or the nearest enclosing field that is
// there (a missing key is reported at its mapping).
func (c *compiler) position(field string) (int, int) {
	if len(c.data) == 0 {
		return 0, 0
	}
	for f := field; f != ""; f = parent(f) {
		p, err := yaml.PathString("$." + f)
		if err != nil {
			continue
		}
		node, err := p.ReadNode(bytes.NewReader(c.data))
		if err == nil && node != nil && node.GetToken() != nil {
			pos := node.GetToken().Position
			return pos.Line, pos.Column
		}
	}
	return 0, 0
}

// parent drops a path's last step: a.b[2] → a.b → a.
func parent(f string) string {
	if i := strings.LastIndexAny(f, ".["); i > 0 {
		return f[:i]
	}
	return ""
}

func (c *compiler) rule(at string, rc RuleConfig) (Rule, bool) {
	before := len(c.problems)
	// Names are drawn in the list and the export: a control character in
	// the file must not reach the terminal either.
	r := Rule{Name: sanitize.Line(rc.Name), Class: sanitize.Line(rc.Class), Score: DefaultScore}
	if r.Name == "" {
		c.fail(at+".name", "missing name: every rule needs one (a rule named like a built-in rule replaces it)")
	}
	if r.Class == "" {
		c.fail(at+".class", "missing class: say what kind of incident the rule finds, e.g. class: database")
	}
	if rc.Score != nil {
		r.Score = *rc.Score
		if r.Score < 0 || r.Score > MaxScore {
			c.fail(at+".score", "score %d is out of range: use 0 to %d (higher ranks first)", r.Score, MaxScore)
		}
	}
	if len(rc.When) == 0 {
		c.fail(at+".when", "no matchers: list at least one under when (title, service, alert, field, metric, log or change)")
	}
	for i, mc := range rc.When {
		if m, ok := c.matcher(fmt.Sprintf("%s.when[%d]", at, i), mc); ok {
			r.Matchers = append(r.Matchers, m)
		}
	}
	return r, len(c.problems) == before
}

func (c *compiler) matcher(at string, mc MatchConfig) (Matcher, bool) {
	set := []string{}
	for name, isSet := range map[string]bool{
		"title": mc.Title != nil, "service": mc.Service != nil, "alert": mc.Alert != nil, "field": mc.Field != nil,
		"metric": mc.Metric != nil, "log": mc.Log != nil, "change": mc.Change != nil,
	} {
		if isSet {
			set = append(set, name)
		}
	}
	if len(set) != 1 {
		c.fail(at, "each entry under when holds exactly one of title, service, alert, field, metric, log or change; write one entry per matcher")
		return nil, false
	}
	switch {
	case mc.Title != nil:
		return c.text(at+".title", TargetTitle, "", *mc.Title)
	case mc.Service != nil:
		return c.text(at+".service", TargetService, "", *mc.Service)
	case mc.Alert != nil:
		return c.field(at+".alert", TargetAlert, *mc.Alert)
	case mc.Field != nil:
		return c.field(at+".field", TargetField, *mc.Field)
	case mc.Metric != nil:
		return c.metric(at+".metric", *mc.Metric)
	case mc.Log != nil:
		return c.log(at+".log", *mc.Log)
	default:
		return c.change(at+".change", *mc.Change)
	}
}

func (c *compiler) patterns(at string, regex, glob, eq Patterns) ([]pattern, bool) {
	ok := true
	var out []pattern
	for i, s := range regex {
		p, err := compileRegex(s)
		if err != nil {
			c.fail(fmt.Sprintf("%s.regex[%d]", at, i), "%v", err)
			ok = false
			continue
		}
		out = append(out, p)
	}
	for i, s := range glob {
		p, err := compileGlob(s)
		if err != nil {
			c.fail(fmt.Sprintf("%s.glob[%d]", at, i), "%v", err)
			ok = false
			continue
		}
		out = append(out, p)
	}
	for _, s := range eq {
		out = append(out, equals(s))
	}
	if ok && len(out) == 0 {
		c.fail(at, "nothing to match: give regex, glob or equals")
		ok = false
	}
	return out, ok
}

func (c *compiler) text(at, target, name string, tc TextConfig) (Matcher, bool) {
	ps, ok := c.patterns(at, tc.Regex, tc.Glob, tc.Equals)
	return TextMatcher{Target: target, Name: name, patterns: ps}, ok
}

func (c *compiler) field(at, target string, fc FieldConfig) (Matcher, bool) {
	name := strings.TrimSpace(fc.Name)
	if name == "" {
		what := "the custom field's name"
		if target == TargetAlert {
			what = "summary, severity, source, or the key of a detail in the alert's body"
		}
		c.fail(at+".name", "missing name: say which field to match (%s)", what)
	}
	m, ok := c.text(at, target, name, TextConfig{Regex: fc.Regex, Glob: fc.Glob, Equals: fc.Equals})
	return m, ok && name != ""
}

func (c *compiler) metric(at string, mc MetricConfig) (Matcher, bool) {
	ok := true
	m := MetricMatcher{Op: mc.Op}
	if len(mc.Query) == 0 {
		c.fail(at+".query", "missing query: name the service's metric query as config.yaml's services.NAME.metrics[].name calls it (a glob: *5xx*)")
		ok = false
	}
	for i, s := range mc.Query {
		p, err := compileGlob(s)
		if err != nil {
			c.fail(fmt.Sprintf("%s.query[%d]", at, i), "%v", err)
			ok = false
			continue
		}
		m.queries = append(m.queries, p)
	}
	if !containsString(ops, mc.Op) {
		c.fail(at+".op", "op %q is not a comparison: use one of %s (quote it in YAML: op: '>')", mc.Op, strings.Join(ops, " "))
		ok = false
	}
	if mc.Value == nil {
		c.fail(at+".value", "missing value: the threshold to compare with, e.g. value: 0.05")
		ok = false
	} else {
		m.Value = *mc.Value
	}
	return m, ok
}

var levels = []string{logs.LevelError, logs.LevelWarn, logs.LevelInfo, logs.LevelDebug}

func (c *compiler) log(at string, lc LogConfig) (Matcher, bool) {
	ok := true
	m := LogMatcher{Min: lc.Min, Level: lc.Level}
	if len(lc.Regex) == 0 {
		c.fail(at+".regex", "missing regex: the pattern log lines must match, e.g. regex: '(?i)connection refused'")
		ok = false
	}
	for i, s := range lc.Regex {
		p, err := compileRegex(s)
		if err != nil {
			c.fail(fmt.Sprintf("%s.regex[%d]", at, i), "%v", err)
			ok = false
			continue
		}
		m.patterns = append(m.patterns, p)
	}
	if lc.Min < 0 {
		c.fail(at+".min", "min %d is negative: write how many matching lines are needed (default 1)", lc.Min)
		ok = false
	}
	if lc.Level != "" && !containsString(levels, lc.Level) {
		c.fail(at+".level", "unknown level %q: use one of %s, or leave it out for any level", lc.Level, strings.Join(levels, ", "))
		ok = false
	}
	return m, ok
}

func (c *compiler) change(at string, cc ChangeConfig) (Matcher, bool) {
	ok := true
	m := ChangeMatcher{}
	if cc.Within == "" {
		c.fail(at+".within", "missing within: how long before the start a change counts, e.g. within: 30m")
		ok = false
	} else if d, err := time.ParseDuration(cc.Within); err != nil || d <= 0 || d > MaxWithin {
		c.fail(at+".within", "%s is not a duration between 1s and %s: write it like 30m or 2h", strconv.Quote(cc.Within), "168h")
		ok = false
	} else {
		m.Within = d
	}
	for i, s := range cc.Service {
		p, err := compileGlob(s)
		if err != nil {
			c.fail(fmt.Sprintf("%s.service[%d]", at, i), "%v", err)
			ok = false
			continue
		}
		m.services = append(m.services, p)
	}
	for i, s := range cc.Summary {
		p, err := compileRegex(s)
		if err != nil {
			c.fail(fmt.Sprintf("%s.summary[%d]", at, i), "%v", err)
			ok = false
			continue
		}
		m.summary = append(m.summary, p)
	}
	return m, ok
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
