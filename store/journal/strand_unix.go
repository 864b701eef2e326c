//go:build unix

package journal

import (
	"os"
	"strconv"
	"syscall"
)

// A damaged file can make bbolt panic inside bolt.Open after it has opened
// and flocked the file and before it returns the DB, so nothing is left to
// close: the lock would stay held for the life of the process, and every
// later open in it would read "in use by another process". fdsOn lists the
// descriptors on the journal's inode before the open, and unlockStranded
// releases the locks of those that appeared during it. The descriptors
// themselves are left to their *os.File's finalizer: closing them here
// could close a number that has since been reused.

type inode struct{ dev, ino uint64 }

func fileInode(path string) (inode, bool) {
	var st syscall.Stat_t
	if syscall.Stat(path, &st) != nil {
		return inode{}, false
	}
	return inode{uint64(st.Dev), uint64(st.Ino)}, true
}

// fdsOn returns this process's descriptors open on path's inode, where
// /proc/self/fd lists them.
func fdsOn(path string) map[int]bool {
	want, ok := fileInode(path)
	if !ok {
		return nil
	}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return nil
	}
	out := map[int]bool{}
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		var st syscall.Stat_t
		if syscall.Fstat(fd, &st) == nil && (inode{uint64(st.Dev), uint64(st.Ino)}) == want {
			out[fd] = true
		}
	}
	return out
}

// unlockStranded releases the flock of every descriptor on path that was
// not in before.
func unlockStranded(path string, before map[int]bool) {
	for fd := range fdsOn(path) {
		if !before[fd] {
			_ = syscall.Flock(fd, syscall.LOCK_UN)
		}
	}
}
