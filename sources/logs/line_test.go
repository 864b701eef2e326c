package logs

import (
	"strings"
	"testing"
	"time"
)

func TestDetectLevel(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"json level", `{"level":"error","msg":"db down"}`, LevelError},
		{"json level warning", `{"time":"x","level":"WARNING","msg":"slow"}`, LevelWarn},
		{"json severity", `{"severity":"DEBUG","message":"x"}`, LevelDebug},
		{"json pino numeric", `{"level":50,"msg":"x"}`, LevelError},
		{"json pino info", `{"level":30,"msg":"x"}`, LevelInfo},
		{"json without level falls back to text", `{"msg":"ERROR in handler"}`, LevelError},
		{"broken json falls back", `{"level":"error"`, LevelError},
		{"logfmt", `ts=2026-01-01 level=warn msg="retrying"`, LevelWarn},
		{"logfmt quoted", `time=x level="error" msg=y`, LevelError},
		{"logfmt lvl", `lvl=dbug msg=x lvl=info`, LevelInfo},
		{"logfmt key inside word ignored", `xlevel=error msg=ok INFO`, LevelInfo},
		{"upper word", "2026-11-29 02:00:00 ERROR payment failed", LevelError},
		{"warn word", "WARN pool at 90%", LevelWarn},
		{"fatal", "FATAL cannot bind", LevelError},
		{"bracketed lower", "2026/11/29 02:00:00 [error] 12#0: upstream timed out", LevelError},
		{"python logging", "WARNING:root:disk almost full", LevelWarn},
		{"lower before colon", "error: pods not found", LevelError},
		{"prose is not a level", "request finished with no error", LevelUnknown},
		{"first word wins", "INFO retrying after ERROR", LevelInfo},
		{"klog error", "E1129 02:00:00.123456    1 controller.go:42] sync failed", LevelError},
		{"klog info", "I1129 02:00:00.123456    1 main.go:1] started", LevelInfo},
		{"nothing", "GET /healthz 200", LevelUnknown},
		{"empty", "", LevelUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DetectLevel(tt.in); got != tt.want {
				t.Errorf("DetectLevel(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestLevelFromPriority(t *testing.T) {
	tests := []struct {
		p    int
		want string
	}{
		{0, LevelError}, {3, LevelError}, {4, LevelWarn}, {5, LevelInfo},
		{6, LevelInfo}, {7, LevelDebug}, {8, LevelUnknown}, {-1, LevelUnknown},
	}
	for _, tt := range tests {
		if got := LevelFromPriority(tt.p); got != tt.want {
			t.Errorf("LevelFromPriority(%d) = %q, want %q", tt.p, got, tt.want)
		}
	}
}

func TestCleanText(t *testing.T) {
	long := strings.Repeat("x", MaxLineBytes+100)
	// A rune straddling the cap must not be split into invalid UTF-8.
	straddle := strings.Repeat("x", MaxLineBytes-1) + "é" + "tail"
	tests := []struct {
		name, in, want string
	}{
		{"plain", "hello", "hello"},
		{"crlf", "hello\r\n", "hello"},
		{"sgr colour", "\x1b[31mERROR\x1b[0m boom", "ERROR boom"},
		{"osc 52 clipboard", "a\x1b]52;c;cm0gLXJmIC8K\x07b", "ab"},
		{"osc title st", "x\x1b]0;pwned\x1b\\y", "xy"},
		{"cursor and clear", "\x1b[2J\x1b[Hgot you", "got you"},
		{"tab expanded", "a\tb", "a    b"},
		{"capped", long, strings.Repeat("x", MaxLineBytes) + TruncatedMarker},
		{"capped on rune boundary", straddle, strings.Repeat("x", MaxLineBytes-1) + TruncatedMarker},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cleanText([]byte(tt.in), false); got != tt.want {
				t.Errorf("cleanText = %q (len %d), want %q (len %d)", short(got), len(got), short(tt.want), len(tt.want))
			}
		})
	}
}

func short(s string) string {
	if len(s) > 60 {
		return s[:30] + "…" + s[len(s)-30:]
	}
	return s
}

func TestSplitMessage(t *testing.T) {
	at := time.Unix(1700000000, 0)
	got := splitMessage("panic: boom\n\tgoroutine 1\x1b[31m\n", at, LevelError, "svc")
	want := []string{"panic: boom", "    goroutine 1"}
	if strings.Join(texts(got), "|") != strings.Join(want, "|") {
		t.Fatalf("texts = %q, want %q", texts(got), want)
	}
	for _, l := range got {
		if !l.T.Equal(at) || l.Level != LevelError || l.Source != "svc" {
			t.Errorf("line %+v lost its time, level or source", l)
		}
	}
}

func TestSplitter(t *testing.T) {
	type out struct {
		line      string
		truncated bool
	}
	tests := []struct {
		name   string
		limit  int
		writes []string
		want   []out
	}{
		{"lines across writes", 100, []string{"ab", "c\nde", "f\n"}, []out{{"abc", false}, {"def", false}}},
		{"unterminated tail flushed", 100, []string{"a\nb"}, []out{{"a", false}, {"b", false}}},
		{"empty line kept", 100, []string{"\n\n"}, []out{{"", false}, {"", false}}},
		{"over limit cut once", 4, []string{"abcdefgh", "ij\nok\n"}, []out{{"abcd", true}, {"ok", false}}},
		{"exactly limit", 4, []string{"abcd\n"}, []out{{"abcd", false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []out
			s := newSplitter(tt.limit, func(b []byte, tr bool) { got = append(got, out{string(b), tr}) })
			for _, w := range tt.writes {
				if n, err := s.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write = %d, %v", n, err)
				}
			}
			s.Flush()
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("line %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}
