package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"sitrep/actions"
)

// treeScript is the spawn_tree action: besides itself, a background child
// in its group, one in a session of its own, and a double-forked
// grandchild in a session of its own whose parent has exited. It writes
// every pid to $HOME/tree.pids, then "ready" to $HOME/tree.ready, and
// waits.
const treeScript = `#!/bin/sh
pids="$HOME/tree.pids"
echo $$ >> "$pids"
sleep 300 & echo $! >> "$pids"
setsid sleep 300 & echo $! >> "$pids"
(setsid sh -c 'echo $$ >> "$0"; sleep 300 & echo $! >> "$0"; exec sleep 300' "$pids" &)
while [ "$(wc -l < "$pids")" -lt 5 ]; do sleep 0.05; done
echo ready > "$HOME/tree.ready"
echo "tree started"
wait
`

// liveProc reports whether pid is a live (not zombie) process.
func liveProc(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || (s[i+2] != 'Z' && s[i+2] != 'X')
}

// sitrep is killed with SIGKILL while an action runs: none of the action's
// processes may survive it, and the next start marks the run interrupted,
// once, tells the engineer, and the export says so.
func TestKilledSitrepLeavesNoActionProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the supervisor that outlives a killed sitrep needs Linux")
	}
	rw := startRunWorld(t, filepath.Join("testdata", "orphans"))
	bin := buildSitrep(t)
	tools := t.TempDir()
	if err := os.WriteFile(filepath.Join(tools, "sitrep-test-tree"), []byte(treeScript), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", tools+string(os.PathListSeparator)+os.Getenv("PATH"))
	id := rw.incident.ID
	base := []string{"--config", rw.config, "--journal", rw.journal}

	var out bytes.Buffer
	run := exec.Command(bin, append([]string{"run", "spawn_tree", "--incident", id, "--confirm", "payment-gateway"}, base...)...)
	run.Stdout, run.Stderr = &out, &out
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = run.Wait(); close(exited) }()
	ready := filepath.Join(rw.home, "tree.ready")
	deadline := time.Now().Add(90 * time.Second)
	for {
		if _, err := os.Stat(ready); err == nil {
			break
		}
		select {
		case <-exited:
			t.Fatalf("sitrep run ended before the tree was up:\n%s", out.String())
		default:
		}
		if time.Now().After(deadline) {
			_ = run.Process.Kill()
			t.Fatalf("the tree never came up:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	b, err := os.ReadFile(filepath.Join(rw.home, "tree.pids"))
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("pid file %q", b)
		}
		pids = append(pids, pid)
	}
	if len(pids) != 5 {
		t.Fatalf("pids = %v, want 5", pids)
	}

	if err := run.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-exited
	gone := time.Now().Add(30 * time.Second)
	for time.Now().Before(gone) {
		left := 0
		for _, pid := range pids {
			if liveProc(pid) {
				left++
			}
		}
		if left == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	var survivors []int
	for _, pid := range pids {
		if liveProc(pid) {
			survivors = append(survivors, pid)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	if len(survivors) > 0 {
		t.Fatalf("the action's processes outlived sitrep: %v of %v", survivors, pids)
	}

	// The next start says which run was interrupted, and journals it once.
	for i := range 2 {
		next, err := exec.Command(bin, append([]string{"run", "spawn_tree", "--incident", id, "--dry-run"}, base...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("sitrep run --dry-run: %v\n%s", err, next)
		}
		said := strings.Contains(string(next), "spawn_tree on payment-gateway") && strings.Contains(string(next), "Interrupted when sitrep ended, effect unknown")
		if said != (i == 0) {
			t.Errorf("start %d: notice shown = %v, want %v:\n%s", i+1, said, i == 0, next)
		}
	}
	n := 0
	for _, e := range rw.entries(t) {
		if e.Kind == "action."+actions.StepInterrupted {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d interrupted entries, want exactly 1: %v", n, kinds(rw.entries(t)))
	}
	md, err := exec.Command(bin, append([]string{"export", id}, base...)...).Output()
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	if !strings.Contains(string(md), "| spawn\\_tree |") || !strings.Contains(string(md), "| interrupted — effect unknown |") {
		t.Errorf("the export's Actions taken does not show the run interrupted:\n%s", md)
	}
}
