package world

import (
	"sync"
	"time"
)

// storyClock lets the storyline write history: while the world is built it
// stands at chosen moments in the past, so the emulator stamps the first
// incidents, acknowledgements and deploys minutes ago; then it runs with
// the world's clock (the wall clock, or a test's).
type storyClock struct {
	mu    sync.Mutex
	fixed time.Time        // zero: live
	base  func() time.Time // the live clock
}

func (c *storyClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.fixed.IsZero() {
		return c.fixed
	}
	if c.base != nil {
		return c.base().UTC()
	}
	return time.Now().UTC()
}

func (c *storyClock) set(t time.Time) {
	c.mu.Lock()
	c.fixed = t
	c.mu.Unlock()
}

func (c *storyClock) live() { c.set(time.Time{}) }
