package logs

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLineTime(t *testing.T) {
	// Read in a zone east of UTC, so a zone-less stamp taken as UTC (or a
	// zoned one taken as local) shows.
	cet := time.FixedZone("CET", 3600)
	read := time.Date(2026, 11, 29, 2, 30, 0, 0, cet)
	utc := func(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
		return time.Date(y, mo, d, h, mi, s, ns, time.UTC)
	}
	local := func(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
		return time.Date(y, mo, d, h, mi, s, ns, cet)
	}
	tests := []struct {
		name string
		line string
		read time.Time // zero: read
		want time.Time // zero: not found
	}{
		{"rfc3339 Z", "2026-11-29T01:15:00Z ERROR boom", time.Time{}, utc(2026, 11, 29, 1, 15, 0, 0)},
		{"rfc3339 nano", "2026-11-29T01:15:00.123456789Z msg", time.Time{}, utc(2026, 11, 29, 1, 15, 0, 123456789)},
		{"rfc3339 millis offset", "2026-11-29T03:15:00.250+02:00 msg", time.Time{}, utc(2026, 11, 29, 1, 15, 0, 250e6)},
		{"offset without colon", "2026-11-29T03:15:00-0130 msg", time.Time{}, utc(2026, 11, 29, 4, 45, 0, 0)},
		{"offset hours only", "2026-11-29T03:15:00+02 msg", time.Time{}, utc(2026, 11, 29, 1, 15, 0, 0)},
		{"space separator, no zone is local", "2026-11-29 01:15:00 INFO up", time.Time{}, local(2026, 11, 29, 1, 15, 0, 0)},
		{"python comma fraction", "2026-11-29 01:15:00,042 WARNING slow", time.Time{}, local(2026, 11, 29, 1, 15, 0, 42e6)},
		{"go time.Time print", "2026-11-29 01:15:00.5 +0000 UTC m", time.Time{}, utc(2026, 11, 29, 1, 15, 0, 5e8)},
		{"postgres UTC", "2026-11-29 01:15:00.123 UTC [42] LOG: x", time.Time{}, utc(2026, 11, 29, 1, 15, 0, 123e6)},
		{"go log package slashes", "2026/11/29 01:15:00 [error] upstream", time.Time{}, local(2026, 11, 29, 1, 15, 0, 0)},
		{"bracketed", "[2026-11-29T01:15:00Z] boom", time.Time{}, utc(2026, 11, 29, 1, 15, 0, 0)},
		{"leading spaces", "   2026-11-29T01:15:00Z x", time.Time{}, utc(2026, 11, 29, 1, 15, 0, 0)},
		{"kubectl --timestamps", "2026-11-29T01:15:00.000000001Z {\"level\":\"info\"}", time.Time{}, utc(2026, 11, 29, 1, 15, 0, 1)},
		{"rfc5424 header", "<34>1 2026-11-29T01:15:00.003Z host app - - msg", time.Time{}, utc(2026, 11, 29, 1, 15, 0, 3e6)},
		{"logfmt time first", `time=2026-11-29T01:15:00Z level=info msg=up`, time.Time{}, utc(2026, 11, 29, 1, 15, 0, 0)},
		{"logfmt ts quoted", `ts="2026-11-29T01:15:00Z" level=info`, time.Time{}, utc(2026, 11, 29, 1, 15, 0, 0)},
		{"leap second lands on next minute", "2026-12-31T23:59:60Z x", time.Time{}, utc(2027, 1, 1, 0, 0, 0, 0)},

		{"syslog two-space day", "Nov  9 01:15:00 host sshd[1]: x", time.Time{}, local(2026, 11, 9, 1, 15, 0, 0)},
		{"syslog zero-padded day", "Nov 09 01:15:00 host x", time.Time{}, local(2026, 11, 9, 1, 15, 0, 0)},
		{"syslog with fraction", "Nov 29 01:15:00.5 host x", time.Time{}, local(2026, 11, 29, 1, 15, 0, 5e8)},
		{"syslog December read in January is last year", "Dec 31 23:59:58 host x", local(2027, 1, 1, 0, 0, 5, 0), local(2026, 12, 31, 23, 59, 58, 0)},
		{"syslog January read in December skewed is next year", "Jan  1 00:00:03 host x", local(2026, 12, 31, 23, 59, 59, 0), local(2027, 1, 1, 0, 0, 3, 0)},
		{"syslog 29 Feb takes a leap year", "Feb 29 10:00:00 host x", local(2029, 1, 10, 0, 0, 0, 0), local(2028, 2, 29, 10, 0, 0, 0)},
		{"klog", "I1129 01:15:00.123456    1 main.go:1] started", time.Time{}, local(2026, 11, 29, 1, 15, 0, 123456000)},
		{"klog error", "E0102 15:04:05.000001 7 x.go:2] failed", local(2027, 1, 3, 0, 0, 0, 0), local(2027, 1, 2, 15, 4, 5, 1000)},

		{"json time rfc3339", `{"time":"2026-11-29T01:15:00.5Z","level":"error","msg":"x"}`, time.Time{}, utc(2026, 11, 29, 1, 15, 0, 5e8)},
		{"json ts seconds (zap)", `{"level":"info","ts":1795914900.25,"msg":"x"}`, time.Time{}, utc(2026, 11, 29, 1, 15, 0, 250e6)},
		{"json time millis (pino)", `{"level":30,"time":1795914900123,"msg":"x"}`, time.Time{}, utc(2026, 11, 29, 1, 15, 0, 123e6)},
		{"json timestamp string", `{"timestamp":"2026-11-29 01:15:00","msg":"x"}`, time.Time{}, local(2026, 11, 29, 1, 15, 0, 0)},
		{"json @timestamp", `{"@timestamp":"2026-11-29T01:15:00Z","message":"x"}`, time.Time{}, utc(2026, 11, 29, 1, 15, 0, 0)},
		{"json first usable key wins", `{"time":"soon","ts":1795914900}`, time.Time{}, utc(2026, 11, 29, 1, 15, 0, 0)},

		{"no time", "GET /healthz 200", time.Time{}, time.Time{}},
		{"empty", "", time.Time{}, time.Time{}},
		{"date without time", "2026-11-29 deploy started", time.Time{}, time.Time{}},
		{"impossible date", "2026-02-30T01:00:00Z x", time.Time{}, time.Time{}},
		{"impossible hour", "2026-11-29T25:00:00Z x", time.Time{}, time.Time{}},
		{"year out of range", "0000-01-01T00:00:00Z x", time.Time{}, time.Time{}},
		{"number is not a time", "12345678901234567890 requests", time.Time{}, time.Time{}},
		{"month word in prose", "Nov is when it broke", time.Time{}, time.Time{}},
		{"json epoch zero", `{"ts":0,"msg":"x"}`, time.Time{}, time.Time{}},
		{"json negative", `{"ts":-5,"msg":"x"}`, time.Time{}, time.Time{}},
		{"json without time", `{"msg":"x"}`, time.Time{}, time.Time{}},
		{"json cut short", `{"time":"2026-11-29T01:15:00Z","msg":"x`, time.Time{}, time.Time{}},
		{"time later in the line is not the line's", "GET / at 2026-11-29T01:15:00Z", time.Time{}, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.read
			if r.IsZero() {
				r = read
			}
			got, ok := LineTime(tt.line, r)
			if tt.want.IsZero() {
				if ok {
					t.Fatalf("LineTime(%q) = %v, want no time", tt.line, got)
				}
				return
			}
			if !ok {
				t.Fatalf("LineTime(%q) found no time, want %v", tt.line, tt.want)
			}
			if !got.Equal(tt.want) {
				t.Errorf("LineTime(%q) = %v, want %v", tt.line, got, tt.want)
			}
		})
	}
}

func TestStamperContinuation(t *testing.T) {
	read := time.Date(2026, 11, 29, 2, 0, 0, 0, time.UTC)
	var st stamper
	// A stack trace: its first line has a time, the rest do not, all read
	// together; then, much later, a line without a time stands alone.
	steps := []struct {
		text string
		read time.Time
		want time.Time
	}{
		{"no time before any: read time", read, read},
		{"2026-11-29T01:00:00Z ERROR panic: boom", read.Add(time.Millisecond), time.Date(2026, 11, 29, 1, 0, 0, 0, time.UTC)},
		{"goroutine 1 [running]:", read.Add(2 * time.Millisecond), time.Date(2026, 11, 29, 1, 0, 0, 0, time.UTC)},
		{"main.main()", read.Add(900 * time.Millisecond), time.Date(2026, 11, 29, 1, 0, 0, 0, time.UTC)},
		{"unrelated, read later", read.Add(10 * time.Second), read.Add(10 * time.Second)},
	}
	for _, s := range steps {
		if _, got := st.stamp(s.text, s.read); !got.Equal(s.want) {
			t.Errorf("stamp(%q) = %v, want %v", s.text, got, s.want)
		}
	}
	if level, _ := st.stamp(`{"ts":1795914900,"level":"warn"}`, read); level != LevelWarn {
		t.Errorf("json level = %q, want warn", level)
	}
	if level, _ := st.stamp(`{"ts":1795914900,"msg":"ERROR x"}`, read); level != LevelError {
		t.Errorf("json without a level field = %q, want error from the text", level)
	}
}

// TestSourcesCarryLineTime reads a real file and a real command whose
// lines carry their own times, older than now: the lines keep them.
func TestSourcesCarryLineTime(t *testing.T) {
	text := "2026-11-29T01:00:00Z INFO first\n\tat continuation\n2026-11-29T01:00:05.5Z ERROR second\nno time here\n"
	want := []time.Time{
		time.Date(2026, 11, 29, 1, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 29, 1, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 29, 1, 0, 5, 5e8, time.UTC),
		time.Date(2026, 11, 29, 1, 0, 5, 5e8, time.UTC),
	}
	path := filepath.Join(t.TempDir(), "app.log")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	check := func(name string, lines []Line, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(lines) != len(want) {
			t.Fatalf("%s: %d lines, want %d: %+v", name, len(lines), len(want), lines)
		}
		for i, l := range lines {
			if !l.T.Equal(want[i]) {
				t.Errorf("%s line %d %q: T = %v, want %v", name, i, l.Text, l.T, want[i])
			}
		}
	}
	lines, err := File{Path: path}.Fetch(ctx, 10)
	check("file", lines, err)
	lines, err = Command{Argv: []string{"cat", path}}.Fetch(ctx, 10)
	check("command", lines, err)
}

func FuzzLineTime(f *testing.F) {
	for _, s := range []string{
		"2026-11-29T01:15:00.123456789+02:00 x", "2026/11/29 01:15:00,5 UTC", "Feb 29 10:00:00 h",
		"I0229 23:59:60.999999 1 x.go:1] y", `{"ts":1795914900.25}`, `{"time":1e300}`, `{"time":"2026-11-29T01:15:00-14:00"}`,
		"<999>1 2026-11-29T01:15:00Z", "[9999-12-31T23:59:60+14:00]", "time=\"2026-01-01 00:00:00 +", "Dec 31 23:59:59",
	} {
		f.Add(s, int64(1795914900))
	}
	f.Fuzz(func(t *testing.T, line string, readUnix int64) {
		read := time.Unix(readUnix%(1<<40), 0)
		if got, ok := LineTime(line, read); ok && got.IsZero() {
			t.Errorf("LineTime(%q) found the zero time", line)
		}
		var st stamper
		if _, got := st.stamp(line, read); got.IsZero() && !read.IsZero() {
			t.Errorf("stamp(%q) gave the zero time", line)
		}
	})
}

// benchLines are the common forms, as a service at 10,000 lines a second
// writes them.
var benchLines = []struct{ name, line string }{
	{"rfc3339", "2026-11-29T01:15:00.123456Z ERROR POST /v1/charges 503 upstream connect error req=0001"},
	{"syslog", "Nov 29 01:15:00 pay-1 payment[812]: ERROR POST /v1/charges 503 upstream connect error"},
	{"klog", "E1129 01:15:00.123456       1 controller.go:42] sync failed: upstream connect error"},
	{"json", `{"level":"error","ts":1795914900.123,"msg":"POST /v1/charges 503 upstream connect error"}`},
	{"none", "POST /v1/charges 503 upstream connect error req=0001 " + strings.Repeat("x", 40)},
}

// BenchmarkLineTime is the per-line cost of finding a line's own time.
func BenchmarkLineTime(b *testing.B) {
	read := time.Now()
	for _, bc := range benchLines {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				LineTime(bc.line, read)
			}
		})
	}
}

// BenchmarkStamp is what a file or command source pays per line for its
// level and time together (a JSON line is decoded once for both).
func BenchmarkStamp(b *testing.B) {
	read := time.Now()
	for _, bc := range benchLines {
		b.Run(bc.name, func(b *testing.B) {
			var st stamper
			b.ReportAllocs()
			for b.Loop() {
				st.stamp(bc.line, read)
			}
		})
	}
}
