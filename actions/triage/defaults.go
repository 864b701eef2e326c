package triage

import (
	"fmt"
	"slices"
	"sync"
)

// The built-in rules: the common classes, written so that a new install
// (and the demo) classifies something before anyone writes a rule. They
// are compiled by the same code as configured rules.
var defaultConfig = []RuleConfig{
	{
		// A deploy shortly before the start, and errors up: the classic.
		Name: "deploy-regression", Class: "deploy regression", Score: score(90),
		When: []MatchConfig{
			{Change: &ChangeConfig{Within: "30m", Summary: Patterns{`(?i)deploy|release|rollout|roll out|upgrade|\bv\d+\.\d+`}}},
			{Metric: &MetricConfig{Query: Patterns{"*5xx*", "*error*", "*fail*"}, Op: ">", Value: value(0.05)}},
		},
	},
	{
		// Without metrics: a deploy shortly before an alert about errors.
		Name: "deploy-then-errors", Class: "deploy regression", Score: score(70),
		When: []MatchConfig{
			{Change: &ChangeConfig{Within: "30m", Summary: Patterns{`(?i)deploy|release|rollout|roll out|upgrade|\bv\d+\.\d+`}}},
			{Title: &TextConfig{Regex: Patterns{`(?i)\b5xx\b|\b50[0-4]\b|error rate|errors?\b|exceptions?|crash`}}},
		},
	},
	{
		Name: "certificate", Class: "certificate", Score: score(80),
		When: []MatchConfig{
			{Title: &TextConfig{Regex: Patterns{`(?i)certificate|\bcert\b|\bx\.?509\b|\bssl\b|tls.*(expir|handshake)`}}},
		},
	},
	{
		Name: "database", Class: "database", Score: score(70),
		When: []MatchConfig{
			{Title: &TextConfig{Regex: Patterns{`(?i)database|\bdb\b|-db\b|postgres|mysql|mariadb|mongo|redis|connection pool|deadlock|replication lag|too many connections|slow quer`}}},
		},
	},
	{
		Name: "network", Class: "network", Score: score(60),
		When: []MatchConfig{
			{Title: &TextConfig{Regex: Patterns{`(?i)health ?check|unreachable|timed? ?out|\bdns\b|packet loss|connection (refused|reset)|network|\bbgp\b|load balancer|probe fail`}}},
		},
	},
	{
		Name: "capacity", Class: "capacity", Score: score(60),
		When: []MatchConfig{
			{Title: &TextConfig{Regex: Patterns{`(?i)disk (usage|full|space)|out of memory|\boom|memory (above|usage)|\bcpu\b|queue depth|backlog|throttl|quota|saturat|\blag above|capacity|no space`}}},
		},
	},
	{
		Name: "dependency", Class: "dependency", Score: score(50),
		When: []MatchConfig{
			{Title: &TextConfig{Regex: Patterns{`(?i)upstream|third[- ]party|provider|vendor|stripe|paypal|twilio|webhook|external api|dependency`}}},
		},
	},
}

func score(n int) *int         { return &n }
func value(v float64) *float64 { return &v }

// DefaultRules are the built-in rules.
func DefaultRules() []Rule { return slices.Clone(defaultRules()) }

// defaultRules compiles the built-in rules once; compiled patterns are safe
// to share.
var defaultRules = sync.OnceValue(func() []Rule {
	c := compiler{file: "built-in rules"}
	out := make([]Rule, 0, len(defaultConfig))
	for i, rc := range defaultConfig {
		r, ok := c.rule(fmt.Sprintf("default %s", rc.Name), rc)
		if !ok {
			// The tests compile every default; this is unreachable in a
			// released build.
			panic(fmt.Sprintf("built-in triage rule %d: %v", i, c.problems))
		}
		r.Default = true
		out = append(out, r)
	}
	return out
})
