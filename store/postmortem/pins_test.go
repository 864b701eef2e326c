package postmortem

import (
	"encoding/json"
	"strings"
	"testing"

	"sitrep/store/journal"
)

// withPins is the payment-gateway storyline with a pin of each pane: the
// Logs pane under "errors only" (the lines on screen), an older Logs pin
// written with the log line's Go field names, and the Deploys pane.
func withPins(t testing.TB) Input {
	t.Helper()
	in := paymentGateway(t)
	pin := func(seq uint64, min int, summary, data string) journal.Entry {
		return journal.Entry{Seq: seq, At: at(min, 0), Recorded: at(min, 0), Incident: "Q1PAY", Kind: KindPin, Actor: "Ana Ops",
			Summary: summary, Data: json.RawMessage(data)}
	}
	in.Entries = append(in.Entries,
		pin(400, 8, "pinned Logs: 2 error lines shown, the last: pool 32->16 exhausted",
			`{"observed":true,"pane":"Logs","lines":["ignored: the pane's text"],"facts":[`+
				`{"at":"2026-11-28T02:12:41Z","level":"error","source":"pg-1","text":"upstream timeout after 5000 ms <b>&amp;</b>"},`+
				`{"at":"2026-11-28T02:12:44Z","level":"error","source":"pg-2","text":"pool 32->16 exhausted"}]}`),
		pin(401, 9, "pinned Logs: 1 log lines",
			`{"observed":true,"pane":"Logs","facts":[{"T":"2026-11-28T02:12:50Z","Level":"warn","Text":"- retrying","Source":"pg-3"}]}`),
		pin(402, 10, "pinned Deploys: 1 changes; likely cause: payment-gateway 2.14.0 rolled out",
			`{"observed":true,"pane":"Deploys","facts":[{"id":"D3","source":"pagerduty","summary":"payment-gateway 2.14.0 rolled out","at":"2026-11-28T02:09:00Z","Likely":true,"Offset":-240000000000}]}`),
	)
	in.Audit = AuditFor(in.Entries, in.Audit.Head)
	return in
}

// Pinned log lines and changes appear in Supporting data, under their pin,
// as the pane showed them; metric pins keep their values.
func TestPinsKeepWhatThePaneShowed(t *testing.T) {
	got := render(t, withPins(t))
	pins := between(t, got, "### Pins\n", "### Links\n")
	for _, want := range []string{
		"  - 5xx rate: now 0.308, peak 0.321, threshold 0.05",
		"  - 02:12:41 error: upstream timeout after 5000 ms \\<b>\\&amp;\\</b> (from pg-1)",
		"  - 02:12:44 error: pool 32->16 exhausted (from pg-2)",
		"  - 02:12:50 warn: - retrying (from pg-3)",
		"  - 02:09:00 payment-gateway 2.14.0 rolled out (flagged as a likely cause)",
	} {
		if !strings.Contains(pins, want+"\n") {
			t.Errorf("the pins lack %q:\n%s", want, pins)
		}
	}
	if strings.Contains(pins, "ignored: the pane's text") {
		t.Errorf("a pin with facts also shows its text:\n%s", pins)
	}
	// The timeline says it once.
	if strings.Contains(got, "Pinned: pinned") {
		t.Errorf("the timeline says pinned twice:\n%s", between(t, got, "## Timeline\n", "## Actions taken\n"))
	}
	// The log lines sit under their own pin, after its line.
	if i, j := strings.Index(pins, "pinned Logs: 2 error lines"), strings.Index(pins, "02:12:41 error: upstream"); i < 0 || j < i {
		t.Errorf("the log lines are not under their pin:\n%s", pins)
	}
}
