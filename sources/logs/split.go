package logs

import "bytes"

// splitter cuts a byte stream into lines without ever holding more than
// limit bytes of one line: the rest of an over-long line is counted and
// skipped up to its newline, and the line is emitted once, marked truncated.
// A zero splitter is not usable; build it with newSplitter.
type splitter struct {
	limit      int
	buf        []byte
	discarding bool // the current line passed limit; skip to its newline
	emit       func(line []byte, truncated bool)
}

func newSplitter(limit int, emit func(line []byte, truncated bool)) *splitter {
	return &splitter{limit: limit, emit: emit}
}

// Write never fails, so the splitter can sit behind io.Copy.
func (s *splitter) Write(p []byte) (int, error) {
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

func (s *splitter) take(p []byte) {
	if s.discarding {
		return
	}
	room := s.limit - len(s.buf)
	if len(p) <= room {
		s.buf = append(s.buf, p...)
		return
	}
	// A rune cut at the boundary is dropped later by sanitize as invalid
	// UTF-8.
	s.buf = append(s.buf, p[:room]...)
	s.emit(s.buf, true)
	s.buf = s.buf[:0]
	s.discarding = true
}

func (s *splitter) end() {
	if s.discarding {
		s.discarding = false
		return
	}
	s.emit(s.buf, false)
	s.buf = s.buf[:0]
}

// Flush emits a last line that had no newline.
func (s *splitter) Flush() {
	if !s.discarding && len(s.buf) > 0 {
		s.emit(s.buf, false)
	}
	s.buf = s.buf[:0]
	s.discarding = false
}

// Reset forgets a partial line, for a file that was truncated under us.
func (s *splitter) Reset() {
	s.buf = s.buf[:0]
	s.discarding = false
}
