package logs

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the programs the command source runs, so the
// tests need no shell tools and control exactly what is printed and which
// signals are ignored.
const helperEnv = "SITREP_LOGS_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(helperMain(mode, os.Args[1:]))
	}
	if out := os.Getenv(parentEnv); out != "" {
		os.Exit(followUntilKilled(out))
	}
	os.Exit(m.Run())
}

func helperMain(mode string, args []string) int {
	switch mode {
	case "print": // each arg a line; "err:" prefix goes to stderr
		for _, a := range args {
			if rest, ok := strings.CutPrefix(a, "err:"); ok {
				fmt.Fprintln(os.Stderr, rest)
			} else {
				fmt.Println(a)
			}
		}
		return 0
	case "long": // one line of args[0] bytes, then "after"
		n, _ := strconv.Atoi(args[0])
		os.Stdout.WriteString(strings.Repeat("a", n) + "\nafter\n")
		return 0
	case "fail":
		fmt.Println("partial output")
		fmt.Fprintln(os.Stderr, "error: pods \"pay-7f9\" not found")
		return 3
	case "hang": // ignore SIGTERM, start a child that does too, never exit
		signal.Ignore(syscall.SIGTERM)
		startChild("sleep", true)
		fmt.Printf("pid %d\n", os.Getpid())
		select {}
	case "orphan": // start a child with no hold on our pipes, then exit
		fmt.Printf("pid %d\n", os.Getpid())
		startChild("sleep", false)
		return 0
	case "sleep":
		signal.Ignore(syscall.SIGTERM)
		fmt.Println("child ready")
		select {}
	case "ticker": // a line every few ms until killed
		fmt.Printf("pid %d\n", os.Getpid())
		for i := 0; ; i++ {
			fmt.Printf("tick %d\n", i)
			time.Sleep(5 * time.Millisecond)
		}
	}
	fmt.Fprintln(os.Stderr, "unknown helper mode", mode)
	return 2
}

func startChild(mode string, inheritOutput bool) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), helperEnv+"="+mode)
	if inheritOutput {
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "start child:", err)
		os.Exit(2)
	}
}

// helperCommand is a Command running this test binary in a helper mode.
func helperCommand(t *testing.T, mode string, args ...string) Command {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return Command{
		Argv: append([]string{exe}, args...),
		// The race detector otherwise sleeps a second at exit.
		Env:    []string{helperEnv + "=" + mode, "GORACE=atexit_sleep_ms=0"},
		Source: "helper",
		Grace:  50 * time.Millisecond,
	}
}

// liveGroupMembers lists the processes in process group pgid that are not
// zombies (a zombie has exited; it only waits for its parent to reap it).
func liveGroupMembers(t *testing.T, pgid int) []int {
	t.Helper()
	return scanProc(t, func(pid int, stat string) bool {
		f := strings.Fields(stat)
		// After "(comm)": state ppid pgrp ...
		return len(f) >= 3 && f[0] != "Z" && f[2] == strconv.Itoa(pgid)
	}, nil)
}

// liveProcessesMentioning lists non-zombie processes whose command line
// contains s.
func liveProcessesMentioning(t *testing.T, s string) []int {
	t.Helper()
	return scanProc(t, func(pid int, stat string) bool {
		f := strings.Fields(stat)
		return len(f) >= 1 && f[0] != "Z"
	}, func(cmdline string) bool { return strings.Contains(cmdline, s) })
}

func scanProc(t *testing.T, statOK func(pid int, afterComm string) bool, cmdOK func(string) bool) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skipf("no /proc to inspect processes: %v", err)
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // exited meanwhile
		}
		s := string(stat)
		i := strings.LastIndexByte(s, ')')
		if i < 0 || !statOK(pid, s[i+1:]) {
			continue
		}
		if cmdOK != nil {
			cl, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
			if err != nil || !cmdOK(strings.ReplaceAll(string(cl), "\x00", " ")) {
				continue
			}
		}
		pids = append(pids, pid)
	}
	return pids
}

// eventually polls cond until it holds, failing after a generous bound. It
// waits for a state, it does not measure time: the bound only keeps a
// broken build from hanging.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func texts(lines []Line) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l.Text
	}
	return out
}

func hasText(lines []Line, s string) bool {
	for _, l := range lines {
		if l.Text == s {
			return true
		}
	}
	return false
}

// pidFromLines finds the "pid N" line a helper prints first.
func pidFromLines(lines []Line) int {
	for _, l := range lines {
		if rest, ok := strings.CutPrefix(l.Text, "pid "); ok {
			if n, err := strconv.Atoi(rest); err == nil {
				return n
			}
		}
	}
	return 0
}

func fmtSscan(s string, n *int) (int, error) { return fmt.Sscanf(s, "tick %d", n) }
