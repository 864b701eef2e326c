package supervise

import (
	"errors"
	"syscall"

	"golang.org/x/sys/unix"
)

// lightAttr makes the command the leader of a new group that dies with
// sitrep's forking thread (see startLight).
func lightAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// waitExited blocks until pid has exited, leaving it a zombie so that its
// pid, and so its process group ID, cannot be reused yet. It reports
// whether it did; the supervisor uses it too.
func waitExited(pid int) bool {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if !errors.Is(err, syscall.EINTR) {
			return err == nil
		}
	}
}
