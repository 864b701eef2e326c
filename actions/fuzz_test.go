package actions

import (
	"os"
	"path/filepath"
	"testing"
)

// The fuzz targets' seeds run with every go test; `go test -fuzz` explores
// further. Each asserts only that bad input is reported, never a panic.

func FuzzParseRunbook(f *testing.F) {
	for _, s := range []string{
		"", "---\n", "---\ntitle: [\n---\n", "```sh {name=x risk=low}\necho\n```", "```{", "```sh {}\n", "```sh {a=\"b}\n```",
		"- [ ] x\n```sh {use=}\n```", "```sh {name=a param.x=[ from.x=zz}\necho {{.x}}\n```", "~~~ {name=x}\n{{\n~~~",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		rb, _ := ParseRunbook("fuzz.md", src)
		if rb == nil {
			t.Fatal("nil runbook")
		}
	})
}

func FuzzLoadYAML(f *testing.F) {
	for _, s := range []string{
		"", "actions: 3", "actions: [1, {name: x}]", "include: [a, b]\nactions:\n- {}", "guards: {prod: {windows: [{from: '25:00'}]}}",
		"actions:\n- name: x\n  params: {p: {pattern: '('}}\n  runner: http\n  http: {url: '{{.q}}'}",
		"actions:\n- name: x\n  runner: pagerduty\n  pagerduty: {op: merge}\n  params: []",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		p := filepath.Join(t.TempDir(), "actions.yaml")
		if err := os.WriteFile(p, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		c, _ := Load(p)
		if c == nil {
			t.Fatal("nil catalogue")
		}
	})
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"", ":", "runbook", "runbook restart_service --", "run echo_any --v='x", `runbook a --b="c`, "--=", "runbook restart_service --env"} {
		f.Add(s)
	}
	c, _ := Load(filepath.Join(tdata, "plan"))
	f.Fuzz(func(t *testing.T, line string) {
		_, _ = ParseCommand(line, c)
		_ = Complete(line, c)
		_, _ = splitCommand(line)
	})
}
