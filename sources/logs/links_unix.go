//go:build unix

package logs

import (
	"os"
	"syscall"
)

// unlinked reports whether the file behind fi has no name left: deleted,
// not renamed. ok is false where the platform cannot tell.
func unlinked(fi os.FileInfo) (gone, ok bool) {
	st, isStat := fi.Sys().(*syscall.Stat_t)
	if !isStat {
		return false, false
	}
	return st.Nlink == 0, true
}
