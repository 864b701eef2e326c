package journal

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// When the disk refuses a commit (full, read-only, an I/O error), what the
// engineer did must not be lost: the entries wait in memory, in order, and
// are written as soon as the disk accepts them. Their hashes are computed
// when they are finally committed, so the chain stays intact. Entries that
// still wait when the journal closes are saved to a fallback file beside
// it (or, if that disk refuses too, in the temporary directory), and the
// next Open imports them.
//
// The backlog is bounded: past MaxWaiting entries a write is refused with
// ErrBacklogFull, which the caller shows.

// MaxWaiting bounds the entries that wait in memory for the disk.
const MaxWaiting = 10_000

// ErrBacklogFull is returned by AppendBatch when the disk has refused
// writes for so long that MaxWaiting entries already wait.
var ErrBacklogFull = errors.New("the journal's disk has refused writes and the in-memory backlog is full")

// backlogRetry is how often the waiting entries are tried again.
var backlogRetry = time.Second

// drainBatch bounds one commit of waiting entries, so a disk with a little
// room takes what fits instead of refusing one huge transaction.
const drainBatch = 256

type backlog struct {
	mu       sync.Mutex
	entries  []Entry // normalized, in append order
	sources  map[string]bool
	cause    error         // the disk's last refusal
	draining bool          // a retry is committing: new entries wait behind it
	retrying bool          // drainBacklog runs
	stop     chan struct{} // closed by Close: stop retrying
	done     chan struct{} // closed when drainBacklog returns
	closing  bool
}

// Backlog reports how many entries wait in memory for the disk, and the
// disk's last refusal. Zero means everything is on disk.
func (j *Journal) Backlog() (int, error) {
	b := &j.backlog
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.entries), b.cause
}

// storageFailure reports whether err is the disk refusing a commit, as
// opposed to a refusal that waiting would not cure.
func storageFailure(err error) bool {
	switch {
	case err == nil, errors.Is(err, ErrReadOnly), errors.Is(err, ErrClosed),
		errors.Is(err, ErrCorrupt), errors.Is(err, ErrInvalidEntry), errors.Is(err, ErrNewerSchema):
		return false
	}
	return true
}

// enqueue adds norm to the backlog when it is not empty (so order is kept)
// or when force says the disk just refused it. It reports whether the
// entries were taken.
func (j *Journal) enqueue(norm []Entry, cause error, force bool) (bool, error) {
	b := &j.backlog
	b.mu.Lock()
	defer b.mu.Unlock()
	if !force && len(b.entries) == 0 && !b.draining {
		return false, nil
	}
	if b.sources == nil {
		b.sources = map[string]bool{}
	}
	fresh := norm[:0:0]
	for _, e := range norm {
		if e.SourceID != "" {
			if b.sources[e.SourceID] {
				continue // PagerDuty's log, journaled again by a refresh
			}
			b.sources[e.SourceID] = true
		}
		fresh = append(fresh, e)
	}
	if len(b.entries)+len(fresh) > MaxWaiting {
		return true, fmt.Errorf("%w (%d entries wait for %s: %v); free space on that disk", ErrBacklogFull, len(b.entries), j.path, b.cause)
	}
	for i := range fresh {
		if fresh[i].At.IsZero() {
			// The event happened now, not when the disk comes back.
			fresh[i].At = j.now().UTC().Round(0)
		}
	}
	b.entries = append(b.entries, fresh...)
	if cause != nil {
		b.cause = cause
	}
	if !b.retrying && !b.closing {
		b.retrying = true
		b.stop, b.done = make(chan struct{}), make(chan struct{})
		go j.drainBacklog(b.stop, b.done)
	}
	return true, nil
}

// drainBacklog commits the waiting entries once the disk accepts them.
func (j *Journal) drainBacklog(stop, done chan struct{}) {
	b := &j.backlog
	defer close(done)
	for {
		b.mu.Lock()
		if len(b.entries) == 0 || b.closing {
			b.retrying, b.draining = false, false
			b.mu.Unlock()
			return
		}
		batch := b.entries[:min(len(b.entries), drainBatch)]
		b.draining = true
		b.mu.Unlock()

		_, err := j.commit(batch)

		b.mu.Lock()
		if err == nil {
			b.entries = b.entries[len(batch):]
			for _, e := range batch {
				delete(b.sources, e.SourceID)
			}
			if len(b.entries) == 0 {
				b.cause = nil
			}
			b.mu.Unlock()
			continue
		}
		b.cause = err
		b.draining = false
		b.mu.Unlock()
		select {
		case <-stop:
		case <-time.After(backlogRetry):
		}
	}
}

// closeBacklog stops the retries, tries once more to commit what waits,
// and saves what the disk still refuses to a fallback file.
func (j *Journal) closeBacklog() error {
	b := &j.backlog
	b.mu.Lock()
	b.closing = true
	stop, done := b.stop, b.done
	b.mu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
	for {
		b.mu.Lock()
		batch := b.entries[:min(len(b.entries), drainBatch)]
		b.mu.Unlock()
		if len(batch) == 0 {
			return nil
		}
		if _, err := j.commit(batch); err != nil {
			b.mu.Lock()
			b.cause = err
			b.mu.Unlock()
			return j.saveBacklog()
		}
		b.mu.Lock()
		b.entries = b.entries[len(batch):]
		b.mu.Unlock()
	}
}

// fallbackPaths are where waiting entries are saved on Close: beside the
// journal, and in the temporary directory when that disk refuses.
func fallbackPaths(path string) []string {
	h := fnv.New64a()
	h.Write([]byte(path))
	return []string{
		path + ".waiting",
		filepath.Join(os.TempDir(), fmt.Sprintf("sitrep-journal-%x.waiting", h.Sum64())),
	}
}

// saveBacklog writes what still waits to a fallback file, one JSON entry a
// line, and says where. It is called by Close after a last try to commit.
func (j *Journal) saveBacklog() error {
	b := &j.backlog
	b.mu.Lock()
	entries, cause := b.entries, b.cause
	b.entries = nil
	b.mu.Unlock()
	if len(entries) == 0 {
		return nil
	}
	var errs []error
	for _, p := range fallbackPaths(j.path) {
		err := appendJSONLines(p, entries)
		if err == nil {
			return fmt.Errorf("%d journal entries could not be written to %s (%v); they are saved in %s and the next sitrep imports them",
				len(entries), j.path, cause, p)
		}
		errs = append(errs, err)
	}
	// Neither disk takes them: the caller prints the error, so put the
	// entries themselves in it rather than lose them.
	var dump []byte
	for _, e := range entries {
		line, _ := json.Marshal(e)
		dump = append(append(dump, line...), '\n')
	}
	return fmt.Errorf("%d journal entries could not be written to %s (%v) nor saved (%v); here they are:\n%s",
		len(entries), j.path, cause, errors.Join(errs...), dump)
}

func appendJSONLines(path string, entries []Entry) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for _, e := range entries {
		if err := enc.Encode(e); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// importBacklog appends the entries an earlier sitrep saved on its way
// out, then removes the file. A file that cannot be imported stays for the
// next start; the returned error says so.
func (j *Journal) importBacklog() (int, error) {
	total := 0
	var errs []error
	for _, p := range fallbackPaths(j.path) {
		n, err := j.importFile(p)
		total += n
		if err != nil {
			errs = append(errs, err)
		}
	}
	return total, errors.Join(errs...)
}

func (j *Journal) importFile(p string) (int, error) {
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("import journal entries saved in %s: %w", p, err)
	}
	defer f.Close()
	var entries []Entry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 4*MaxData)
	line := 0
	for sc.Scan() {
		line++
		if len(sc.Bytes()) == 0 {
			continue
		}
		var e Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return 0, fmt.Errorf("import journal entries saved in %s: line %d: %v; fix or remove that line, then start sitrep again", p, line, err)
		}
		// The journal assigns these anew.
		e.Seq, e.Recorded, e.Prev, e.Hash = 0, time.Time{}, Hash{}, Hash{}
		entries = append(entries, e)
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("import journal entries saved in %s: %w", p, err)
	}
	if _, err := j.AppendBatch(entries); err != nil {
		return 0, fmt.Errorf("import journal entries saved in %s: %w (the file stays for the next start)", p, err)
	}
	// Had the disk refused them again, they wait in memory now and are
	// saved again on Close: either way the old file must go, or they
	// would be imported twice.
	if err := os.Remove(p); err != nil {
		return len(entries), fmt.Errorf("imported %d journal entries from %s but could not remove it: %w; remove it by hand so they are not imported twice", len(entries), p, err)
	}
	return len(entries), nil
}
