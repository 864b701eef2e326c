package recorder_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sitrep/sources/demo/pdemulator"
	"sitrep/sources/pagerduty"
	"sitrep/store/journal"
	"sitrep/store/recorder"
)

// A world with one incident that Alice acknowledged through sitrep.
func setup(t *testing.T) (*pdemulator.Server, *pagerduty.Client, *journal.Journal, string) {
	t.Helper()
	pd := pdemulator.New(pdemulator.Options{Token: "t"})
	url, err := pd.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pd.Close() })
	alice, _ := pd.AddUser(pdemulator.User{Name: "Alice Chen", Email: "alice@example.com"})
	if err := pd.SetCurrentUser(alice); err != nil {
		t.Fatal(err)
	}
	ep, _ := pd.AddEscalationPolicy(pdemulator.EscalationPolicy{Name: "Payments", Levels: []pdemulator.EscalationLevel{{UserIDs: []string{alice}}}})
	svc, _ := pd.AddService(pdemulator.Service{Name: "payment-gateway", EscalationPolicyID: ep})
	res, err := pd.Trigger(pdemulator.TriggerOptions{ServiceID: svc, Title: "5xx rate above 5% | `prod`"})
	if err != nil {
		t.Fatal(err)
	}
	feed := pagerduty.New(pagerduty.Config{APIURL: url, Token: "t"})
	j, err := journal.Open(filepath.Join(t.TempDir(), "journal.db"), journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return pd, feed, j, res.IncidentID
}

func TestExportMergesPagerDutyAndJournal(t *testing.T) {
	_, feed, j, id := setup(t)
	ctx := context.Background()
	rec := recorder.New(j, feed, filepath.Join(t.TempDir(), "exports"))

	in, err := feed.Incidents(ctx, pagerduty.ScopeAll)
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Refreshed(ctx, pagerduty.ScopeAll, in, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := feed.Acknowledge(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := rec.Record(ctx, journal.Entry{Incident: id, Kind: "note", Summary: "rolled back v2.14.0"}); err != nil {
		t.Fatal(err)
	}
	d, err := feed.Detail(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.DetailSeen(ctx, d); err != nil {
		t.Fatal(err)
	}

	path, err := rec.Export(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(md)
	for _, want := range []string{"incident_id: \"" + id + "\"", "Acknowledged by Alice Chen", "rolled back v2.14.0", "**ACKNOWLEDGED**", "\\| \\`prod\\`"} {
		if !strings.Contains(s, want) {
			t.Errorf("the export lacks %q", want)
		}
	}
	if strings.Contains(s, "- payment-gateway:") {
		t.Error("the service that triggered the incident is listed as a responder")
	}
	if strings.Count(s, "Acknowledged by Alice Chen") != 1 {
		t.Errorf("the acknowledgement is in the timeline %d times, want once", strings.Count(s, "Acknowledged by Alice Chen"))
	}
	es, _ := j.Entries(id)
	if last := es[len(es)-1]; last.Kind != "export" || last.Actor != "Alice Chen" {
		t.Errorf("the export is not journaled: %+v", last)
	}
}

func TestExportWorksOffline(t *testing.T) {
	pd, feed, j, id := setup(t)
	ctx := context.Background()
	rec := recorder.New(j, feed, t.TempDir())
	in, err := feed.Incidents(ctx, pagerduty.ScopeAll)
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Refreshed(ctx, pagerduty.ScopeAll, in, time.Now()); err != nil {
		t.Fatal(err)
	}
	d, _ := feed.Detail(ctx, id)
	if err := rec.DetailSeen(ctx, d); err != nil {
		t.Fatal(err)
	}
	pd.Close() // the network is gone

	offline := recorder.New(j, pagerduty.New(pagerduty.Config{APIURL: "http://127.0.0.1:1", Token: "t", Timeout: time.Second}), t.TempDir())
	var buf bytes.Buffer
	if err := offline.ExportTo(ctx, &buf, id); err != nil {
		t.Fatalf("an offline export failed: %v", err)
	}
	if !strings.Contains(buf.String(), "Triggered") || !strings.Contains(buf.String(), "5xx rate above 5%") {
		t.Errorf("the offline export lacks what the journal kept:\n%s", buf.String())
	}
	if err := offline.ExportTo(ctx, &buf, "QNOPE"); err == nil || !strings.Contains(err.Error(), "journal ls") {
		t.Errorf("an unknown incident offline: %v", err)
	}
}

func TestExportsInTheSameSecondDoNotOverwrite(t *testing.T) {
	_, feed, j, id := setup(t)
	rec := recorder.New(j, feed, t.TempDir())
	a, err := rec.Export(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	b, err := rec.Export(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Errorf("two exports wrote the same file %s", a)
	}
}
