package postmortem

import (
	"encoding/json"
	"strings"
	"testing"

	"sitrep/actions"
)

// TestNumbersHaveNoExponent: the export writes a metric's values as a
// person reads them ("2,630 ms"), in the effect of a run and in a pin,
// never "2.63e+03".
func TestNumbersHaveNoExponent(t *testing.T) {
	in := paymentGateway(t)
	var outcome, pin bool
	for i, e := range in.Entries {
		switch e.Kind {
		case "action.outcome":
			var r actions.Record
			if err := json.Unmarshal(e.Data, &r); err != nil {
				t.Fatal(err)
			}
			r.Effect = []actions.MetricChange{{Name: "p99 latency", Unit: "ms", Before: 2630, After: 12840.4}, {Name: "5xx rate", Before: 0.000012, After: 0}}
			in.Entries[i].Data = record(t, r)
			outcome = true
		case "pin":
			in.Entries[i].Data = json.RawMessage(`{"observed":true,"pane":"Metrics","facts":[{"name":"p99 latency","unit":"ms","now":2630,"peak":1234567,"threshold":1500}]}`)
			pin = true
		}
	}
	if !outcome || !pin {
		t.Fatal("the scenario has no outcome or no pin to change")
	}
	got := render(t, in)
	for _, want := range []string{
		"p99 latency 2,630 ms → 12,840 ms; 5xx rate 0.000012 → 0",
		"p99 latency: now 2,630 ms, peak 1,234,567 ms, threshold 1,500 ms",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the export lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "e+0") || strings.Contains(got, "e-0") {
		t.Errorf("the export uses scientific notation:\n%s", got)
	}
}
