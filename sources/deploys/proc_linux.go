package deploys

import (
	"errors"
	"syscall"

	"golang.org/x/sys/unix"
)

// waitExited blocks until the child pid has exited, leaving it a zombie so
// that its pid (and so its process group id) cannot be reused yet. It
// reports whether it waited; the same as sources/logs' waitExited.
func waitExited(pid int) bool {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if !errors.Is(err, syscall.EINTR) {
			return err == nil
		}
	}
}
