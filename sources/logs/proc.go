package logs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"sitrep/sources/childenv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultGrace is how long a command has between SIGTERM and SIGKILL.
const DefaultGrace = 2 * time.Second

type stream int

const (
	streamStdout stream = iota
	streamStderr
)

// proc is one run of an argv in its own process group.
type proc struct {
	argv  []string
	dir   string
	env   []string // added to sitrep's environment (see childEnv)
	grace time.Duration
	limit int // bytes per line
}

// run starts p.argv directly (never through a shell) as the leader of a new
// process group, feeds every line of its stdout and stderr to emit (one call
// at a time), and returns when the process has exited and its group has been
// killed, or when ctx has ended and the group has been terminated.
//
// Killing the group rather than the process is what keeps a pipeline
// inside a wrapper script, or kubectl's own children, from outliving the
// pane. A process that moves itself into another group or session escapes;
// nothing short of a cgroup could follow it.
func (p proc) run(ctx context.Context, emit func(s stream, line []byte, truncated bool)) error {
	if len(p.argv) == 0 || p.argv[0] == "" {
		return errors.New("no command given")
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", p.name(), context.Cause(ctx))
	}
	cmd := exec.Command(p.argv[0], p.argv[1:]...)
	cmd.Dir = p.dir
	cmd.Env = childenv.For(p.env)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("%s: %w", p.name(), err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return fmt.Errorf("%s: %w", p.name(), err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", p.name(), err)
	}
	pgid := cmd.Process.Pid

	// killMu orders the watcher's signals before the leader is reaped: a
	// reaped leader's pid may be reused, and a signal to -pid would then hit
	// a stranger's group.
	var killMu sync.Mutex
	reaped := false
	signalGroup := func(sig syscall.Signal) {
		killMu.Lock()
		defer killMu.Unlock()
		if !reaped {
			_ = syscall.Kill(-pgid, sig)
		}
	}
	var stopped bool // ctx ended while the process ran
	watchDone := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(watchDone)
		select {
		case <-exited:
			return
		case <-ctx.Done():
		}
		killMu.Lock()
		stopped = !reaped
		killMu.Unlock()
		signalGroup(syscall.SIGTERM)
		grace := p.grace
		if grace <= 0 {
			grace = DefaultGrace
		}
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-exited:
		case <-t.C:
			signalGroup(syscall.SIGKILL)
		}
	}()

	var emitMu sync.Mutex
	var tail lastLine
	limit := p.limit
	if limit <= 0 {
		limit = MaxLineBytes
	}
	pump := func(r io.Reader, s stream, wg *sync.WaitGroup) {
		defer wg.Done()
		sp := newSplitter(limit, func(b []byte, truncated bool) {
			emitMu.Lock()
			defer emitMu.Unlock()
			if s == streamStderr {
				tail.set(b)
			}
			emit(s, b, truncated)
		})
		_, _ = io.Copy(sp, r)
		sp.Flush()
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go pump(stdout, streamStdout, &wg)
	go pump(stderr, streamStderr, &wg)
	// Pipes reach EOF when every process holding them has gone. A
	// background child that keeps them open keeps us here until ctx ends
	// and the group is killed.
	wg.Wait()

	// The leader has closed its output; wait for it to exit without
	// reaping it, so its pid still names our group, then kill whatever is
	// left in the group.
	waitExited(pgid)
	killMu.Lock()
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	reaped = true
	wasStopped := stopped
	killMu.Unlock()
	waitErr := cmd.Wait()
	close(exited)
	<-watchDone

	if wasStopped {
		return fmt.Errorf("%s: %w", p.name(), context.Cause(ctx))
	}
	if waitErr != nil {
		var ee *exec.ExitError
		if errors.As(waitErr, &ee) && tail.String() != "" {
			return fmt.Errorf("%s: %v: %s", p.name(), waitErr, tail.String())
		}
		return fmt.Errorf("%s: %w", p.name(), waitErr)
	}
	return nil
}

func (p proc) name() string {
	if len(p.argv) == 0 {
		return "command"
	}
	return filepath.Base(p.argv[0])
}

// lastLine remembers the last non-empty stderr line, sanitized, for the
// error message when a command fails.
type lastLine struct{ s string }

func (l *lastLine) set(b []byte) {
	if s := strings.TrimSpace(cleanText(b, false)); s != "" {
		if len(s) > 300 {
			s = s[:300] + TruncatedMarker
		}
		l.s = s
	}
}

func (l *lastLine) String() string { return l.s }
