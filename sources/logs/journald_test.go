package logs

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const journalRemoteInstall = "apt-get update && apt-get install -y --no-install-recommends systemd-journal-remote"

// needJournalTools finds systemd-journal-remote and journalctl: a skip
// locally when missing, a failure under CI=true.
func needJournalTools(t *testing.T) string {
	t.Helper()
	missing := func(what string) {
		t.Helper()
		msg := what + " not found; install it with: " + journalRemoteInstall
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	if _, err := exec.LookPath("journalctl"); err != nil {
		missing("journalctl")
	}
	for _, p := range []string{"/lib/systemd/systemd-journal-remote", "/usr/lib/systemd/systemd-journal-remote"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	missing("systemd-journal-remote")
	return ""
}

// journalEntry is one entry in journal export format. Fields are written
// as text unless they hold a newline or control byte, which the format
// requires in its binary form (name, newline, 64-bit LE length, data).
type journalEntry map[string]string

func exportFormat(entries []journalEntry) []byte {
	var b bytes.Buffer
	for i, e := range entries {
		// Fields every real entry has; journalctl needs them to order
		// entries.
		fields := map[string]string{
			"__MONOTONIC_TIMESTAMP": "1" + strings.Repeat("0", i+1),
			"_BOOT_ID":              "0123456789abcdef0123456789abcdef",
		}
		for k, v := range e {
			fields[k] = v
		}
		keys := make([]string, 0, len(fields))
		for k := range fields {
			keys = append(keys, k)
		}
		// __REALTIME_TIMESTAMP first is not required, but sorted output
		// keeps the stream reproducible.
		sortStrings(keys)
		for _, k := range keys {
			v := fields[k]
			if strings.IndexFunc(v, func(r rune) bool { return r < 0x20 }) >= 0 {
				b.WriteString(k + "\n")
				var n [8]byte
				binary.LittleEndian.PutUint64(n[:], uint64(len(v)))
				b.Write(n[:])
				b.WriteString(v + "\n")
				continue
			}
			b.WriteString(k + "=" + v + "\n")
		}
		b.WriteString("\n")
	}
	return b.Bytes()
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// buildJournal writes entries into a new .journal file with
// systemd-journal-remote and returns its path.
func buildJournal(t *testing.T, entries []journalEntry) string {
	t.Helper()
	remote := needJournalTools(t)
	path := filepath.Join(t.TempDir(), "test.journal")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, remote, "--output="+path, "--split-mode=none", "-")
	cmd.Stdin = bytes.NewReader(exportFormat(entries))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("systemd-journal-remote: %v\n%s", err, out)
	}
	return path
}

// base is 2026-11-29T02:00:00Z; entries are one second apart.
var journalBase = time.Date(2026, 11, 29, 2, 0, 0, 0, time.UTC)

func usAt(sec int) string {
	return itoa64(journalBase.Add(time.Duration(sec) * time.Second).UnixMicro())
}

func itoa64(n int64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return string(b[i:])
}

func testJournalEntries() []journalEntry {
	pay := func(sec int, prio, msg string) journalEntry {
		return journalEntry{"__REALTIME_TIMESTAMP": usAt(sec), "PRIORITY": prio, "MESSAGE": msg,
			"SYSLOG_IDENTIFIER": "payment-gateway", "_SYSTEMD_UNIT": "payment-gateway.service"}
	}
	return []journalEntry{
		pay(0, "6", "started"),
		{"__REALTIME_TIMESTAMP": usAt(1), "PRIORITY": "3", "MESSAGE": "nginx down", "SYSLOG_IDENTIFIER": "nginx", "_SYSTEMD_UNIT": "nginx.service"},
		pay(2, "4", "pool at 90%"),
		pay(3, "3", "connection refused"),
		// Control bytes make journalctl print MESSAGE as an array of bytes.
		pay(4, "2", "\x1b]52;c;cm0gLXJmIC8K\x07\x1b[31mcritical\x1b[0m"),
		pay(5, "7", "first line\nsecond line"),
		{"__REALTIME_TIMESTAMP": usAt(6), "MESSAGE": "WARN no priority field", "SYSLOG_IDENTIFIER": "cron"},
	}
}

func TestJournaldFromJournalFile(t *testing.T) {
	path := buildJournal(t, testJournalEntries())
	type want struct {
		sec         int
		level, text string
		source      string
	}
	tests := []struct {
		name string
		j    Journald
		n    int
		want []want
	}{
		{
			name: "unit, all its entries",
			j:    Journald{Files: []string{path}, Units: []string{"payment-gateway.service"}},
			n:    100,
			want: []want{
				{0, LevelInfo, "started", "payment-gateway.service"},
				{2, LevelWarn, "pool at 90%", "payment-gateway.service"},
				{3, LevelError, "connection refused", "payment-gateway.service"},
				{4, LevelError, "critical", "payment-gateway.service"},
				{5, LevelDebug, "first line", "payment-gateway.service"},
				{5, LevelDebug, "second line", "payment-gateway.service"},
			},
		},
		{
			name: "last n entries",
			j:    Journald{Files: []string{path}, Units: []string{"payment-gateway.service"}},
			n:    2,
			want: []want{
				{5, LevelDebug, "first line", "payment-gateway.service"},
				{5, LevelDebug, "second line", "payment-gateway.service"},
			},
		},
		{
			name: "identifier",
			j:    Journald{Files: []string{path}, Identifiers: []string{"nginx", "cron"}},
			n:    10,
			want: []want{
				{1, LevelError, "nginx down", "nginx.service"},
				{6, LevelWarn, "WARN no priority field", "cron"},
			},
		},
		{
			name: "since",
			j:    Journald{Files: []string{path}, Since: journalBase.Add(3 * time.Second), Source: "journal"},
			n:    3,
			want: []want{
				{5, LevelDebug, "first line", "journal"},
				{5, LevelDebug, "second line", "journal"},
				{6, LevelWarn, "WARN no priority field", "journal"},
			},
		},
		{
			name: "directory",
			j:    Journald{Directory: filepath.Dir(path), Units: []string{"nginx.service"}},
			n:    10,
			want: []want{{1, LevelError, "nginx down", "nginx.service"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			lines, err := tt.j.Fetch(ctx, tt.n)
			if err != nil {
				t.Fatalf("Fetch: %v (lines %q)", err, texts(lines))
			}
			if len(lines) != len(tt.want) {
				t.Fatalf("got %d lines %q, want %d", len(lines), texts(lines), len(tt.want))
			}
			for i, w := range tt.want {
				l := lines[i]
				wantT := journalBase.Add(time.Duration(w.sec) * time.Second)
				if !l.T.Equal(wantT) || l.Level != w.level || l.Text != w.text || l.Source != w.source {
					t.Errorf("line %d = {%s %s %q %s}, want {%s %s %q %s}", i,
						l.T.UTC().Format(time.RFC3339), l.Level, l.Text, l.Source,
						wantT.Format(time.RFC3339), w.level, w.text, w.source)
				}
			}
		})
	}
}

// Follow reads the backlog and then waits on journalctl -f; cancelling it
// leaves no journalctl behind.
func TestJournaldFollow(t *testing.T) {
	path := buildJournal(t, testJournalEntries())
	tests := []struct {
		name string
		j    Journald
		want string
	}{
		{"unit backlog of two entries", Journald{Units: []string{"payment-gateway.service"}, Lines: 2},
			"critical|first line|second line"},
		{"since drops older backlog", Journald{Since: journalBase.Add(5 * time.Second), Lines: 10},
			"first line|second line|WARN no priority field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := tt.j
			j.Files, j.Grace = []string{path}, 50*time.Millisecond
			ring := NewRing(100)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			errc := make(chan error, 1)
			go func() { errc <- j.Follow(ctx, ring) }()
			last := tt.want[strings.LastIndex(tt.want, "|")+1:]
			eventually(t, "the backlog", func() bool { return hasText(ring.Snapshot(), last) })
			if len(liveProcessesMentioning(t, path)) == 0 {
				t.Fatal("journalctl is not running while following")
			}
			cancel()
			if err := <-errc; !errors.Is(err, context.Canceled) {
				t.Fatalf("Follow = %v, want context.Canceled", err)
			}
			if got := strings.Join(texts(ring.Snapshot()), "|"); got != tt.want {
				t.Errorf("lines = %q, want %q", got, tt.want)
			}
			eventually(t, "journalctl to be gone", func() bool { return len(liveProcessesMentioning(t, path)) == 0 })
		})
	}
}

func TestJournaldArgs(t *testing.T) {
	since := time.Date(2026, 11, 29, 2, 0, 0, 123456000, time.UTC)
	tests := []struct {
		name   string
		j      Journald
		n      int
		follow bool
		want   string
	}{
		{"fetch", Journald{Units: []string{"a.service"}}, 50, false,
			"journalctl --output=json --all --no-pager --quiet --unit=a.service --lines=50 --reverse"},
		{"follow with everything", Journald{Journalctl: "/bin/jc", Files: []string{"x.journal"}, Directory: "d",
			Identifiers: []string{"id"}, Since: since}, 10, true,
			"/bin/jc --output=json --all --no-pager --quiet --file=x.journal --directory=d --identifier=id --lines=10 --follow"},
		{"fetch with since", Journald{Since: since}, 5, false,
			"journalctl --output=json --all --no-pager --quiet --since=@1795917600.123456 --lines=5 --reverse"},
		{"follow without backlog", Journald{}, 0, true,
			"journalctl --output=json --all --no-pager --quiet --lines=0 --follow"},
		{"hostile unit stays one argument", Journald{Units: []string{"x; rm -rf /"}}, 1, false,
			"journalctl --output=json --all --no-pager --quiet --unit=x; rm -rf / --lines=1 --reverse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.j.Args(tt.n, tt.follow)
			if got := strings.Join(args, " "); got != tt.want {
				t.Errorf("Args = %s\nwant   %s", got, tt.want)
			}
			if tt.name == "hostile unit stays one argument" && args[5] != "--unit=x; rm -rf /" {
				t.Errorf("unit split into %q", args)
			}
		})
	}
}

func TestParseJournalEntry(t *testing.T) {
	tests := []struct {
		name    string
		record  string
		want    []Line
		wantErr string
	}{
		{
			name:   "string message",
			record: `{"__REALTIME_TIMESTAMP":"1700000000000001","PRIORITY":"3","MESSAGE":"boom","_SYSTEMD_UNIT":"pay.service"}`,
			want:   []Line{{T: time.UnixMicro(1700000000000001), Level: LevelError, Text: "boom", Source: "pay.service"}},
		},
		{
			name:   "byte array message with escapes",
			record: `{"__REALTIME_TIMESTAMP":"1700000000000000","PRIORITY":"6","MESSAGE":[27,91,51,49,109,104,105,27,93,53,50,59,99,59,101,65,61,61,7],"SYSLOG_IDENTIFIER":"x"}`,
			want:   []Line{{T: time.UnixMicro(1700000000000000), Level: LevelInfo, Text: "hi", Source: "x"}},
		},
		{
			name:   "repeated field uses first",
			record: `{"__REALTIME_TIMESTAMP":"1700000000000000","PRIORITY":["4","6"],"MESSAGE":["one","two"]}`,
			want:   []Line{{T: time.UnixMicro(1700000000000000), Level: LevelWarn, Text: "one", Source: "journald"}},
		},
		{
			name:   "null message (too large without --all)",
			record: `{"__REALTIME_TIMESTAMP":"1700000000000000","MESSAGE":null}`,
			want:   []Line{{T: time.UnixMicro(1700000000000000), Level: LevelUnknown, Text: "", Source: "journald"}},
		},
		{
			name:   "bad priority falls back to text",
			record: `{"__REALTIME_TIMESTAMP":"1700000000000000","PRIORITY":"x","MESSAGE":"ERROR y"}`,
			want:   []Line{{T: time.UnixMicro(1700000000000000), Level: LevelError, Text: "ERROR y", Source: "journald"}},
		},
		{name: "not json", record: `MESSAGE=hi`, wantErr: "bad journal JSON"},
		{name: "no timestamp", record: `{"MESSAGE":"hi"}`, wantErr: "bad __REALTIME_TIMESTAMP"},
		{name: "byte out of range", record: `{"__REALTIME_TIMESTAMP":"1","MESSAGE":[300]}`, wantErr: "out of range"},
		{name: "message an object", record: `{"__REALTIME_TIMESTAMP":"1","MESSAGE":{"a":1}}`, wantErr: "neither a string nor an array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseJournalEntry([]byte(tt.record))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if !got[i].T.Equal(tt.want[i].T) || got[i].Level != tt.want[i].Level || got[i].Text != tt.want[i].Text || got[i].Source != tt.want[i].Source {
					t.Errorf("line %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}
