package observe_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sitrep/sources/demo/pdemulator"
	"sitrep/sources/pagerduty"
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
	// The incident is Carmen's, not Alice's: listing it journals nothing
	// of its own until Alice opens it.
	if k := kinds(); len(k) != 0 {
		t.Fatalf("after the first refresh: %v, want nothing for an incident nobody touched", k)
	}
	listed, err := feed.Incidents(ctx, pagerduty.ScopeAll)
	if err != nil || len(listed) != 1 {
		t.Fatalf("list: %v %v", listed, err)
	}
	if err := o.Opened(listed[0], time.Now()); err != nil {
		t.Fatal(err)
	}
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
		"acknowledge_log_entry":                "status.acknowledge",
		"resolve_log_entry":                    "status.resolve",
		"annotate_log_entry":                   "pd.annotate",
		"notify_log_entry":                     "pd.notify",
		"Weird Type!":                          "pd.eirdype",
		"":                                     "pd.unknown",
		strings.Repeat("x", 70) + "_log_entry": "pd." + strings.Repeat("x", journal.MaxKind-3),
	} {
		if got := observe.KindOf(in); got != want {
			t.Errorf("KindOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func openJournal(t *testing.T) *journal.Journal {
	t.Helper()
	j, err := journal.Open(filepath.Join(t.TempDir(), "journal.db"), journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

// TestOneOddLogEntryCostsOnlyItself: a log type longer than a journal
// kind is journaled under a clipped kind, and an entry the journal cannot
// take (an oversized ID) is skipped without losing the rest of the batch.
func TestOneOddLogEntryCostsOnlyItself(t *testing.T) {
	j := openJournal(t)
	o := observe.New(nil, j)
	now := time.Now()
	err := o.Timeline("P1", []pagerduty.LogEntry{
		{ID: "L1", Type: "trigger_log_entry", Summary: "Triggered", At: now},
		{ID: "L2", Type: "acknowledge_log_entry", Summary: "Acked", At: now},
		{ID: "L3", Type: strings.Repeat("x", 70) + "_log_entry", Summary: "odd", At: now},
		{ID: strings.Repeat("9", journal.MaxSourceID), Type: "annotate_log_entry", Summary: "huge id", At: now},
		{ID: "L5", Type: "resolve_log_entry", Summary: "Resolved", At: now},
	})
	if !errors.Is(err, journal.ErrInvalidEntry) {
		t.Errorf("Timeline = %v, want the oversized entry reported", err)
	}
	es, err := j.Entries("P1")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		got = append(got, e.Summary)
	}
	if want := "Triggered Acked odd Resolved"; strings.Join(got, " ") != want {
		t.Errorf("journaled %q, want %q", got, want)
	}
}

// flaky fails its first n appends as a full disk would.
type flaky struct {
	*journal.Journal
	n int
}

func (f *flaky) AppendBatch(es []journal.Entry) ([]journal.Appended, error) {
	if f.n > 0 {
		f.n--
		return nil, errors.New("no space left on device")
	}
	return f.Journal.AppendBatch(es)
}

// TestSeenIsRetriedUntilJournaled: an incident is remembered as seen only
// once its entry is in the journal, and one incident the journal refuses
// does not keep the others out.
func TestSeenIsRetriedUntilJournaled(t *testing.T) {
	j := openJournal(t)
	f := &flaky{Journal: j, n: 1}
	feed, me := emulatedMe(t)
	o := observe.New(feed, f)
	ctx := context.Background()
	// Assigned to the engineer: journaled when listed.
	mine := []pagerduty.Ref{{ID: me, Name: "Alice Chen"}}
	in := []pagerduty.Incident{
		{ID: "P1", Title: "one", Status: "triggered", Assignees: mine},
		{ID: strings.Repeat("Q", journal.MaxIncident+1), Title: "too long", Status: "triggered", Assignees: mine},
		{ID: "P2", Title: "two", Status: "triggered", Assignees: mine},
	}
	if err := o.Incidents(ctx, in, time.Now()); err == nil {
		t.Fatal("a failed append was not reported")
	}
	if err := o.Incidents(ctx, in, time.Now()); !errors.Is(err, journal.ErrInvalidEntry) {
		t.Errorf("second refresh = %v, want the refused incident reported", err)
	}
	for _, id := range []string{"P1", "P2"} {
		es, err := j.Entries(id)
		if err != nil || len(es) != 1 || es[0].Kind != "seen" {
			t.Errorf("%s: %+v %v, want one seen entry", id, es, err)
		}
	}
	// The refused incident will be refused again: it is not retried.
	if err := o.Incidents(ctx, in, time.Now()); err != nil {
		t.Errorf("third refresh = %v", err)
	}
}

// emulatedMe is a feed whose engineer is Alice, on the emulator.
func emulatedMe(t testing.TB) (*pagerduty.Client, string) {
	t.Helper()
	pd := pdemulator.New(pdemulator.Options{Token: "t"})
	url, err := pd.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pd.Close() })
	alice, err := pd.AddUser(pdemulator.User{Name: "Alice Chen", Email: "alice@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if err := pd.SetCurrentUser(alice); err != nil {
		t.Fatal(err)
	}
	return pagerduty.New(pagerduty.Config{APIURL: url, Token: "t"}), alice
}
