//go:build unix

package journal

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// procLockHolders lists the processes /proc/locks says hold a flock on the
// file at path. It returns nothing where /proc/locks does not exist.
func procLockHolders(path string) []lockHolder {
	fi, err := os.Stat(path)
	if err != nil {
		return nil
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	f, err := os.Open("/proc/locks")
	if err != nil {
		return nil
	}
	defer f.Close()
	major, minor := devMajor(uint64(st.Dev)), devMinor(uint64(st.Dev))
	want := fmt.Sprintf("%02x:%02x:%d", major, minor, st.Ino)
	var out []lockHolder
	seen := map[int]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// 1: FLOCK  ADVISORY  WRITE 1234 08:01:123456 0 EOF
		// Waiters read "1: -> FLOCK ..." and are skipped by the test below.
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[1] != "FLOCK" {
			continue
		}
		if !sameInode(fields[5], want) {
			continue
		}
		pid, err := strconv.Atoi(fields[4])
		if err != nil || seen[pid] {
			continue
		}
		seen[pid] = true
		out = append(out, lockHolder{PID: pid, Write: fields[3] == "WRITE"})
	}
	return out
}

// sameInode compares /proc/locks' maj:min:ino with ours; the kernel prints
// major and minor in hex with at least two digits.
func sameInode(got, want string) bool {
	g := strings.Split(got, ":")
	w := strings.Split(want, ":")
	if len(g) != 3 || len(w) != 3 {
		return false
	}
	for i := 0; i < 2; i++ {
		a, err1 := strconv.ParseUint(g[i], 16, 32)
		b, err2 := strconv.ParseUint(w[i], 16, 32)
		if err1 != nil || err2 != nil || a != b {
			return false
		}
	}
	return g[2] == w[2]
}

func devMajor(dev uint64) uint64 { return (dev>>8)&0xfff | (dev>>32)&^0xfff }
func devMinor(dev uint64) uint64 { return dev&0xff | (dev>>12)&^0xff }
