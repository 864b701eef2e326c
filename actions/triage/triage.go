// Package triage says what kind of incident this is, and why.
//
// Rules map evidence about an incident (its title, service, alerts and
// custom fields; metric values; log lines; changes shortly before it
// started) to a class: "deploy regression", "database", "network" or any
// name a team chooses. A rule matches when every one of its matchers does,
// and each matcher that matched writes one readable piece of the why, so a
// classification can always be explained: "deploy regression: Deploy
// payment-gateway v2.14.0 5 min before the start; 5xx rate 0.31 > 0.05".
//
// Built-in defaults cover the common classes, so that a new install
// classifies something before anyone writes a rule; the triage section of
// config.yaml adds rules, replaces a default by naming it, or turns the
// defaults off. Classifying is pure computation over evidence already
// fetched: the caller gathers the evidence, and a Cache keeps the answer per
// incident version so that drawing the list never classifies.
package triage

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"sitrep/sources/deploys"
	"sitrep/sources/logs"
	"sitrep/sources/pagerduty"
)

// Evidence is what is known about one incident when it is classified.
// Every part but the incident may be empty: a matcher that needs a part
// that is missing does not match.
type Evidence struct {
	Incident pagerduty.Incident
	Alerts   []pagerduty.Alert
	// AlertDetails are the fields of the alerts' bodies (custom details),
	// flattened to text: "query", "region", "check".
	AlertDetails map[string]string
	// Fields are the incident's custom fields, by name.
	Fields map[string]string
	// Metrics holds a value per configured query name ("5xx rate"): the
	// figure around the incident's start that the Metrics pane shows.
	Metrics map[string]float64
	Logs    []logs.Line
	Changes []deploys.Change
}

// Start is when the incident started: its creation time.
func (e Evidence) Start() time.Time { return e.Incident.CreatedAt }

// Confidence says how much a classification rests on: observed signals
// (metrics, logs, changes) or words alone (title, service, alert fields).
type Confidence string

// Confidences, from least to most.
const (
	// ConfidenceLow: only words matched (title, service, alert or custom
	// fields), which anyone can write.
	ConfidenceLow Confidence = "low"
	// ConfidenceMedium: one kind of observed signal matched.
	ConfidenceMedium Confidence = "medium"
	// ConfidenceHigh: two or more kinds of observed signal agree.
	ConfidenceHigh Confidence = "high"
)

// Classification is one class an incident matched, and why.
type Classification struct {
	Class      string
	Rule       string // the rule that matched
	Score      int
	Confidence Confidence
	// Evidence holds one readable, sanitized piece per matcher, in the
	// rule's order: "5xx rate 0.31 > 0.05".
	Evidence []string
}

// Why is the classification as one line: the class, each piece of
// evidence, and the rule when its name differs from the class.
func (c Classification) Why() string {
	var b strings.Builder
	b.WriteString(c.Class)
	b.WriteString(": ")
	b.WriteString(strings.Join(c.Evidence, "; "))
	if c.Rule != c.Class {
		b.WriteString(" (rule ")
		b.WriteString(c.Rule)
		b.WriteString(")")
	}
	return b.String()
}

// Rule maps evidence to a class. It matches when every matcher matches;
// a rule with no matchers never matches.
type Rule struct {
	Name     string
	Class    string
	Score    int
	Matchers []Matcher
	// Default is set on the built-in rules.
	Default bool
}

// Matcher is one condition of a rule. Match reports whether the evidence
// satisfies it and, when it does, one readable piece of the why.
type Matcher interface {
	Match(e *Evidence) (why string, ok bool)
	// Observed says the matcher looks at a signal (metric, log, change)
	// rather than at words; it weighs in the confidence.
	Observed() bool
	// Kind names the matcher for the confidence count: "metric", "log"…
	Kind() string
}

// match runs the rule against the evidence.
func (r *Rule) match(e *Evidence) (Classification, bool) {
	if len(r.Matchers) == 0 {
		return Classification{}, false
	}
	// The whys are kept on the stack until the rule is known to match:
	// most rules fail on most incidents.
	var whys [8]string
	pieces := whys[:0]
	var kinds [4]string
	n := 0
	for _, m := range r.Matchers {
		why, ok := m.Match(e)
		if !ok {
			return Classification{}, false
		}
		pieces = append(pieces, why)
		if m.Observed() && n < len(kinds) && !slices.Contains(kinds[:n], m.Kind()) {
			kinds[n] = m.Kind()
			n++
		}
	}
	c := Classification{Class: r.Class, Rule: r.Name, Score: r.Score, Evidence: slices.Clone(pieces)}
	switch {
	case n >= 2:
		c.Confidence = ConfidenceHigh
	case n == 1:
		c.Confidence = ConfidenceMedium
	default:
		c.Confidence = ConfidenceLow
	}
	return c, true
}

// Classifier holds the rules in force.
type Classifier struct {
	rules []Rule
	// routes and stormWindow come from the classes and storm_window
	// settings (routes.go).
	routes      map[string]Route
	stormWindow time.Duration
}

// New returns a classifier of rules, in the order given.
func New(rules []Rule) *Classifier { return &Classifier{rules: rules} }

// Rules are the classifier's rules.
func (c *Classifier) Rules() []Rule { return c.rules }

// Classify returns every class the evidence matches, best first: by score,
// then by class name, then by rule name. A class matched by several rules
// appears once, with its best rule. Nothing matched is an empty result.
func (c *Classifier) Classify(e Evidence) []Classification {
	if c == nil {
		return nil
	}
	var out []Classification
	for i := range c.rules {
		cl, ok := c.rules[i].match(&e)
		if !ok {
			continue
		}
		if j := slices.IndexFunc(out, func(o Classification) bool { return o.Class == cl.Class }); j >= 0 {
			if better(cl, out[j]) {
				out[j] = cl
			}
			continue
		}
		out = append(out, cl)
	}
	slices.SortFunc(out, func(a, b Classification) int {
		if better(a, b) {
			return -1
		}
		if better(b, a) {
			return 1
		}
		return 0
	})
	return out
}

// better orders classifications: higher score, then class name, then rule
// name.
func better(a, b Classification) bool {
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	if c := cmp.Compare(a.Class, b.Class); c != 0 {
		return c < 0
	}
	return a.Rule < b.Rule
}

// Check finds configured rules that can never match because a metric
// matcher names no query that exists: metricNames are the names of every
// configured metric query. The built-in rules are left out, since an
// install without metrics is normal for them.
func (c *Classifier) Check(metricNames []string) []string {
	var out []string
	for _, r := range c.Rules() {
		if r.Default {
			continue
		}
		for _, m := range r.Matchers {
			mm, ok := m.(MetricMatcher)
			if !ok || slices.ContainsFunc(metricNames, func(n string) bool { _, _, ok := anyMatch(mm.queries, n); return ok }) {
				continue
			}
			var qs []string
			for _, q := range mm.queries {
				qs = append(qs, q.src)
			}
			out = append(out, fmt.Sprintf("rule %s: no configured metric is named %s, so it never matches; name one of services.NAME.metrics[].name",
				quote(r.Name), quote(strings.Join(qs, " or "))))
		}
	}
	return out
}

// Summary counts the rules and names their classes, for sitrep doctor.
func (c *Classifier) Summary() string {
	builtIn, classes := 0, []string{}
	for _, r := range c.Rules() {
		if r.Default {
			builtIn++
		}
		if !slices.Contains(classes, r.Class) {
			classes = append(classes, r.Class)
		}
	}
	slices.Sort(classes)
	n := len(c.Rules())
	return fmt.Sprintf("%d rules (%d built-in, %d configured) for %d classes: %s", n, builtIn, n-builtIn, len(classes), strings.Join(classes, ", "))
}
