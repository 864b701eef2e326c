package recorder_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sitrep/actions"
	"sitrep/sources/demo/pdemulator"
	"sitrep/sources/pagerduty"
	"sitrep/store/journal"
	"sitrep/store/recorder"
)

// TestActingOnAnUnopenedIncidentJournalsItsFirstSighting: an incident
// listed but neither the engineer's nor opened has nothing of its own in
// the journal; the engineer's first act on it journals its first sighting
// first, dated when it was listed and holding its row from the cache, so
// an offline post-mortem still names it.
func TestActingOnAnUnopenedIncidentJournalsItsFirstSighting(t *testing.T) {
	pd := pdemulator.New(pdemulator.Options{Token: "t"})
	url, err := pd.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pd.Close() })
	alice, _ := pd.AddUser(pdemulator.User{Name: "Alice Chen", Email: "alice@example.com"})
	bob, _ := pd.AddUser(pdemulator.User{Name: "Bob Okafor", Email: "bob@example.com"})
	if err := pd.SetCurrentUser(alice); err != nil {
		t.Fatal(err)
	}
	ep, _ := pd.AddEscalationPolicy(pdemulator.EscalationPolicy{Name: "orders", Levels: []pdemulator.EscalationLevel{{UserIDs: []string{bob}}}})
	svc, _ := pd.AddService(pdemulator.Service{Name: "orders-db", EscalationPolicyID: ep})
	var ids []string
	for _, title := range []string{"replication lag", "disk 91% full"} {
		res, err := pd.Trigger(pdemulator.TriggerOptions{ServiceID: svc, Title: title})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.IncidentID)
	}
	feed := pagerduty.New(pagerduty.Config{APIURL: url, Token: "t"})
	j, err := journal.Open(filepath.Join(t.TempDir(), "journal.db"), journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	rec := recorder.New(j, feed, t.TempDir())
	ctx := context.Background()

	listed := time.Now().Add(-time.Hour).UTC()
	in, err := feed.Incidents(ctx, pagerduty.ScopeAll)
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Refreshed(ctx, pagerduty.ScopeAll, in, listed); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if es, _ := j.Entries(id); len(es) != 0 {
			t.Fatalf("%s, Bob's and not opened, was journaled at listing: %+v", id, es)
		}
	}

	if err := rec.Record(ctx, journal.Entry{Incident: ids[0], Kind: "note", Summary: "looking at the replica"}); err != nil {
		t.Fatal(err)
	}
	if err := rec.RecordActionStep(actions.Record{Incident: ids[1], Action: "rotate_logs", Step: actions.StepConfirmed, Target: "orders-db"}, "Alice Chen"); err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		es, _ := j.Entries(id)
		if len(es) != 2 || es[0].Kind != "seen" || !es[0].At.Equal(listed) || !strings.Contains(es[0].Summary, []string{"replication lag", "disk 91% full"}[i]) {
			t.Fatalf("%s after the first act: %+v, want its first sighting at %s, then the act", id, es, listed)
		}
	}
	// A second act adds no second sighting.
	if err := rec.Record(ctx, journal.Entry{Incident: ids[0], Kind: "note", Summary: "replica caught up"}); err != nil {
		t.Fatal(err)
	}
	if es, _ := j.Entries(ids[0]); len(es) != 3 || es[2].Kind != "note" {
		t.Errorf("after a second note: %+v", es)
	}

	pd.Close() // the network is gone: the post-mortem comes from the journal
	offline := recorder.New(j, pagerduty.New(pagerduty.Config{APIURL: "http://127.0.0.1:1", Token: "t", Timeout: time.Second}), t.TempDir())
	var buf bytes.Buffer
	if err := offline.ExportTo(ctx, &buf, ids[0]); err != nil {
		t.Fatalf("offline export: %v", err)
	}
	if !strings.Contains(buf.String(), "replication lag") || !strings.Contains(buf.String(), "replica caught up") {
		t.Errorf("the offline export lacks the incident or its notes:\n%s", buf.String())
	}
}
