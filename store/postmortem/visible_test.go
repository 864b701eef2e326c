package postmortem

import (
	"strings"
	"testing"

	"sitrep/sources/sanitize"
)

// A title with a right-to-left override is exported with the override shown
// as a marker, in the front matter and in the text: pasted into a wiki or a
// review, the title reads as what it is.
func TestBidiOverrideInTitleIsShownInTheExport(t *testing.T) {
	in := paymentGateway(t)
	in.Detail.Incident.Title = "disk full on \u202egnp.exe\u202c db-1"
	in.Detail.Alerts[0].Summary = "ad\u200bmin login failures"
	got := render(t, in)
	for _, r := range got {
		if sanitize.Invisible(r) {
			t.Fatalf("the export carries the invisible character %U:\n%s", r, got)
		}
	}
	for _, want := range []string{
		`title: "disk full on ⟨U+202E⟩gnp.exe⟨U+202C⟩ db-1"`,
		`**Incident**: \#4711 disk full on ⟨U+202E⟩gnp.exe⟨U+202C⟩ db-1`,
		"ad⟨U+200B⟩min login failures",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the export lacks %q:\n%s", want, got)
		}
	}
}
