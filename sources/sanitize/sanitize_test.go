package sanitize

import (
	"strings"
	"testing"
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
}

// FuzzText checks the invariant that matters: nothing that survives can
// start a control sequence.
func FuzzText(f *testing.F) {
	for _, s := range []string{"\x1b[31mx", "\x1b]0;t\x07", "a\u009bb", "\xff\x1b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Text(s)
		for _, r := range out {
			if r < 0x20 && r != '\t' && r != '\n' || r == 0x7f || r >= 0x80 && r < 0xa0 {
				t.Fatalf("Text(%q) kept control %U in %q", s, r, out)
			}
		}
		if strings.ContainsRune(out, '\uFFFD') && !strings.ContainsRune(s, '\uFFFD') {
			t.Fatalf("Text(%q) introduced a replacement character", s)
		}
		if Text(out) != out {
			t.Fatalf("Text is not idempotent on %q", s)
		}
	})
}
