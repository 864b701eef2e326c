package journal

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestUnusableFiles checks that an empty file and a directory are refused
// with the same message for readers and writers, and that a writer never
// starts a new journal over an empty file (which may be a journal a full
// disk cut short).
func TestUnusableFiles(t *testing.T) {
	cases := []struct {
		name, problem, aside string
		make                 func(path string) error
	}{
		{"empty", "is empty (0 bytes)", ".empty", func(p string) error { return os.WriteFile(p, nil, 0o600) }},
		{"directory", "is a directory", ".dir", func(p string) error { return os.Mkdir(p, 0o700) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "journal.db")
			if err := c.make(path); err != nil {
				t.Fatal(err)
			}
			var msgs []string
			for _, ro := range []bool{true, false} {
				j, err := Open(path, Options{ReadOnly: ro})
				if err == nil {
					j.Close()
					t.Fatalf("ReadOnly=%v: opened", ro)
				}
				var fe *FileError
				if !errors.As(err, &fe) || !errors.Is(err, ErrCorrupt) {
					t.Errorf("ReadOnly=%v: %v is not a FileError matching ErrCorrupt", ro, err)
				}
				want := "mv " + path + " " + path + c.aside
				if !strings.Contains(err.Error(), "journal "+path+" "+c.problem) || !strings.Contains(err.Error(), want) {
					t.Errorf("ReadOnly=%v: %q does not name the problem and %q", ro, err, want)
				}
				msgs = append(msgs, err.Error())
			}
			if msgs[0] != msgs[1] {
				t.Errorf("readers and writers are told different things:\n%s\n%s", msgs[0], msgs[1])
			}
			if fi, err := os.Stat(path); err != nil || c.name == "empty" && fi.Size() != 0 {
				t.Errorf("the file was changed: %v, %v", fi, err)
			}
		})
	}
}

func TestPlainCause(t *testing.T) {
	for _, err := range []error{
		pageFault{"runtime error: invalid memory address or nil pointer dereference"},
		pageFault{"unexpected fault address 0x7f00"},
		errors.New("invalid page type: 0: 4"),
	} {
		msg := corruptError("/j/journal.db", err).Error()
		if strings.Contains(msg, "runtime") || strings.Contains(msg, "fault") || strings.Contains(msg, "page type") {
			t.Errorf("%v shows as %q", err, msg)
		}
		if !strings.Contains(msg, "journal /j/journal.db is damaged: part of it cannot be read") {
			t.Errorf("%v shows as %q", err, msg)
		}
	}
	if got := shellQuote("/a b/it's"); got != `'/a b/it'\''s'` {
		t.Errorf("shellQuote = %s", got)
	}
}

// TestDamagedOpenLeavesNoLock damages every page past the meta pages, so
// that bbolt faults inside its own Open, and checks that the open that
// failed leaves no lock behind in this process: a second open is told the
// file is damaged, not that it is in use.
func TestDamagedOpenLeavesNoLock(t *testing.T) {
	path := seeded(t, 300)
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := f.Stat()
	junk := make([]byte, fi.Size()-2*4096)
	for i := range junk {
		junk[i] = 0xff
	}
	if _, err := f.WriteAt(junk, 2*4096); err != nil {
		t.Fatal(err)
	}
	f.Close()
	for i, ro := range []bool{false, false, true, false} {
		j, err := Open(path, Options{ReadOnly: ro, LockTimeout: 100 * time.Millisecond})
		if err == nil {
			j.Close()
			t.Fatalf("open %d (ReadOnly=%v) of a damaged file succeeded", i, ro)
		}
		if errors.Is(err, ErrLocked) || !errors.Is(err, ErrCorrupt) {
			t.Errorf("open %d (ReadOnly=%v): %v, want the damage named", i, ro, err)
		}
	}
}
