package journal

import (
	"errors"
	"sync"
)

// Writer appends entries in the background so that a caller never waits
// on the disk. Entries queued while a commit is in flight are written
// together in the next one (group commit), so a burst of enrichment
// snapshots costs one fsync, not one each. Order is kept.
type Writer struct {
	j       *Journal
	onError func([]Entry, error)

	mu     sync.Mutex
	cond   *sync.Cond
	queue  []Entry
	max    int
	busy   bool
	closed bool
	done   chan struct{}
}

// ErrQueueFull is returned by Writer.Append when the queue is at its bound.
var ErrQueueFull = errors.New("journal writer queue is full")

// ErrWriterClosed is returned by Writer.Append after Close.
var ErrWriterClosed = errors.New("journal writer is closed")

// NewWriter starts a background writer for j holding at most maxQueue
// waiting entries (0 means 10,000). onError, if not nil, is called from the
// writer's goroutine with the entries of a failed commit; duplicates are
// not failures.
func NewWriter(j *Journal, maxQueue int, onError func([]Entry, error)) *Writer {
	if maxQueue <= 0 {
		maxQueue = 10_000
	}
	w := &Writer{j: j, onError: onError, max: maxQueue, done: make(chan struct{})}
	w.cond = sync.NewCond(&w.mu)
	go w.run()
	return w
}

// Append queues e and returns at once. It fails only when the queue is
// full (the disk is far behind) or the writer is closed.
func (w *Writer) Append(e Entry) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrWriterClosed
	}
	if len(w.queue) >= w.max {
		return ErrQueueFull
	}
	w.queue = append(w.queue, e)
	w.cond.Broadcast()
	return nil
}

// Flush waits until every entry queued before it is committed.
func (w *Writer) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for len(w.queue) > 0 || w.busy {
		w.cond.Wait()
	}
}

// Close flushes the queue and stops the writer. It does not close the
// journal.
func (w *Writer) Close() {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		w.cond.Broadcast()
	}
	w.mu.Unlock()
	<-w.done
}

func (w *Writer) run() {
	defer close(w.done)
	for {
		w.mu.Lock()
		for len(w.queue) == 0 && !w.closed {
			w.cond.Wait()
		}
		if len(w.queue) == 0 && w.closed {
			w.mu.Unlock()
			return
		}
		batch := w.queue
		w.queue = nil
		w.busy = true
		w.mu.Unlock()

		w.write(batch)

		w.mu.Lock()
		w.busy = false
		w.cond.Broadcast()
		w.mu.Unlock()
	}
}

// write commits batch. One invalid entry must not cost the others, so a
// batch refused for an invalid entry is retried entry by entry.
func (w *Writer) write(batch []Entry) {
	_, err := w.j.AppendBatch(batch)
	if err == nil {
		return
	}
	if errors.Is(err, ErrInvalidEntry) && len(batch) > 1 {
		for _, e := range batch {
			w.write([]Entry{e})
		}
		return
	}
	if w.onError != nil {
		w.onError(batch, err)
	}
}
