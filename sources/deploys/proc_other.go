//go:build unix && !linux

package deploys

// waitExited cannot wait without reaping where waitid(WNOWAIT) is not
// available: it returns at once, the group is then not killed after the
// leader exits, and a background child holding stdout costs WaitDelay.
func waitExited(pid int) bool { return false }
