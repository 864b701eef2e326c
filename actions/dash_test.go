package actions

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestAdmitsLeadingDash(t *testing.T) {
	tests := []struct {
		pattern string
		want    bool
	}{
		{`[a-z0-9-]{1,20}`, true},
		{`[a-z0-9][a-z0-9-]*`, false},
		{`-?[0-9]+`, true},
		{`[0-9]+`, false},
		{`.*`, true},
		{`[^a-z]+`, true},
		{`(?i)x|-`, true},
		{`(a|b)?-x`, true},
		{`a*[0-9]`, false},
		{`\-all`, true},
		{`staging|prod`, false},
		{`[A-Za-z0-9 ._:-]{1,80}`, true},
		{`[A-Za-z0-9][A-Za-z0-9 ._:-]{0,79}`, false},
		{`(/[A-Za-z0-9_+-][A-Za-z0-9._+-]*)+`, false},
		{`^-x`, true},
		{`\b[a-z]`, false},
		{`[[:punct:]]`, true},
		{`\PL`, true},
		{`x{0}-`, true},
	}
	for _, tt := range tests {
		if got := admitsLeadingDash(tt.pattern); got != tt.want {
			t.Errorf("admitsLeadingDash(%q) = %v, want %v", tt.pattern, got, tt.want)
		}
		// The walk must agree with the regexp wherever it says no.
		if !tt.want {
			re, err := compileAnchored(tt.pattern)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range []string{"-", "-a", "-all", "--all", "-1", "-x", "-/x"} {
				if re.MatchString(v) {
					t.Errorf("pattern %q said to admit no leading dash matches %q", tt.pattern, v)
				}
			}
		}
	}
}

// Every door to an action (the TUI's preview, `sitrep run`, command mode)
// goes through Engine.Prepare: a value beginning with "-" stops there.
func TestLeadingDashRefused(t *testing.T) {
	tests := []struct {
		name   string
		action string
		given  map[string]string
		target Target
		param  string
		source string
	}{
		{"given", "echo_any", map[string]string{"v": "--all"}, stagingIncident, "v", "given"},
		{"single dash", "echo_any", map[string]string{"v": "-rf"}, stagingIncident, "v", "given"},
		{"from the incident", "restart_service", nil, Target{IncidentID: "P1", Service: "--all", Env: "staging", Status: "triggered"}, "service", "from the incident's service"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, rec, _ := testEngine(t, nil)
			p, err := e.Prepare(context.Background(), tt.action, tt.given, tt.target)
			if err == nil {
				res, _ := p.Run(context.Background(), nil)
				t.Fatalf("a leading dash was accepted and ran: %+v", res)
			}
			var pe *ParamError
			if !errors.As(err, &pe) || !pe.LeadingDash || pe.Param != tt.param {
				t.Fatalf("err = %v, want a leading-dash ParamError for %s", err, tt.param)
			}
			msg := err.Error()
			for _, want := range []string{"refused parameter " + tt.param + "=", tt.source, `a leading "-" would be read as an option`, "allow_leading_dash: true"} {
				if !strings.Contains(msg, want) {
					t.Errorf("message lacks %q: %s", want, msg)
				}
			}
			if rec.steps() != "blocked" {
				t.Errorf("records = %s, want blocked", rec.steps())
			}
		})
	}
}

func TestLeadingDashThroughCommandMode(t *testing.T) {
	e, _, _ := testEngine(t, nil)
	cmd, err := ParseCommand(":runbook echo_any --v=--all", e.Catalogue)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Prepare(context.Background(), cmd.Action, cmd.Params, stagingIncident)
	var pe *ParamError
	if !errors.As(err, &pe) || !pe.LeadingDash {
		t.Fatalf("command mode: err = %v, want a leading-dash refusal", err)
	}
}

func TestLeadingDashAllowedWhenDeclared(t *testing.T) {
	e, _, _ := testEngine(t, nil)
	dash, probs := Load(filepath.Join(tdata, "dash"))
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	e.Catalogue = dash
	given := map[string]string{"offset": "-15", "word": "x"}
	p, err := e.Prepare(context.Background(), "shift", given, stagingIncident)
	if err != nil {
		t.Fatalf("an allowed leading dash was refused: %v", err)
	}
	res, err := p.Run(context.Background(), nil)
	if err != nil || !res.OK || res.Output != "-15 x\n" {
		t.Fatalf("run = %+v, %v; want -15 echoed", res, err)
	}
	// The opt-in is per parameter: one without it still refuses a dash.
	var pe *ParamError
	if _, err := e.Prepare(context.Background(), "tag", map[string]string{"label": "-x"}, stagingIncident); !errors.As(err, &pe) || !pe.LeadingDash || pe.Param != "label" {
		t.Errorf("label=-x: err = %v, want a leading-dash refusal", err)
	}
	// A dash inside a value is not at its start.
	e.Catalogue = loadPlanFixture(t)
	if _, err := e.Prepare(context.Background(), "echo_any", map[string]string{"v": "a-b --all"}, stagingIncident); err != nil {
		t.Errorf("a dash inside a value was refused: %v", err)
	}
}

func TestCheckWarnsLeadingDash(t *testing.T) {
	dir := filepath.Join(tdata, "dash")
	cat, probs := Load(dir)
	if len(probs) > 0 {
		t.Fatalf("warnings became problems: %v", probs)
	}
	if _, ok := cat.Lookup("tag"); !ok {
		t.Error("an action with a warning was left out of the catalogue")
	}
	warns := cat.Warnings()
	want := []struct {
		file      string
		line, col int
		contain   []string
	}{
		{"actions.yaml", 7, 24, []string{"action tag: parameter label", `"[a-z0-9-]{1,20}" admits a value that begins with "-"`, "allow_leading_dash: true"}},
		{filepath.Join("runbooks", "dash.md"), 8, 0, []string{"action say: parameter word", "allow_leading_dash.word=true"}},
	}
	if len(warns) != len(want) {
		t.Fatalf("got %d warnings, want %d: %v", len(warns), len(want), warns)
	}
	for i, w := range want {
		got := warns[i]
		if got.File != filepath.Join(dir, w.file) || got.Line != w.line || (w.col != 0 && got.Column != w.col) {
			t.Errorf("warning %d at %s, want %s:%d:%d", i, got.Pos, w.file, w.line, w.col)
		}
		for _, c := range w.contain {
			if !strings.Contains(got.String(), c) {
				t.Errorf("warning %d lacks %q: %s", i, c, got)
			}
		}
	}
}

func TestDemoCatalogueHasNoLeadingDashWarnings(t *testing.T) {
	cat, probs := Load(filepath.Join("..", "sources", "demo", "catalogue", "catalogue"))
	if len(probs) > 0 || len(cat.Warnings()) > 0 {
		t.Errorf("demo catalogue: problems %v, warnings %v", probs, cat.Warnings())
	}
}

// admitsLeadingDash may say yes too often, never no wrongly: where it says
// no, no value beginning with "-" matches the pattern.
func FuzzAdmitsLeadingDash(f *testing.F) {
	for _, s := range [][2]string{
		{`[a-z0-9-]{1,20}`, "all"}, {`[a-z][a-z0-9-]*`, "-x"}, {`(?i)[a-z]+`, "x"}, {`\b-x`, "x"},
		{`(|a)-`, ""}, {`x*-?y`, "y"}, {`[^a-z]`, ""}, {`(?s).`, ""}, {`a{0}-`, ""}, {`$-`, ""},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, rest string) {
		if len(pattern) > 200 {
			return // catalogue patterns are short; long ones only cost time
		}
		re, err := compileAnchored(pattern)
		if err != nil || admitsLeadingDash(pattern) {
			return
		}
		if v := "-" + rest; re.MatchString(v) {
			t.Fatalf("pattern %q said to admit no leading dash matches %q", pattern, v)
		}
	})
}
