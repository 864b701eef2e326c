package main

import (
	"context"
	"errors"
	"strings"

	"sitrep/store/journal"
	"sitrep/store/recorder"
)

// startHead is the journal's head when this sitrep opened it for writing,
// before it could start any action: runs up to it that never ended were
// interrupted by an earlier sitrep's death. 0 when read-only, where
// another sitrep holds the journal and may be running them.
func startHead(j *journal.Journal) uint64 {
	if j.ReadOnly() {
		return 0
	}
	h, err := j.Head()
	if err != nil {
		return 0
	}
	return h.Seq
}

// markInterrupted journals the runs an earlier sitrep died during and
// returns the notice that tells the engineer, or "".
func (e *environment) markInterrupted(ctx context.Context) (string, error) {
	runs, err := recorder.MarkInterrupted(ctx, e.journal, e.startHead)
	return recorder.InterruptedNotice(runs), err
}

// joinChecks runs start-up checks one after the other and joins their
// notices, the first (the most urgent) first, and their errors: a check
// that fails says so even when another one found something.
func joinChecks(checks ...func(context.Context) (string, error)) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		var notices []string
		var errs []error
		for _, c := range checks {
			if c == nil {
				continue
			}
			n, err := c(ctx)
			if n != "" {
				notices = append(notices, n)
			}
			if err != nil {
				errs = append(errs, err)
			}
		}
		return strings.Join(notices, " · "), errors.Join(errs...)
	}
}
