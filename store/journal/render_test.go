package journal

import (
	"encoding/json"
	"strings"
	"testing"
)

// RenderData reads an entry's data as people do: keys in the order
// written, argv on one line, output as a block, nothing from outside
// reaching the terminal as a control sequence.
func TestRenderData(t *testing.T) {
	for _, c := range []struct {
		name, data string
		want       []string
	}{
		{"action", `{"command":["sitrep","demo-ctl","restart"],"output":"stopping\npods ready: 3/3\n","exit_code":0}`,
			[]string{"  command: [sitrep, demo-ctl, restart]\n", "  output: |\n    stopping\n    pods ready: 3/3\n", "  exit_code: 0\n"}},
		{"effect", `{"effect":[{"name":"5xx rate","before":0.31,"after":0.05}]}`,
			[]string{"  effect:\n    - name: 5xx rate\n      before: 0.31\n      after: 0.05\n"}},
		{"order and empties", `{"z":"","a":{},"m":[]}`, []string{"  z: \"\"\n  a: {}\n  m: []\n"}},
		{"numbers as written", `{"n":2630,"f":1e-7}`, []string{"  n: 2630\n  f: 1e-7\n"}},
		{"not an object", `[1,2]`, []string{"  data: [1, 2]\n"}},
		{"not JSON", `{"a":`, []string{"  data (not valid JSON): {\"a\":\n"}},
		{"hostile", `{"k\u001b[2J":"a\u001b]0;x\u0007b\nc\u001b[31md"}`, []string{"  k"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := RenderData(json.RawMessage(c.data), "  ")
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("RenderData(%s) lacks %q:\n%s", c.data, w, got)
				}
			}
			if strings.ContainsAny(got, "\x1b\x07") {
				t.Errorf("RenderData(%s) passed a control character: %q", c.data, got)
			}
		})
	}
}
