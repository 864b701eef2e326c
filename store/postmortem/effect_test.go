package postmortem

import (
	"encoding/json"
	"strings"
	"testing"

	"sitrep/actions"
)

// TestEffectSaysWhichMetricsHadNoData: a metric without data in a window
// is in the Effect column with the reason, beside the ones compared.
func TestEffectSaysWhichMetricsHadNoData(t *testing.T) {
	in := paymentGateway(t)
	found := false
	for i, e := range in.Entries {
		if e.Kind != "action.outcome" {
			continue
		}
		found = true
		var r actions.Record
		if err := json.Unmarshal(e.Data, &r); err != nil {
			t.Fatal(err)
		}
		r.Effect = []actions.MetricChange{
			{Name: "5xx rate", Before: 0.31, After: 0.01, At: at(24, 0)},
			{Name: "queue depth", Before: 7, At: at(24, 0), NoData: "after it: no series in 02:27:00–02:29:00"},
			{Name: "p95 latency", Unit: "ms", At: at(24, 0), NoData: "before the action: unreachable: cannot connect | refused; after it: no series in 02:27:00–02:29:00"},
		}
		in.Entries[i].Data = record(t, r)
	}
	if !found {
		t.Fatal("the scenario has no outcome entry to change")
	}
	got := render(t, in)
	for _, want := range []string{
		"5xx rate 0.31 → 0.01; queue depth: no data (after it: no series in 02:27:00–02:29:00); p95 latency: no data (before the action: unreachable: cannot connect \\| refused; after it: no series in 02:27:00–02:29:00)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the export lacks %q:\n%s", want, got)
		}
	}
}
