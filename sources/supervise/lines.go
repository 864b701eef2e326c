package supervise

import (
	"bytes"
	"context"
	"sync"
)

// Stream names the output a line came from.
type Stream int

// A command's two outputs.
const (
	Stdout Stream = iota
	Stderr
)

// RunLines runs s as Run does and hands every line of its output, without
// its newline, to emit: one call at a time, never after RunLines returns.
// A line longer than limit bytes is handed over once, cut to limit and
// marked truncated, and the rest of it is skipped.
func RunLines(ctx context.Context, s Spec, limit int, emit func(s Stream, line []byte, truncated bool)) (Exit, error) {
	var mu sync.Mutex
	split := func(st Stream) *Splitter {
		return NewSplitter(limit, func(b []byte, truncated bool) {
			mu.Lock()
			defer mu.Unlock()
			emit(st, b, truncated)
		})
	}
	out, errOut := split(Stdout), split(Stderr)
	ex, err := Run(ctx, s, out, errOut)
	out.Flush()
	errOut.Flush()
	return ex, err
}

// Splitter cuts a byte stream into lines without ever holding more than
// limit bytes of one line: the rest of an over-long line is skipped up to
// its newline, and the line is emitted once, marked truncated. A zero
// Splitter is not usable; build it with NewSplitter.
type Splitter struct {
	limit      int
	buf        []byte
	discarding bool // the current line passed limit; skip to its newline
	emit       func(line []byte, truncated bool)
}

// NewSplitter returns a Splitter that hands each line to emit; the slice
// is reused once emit returns.
func NewSplitter(limit int, emit func(line []byte, truncated bool)) *Splitter {
	return &Splitter{limit: limit, emit: emit}
}

// Write never fails, so the splitter can sit behind io.Copy.
func (s *Splitter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			s.take(p)
			break
		}
		s.take(p[:i])
		s.end()
		p = p[i+1:]
	}
	return n, nil
}

func (s *Splitter) take(p []byte) {
	if s.discarding {
		return
	}
	room := s.limit - len(s.buf)
	if len(p) <= room {
		s.buf = append(s.buf, p...)
		return
	}
	// A rune cut at the boundary is the reader's to drop (sanitize drops
	// invalid UTF-8).
	s.buf = append(s.buf, p[:room]...)
	s.emit(s.buf, true)
	s.buf = s.buf[:0]
	s.discarding = true
}

func (s *Splitter) end() {
	if s.discarding {
		s.discarding = false
		return
	}
	s.emit(s.buf, false)
	s.buf = s.buf[:0]
}

// Flush emits a last line that had no newline.
func (s *Splitter) Flush() {
	if !s.discarding && len(s.buf) > 0 {
		s.emit(s.buf, false)
	}
	s.buf = s.buf[:0]
	s.discarding = false
}

// Reset forgets a partial line, for a file that was truncated under us.
func (s *Splitter) Reset() {
	s.buf = s.buf[:0]
	s.discarding = false
}

// SkipLine drops what comes up to the next newline, for a reader that
// starts mid-line.
func (s *Splitter) SkipLine() {
	s.buf = s.buf[:0]
	s.discarding = true
}
