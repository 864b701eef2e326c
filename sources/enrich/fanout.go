// Package enrich fetches everything known about an incident's service —
// metrics, logs, deploys — from all configured sources at once.
//
// Each source runs in its own goroutine under its own deadline, and its
// result is delivered the moment it is ready, so the TUI can turn each into
// its own message: a slow or dead source never delays another. Successful
// results are cached briefly, so flicking between incidents does not
// hammer the servers.
//
// Every result says how its source fared (Result.Statuses): a source made
// of several parts (three log files, git and PagerDuty) reports one status
// per part, so one part's failure is shown as that part's, never dropped
// because another part answered and never mistaken for the service's data.
package enrich

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"sitrep/sources/health"
)

// Defaults for a zero Fanout.
const (
	DefaultTimeout = 5 * time.Second
	DefaultTTL     = 15 * time.Second
)

// Target is what is being enriched.
type Target struct {
	IncidentID string
	Service    string
	Env        string
	Start      time.Time // when the incident started
}

// Source is one thing that can say something about a target. Fetch must
// honour ctx; one that does not is still cut off at its deadline, but its
// goroutine lives until it returns.
type Source interface {
	ID() string
	Fetch(ctx context.Context, t Target) (any, error)
}

// TimeoutSource is a Source with a deadline of its own instead of the
// Fanout's.
type TimeoutSource interface {
	Source
	Timeout() time.Duration
}

// Result is one source's answer. A cached Value is shared by every Result
// that carries it: treat it as read-only.
type Result struct {
	SourceID  string
	Target    Target
	Value     any
	Err       error
	FetchedAt time.Time     // when the value was fetched (the original fetch, for a cached one)
	Took      time.Duration // how long the fetch took
	FromCache bool
	// Statuses say how each part of the source fared, in the source's
	// order. A source that reports none gets one: ok, or its error.
	Statuses []health.Status
}

// Reported is what a Source's Fetch returns to say how each of its parts
// fared besides its value; the fan-out unwraps it into Result.Value and
// Result.Statuses. It may come with an error (every part failed), and its
// statuses are delivered then too.
type Reported struct {
	Value    any
	Statuses []health.Status
}

// SourceStatuses makes Reported a health.Reporter.
func (r Reported) SourceStatuses() []health.Status { return r.Statuses }

// DeadlineError is a source that gave no answer within its deadline.
type DeadlineError struct {
	SourceID string
	After    time.Duration // the deadline it had
}

func (e *DeadlineError) Error() string {
	return fmt.Sprintf("source %s gave no answer within %s", e.SourceID, e.After.Round(time.Millisecond))
}

// Timeout reports true, like the net package's timeouts.
func (e *DeadlineError) Timeout() bool { return true }

// PanicError is a source that panicked; the panic is contained.
type PanicError struct {
	SourceID string
	Value    any
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("source %s failed: panic: %v", e.SourceID, e.Value)
}

// Fanout runs sources concurrently. The zero value is ready to use with
// the defaults; it must not be copied after first use.
type Fanout struct {
	// Timeout is each source's deadline unless it is a TimeoutSource; zero
	// means DefaultTimeout.
	Timeout time.Duration
	// TTL is how long a successful result is served from the cache; zero
	// means DefaultTTL, negative disables the cache.
	TTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu    sync.Mutex
	cache map[cacheKey]cached
}

// cacheKey is a source and target, with the start as an instant so that
// the same moment in another location or with a monotonic reading is the
// same key.
type cacheKey struct {
	source, incident, service, env string
	start                          int64
}

func keyOf(id string, t Target) cacheKey {
	return cacheKey{source: id, incident: t.IncidentID, service: t.Service, env: t.Env, start: t.Start.UnixNano()}
}

type cached struct {
	value     any
	fetchedAt time.Time
	took      time.Duration
	statuses  []health.Status
}

// Fetch starts every source for t and returns a channel that delivers
// each result as soon as it is ready, then closes. The channel is buffered
// for all results, so a caller that stops reading leaks nothing.
// Cancelling ctx ends the fetches that are still running; each still
// delivers a result, carrying the context's error.
func (f *Fanout) Fetch(ctx context.Context, t Target, sources []Source) <-chan Result {
	out := make(chan Result, len(sources))
	// What is left of the caller's deadline, taken once so that every
	// source is measured from the same moment.
	callerLeft := time.Duration(-1)
	if d, ok := ctx.Deadline(); ok {
		callerLeft = max(time.Until(d), 0)
	}
	var wg sync.WaitGroup
	for _, src := range sources {
		if src == nil {
			continue
		}
		if r, ok := f.lookup(src.ID(), t); ok {
			out <- r
			continue
		}
		wg.Go(func() { out <- f.run(ctx, t, src, callerLeft) })
	}
	go func() {
		wg.Wait()
		close(out)
	}()
	return out
}

// run fetches from one source under its deadline. callerLeft is the time
// left of the caller's deadline, or negative when it has none.
func (f *Fanout) run(ctx context.Context, t Target, src Source, callerLeft time.Duration) Result {
	id := src.ID()
	timeout := f.timeout()
	if ts, ok := src.(TimeoutSource); ok && ts.Timeout() > 0 {
		timeout = ts.Timeout()
	}
	// Name the deadline that will actually cut the source off: the
	// caller's, when it comes first.
	if callerLeft >= 0 && callerLeft < timeout {
		timeout = callerLeft
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	type answer struct {
		v   any
		err error
	}
	// Buffered: a source that ignores its context can still finish and
	// exit after it has been cut off.
	done := make(chan answer, 1)
	started := f.now()
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- answer{err: &PanicError{SourceID: id, Value: p}}
			}
		}()
		v, err := src.Fetch(ctx, t)
		done <- answer{v, err}
	}()

	r := Result{SourceID: id, Target: t}
	select {
	case a := <-done:
		r.Value, r.Err = a.v, a.err
		if r.Err != nil && ctx.Err() == context.DeadlineExceeded {
			r.Err = fmt.Errorf("%w: %w", &DeadlineError{SourceID: id, After: timeout}, r.Err)
		}
	case <-ctx.Done():
		if ctx.Err() == context.DeadlineExceeded {
			r.Err = &DeadlineError{SourceID: id, After: timeout}
		} else {
			r.Err = fmt.Errorf("source %s: %w", id, ctx.Err())
		}
	}
	r.FetchedAt = f.now()
	r.Took = r.FetchedAt.Sub(started)
	r.Value, r.Statuses = unwrap(id, r.Value, r.Err, r.FetchedAt)
	if r.Err == nil {
		f.store(id, t, r)
	}
	return r
}

// unwrap splits a Reported value into the value and the statuses, and
// gives a source that reports none a status of its own.
func unwrap(id string, v any, err error, at time.Time) (any, []health.Status) {
	var statuses []health.Status
	switch rv := v.(type) {
	case Reported:
		v, statuses = rv.Value, rv.Statuses
	case *Reported:
		if rv != nil {
			v, statuses = rv.Value, rv.Statuses
		} else {
			v = nil
		}
	case health.Reporter:
		statuses = rv.SourceStatuses()
	}
	var de *DeadlineError
	switch {
	case err != nil && errors.As(err, &de):
		// Cut off as a whole: whatever its parts said before is not
		// what they would say now.
		statuses = []health.Status{health.Failed(id, err, at)}
	case len(statuses) > 0:
	case err != nil:
		statuses = []health.Status{health.Failed(id, err, at)}
	default:
		statuses = []health.Status{health.Ok(id, at)}
	}
	return v, statuses
}

func (f *Fanout) lookup(id string, t Target) (Result, bool) {
	if f.ttl() < 0 {
		return Result{}, false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.cache[keyOf(id, t)]
	if !ok || f.now().Sub(c.fetchedAt) >= f.ttl() {
		return Result{}, false
	}
	return Result{SourceID: id, Target: t, Value: c.value, FetchedAt: c.fetchedAt, Took: c.took, FromCache: true, Statuses: c.statuses}, true
}

func (f *Fanout) store(id string, t Target, r Result) {
	ttl := f.ttl()
	if ttl < 0 {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cache == nil {
		f.cache = map[cacheKey]cached{}
	}
	// Drop what has expired so the cache stays as small as the set of
	// incidents looked at within one TTL.
	now := f.now()
	for k, c := range f.cache {
		if now.Sub(c.fetchedAt) >= ttl {
			delete(f.cache, k)
		}
	}
	f.cache[keyOf(id, t)] = cached{value: r.Value, fetchedAt: r.FetchedAt, took: r.Took, statuses: r.Statuses}
}

// Forget drops every cached result for t, so the next Fetch asks the
// sources again (the user pressed refresh).
func (f *Fanout) Forget(t Target) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k := range f.cache {
		if k == keyOf(k.source, t) {
			delete(f.cache, k)
		}
	}
}

func (f *Fanout) timeout() time.Duration {
	if f.Timeout > 0 {
		return f.Timeout
	}
	return DefaultTimeout
}

func (f *Fanout) ttl() time.Duration {
	if f.TTL == 0 {
		return DefaultTTL
	}
	return f.TTL
}

func (f *Fanout) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}
