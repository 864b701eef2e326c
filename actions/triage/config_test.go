package triage

import (
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	"sitrep/sources/deploys"
	"sitrep/sources/pagerduty"
)

// load decodes a config.yaml holding a triage section, as sitrep does, and
// loads it.
func load(t *testing.T, src string) (*Classifier, error) {
	t.Helper()
	var file struct {
		Triage Config `yaml:"triage"`
	}
	if err := yaml.UnmarshalWithOptions([]byte(src), &file, yaml.Strict()); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return Load(file.Triage, "config.yaml", []byte(src))
}

func ruleNames(c *Classifier) []string {
	var out []string
	for _, r := range c.Rules() {
		out = append(out, r.Name)
	}
	return out
}

func TestDefaultsCompileAndCoverTheCommonClasses(t *testing.T) {
	c, err := Load(Config{}, "config.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	classes := map[string]bool{}
	for _, r := range c.Rules() {
		if !r.Default || len(r.Matchers) == 0 {
			t.Errorf("rule %s: default %v, %d matchers", r.Name, r.Default, len(r.Matchers))
		}
		classes[r.Class] = true
	}
	for _, want := range []string{"deploy regression", "database", "network", "capacity", "certificate", "dependency"} {
		if !classes[want] {
			t.Errorf("no built-in rule for class %q", want)
		}
	}
}

func TestDefaultsClassifyTitles(t *testing.T) {
	c, _ := Load(Config{}, "", nil)
	for title, want := range map[string]string{
		"checkout-db connection pool exhausted (200/200 in use)":        "database",
		"Health check failing: edge-proxy eu-west-1 /healthz":           "network",
		"Disk usage 91% on /var/lib/checkout-api (checkout-api-2)":      "capacity",
		"TLS certificate for api.sitrep-demo.example expires in 6 days": "certificate",
		"Stripe webhook signature failures above 2%":                    "dependency",
		"billing-worker queue depth above 1,000 for 10 min":             "capacity",
		"Nightly report finished":                                       "",
		"[FIRING] payment-gateway 5xx rate above 5% (31.2%)":            "",
		"Search indexing lag above 10 min":                              "capacity",
		"\x1b]0;pwned\x07Cron job \x1b[31mnightly-report\x1b[0m failed": "",
	} {
		got := c.Classify(Evidence{Incident: pagerduty.Incident{Title: title, CreatedAt: start}})
		switch {
		case want == "" && len(got) > 0:
			t.Errorf("%q classified %s, want nothing", title, got[0].Why())
		case want != "" && (len(got) == 0 || got[0].Class != want):
			t.Errorf("%q classified %v, want %s first", title, got, want)
		case want != "" && got[0].Confidence != ConfidenceLow:
			t.Errorf("%q: confidence %s from a title alone, want low", title, got[0].Confidence)
		}
	}
}

func TestConfigRuleReplacesADefaultAndAdds(t *testing.T) {
	c, err := load(t, `
triage:
  rules:
    - name: database
      class: datastore
      score: 99
      when:
        - service: {glob: '*-db'}
    - name: payments
      class: payments
      when:
        - service: {equals: payment-gateway}
`)
	if err != nil {
		t.Fatal(err)
	}
	names := ruleNames(c)
	if strings.Count(strings.Join(names, ","), "database") != 1 {
		t.Fatalf("rules %v: want one rule named database", names)
	}
	var db Rule
	for _, r := range c.Rules() {
		if r.Name == "database" {
			db = r
		}
	}
	if db.Default || db.Class != "datastore" || db.Score != 99 {
		t.Errorf("database rule = %+v, want the configured one", db)
	}
	if names[len(names)-1] != "payments" {
		t.Errorf("rules %v: want the configured rules after the defaults", names)
	}
	e := evidence()
	got := c.Classify(e)
	if len(got) == 0 || got[0].Class != "deploy regression" {
		t.Fatalf("classified %v", got)
	}
	if got[len(got)-1].Class != "payments" || got[len(got)-1].Score != DefaultScore {
		t.Errorf("last = %+v, want payments with the default score", got[len(got)-1])
	}
}

func TestDefaultsOff(t *testing.T) {
	c, err := load(t, `
triage:
  defaults: false
  rules:
    - {name: mine, class: mine, when: [{title: {regex: '^never$'}}]}
`)
	if err != nil {
		t.Fatal(err)
	}
	if names := ruleNames(c); len(names) != 1 || names[0] != "mine" {
		t.Errorf("rules = %v, want only mine", names)
	}
	if got := c.Classify(evidence()); len(got) != 0 {
		t.Errorf("classified %v with the defaults off", got)
	}
}

func TestConfigProblemsNameLineColumnFieldAndFix(t *testing.T) {
	src := `triage:
  rules:
    - name: ok
      class: fine
      when:
        - title: {regex: fine}
    - name: broken
      class: broken
      score: 500
      when:
        - metric: {query: 5xx rate, op: '=>', value: 0.05}
        - log: {regex: '(unclosed'}
    - name: ok
      class: again
      when: [{title: {regex: x}}]
    - class: nameless
`
	c, err := load(t, src)
	if err == nil {
		t.Fatal("loaded a broken config")
	}
	ps := Problems(err)
	want := []struct {
		field     string
		line, col int
		msg       string
	}{
		{"triage.rules[1].score", 9, 14, "use 0 to 100"},
		{"triage.rules[1].when[0].metric.op", 11, 41, "use one of > >= < <="},
		{"triage.rules[1].when[1].log.regex[0]", 12, 24, "bad regular expression"},
		{"triage.rules[2].name", 13, 13, "give each rule its own name"},
		{"triage.rules[3].name", 0, 0, "missing name"},
		{"triage.rules[3].when", 0, 0, "no matchers"},
	}
	if len(ps) != len(want) {
		t.Fatalf("problems:\n%v\nwant %d", err, len(want))
	}
	for i, w := range want {
		p := ps[i]
		if p.Field != w.field || !strings.Contains(p.Msg, w.msg) || p.File != "config.yaml" {
			t.Errorf("problem %d = %+v, want %s: …%s…", i, p, w.field, w.msg)
		}
		if w.line > 0 && (p.Line != w.line || p.Column != w.col) {
			t.Errorf("problem %d (%s) at %d:%d, want %d:%d", i, p.Field, p.Line, p.Column, w.line, w.col)
		}
		if w.line == 0 && p.Line == 0 {
			t.Errorf("problem %d (%s) has no line: want the enclosing rule's", i, p.Field)
		}
	}
	if !strings.Contains(err.Error(), "config.yaml:9:14: triage.rules[1].score: score 500 is out of range") {
		t.Errorf("error text:\n%v", err)
	}
	// The good rule still loads, beside the defaults.
	if names := ruleNames(c); !strings.Contains(strings.Join(names, ","), "ok") || strings.Contains(strings.Join(names, ","), "broken") {
		t.Errorf("rules = %v, want ok and not broken", names)
	}
}

func TestRankingByScoreThenName(t *testing.T) {
	c, err := load(t, `
triage:
  defaults: false
  rules:
    - {name: b, class: beta, score: 40, when: [{title: {regex: pay}}]}
    - {name: a, class: alpha, score: 40, when: [{title: {regex: pay}}]}
    - {name: z, class: zeta, score: 80, when: [{title: {regex: pay}}]}
    - {name: z2, class: zeta, score: 90, when: [{title: {regex: pay}}, {metric: {query: '*', op: '>', value: 0}}]}
    - {name: never, class: never, score: 100, when: [{title: {regex: nope}}]}
`)
	if err != nil {
		t.Fatal(err)
	}
	got := c.Classify(evidence())
	var order []string
	for _, g := range got {
		order = append(order, g.Class+"/"+g.Rule)
	}
	if strings.Join(order, " ") != "zeta/z2 alpha/a beta/b" {
		t.Errorf("order = %v, want zeta/z2 alpha/a beta/b", order)
	}
	if got[0].Confidence != ConfidenceMedium {
		t.Errorf("confidence of title+metric = %s, want medium", got[0].Confidence)
	}
}

func TestConfidence(t *testing.T) {
	c, _ := Load(Config{}, "", nil)
	got := c.Classify(evidence())
	if len(got) == 0 || got[0].Rule != "deploy-regression" || got[0].Confidence != ConfidenceHigh {
		t.Fatalf("classified %+v, want deploy-regression with high confidence (a change and a metric)", got)
	}
}

func TestWhyIsSanitized(t *testing.T) {
	c, _ := Load(Config{}, "", nil)
	e := Evidence{
		Incident: pagerduty.Incident{Title: "\x1b[2Jdatabase \x1b]52;c;cm0=\x07down", CreatedAt: start},
		Changes:  []deploys.Change{{Service: "api\x1b[31m", Summary: "deploy \x1b]0;pwned\x07v1.2\u202e", At: start.Add(-time.Minute)}},
	}
	e.Incident.Title = "errors after \x1b[2Jdeploy"
	for _, cl := range c.Classify(e) {
		why := cl.Why()
		if strings.ContainsAny(why, "\x1b\x07\u202e") {
			t.Errorf("why %q carries control characters", why)
		}
	}
	got := c.Classify(e)
	if len(got) == 0 || !strings.Contains(got[0].Why(), "⟨U+202E⟩") {
		t.Errorf("classified %v, want the bidi override shown as a marker", got)
	}
}

func TestWhyNamesTheRule(t *testing.T) {
	cl := Classification{Class: "database", Rule: "db-pool", Evidence: []string{"a", "b"}}
	if got := cl.Why(); got != "database: a; b (rule db-pool)" {
		t.Errorf("why = %q", got)
	}
	cl.Rule = "database"
	if got := cl.Why(); got != "database: a; b" {
		t.Errorf("why = %q", got)
	}
}

func TestCacheKeepsAnAnswerPerVersion(t *testing.T) {
	c, _ := Load(Config{}, "", nil)
	k := NewCache(c, 2)
	calls := 0
	ev := func() Evidence { calls++; return evidence() }
	first := k.Get("P1", "v1", ev)
	again := k.Get("P1", "v1", ev)
	if calls != 1 || len(first) == 0 || len(again) != len(first) {
		t.Fatalf("calls = %d, first %v, again %v", calls, first, again)
	}
	k.Get("P1", "v2", ev)
	if calls != 2 {
		t.Errorf("a new version did not classify again (calls = %d)", calls)
	}
	if _, ok := k.Peek("P1", "v1"); ok {
		t.Error("the old version is still served")
	}
	k.Get("P2", "v1", ev)
	k.Get("P3", "v1", ev)
	if k.Len() > 2 {
		t.Errorf("cache holds %d, bound 2", k.Len())
	}
}

func TestCheckFindsAMetricNoQueryHas(t *testing.T) {
	c, err := load(t, `
triage:
  rules:
    - {name: pool, class: database, when: [{metric: {query: conns*, op: '>', value: 190}}]}
    - {name: errs, class: errors, when: [{metric: {query: '*5xx*', op: '>', value: 0.05}}]}
`)
	if err != nil {
		t.Fatal(err)
	}
	got := c.Check([]string{"5xx rate", "p99 latency"})
	if len(got) != 1 || !strings.Contains(got[0], "rule pool") || !strings.Contains(got[0], "conns*") {
		t.Errorf("check = %q, want one warning about pool", got)
	}
	if s := c.Summary(); !strings.Contains(s, "9 rules (7 built-in, 2 configured)") || !strings.Contains(s, "errors") {
		t.Errorf("summary = %q", s)
	}
}

// FuzzLoad feeds any triage section to Load: it may refuse it, never
// panic, and whatever it loads classifies without panicking.
func FuzzLoad(f *testing.F) {
	f.Add("triage: {rules: [{name: a, class: b, when: [{title: {regex: x}}]}]}")
	f.Add("triage: {defaults: false, rules: [{name: a, class: b, when: [{change: {within: 5m, service: '*'}}, {log: {regex: '(?i)x', min: 2}}]}]}")
	f.Add("triage: {rules: [{name: a, class: b, when: [{metric: {query: ['*'], op: '<=', value: 1e308}}]}]}")
	f.Fuzz(func(t *testing.T, src string) {
		var file struct {
			Triage Config `yaml:"triage"`
		}
		if err := yaml.UnmarshalWithOptions([]byte(src), &file, yaml.Strict()); err != nil {
			return
		}
		c, _ := Load(file.Triage, "config.yaml", []byte(src))
		c.Classify(evidence())
	})
}
