package sanitize

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "checkout 5xx rate high", "checkout 5xx rate high"},
		{"unicode kept", "Zahlungsdienst ⚠ 日本", "Zahlungsdienst ⚠ 日本"},
		{"tab and newline kept", "a\tb\nc", "a\tb\nc"},
		{"sgr colour", "\x1b[31mred\x1b[0m", "red"},
		{"cursor move", "a\x1b[2J\x1b[Hb", "ab"},
		{"osc title bel", "x\x1b]0;pwned\x07y", "xy"},
		{"osc 52 clipboard st", "x\x1b]52;c;cm0gLXJmIC8=\x1b\\y", "xy"},
		{"osc8 hyperlink", "\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\", "click"},
		{"dcs", "a\x1bPq#0;2;0;0;0\x1b\\b", "ab"},
		{"c1 csi", "a\u009b31mb", "ab"},
		{"c1 osc", "a\u009d0;t\u009cb", "ab"},
		{"bell backspace cr", "a\x07\x08\rb", "ab"},
		{"del", "a\x7fb", "ab"},
		{"nul", "a\x00b", "ab"},
		{"charset escape", "a\x1b(Bb", "ab"},
		{"lone esc at end", "ab\x1b", "ab"},
		{"unterminated osc drops tail", "ok\x1b]0;never ends", "ok"},
		{"invalid utf8", "a\xffb", "ab"},
		{"right-to-left override", "\u202egnp.exe", "⟨U+202E⟩gnp.exe"},
		{"isolates", "a\u2067b\u2069c", "a⟨U+2067⟩b⟨U+2069⟩c"},
		{"embeddings and pop", "\u202a\u202b\u202c\u202d", "⟨U+202A⟩⟨U+202B⟩⟨U+202C⟩⟨U+202D⟩"},
		{"marks", "\u200e\u200f\u061c", "⟨U+200E⟩⟨U+200F⟩⟨U+061C⟩"},
		{"zero width", "ad\u200bmin\u200c\u2060\ufeff", "ad⟨U+200B⟩min⟨U+200C⟩⟨U+2060⟩⟨U+FEFF⟩"},
		{"joiner between letters", "pay\u200dpal", "pay⟨U+200D⟩pal"},
		{"joiner inside an emoji kept", "👩\u200d💻 ❤️\u200d🔥", "👩\u200d💻 ❤️\u200d🔥"},
		{"joiner after an emoji an escape ate", "a\x1b🔥\u200d💻", "a⟨U+200D⟩💻"},
		{"variation selector kept", "⚠️ disk", "⚠️ disk"},
		{"tag characters", "x\U000E0041\U000E007F", "x⟨U+E0041⟩⟨U+E007F⟩"},
		{"hangul filler and soft hyphen", "\u3164pay\u00adpal", "⟨U+3164⟩pay⟨U+00AD⟩pal"},
		{"marker beside an escape", "\x1b[31m\u202e\x1b[0m", "⟨U+202E⟩"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Text(tt.in); got != tt.want {
				t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestLine(t *testing.T) {
	if got := Line("  two\nlines\tand\x1b[1m bold "); got != "two lines and bold" {
		t.Errorf("Line = %q", got)
	}
	if got := Line(" \u202eevil\n"); got != "⟨U+202E⟩evil" {
		t.Errorf("Line = %q", got)
	}
}

// A clean string is returned as it is, without allocating: most titles and
// log lines are clean, and the sanitizer runs on every one of them.
func TestCleanDoesNotAllocate(t *testing.T) {
	for _, s := range []string{"checkout 5xx rate high", "Zahlungsdienst ⚠️ 日本", "👩\u200d💻 on call"} {
		if n := testing.AllocsPerRun(100, func() { _ = Text(s) }); n != 0 {
			t.Errorf("Text(%q) allocated %v times", s, n)
		}
	}
}

// seeds are hostile strings for the fuzz targets: escape sequences of each
// kind, cut short, nested, in C1 form, and invisible characters beside them.
var seeds = []string{
	"\x1b[31mx", "\x1b]0;t\x07", "a\u009bb", "\xff\x1b", "\x1b]52;c;cm0=\x1b\\", "\x1bP\x1b[", "\x1b(\u202e",
	"\u202egnp.exe", "a\u2066b\u2069", "👩\u200d💻", "a\x1b🔥\u200d💻", "\u200d\u200d", "🔥\u200d\x00💻",
	"\U000E0041\U000E007F", "⚠️\ufe0f\u200d", "\u009d\u202e\u009c", " \t\u202e\n ", "⟨U+202E⟩",
}

// FuzzText checks the invariants that matter: nothing that survives can
// start a control sequence or hide as an invisible character, the output is
// valid UTF-8, a second pass changes nothing, and text without escape
// sequences loses only its control characters.
func FuzzText(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Text(s)
		if !utf8.ValidString(out) {
			t.Fatalf("Text(%q) = %q: invalid UTF-8", s, out)
		}
		prev := rune(-1)
		for i, r := range out {
			if r < 0x20 && r != '\t' && r != '\n' || r == 0x7f || r >= 0x80 && r < 0xa0 {
				t.Fatalf("Text(%q) kept control %U in %q", s, r, out)
			}
			if Invisible(r) {
				next, _ := utf8.DecodeRuneInString(out[i+utf8.RuneLen(r):])
				if r != zwj || !emojiSide(prev) || !emojiSide(next) {
					t.Fatalf("Text(%q) kept invisible %U in %q", s, r, out)
				}
			}
			prev = r
		}
		if strings.ContainsRune(out, '\uFFFD') && !strings.ContainsRune(s, '\uFFFD') {
			t.Fatalf("Text(%q) introduced a replacement character", s)
		}
		if again := Text(out); again != out {
			t.Fatalf("Text is not idempotent on %q: %q then %q", s, out, again)
		}
		if utf8.ValidString(s) && !strings.ContainsAny(s, "\x1b\u009b\u009d\u0090\u0098\u009e\u009f") {
			if want := reference(s); out != want {
				t.Fatalf("Text(%q) = %q, want %q", s, out, want)
			}
		}
	})
}

// reference is Text for valid UTF-8 without escape sequences, written the
// plain way: drop controls, mark the invisible.
func reference(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		next := rune(-1)
		if i+1 < len(rs) {
			next = rs[i+1]
		}
		before, _ := utf8.DecodeLastRuneInString(b.String())
		switch {
		case r < 0x20 && r != '\t' && r != '\n', r == 0x7f, r >= 0x80 && r < 0xa0:
		case r == zwj && emojiSide(before) && emojiSide(next):
			b.WriteRune(r)
		case Invisible(r):
			fmt.Fprintf(&b, "⟨U+%04X⟩", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// FuzzLine checks Line's promises on top of Text's: one line, trimmed, and
// stable under a second pass.
func FuzzLine(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Line(s)
		if strings.ContainsAny(out, "\n\t") || out != strings.TrimSpace(out) {
			t.Fatalf("Line(%q) = %q: not one trimmed line", s, out)
		}
		if Text(out) != out {
			t.Fatalf("Line(%q) = %q, which Text changes", s, out)
		}
		if again := Line(out); again != out {
			t.Fatalf("Line is not idempotent on %q: %q then %q", s, out, again)
		}
	})
}

// The sanitizer runs on every title and log line: a clean line costs a
// scan, a hostile one a rebuild.
func BenchmarkText(b *testing.B) {
	for _, bc := range []struct{ name, s string }{
		{"ascii", "2026-11-29T03:12:01Z ERROR payment-gateway: upstream timed out after 30s (req 7f3a9c)"},
		{"unicode", "2026-11-29T03:12:01Z ⚠️ Zahlungsdienst: Zeitüberschreitung nach 30 s — 日本 👩\u200d💻"},
		{"hostile", "\x1b[31mERROR\x1b[0m \u202egnp.exe\u202c ad\u200bmin \x1b]52;c;eA==\x07 done"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.s)))
			b.ReportAllocs()
			for b.Loop() {
				_ = Text(bc.s)
			}
		})
	}
}
