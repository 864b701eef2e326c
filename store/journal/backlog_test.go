package journal

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// smallDisk mounts a tmpfs of size bytes and returns its directory. It
// needs root (CI runs as root); elsewhere it skips, and with CI=true it
// fails, as every test that needs a real part does.
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput()
	if err != nil {
		msg := fmt.Sprintf("mount a %s tmpfs (needs root): %v: %s", size, err, strings.TrimSpace(string(out)))
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// fill writes a file until the disk refuses, and returns its path.
func fill(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "filler")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("fill %s: %v", dir, err)
			}
			break
		}
	}
	// Smaller writes take the last pages.
	for _, err := f.Write(buf[:512]); err == nil; _, err = f.Write(buf[:512]) {
	}
	return p
}

func waitBacklog(t *testing.T, j *Journal, want int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		n, cause := j.Backlog()
		if n == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("backlog = %d (%v), want %d", n, cause, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func bigNote(i int) Entry {
	return Entry{Incident: "Q1", Kind: "note", Summary: fmt.Sprintf("note %d", i), Data: []byte(`{"text":"` + strings.Repeat("x", 1000) + `"}`)}
}

// A full disk loses nothing: entries wait in memory, in order, and are
// written with the chain intact once space is freed.
func TestFullDiskEntriesWaitAndAreWrittenWhenSpaceReturns(t *testing.T) {
	oldRetry := backlogRetry
	backlogRetry = 50 * time.Millisecond
	t.Cleanup(func() { backlogRetry = oldRetry })

	dir := smallDisk(t, "8m")
	j, err := Open(filepath.Join(dir, "journal.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	mustAppend(t, j, Entry{Incident: "Q1", Kind: "note", Summary: "before the disk filled"})
	filler := fill(t, dir)

	const n = 2000
	waited := 0
	for i := range n {
		res, err := j.AppendBatch([]Entry{bigNote(i)})
		if err != nil {
			t.Fatalf("append %d on a full disk: %v", i, err)
		}
		if res[0].Waiting {
			waited++
		}
	}
	if waited == 0 {
		t.Fatal("no entry waited: the disk was not full")
	}
	if got, cause := j.Backlog(); got == 0 || cause == nil {
		t.Fatalf("Backlog() = %d, %v; want entries waiting and the disk's refusal", got, cause)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	waitBacklog(t, j, 0)
	mustAppend(t, j, Entry{Incident: "Q1", Kind: "note", Summary: "after"})

	es, err := j.Entries("Q1")
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != n+2 {
		t.Fatalf("journal has %d entries, want %d", len(es), n+2)
	}
	for i, e := range es[1 : n+1] {
		if want := fmt.Sprintf("note %d", i); e.Summary != want {
			t.Fatalf("entry %d is %q, want %q (order lost)", i+2, e.Summary, want)
		}
	}
	if es[n+1].Summary != "after" {
		t.Fatalf("last entry is %q, want the one appended after the backlog", es[n+1].Summary)
	}
	if r := mustVerify(t, j); r.Entries != n+2 {
		t.Fatalf("verify saw %d entries, want %d", r.Entries, n+2)
	}
}

// Entries still waiting when sitrep quits are saved beside the journal (or
// in the temporary directory when that disk refuses), and the next Open
// imports them once.
func TestWaitingEntriesSurviveQuitAndAreImported(t *testing.T) {
	dir := smallDisk(t, "2m")
	path := filepath.Join(dir, "journal.db")
	j, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, j, Entry{Incident: "Q1", Kind: "note", Summary: "first"})
	filler := fill(t, dir)
	const n = 50
	for i := range n {
		if _, err := j.AppendBatch([]Entry{bigNote(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := j.Backlog(); got == 0 {
		t.Fatal("nothing waits: the disk was not full")
	}
	err = j.Close()
	if err == nil || !strings.Contains(err.Error(), "the next sitrep imports them") {
		t.Fatalf("Close() = %v; want it to say where the waiting entries were saved", err)
	}
	var saved string
	for _, p := range fallbackPaths(path) {
		if fi, err := os.Stat(p); err == nil {
			saved = p
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s has mode %v, want 0600", p, fi.Mode().Perm())
			}
		}
	}
	if saved == "" || !strings.Contains(err.Error(), saved) {
		t.Fatalf("no fallback file named in %v", err)
	}
	t.Cleanup(func() { os.Remove(saved) })

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	j, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	imported, ierr := j.Imported()
	if ierr != nil {
		t.Fatal(ierr)
	}
	es, _ := j.Entries("Q1")
	if len(es) != n+1 || imported+1 > len(es) {
		t.Fatalf("after import the journal has %d entries (imported %d), want %d", len(es), imported, n+1)
	}
	if _, err := os.Stat(saved); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("fallback file %s still there after import (would import twice): %v", saved, err)
	}
	if r, err := j.Verify(context.Background()); err != nil || !r.OK {
		t.Fatalf("verify after import: %v %v", r, err)
	}
}

// A refresh journals PagerDuty's log again each time: while the disk is
// full, the same entry waits once, not once per refresh.
func TestWaitingEntriesDeduplicateBySource(t *testing.T) {
	j, _ := openTemp(t, Options{})
	if _, err := j.enqueue([]Entry{{Kind: "note", SourceID: "pd:log:1"}}, errors.New("disk full"), true); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if _, err := j.enqueue([]Entry{{Kind: "note", SourceID: "pd:log:1"}}, nil, false); err != nil {
			t.Fatal(err)
		}
	}
	// The drain goroutine may already have written it.
	j.backlog.mu.Lock()
	n := len(j.backlog.entries)
	j.backlog.mu.Unlock()
	if n > 1 {
		t.Fatalf("%d copies wait, want at most 1", n)
	}
	waitBacklog(t, j, 0)
	if h, err := j.Head(); err != nil || h.Seq != 1 {
		t.Fatalf("head = %+v, %v; want exactly one entry written", h, err)
	}
}
