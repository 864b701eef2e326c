package logs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"

	"sitrep/sources/health"
	"sitrep/sources/sanitize"
)

// File is a log source that follows a file the way tail -F does: it starts
// from the last lines, reads what is appended, and carries on across
// rotation, both rename-and-create (logrotate's default) and copytruncate
// (the file shrinks in place).
//
// Following is driven by fsnotify events on the file's directory, with a
// periodic check as well. Events make new lines appear at once; the check
// catches what events miss (network filesystems, an exhausted inotify
// limit, a watcher that could not start). Both run the same idempotent
// step, "read what is new, then see whether the path still names the file
// we hold", so a lost or duplicated event costs nothing.
type File struct {
	Path   string
	Source string        // Line.Source; empty means the file's base name
	Lines  int           // lines of backlog Follow starts with; 0 means DefaultBacklog, < 0 none
	Poll   time.Duration // the periodic check; zero means DefaultPoll
	// Seen, when set, remembers that the file was read, so that Fetch
	// reports it deleted, not missing, once it is gone.
	Seen *Presence
}

// DefaultBacklog is how many existing lines Follow starts with.
const DefaultBacklog = 100

// DefaultPoll is how often a followed file is checked without an event.
const DefaultPoll = time.Second

// readChunk is the read size for files.
const readChunk = 64 << 10

// Fetch returns the last n lines of the file (n < 1: up to MaxFetchLines).
func (f File) Fetch(ctx context.Context, n int) ([]Line, error) {
	fh, err := os.Open(f.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, f.Seen.missing(f.Path, time.Now())
	}
	if err != nil {
		return nil, fmt.Errorf("open log file: %w", err)
	}
	f.Seen.present(f.Path)
	defer fh.Close()
	ring := NewRing(fetchCap(n))
	t := &tailer{path: f.Path, f: fh, sp: newSplitter(MaxLineBytes, f.emitTo(ring))}
	if err := t.seekBack(fetchCap(n)); err != nil {
		return nil, err
	}
	if err := t.drain(ctx); err != nil {
		return ring.Snapshot(), err
	}
	t.sp.Flush()
	return ring.Snapshot(), nil
}

// Follow sends the last Lines lines and then every appended line into ring
// until ctx ends, and returns an error wrapping ctx's cause. A file missing
// at the start is an error; one that vanishes later (mid-rotation) is waited
// for.
func (f File) Follow(ctx context.Context, ring *Ring) error {
	if ring == nil {
		return errNilRing
	}
	fh, err := os.Open(f.Path)
	if err != nil {
		return fmt.Errorf("open log file: %w", err)
	}
	t := &tailer{path: f.Path, f: fh, sp: newSplitter(MaxLineBytes, f.emitTo(ring))}
	defer func() { t.f.Close() }()
	label := f.Label()
	ring.SetStatus(health.Ok(label, time.Now()))
	t.onGone = func(gone time.Time) {
		// The file's status says it is gone, and since when, until the
		// path names a file again; then it is ok again.
		if gone.IsZero() {
			ring.SetStatus(health.Ok(label, time.Now()))
			return
		}
		ring.SetStatus(health.Failed(label, &DeletedError{Path: f.Path, At: gone}, time.Now()))
	}
	backlog := f.Lines
	if backlog == 0 {
		backlog = DefaultBacklog
	}
	if err := t.seekBack(backlog); err != nil {
		return err
	}

	poll := f.Poll
	if poll <= 0 {
		poll = DefaultPoll
	}
	var events <-chan fsnotify.Event
	var watchErrs <-chan error
	if w, err := fsnotify.NewWatcher(); err == nil {
		defer w.Close()
		if w.Add(filepath.Dir(f.Path)) == nil {
			events, watchErrs = w.Events, w.Errors
		}
	}
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		if err := t.step(ctx); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("follow %s: %w", f.Path, context.Cause(ctx))
		case <-events:
		case <-watchErrs:
			// An overflowed queue only means events were lost; the
			// step after it reads the file as it is.
		case <-tick.C:
		}
	}
}

func (f File) emitTo(ring *Ring) func([]byte, bool) {
	src := f.Source
	if src == "" {
		src = filepath.Base(f.Path)
	}
	src = sanitize.Line(src)
	var st stamper // the splitter emits one line at a time
	return func(b []byte, truncated bool) {
		text := cleanText(b, truncated)
		level, t := st.stamp(text, time.Now())
		ring.Append(Line{T: t, Level: level, Text: text, Source: src})
	}
}

// tailer holds the file being followed and how far into it we have read.
type tailer struct {
	path string
	f    *os.File
	off  int64
	sp   *splitter
	buf  []byte
	// gone is when the file held was first found deleted (no name left
	// and nothing at the path); zero while it is there. onGone, when set,
	// hears each change of it.
	gone   time.Time
	onGone func(gone time.Time)
}

// setGone records whether the file is gone, telling onGone of a change.
func (t *tailer) setGone(gone bool) {
	switch {
	case gone && t.gone.IsZero():
		t.gone = time.Now()
	case !gone && !t.gone.IsZero():
		t.gone = time.Time{}
	default:
		return
	}
	if t.onGone != nil {
		t.onGone(t.gone)
	}
}

// step reads what is new and then follows a rotation if there was one.
func (t *tailer) step(ctx context.Context) error {
	for {
		if err := t.drain(ctx); err != nil {
			return err
		}
		cur, err := os.Stat(t.path)
		if err != nil {
			// Renamed away and not yet recreated: keep the old file,
			// which the writer may still be appending to. Deleted, with
			// no name left at all: say so until the path is back.
			if held, herr := t.f.Stat(); herr == nil {
				if gone, ok := unlinked(held); ok {
					t.setGone(gone)
				}
			}
			return nil
		}
		t.setGone(false)
		held, err := t.f.Stat()
		if err != nil {
			return fmt.Errorf("stat log file: %w", err)
		}
		if !os.SameFile(cur, held) {
			// Rotated by rename: finish the old file, then start the
			// new one from its beginning.
			if err := t.drain(ctx); err != nil {
				return err
			}
			nf, err := os.Open(t.path)
			if err != nil {
				return nil // gone again; try at the next step
			}
			t.sp.Flush()
			t.f.Close()
			t.f, t.off = nf, 0
			continue
		}
		if cur.Size() < t.off {
			// Truncated in place (copytruncate): what we had of a
			// partial line was its end; start over from the top.
			t.sp.Flush()
			if _, err := t.f.Seek(0, io.SeekStart); err != nil {
				return fmt.Errorf("seek log file: %w", err)
			}
			t.off = 0
			continue
		}
		return nil
	}
}

// drain reads from the current offset to the end of the file.
func (t *tailer) drain(ctx context.Context) error {
	if t.buf == nil {
		t.buf = make([]byte, readChunk)
	}
	for {
		n, err := t.f.Read(t.buf)
		t.off += int64(n)
		_, _ = t.sp.Write(t.buf[:n])
		if errors.Is(err, io.EOF) || n == 0 && err == nil {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read log file: %w", err)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("read %s: %w", t.path, context.Cause(ctx))
		}
	}
}

// maxBackScan bounds how far back from the end seekBack reads looking for
// line starts, so a huge file without newlines costs a bounded read.
const maxBackScan = 16 << 20

// seekBack positions the file at the start of its last n lines.
func (t *tailer) seekBack(n int) error {
	st, err := t.f.Stat()
	if err != nil {
		return fmt.Errorf("stat log file: %w", err)
	}
	size := st.Size()
	if n < 1 {
		return t.seek(size)
	}
	pos, found := size, 0
	buf := make([]byte, readChunk)
	for pos > 0 && size-pos < maxBackScan {
		chunk := int64(len(buf))
		if pos < chunk {
			chunk = pos
		}
		pos -= chunk
		if _, err := t.f.ReadAt(buf[:chunk], pos); err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read log file: %w", err)
		}
		b := buf[:chunk]
		for i := len(b) - 1; i >= 0; i-- {
			if b[i] != '\n' {
				continue
			}
			if pos+int64(i) == size-1 {
				continue // the final newline ends the last line
			}
			found++
			if found == n {
				return t.seek(pos + int64(i) + 1)
			}
		}
	}
	if pos > 0 {
		// Gave up scanning: start at the scan's edge, mid-line, and
		// skip to the next line start.
		if err := t.seek(pos); err != nil {
			return err
		}
		t.sp.SkipLine()
		return nil
	}
	return t.seek(0)
}

func (t *tailer) seek(off int64) error {
	if _, err := t.f.Seek(off, io.SeekStart); err != nil {
		return fmt.Errorf("seek log file: %w", err)
	}
	t.off = off
	return nil
}
