package logs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"sitrep/sources/health"
	"sitrep/sources/sanitize"
)

// A log source's own state — it failed, or has said nothing lately — is a
// health.Status, never a Line: a line is the service's, and the Logs pane
// counts its errors as the service's errors.

// Label names the source in its status: "loki {app="api"}".
func (l Loki) Label() string { return "loki " + sanitize.Line(l.Query) }

// Label names the source in its status: "command kubectl logs …".
func (c Command) Label() string {
	if len(c.Argv) == 0 {
		return "command"
	}
	parts := append([]string{filepath.Base(c.Argv[0])}, c.Argv[1:]...)
	return "command " + sanitize.Line(strings.Join(parts, " "))
}

// StderrSource is the Line.Source of what the command writes to stderr.
func (c Command) StderrSource() string { return c.source() + StderrSuffix }

// Label names the source in its status: "file /var/log/api.log".
func (f File) Label() string { return "file " + sanitize.Line(f.Path) }

// Label names the source in its status: "journald unit api.service".
func (j Journald) Label() string {
	var parts []string
	for _, u := range j.Units {
		parts = append(parts, "unit "+u)
	}
	for _, id := range j.Identifiers {
		parts = append(parts, "identifier "+id)
	}
	for _, f := range j.Files {
		parts = append(parts, "file "+f)
	}
	if j.Directory != "" {
		parts = append(parts, "directory "+j.Directory)
	}
	if len(parts) == 0 {
		return "journald"
	}
	return "journald " + sanitize.Line(strings.Join(parts, ", "))
}

// MissingError is a log file that is not there and was never seen.
type MissingError struct{ Path string }

func (e *MissingError) Error() string {
	return fmt.Sprintf("no such file %s: check the path under logs: in the config", sanitize.Line(e.Path))
}

// Unwrap makes errors.Is(err, fs.ErrNotExist) true.
func (e *MissingError) Unwrap() error { return fs.ErrNotExist }

// DeletedError is a log file that was there and is gone: deleted, not
// rotated (nothing has taken its name). At is when sitrep found it gone.
type DeletedError struct {
	Path string
	At   time.Time
}

func (e *DeletedError) Error() string {
	return fmt.Sprintf("file deleted at %s (was %s)", e.At.UTC().Format("15:04:05 UTC"), sanitize.Line(e.Path))
}

// Unwrap makes errors.Is(err, fs.ErrNotExist) true.
func (e *DeletedError) Unwrap() error { return fs.ErrNotExist }

// Presence remembers which log files sitrep has read, so a file that
// disappears between two fetches is reported as deleted (at about when it
// was first found missing) rather than as a path that never existed. The
// zero value is ready; share one across fetches.
type Presence struct {
	mu   sync.Mutex
	seen map[string]bool
	gone map[string]time.Time
}

// missing turns a missing file into the error that says what happened to
// it.
func (p *Presence) missing(path string, at time.Time) error {
	if p == nil {
		return &MissingError{Path: path}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.seen[path] {
		return &MissingError{Path: path}
	}
	if p.gone == nil {
		p.gone = map[string]time.Time{}
	}
	if _, ok := p.gone[path]; !ok {
		p.gone[path] = at
	}
	return &DeletedError{Path: path, At: p.gone[path]}
}

// present records that path was read.
func (p *Presence) present(path string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.seen == nil {
		p.seen = map[string]bool{}
	}
	p.seen[path] = true
	delete(p.gone, path)
}

// Status is what a Fetch's answer says about the source: its error, no
// line at all, no line newer than window before at, or ok.
func (l Loki) Status(lines []Line, err error, at time.Time, window time.Duration) health.Status {
	lookback := l.Lookback
	if lookback <= 0 {
		lookback = DefaultLookback
	}
	return statusOf(l.Label(), lines, err, at, window, time.Time{}, "nothing in the last "+lookback.String())
}

// Status is what a Fetch's answer says about the command: it failed (it
// could not start, exited non-zero or outlived its deadline), printed
// nothing, printed nothing recent, or ok.
func (c Command) Status(lines []Line, err error, at time.Time, window time.Duration) health.Status {
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("%s was still running at its deadline and was stopped; a log command must end by itself (e.g. kubectl logs --tail=300, not -f)", filepath.Base(first(c.Argv)))
	}
	return statusOf(c.Label(), lines, err, at, window, time.Time{}, "the command printed nothing")
}

// Status is what a Fetch's answer says about the file: missing or
// deleted, unreadable, empty, not written within window (by its
// modification time), or ok.
func (f File) Status(lines []Line, err error, at time.Time, window time.Duration) health.Status {
	var mtime time.Time
	if err == nil {
		if fi, serr := os.Stat(f.Path); serr == nil {
			mtime = fi.ModTime()
		}
	}
	return statusOf(f.Label(), lines, err, at, window, mtime, "the file is empty")
}

// Status is what a Fetch's answer says about the journal query.
func (j Journald) Status(lines []Line, err error, at time.Time, window time.Duration) health.Status {
	return statusOf(j.Label(), lines, err, at, window, time.Time{}, "no journal entries match")
}

// statusOf is the common verdict. written is when the source last wrote,
// when known apart from its lines (a file's modification time).
func statusOf(label string, lines []Line, err error, at time.Time, window time.Duration, written time.Time, empty string) health.Status {
	if err != nil {
		return health.Failed(label, err, at)
	}
	newest := written
	if n := len(lines); n > 0 && lines[n-1].T.After(newest) && written.IsZero() {
		newest = lines[n-1].T
	}
	switch {
	case len(lines) == 0:
		return health.Empty(label, written, at, empty)
	case window > 0 && !newest.IsZero() && at.Sub(newest) > window:
		return health.Empty(label, newest, at, "")
	}
	return health.Ok(label, at)
}

func first(a []string) string {
	if len(a) == 0 {
		return ""
	}
	return a[0]
}
