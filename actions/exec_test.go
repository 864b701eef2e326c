package actions

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// collector gathers streamed chunks safely.
type collector struct {
	mu     sync.Mutex
	chunks []Chunk
	first  chan struct{}
	once   sync.Once
}

func newCollector() *collector { return &collector{first: make(chan struct{})} }

func (c *collector) add(ch Chunk) {
	c.mu.Lock()
	c.chunks = append(c.chunks, ch)
	c.mu.Unlock()
	c.once.Do(func() { close(c.first) })
}

func (c *collector) text(stream string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	for _, ch := range c.chunks {
		if stream == "" || ch.Stream == stream {
			b.WriteString(ch.Text)
		}
	}
	return b.String()
}

func shProc(t *testing.T, script string, timeout time.Duration) proc {
	t.Helper()
	return proc{argv: []string{"/bin/sh", "-c", script}, env: []string{"PATH=/usr/bin:/bin"}, timeout: timeout, grace: 500 * time.Millisecond}
}

func TestExecStreamsAndExits(t *testing.T) {
	tests := []struct {
		name       string
		script     string
		wantOK     bool
		wantText   string
		wantStdout string
		wantStderr string
	}{
		{"ok", "echo one; echo two >&2; echo three", true, "exit 0", "one\nthree\n", "two\n"},
		{"fails", "echo bad >&2; exit 3", false, "exit 3", "", "bad\n"},
		{"partial last line", "printf 'no newline'", true, "exit 0", "no newline", ""},
		{"redacts", "echo Authorization: Bearer abc123; echo token=s3cr3tvalue", true, "exit 0", "Authorization: ***\ntoken=***\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCollector()
			res := runProc(context.Background(), shProc(t, tt.script, time.Minute), &Redactor{}, c.add)
			if res.OK != tt.wantOK || res.Text != tt.wantText {
				t.Errorf("result = %v %q, want %v %q", res.OK, res.Text, tt.wantOK, tt.wantText)
			}
			if got := c.text("stdout"); got != tt.wantStdout {
				t.Errorf("stdout = %q, want %q", got, tt.wantStdout)
			}
			if got := c.text("stderr"); got != tt.wantStderr {
				t.Errorf("stderr = %q, want %q", got, tt.wantStderr)
			}
			if strings.Contains(res.Output, "abc123") || strings.Contains(res.Output, "s3cr3t") {
				t.Errorf("secret in output: %q", res.Output)
			}
		})
	}
}

func TestExecEnvironmentIsExplicit(t *testing.T) {
	t.Setenv("SITREP_TEST_LEAK", "leaked")
	e := &Engine{LookupEnv: func(k string) (string, bool) {
		m := map[string]string{"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "KEEP": "kept", "SITREP_TEST_LEAK": "leaked"}
		v, ok := m[k]
		return v, ok
	}}
	env, names, err := e.childEnv([]string{"KEEP", "SET={{.x}}"}, map[string]string{"x": "val"}, &Redactor{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(names, ",") != "KEEP,SET" {
		t.Errorf("names = %v", names)
	}
	res := runProc(context.Background(), proc{argv: []string{"/usr/bin/env"}, env: env, timeout: time.Minute}, &Redactor{}, nil)
	got := strings.Fields(res.Output)
	want := []string{"PATH=/usr/bin:/bin", "HOME=/nonexistent", "KEEP=kept", "SET=val"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("child env = %v, want exactly %v", got, want)
	}
}

func TestExecOutputCapped(t *testing.T) {
	c := newCollector()
	// 2 MiB of output.
	res := runProc(context.Background(), shProc(t, "yes 'a line of plain output, nothing secret in it' | head -c 2097152", time.Minute), &Redactor{}, c.add)
	if !res.OK {
		t.Fatalf("result %q", res.Text)
	}
	if !strings.HasSuffix(res.Output, TruncatedMarker) {
		t.Errorf("output does not end with the truncation marker")
	}
	if n := len(res.Output); n != MaxOutput+len(TruncatedMarker) {
		t.Errorf("output length = %d, want %d", n, MaxOutput+len(TruncatedMarker))
	}
	if n := len(c.text("")); n != MaxOutput+len(TruncatedMarker) {
		t.Errorf("streamed length = %d", n)
	}
}

// alive reports whether pid is a live (not zombie) process.
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// waitGone waits (bounded) for pid to die; the kernel may take a moment
// to deliver SIGKILL to a reparented child.
func waitGone(t *testing.T, pid int) bool {
	t.Helper()
	for range 200 {
		if !alive(pid) {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

func TestExecNoOrphanSurvives(t *testing.T) {
	tests := []struct {
		name   string
		script string // $1 is the pid file
		cancel bool
		want   func(Result) bool
	}{
		{"timeout", `sleep 300 & echo $! > "$1"; echo started; sleep 300`, false, func(r Result) bool { return r.TimedOut && strings.HasPrefix(r.Text, "timed out") }},
		{"cancel", `sleep 300 & echo $! > "$1"; echo started; sleep 300`, true, func(r Result) bool { return r.Cancelled && r.Text == "cancelled" }},
		{"ignores SIGTERM", `trap '' TERM; sleep 300 & echo $! > "$1"; echo started; while :; do sleep 1; done`, false, func(r Result) bool { return r.TimedOut }},
		{"leader exits, child lingers", `sleep 300 & echo $! > "$1"; echo started; exit 0`, false, func(r Result) bool { return r.OK }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pidFile := filepath.Join(t.TempDir(), "pid")
			p := proc{argv: []string{"/bin/sh", "-c", tt.script, "sh", pidFile}, env: []string{"PATH=/usr/bin:/bin"},
				timeout: time.Hour, grace: 300 * time.Millisecond}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			c := newCollector()
			if !tt.cancel && tt.name != "leader exits, child lingers" {
				p.timeout = 500 * time.Millisecond
			}
			if tt.cancel {
				go func() { <-c.first; cancel() }()
			}
			res := runProc(ctx, p, &Redactor{}, c.add)
			if !tt.want(res) {
				t.Fatalf("result = %+v", res)
			}
			b, err := os.ReadFile(pidFile)
			if err != nil {
				t.Fatalf("background child never started: %v", err)
			}
			pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
			if pid <= 0 {
				t.Fatalf("bad pid %q", b)
			}
			if !waitGone(t, pid) {
				_ = syscall.Kill(pid, syscall.SIGKILL)
				t.Fatalf("background child %d survived", pid)
			}
		})
	}
}

func TestExecStartFailure(t *testing.T) {
	res := runProc(context.Background(), proc{argv: []string{"/nonexistent/binary"}, timeout: time.Minute}, &Redactor{}, nil)
	if res.OK || !strings.HasPrefix(res.Text, "failed to start") {
		t.Errorf("result = %+v", res)
	}
}
