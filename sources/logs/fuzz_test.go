package logs

import (
	"strings"
	"testing"
	"unicode/utf8"

	"sitrep/sources/sanitize"
)

// drawable reports whether s is safe to draw on one line: valid UTF-8, no
// control characters (so no escape sequences), no newline, and no invisible
// character but a joiner inside an emoji.
func drawable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || sanitize.Invisible(r) && r != 0x200d {
			return false
		}
	}
	return true
}

func FuzzCleanText(f *testing.F) {
	for _, s := range []string{"plain", "\x1b]52;c;cm0gLXJmIC8K\x07x", "\x1b[31mred", "a\tb\r\n", strings.Repeat("é", MaxLineBytes), strings.Repeat("\u200b", MaxLineBytes/3), strings.Repeat("\t", MaxLineBytes), "\u202egnp.exe"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got := cleanText(raw, false)
		if !drawable(got) {
			t.Errorf("cleanText(%q) = %q: not drawable", raw, got)
		}
		if len(got) > MaxLineBytes+len(TruncatedMarker) {
			t.Errorf("cleanText gave %d bytes", len(got))
		}
		_ = DetectLevel(got)
		_ = DetectLevel(string(raw))
	})
}

func FuzzParseJournalEntry(f *testing.F) {
	for _, s := range []string{
		`{"__REALTIME_TIMESTAMP":"1700000000000000","PRIORITY":"3","MESSAGE":"boom"}`,
		`{"__REALTIME_TIMESTAMP":"1","MESSAGE":[27,93,53,50,7,104,105]}`,
		`{"__REALTIME_TIMESTAMP":"1","MESSAGE":["a",[1]],"PRIORITY":[]}`,
		`{"__REALTIME_TIMESTAMP":"-99999999999999999","MESSAGE":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, record []byte) {
		lines, err := ParseJournalEntry(record)
		if err != nil {
			return
		}
		for _, l := range lines {
			if !drawable(l.Text) || !drawable(l.Source) {
				t.Errorf("entry %q gave an undrawable line %+v", record, l)
			}
		}
	})
}

func FuzzSplitter(f *testing.F) {
	f.Add([]byte("a\nbb\nccc"), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, limit uint8) {
		lim := int(limit%16) + 1
		var total int
		s := newSplitter(lim, func(b []byte, truncated bool) {
			if len(b) > lim {
				t.Fatalf("line of %d bytes past limit %d", len(b), lim)
			}
			total++
		})
		_, _ = s.Write(data)
		s.Flush()
		if want := strings.Count(string(data), "\n"); total < want {
			t.Errorf("%d lines for %d newlines", total, want)
		}
	})
}
