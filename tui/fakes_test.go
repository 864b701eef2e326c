package tui

import (
	"context"
	"sync"
	"time"

	"sitrep/sources/pagerduty"
	"sitrep/store/journal"
)

// memoryRecorder is the journal boundary for model tests: it keeps what
// the cockpit records.
type memoryRecorder struct {
	mu      sync.Mutex
	entries []journal.Entry
}

func (r *memoryRecorder) Refreshed(context.Context, pagerduty.Scope, []pagerduty.Incident, time.Time) error {
	return nil
}

func (r *memoryRecorder) DetailSeen(context.Context, pagerduty.Detail) error { return nil }

func (r *memoryRecorder) Record(_ context.Context, e journal.Entry) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries = append(r.entries, e)
	return nil
}

func (r *memoryRecorder) Entries(context.Context, string) ([]journal.Entry, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]journal.Entry(nil), r.entries...), nil
}

func (r *memoryRecorder) Export(context.Context, string) (string, error) { return "", nil }

// kind is the entries of one kind.
func (r *memoryRecorder) kind(kind string) []journal.Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []journal.Entry
	for _, e := range r.entries {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// Backlog reports nothing waiting: the memory journal never refuses.
func (r *memoryRecorder) Backlog() (int, error) { return 0, nil }
