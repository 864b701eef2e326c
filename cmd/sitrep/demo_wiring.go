package main

import (
	"fmt"
	"os"
	"time"

	"sitrep/actions"
	"sitrep/actions/triage"
	"sitrep/sources/demo/catalogue"
	"sitrep/sources/demo/world"
	"sitrep/sources/pagerduty"
)

// demoEnvironment wires the cockpit to a running demo world: its PagerDuty
// emulator, its own journal, its metrics and logs, and the demo catalogue
// whose actions change the world, finding it through stateFile.
func demoEnvironment(g *globalFlags, w *world.World, stateFile string) (*environment, error) {
	cfg := demoConfig(w)
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	j, err := openDemoJournal(g)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "sitrep-demo-actions-")
	if err != nil {
		j.Close()
		return nil, fmt.Errorf("demo catalogue: %w", err)
	}
	root, err := catalogue.Install(dir)
	var problems []actions.Problem
	var cat *actions.Catalogue
	if err == nil {
		cat, problems = actions.Load(root)
	}
	if err != nil || len(problems) > 0 {
		j.Close()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("demo catalogue: %v %v", err, problems)
	}
	self, err := os.Executable()
	if err != nil {
		j.Close()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("demo catalogue: find sitrep's own binary for demo-ctl: %w", err)
	}
	feed := pagerduty.New(pagerduty.Config{APIURL: w.PagerDutyURL, Token: w.Token})
	env, err := assemble(cfg, w.Token, feed, j, cat, catalogue.Caller(self, w.EdgeURL, w.ReleaseConfigPath, stateFile), g.readOnly)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	env.closers = append(env.closers, func() { os.RemoveAll(dir) })
	return env, nil
}

// demoConfig is the demo world's own configuration: its metrics and Loki
// endpoints, per service the queries, log selector and environment, and
// its triage settings. One class is routed, so that Overview shows a
// suggestion: certificates belong with the Platform team, and the night's
// TLS incident sits with Edge. The storm window is 3 minutes: the night is
// compressed, and billing-worker's Kafka lag storm (three incidents within
// a minute) is not the Stripe webhook failures that opened on the same
// service minutes before it.
func demoConfig(w *world.World) *config {
	cfg := demoConfigAt(w.MetricsURL)
	cfg.Triage.StormWindow = demoStormWindow
	if id, ok := w.PagerDuty.EscalationPolicyID(demoRoutePolicy); ok {
		cfg.Triage.Classes = map[string]triage.ClassConfig{demoRouteClass: {Route: &triage.RouteConfig{EscalationPolicy: id}}}
	}
	return cfg
}

// The demo's triage settings: its storm window, and the class it routes
// with the policy that class belongs with.
const (
	demoStormWindow = "3m"
	demoRouteClass  = "certificate"
	demoRoutePolicy = "Platform on-call"
)

// demoConfigAt is demoConfig for the world whose metrics and Loki endpoint
// is metricsURL, as a running demo's state file gives it.
func demoConfigAt(metricsURL string) *config {
	cfg := &config{RefreshInterval: 5 * time.Second, path: "the demo world", Services: map[string]serviceConfig{}}
	cfg.Prometheus.URL = metricsURL
	cfg.Loki.URL = metricsURL
	fromPagerDuty := true
	for _, s := range world.EnrichmentConfig() {
		sc := serviceConfig{Env: s.Env, Logs: []logConfig{{Loki: s.LogSelector}}, Deploys: []deployConfig{{PagerDuty: &fromPagerDuty}}}
		for _, m := range s.Metrics {
			sc.Metrics = append(sc.Metrics, metricConfig{Name: m.Name, Query: m.PromQL, Unit: m.Unit, Threshold: m.Threshold})
		}
		cfg.Services[s.Service] = sc
	}
	return cfg
}
