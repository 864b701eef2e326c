package pagerduty_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"sitrep/sources/demo/pdemulator"
	"sitrep/sources/pagerduty"
)

func upstreamIncident(id string, number uint, service string, created time.Time) pagerduty.Incident {
	return pagerduty.Incident{ID: id, Number: number, Status: pagerduty.StatusTriggered, Service: pagerduty.Ref{ID: service, Name: strings.ToLower(service)}, CreatedAt: created}
}

func TestUpstreamCauses(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)
	api := upstreamIncident("PAPI", 11, "SAPI", t0)
	deps := []pagerduty.ServiceRef{{ID: "SDB"}}
	db := upstreamIncident("PDB", 7, "SDB", t0.Add(-23*time.Minute))
	later := upstreamIncident("PDB2", 8, "SDB", t0.Add(time.Minute))
	same := upstreamIncident("PDB3", 9, "SDB", t0)
	unrelated := upstreamIncident("POTHER", 3, "SOTHER", t0.Add(-time.Hour))
	resolved := upstreamIncident("PDB4", 4, "SDB", t0.Add(-2*time.Hour))
	resolved.Status = pagerduty.StatusResolved

	t.Run("flagged", func(t *testing.T) {
		got := pagerduty.UpstreamCauses(api, deps, []pagerduty.Incident{api, later, db, unrelated, resolved, same})
		if len(got) != 1 || got[0].Incident.ID != "PDB" || got[0].Earlier != 23*time.Minute {
			t.Fatalf("UpstreamCauses = %+v, want only #7 23m earlier", got)
		}
		if text := pagerduty.FormatUpstream(got[0]); text != "sdb #7 started 23m earlier — likely cause" {
			t.Errorf("FormatUpstream = %q", text)
		}
	})
	t.Run("not flagged when later", func(t *testing.T) {
		// search-indexer's incident started before checkout-db's: the
		// database is not its cause.
		indexer := upstreamIncident("PIDX", 5, "SIDX", t0.Add(-30*time.Minute))
		if got := pagerduty.UpstreamCauses(indexer, deps, []pagerduty.Incident{db, indexer}); len(got) != 0 {
			t.Errorf("UpstreamCauses = %+v, want none", got)
		}
	})
	t.Run("none", func(t *testing.T) {
		if got := pagerduty.UpstreamCauses(api, nil, []pagerduty.Incident{db, api}); len(got) != 0 {
			t.Errorf("without dependencies UpstreamCauses = %+v", got)
		}
		if got := pagerduty.UpstreamCauses(api, deps, nil); len(got) != 0 {
			t.Errorf("without open incidents UpstreamCauses = %+v", got)
		}
	})
	t.Run("earliest first", func(t *testing.T) {
		older := upstreamIncident("PDB5", 2, "SDB", t0.Add(-3*time.Hour))
		got := pagerduty.UpstreamCauses(api, deps, []pagerduty.Incident{db, older})
		if len(got) != 2 || got[0].Incident.ID != "PDB5" || pagerduty.FormatUpstream(got[0]) != "sdb #2 started 3h00m earlier — likely cause" {
			t.Errorf("UpstreamCauses = %+v", got)
		}
	})
	t.Run("sanitized", func(t *testing.T) {
		evil := db
		evil.Service.Name = "db\x1b]0;owned\x07"
		got := pagerduty.UpstreamCauses(api, deps, []pagerduty.Incident{evil})
		if len(got) != 1 || strings.ContainsAny(pagerduty.FormatUpstream(got[0]), "\x1b\x07") {
			t.Errorf("FormatUpstream = %q", pagerduty.FormatUpstream(got[0]))
		}
	})
}

func TestDependenciesAgainstEmulator(t *testing.T) {
	w := newWorld(t)
	must := func(id string, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	ep := must(w.pd.AddEscalationPolicy(pdemulator.EscalationPolicy{Name: "Checkout", Levels: []pdemulator.EscalationLevel{{UserIDs: []string{w.me}}}}))
	db := must(w.pd.AddService(pdemulator.Service{Name: "checkout-db", EscalationPolicyID: ep}))
	api := must(w.pd.AddService(pdemulator.Service{Name: "checkout-api", EscalationPolicyID: ep}))
	must(w.pd.AddServiceDependency(api, db))
	// payment-gateway depends on checkout-api: that relationship names
	// checkout-api too, on the supporting side, and must not count.
	must(w.pd.AddServiceDependency(w.service, api))

	r := pagerduty.NewDependencyReader(w.client(5*time.Second), 0)
	ctx := context.Background()
	deps, err := r.Get(ctx, api, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(deps) != 1 || deps[0].ID != db {
		t.Fatalf("checkout-api depends on %+v, want only checkout-db %s", deps, db)
	}
	path := "/service_dependencies/technical_services/" + api
	if _, err := r.Get(ctx, api, false); err != nil {
		t.Fatal(err)
	}
	if n := w.count("GET", path); n != 1 {
		t.Errorf("two reads asked PagerDuty %d times, want 1 (cached)", n)
	}
	if _, err := r.Get(ctx, api, true); err != nil {
		t.Fatal(err)
	}
	if n := w.count("GET", path); n != 2 {
		t.Errorf("a fresh read asked PagerDuty %d times in all, want 2", n)
	}
	if deps, err := r.Get(ctx, db, false); err != nil || len(deps) != 0 {
		t.Errorf("checkout-db depends on %+v (%v), want nothing", deps, err)
	}
	if _, err := r.Get(ctx, "PNOPE", false); err == nil || !strings.Contains(err.Error(), "PNOPE") {
		t.Errorf("unknown service: err = %v, want one naming it", err)
	}
}
