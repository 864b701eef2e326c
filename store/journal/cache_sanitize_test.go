package journal

import (
	"strings"
	"testing"
	"time"

	"sitrep/sources/pagerduty"
)

// A cache written before today's sanitizer (or edited by hand) is drawn
// in the first frame: it is outside text like PagerDuty's answer.
func TestCachedTitlesAreSanitizedOnLoad(t *testing.T) {
	j, _ := openTemp(t, Options{})
	raw := "invoice\u202Egnp.exe \x1b]0;pwned\x07done"
	if err := j.SaveIncidents("all", time.Now(), []pagerduty.Incident{{ID: "Q1", Title: raw, Assignees: []pagerduty.Ref{{Name: "ad\u200Bmin"}}}}); err != nil {
		t.Fatal(err)
	}
	got, _, err := j.LoadIncidents("all")
	if err != nil || len(got) != 1 {
		t.Fatalf("LoadIncidents: %v %v", got, err)
	}
	if strings.ContainsAny(got[0].Title, "\u202E\x1b\x07") || !strings.Contains(got[0].Title, "⟨U+202E⟩") {
		t.Errorf("cached title loads as %q", got[0].Title)
	}
	if strings.Contains(got[0].Assignees[0].Name, "\u200B") {
		t.Errorf("cached assignee loads as %q", got[0].Assignees[0].Name)
	}
}
