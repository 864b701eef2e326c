// Package journal is sitrep's local record of everything that happened
// during an incident, and its cache of the last-known incident list.
//
// The journal is one bbolt file. Every entry gets the next sequence number
// and is hash-chained to the entry before it, so `sitrep journal verify`
// proves nothing was altered or removed. Entries are indexed by incident,
// and entries carrying a SourceID are written at most once, which lets
// PagerDuty's log entries be journaled on every refresh without duplicates.
//
// Layout (schema 1):
//
//	meta          schema (uint32), head_seq (uint64), head_hash (32 bytes)
//	entries       seq (8-byte big-endian) → Canonical(entry) ‖ Hash
//	incidents     incident ID → nested bucket: seq → (empty)
//	summaries     incident ID → count, first At, last At (see summary.go)
//	sources       SourceID → seq
//	cache         scope → saved-at (8 bytes, unix ns) ‖ JSON []pagerduty.Incident
//
// The head (last seq and its hash) lives in meta so opening a journal of a
// million entries reads a handful of pages, and Verify can tell a removed
// tail entry from an intact chain.
package journal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// SchemaVersion is the journal layout this sitrep writes and reads.
const SchemaVersion = 1

// DefaultLockTimeout is how long Open waits for another process's lock
// before it gives up and says who holds it.
const DefaultLockTimeout = 500 * time.Millisecond

var (
	bucketMeta      = []byte("meta")
	bucketEntries   = []byte("entries")
	bucketIncidents = []byte("incidents")
	bucketSummaries = []byte("summaries")
	bucketSources   = []byte("sources")
	bucketCache     = []byte("cache")

	keySchema   = []byte("schema")
	keyHeadSeq  = []byte("head_seq")
	keyHeadHash = []byte("head_hash")
)

// Errors callers test for with errors.Is.
var (
	// ErrReadOnly is returned by every write on a journal opened ReadOnly.
	ErrReadOnly = errors.New("journal is open read-only")
	// ErrLocked means another process has the journal open.
	ErrLocked = errors.New("journal is in use by another process")
	// ErrNewerSchema means the file was written by a newer sitrep.
	ErrNewerSchema = errors.New("journal was written by a newer sitrep")
	// ErrCorrupt means the file could not be read as a journal.
	ErrCorrupt = errors.New("journal file is damaged")
	// ErrNotExist means a read-only open found no journal file.
	ErrNotExist = errors.New("journal does not exist")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("journal is closed")
	// ErrBusy means a read-only open beside a writer could not take a
	// consistent snapshot: the writer committed during every copy.
	ErrBusy = errors.New("the journal is busy; try again")
	// ErrDuplicate is returned by Append when an entry with the same
	// SourceID is already journaled; the returned entry is that one.
	ErrDuplicate = errors.New("duplicate journal entry")
)

// Options tune Open.
type Options struct {
	// ReadOnly opens the journal for reading only; every write returns
	// ErrReadOnly. Any number of read-only opens can share the file, but
	// not with a writer (bbolt locks the whole file).
	ReadOnly bool
	// LockTimeout bounds the wait for another process's lock;
	// zero means DefaultLockTimeout.
	LockTimeout time.Duration
	// Now stamps entries' Recorded time; nil means time.Now. Tests set it.
	Now func() time.Time
}

// Journal is an open journal file. Its methods are safe for concurrent use.
type Journal struct {
	path     string
	readOnly bool
	now      func() time.Time

	mu       sync.RWMutex // guards db against Close
	db       *bolt.DB
	owner    string // path of the owner sidecar this process wrote
	snapshot string // the copy a read-only open reads while another writes
	closed   bool

	gateMu sync.Mutex // one commit at a time through the gate
	gate   *gate      // lets readers copy between commits; nil for readers

	backlog   backlog // entries waiting for a disk that refused them
	imported  int     // entries imported at Open from a fallback file
	importErr error
}

// DefaultPath returns $XDG_DATA_HOME/sitrep/journal.db, or
// ~/.local/share/sitrep/journal.db when XDG_DATA_HOME is unset or not
// absolute (as the XDG spec asks).
func DefaultPath() (string, error) {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "sitrep", "journal.db"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the journal: no XDG_DATA_HOME and no home directory: %w", err)
	}
	return filepath.Join(home, ".local", "share", "sitrep", "journal.db"), nil
}

// Open opens the journal at path, creating it (and its directory, mode
// 0700) unless opts.ReadOnly. It never waits more than the lock timeout: if
// another process holds the file the error wraps ErrLocked and names it.
func Open(path string, opts Options) (*Journal, error) {
	if path == "" {
		return nil, errors.New("open journal: empty path")
	}
	if err := checkFile(path); err != nil {
		return nil, err
	}
	timeout := opts.LockTimeout
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	j := &Journal{path: path, readOnly: opts.ReadOnly, now: opts.Now}
	if j.now == nil {
		j.now = time.Now
	}
	if opts.ReadOnly {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s (nothing has been journaled yet)", ErrNotExist, path)
		}
	} else if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create journal directory: %w", err)
	}

	var db *bolt.DB
	before := fdsOn(path)
	err := guard(path, func() error {
		var err error
		db, err = bolt.Open(path, 0o600, &bolt.Options{
			Timeout:  timeout,
			ReadOnly: opts.ReadOnly,
			// Append-only keys: no need for the hashmap freelist's tricks,
			// but it keeps commits fast as the file grows.
			FreelistType: bolt.FreelistMapType,
		})
		return err
	})
	if db == nil && errors.Is(err, ErrCorrupt) {
		unlockStranded(path, before) // bbolt panicked holding the lock
	}
	if err != nil && opts.ReadOnly && errors.Is(err, bolterrors.ErrTimeout) {
		// A running sitrep holds the file: read a snapshot of it instead,
		// so looking never stops the writer (it holds the writer's commits
		// for one copy at most, see gate) and never waits long for it.
		var snapErr error
		db, j.snapshot, snapErr = openSnapshot(path)
		switch {
		case snapErr == nil:
			err = nil
		case errors.Is(snapErr, ErrBusy):
			err = snapErr
		}
	}
	if err != nil {
		if db != nil {
			_ = db.Close()
		}
		return nil, openError(path, opts.ReadOnly, err)
	}
	j.db = db
	if !opts.ReadOnly {
		// A journal holds what responders did; keep it theirs alone.
		_ = os.Chmod(path, 0o600)
		j.owner = writeOwner(path)
		j.gate = openGate(path, true)
	}
	if err := j.checkSchema(); err != nil {
		_ = j.Close()
		return nil, err
	}
	if !opts.ReadOnly {
		j.imported, j.importErr = j.importBacklog()
	}
	return j, nil
}

// Imported reports the entries this Open imported from a fallback file
// that an earlier sitrep saved when its disk refused them, and an import
// that failed (the file then stays for the next start).
func (j *Journal) Imported() (int, error) { return j.imported, j.importErr }

func openError(path string, readOnly bool, err error) error {
	switch {
	case errors.Is(err, bolterrors.ErrTimeout):
		return lockedError(path, readOnly)
	case errors.Is(err, ErrCorrupt), errors.Is(err, ErrBusy):
		return err
	case errors.Is(err, bolterrors.ErrInvalid), errors.Is(err, bolterrors.ErrChecksum),
		errors.Is(err, bolterrors.ErrVersionMismatch), errors.Is(err, bolterrors.ErrInvalidMapping):
		return corruptError(path, err)
	case errors.Is(err, os.ErrPermission):
		return fmt.Errorf("open journal %s: %w (check the file's owner and mode; it should be 0600 and yours)", path, err)
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("open journal %s: %w", path, err)
	}
	var pathErr *os.PathError
	if fi, statErr := os.Stat(path); statErr == nil && fi.Mode().IsRegular() && fi.Size() > 0 && !errors.As(err, &pathErr) {
		// bbolt read the file and did not like it (too small, bad page
		// size, ...): that is damage, not an I/O problem.
		return corruptError(path, err)
	}
	return fmt.Errorf("open journal %s: %w", path, err)
}

// corruptError is the one message every command and the cockpit give for
// a journal that cannot be read (see fileerror.go).
func corruptError(path string, err error) error {
	return &FileError{Path: path, Problem: "is damaged: " + plainCause(err), Aside: ".damaged", Err: err}
}

// guard runs fn, turning a panic or a memory fault (bbolt reads pages
// straight from the memory map, and a damaged or truncated file can make
// it panic or fault) into an ErrCorrupt error naming the file.
func guard(path string, fn func() error) (err error) {
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if r := recover(); r != nil {
			err = corruptError(path, pageFault{r})
		}
	}()
	return fn()
}

// checkSchema creates the meta bucket in a new file and refuses files from
// a newer sitrep or that are not journals.
func (j *Journal) checkSchema() error {
	var version uint64
	var foreign bool
	err := guard(j.path, func() error {
		return j.db.View(func(tx *bolt.Tx) error {
			m := tx.Bucket(bucketMeta)
			if m == nil {
				if k, _ := tx.Cursor().First(); k != nil {
					foreign = true
				}
				return nil
			}
			v := m.Get(keySchema)
			if len(v) != 4 {
				return corruptError(j.path, errors.New("meta bucket has no schema version"))
			}
			version = uint64(v[0])<<24 | uint64(v[1])<<16 | uint64(v[2])<<8 | uint64(v[3])
			return nil
		})
	})
	if err != nil {
		return err
	}
	switch {
	case foreign:
		return fmt.Errorf("open journal %s: the file is a bbolt database but not a sitrep journal; use --journal to pick another file", j.path)
	case version > SchemaVersion:
		return fmt.Errorf("%w: journal %s was written by a newer sitrep (schema %d); upgrade sitrep or use --journal to pick another file",
			ErrNewerSchema, j.path, version)
	case version == 0 && j.readOnly:
		return fmt.Errorf("%w: %s is empty (nothing has been journaled yet)", ErrNotExist, j.path)
	case version == 0:
		return j.init()
	}
	return nil
}

func (j *Journal) init() error {
	return guard(j.path, func() error {
		return j.db.Update(func(tx *bolt.Tx) error {
			m, err := tx.CreateBucketIfNotExists(bucketMeta)
			if err != nil {
				return err
			}
			for _, name := range [][]byte{bucketEntries, bucketIncidents, bucketSummaries, bucketSources, bucketCache} {
				if _, err := tx.CreateBucketIfNotExists(name); err != nil {
					return err
				}
			}
			if err := m.Put(keySchema, []byte{0, 0, 0, SchemaVersion}); err != nil {
				return err
			}
			return putHead(m, 0, Hash{})
		})
	})
}

// Path returns the journal file's path.
func (j *Journal) Path() string { return j.path }

// ReadOnly reports whether the journal was opened read-only.
func (j *Journal) ReadOnly() bool { return j.readOnly }

// Close closes the journal. It is safe to call more than once.
//
// Entries that still wait for a disk that refused them (see Backlog) are
// tried once more, then saved to a fallback file that the next Open
// imports; the error then says where they are.
func (j *Journal) Close() error {
	var saved error
	if !j.readOnly {
		saved = j.closeBacklog()
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return saved
	}
	j.closed = true
	if j.owner != "" {
		removeOwner(j.owner)
	}
	err := errors.Join(saved, j.db.Close())
	// The gate's files stay: a reader may hold them, and a new file would
	// not share its locks.
	j.gate.close()
	if j.snapshot != "" {
		_ = os.Remove(j.snapshot)
	}
	return err
}

// Snapshot reports whether the journal is a read-only snapshot taken
// while another process was writing it: it shows the journal as it was
// when it was opened.
func (j *Journal) Snapshot() bool { return j.snapshot != "" }

// Snapshot retries: a copy is retaken while the writer keeps committing
// during it, a few times with a short, growing pause, before Open gives up
// with ErrBusy.
const (
	snapshotAttempts = 5
	snapshotBackoff  = 20 * time.Millisecond
)

// staleSnapshotAge is how old a snapshot file left by a crashed reader
// must be before a later open removes it.
const staleSnapshotAge = 24 * time.Hour

// openSnapshot copies a journal another process is writing and opens the
// copy read-only.
//
// bbolt writes a commit's pages, then the meta page that points at them,
// and only reuses a page two commits after it was freed. So a copy taken
// while neither meta page changed holds a whole tree: the highest txid is
// read from both meta pages before and after the copy, and the copy is
// taken again whenever it moved.
//
// The writer's commits are held at the gate during each copy, so even a
// writer that commits back to back lets a copy through; the txid check
// still decides, since the gate is best effort (an older sitrep, or a
// writer that did not wait for a slow copy).
func openSnapshot(path string) (*bolt.DB, string, error) {
	removeStaleSnapshots(path)
	g := openGate(path, false)
	defer g.close()
	var lastErr error
	for attempt := range snapshotAttempts {
		if attempt > 0 {
			time.Sleep(snapshotBackoff * time.Duration(attempt))
		}
		release := g.holdCommits()
		tmp, stable, err := copyStable(path)
		release()
		if err != nil {
			return nil, "", err
		}
		if !stable {
			_ = os.Remove(tmp)
			lastErr = errSnapshotMoved
			continue
		}
		var db *bolt.DB
		err = guard(path, func() error {
			var err error
			db, err = bolt.Open(tmp, 0o600, &bolt.Options{Timeout: time.Second, ReadOnly: true})
			if err != nil {
				return err
			}
			return db.View(func(tx *bolt.Tx) error {
				if tx.Bucket(bucketMeta) == nil {
					return errors.New("snapshot has no meta bucket")
				}
				return nil
			})
		})
		if err == nil {
			return db, tmp, nil
		}
		if db != nil {
			_ = db.Close()
		}
		_ = os.Remove(tmp)
		lastErr = err
	}
	if errors.Is(lastErr, errSnapshotMoved) {
		return nil, "", fmt.Errorf("%w: %s: another sitrep committed during each of %d snapshots",
			ErrBusy, path, snapshotAttempts)
	}
	return nil, "", fmt.Errorf("snapshot of %s: %w", path, lastErr)
}

var errSnapshotMoved = errors.New("the journal changed while it was copied")

// copyStable copies path into a snapshot file beside it and reports
// whether no commit landed during the copy.
func copyStable(path string) (tmp string, stable bool, err error) {
	src, err := os.Open(path)
	if err != nil {
		return "", false, err
	}
	defer src.Close()
	before, err := highestTxid(src)
	if err != nil {
		return "", false, fmt.Errorf("snapshot of %s: %w", path, err)
	}
	dst, err := os.CreateTemp(filepath.Dir(path), snapshotPrefix(path)+"*")
	if err != nil {
		return "", false, fmt.Errorf("snapshot of %s: %w", path, err)
	}
	// From offset 0 (ReadAt above leaves it there), so the kernel copies.
	_, err = io.Copy(dst, src)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	var after uint64
	if err == nil {
		after, err = highestTxid(src)
	}
	if err != nil {
		_ = os.Remove(dst.Name())
		return "", false, fmt.Errorf("snapshot of %s: %w", path, err)
	}
	return dst.Name(), before == after, nil
}

// snapshotPrefix names snapshot files: hidden, beside the journal (whose
// directory is the user's own, 0700), and recognisable as stale later.
func snapshotPrefix(path string) string {
	return "." + filepath.Base(path) + ".snapshot-"
}

// removeStaleSnapshots removes snapshot files a crashed reader left.
func removeStaleSnapshots(path string) {
	old, _ := filepath.Glob(filepath.Join(filepath.Dir(path), globEscape(snapshotPrefix(path))+"*"))
	for _, p := range old {
		if fi, err := os.Lstat(p); err == nil && fi.Mode().IsRegular() && time.Since(fi.ModTime()) > staleSnapshotAge {
			_ = os.Remove(p)
		}
	}
}

func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// bbolt v1.5.0's on-disk meta (go.etcd.io/bbolt/internal/common): pages 0
// and 1 each hold a 16-byte page header, then the meta: magic (uint32),
// version, page size, flags (uint32 each), root bucket (16 bytes),
// freelist, pgid, txid (8 bytes each), checksum (FNV-64a of the bytes
// before it), all in the machine's byte order.
const (
	boltMagic          = 0xED0CDAED
	boltMetaOffset     = 16
	boltPageSizeOffset = boltMetaOffset + 8
	boltTxidOffset     = boltMetaOffset + 48
	boltChecksumOffset = boltMetaOffset + 56
	boltMetaEnd        = boltChecksumOffset + 8
)

// highestTxid returns the highest txid of f's valid meta pages.
func highestTxid(f *os.File) (uint64, error) {
	first := make([]byte, boltMetaEnd)
	if _, err := f.ReadAt(first, 0); err != nil {
		return 0, fmt.Errorf("read meta page 0: %w", err)
	}
	var best uint64
	found := false
	if txid, ok := boltMeta(first); ok {
		best, found = txid, true
	}
	// The page size is only trustworthy in a valid meta; a torn page 0
	// leaves the usual sizes to try for page 1.
	sizes := []int64{int64(os.Getpagesize()), 4096, 16384, 65536}
	if found {
		sizes = []int64{int64(binary.NativeEndian.Uint32(first[boltPageSizeOffset:]))}
	}
	second := make([]byte, boltMetaEnd)
	for _, size := range sizes {
		if _, err := f.ReadAt(second, size); err != nil {
			continue
		}
		if txid, ok := boltMeta(second); ok {
			if !found || txid > best {
				best = txid
			}
			found = true
			break
		}
	}
	if !found {
		return 0, errors.New("no valid meta page")
	}
	return best, nil
}

// boltMeta returns the txid of a meta page whose magic and checksum hold.
func boltMeta(page []byte) (uint64, bool) {
	m := page[boltMetaOffset:]
	if binary.NativeEndian.Uint32(m) != boltMagic {
		return 0, false
	}
	h := fnv.New64a()
	h.Write(page[boltMetaOffset:boltChecksumOffset])
	if h.Sum64() != binary.NativeEndian.Uint64(page[boltChecksumOffset:]) {
		return 0, false
	}
	return binary.NativeEndian.Uint64(page[boltTxidOffset:]), true
}

// view runs fn in a read transaction, guarded against panics and faults.
func (j *Journal) view(fn func(tx *bolt.Tx) error) error {
	j.mu.RLock()
	defer j.mu.RUnlock()
	if j.closed {
		return ErrClosed
	}
	return guard(j.path, func() error { return j.db.View(fn) })
}

// update runs fn in a write transaction; its commit is fsynced.
func (j *Journal) update(fn func(tx *bolt.Tx) error) error {
	if j.readOnly {
		return fmt.Errorf("%w: %s (sitrep was started with --read-only)", ErrReadOnly, j.path)
	}
	j.mu.RLock()
	defer j.mu.RUnlock()
	if j.closed {
		return ErrClosed
	}
	j.gateMu.Lock()
	defer j.gateMu.Unlock()
	leave := j.gate.enterCommit()
	defer leave()
	return guard(j.path, func() error { return j.db.Update(fn) })
}

// bucket returns the named top-level bucket, or ErrCorrupt if it is
// missing (a journal always has them all).
func (j *Journal) bucket(tx *bolt.Tx, name []byte) (*bolt.Bucket, error) {
	b := tx.Bucket(name)
	if b == nil {
		return nil, corruptError(j.path, fmt.Errorf("bucket %q is missing", name))
	}
	return b, nil
}
