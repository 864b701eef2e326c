// Package sanitize makes text from outside safe to draw in a terminal.
//
// Incident titles, alert bodies, notes, log lines and command output are
// written by other people and other programs. Drawn as they are, an escape
// sequence in a title could move the cursor, recolour the screen, set the
// window title or (through OSC 52) write to the clipboard. Every such string
// passes through Text or Line before sitrep draws or stores it.
package sanitize

import (
	"strings"
	"unicode/utf8"
)

// Text removes terminal control sequences and control characters from s,
// keeping tab and newline. ESC-introduced sequences (CSI, OSC, DCS, SOS, PM,
// APC and two-byte escapes) are dropped whole, including their parameters;
// other C0 and C1 characters, DEL and invalid UTF-8 are dropped.
func Text(s string) string {
	if clean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			i++
		case r == 0x1b:
			i = skipEscape(s, i+1)
		case r == 0x9b: // C1 CSI
			i = skipCSI(s, i+size)
		case r == 0x9d || r == 0x90 || r == 0x98 || r == 0x9e || r == 0x9f: // C1 OSC, DCS, SOS, PM, APC
			i = skipString(s, i+size)
		case r == '\t' || r == '\n':
			b.WriteRune(r)
			i += size
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			i += size
		default:
			b.WriteString(s[i : i+size])
			i += size
		}
	}
	return b.String()
}

// Line is Text for one-line fields (titles, summaries): newlines and tabs
// become single spaces and surrounding space is trimmed.
func Line(s string) string {
	s = Text(s)
	if strings.ContainsAny(s, "\n\t") {
		s = strings.Join(strings.Fields(s), " ")
	}
	return strings.TrimSpace(s)
}

// clean reports whether s needs no change, so the common case allocates
// nothing.
func clean(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 && c != '\t' && c != '\n' || c == 0x7f || c >= 0x80 {
			return c >= 0x80 && cleanUTF8(s[i:])
		}
	}
	return true
}

func cleanUTF8(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 || r < 0x20 && r != '\t' && r != '\n' || r == 0x7f || r >= 0x80 && r < 0xa0 {
			return false
		}
		i += size
	}
	return true
}

// skipEscape skips the sequence after an ESC at s[i-1] and returns the index
// after it.
func skipEscape(s string, i int) int {
	if i >= len(s) {
		return i
	}
	switch s[i] {
	case '[':
		return skipCSI(s, i+1)
	case ']', 'P', 'X', '^', '_':
		return skipString(s, i+1)
	}
	// Two-byte escape, possibly with intermediate bytes (ESC ( B).
	for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2f {
		i++
	}
	if i < len(s) {
		i++
	}
	return i
}

// skipCSI skips parameter and intermediate bytes up to and including the
// final byte.
func skipCSI(s string, i int) int {
	for i < len(s) {
		c := s[i]
		if c < 0x20 || c > 0x7e {
			// Not part of a CSI: the sequence was cut short. Let the
			// caller judge this byte on its own.
			return i
		}
		i++
		if c >= 0x40 {
			return i
		}
	}
	return i
}

// skipString skips a control string up to its terminator: BEL, ESC \ or
// C1 ST. An unterminated string runs to the end, which drops the rest of s:
// better to lose a hostile tail than to draw half a sequence.
func skipString(s string, i int) int {
	for i < len(s) {
		switch {
		case s[i] == 0x07:
			return i + 1
		case s[i] == 0x1b:
			if i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
			return i + 1
		case strings.HasPrefix(s[i:], "\u009c"):
			return i + len("\u009c")
		}
		i++
	}
	return i
}
