package deploys

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"sitrep/sources/childenv"
	"sitrep/sources/sanitize"
)

// maxOutput bounds what a command may print before it is cut off.
const maxOutput = 16 << 20

// waitDelay is how long a command whose context ended has to let go of its
// output pipes after its process group was killed.
const waitDelay = 2 * time.Second

// runArgv runs argv directly (never through a shell) in its own process
// group and returns its stdout. When ctx ends the whole group is killed, so
// a wrapper script's children go too; so is whatever the program left
// running in its group when it exits, as a background child that would
// otherwise hold stdout open. A non-zero exit is an error naming the
// program and the last line of its stderr; stdout is still returned.
//
// This is sources/logs' proc.run cut down to a command that is read to the
// end: the same group, the same leader-exit wait; see the comments there.
func runArgv(ctx context.Context, argv []string, dir string, env []string) ([]byte, error) {
	if len(argv) == 0 || argv[0] == "" {
		return nil, errors.New("no command given")
	}
	name := filepath.Base(argv[0])
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, context.Cause(ctx))
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = childenv.For(env)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Bounds the wait for output held open by a process that left the
	// group, which the group kill cannot reach.
	cmd.WaitDelay = waitDelay
	stdout := &capped{limit: maxOutput}
	stderr := &capped{limit: 64 << 10}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	pgid := cmd.Process.Pid

	// killMu orders the watcher's kill before the leader is reaped: a
	// reaped leader's pid may be reused, and -pid would then name a
	// stranger's group.
	var killMu sync.Mutex
	reaped := false
	exited := make(chan struct{})
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		select {
		case <-exited:
			return
		case <-ctx.Done():
		}
		killMu.Lock()
		defer killMu.Unlock()
		if !reaped {
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
		}
	}()

	// Wait for the leader without reaping it, so its pid still names our
	// group, then kill what it left behind: that closes their copies of
	// the output pipes, and Wait returns at once.
	if waitExited(pgid) {
		killMu.Lock()
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		reaped = true
		killMu.Unlock()
	}
	err := cmd.Wait()
	killMu.Lock()
	reaped = true
	killMu.Unlock()
	close(exited)
	<-watchDone

	if ctx.Err() != nil {
		return stdout.Bytes(), fmt.Errorf("%s: %w", name, context.Cause(ctx))
	}
	if stdout.over {
		return stdout.Bytes(), fmt.Errorf("%s: output larger than %d bytes", name, maxOutput)
	}
	if err != nil {
		if last := lastLine(stderr.Bytes()); last != "" {
			return stdout.Bytes(), fmt.Errorf("%s: %v: %s", name, err, last)
		}
		return stdout.Bytes(), fmt.Errorf("%s: %w", name, err)
	}
	return stdout.Bytes(), nil
}

// capped is a writer that keeps the first limit bytes and notes the rest.
type capped struct {
	bytes.Buffer
	limit int
	over  bool
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.limit - c.Len(); room < len(p) {
		c.over = true
		c.Buffer.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return c.Buffer.Write(p)
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return sanitize.Line(capString(lines[len(lines)-1], 300))
}
