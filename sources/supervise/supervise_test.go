package supervise

import (
	"context"
	"errors"
	"fmt"
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

// helperEnv makes the test binary a stand-in for sitrep: it starts the
// tree script under a supervisor and waits, so that the test can kill it.
const helperEnv = "SUPERVISE_TEST_PARENT"

func TestMain(m *testing.M) {
	if dir := os.Getenv(helperEnv); dir != "" {
		os.Exit(parent(dir))
	}
	os.Exit(m.Run())
}

func parent(dir string) int {
	p, err := Start(treeSpec(dir, "wait"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	p.Wait()
	return 0
}

// treeScript starts, besides itself, a background child in its group, one
// in a session of its own, and a double-forked grandchild in a session of
// its own whose parent has exited; it appends every pid to $1, then writes
// "ready" to $1.ready and runs its last argument ("wait", "exit 0", ...).
const treeScript = `
echo $$ >> "$1"
sleep 300 & echo $! >> "$1"
setsid sleep 300 & echo $! >> "$1"
(setsid sh -c 'echo $$ >> "$0"; sleep 300 & echo $! >> "$0"; exec sleep 300' "$1" &)
while [ "$(wc -l < "$1")" -lt 5 ]; do sleep 0.05; done
echo ready > "$1.ready"
echo started
eval "$2"
`

func treeSpec(dir, then string) Spec {
	return Spec{
		Argv:  []string{"/bin/sh", "-c", treeScript, "sh", filepath.Join(dir, "pids"), then},
		Env:   []string{"PATH=/usr/bin:/bin"},
		Grace: 300 * time.Millisecond,
	}
}

// treePids waits for the script to report its five pids.
func treePids(t *testing.T, dir string) []int {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(filepath.Join(dir, "pids.ready")); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	b, err := os.ReadFile(filepath.Join(dir, "pids"))
	if err != nil {
		t.Fatalf("the tree never started: %v", err)
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("pid file: %q", b)
		}
		pids = append(pids, pid)
	}
	if len(pids) < 5 {
		t.Fatalf("the tree reported %d pids, want 5: %v", len(pids), pids)
	}
	return pids
}

// alive reports whether pid is a live (not zombie) process.
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || (s[i+2] != 'Z' && s[i+2] != 'X')
}

// assertGone waits, with a generous deadline, for every pid to die, and
// kills the survivors so that a failing test leaves nothing behind.
func assertGone(t *testing.T, pids []int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		left := 0
		for _, pid := range pids {
			if alive(pid) {
				left++
			}
		}
		if left == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	var survivors []int
	for _, pid := range pids {
		if alive(pid) {
			survivors = append(survivors, pid)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	t.Errorf("processes of the run outlived it: %v (of %v)", survivors, pids)
}

func skipIfNotLinux(t *testing.T) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("only Linux has a subreaper: elsewhere a process that leaves the group escapes")
	}
}

func TestTerminateEndsTheWholeTree(t *testing.T) {
	skipIfNotLinux(t)
	dir := t.TempDir()
	p, err := Start(treeSpec(dir, "wait"))
	if err != nil {
		t.Fatal(err)
	}
	pids := treePids(t, dir)
	p.Terminate()
	ex := p.Wait()
	if ex.Signal != syscall.SIGTERM || ex.Code != -1 || ex.String() != "signal: terminated" {
		t.Errorf("exit = %+v (%s), want the leader ended by SIGTERM", ex, ex)
	}
	assertGone(t, pids)
}

func TestLeaderExitEndsWhatItLeft(t *testing.T) {
	skipIfNotLinux(t)
	dir := t.TempDir()
	p, err := Start(treeSpec(dir, "exit 0"))
	if err != nil {
		t.Fatal(err)
	}
	pids := treePids(t, dir)
	if ex := p.Wait(); !ex.OK() {
		t.Errorf("exit = %+v, want 0", ex)
	}
	assertGone(t, pids)
}

// The stand-in for sitrep is killed with SIGKILL mid-run: it can clean up
// nothing, and every process of the run must still go.
func TestParentKilledEndsTheWholeTree(t *testing.T) {
	skipIfNotLinux(t)
	dir := t.TempDir()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+dir)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pids := treePids(t, dir)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	assertGone(t, pids)
}

func TestExitStatus(t *testing.T) {
	tests := []struct {
		script string
		want   string
		code   int
	}{
		{"exit 0", "exit status 0", 0},
		{"echo out; echo err >&2; exit 3", "exit status 3", 3},
		{"kill -9 $$", "signal: killed", -1},
	}
	for _, tt := range tests {
		t.Run(tt.script, func(t *testing.T) {
			rOut, wOut, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer rOut.Close()
			p, err := Start(Spec{Argv: []string{"/bin/sh", "-c", tt.script}, Stdout: wOut, Stderr: wOut})
			wOut.Close()
			if err != nil {
				t.Fatal(err)
			}
			ex := p.Wait()
			if ex.String() != tt.want || ex.Code != tt.code {
				t.Errorf("exit = %+v (%s), want %s", ex, ex, tt.want)
			}
		})
	}
}

func TestStartFailureSaysWhy(t *testing.T) {
	tests := []struct {
		spec Spec
		want string
	}{
		{Spec{Argv: []string{"/nonexistent/binary"}}, "fork/exec /nonexistent/binary: no such file or directory"},
		{Spec{Argv: []string{"no-such-program-anywhere"}}, `exec: "no-such-program-anywhere": executable file not found in $PATH`},
		{Spec{Argv: nil}, "empty command"},
	}
	for _, tt := range tests {
		_, err := Start(tt.spec)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Start(%v) = %v, want %q", tt.spec.Argv, err, tt.want)
		}
	}
	_, err := Start(Spec{Argv: []string{"/bin/true"}, Dir: "/nonexistent/dir"})
	if err == nil || !strings.Contains(err.Error(), "no such file or directory") {
		t.Errorf("missing dir: %v", err)
	}
}

// Run by hand, the supervisor says what it is and exits.
func TestSupervisorByHand(t *testing.T) {
	skipIfNotLinux(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(self, Arg).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), "not run by hand") {
		t.Errorf("by hand: %v %q", err, out)
	}
}

func TestRunCollectsOutputAndStopsOnCancel(t *testing.T) {
	var out, errOut strings.Builder
	ex, err := Run(context.Background(), Spec{Argv: []string{"/bin/sh", "-c", "echo token; echo why >&2; sleep 300 & exit 0"}}, &out, &errOut)
	if err != nil || !ex.OK() || out.String() != "token\n" || errOut.String() != "why\n" {
		t.Errorf("Run = %+v %v, out %q err %q", ex, err, out.String(), errOut.String())
	}

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	ex, err = Run(ctx, Spec{Argv: []string{"/bin/sh", "-c", "sleep 300"}, Grace: 100 * time.Millisecond}, nil, nil)
	if err != nil || ex.Signal != syscall.SIGTERM {
		t.Errorf("cancelled Run = %+v %v, want ended by SIGTERM", ex, err)
	}

	if _, err := Run(context.Background(), Spec{Argv: []string{"/nonexistent/binary"}}, &out, nil); err == nil {
		t.Error("Run of a missing program: no error")
	}
}
