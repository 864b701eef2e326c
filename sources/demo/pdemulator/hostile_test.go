package pdemulator

import (
	"bytes"
	"testing"

	"github.com/PagerDuty/go-pagerduty"
)

// The emulator stores and serves hostile text faithfully, JSON-escaped:
// stripping control sequences is the client's job, and its tests need the
// real thing to strip.
func TestHostileStringsRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		text string
	}{
		{"SGR colour", "\x1b[31mDISK FULL\x1b[0m"},
		{"OSC 52 clipboard write", "ok \x1b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\x07 done"},
		{"cursor movement and clear", "\x1b[2J\x1b[H\x1b[10A fake prompt $ "},
		{"C1 and NUL", "a\u009b31mb\x00c"},
		{"bidi override", "\u202egnp.exe"},
		{"HTML", "<script>alert(1)</script> & \"quotes\""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, Options{})
			res := f.trigger(t, TriggerOptions{Title: tc.text, Alert: AlertDetails{Details: map[string]any{"msg": tc.text}}})
			if _, err := f.srv.AddNote(res.IncidentID, f.alice, tc.text); err != nil {
				t.Fatal(err)
			}
			in, err := f.client.GetIncidentWithContext(ctx(t), res.IncidentID)
			if err != nil {
				t.Fatal(err)
			}
			if in.Title != tc.text {
				t.Errorf("title = %q, want %q", in.Title, tc.text)
			}
			notes, err := f.client.ListIncidentNotesWithContext(ctx(t), res.IncidentID)
			if err != nil || len(notes) != 1 || notes[0].Content != tc.text {
				t.Errorf("note = %+v, %v", notes, err)
			}
			alerts, err := f.client.ListIncidentAlertsWithContext(ctx(t), res.IncidentID, pagerduty.ListIncidentAlertsOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := alerts.Alerts[0].Body["details"].(map[string]any)["msg"]; got != tc.text {
				t.Errorf("alert detail = %q", got)
			}
			for _, path := range []string{"/incidents/" + res.IncidentID, "/incidents/" + res.IncidentID + "/notes", "/incidents/" + res.IncidentID + "/log_entries?include[]=channels"} {
				raw := f.do(t, "GET", path, "", nil).body
				if bytes.ContainsAny(raw, "\x1b\x07\x00") || bytes.Contains(raw, []byte("\u009b")) {
					t.Errorf("%s carries raw control bytes: %q", path, raw)
				}
			}
		})
	}
}
