package actions

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// The fuzz targets' seeds run with every go test; `make fuzz` explores
// further. Each asserts what the parser or renderer promises, not only
// that it did not panic.

// checkProblems asserts every problem names the file it came from and a
// line inside it: a problem is only useful if it says where to look.
func checkProblems(t *testing.T, src string, probs []Problem, file string) {
	t.Helper()
	lines := strings.Count(src, "\n") + 1
	for _, p := range probs {
		if p.Msg == "" {
			t.Errorf("problem without a message: %+v", p)
		}
		if p.File != file {
			t.Errorf("problem %q names file %q, want %q", p, p.File, file)
		}
		if p.Line < 0 || p.Line > lines+1 {
			t.Errorf("problem %q names line %d of a %d-line file", p, p.Line, lines)
		}
	}
}

func FuzzParseRunbook(f *testing.F) {
	for _, s := range []string{
		"", "---\n", "---\ntitle: [\n---\n", "```sh {name=x risk=low}\necho\n```", "```{", "```sh {}\n", "```sh {a=\"b}\n```",
		"- [ ] x\n```sh {use=}\n```", "```sh {name=a param.x=[ from.x=zz}\necho {{.x}}\n```", "~~~ {name=x}\n{{\n~~~",
		"---\ntitle: Restart\nservices: [payment-gateway]\n---\n# Restart\n- [ ] check the dashboard\n- [x] page the owner\n" +
			"```sh {name=restart risk=medium param.service=[a-z-]+ from.service=service}\necho restarting {{.service}}\n```\n",
		"\r\n```sh {name=x}\r\necho\r\n```\r\n", "- [ ] \x1b]52;c;eA==\x07 step\n",
		"```sh {use}\n```", "```sh {.use name=x}\n```",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		rb, probs := ParseRunbook("fuzz.md", src)
		if rb == nil {
			t.Fatal("nil runbook")
		}
		checkProblems(t, src, probs, "fuzz.md")
		lines := strings.Count(src, "\n") + 1
		last := 0
		for _, b := range rb.Blocks {
			if b.Line < 1 || b.Line > lines || b.Line < last {
				t.Errorf("block %v at line %d (previous at %d) in a %d-line file", b.Kind, b.Line, last, lines)
			}
			last = b.Line
			// An action block holds its action, or refers to one (use=),
			// or was reported as a problem.
			if b.Kind == BlockAction && b.Action == nil && len(probs) == 0 && !usesCatalogueAction(b) {
				t.Errorf("action block at line %d has no action and no problem was reported", b.Line)
			}
			if b.Action != nil && b.Action.Name == "" {
				t.Errorf("action block at line %d holds an action without a name", b.Line)
			}
		}
		rb2, probs2 := ParseRunbook("fuzz.md", src)
		if len(rb2.Blocks) != len(rb.Blocks) || !reflect.DeepEqual(probs2, probs) {
			t.Errorf("two parses of the same runbook differ")
		}
	})
}

// usesCatalogueAction reports whether an action block refers to a
// catalogue action (use=NAME, or the bare flag use): ParseRunbook alone
// cannot resolve that, the catalogue's load does.
func usesCatalogueAction(b Block) bool {
	first, _, _ := strings.Cut(b.Text, "\n")
	m := fenceOpen.FindStringSubmatch(first)
	if m == nil {
		return false
	}
	_, attrs, _, _ := parseFenceInfo(m[2])
	return attrs["use"] != ""
}

func FuzzLoadYAML(f *testing.F) {
	for _, s := range []string{
		"", "actions: 3", "actions: [1, {name: x}]", "include: [a, b]\nactions:\n- {}", "guards: {prod: {windows: [{from: '25:00'}]}}",
		"guards: {'*': {require_dry_run: true, max_hosts: 0}}\nactions:\n- {name: x, explain: y, risk: low, runner: exec, exec: {argv: [echo]}, changes: nothing}",
		"actions:\n- name: x\n  params: {p: {pattern: '('}}\n  runner: http\n  http: {url: '{{.q}}'}",
		"actions:\n- name: x\n  runner: pagerduty\n  pagerduty: {op: merge}\n  params: []",
		"actions:\n- name: x\n  explain: y\n  risk: low\n  runner: exec\n  exec: {argv: [echo, '{{.v}}']}\n  params: {v: {pattern: '-?[a-z]+', allow_leading_dash: true}}",
		"actions:\n- &a {name: x}\n- *a\n", "actions: !!binary aGk=",
	} {
		f.Add(s)
	}
	dir := f.TempDir()
	p := filepath.Join(dir, "actions.yaml")
	f.Fuzz(func(t *testing.T, src string) {
		if err := os.WriteFile(p, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		c, probs := Load(p)
		if c == nil {
			t.Fatal("nil catalogue")
		}
		checkProblems(t, src, probs, p)
		// What only the check reports (an action its guards never allow)
		// names the file too, at a line in it.
		checkProblems(t, src, c.Unrunnable(), p)
		for _, a := range c.Actions() {
			if a.Name == "" {
				t.Errorf("an action without a name loaded")
			}
			if got, ok := c.Lookup(a.Name); !ok || got != a {
				t.Errorf("action %q is listed but not found by name", a.Name)
			}
			for _, prm := range a.Params {
				// A loaded parameter has a compiled pattern: Match on it
				// must not panic, and its own default must pass it.
				_ = prm.Match("")
				if prm.HasDef && !prm.Match(prm.Default) && len(probs) == 0 {
					t.Errorf("action %s: default %q of %s fails its pattern %q and no problem was reported", a.Name, prm.Default, prm.Name, prm.Pattern)
				}
			}
		}
		// The YAML library names one of several unknown fields of a
		// mapping, not always the same one; how many problems there are
		// does not change.
		if _, probs2 := Load(p); len(probs2) != len(probs) {
			t.Errorf("two loads of the same file report different problems:\n%v\n%v", probs, probs2)
		}
	})
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"", ":", "runbook", "runbook restart_service --", "run echo_any --v='x", `runbook a --b="c`, "--=", "runbook restart_service --env"} {
		f.Add(s)
	}
	c, _ := Load(filepath.Join(tdata, "plan"))
	f.Fuzz(func(t *testing.T, line string) {
		if cmd, err := ParseCommand(line, c); err == nil {
			a, ok := c.Lookup(cmd.Action)
			if !ok {
				t.Fatalf("%q parsed to unknown action %q", line, cmd.Action)
			}
			for k := range cmd.Params {
				if p, ok := a.Param(k); !ok || p.From == FromCaller {
					t.Fatalf("%q sets %s, which the engineer may not set on %s", line, k, a.Name)
				}
			}
		}
		// A candidate is a verb, an action or a parameter to add.
		for _, cand := range Complete(line, c) {
			name := strings.TrimSuffix(strings.TrimPrefix(cand, "--"), "=")
			_, isAction := c.Lookup(cand)
			isParam := strings.HasPrefix(cand, "--") && strings.HasSuffix(cand, "=")
			if !contains(CommandVerbs, cand) && !isAction && !(isParam && name != "") {
				t.Fatalf("completing %q offered %q", line, cand)
			}
		}
		_, _ = splitCommand(line)
	})
}

// renderCatalogue has one action per way a value is rendered: argv
// elements, and an http request's path, header and JSON body.
const renderCatalogue = `actions:
  - name: echo_value
    explain: Echoes a value; each template must stay exactly one argv element.
    params:
      v: {pattern: '[^\x00]{0,300}', allow_leading_dash: true}
      w: {pattern: '[a-z0-9-]{1,40}'}
    runner: exec
    exec: {argv: [echo, "v={{.v}}", "{{.v}}", "{{.w}}"]}
    risk: low
    guards: {confirm: none}
    announce: {pagerduty: false}
  - name: post_value
    explain: Posts a value; the host and base path are fixed by the catalogue.
    params:
      v: {pattern: '[^\x00]{0,300}'}
    runner: http
    http:
      method: post
      url: "http://127.0.0.1:9/api/{{.v}}"
      headers: {Content-Type: application/json, X-Value: "{{.v}}"}
      body: '{"v": "{{.v}}"}'
      json: true
    risk: low
    guards: {confirm: none}
    announce: {pagerduty: false}
`

// FuzzRender prepares actions with arbitrary parameter values: a value is
// used only if its pattern admits it, becomes exactly the argv element,
// header or JSON string it was written into, and never moves an http
// request off the catalogue's host and base path.
func FuzzRender(f *testing.F) {
	for _, s := range [][2]string{
		{"plain", "web-1"}, {"", "a"}, {"--all", "-x"}, {"a b\tc", "ok"}, {"$(id); rm -rf /", "x"}, {"\"}, \"x\": \"", "x"},
		{"../../admin", "x"}, {"%2e%2e", "x"}, {"a/b?c#d", "x"}, {"x\r\nX-Evil: 1", "x"}, {"@evil.example", "x"},
		{"\u202egnp.exe", "x"}, {"\xff\xfe", "x"}, {"{{.w}}", "x"}, {strings.Repeat("é", 301), "x"},
	} {
		f.Add(s[0], s[1])
	}
	dir := f.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "actions.yaml"), []byte(renderCatalogue), 0o600); err != nil {
		f.Fatal(err)
	}
	c, probs := Load(dir)
	if len(probs) > 0 {
		f.Fatalf("fuzz catalogue: %v", probs)
	}
	w := regexp.MustCompile(`^(?:[a-z0-9-]{1,40})$`)
	target := Target{IncidentID: "PFUZZ1", IncidentNumber: 7, Service: "svc", Env: "staging", Status: "triggered"}
	f.Fuzz(func(t *testing.T, v, wv string) {
		e := &Engine{Catalogue: c, LookupEnv: func(string) (string, bool) { return "", false }, User: "fuzz"}
		ctx := context.Background()
		vOK := !strings.Contains(v, "\x00") && utf8.RuneCountInString(v) <= 300

		if p, err := e.Prepare(ctx, "echo_value", map[string]string{"v": v, "w": wv}, target); err == nil {
			if !vOK || !w.MatchString(wv) || strings.HasPrefix(wv, "-") {
				t.Fatalf("echo_value accepted v=%q w=%q", v, wv)
			}
			argv := p.runner.(*ExecRunner).Argv
			if want := []string{"echo", "v=" + v, v, wv}; !reflect.DeepEqual(argv, want) {
				t.Fatalf("argv = %q, want %q", argv, want)
			}
		}

		p, err := e.Prepare(ctx, "post_value", map[string]string{"v": v}, target)
		if err != nil {
			return
		}
		if !vOK || strings.HasPrefix(v, "-") {
			t.Fatalf("post_value accepted v=%q", v)
		}
		req := p.runner.(*HTTPRunner).Request
		u, err := url.Parse(req.URL)
		if err != nil {
			t.Fatalf("rendered URL %q does not parse: %v", req.URL, err)
		}
		if u.Scheme != "http" || u.Host != "127.0.0.1:9" || u.User != nil {
			t.Fatalf("v=%q moved the request to %q", v, req.URL)
		}
		segs := strings.Split(u.EscapedPath(), "/")
		if len(segs) < 2 || segs[0] != "" || segs[1] != "api" {
			t.Fatalf("v=%q moved the request off /api: %q", v, req.URL)
		}
		for _, s := range segs[2:] {
			if d, err := url.PathUnescape(s); err == nil && (d == "." || d == "..") {
				t.Fatalf("v=%q gave a dot segment in %q", v, req.URL)
			}
		}
		if got := req.Headers["X-Value"]; got != v || strings.ContainsAny(got, "\r\n") {
			t.Fatalf("header X-Value = %q for v=%q", got, v)
		}
		var body struct{ V string }
		if err := json.Unmarshal([]byte(req.Body), &body); err != nil {
			t.Fatalf("body %q is not JSON: %v", req.Body, err)
		}
		if utf8.ValidString(v) && body.V != v {
			t.Fatalf("body carries %q, want %q", body.V, v)
		}
	})
}
