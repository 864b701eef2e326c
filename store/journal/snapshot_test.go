package journal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestSnapshotsBesideABusyWriterAreWhole: a reader that copies the journal
// while a writer keeps committing must never get a copy that mixes two
// commits. Every snapshot that opens verifies; one that cannot be taken
// says the journal is busy.
func TestSnapshotsBesideABusyWriterAreWhole(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a 20 MB journal")
	}
	path := filepath.Join(t.TempDir(), "journal.db")
	w, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	big, _ := json.Marshal(map[string]string{"x": strings.Repeat("y", 30000)})
	batch := func(n int) []Entry {
		var b []Entry
		for k := range n {
			b = append(b, Entry{Incident: fmt.Sprintf("P%d", k), Kind: "note", Summary: "s", Data: big})
		}
		return b
	}
	// A journal big enough that a copy takes longer than a commit.
	for range 35 {
		if _, err := w.AppendBatch(batch(20)); err != nil {
			t.Fatal(err)
		}
	}

	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	var writeErr error
	go func() {
		defer wg.Done()
		for !stop.Load() {
			if _, err := w.AppendBatch(batch(5)); err != nil {
				writeErr = err
				return
			}
		}
	}()
	defer func() {
		stop.Store(true)
		wg.Wait()
		if writeErr != nil {
			t.Errorf("the writer failed: %v", writeErr)
		}
	}()

	opened := 0
	for i := range 20 {
		r, err := Open(path, Options{ReadOnly: true, LockTimeout: 10 * time.Millisecond})
		if errors.Is(err, ErrBusy) {
			t.Logf("open %d: %v", i, err)
			continue
		}
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		opened++
		rep, err := r.Verify(context.Background())
		if err != nil || !rep.OK {
			t.Errorf("snapshot %d does not verify: %v %+v", i, err, rep)
		}
		r.Close()
	}
	if opened < 10 {
		t.Errorf("only %d of 20 snapshots opened", opened)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "*snapshot*")); len(left) > 0 {
		t.Errorf("snapshot files left behind: %v", left)
	}
}

// TestSnapshotFilesLiveBesideTheJournal: a snapshot is made in the
// journal's own directory, not a shared temp directory, and ones a crashed
// reader left are removed once they are a day old.
func TestSnapshotFilesLiveBesideTheJournal(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	dir := t.TempDir()
	path := filepath.Join(dir, "journal.db")
	w, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	mustAppend(t, w, Entry{Incident: "P1", Kind: "note", Summary: "s"})

	stale := filepath.Join(dir, snapshotPrefix(path)+"123")
	fresh := filepath.Join(dir, snapshotPrefix(path)+"456")
	for _, p := range []string{stale, fresh} {
		writeFile(t, p, []byte("left by a crash"))
	}
	old := time.Now().Add(-25 * time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}

	r, err := Open(path, Options{ReadOnly: true, LockTimeout: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if !r.Snapshot() || filepath.Dir(r.snapshot) != dir {
		t.Errorf("snapshot %q is not in the journal's directory %s", r.snapshot, dir)
	}
	if fi, err := os.Stat(r.snapshot); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("snapshot file: %v %v, want mode 0600", fi, err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Error("a day-old snapshot was not removed")
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("a recent snapshot (maybe another reader's) was removed: %v", err)
	}
}

// TestLockMessageSanitizesCommandNames: a process names itself, so its
// name must not bring terminal control sequences into the lock message.
func TestLockMessageSanitizesCommandNames(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep")
	}
	// comm is the name the program was executed by: a symlink's.
	evil := filepath.Join(t.TempDir(), "a\x1b[2Jb")
	if err := os.Symlink(sleep, evil); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(evil, "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	if got := commandName(cmd.Process.Pid); strings.ContainsRune(got, 0x1b) || !strings.Contains(got, "a") {
		t.Errorf("commandName = %q, want it without the escape", got)
	}

	path := filepath.Join(t.TempDir(), "journal.db")
	writeFile(t, path, nil)
	writeFile(t, ownerPath(path), fmt.Appendf(nil, `{"pid":%d,"since":"2026-11-29T02:00:00Z","command":"x\u001b]52;c;aGk=\u0007y"}`, os.Getpid()))
	if msg := lockedError(path, false).Error(); strings.ContainsAny(msg, "\x1b\x07") {
		t.Errorf("lock message carries control characters: %q", msg)
	}
}
