package triage_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"sitrep/actions/triage"
	"sitrep/sources/demo/world"
	"sitrep/sources/deploys"
	"sitrep/sources/metrics"
	"sitrep/sources/pagerduty"
)

// frozen is a clock the demo world reads; it does not move.
type frozen struct {
	mu sync.Mutex
	t  time.Time
}

func (c *frozen) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// TestDemoPaymentGatewayIsADeployRegression gathers the payment-gateway
// incident's evidence from the demo world the way the cockpit does (the
// real PagerDuty client against the emulator, PagerDuty's change events,
// the 5xx ratio from the world's Prometheus endpoint) and classifies it
// with the built-in rules.
func TestDemoPaymentGatewayIsADeployRegression(t *testing.T) {
	clock := &frozen{t: time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)}
	w, err := world.Start(world.Options{Seed: 1, Tick: time.Hour, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := w.Close(); err != nil {
			t.Error(err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	pd := pagerduty.New(pagerduty.Config{APIURL: w.PagerDutyURL, Token: w.Token})
	incidents, err := pd.Incidents(ctx, pagerduty.ScopeAll)
	if err != nil {
		t.Fatal(err)
	}
	var in pagerduty.Incident
	for _, i := range incidents {
		if i.Service.Name == "payment-gateway" && strings.Contains(i.Title, "5xx") {
			in = i
		}
	}
	if in.ID == "" {
		t.Fatalf("no payment-gateway 5xx incident among %d", len(incidents))
	}
	detail, err := pd.Detail(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	changes, err := deploys.PagerDuty{Client: pd.HTTPClient(), BaseURL: w.PagerDutyURL, Token: w.Token}.
		ListChanges(ctx, in.CreatedAt.Add(-time.Hour), in.CreatedAt.Add(time.Hour), in.Service.ID)
	if err != nil {
		t.Fatal(err)
	}
	prom, err := metrics.New(metrics.Config{URL: w.MetricsURL})
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]float64{}
	for _, svc := range world.EnrichmentConfig() {
		if svc.Service != in.Service.Name {
			continue
		}
		for _, m := range svc.Metrics {
			q := metrics.Query{Name: m.Name, PromQL: m.PromQL, Unit: m.Unit, Threshold: m.Threshold}
			v, err := prom.Window(ctx, q, in.CreatedAt.Add(5*time.Minute), 5*time.Minute)
			if err != nil {
				t.Fatalf("%s: %v", m.Name, err)
			}
			values[m.Name] = v
		}
	}

	got := triage.New(triage.DefaultRules()).Classify(triage.Evidence{
		Incident: in, Alerts: detail.Alerts, Metrics: values, Changes: changes,
	})
	if len(got) == 0 {
		t.Fatalf("not classified; evidence: metrics %v, changes %v", values, changes)
	}
	why := got[0].Why()
	t.Logf("why: %s (confidence %s)", why, got[0].Confidence)
	if got[0].Class != "deploy regression" || got[0].Confidence != triage.ConfidenceHigh {
		t.Errorf("first class %q (%s), want deploy regression with high confidence: %s", got[0].Class, got[0].Confidence, why)
	}
	for _, want := range []string{"deploy regression: ", "payment-gateway v2.14.0", "5 min before the start", "5xx rate 0.3", "> 0.05"} {
		if !strings.Contains(why, want) {
			t.Errorf("why %q lacks %q", why, want)
		}
	}
}
