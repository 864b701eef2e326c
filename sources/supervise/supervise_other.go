//go:build unix && !linux

package supervise

import "syscall"

// Start starts s in light mode whatever s.Light says: without a
// subreaper, a process that leaves the group escapes, and a command
// outlives a sitrep that is killed outright.
func Start(s Spec) (*Process, error) { return startLight(s) }

func lightAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// waitExited cannot wait without reaping here: the leader is reaped first
// and its group signalled after, which could reach a stranger's group if
// the pid were reused in between.
func waitExited(int) bool { return false }
