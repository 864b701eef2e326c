package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"sitrep/sources/pagerduty"
	"sitrep/store/journal"
)

// The cockpit reads the cache in the background: a readable one comes back
// through LoadCached, and one this sitrep cannot read shows no rows and
// says so through the start-up check, as when it was read before start.
func TestCachedListIsLoadedInTheBackgroundAndItsProblemSaid(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	j, err := journal.Open(path, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 29, 19, 0, 0, 0, time.UTC)
	if err := j.SaveIncidents(pagerduty.ScopeAll.String(), at, []pagerduty.Incident{{ID: "PABC", Number: 7, Title: "Disk full"}}); err != nil {
		t.Fatal(err)
	}
	env := &environment{cfg: &config{}, journal: j, startHead: startHead(j)}
	opts := env.tuiOptions(pagerduty.ScopeAll, false)
	if opts.LoadCached == nil {
		t.Fatal("the cockpit gets no background cache load")
	}
	if in, got := opts.LoadCached(); len(in) != 1 || in[0].ID != "PABC" || !got.Equal(at) {
		t.Errorf("LoadCached = %v at %v, want PABC at %v", in, got, at)
	}
	if notice, _ := opts.StartupCheck(context.Background()); strings.Contains(notice, "cached incidents") {
		t.Errorf("a readable cache gives the notice %q", notice)
	}
	j.Close()

	// A cached list too short to hold its own timestamp.
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("cache")).Put([]byte(pagerduty.ScopeAll.String()), []byte("[]"))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	j, err = journal.Open(path, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	env = &environment{cfg: &config{}, journal: j, startHead: startHead(j)}
	opts = env.tuiOptions(pagerduty.ScopeAll, false)
	if in, _ := opts.LoadCached(); len(in) != 0 {
		t.Errorf("an unreadable cache gave %d rows", len(in))
	}
	notice, _ := opts.StartupCheck(context.Background())
	if !strings.HasPrefix(notice, "cached incidents not shown: ") || !strings.Contains(notice, "too short") || !strings.HasSuffix(notice, "the next refresh replaces them") {
		t.Errorf("notice = %q, want the unreadable cache named", notice)
	}
}
