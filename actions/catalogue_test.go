package actions

import (
	"path/filepath"
	"strings"
	"testing"
)

const tdata = "testdata/catalogues"

func TestLoadGoodCatalogue(t *testing.T) {
	c, probs := Load(filepath.Join(tdata, "good"))
	for _, p := range probs {
		t.Errorf("unexpected problem: %s", p)
	}
	var defined []string
	for _, n := range c.Names() {
		if a, _ := c.Lookup(n); !a.BuiltIn {
			defined = append(defined, n)
		}
	}
	if names := strings.Join(defined, ","); names != "echo_args,page_more,pool_stats" {
		t.Fatalf("names = %s", names)
	}
	tests := []struct {
		service, env string
		want         string
	}{
		{"orders", "prod", "page_more,echo_args,pool_stats"},
		{"payments", "staging", "echo_args,pool_stats"},
		{"search", "staging", "echo_args"},
	}
	for _, tt := range tests {
		var got []string
		for _, a := range c.For(tt.service, tt.env) {
			if !a.BuiltIn {
				got = append(got, a.Name)
			}
		}
		if g := strings.Join(got, ","); g != tt.want {
			t.Errorf("For(%s, %s) = %s, want %s", tt.service, tt.env, g, tt.want)
		}
	}
	if _, ok := c.Lookup("nope"); ok {
		t.Error("Lookup(nope) found something")
	}
	if g := c.Guards(mustLookup(t, c, "echo_args"), "prod"); g.Confirm != ConfirmTyped {
		t.Errorf("prod guards confirm = %q, want typed", g.Confirm)
	}
}

func mustLookup(t *testing.T, c *Catalogue, name string) *Action {
	t.Helper()
	a, ok := c.Lookup(name)
	if !ok {
		t.Fatalf("action %s not in catalogue", name)
	}
	return a
}

func TestRunbookParsed(t *testing.T) {
	c, probs := Load(filepath.Join(tdata, "good"))
	if len(probs) > 0 {
		t.Fatalf("problems: %v", probs)
	}
	rbs := c.Runbooks()
	if len(rbs) != 1 {
		t.Fatalf("runbooks = %d", len(rbs))
	}
	rb := rbs[0]
	if rb.Title != "Database pool exhausted" || strings.Join(rb.Services, ",") != "orders,pay*" {
		t.Errorf("front matter: title %q services %v", rb.Title, rb.Services)
	}
	var kinds []string
	for _, b := range rb.Blocks {
		kinds = append(kinds, b.Kind.String())
	}
	if got := strings.Join(kinds, ","); got != "prose,step,step,prose,action,prose,action" {
		t.Errorf("block kinds = %s", got)
	}
	steps := rb.Steps()
	if len(steps) != 2 || steps[0].Text != "look at the pool graph" || steps[0].Checked || !steps[1].Checked {
		t.Errorf("steps = %+v", steps)
	}
	if steps[0].Line != 9 {
		t.Errorf("first step line = %d, want 9", steps[0].Line)
	}
	a := mustLookup(t, c, "pool_stats")
	if a.Explain != "Prints the pool stats; read only." {
		t.Errorf("explain = %q", a.Explain)
	}
	if got := strings.Join(a.Exec.Argv, "|"); got != "echo|stats|--service={{.service}}|--limit={{.limit}}|two words" {
		t.Errorf("argv = %s", got)
	}
	if p, ok := a.Param("service"); !ok || p.From != FromService {
		t.Errorf("implicit service param = %+v", p)
	}
	if last := rb.Blocks[len(rb.Blocks)-1]; last.Action == nil || last.Action.Name != "echo_args" {
		t.Errorf("use=echo_args block not resolved: %+v", last)
	}
	if !strings.Contains(rb.Blocks[5].Text, "plain code is prose") {
		t.Errorf("fence without attributes should stay prose: %q", rb.Blocks[5].Text)
	}
}

func TestCheckProblems(t *testing.T) {
	tests := []struct {
		file    string
		line    int
		col     int // 0: not checked
		contain string
	}{
		{"syntax.yaml", 3, 0, ""},
		{"missing_explain.yaml", 2, 0, "missing explain"},
		{"bad_regexp.yaml", 5, 0, "bad pattern"},
		{"unknown_runner.yaml", 4, 13, `unknown runner "telnet"`},
		{"undefined_param.yaml", 7, 0, `undefined parameter "servce" (did you mean "service"?)`},
		{"duplicate.yaml", 7, 0, "duplicate name: already defined at"},
		{"unknown_risk.yaml", 6, 11, `unknown risk "extreme"`},
		{"unknown_field.yaml", 7, 0, "timeoutt"},
		{"no_pattern.yaml", 5, 0, "has no pattern"},
		{"bad_default.yaml", 5, 0, `default "abc" does not match`},
		{"bad_guard.yaml", 8, 0, `unknown confirm "maybe"`},
		{"bad_include.yaml", 1, 0, "does-not-exist.yaml"},
		{"bad_extra_var.yaml", 6, 0, `extra_vars: name "a-b" must be an identifier`},
		{"shell_runbook.md", 4, 1, `shell syntax "|" is not supported`},
		{"shell_runbook.md", 7, 1, "missing explain"},
		{"use_unknown.md", 3, 1, `runbook uses an action that is not defined`},
		{"http_url.yaml", 8, 0, `http.url: a value may not stand in the URL's host or port`},
		{"http_url.yaml", 17, 0, `http.url: its path has a ".." segment`},
		{"dash_runbook.md", 7, 48, `allow_leading_dash.n="yes": want true or false`},
		{"dash_default.yaml", 5, 0, `default "-1" begins with "-", which is refused when the action runs: if such values are meant, add allow_leading_dash: true`},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.contain, func(t *testing.T) {
			probs := Check(filepath.Join(tdata, "bad", tt.file))
			var found bool
			for _, p := range probs {
				if p.Line == tt.line && strings.Contains(p.Msg, tt.contain) && (tt.col == 0 || p.Column == tt.col) {
					found = true
					if !strings.HasSuffix(p.File, tt.file) {
						t.Errorf("problem names file %q", p.File)
					}
				}
			}
			if !found {
				t.Errorf("no problem at line %d containing %q; got %v", tt.line, tt.contain, probs)
			}
		})
	}
}

func TestSplitCommand(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr string
	}{
		{`a b  c`, "a|b|c", ""},
		{`a 'b c' "d e"`, "a|b c|d e", ""},
		{"a \\\n b", "a|b", ""},
		{`a --x={{ .y }}`, "a|--x={{ .y }}", ""},
		{`a; rm -rf /`, "", "shell syntax"},
		{`a $(id)`, "", "shell syntax"},
		{"a `id`", "", "shell syntax"},
		{`a "$HOME"`, "", "shell expansion"},
		{`a > /tmp/x`, "", "shell syntax"},
		{`a 'unclosed`, "", "unclosed"},
	}
	for _, tt := range tests {
		got, err := splitCommand(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("splitCommand(%q) err = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || strings.Join(got, "|") != tt.want {
			t.Errorf("splitCommand(%q) = %q, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}
