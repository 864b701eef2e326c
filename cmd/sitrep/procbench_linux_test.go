package main

import (
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal of cols×rows the way the kernel offers
// one (/dev/ptmx, unlock, /dev/pts/N), with golang.org/x/sys, which the
// module already requires, rather than a pty package for four calls. The
// master stays in Go's poller, so closing it ends a blocked read.
func openPTY(cols, rows int) (master, slave *os.File, err error) {
	master, err = os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("open /dev/ptmx: %w", err)
	}
	var name string
	var ctlErr error
	raw, err := master.SyscallConn()
	if err == nil {
		err = raw.Control(func(fd uintptr) {
			if ctlErr = unix.IoctlSetPointerInt(int(fd), unix.TIOCSPTLCK, 0); ctlErr != nil {
				ctlErr = fmt.Errorf("unlock the pty: %w", ctlErr)
				return
			}
			n, err := unix.IoctlGetUint32(int(fd), unix.TIOCGPTN)
			if err != nil {
				ctlErr = fmt.Errorf("find the pty's number: %w", err)
				return
			}
			name = fmt.Sprintf("/dev/pts/%d", n)
			ws := &unix.Winsize{Row: uint16(rows), Col: uint16(cols)}
			if err := unix.IoctlSetWinsize(int(fd), unix.TIOCSWINSZ, ws); err != nil {
				ctlErr = fmt.Errorf("size the pty %d×%d: %w", cols, rows, err)
			}
		})
	}
	if err == nil {
		err = ctlErr
	}
	if err != nil {
		master.Close()
		return nil, nil, err
	}
	slave, err = os.OpenFile(name, os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		master.Close()
		return nil, nil, fmt.Errorf("open %s: %w", name, err)
	}
	return master, slave, nil
}

// ptyAttr makes the child a session leader whose controlling terminal is
// the pty on its stdin, as a shell would start it.
func ptyAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
}
