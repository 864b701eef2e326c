// Package sanitize makes text from outside safe to draw in a terminal.
//
// Incident titles, alert bodies, notes, log lines and command output are
// written by other people and other programs. Drawn as they are, an escape
// sequence in a title could move the cursor, recolour the screen, set the
// window title or (through OSC 52) write to the clipboard. Every such string
// passes through Text or Line before sitrep draws or stores it.
//
// Invisible characters are the other half: a bidirectional override makes a
// title read differently from what it is ("\u202egnp.exe" reads "exe.png"),
// and zero-width characters make two different names look the same. Those
// are not dropped, which would hide that someone sent them, but drawn as a
// visible marker such as ⟨U+202E⟩.
package sanitize

import (
	"strings"
	"unicode/utf8"
)

// Text removes terminal control sequences and control characters from s,
// keeping tab and newline, and makes invisible formatting characters
// visible. ESC-introduced sequences (CSI, OSC, DCS, SOS, PM, APC and
// two-byte escapes) are dropped whole, including their parameters; other C0
// and C1 characters, DEL and invalid UTF-8 are dropped; bidirectional
// controls and zero-width characters become a marker like ⟨U+202E⟩ (see
// Invisible). Text is idempotent: Text(Text(s)) == Text(s).
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
		case Invisible(r) && !(r == zwj && joinsEmoji(b.String(), s[i+size:])):
			writeMarker(&b, r)
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
		if Invisible(r) && !(r == zwj && joinsEmoji(s[:i], s[i+size:])) {
			return false
		}
		i += size
	}
	return true
}

// Invisible reports whether r is a formatting character that Text draws as
// a visible marker: the bidirectional controls (embeddings, overrides,
// isolates and the LRM, RLM and ALM marks), the zero-width space, joiners
// and word joiner, the byte order mark, and the other default-ignorable
// characters that draw as nothing and so can hide text or make two strings
// look alike (soft hyphen, Hangul fillers, invisible operators, interlinear
// annotation, tag characters). Variation selectors U+FE00–U+FE0F are not
// among them: they choose how an emoji such as ⚠️ is drawn.
func Invisible(r rune) bool {
	switch {
	case r < 0xad:
		return false
	case r == 0xad, // soft hyphen
		r == 0x34f,                   // combining grapheme joiner
		r == 0x61c,                   // Arabic letter mark
		r == 0x115f || r == 0x1160,   // Hangul fillers
		r == 0x17b4 || r == 0x17b5,   // Khmer inherent vowels
		r >= 0x180b && r <= 0x180f,   // Mongolian selectors and vowel separator
		r >= 0x200b && r <= 0x200f,   // zero-width space, non-joiner, joiner; LRM, RLM
		r >= 0x202a && r <= 0x202e,   // embeddings and overrides
		r >= 0x2060 && r <= 0x206f,   // word joiner, invisible operators, isolates
		r == 0x3164 || r == 0xffa0,   // Hangul fillers
		r == 0xfeff,                  // zero-width no-break space, byte order mark
		r >= 0xfff0 && r <= 0xfffb,   // interlinear annotation
		r >= 0x1bca0 && r <= 0x1bca3, // shorthand format controls
		r >= 0x1d173 && r <= 0x1d17a, // musical formatting
		r >= 0xe0000 && r <= 0xe0fff: // tags and supplementary variation selectors
		return true
	}
	return false
}

const zwj = 0x200d

// writeMarker writes r as ⟨U+202E⟩: at least four upper-case hex digits,
// as Unicode writes code points.
func writeMarker(b *strings.Builder, r rune) {
	const hex = "0123456789ABCDEF"
	b.WriteString("⟨U+")
	digits := 4
	for r>>(4*digits) != 0 {
		digits++
	}
	for i := digits - 1; i >= 0; i-- {
		b.WriteByte(hex[(r>>(4*i))&0xf])
	}
	b.WriteString("⟩")
}

// joinsEmoji reports whether a zero-width joiner between the text already
// kept (done) and the text still to come (rest) sits between two emoji, as
// in 👩‍💻: there it draws one picture and hides nothing, so it is kept. The
// rune before is judged from the output, not the input, because the input's
// may have been dropped (an escape swallows what follows it); the rune
// after is an emoji that Text will keep as it is. So a second pass sees the
// same neighbours and decides the same way.
func joinsEmoji(done, rest string) bool {
	before, _ := utf8.DecodeLastRuneInString(done)
	after, _ := utf8.DecodeRuneInString(rest)
	return emojiSide(before) && emojiSide(after)
}

// emojiSide reports whether r can stand beside a joiner inside an emoji
// sequence: a pictograph, a skin-tone modifier or the emoji presentation
// selector.
func emojiSide(r rune) bool {
	return r >= 0x1f000 && r <= 0x1faff || r >= 0x2600 && r <= 0x27bf || r == 0xfe0f
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
