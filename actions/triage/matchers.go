package triage

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"sitrep/sources/metrics"
	"sitrep/sources/sanitize"
)

// pattern is one way a text can match: a regular expression, a glob
// (* and ?, case-insensitive, the whole text) or an exact value.
type pattern struct {
	src  string // as written, for the why
	kind string // "regex", "glob" or "equals"
	re   *regexp.Regexp
	need []string // a regex's required literals (prefilter.go)
}

func compileRegex(src string) (pattern, error) {
	re, err := regexp.Compile(src)
	if err != nil {
		return pattern{}, fmt.Errorf("bad regular expression %q: %s: write a Go regular expression such as (?i)timed? ?out", src, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
	}
	return pattern{src: src, kind: "regex", re: re, need: requiredLiterals(src)}, nil
}

func compileGlob(src string) (pattern, error) {
	if src == "" {
		return pattern{}, fmt.Errorf("empty glob: write the text to match, with * for any run of characters (payment-*)")
	}
	var b strings.Builder
	b.WriteString(`(?is)\A`)
	for _, r := range src {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString(`\z`)
	re, err := regexp.Compile(b.String())
	if err != nil { // only a glob too large to compile
		return pattern{}, fmt.Errorf("glob %q cannot be used: %v", quote(src), err)
	}
	return pattern{src: src, kind: "glob", re: re}, nil
}

func equals(src string) pattern { return pattern{src: src, kind: "equals"} }

// match reports whether s matches, and the part that did: the regular
// expression's match, or all of s.
func (p pattern) match(s string) (string, bool) {
	switch p.kind {
	case "equals":
		return s, s == p.src
	case "glob":
		return s, p.re.MatchString(s)
	}
	if !mayMatch(s, p.need) {
		return "", false
	}
	loc := p.re.FindStringIndex(s)
	if loc == nil {
		return "", false
	}
	return s[loc[0]:loc[1]], true
}

// anyMatch tries the patterns in order.
func anyMatch(ps []pattern, s string) (pattern, string, bool) {
	for _, p := range ps {
		if m, ok := p.match(s); ok {
			return p, m, true
		}
	}
	return pattern{}, "", false
}

// maxQuote bounds a quotation from outside text in a why.
const maxQuote = 80

// quote makes outside text safe and short for a why.
func quote(s string) string {
	s = sanitize.Line(s)
	if utf8.RuneCountInString(s) <= maxQuote {
		return s
	}
	r := []rune(s)
	return string(r[:maxQuote-1]) + "…"
}

// says writes what matched: `title mentions "5xx"`, `service is
// payment-gateway`, `service payment-gateway matches payment-*`.
func says(what string, p pattern, value, matched string) string {
	switch p.kind {
	case "equals":
		return fmt.Sprintf("%s is %s", what, quote(value))
	case "glob":
		return fmt.Sprintf("%s %s matches %s", what, quote(value), quote(p.src))
	}
	if matched == "" {
		return fmt.Sprintf("%s matches /%s/", what, quote(p.src))
	}
	return fmt.Sprintf("%s mentions %q", what, quote(matched))
}

// Text targets.
const (
	TargetTitle   = "title"
	TargetService = "service"
	TargetAlert   = "alert"
	TargetField   = "field"
)

// TextMatcher matches words: the title, the service (name or ID), a field
// of any alert (summary, severity, source, or a detail by its key), or a
// custom field of the incident. Any of its patterns may match.
type TextMatcher struct {
	Target   string // TargetTitle, TargetService, TargetAlert or TargetField
	Name     string // the alert's or custom field's name
	patterns []pattern
}

// Kind implements Matcher.
func (m TextMatcher) Kind() string { return m.Target }

// Observed implements Matcher: words are not observed signals.
func (m TextMatcher) Observed() bool { return false }

// Match implements Matcher.
func (m TextMatcher) Match(e *Evidence) (string, bool) {
	try := func(what, value string) (string, bool) {
		if p, matched, ok := anyMatch(m.patterns, value); ok {
			return says(what, p, value, matched), true
		}
		return "", false
	}
	switch m.Target {
	case TargetTitle:
		return try("title", e.Incident.Title)
	case TargetService:
		if why, ok := try("service", e.Incident.Service.Name); ok {
			return why, true
		}
		if e.Incident.Service.ID != "" {
			return try("service", e.Incident.Service.ID)
		}
	case TargetAlert:
		for _, a := range e.Alerts {
			var v string
			switch m.Name {
			case "summary":
				v = a.Summary
			case "severity":
				v = a.Severity
			case "source":
				v = a.Source
			default:
				continue
			}
			if why, ok := try("alert "+m.Name, v); ok {
				return why, true
			}
		}
		if v, ok := e.AlertDetails[m.Name]; ok {
			return try("alert "+quote(m.Name), v)
		}
	case TargetField:
		if v, ok := e.Fields[m.Name]; ok {
			return try("field "+quote(m.Name), v)
		}
	}
	return "", false
}

// Comparison operators of a metric condition.
var ops = []string{">", ">=", "<", "<="}

// MetricMatcher holds when a metric's value compares with a threshold: the
// first query (by name, in name order) that the globs name and whose value
// satisfies the condition.
type MetricMatcher struct {
	queries []pattern
	Op      string
	Value   float64
}

// Kind implements Matcher.
func (m MetricMatcher) Kind() string { return "metric" }

// Observed implements Matcher.
func (m MetricMatcher) Observed() bool { return true }

func (m MetricMatcher) holds(v float64) bool {
	switch m.Op {
	case ">":
		return v > m.Value
	case ">=":
		return v >= m.Value
	case "<":
		return v < m.Value
	case "<=":
		return v <= m.Value
	}
	return false
}

// Match implements Matcher.
func (m MetricMatcher) Match(e *Evidence) (string, bool) {
	if len(e.Metrics) == 0 {
		return "", false
	}
	var names []string
	for name := range e.Metrics {
		if _, _, ok := anyMatch(m.queries, name); ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		if v := e.Metrics[name]; m.holds(v) {
			return fmt.Sprintf("%s %s %s %s", quote(name), metrics.FormatValue(v, ""), m.Op, metrics.FormatValue(m.Value, "")), true
		}
	}
	return "", false
}

// LogMatcher holds when at least Min log lines match any of its patterns
// (and, when Level is set, have that level).
type LogMatcher struct {
	patterns []pattern
	Min      int
	Level    string
}

// Kind implements Matcher.
func (m LogMatcher) Kind() string { return "log" }

// Observed implements Matcher.
func (m LogMatcher) Observed() bool { return true }

// Match implements Matcher.
func (m LogMatcher) Match(e *Evidence) (string, bool) {
	n, first, example := 0, pattern{}, ""
	for _, l := range e.Logs {
		if m.Level != "" && l.Level != m.Level {
			continue
		}
		if p, _, ok := anyMatch(m.patterns, l.Text); ok {
			if n == 0 {
				first, example = p, l.Text
			}
			n++
		}
	}
	if n < max(m.Min, 1) {
		return "", false
	}
	lines := "log lines match"
	if n == 1 {
		lines = "log line matches"
	}
	return fmt.Sprintf("%d %s /%s/, e.g. %q", n, lines, quote(first.src), quote(example)), true
}

// ChangeMatcher holds when a change (a deploy, a config push) happened at
// most Within before the incident started, optionally of a service whose
// name the globs match and with a summary a regular expression matches. The
// nearest such change is the evidence.
type ChangeMatcher struct {
	Within   time.Duration
	services []pattern
	summary  []pattern
}

// Kind implements Matcher.
func (m ChangeMatcher) Kind() string { return "change" }

// Observed implements Matcher.
func (m ChangeMatcher) Observed() bool { return true }

// Match implements Matcher.
func (m ChangeMatcher) Match(e *Evidence) (string, bool) {
	start := e.Start()
	if start.IsZero() {
		return "", false
	}
	best := -1
	var bestOffset time.Duration
	for i, c := range e.Changes {
		if c.At.IsZero() {
			continue
		}
		before := start.Sub(c.At)
		if before < 0 || before > m.Within {
			continue
		}
		if len(m.services) > 0 {
			if _, _, ok := anyMatch(m.services, c.Service); !ok {
				continue
			}
		}
		if len(m.summary) > 0 {
			if _, _, ok := anyMatch(m.summary, c.Summary); !ok {
				continue
			}
		}
		if best < 0 || before < bestOffset {
			best, bestOffset = i, before
		}
	}
	if best < 0 {
		return "", false
	}
	c := e.Changes[best]
	what := quote(c.Summary)
	if what == "" {
		what = "a change"
	}
	if c.Service != "" && !strings.Contains(c.Summary, c.Service) {
		what = quote(c.Service) + ": " + what
	}
	return fmt.Sprintf("%s %s before the start", what, span(bestOffset)), true
}

// span writes a duration as a person says it: "45 s", "5 min", "1 h 20 min".
func span(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Round(time.Second)/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Round(time.Minute)/time.Minute))
	}
	d = d.Round(time.Minute)
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	if m == 0 {
		return fmt.Sprintf("%d h", h)
	}
	return fmt.Sprintf("%d h %d min", h, m)
}
