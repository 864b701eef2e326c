package logs

import (
	"errors"
	"sync"

	"sitrep/sources/health"
)

var errNilRing = errors.New("follow: no ring to write into")

// Ring keeps the last Cap() lines appended to it. It is safe for one or more
// writers (the follow goroutines) and readers (the pane) at once. When full,
// each new line evicts the oldest, which is counted as dropped. Make one
// with NewRing; the zero Ring holds nothing and drops every line.
type Ring struct {
	mu    sync.Mutex
	buf   []Line
	start int    // index of the oldest line in buf
	n     int    // lines held
	total uint64 // lines ever appended
	// statuses are the followed sources' own states, in the order they
	// were first set: a source's failure is said here, never as a line.
	statuses []health.Status
}

// SetStatus records how a followed source fares, replacing what it said
// before (sources are told apart by Status.Source).
func (r *Ring) SetStatus(st health.Status) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range r.statuses {
		if r.statuses[i].Source == st.Source {
			r.statuses[i] = st
			return
		}
	}
	r.statuses = append(r.statuses, st)
}

// DropSource removes the lines held from source, keeping the others in
// order: a command that failed takes back what it wrote to stderr, which
// was its complaint and not the service's output. It costs a pass over the
// ring; it is for rare events.
func (r *Ring) DropSource(source string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := len(r.buf)
	if c == 0 || r.n == 0 {
		return
	}
	kept := make([]Line, 0, r.n)
	for i := range r.n {
		if l := r.buf[(r.start+i)%c]; l.Source != source {
			kept = append(kept, l)
		}
	}
	clear(r.buf)
	copy(r.buf, kept)
	r.start, r.n = 0, len(kept)
}

// Statuses returns a copy of the followed sources' states.
func (r *Ring) Statuses() []health.Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]health.Status(nil), r.statuses...)
}

// NewRing returns a ring that holds up to capacity lines; a capacity below
// 1 is taken as 1.
func NewRing(capacity int) *Ring {
	if capacity < 1 {
		capacity = 1
	}
	return &Ring{buf: make([]Line, capacity)}
}

// Cap is the number of lines the ring holds when full.
func (r *Ring) Cap() int { return len(r.buf) }

// Append adds lines in order, evicting the oldest when full.
func (r *Ring) Append(lines ...Line) {
	if len(lines) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.total += uint64(len(lines))
	c := len(r.buf)
	if c == 0 {
		return
	}
	if len(lines) >= c {
		// Only the last c survive; lay them out from the start.
		copy(r.buf, lines[len(lines)-c:])
		r.start, r.n = 0, c
		return
	}
	for _, l := range lines {
		if r.n < c {
			r.buf[(r.start+r.n)%c] = l
			r.n++
			continue
		}
		r.buf[r.start] = l
		r.start = (r.start + 1) % c
	}
}

// Snapshot returns a copy of the lines held, oldest first.
func (r *Ring) Snapshot() []Line {
	return r.Last(-1)
}

// Last returns a copy of the newest n lines, oldest first; n < 0 means all.
// The pane draws only what fits, so it asks for that many: the copy costs
// O(n), not O(Cap).
func (r *Ring) Last(n int) []Line {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n < 0 || n > r.n {
		n = r.n
	}
	out := make([]Line, n)
	if n == 0 {
		return out
	}
	c := len(r.buf)
	first := (r.start + r.n - n) % c
	k := copy(out, r.buf[first:min(first+n, c)])
	copy(out[k:], r.buf[:n-k])
	return out
}

// Total is the number of lines ever appended. It only grows, so the pane can
// compare it with the value at its last draw to know whether to redraw.
func (r *Ring) Total() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.total
}

// Dropped is the number of lines evicted to make room.
func (r *Ring) Dropped() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.total - uint64(r.n)
}

// Len is the number of lines held now.
func (r *Ring) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}
