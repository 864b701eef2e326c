//go:build unix

package journal

import (
	"os"
	"syscall"
	"time"
)

// The snapshot gate lets a read-only open copy the journal between two of
// the writer's commits even when the writer commits back to back. It is a
// turnstile of two flocked sidecar files:
//
//	writer, per commit:   intent SH, commit SH, intent unlock, commit, commit unlock
//	reader, per copy:     intent EX, commit EX, copy, unlock both
//
// A reader holding intent stops new commits at the turnstile, then waits
// for the commit in flight. Every wait is bounded (gateWait): a stopped or
// hung peer costs a short delay, never a hang, and the copy is checked by
// the meta pages' txids whether or not the gate was held.
type gate struct {
	intent, commit *os.File
}

// gateWait bounds each side's wait for the other.
const gateWait = time.Second

func gatePaths(path string) (intent, commit string) {
	return path + ".lock-intent", path + ".lock-commit"
}

// openGate opens (and, for the writer, creates) the gate's files. A nil
// gate, as when an older sitrep writes the journal, gates nothing.
func openGate(path string, create bool) *gate {
	flag, mode := os.O_RDONLY, os.FileMode(0)
	if create {
		flag, mode = os.O_RDWR|os.O_CREATE, 0o600
	}
	ip, cp := gatePaths(path)
	intent, err := os.OpenFile(ip, flag, mode)
	if err != nil {
		return nil
	}
	commit, err := os.OpenFile(cp, flag, mode)
	if err != nil {
		_ = intent.Close()
		return nil
	}
	return &gate{intent: intent, commit: commit}
}

// enterCommit is the writer's side; call the returned func after the commit.
func (g *gate) enterCommit() (leave func()) {
	if g == nil {
		return func() {}
	}
	haveIntent := flockWait(g.intent, syscall.LOCK_SH)
	haveCommit := flockWait(g.commit, syscall.LOCK_SH)
	if haveIntent {
		_ = syscall.Flock(int(g.intent.Fd()), syscall.LOCK_UN)
	}
	return func() {
		if haveCommit {
			_ = syscall.Flock(int(g.commit.Fd()), syscall.LOCK_UN)
		}
	}
}

// holdCommits is the reader's side: it stops the writer's commits until
// the returned func is called. If the writer does not let go in time it
// holds nothing, and the caller copies anyway and relies on the txid check.
func (g *gate) holdCommits() (release func()) {
	if g == nil || !flockWait(g.intent, syscall.LOCK_EX) {
		return func() {}
	}
	unlockIntent := func() { _ = syscall.Flock(int(g.intent.Fd()), syscall.LOCK_UN) }
	if !flockWait(g.commit, syscall.LOCK_EX) {
		unlockIntent()
		return func() {}
	}
	return func() {
		_ = syscall.Flock(int(g.commit.Fd()), syscall.LOCK_UN)
		unlockIntent()
	}
}

func (g *gate) close() {
	if g != nil {
		_ = g.intent.Close()
		_ = g.commit.Close()
	}
}

// flockWait takes a flock without blocking in the kernel, polling until
// gateWait has passed, so no peer can make it wait longer.
func flockWait(f *os.File, how int) bool {
	deadline := time.Now().Add(gateWait)
	for pause := 50 * time.Microsecond; ; pause = min(2*pause, 5*time.Millisecond) {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		if err == nil {
			return true
		}
		if err != syscall.EWOULDBLOCK && err != syscall.EINTR {
			return false
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(pause)
	}
}
