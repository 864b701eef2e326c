//go:build unix && !linux

package supervise

import (
	"errors"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// Process is a command running as the leader of its own process group.
// Without a subreaper, a process that leaves the group escapes, and a
// command outlives a sitrep that is killed outright.
type Process struct {
	pid   int
	grace time.Duration
	done  chan struct{}
	exit  Exit
	once  sync.Once
}

// Start starts s as the leader of a new process group.
func Start(s Spec) (*Process, error) {
	cmd, err := command(s)
	if err != nil {
		return nil, err
	}
	if s.Stdout != nil {
		cmd.Stdout = s.Stdout
	}
	if s.Stderr != nil {
		cmd.Stderr = s.Stderr
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &Process{pid: cmd.Process.Pid, grace: s.grace(), done: make(chan struct{})}
	go func() {
		werr := cmd.Wait()
		ex := Exit{Code: -1, At: time.Now()}
		var ee *exec.ExitError
		switch {
		case werr == nil:
			ex.Code = 0
		case errors.As(werr, &ee):
			ws, _ := ee.Sys().(syscall.WaitStatus)
			switch {
			case ws.Exited():
				ex.Code = ws.ExitStatus()
			case ws.Signaled():
				ex.Signal, ex.CoreDumped = ws.Signal(), ws.CoreDump()
			}
		default:
			ex.Err = werr
		}
		// The leader is gone; nothing it left in its group survives it.
		if groupAlive(p.pid) {
			killGroup(p.pid, p.grace)
		}
		p.exit = ex
		close(p.done)
	}()
	return p, nil
}

// Pid is the command's process ID, which is also its process group's.
func (p *Process) Pid() int { return p.pid }

// Terminate sends SIGTERM to the group and SIGKILL after the grace period.
// It returns at once; Wait reports the end.
func (p *Process) Terminate() {
	p.once.Do(func() { go killGroup(p.pid, p.grace) })
}

// Done is closed when the command has exited and its group is empty.
func (p *Process) Done() <-chan struct{} { return p.done }

// Wait waits for Done and returns how the command ended.
func (p *Process) Wait() Exit {
	<-p.done
	return p.exit
}

func groupAlive(pgid int) bool {
	return syscall.Kill(-pgid, 0) == nil
}

// killGroup sends SIGTERM to the group, waits up to grace for it to
// empty, then sends SIGKILL.
func killGroup(pgid int, grace time.Duration) {
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	deadline := time.NewTimer(grace)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-deadline.C:
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			return
		case <-tick.C:
			if !groupAlive(pgid) {
				return
			}
		}
	}
}
