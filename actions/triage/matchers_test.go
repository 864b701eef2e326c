package triage

import (
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	"sitrep/sources/deploys"
	"sitrep/sources/logs"
	"sitrep/sources/pagerduty"
)

var start = time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)

// evidence is an incident with a little of everything.
func evidence() Evidence {
	return Evidence{
		Incident: pagerduty.Incident{
			ID: "P1", Title: "[FIRING] payment-gateway 5xx rate above 5% (31.2%)",
			Service: pagerduty.Ref{ID: "PSVC1", Name: "payment-gateway"}, Urgency: "high", CreatedAt: start,
		},
		Alerts:       []pagerduty.Alert{{ID: "A1", Summary: "5xx rate 31.2%", Severity: "critical", Source: "prometheus"}},
		AlertDetails: map[string]string{"region": "eu-west-1"},
		Fields:       map[string]string{"tier": "gold"},
		Metrics:      map[string]float64{"5xx rate": 0.312, "p99 latency": 420},
		Logs: []logs.Line{
			{T: start, Level: logs.LevelError, Text: "ERROR pool timeout after 5s"},
			{T: start, Level: logs.LevelError, Text: "ERROR pool timeout after 5s"},
			{T: start, Level: logs.LevelInfo, Text: "GET /healthz 200"},
		},
		Changes: []deploys.Change{
			{ID: "c1", Service: "payment-gateway", Summary: "Deploy payment-gateway v2.14.0 to prod", At: start.Add(-5 * time.Minute)},
			{ID: "c2", Service: "checkout-db", Summary: "work_mem raised", At: start.Add(-2 * time.Hour)},
			{ID: "c3", Service: "payment-gateway", Summary: "Rollback", At: start.Add(time.Minute)},
		},
	}
}

// compileOne builds a rule from one matcher written in YAML.
func compileOne(t *testing.T, src string) (Matcher, error) {
	t.Helper()
	var mc MatchConfig
	if err := yaml.UnmarshalWithOptions([]byte(src), &mc, yaml.Strict()); err != nil {
		return nil, err
	}
	c := compiler{file: "config.yaml"}
	m, ok := c.matcher("triage.rules[0].when[0]", mc)
	if !ok {
		return nil, c.problems[0]
	}
	return m, nil
}

func TestMatchers(t *testing.T) {
	cases := []struct {
		name, src string
		edit      func(*Evidence)
		want      string // the why, or "" for no match
	}{
		{"title regex", `title: {regex: '(?i)5xx'}`, nil, `title mentions "5xx"`},
		{"title regex no match", `title: {regex: 'database'}`, nil, ""},
		{"title any of", `title: {regex: [database, 'rate above']}`, nil, `title mentions "rate above"`},
		{"title glob", `title: {glob: '*payment-gateway*'}`, nil, "matches *payment-gateway*"},
		{"service glob", `service: {glob: payment-*}`, nil, "service payment-gateway matches payment-*"},
		{"service glob is case-insensitive", `service: {glob: PAYMENT-*}`, nil, "service payment-gateway matches PAYMENT-*"},
		{"service by ID", `service: {equals: PSVC1}`, nil, "service is PSVC1"},
		{"service no match", `service: {glob: checkout-*}`, nil, ""},
		{"alert severity", `alert: {name: severity, equals: critical}`, nil, "alert severity is critical"},
		{"alert detail", `alert: {name: region, glob: eu-*}`, nil, "alert region eu-west-1 matches eu-*"},
		{"alert detail missing", `alert: {name: zone, glob: '*'}`, nil, ""},
		{"alert no match", `alert: {name: source, equals: datadog}`, nil, ""},
		{"field equals", `field: {name: tier, equals: gold}`, nil, "field tier is gold"},
		{"field regex", `field: {name: tier, regex: '^g'}`, nil, `field tier mentions "g"`},
		{"field no match", `field: {name: tier, equals: silver}`, nil, ""},
		{"field missing", `field: {name: team, regex: '.*'}`, nil, ""},
		{"metric >", `metric: {query: 5xx rate, op: '>', value: 0.05}`, nil, "5xx rate 0.312 > 0.05"},
		{"metric glob", `metric: {query: ['*error*', '*5XX*'], op: '>=', value: 0.312}`, nil, "5xx rate 0.312 >= 0.312"},
		{"metric > not met", `metric: {query: 5xx rate, op: '>', value: 0.5}`, nil, ""},
		{"metric <", `metric: {query: p99*, op: '<', value: 500}`, nil, "p99 latency 420 < 500"},
		{"metric <= not met", `metric: {query: p99*, op: '<=', value: 419}`, nil, ""},
		{"metric missing", `metric: {query: cpu, op: '>', value: 0}`, nil, ""},
		{"metric without metrics", `metric: {query: '*', op: '>', value: 0}`, func(e *Evidence) { e.Metrics = nil }, ""},
		{"log", `log: {regex: 'pool timeout', min: 2}`, nil, `2 log lines match /pool timeout/, e.g. "ERROR pool timeout after 5s"`},
		{"log one", `log: {regex: healthz}`, nil, `1 log line matches /healthz/`},
		{"log below min", `log: {regex: 'pool timeout', min: 3}`, nil, ""},
		{"log level", `log: {regex: healthz, level: error}`, nil, ""},
		{"change", `change: {within: 10m}`, nil, "Deploy payment-gateway v2.14.0 to prod 5 min before the start"},
		{"change too early", `change: {within: 4m}`, nil, ""},
		{"change of a service", `change: {within: 3h, service: checkout-*}`, nil, "checkout-db: work_mem raised 2 h before the start"},
		{"change summary", `change: {within: 3h, summary: '(?i)deploy'}`, nil, "5 min before the start"},
		{"change summary no match", `change: {within: 3h, summary: '(?i)feature flag'}`, nil, ""},
		{"change after the start is not a cause", `change: {within: 3h, summary: Rollback}`, nil, ""},
		{"change with no start", `change: {within: 3h}`, func(e *Evidence) { e.Incident.CreatedAt = time.Time{} }, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := compileOne(t, tc.src)
			if err != nil {
				t.Fatal(err)
			}
			e := evidence()
			if tc.edit != nil {
				tc.edit(&e)
			}
			why, ok := m.Match(&e)
			if tc.want == "" {
				if ok {
					t.Errorf("matched with %q, want no match", why)
				}
				return
			}
			if !ok {
				t.Fatalf("no match, want %q", tc.want)
			}
			if !strings.Contains(why, tc.want) {
				t.Errorf("why = %q, want it to contain %q", why, tc.want)
			}
		})
	}
}

func TestMatcherBadConfig(t *testing.T) {
	cases := []struct{ name, src, field, want string }{
		{"bad title regex", `title: {regex: '(5xx'}`, "title.regex[0]", "bad regular expression"},
		{"title with nothing", `title: {}`, "title", "give regex, glob or equals"},
		{"empty glob", `service: {glob: ''}`, "service.glob[0]", "empty glob"},
		{"alert without name", `alert: {equals: critical}`, "alert.name", "summary, severity, source"},
		{"field without name", `field: {regex: x}`, "field.name", "custom field's name"},
		{"field bad regex", `field: {name: tier, regex: '[a'}`, "field.regex[0]", "bad regular expression"},
		{"metric bad op", `metric: {query: x, op: '=', value: 1}`, "metric.op", "use one of > >= < <="},
		{"metric no value", `metric: {query: x, op: '>'}`, "metric.value", "missing value"},
		{"metric no query", `metric: {op: '>', value: 1}`, "metric.query", "missing query"},
		{"log no regex", `log: {min: 2}`, "log.regex", "missing regex"},
		{"log bad regex", `log: {regex: '*'}`, "log.regex[0]", "bad regular expression"},
		{"log negative min", `log: {regex: x, min: -1}`, "log.min", "negative"},
		{"log bad level", `log: {regex: x, level: fatal}`, "log.level", "unknown level"},
		{"change no within", `change: {service: x}`, "change.within", "missing within"},
		{"change bad within", `change: {within: soon}`, "change.within", "not a duration"},
		{"change negative within", `change: {within: -5m}`, "change.within", "not a duration"},
		{"change bad summary", `change: {within: 5m, summary: '('}`, "change.summary[0]", "bad regular expression"},
		{"two matchers in one entry", `{title: {regex: x}, service: {glob: y}}`, "", "exactly one of"},
		{"no matcher", `{}`, "", "exactly one of"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := compileOne(t, tc.src)
			if err == nil {
				t.Fatal("compiled, want an error")
			}
			p, ok := err.(Problem)
			if !ok {
				t.Fatalf("error %v is not a Problem", err)
			}
			want := "triage.rules[0].when[0]"
			if tc.field != "" {
				want += "." + tc.field
			}
			if p.Field != want {
				t.Errorf("field = %q, want %q", p.Field, want)
			}
			if !strings.Contains(p.Msg, tc.want) {
				t.Errorf("message %q does not contain %q", p.Msg, tc.want)
			}
		})
	}
}

func TestPatternsAcceptAStringOrAList(t *testing.T) {
	var tc TextConfig
	if err := yaml.Unmarshal([]byte("{regex: a, glob: [b, c]}"), &tc); err != nil {
		t.Fatal(err)
	}
	if len(tc.Regex) != 1 || tc.Regex[0] != "a" || len(tc.Glob) != 2 {
		t.Errorf("decoded %+v", tc)
	}
	if err := yaml.Unmarshal([]byte("{regex: {a: b}}"), &tc); err == nil {
		t.Error("a mapping decoded as patterns")
	}
}

func TestSpan(t *testing.T) {
	for d, want := range map[time.Duration]string{
		40 * time.Second:                 "40 s",
		5*time.Minute + 10*time.Second:   "5 min",
		2 * time.Hour:                    "2 h",
		time.Hour + 20*time.Minute + 1e9: "1 h 20 min",
	} {
		if got := span(d); got != want {
			t.Errorf("span(%s) = %q, want %q", d, got, want)
		}
	}
}

// TestPrefilterNeverRefusesAMatch runs every built-in and test pattern
// over titles and their variations, with and without the prefilter.
func TestPrefilterNeverRefusesAMatch(t *testing.T) {
	srcs := []string{`(?i)5xx`, `database`, `rate above`, `^g`, `pool timeout`, `healthz`, `(?i)deploy`, `a|b+c`, `(?i)x{2,}y`}
	for _, rc := range defaultConfig {
		for _, mc := range rc.When {
			if mc.Title != nil {
				srcs = append(srcs, mc.Title.Regex...)
			}
			if mc.Change != nil {
				srcs = append(srcs, mc.Change.Summary...)
			}
		}
	}
	texts := append([]string{"", "xxy", "XXY", "BCD", "DB down", "K8S \u212a", "Ca\u017fe DNS"}, benchTitles...)
	for _, s := range benchTitles {
		texts = append(texts, strings.ToUpper(s), strings.ToLower(s), s[:len(s)/2], s[len(s)/2:])
	}
	prefiltered := 0
	for _, src := range srcs {
		p, err := compileRegex(src)
		if err != nil {
			t.Fatal(err)
		}
		if p.need != nil {
			prefiltered++
		}
		for _, s := range texts {
			_, got := p.match(s)
			if want := p.re.MatchString(s); got != want {
				t.Errorf("/%s/ on %q: prefiltered %v, regexp %v (literals %q)", src, s, got, want, p.need)
			}
		}
	}
	if prefiltered < len(defaultConfig) {
		t.Errorf("only %d patterns have a prefilter", prefiltered)
	}
}
