//go:build !linux

package main

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
)

// The process benchmarks read /proc and open a pty the Linux way; elsewhere
// they skip with this reason.
func openPTY(cols, rows int) (master, slave *os.File, err error) {
	return nil, nil, fmt.Errorf("the process benchmarks open a pty and read /proc the Linux way; this is %s", runtime.GOOS)
}

func ptyAttr() *syscall.SysProcAttr { return nil }
