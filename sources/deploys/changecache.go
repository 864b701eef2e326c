package deploys

import (
	"slices"
	"sync"
	"time"

	"sitrep/sources/ttlcache"
)

// DefaultChangeLifetime is how long PagerDuty's change events are kept: a
// deploy made since shows within it.
const DefaultChangeLifetime = 2 * time.Minute

// maxCachedIncidents bounds the related change events kept.
const maxCachedIncidents = 256

// ChangeCache keeps PagerDuty's change events for a lifetime, shared by
// every incident looked at: the account-wide list is read once per window
// for all of them (each keeps its own service and time range), and an
// incident's related events once per lifetime. A failed read forgets what
// was kept, so an old answer is never served as current after PagerDuty
// failed; Forget is a manual refresh. The zero value is ready to use and
// safe for concurrent use; it must not be copied after first use.
type ChangeCache struct {
	// Lifetime is how long an answer is served; zero means
	// DefaultChangeLifetime.
	Lifetime time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	once    sync.Once
	related *ttlcache.Cache[string, []Change]

	mu     sync.Mutex
	window *accountWindow
}

// accountWindow is one complete read of the account's change events.
type accountWindow struct {
	since, until time.Time // as asked; zero is unbounded
	expires      time.Time
	events       []changeEvent
}

func (c *ChangeCache) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *ChangeCache) lifetime() time.Duration {
	if c.Lifetime > 0 {
		return c.Lifetime
	}
	return DefaultChangeLifetime
}

func (c *ChangeCache) relatedCache() *ttlcache.Cache[string, []Change] {
	c.once.Do(func() { c.related = ttlcache.New[string, []Change](maxCachedIncidents, c.now) })
	return c.related
}

func (c *ChangeCache) relatedGet(incidentID string) ([]Change, bool) {
	if c == nil {
		return nil, false
	}
	cs, ok := c.relatedCache().Get(incidentID)
	return slices.Clone(cs), ok
}

func (c *ChangeCache) relatedPut(incidentID string, cs []Change) {
	if c == nil {
		return
	}
	c.relatedCache().Put(incidentID, slices.Clone(cs), c.now().Add(c.lifetime()))
}

func (c *ChangeCache) relatedForget(incidentID string) {
	if c == nil {
		return
	}
	c.relatedCache().Delete(incidentID)
}

// account returns the kept events when they cover [since, until]: read
// for a window that starts no later, and no longer ago than the lifetime.
func (c *ChangeCache) account(since, until time.Time) ([]changeEvent, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.window
	if w == nil || !c.now().Before(w.expires) {
		return nil, false
	}
	sinceCovered := w.since.IsZero() || !since.IsZero() && !since.Before(w.since)
	untilCovered := w.until.IsZero() || !until.IsZero() && !until.After(w.until.Add(c.lifetime()))
	if !sinceCovered || !untilCovered {
		return nil, false
	}
	return w.events, true
}

// widen is where a read starting at since should start so that it also
// covers the window still kept: the incidents looked at a moment ago are
// served by the same read.
func (c *ChangeCache) widen(since time.Time) time.Time {
	if c == nil || since.IsZero() {
		return since
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.window
	if w == nil || !c.now().Before(w.expires) || !w.since.Before(since) {
		return since
	}
	return w.since
}

func (c *ChangeCache) accountPut(since, until time.Time, events []changeEvent) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.window = &accountWindow{since: since, until: until, expires: c.now().Add(c.lifetime()), events: events}
}

func (c *ChangeCache) accountForget() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.window = nil
}

// Forget drops what is kept for an incident and the account-wide list, so
// the next look asks PagerDuty again (the engineer pressed refresh).
func (c *ChangeCache) Forget(incidentID string) {
	c.relatedForget(incidentID)
	c.accountForget()
}

// within keeps the events in [since, until] (zero bounds are open). An
// event whose timestamp does not parse is kept: the read it came from was
// for this window or a wider one, and it still says something changed.
func within(events []changeEvent, since, until time.Time) []changeEvent {
	// The API reads since to the second; so does this.
	since = since.Truncate(time.Second)
	var out []changeEvent
	for _, ev := range events {
		if t, err := time.Parse(time.RFC3339, ev.Timestamp); err == nil {
			if !since.IsZero() && t.Before(since) || !until.IsZero() && t.After(until) {
				continue
			}
		}
		out = append(out, ev)
	}
	return out
}
