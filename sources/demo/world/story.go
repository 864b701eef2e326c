package world

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"sitrep/sources/demo/pdemulator"
)

// story is the demo's scripted night. history writes what happened before
// sitrep opened; next moves it on, one tick at a time.
type story struct {
	pd    *pdemulator.Server
	clock *storyClock
	cast  cast
	rng   *rand.Rand

	mu    sync.Mutex
	ticks int
	noise []string // open noise incidents, oldest first
	// Incidents of the storyline, by role, for later chapters (the
	// restart that fixes payment-gateway).
	Incidents map[string]string
	// upstreamAgo is when checkout-api's incident opened, before the
	// start (Options.EscalateIn).
	upstreamAgo time.Duration
}

// Hostile is a title with terminal escapes, pipes, backticks and HTML, as
// a careless or malicious integration could send. The demo shows it so
// that anyone can see sitrep draw it harmlessly.
const Hostile = "\x1b]0;pwned\x07Cron job \x1b[31mnightly-report\x1b[0m failed | see `logs` <b>now</b> \x1b]52;c;cm0gLXJmIC8=\x07"

func newStory(pd *pdemulator.Server, clock *storyClock, c cast, seed uint64) *story {
	return &story{pd: pd, clock: clock, cast: c, rng: rand.New(rand.NewPCG(seed, 0x5174e9)), Incidents: map[string]string{}, upstreamAgo: upstreamAgo}
}

// event is one line of history.
type event struct {
	ago time.Duration
	do  func() error
}

func (s *story) trigger(role, service, title, urgency, priority, key string, alert pdemulator.AlertDetails) func() error {
	return func() error {
		res, err := s.pd.Trigger(pdemulator.TriggerOptions{
			ServiceID: s.cast.services[service], Title: title, Urgency: urgency,
			PriorityID: s.cast.priorities[priority], DedupKey: key, Alert: alert,
		})
		if err != nil {
			return fmt.Errorf("trigger %q: %w", title, err)
		}
		if role != "" && !res.Deduplicated {
			s.Incidents[role] = res.IncidentID
		}
		return nil
	}
}

func (s *story) ack(role, user string) func() error {
	return func() error { return s.pd.Acknowledge(s.Incidents[role], s.cast.users[user]) }
}

func (s *story) note(role, user, text string) func() error {
	return func() error {
		_, err := s.pd.AddNote(s.Incidents[role], s.cast.users[user], text)
		return err
	}
}

func (s *story) deploy(service, summary, version string) func() error {
	return func() error {
		_, err := s.pd.AddChangeEvent(pdemulator.ChangeEvent{
			ServiceID: s.cast.services[service],
			Summary:   summary,
			Source:    "deploy-bot",
			Links:     []pdemulator.Link{{Href: "https://git.sitrep-demo.example/payments/payment-gateway/releases/" + version, Text: "release " + version}},
			CustomDetails: map[string]any{
				"version": version, "previous_version": previousVersion, "deployed_by": "deploy-bot", "build": deployBuild,
			},
		})
		return err
	}
}

// change is a change event that is not a deploy: a config push, a feature
// flag. It gives the Deploys pane entries that are not the likely cause.
func (s *story) change(service, summary, source string, details map[string]any) func() error {
	return func() error {
		_, err := s.pd.AddChangeEvent(pdemulator.ChangeEvent{
			ServiceID: s.cast.services[service], Summary: summary, Source: source, CustomDetails: details,
		})
		return err
	}
}

// history is the night so far: a deploy and the 5xx spike that followed it,
// a database out of connections, a flapping edge check, and the low-urgency
// noise every on-call knows.
func (s *story) history(now time.Time) error {
	prom := func(summary, query string) pdemulator.AlertDetails {
		return pdemulator.AlertDetails{Summary: summary, Severity: "critical", Source: "prometheus", Component: "alertmanager", Details: map[string]any{"query": query}}
	}
	events := []event{
		{120 * time.Minute, s.trigger("tls", "edge-proxy", "TLS certificate for api.sitrep-demo.example expires in 6 days", "low", "P4", "", pdemulator.AlertDetails{Severity: "warning", Source: "cert-exporter"})},
		{dbConfigAgo, s.change("checkout-db", "checkout-db: work_mem raised to 64MB (config push, reload)", "config-bot",
			map[string]any{"parameter": "work_mem", "from": "16MB", "to": "64MB", "pushed_by": "carmen"})},
		{flagChangeAgo, s.change("payment-gateway", "Feature flag card_3ds_v2 enabled for 10% of EU traffic", "launchdarkly",
			map[string]any{"flag": "card_3ds_v2", "rollout": "10%", "segment": "eu"})},
		{95 * time.Minute, s.trigger("disk", "checkout-api", "Disk usage 91% on /var/lib/checkout-api (checkout-api-2)", "low", "P3", "", pdemulator.AlertDetails{Severity: "warning", Source: "node-exporter"})},
		{90 * time.Minute, s.ack("disk", "alice")},
		{70 * time.Minute, s.trigger("queue", "billing-worker", "billing-worker queue depth above 1,000 for 10 min", "low", "", "", pdemulator.AlertDetails{Severity: "warning", Source: "prometheus"})},
		{55 * time.Minute, s.trigger("indexer", "search-indexer", "Search indexing lag above 10 min", "low", "P4", "", pdemulator.AlertDetails{Severity: "warning", Source: "prometheus"})},
		{50 * time.Minute, s.ack("indexer", "erin")},
		{40 * time.Minute, s.trigger("flap", "edge-proxy", "Health check failing: edge-proxy eu-west-1 /healthz", "high", "P2", "edge-healthz-euw1", pdemulator.AlertDetails{Severity: "error", Source: "edge-checker-euw1", Details: map[string]any{"check": "GET /healthz", "region": "eu-west-1"}})},
		{35 * time.Minute, s.flap()},
		{33 * time.Minute, s.trigger("latency", "auth-service", "p99 latency of /oauth/token above 800 ms", "low", "", "", pdemulator.AlertDetails{Severity: "warning", Source: "prometheus"})},
		{28 * time.Minute, s.flap()},
		{25 * time.Minute, s.trigger("db", "checkout-db", "checkout-db connection pool exhausted (200/200 in use)", "high", "P2", "", prom("checkout-db connections 200/200", `pg_stat_activity_count{datname="checkout"}`))},
		{20 * time.Minute, s.ack("db", "carmen")},
		{18 * time.Minute, s.note("db", "carmen", "Pool at max. A long-running report query holds 140 connections; looking for its owner.")},
		{16 * time.Minute, s.trigger("hostile", "auth-service", Hostile, "low", "", "", pdemulator.AlertDetails{Severity: "info", Source: "cron@batch-07"})},
		{deployAgo, s.deploy("payment-gateway", "Deploy payment-gateway "+deployedVersion+" to prod (build "+deployBuild+")", deployedVersion)},
		{12 * time.Minute, s.flap()},
		{9 * time.Minute, s.trigger("5xx", "payment-gateway", "[FIRING] payment-gateway 5xx rate above 5% (31.2%)", "high", "P1", "", prom("5xx rate 31.2% on payment-gateway (threshold 5%)", `sum(rate(http_requests_total{service="payment-gateway",code=~"5.."}[5m])) / sum(rate(http_requests_total{service="payment-gateway"}[5m]))`))},
		{5 * time.Minute, s.trigger("webhooks", "billing-worker", "Stripe webhook signature failures above 2%", "high", "P3", "", pdemulator.AlertDetails{Severity: "error", Source: "billing-worker"})},
		{4 * time.Minute, s.flap()},
		// checkout-api times out on the database upstream: started after
		// checkout-db's incident, unacknowledged, and escalating a few
		// minutes into the demo (Checkout's first level waits 6 minutes).
		{s.upstreamAgo, s.trigger("upstream", "checkout-api", "checkout-api POST /orders failing: 12% of requests time out", "high", "P2", "",
			pdemulator.AlertDetails{Severity: "error", Source: "prometheus", Component: "alertmanager",
				Details: map[string]any{"endpoint": "POST /orders", "error": "pq: canceling statement due to statement timeout", "upstream": "checkout-db"}})},
	}
	// Past nights, resolved long ago, so that payment-gateway has a
	// history: one where a restart helped and one where it did not. They
	// come after tonight's incidents so that tonight's keep their numbers,
	// and their titles never contain "payment-gateway 5xx", the words that
	// find tonight's incident.
	events = append(events, s.pastIncidents()...)
	for _, e := range events {
		s.clock.set(now.Add(-e.ago))
		if err := e.do(); err != nil {
			return err
		}
	}
	return nil
}

// upstreamAgo is how long before the world's start checkout-api's
// incident opened; with Checkout's 6-minute first level it escalates 4
// minutes into the demo.
const upstreamAgo = 2 * time.Minute

func (s *story) resolve(role, user string) func() error {
	return func() error { return s.pd.Resolve(s.Incidents[role], s.cast.users[user]) }
}

// pastIncidents are payment-gateway's earlier incidents, 3 and 10 days
// before tonight, each acknowledged, worked in notes and resolved.
func (s *story) pastIncidents() []event {
	const day = 24 * time.Hour
	ratio := func(pct string) pdemulator.AlertDetails {
		return pdemulator.AlertDetails{Summary: "5xx ratio " + pct + " on payment-gateway (threshold 5%)", Severity: "critical", Source: "prometheus", Component: "alertmanager",
			Details: map[string]any{"query": `sum(rate(http_requests_total{service="payment-gateway",code=~"5.."}[5m])) / sum(rate(http_requests_total{service="payment-gateway"}[5m]))`}}
	}
	p3, p10 := 3*day+5*time.Hour, 10*day+2*time.Hour
	return []event{
		// Ten days ago (Alice's shift): slow card authorisations; the
		// restart changed nothing, the acquirer recovered on its own.
		{p10, s.trigger("past-latency", "payment-gateway", "payment-gateway p99 latency above 1.5 s (2.1 s)", "high", "P2", "",
			pdemulator.AlertDetails{Severity: "error", Source: "prometheus", Component: "alertmanager", Details: map[string]any{"quantile": "0.99", "value_s": 2.1}})},
		{p10 - 3*time.Minute, s.ack("past-latency", "alice")},
		{p10 - 14*time.Minute, s.note("past-latency", "alice", "restarted payment-gateway: no effect, p99 still 1.9 s. The acquirer's status page reports degraded EU authorisations.")},
		{p10 - 41*time.Minute, s.note("past-latency", "alice", "Acquirer recovered; p99 back to 300 ms. Nothing to change on our side.")},
		{p10 - 44*time.Minute, s.resolve("past-latency", "alice")},
		// Three days ago (Bob's shift): a 5xx spike that a restart fixed.
		{p3, s.trigger("past-5xx", "payment-gateway", "[FIRING] payment-gateway HTTP 5xx ratio above 5% (24.6%)", "high", "P1", "", ratio("24.6%"))},
		{p3 - 2*time.Minute, s.ack("past-5xx", "bob")},
		{p3 - 6*time.Minute, s.note("past-5xx", "bob", "Pods exhausted their connections to the card vault after a vault failover; restarting.")},
		{p3 - 9*time.Minute, s.note("past-5xx", "bob", "restarted payment-gateway, 5xx back to 1% within 2 min")},
		{p3 - 18*time.Minute, s.resolve("past-5xx", "bob")},
	}
}

// stormTicks are the ticks at which billing-worker's consumer lag fires on
// three partitions, low urgency, within a minute: a small storm of related
// incidents, two minutes into the demo so that the first screens are as
// they always were.
var stormTicks = map[int]string{6: "3", 7: "7", 8: "11"}

// storm opens one of the storm's incidents.
func (s *story) storm(partition string) {
	res, err := s.pd.Trigger(pdemulator.TriggerOptions{ServiceID: s.cast.services["billing-worker"],
		Title: "billing-worker Kafka consumer lag above 50k on invoices partition " + partition, Urgency: "low",
		DedupKey: "billing-lag-p" + partition,
		Alert: pdemulator.AlertDetails{Severity: "warning", Source: "kafka-exporter", Component: "billing-worker",
			Details: map[string]any{"topic": "invoices", "partition": partition, "consumer_group": "billing-worker"}}})
	if err == nil && !res.Deduplicated {
		s.Incidents["storm-p"+partition] = res.IncidentID
	}
}

// flap re-fires the edge health check: PagerDuty folds it into the open
// incident's alert, whose occurrences count the retries.
func (s *story) flap() func() error {
	return s.trigger("flap", "edge-proxy", "Health check failing: edge-proxy eu-west-1 /healthz", "high", "P2", "edge-healthz-euw1", pdemulator.AlertDetails{Severity: "error", Source: "edge-checker-euw1"})
}

// noiseTitles is the low-urgency chatter that arrives while the engineer
// works the real incidents.
var noiseTitles = []struct{ service, title, urgency string }{
	{"search-indexer", "Search reindex job took 2x longer than usual", "low"},
	{"auth-service", "Login failures above baseline for tenant acme-eu", "low"},
	{"checkout-api", "checkout-api pod restarted 3 times in 10 min", "low"},
	{"billing-worker", "Invoice PDF renderer memory above 85%", "low"},
	{"edge-proxy", "Cache hit ratio below 80% in ap-south-1", "low"},
	{"checkout-db", "Replication lag on checkout-db-replica-2 above 30 s", "high"},
	{"auth-service", "JWKS refresh failed twice", "low"},
	{"payment-gateway", "Synthetic checkout journey slower than 3 s", "low"},
}

// next moves the story on: the edge check keeps flapping, new noise
// arrives, and old noise resolves on its own, so the list stays alive.
func (s *story) next() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ticks++
	if p, ok := stormTicks[s.ticks]; ok {
		s.storm(p)
	}
	switch {
	case s.ticks%2 == 1:
		_ = s.flap()()
	}
	if s.ticks%3 == 1 || s.rng.IntN(4) == 0 {
		n := noiseTitles[s.rng.IntN(len(noiseTitles))]
		res, err := s.pd.Trigger(pdemulator.TriggerOptions{ServiceID: s.cast.services[n.service], Title: n.title, Urgency: n.urgency,
			Alert: pdemulator.AlertDetails{Severity: "warning", Source: "prometheus"}})
		if err == nil && !res.Deduplicated {
			s.noise = append(s.noise, res.IncidentID)
		}
	}
	if len(s.noise) > 0 && (s.ticks%3 == 0 || len(s.noise) > 4) {
		// The monitoring recovers and resolves the oldest noise itself.
		id := s.noise[0]
		s.noise = s.noise[1:]
		_ = s.pd.Resolve(id, "")
	}
}
