package deploys

import (
	"encoding/json"
	"testing"
	"unicode/utf8"

	"sitrep/sources/sanitize"
)

// drawable reports whether s is safe to draw on one line: valid UTF-8, no
// control characters, no invisible character but a joiner inside an emoji.
func drawable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || sanitize.Invisible(r) && r != 0x200d {
			return false
		}
	}
	return true
}

func checkDrawable(t *testing.T, input []byte, changes []Change) {
	t.Helper()
	for _, c := range changes {
		for _, s := range []string{c.ID, c.Service, c.Summary, c.URL} {
			if !drawable(s) {
				t.Errorf("input %q gave undrawable field %q", input, s)
			}
		}
	}
}

func FuzzParseChangeLines(f *testing.F) {
	f.Add([]byte(`{"id":"d1","summary":"deploy \u001b]52;c;eA==\u0007x","at":"2026-11-29T01:00:00Z"}` + "\nbad\n"))
	f.Fuzz(func(t *testing.T, out []byte) {
		changes, _ := ParseChangeLines(out, "svc")
		checkDrawable(t, out, changes)
	})
}

func FuzzChangeEventsPage(f *testing.F) {
	f.Add([]byte(relatedBody), "PSVC001")
	f.Add([]byte(`{"change_events":[{"service":{"id":"x"},"links":[{"href":"\u001b[2J"}]}]}`), "x")
	f.Fuzz(func(t *testing.T, body []byte, service string) {
		var page changeEventsPage
		if json.Unmarshal(body, &page) != nil {
			return
		}
		checkDrawable(t, body, page.changes(service))
	})
}
