package triage

import (
	"fmt"
	"testing"
	"time"

	"sitrep/sources/deploys"
	"sitrep/sources/pagerduty"
)

var benchTitles = []string{
	"[FIRING] payment-gateway 5xx rate above 5% (31.2%)",
	"checkout-db connection pool exhausted (200/200 in use)",
	"Health check failing: edge-proxy eu-west-1 /healthz",
	"Disk usage 91% on /var/lib/checkout-api (checkout-api-2)",
	"TLS certificate for api.sitrep-demo.example expires in 6 days",
	"Stripe webhook signature failures above 2%",
	"Search reindex job took 2x longer than usual",
	"Login failures above baseline for tenant acme-eu",
	"Invoice PDF renderer memory above 85%",
	"Nightly report finished with warnings",
}

// benchEvidence is n incidents as a large account's list holds them:
// titles of every kind, a deploy before one in five, metrics on half.
func benchEvidence(n int) []Evidence {
	out := make([]Evidence, n)
	for i := range out {
		at := start.Add(time.Duration(i) * time.Minute)
		e := Evidence{Incident: pagerduty.Incident{
			ID: fmt.Sprintf("P%06d", i), Title: benchTitles[i%len(benchTitles)], CreatedAt: at,
			Service: pagerduty.Ref{ID: fmt.Sprintf("S%03d", i%300), Name: fmt.Sprintf("service-%03d", i%300)},
		}}
		if i%5 == 0 {
			e.Changes = []deploys.Change{{Service: e.Incident.Service.Name, Summary: "Deploy v1.2.3 to prod", At: at.Add(-7 * time.Minute)}}
		}
		if i%2 == 0 {
			e.Metrics = map[string]float64{"5xx rate": float64(i%10) / 20, "p99 latency": 300}
		}
		out[i] = e
	}
	return out
}

// BenchmarkClassify10000 classifies 10,000 incidents with the built-in
// rules: the work a first load does once, after which the Cache answers.
func BenchmarkClassify10000(b *testing.B) {
	c := New(DefaultRules())
	ev := benchEvidence(10000)
	b.ReportAllocs()
	for b.Loop() {
		for i := range ev {
			c.Classify(ev[i])
		}
	}
}

// BenchmarkCacheHit10000 looks up 10,000 classified incidents: what
// drawing every row of a 10,000-incident list would cost, though a frame
// draws only the visible rows.
func BenchmarkCacheHit10000(b *testing.B) {
	k := NewCache(New(DefaultRules()), 0)
	ev := benchEvidence(10000)
	for i := range ev {
		k.Get(ev[i].Incident.ID, "v1", func() Evidence { return ev[i] })
	}
	b.ReportAllocs()
	for b.Loop() {
		for i := range ev {
			k.Get(ev[i].Incident.ID, "v1", func() Evidence { return ev[i] })
		}
	}
}
