package pagerduty_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"sitrep/sources/demo/pdemulator"
)

// An alert's custom details reach the detail as short, sanitized scalar
// fields, so triage rules written against them (alert: {name: ...}) see
// what the monitoring tool sent; nested objects are left out.
func TestAlertDetailsReachTheDetail(t *testing.T) {
	w := newWorld(t)
	res, err := w.pd.Trigger(pdemulator.TriggerOptions{ServiceID: w.service, Title: "db down", Urgency: "high",
		Alert: pdemulator.AlertDetails{Details: map[string]any{
			"db_host": "db-3", "retries": 4.0, "primary": true,
			"nested": map[string]any{"x": "y"}, "hostile": "\x1b]52;c;eA==\x07x", "long": strings.Repeat("a", 2000),
		}}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := w.client(5*time.Second).Detail(context.Background(), res.IncidentID)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Alerts) != 1 {
		t.Fatalf("alerts = %+v", d.Alerts)
	}
	got := d.Alerts[0].Details
	for k, want := range map[string]string{"db_host": "db-3", "retries": "4", "primary": "true"} {
		if got[k] != want {
			t.Errorf("details[%q] = %q, want %q (all: %v)", k, got[k], want, got)
		}
	}
	if _, ok := got["nested"]; ok {
		t.Error("a nested object became a field")
	}
	if strings.ContainsAny(got["hostile"], "\x1b\x07") {
		t.Errorf("details kept control characters: %q", got["hostile"])
	}
	if len(got["long"]) > 512 {
		t.Errorf("a %d-byte value was kept whole", len(got["long"]))
	}
}
