// Package ttlcache keeps answers that change slowly (who is on call, which
// changes were made) for a lifetime, so that a second look within it asks
// the outside world nothing. It is bounded and safe for concurrent use.
package ttlcache

import (
	"sync"
	"time"
)

// Cache maps keys to values that expire. A nil *Cache is a cache that
// keeps nothing, so a caller can leave caching off by leaving it nil.
type Cache[K comparable, V any] struct {
	max int
	now func() time.Time

	mu sync.Mutex
	m  map[K]entry[V]
}

type entry[V any] struct {
	v       V
	expires time.Time
}

// New returns a cache holding at most size entries (at least 1), reading
// the time from now (nil means time.Now).
func New[K comparable, V any](size int, now func() time.Time) *Cache[K, V] {
	if now == nil {
		now = time.Now
	}
	return &Cache[K, V]{max: max(size, 1), now: now, m: map[K]entry[V]{}}
}

// Get returns k's value while it lives.
func (c *Cache[K, V]) Get(k K) (V, bool) {
	var zero V
	if c == nil {
		return zero, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok {
		return zero, false
	}
	if !c.now().Before(e.expires) {
		delete(c.m, k)
		return zero, false
	}
	return e.v, true
}

// Put keeps v for k until expires; an expiry not in the future keeps
// nothing (and drops what k held). When the cache is full, the expired
// entries go first, then the one that would expire soonest.
func (c *Cache[K, V]) Put(k K, v V, expires time.Time) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if !now.Before(expires) {
		delete(c.m, k)
		return
	}
	if _, ok := c.m[k]; !ok && len(c.m) >= c.max {
		for key, e := range c.m {
			if !now.Before(e.expires) {
				delete(c.m, key)
			}
		}
		for len(c.m) >= c.max {
			var (
				victim K
				first  time.Time
				found  bool
			)
			for key, e := range c.m {
				if !found || e.expires.Before(first) {
					victim, first, found = key, e.expires, true
				}
			}
			delete(c.m, victim)
		}
	}
	c.m[k] = entry[V]{v: v, expires: expires}
}

// Delete drops k.
func (c *Cache[K, V]) Delete(k K) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, k)
}

// Clear drops everything.
func (c *Cache[K, V]) Clear() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.m)
}

// Len is how many entries are held, expired ones included until they are
// read or pushed out.
func (c *Cache[K, V]) Len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
