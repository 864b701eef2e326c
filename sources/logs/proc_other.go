//go:build unix && !linux

package logs

// waitExited is a no-op where waitid(WNOWAIT) is not available: the group
// is then killed when the leader's output closes, which can cut short a
// leader that closed its output early but is still running.
func waitExited(pid int) {}
