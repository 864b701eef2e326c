package journal

import (
	"errors"
	"fmt"
	"os"
	"strings"

	bolterrors "go.etcd.io/bbolt/errors"
)

// FileError is a journal file that cannot be used as it is: empty, a
// directory, or damaged. Its message is the same from every command and
// from the cockpit: which file, what is wrong with it in plain words, and
// the command that moves it aside. It matches ErrCorrupt.
type FileError struct {
	Path    string
	Problem string // "is empty (0 bytes)", "is a directory", "is damaged: …"
	Aside   string // the suffix the fix moves it aside to: ".empty", ".damaged"
	Err     error  // the underlying cause, for errors.Is/As; never printed
}

func (e *FileError) Error() string {
	return fmt.Sprintf("journal %s %s. Move it aside to start a new journal: mv %s %s%s (or pick another file with --journal)",
		e.Path, e.Problem, shellQuote(e.Path), shellQuote(e.Path), e.Aside)
}

// Is makes errors.Is(err, ErrCorrupt) true: the file cannot be read as a
// journal.
func (e *FileError) Is(target error) bool { return target == ErrCorrupt }

func (e *FileError) Unwrap() error { return e.Err }

// checkFile refuses, before bbolt sees it, a path that is a directory or
// an empty file. bbolt would answer the first with "is a directory" or
// "invalid database", and the second with "bad file descriptor" when
// reading, or by silently starting a new journal over what may be a
// journal cut short by a full disk.
func checkFile(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return nil // missing: created, or refused with ErrNotExist, by Open
	}
	switch {
	case fi.IsDir():
		return &FileError{Path: path, Problem: "is a directory, not a journal file", Aside: ".dir"}
	case !fi.Mode().IsRegular():
		return &FileError{Path: path, Problem: "is not a regular file", Aside: ".old"}
	case fi.Size() == 0:
		return &FileError{Path: path, Problem: "is empty (0 bytes): it holds no entries, perhaps cut short by a crash or a full disk", Aside: ".empty"}
	}
	return nil
}

// pageFault is a panic or memory fault recovered while bbolt read the file.
type pageFault struct{ v any }

func (p pageFault) Error() string { return fmt.Sprint(p.v) }

// plainCause says what is wrong with a damaged file in words for the
// person who must act; the runtime's and bbolt's own texts stay in the
// wrapped error.
func plainCause(err error) string {
	var pf pageFault
	switch {
	case errors.As(err, &pf):
		return "part of it cannot be read"
	case errors.Is(err, bolterrors.ErrInvalid):
		return "it does not start like a journal"
	case errors.Is(err, bolterrors.ErrChecksum):
		return "its header does not match its checksum"
	case errors.Is(err, bolterrors.ErrVersionMismatch):
		return "it is in a format this sitrep cannot read"
	case errors.Is(err, bolterrors.ErrInvalidMapping):
		return "it is cut short"
	case err == nil:
		return "it cannot be read"
	}
	msg := err.Error()
	for _, raw := range []string{"runtime error", "fault", "bbolt", "page ", "pgid", "freelist", "mmap", "file descriptor"} {
		if strings.Contains(msg, raw) {
			return "part of it cannot be read"
		}
	}
	return msg
}

// shellQuote quotes a path for a command the user will paste.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+:@%,=") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
