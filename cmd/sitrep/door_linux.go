package main

import (
	"net"

	"golang.org/x/sys/unix"
)

// peerCredSupported: Linux says who is at the other end of a unix socket.
const peerCredSupported = true

// peer is the process at the other end of a unix socket, as the kernel
// says.
type peer struct{ pid, uid int }

// peerCred asks the kernel who is at the other end of c (SO_PEERCRED).
func peerCred(c *net.UnixConn) (peer, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return peer{}, err
	}
	var cred *unix.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return peer{}, err
	}
	if credErr != nil {
		return peer{}, credErr
	}
	return peer{pid: int(cred.Pid), uid: int(cred.Uid)}, nil
}
