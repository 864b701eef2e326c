package logs

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Background keeps log commands running between fetches, so that a command
// that never ends (kubectl logs -f, journalctl -f, tail -F) has lines to
// show whenever the pane asks, following or paused, instead of holding a
// fetch until its deadline.
//
// A command given a Background runs as one process at most, however many
// fetches and follows ask for it, feeding a ring of its own:
//
//   - Follow holds the command: it starts it if it is not running, copies
//     what it has printed so far and then every new line into the
//     follower's ring, and lets go when its context ends.
//   - Fetch reads the ring of a held command at once. A command nobody
//     holds is run as before, to its end or the fetch's deadline, so a
//     one-shot command (kubectl logs --tail=300) answers every fetch anew.
//   - When the last holder lets go, the command's process group is
//     stopped (SIGTERM, then SIGKILL after its grace), and Follow returns
//     only once it is gone. A command that ends by itself is forgotten:
//     the next fetch or follow runs it again.
//
// So a background command lives exactly as long as someone follows it;
// the Logs pane follows the selected incident's sources while its detail
// is on screen (see the tui package), and sitrep's exit ends every follow.
// The zero Background is ready to use; share one for all commands.
type Background struct {
	mu   sync.Mutex
	runs map[string]*bgRun
}

// backgroundRing is how many lines a background command keeps for fetches.
const backgroundRing = 2000

// DefaultSettle is how long a fetch of a command that is held waits for it
// to finish before answering with what it has printed so far: long enough
// for a kubectl logs -f to print its backlog.
const DefaultSettle = time.Second

// bgRun is one running process of a command.
type bgRun struct {
	ring   *Ring
	cancel context.CancelFunc
	done   chan struct{} // closed when the process group is gone
	err    error         // how it ended; read after done

	// Guarded by Background.mu.
	holds   int  // follows attached
	waiters int  // fetches waiting on it
	ending  bool // stopping or finished: not to be joined

	sinkMu sync.Mutex
	sinks  map[*Ring]bool
}

func (c Command) key() string {
	return strings.Join(c.Argv, "\x00") + "\x01" + c.Dir + "\x01" + strings.Join(c.Env, "\x00") + "\x01" + c.Source
}

// join returns the live run of c, starting one if there is none. A run
// that is ending is waited for first, so that two processes of one
// command never overlap.
func (b *Background) join(c Command, follow bool) *bgRun {
	key := c.key()
	for {
		b.mu.Lock()
		r := b.runs[key]
		if r != nil && r.ending {
			b.mu.Unlock()
			<-r.done
			continue
		}
		if r == nil {
			r = b.start(key, c)
		}
		if follow {
			r.holds++
		} else {
			r.waiters++
		}
		b.mu.Unlock()
		return r
	}
}

// start runs c in the background; b.mu is held.
func (b *Background) start(key string, c Command) *bgRun {
	ctx, cancel := context.WithCancel(context.Background())
	r := &bgRun{ring: NewRing(backgroundRing), cancel: cancel, done: make(chan struct{}), sinks: map[*Ring]bool{}}
	if b.runs == nil {
		b.runs = map[string]*bgRun{}
	}
	b.runs[key] = r
	emit := c.emitTo(r)
	go func() {
		err := c.proc().run(ctx, emit)
		b.mu.Lock()
		r.err, r.ending = err, true
		if b.runs[key] == r {
			delete(b.runs, key)
		}
		b.mu.Unlock()
		cancel()
		close(r.done)
	}()
	return r
}

// Append makes a run the emitter's target: its own ring and every
// follower's get each line.
func (r *bgRun) Append(lines ...Line) {
	r.sinkMu.Lock()
	defer r.sinkMu.Unlock()
	r.ring.Append(lines...)
	for s := range r.sinks {
		s.Append(lines...)
	}
}

// attach copies what the run has so far into ring and adds ring to its
// sinks, under one lock so that no line is missed or doubled.
func (r *bgRun) attach(ring *Ring) {
	r.sinkMu.Lock()
	defer r.sinkMu.Unlock()
	ring.Append(r.ring.Snapshot()...)
	r.sinks[ring] = true
}

func (r *bgRun) detach(ring *Ring) {
	r.sinkMu.Lock()
	defer r.sinkMu.Unlock()
	delete(r.sinks, ring)
}

// release lets go of r (a follow when follow is true, else a fetch) and
// stops it when nobody is left; it reports whether it stopped it.
func (b *Background) release(r *bgRun, follow bool) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if follow {
		r.holds--
	} else {
		r.waiters--
	}
	if r.holds > 0 || r.waiters > 0 || r.ending {
		return false
	}
	r.ending = true
	r.cancel()
	return true
}

func (b *Background) held(r *bgRun) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return r.holds > 0
}

// follow is Command.Follow through b.
func (b *Background) follow(ctx context.Context, c Command, ring *Ring) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", c.proc().name(), context.Cause(ctx))
	}
	r := b.join(c, true)
	r.attach(ring)
	defer r.detach(ring)
	select {
	case <-r.done:
		b.release(r, true)
		return r.err
	case <-ctx.Done():
	}
	if b.release(r, true) {
		<-r.done // the last one out waits for the process group to be gone
	}
	return fmt.Errorf("%s: %w", c.proc().name(), context.Cause(ctx))
}

// settlePoll is how often a fetch looks whether its command has a holder.
const settlePoll = 50 * time.Millisecond

// fetch is Command.Fetch through b.
func (b *Background) fetch(ctx context.Context, c Command, n int) ([]Line, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", c.proc().name(), context.Cause(ctx))
	}
	r := b.join(c, false)
	settled := time.NewTimer(DefaultSettle)
	defer settled.Stop()
	poll := time.NewTicker(settlePoll)
	defer poll.Stop()
	settling := true
	for {
		select {
		case <-r.done:
			b.release(r, false)
			return r.ring.Last(fetchCap(n)), r.err
		case <-ctx.Done():
			if b.held(r) {
				b.release(r, false)
				return r.ring.Last(fetchCap(n)), nil
			}
			if b.release(r, false) {
				<-r.done
			}
			return r.ring.Last(fetchCap(n)), fmt.Errorf("%s: %w", c.proc().name(), context.Cause(ctx))
		case <-settled.C:
			settling = false
		case <-poll.C:
		}
		// A held command may run for ever: answer with what it has
		// printed once it has had a moment to print its backlog.
		if !settling && b.held(r) {
			b.release(r, false)
			return r.ring.Last(fetchCap(n)), nil
		}
	}
}

// Close stops every background command and waits for them to be gone.
func (b *Background) Close() {
	b.mu.Lock()
	var runs []*bgRun
	for _, r := range b.runs {
		r.ending = true
		r.cancel()
		runs = append(runs, r)
	}
	b.mu.Unlock()
	for _, r := range runs {
		<-r.done
	}
}
