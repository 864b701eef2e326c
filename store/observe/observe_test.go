package observe_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"sitrep/sources/pagerduty"
	"sitrep/sources/pdemulator"
	"sitrep/store/journal"
	"sitrep/store/observe"
)

func TestObserverJournalsEachEventOnce(t *testing.T) {
	pd := pdemulator.New(pdemulator.Options{Token: "t"})
	url, err := pd.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer pd.Close()
	alice, _ := pd.AddUser(pdemulator.User{Name: "Alice Chen", Email: "alice@example.com"})
	carmen, _ := pd.AddUser(pdemulator.User{Name: "Carmen Ruiz", Email: "carmen@example.com"})
	if err := pd.SetCurrentUser(alice); err != nil {
		t.Fatal(err)
	}
	ep, _ := pd.AddEscalationPolicy(pdemulator.EscalationPolicy{Name: "db", Levels: []pdemulator.EscalationLevel{{UserIDs: []string{carmen}}}})
	svc, _ := pd.AddService(pdemulator.Service{Name: "checkout-db", EscalationPolicyID: ep})
	res, err := pd.Trigger(pdemulator.TriggerOptions{ServiceID: svc, Title: "pool exhausted"})
	if err != nil {
		t.Fatal(err)
	}
	feed := pagerduty.New(pagerduty.Config{APIURL: url, Token: "t"})
	path := filepath.Join(t.TempDir(), "journal.db")
	j, err := journal.Open(path, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	refresh := func(o *observe.Observer) {
		t.Helper()
		in, err := feed.Incidents(ctx, pagerduty.ScopeAll)
		if err != nil {
			t.Fatal(err)
		}
		if err := o.Incidents(ctx, in, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	kinds := func() map[string]int {
		t.Helper()
		es, err := j.Entries(res.IncidentID)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int{}
		for _, e := range es {
			out[e.Kind]++
		}
		return out
	}

	o := observe.New(feed, j)
	refresh(o)
	if k := kinds(); k["seen"] != 1 || len(k) != 1 {
		t.Fatalf("after the first refresh: %v, want one seen entry", k)
	}
	pd.ResetRequests()
	refresh(o)
	if n := len(pd.Requests()); n != 1 {
		t.Errorf("an unchanged refresh made %d requests, want 1", n)
	}

	// Carmen acknowledges in PagerDuty: the next refresh journals the
	// timeline, with her as the actor at PagerDuty's time.
	if err := pd.Acknowledge(res.IncidentID, carmen); err != nil {
		t.Fatal(err)
	}
	refresh(o)
	k := kinds()
	if k["status.acknowledge"] != 1 || k["status.trigger"] != 1 {
		t.Fatalf("after the acknowledgement: %v", k)
	}
	es, _ := j.Entries(res.IncidentID)
	for _, e := range es {
		if e.Kind == "status.acknowledge" && (e.Actor != "Carmen Ruiz" || e.At.IsZero() || e.SourceID == "") {
			t.Errorf("acknowledge entry = %+v", e)
		}
	}

	// A restart (a new observer on the same journal) and the same timeline
	// again add nothing.
	before := len(es)
	o2 := observe.New(feed, j)
	refresh(o2)
	les, err := feed.LogEntries(ctx, res.IncidentID)
	if err != nil {
		t.Fatal(err)
	}
	if err := o2.Timeline(res.IncidentID, les); err != nil {
		t.Fatal(err)
	}
	es, _ = j.Entries(res.IncidentID)
	if len(es) != before {
		t.Errorf("a restart added %d duplicate entries", len(es)-before)
	}
	if rep, err := j.Verify(ctx); err != nil || !rep.OK {
		t.Errorf("verify: %+v %v", rep, err)
	}
}

func TestKindOf(t *testing.T) {
	for in, want := range map[string]string{
		"acknowledge_log_entry": "status.acknowledge",
		"resolve_log_entry":     "status.resolve",
		"annotate_log_entry":    "pd.annotate",
		"notify_log_entry":      "pd.notify",
		"Weird Type!":           "pd.eirdype",
		"":                      "pd.unknown",
	} {
		if got := observe.KindOf(in); got != want {
			t.Errorf("KindOf(%q) = %q, want %q", in, got, want)
		}
	}
}
