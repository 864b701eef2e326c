package tui

import (
	"reflect"
	"strings"
	"testing"
	"unicode"

	tea "charm.land/bubbletea/v2"
)

// o hands only http and https links to the browser; anything else from
// PagerDuty is refused, with the reason on the status line.
func TestOpenOnlyWebLinks(t *testing.T) {
	cases := []struct {
		link   string
		opens  bool
		reason string
	}{
		{"https://acme.pagerduty.com/incidents/Q1", true, ""},
		{"http://pd.internal:8080/incidents/Q1", true, ""},
		{"javascript:alert(document.cookie)", false, `scheme "javascript:" is not http or https`},
		{"JavaScript:alert(1)", false, `scheme "javascript:" is not http or https`},
		{"file:///etc/passwd", false, `scheme "file:" is not http or https`},
		{"data:text/html,<script>alert(1)</script>", false, `scheme "data:" is not http or https`},
		{"ssh://evil.example.com", false, `scheme "ssh:" is not http or https`},
		{"--new-window=file:///etc", false, "not a URL"},
		{"acme.pagerduty.com/incidents/Q1", false, "no scheme"},
		{"https:///etc/passwd", false, "names no host"},
		{"https://acme.pagerduty.com/\x1b]0;pwned\x07", false, "control or invisible characters"},
		{"https://acme.pagerduty.com/\u202egnp.exe", false, "control or invisible characters"},
	}
	for _, c := range cases {
		t.Run(c.link, func(t *testing.T) {
			incidents := fixture(1)
			incidents[0].HTMLURL = c.link
			var opened []string
			m := New(nil, Options{Now: fixedClock, OpenURL: func(u string) error { opened = append(opened, u); return nil }})
			m = step(t, m, tea.WindowSizeMsg{Width: 120, Height: 30})
			m = step(t, m, incidentsLoaded{incidents: incidents, at: t0})
			next, cmd := m.Update(keyMsg("o"))
			m = next.(Model)
			if cmd != nil {
				m = step(t, m, cmd())
			}
			if c.opens {
				if len(opened) != 1 || opened[0] != c.link {
					t.Fatalf("o opened %q, want %q", opened, c.link)
				}
				return
			}
			if len(opened) > 0 {
				t.Fatalf("o handed %q to the browser", opened)
			}
			if !strings.Contains(m.status, "not opening the link of #1000") || !strings.Contains(m.status, c.reason) {
				t.Errorf("status %q does not refuse with %q", m.status, c.reason)
			}
			if strings.ContainsAny(m.status, "\x1b\x07\u202e") {
				t.Errorf("the refusal carries the link's control characters: %q", m.status)
			}
		})
	}
}

// y copies the incident's ID without the escape sequences a hostile
// answer may put in it: the OSC 52 payload is pasted into a terminal later.
func TestCopyIsSanitized(t *testing.T) {
	incidents := fixture(1)
	incidents[0].ID = "Q1\x1b]52;c;ZWNobyBwd25lZA==\x07\x1b[2J\u202eX"
	m := loaded(t, incidents, 100, 30)
	next, cmd := m.Update(keyMsg("y"))
	m = next.(Model)
	if cmd == nil {
		t.Fatal("y copied nothing")
	}
	v := reflect.ValueOf(cmd())
	if v.Kind() != reflect.String {
		t.Fatalf("y's command sent %T, not a clipboard write", cmd())
	}
	payload := v.String()
	if !strings.HasPrefix(payload, "Q1") {
		t.Errorf("the clipboard lost the ID: %q", payload)
	}
	for _, r := range payload {
		if unicode.IsControl(r) || r == '\u202e' {
			t.Fatalf("the clipboard payload carries %U: %q", r, payload)
		}
	}
	if strings.ContainsAny(m.status, "\x1b\x07\u202e") {
		t.Errorf("the status line carries the ID's control characters: %q", m.status)
	}
}
