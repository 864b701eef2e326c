package logs

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// familyScript is a log command with a child of its own: it prints its
// pid and its child's, and waits.
const familyScript = `sleep 300 & echo "pid $$"; echo "child $!"; sleep 300`

// numberAfter finds the "prefix N" line in lines.
func numberAfter(lines []Line, prefix string) int {
	for _, l := range lines {
		if rest, ok := strings.CutPrefix(l.Text, prefix+" "); ok {
			if n, err := strconv.Atoi(rest); err == nil {
				return n
			}
		}
	}
	return 0
}

// liveProcess reports whether pid is a live (not zombie) process.
func liveProcess(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || (s[i+2] != 'Z' && s[i+2] != 'X')
}

// A followed command's own children go with it when the pane lets go.
func TestCommandCancelEndsItsChildren(t *testing.T) {
	ring := NewRing(100)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	c := Command{Argv: []string{"/bin/sh", "-c", familyScript}, Grace: 100 * time.Millisecond}
	go func() { errc <- c.Follow(ctx, ring) }()
	eventually(t, "the command and its child", func() bool { return numberAfter(ring.Snapshot(), "child") != 0 })
	pid, child := numberAfter(ring.Snapshot(), "pid"), numberAfter(ring.Snapshot(), "child")
	if !liveProcess(pid) || !liveProcess(child) {
		t.Fatalf("the command %d and its child %d should be running", pid, child)
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Follow = %v, want context.Canceled", err)
	}
	eventually(t, "the command and its child to be gone", func() bool { return !liveProcess(pid) && !liveProcess(child) })
}

// parentEnv makes the test binary a stand-in for sitrep that follows
// familyScript, writing its lines to the file the variable names, until it
// is killed.
const parentEnv = "SITREP_LOGS_TEST_PARENT"

func followUntilKilled(out string) int {
	ring := NewRing(100)
	c := Command{Argv: []string{"/bin/sh", "-c", familyScript}}
	go func() { _ = c.Follow(context.Background(), ring) }()
	for numberAfter(ring.Snapshot(), "child") == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	if err := os.WriteFile(out, []byte(strings.Join(texts(ring.Snapshot()), "\n")), 0o600); err != nil {
		return 1
	}
	select {}
}

// sitrep killed outright cannot end anything; the command's leader dies
// with it all the same (light mode's parent-death signal). Its children
// are what light mode leaves (see sources/supervise): the test kills its
// group.
func TestCommandLeaderDiesWithKilledParent(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the parent-death signal is Linux's")
	}
	out := filepath.Join(t.TempDir(), "lines")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	parent := exec.Command(self, "-test.run=^$")
	parent.Env = append(os.Environ(), parentEnv+"="+out, "GORACE=atexit_sleep_ms=0")
	parent.Stderr = os.Stderr
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	var lines []Line
	eventually(t, "the stand-in's command to start", func() bool {
		b, err := os.ReadFile(out)
		if err != nil {
			return false
		}
		lines = nil
		for _, s := range strings.Split(string(b), "\n") {
			lines = append(lines, Line{Text: s})
		}
		return numberAfter(lines, "child") != 0
	})
	pid := numberAfter(lines, "pid")
	t.Cleanup(func() { _ = syscall.Kill(-pid, syscall.SIGKILL) })
	if err := parent.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = parent.Wait()
	eventually(t, "the command to die with its parent", func() bool { return !liveProcess(pid) })
}

// BenchmarkCommandFetchShort is the cost of one fetch of a short log
// command: start, read its line, end its group.
func BenchmarkCommandFetchShort(b *testing.B) {
	c := Command{Argv: []string{"/bin/echo", "INFO one line"}}
	ctx := context.Background()
	for b.Loop() {
		lines, err := c.Fetch(ctx, 10)
		if err != nil || len(lines) != 1 {
			b.Fatalf("Fetch = %v, %v", lines, err)
		}
	}
}
