package ttlcache_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"sitrep/sources/ttlcache"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestLifetime(t *testing.T) {
	clk := &clock{t: time.Date(2026, 1, 1, 3, 0, 0, 0, time.UTC)}
	c := ttlcache.New[string, int](4, clk.now)
	c.Put("a", 1, clk.now().Add(time.Minute))
	if v, ok := c.Get("a"); !ok || v != 1 {
		t.Fatalf("within its lifetime: got %d, %v; want 1, true", v, ok)
	}
	clk.add(59 * time.Second)
	if _, ok := c.Get("a"); !ok {
		t.Fatal("a second before expiry the value is gone")
	}
	clk.add(time.Second)
	if v, ok := c.Get("a"); ok {
		t.Fatalf("at expiry the value is still served: %d", v)
	}
	c.Put("b", 2, clk.now())
	if _, ok := c.Get("b"); ok {
		t.Fatal("a value that expires now was kept")
	}
	c.Put("c", 3, clk.now().Add(time.Minute))
	c.Put("c", 4, clk.now().Add(-time.Second))
	if _, ok := c.Get("c"); ok {
		t.Fatal("a put that expires at once must drop what the key held")
	}
}

func TestBounded(t *testing.T) {
	clk := &clock{t: time.Date(2026, 1, 1, 3, 0, 0, 0, time.UTC)}
	c := ttlcache.New[int, int](3, clk.now)
	for i := range 3 {
		c.Put(i, i, clk.now().Add(time.Duration(i+1)*time.Minute))
	}
	c.Put(10, 10, clk.now().Add(time.Hour))
	if n := c.Len(); n != 3 {
		t.Fatalf("Len = %d, want the bound 3", n)
	}
	if _, ok := c.Get(0); ok {
		t.Error("the entry expiring soonest should have made room")
	}
	for _, k := range []int{1, 2, 10} {
		if _, ok := c.Get(k); !ok {
			t.Errorf("entry %d was pushed out instead of the soonest to expire", k)
		}
	}
	// Expired entries make room before live ones.
	clk.add(2*time.Minute + time.Second) // 1 and 2 have expired
	c.Put(11, 11, clk.now().Add(time.Hour))
	c.Put(12, 12, clk.now().Add(time.Hour))
	for _, k := range []int{10, 11, 12} {
		if _, ok := c.Get(k); !ok {
			t.Errorf("live entry %d lost while expired ones were held", k)
		}
	}
	c.Delete(10)
	if _, ok := c.Get(10); ok {
		t.Error("Delete kept the entry")
	}
	c.Clear()
	if c.Len() != 0 {
		t.Error("Clear kept entries")
	}
}

func TestNilKeepsNothing(t *testing.T) {
	var c *ttlcache.Cache[string, string]
	c.Put("a", "b", time.Now().Add(time.Hour))
	if _, ok := c.Get("a"); ok || c.Len() != 0 {
		t.Fatal("a nil cache held a value")
	}
	c.Delete("a")
	c.Clear()
}

func TestConcurrent(t *testing.T) {
	c := ttlcache.New[string, int](16, nil)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				k := fmt.Sprint((g + i) % 40)
				c.Put(k, i, time.Now().Add(time.Minute))
				c.Get(k)
				if i%50 == 0 {
					c.Delete(k)
				}
			}
		})
	}
	wg.Wait()
	if n := c.Len(); n > 16 {
		t.Fatalf("Len = %d over the bound 16", n)
	}
}
