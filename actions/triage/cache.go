package triage

import "sync"

// Cache keeps each incident's classification for the version of the
// evidence it was computed from, so that drawing the list looks an answer
// up instead of classifying on every frame. The version is the caller's:
// the incident's Version (which changes with its status, urgency,
// assignees and alert counts) joined with anything else the evidence holds
// (a fetch time of its metrics, logs or changes). Safe for concurrent use.
type Cache struct {
	c *Classifier

	mu      sync.Mutex
	entries map[string]cacheEntry
	max     int
}

type cacheEntry struct {
	version string
	result  []Classification
}

// DefaultCacheSize bounds a Cache made with size 0: more incidents than a
// list holds open.
const DefaultCacheSize = 20000

// NewCache returns a cache in front of c holding at most size incidents
// (DefaultCacheSize when size is 0). When full, it starts afresh: a
// list re-classifies what it draws next, which is cheap, and memory stays
// bounded.
func NewCache(c *Classifier, size int) *Cache {
	if size <= 0 {
		size = DefaultCacheSize
	}
	return &Cache{c: c, entries: map[string]cacheEntry{}, max: size}
}

// Get returns the incident's classifications for version: from the cache
// when they were computed for that version, else classified from the
// evidence and kept. evidence is called only on a miss.
func (k *Cache) Get(incidentID, version string, evidence func() Evidence) []Classification {
	k.mu.Lock()
	if e, ok := k.entries[incidentID]; ok && e.version == version {
		k.mu.Unlock()
		return e.result
	}
	k.mu.Unlock()
	result := k.c.Classify(evidence())
	k.mu.Lock()
	if len(k.entries) >= k.max {
		clear(k.entries)
	}
	k.entries[incidentID] = cacheEntry{version: version, result: result}
	k.mu.Unlock()
	return result
}

// Peek returns what the cache holds for the incident at version, without
// classifying.
func (k *Cache) Peek(incidentID, version string) ([]Classification, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	e, ok := k.entries[incidentID]
	if !ok || e.version != version {
		return nil, false
	}
	return e.result, true
}

// Len is how many incidents the cache holds.
func (k *Cache) Len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.entries)
}
