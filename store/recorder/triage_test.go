package recorder_test

import (
	"context"
	"encoding/json"
	"testing"

	"sitrep/store/journal"
	"sitrep/store/recorder"
)

// TestTriageJournaledOnceThenOnChange: the cockpit may classify an
// incident many times; the journal holds its first class and each change.
func TestTriageJournaledOnceThenOnChange(t *testing.T) {
	_, feed, j, id := setup(t)
	r := recorder.New(j, feed, t.TempDir())
	ctx := context.Background()
	entry := func(class, why string) journal.Entry {
		data, _ := json.Marshal(map[string]any{"class": class, "why": why, "evidence": []string{why}})
		return journal.Entry{Incident: id, Kind: recorder.KindTriage, Actor: "sitrep", Summary: class + ": " + why, Data: data}
	}
	for _, e := range []journal.Entry{
		entry("database", "title matches db"),
		entry("database", "title matches db"),
		entry("database", "title matches db, again"),
		entry("deploy regression", "Deploy v2.14.0 5 min before the start"),
		entry("deploy regression", "Deploy v2.14.0 5 min before the start"),
		entry("database", "title matches db"),
	} {
		if err := r.Record(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	// Another incident's class does not count for this one.
	other := entry("database", "title matches db")
	other.Incident = "OTHER"
	if err := r.Record(ctx, other); err != nil {
		t.Fatal(err)
	}

	entries, err := r.Entries(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var classes []string
	for _, e := range entries {
		if e.Kind != recorder.KindTriage {
			continue
		}
		var d struct{ Class, Why string }
		if err := json.Unmarshal(e.Data, &d); err != nil || d.Why == "" {
			t.Errorf("entry data %s: %v", e.Data, err)
		}
		classes = append(classes, d.Class)
	}
	want := []string{"database", "deploy regression", "database"}
	if len(classes) != len(want) {
		t.Fatalf("triage entries %v, want %v", classes, want)
	}
	for i := range want {
		if classes[i] != want[i] {
			t.Errorf("triage entries %v, want %v", classes, want)
		}
	}
	if others, _ := r.Entries(ctx, "OTHER"); len(others) != 1 {
		t.Errorf("other incident has %d entries, want 1", len(others))
	}
}
