package recorder_test

import (
	"context"
	"testing"
	"time"

	"sitrep/sources/pagerduty"
	"sitrep/store/recorder"
)

// TestUnchangedListIsNotSavedEveryRefresh: the incident cache is saved
// when the list changes, and an unchanged list only every few minutes,
// so its time never says the list is newer than it is.
func TestUnchangedListIsNotSavedEveryRefresh(t *testing.T) {
	_, feed, j, _ := setup(t)
	rec := recorder.New(j, feed, t.TempDir())
	ctx := context.Background()
	in, err := feed.Incidents(ctx, pagerduty.ScopeAll)
	if err != nil || len(in) != 1 {
		t.Fatalf("list: %v %v", in, err)
	}
	t0 := time.Date(2026, 11, 29, 4, 0, 0, 0, time.UTC)
	savedAt := func() time.Time {
		t.Helper()
		_, at, err := j.LoadIncidents(pagerduty.ScopeAll.String())
		if err != nil {
			t.Fatal(err)
		}
		return at
	}
	refresh := func(list []pagerduty.Incident, at time.Time) {
		t.Helper()
		if err := rec.Refreshed(ctx, pagerduty.ScopeAll, list, at); err != nil {
			t.Fatal(err)
		}
	}
	refresh(in, t0)
	refresh(in, t0.Add(30*time.Second))
	if at := savedAt(); !at.Equal(t0) {
		t.Errorf("an unchanged list was saved again at %s", at)
	}
	changed := append([]pagerduty.Incident(nil), in...)
	changed[0].Status = pagerduty.StatusAcknowledged
	refresh(changed, t0.Add(time.Minute))
	if at := savedAt(); !at.Equal(t0.Add(time.Minute)) {
		t.Errorf("a changed list was not saved: the cache is from %s", at)
	}
	refresh(changed, t0.Add(7*time.Minute))
	if at := savedAt(); !at.Equal(t0.Add(7 * time.Minute)) {
		t.Errorf("an unchanged list was not saved after six minutes: the cache is from %s", at)
	}
	// An emptied list is a change too.
	refresh(nil, t0.Add(7*time.Minute))
	if list, _, _ := j.LoadIncidents(pagerduty.ScopeAll.String()); len(list) != 0 {
		t.Errorf("an emptied list was not saved: %d incidents cached", len(list))
	}
}
