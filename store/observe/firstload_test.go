package observe_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"sitrep/sources/pagerduty"
	"sitrep/store/journal"
	"sitrep/store/observe"
)

// rows is a list of n open incidents on twenty services; every twentieth
// is assigned to me, the others to someone else.
func rows(n int, me string) []pagerduty.Incident {
	created := time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)
	out := make([]pagerduty.Incident, n)
	for i := range out {
		who := pagerduty.Ref{ID: "PBOB", Name: "Bob Okafor"}
		if i%20 == 0 {
			who = pagerduty.Ref{ID: me, Name: "Alice Chen"}
		}
		out[i] = pagerduty.Incident{
			ID: fmt.Sprintf("Q%06d", i), Number: uint(i + 1), Title: fmt.Sprintf("High error rate on /api/v2/orders (instance %d)", i),
			Status: pagerduty.StatusTriggered, Urgency: pagerduty.UrgencyHigh, Service: pagerduty.Ref{ID: fmt.Sprintf("S%02d", i%20), Name: fmt.Sprintf("service-%02d", i%20)},
			Assignees: []pagerduty.Ref{who}, CreatedAt: created, LastChangeAt: created,
			AlertCounts: pagerduty.Counts{All: 1, Triggered: 1}, HTMLURL: "https://acme.pagerduty.com/incidents/" + fmt.Sprint(i),
		}
	}
	return out
}

// count is how many entries the journal holds, of each kind.
func count(t testing.TB, j *journal.Journal) map[string]int {
	t.Helper()
	out := map[string]int{}
	err := j.Each(context.Background(), 1, func(e journal.Entry) error {
		out[e.Kind]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestFirstLoadOf10kJournalsOnlyYours: the first load of 10,000 incidents
// journals the first sightings of the 500 assigned to the engineer and one
// summary, not 10,000 entries (which grew the journal by 35 MB).
func TestFirstLoadOf10kJournalsOnlyYours(t *testing.T) {
	j := openJournal(t)
	feed, me := emulatedMe(t)
	o := observe.New(feed, j)
	ctx := context.Background()
	list := rows(10_000, me)
	before, _ := os.Stat(j.Path())
	first := time.Date(2026, 11, 29, 4, 0, 0, 0, time.UTC)
	if err := o.Incidents(ctx, list, first); err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(j.Path())
	got := count(t, j)
	if got["seen"] != 500 || got[observe.KindListed] != 1 || len(got) != 2 {
		t.Errorf("the first load of 10,000 incidents journaled %v, want 500 seen and 1 listed", got)
	}
	t.Logf("the journal grew by %d bytes", after.Size()-before.Size())

	// An unchanged refresh journals nothing.
	if err := o.Incidents(ctx, list, first.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if again := count(t, j); again["seen"] != 500 || again[observe.KindListed] != 1 {
		t.Errorf("an unchanged refresh journaled more: %v", again)
	}
}

// TestUntouchedIncidentKeepsItsFirstSighting: an incident nobody touched
// gets its first sighting, dated when it was first listed, once it is
// opened or changes; a restart adds no duplicate.
func TestUntouchedIncidentKeepsItsFirstSighting(t *testing.T) {
	j := openJournal(t)
	o := observe.New(nil, j) // no engineer known: nothing is "yours"
	ctx := context.Background()
	list := rows(40, "PALICE")
	first := time.Date(2026, 11, 29, 4, 0, 0, 0, time.UTC)
	if err := o.Incidents(ctx, list, first); err != nil {
		t.Fatal(err)
	}
	if got := count(t, j); got["seen"] != 0 || got[observe.KindListed] != 1 {
		t.Fatalf("first load journaled %v, want only the summary", got)
	}

	seenAt := func(id string) (time.Time, int) {
		t.Helper()
		es, err := j.Entries(id)
		if err != nil {
			t.Fatal(err)
		}
		var at time.Time
		n := 0
		for _, e := range es {
			if e.Kind == "seen" {
				at, n = e.At, n+1
			}
		}
		return at, n
	}

	// Opened an hour later: dated at the first listing.
	if err := o.Opened(list[3], first.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if at, n := seenAt(list[3].ID); n != 1 || !at.Equal(first) {
		t.Errorf("opened incident: %d seen entries at %s, want one at %s", n, at, first)
	}

	// Acknowledged in PagerDuty between refreshes: the change journals it.
	later := append([]pagerduty.Incident(nil), list...)
	later[5].Status = pagerduty.StatusAcknowledged
	later[5].LastChangeAt = first.Add(30 * time.Minute)
	if err := o.Incidents(ctx, later, first.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if at, n := seenAt(list[5].ID); n != 1 || !at.Equal(first) {
		t.Errorf("changed incident: %d seen entries at %s, want one at %s", n, at, first)
	}
	if _, n := seenAt(list[6].ID); n != 0 {
		t.Errorf("an untouched incident was journaled")
	}

	// A restart lists everything anew: one summary, no duplicates, and
	// opening an incident journaled before adds nothing.
	o2 := observe.New(nil, j)
	if err := o2.Incidents(ctx, later, first.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := o2.Opened(later[3], first.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	got := count(t, j)
	if got["seen"] != 2 || got[observe.KindListed] != 2 {
		t.Errorf("after a restart: %v, want 2 seen and 2 listed", got)
	}
	if at, n := seenAt(list[3].ID); n != 1 || !at.Equal(first) {
		t.Errorf("after a restart: %d seen entries at %s, want the first one kept", n, at)
	}
	if rep, err := j.Verify(ctx); err != nil || !rep.OK {
		t.Errorf("verify: %+v %v", rep, err)
	}
}

// BenchmarkFirstLoad10k is one first load of 10,000 incidents, 500 of them
// the engineer's, into a fresh journal: entries/load and journal-B/load are
// what it costs the journal.
func BenchmarkFirstLoad10k(b *testing.B) {
	feed, me := emulatedMe(b)
	list := rows(10_000, me)
	ctx := context.Background()
	var entries, grew int64
	for b.Loop() {
		b.StopTimer()
		j, err := journal.Open(b.TempDir()+"/journal.db", journal.Options{})
		if err != nil {
			b.Fatal(err)
		}
		before, _ := os.Stat(j.Path())
		o := observe.New(feed, j)
		b.StartTimer()
		if err := o.Incidents(ctx, list, time.Now()); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		after, _ := os.Stat(j.Path())
		h, _ := j.Head()
		entries += int64(h.Seq)
		grew += after.Size() - before.Size()
		j.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(entries)/float64(b.N), "entries/load")
	b.ReportMetric(float64(grew)/float64(b.N), "journal-B/load")
}
