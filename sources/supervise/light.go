//go:build unix

package supervise

import (
	"errors"
	"os/exec"
	"runtime"
	"syscall"
	"time"
)

// startLight starts s directly, as the leader of a new process group (see
// the package comment).
func startLight(s Spec) (*Process, error) {
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
	cmd.SysProcAttr = lightAttr()
	stop := make(chan struct{})
	p := &Process{done: make(chan struct{}), stop: func() { close(stop) }}
	started := make(chan error, 1)
	grace := s.grace()
	go func() {
		// The parent-death signal fires when the thread that forked the
		// command ends, not when sitrep does; as for the supervisor (see
		// Start), this goroutine keeps that thread until the leader is
		// reaped.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		p.pid = cmd.Process.Pid
		started <- nil
		p.finish(runLight(cmd, stop, grace))
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return p, nil
}

// runLight waits for the end of a command started by startLight. When
// stop is closed its group gets SIGTERM, and SIGKILL once the leader has
// exited or the grace period has passed; when the leader exits by itself,
// what it left in its group gets SIGKILL at once, as debris rather than a
// command asked to stop. On Linux the leader is reaped only after that:
// until then its pid, which names the group, cannot be reused, so no
// signal can reach a stranger's group. No process list is read, so a run
// costs no more than its command.
func runLight(cmd *exec.Cmd, stop <-chan struct{}, grace time.Duration) Exit {
	pgid := cmd.Process.Pid
	var werr error
	reaped := false
	exited := make(chan struct{})
	go func() {
		if !waitExited(pgid) {
			// Where a leader cannot be waited for without reaping it.
			werr, reaped = cmd.Wait(), true
		}
		close(exited)
	}()
	select {
	case <-exited:
	case <-stop:
		if grace > 0 {
			_ = syscall.Kill(-pgid, syscall.SIGTERM)
			t := time.NewTimer(grace)
			select {
			case <-exited:
			case <-t.C:
			}
			t.Stop()
		}
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	<-exited
	if !reaped {
		werr = cmd.Wait()
	}
	// The group's last members are dying of SIGKILL; Done waits for them.
	// Signal 0 is harmless even if the group's ID were reused meanwhile.
	for i := 0; i < 100 && syscall.Kill(-pgid, 0) == nil; i++ {
		time.Sleep(5 * time.Millisecond)
	}
	return exitOf(werr)
}

// exitOf is how os/exec's Wait says the leader ended.
func exitOf(werr error) Exit {
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
	return ex
}
