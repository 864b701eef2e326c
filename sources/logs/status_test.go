package logs

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"sitrep/sources/health"
)

// statusOfRing is the ring's status for one source, or a zero Status.
func statusOfRing(r *Ring, source string) health.Status {
	for _, st := range r.Statuses() {
		if st.Source == source {
			return st
		}
	}
	return health.Status{}
}

// A file deleted while it is followed is the file's status ("file deleted
// at … (was …)") until the path names a file again; then the status is ok
// and the new file's lines arrive.
func TestFileFollowDeletedAndBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	writeFile(t, path, "one\n")
	f := File{Path: path, Poll: 10 * time.Millisecond}
	ring := NewRing(100)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- f.Follow(ctx, ring) }()
	eventually(t, "the first line", func() bool { return hasText(ring.Snapshot(), "one") })
	if st := statusOfRing(ring, f.Label()); st.State != health.OK {
		t.Errorf("status while the file is there = %+v, want ok", st)
	}

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the deleted status", func() bool { return statusOfRing(ring, f.Label()).State == health.Error })
	st := statusOfRing(ring, f.Label())
	if text := st.Text(); !strings.Contains(text, "file deleted at ") || !strings.Contains(text, "(was "+path+")") {
		t.Errorf("status text = %q, want the deletion and the path", text)
	}
	for _, l := range ring.Snapshot() {
		if l.Level == LevelError {
			t.Errorf("the deletion became a log line: %+v", l)
		}
	}

	writeFile(t, path, "two\n")
	eventually(t, "the recreated file's line", func() bool { return hasText(ring.Snapshot(), "two") })
	eventually(t, "the status ok again", func() bool { return statusOfRing(ring, f.Label()).State == health.OK })
	cancel()
	<-done
}

// Fetch tells a file that was read and is gone from one never seen.
func TestFileFetchMissingOrDeleted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	seen := &Presence{}
	f := File{Path: path, Seen: seen}
	_, err := f.Fetch(ctx, 10)
	var missing *MissingError
	if !errors.As(err, &missing) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a file never there: %v, want a MissingError", err)
	}
	if got := f.Status(nil, err, time.Now(), time.Hour).Text(); !strings.Contains(got, "error: no such file "+path) {
		t.Errorf("status = %q", got)
	}

	writeFile(t, path, "hello\n")
	lines, err := f.Fetch(ctx, 10)
	if err != nil || len(lines) != 1 {
		t.Fatalf("Fetch = %v, %v", lines, err)
	}
	if st := f.Status(lines, err, time.Now(), time.Hour); st.State != health.OK {
		t.Errorf("status of a fresh file = %+v, want ok", st)
	}
	old := time.Now().Add(-3 * time.Hour)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	if st := f.Status(lines, nil, time.Now(), time.Hour); st.State != health.NoData || !st.Since.Equal(old) {
		t.Errorf("status of a file not written for 3h = %+v, want no data since %s", st, old)
	}

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	_, err = f.Fetch(ctx, 10)
	var deleted *DeletedError
	if !errors.As(err, &deleted) {
		t.Fatalf("a file read, then removed: %v, want a DeletedError", err)
	}
	if got := f.Status(nil, err, time.Now(), time.Hour).Text(); !strings.Contains(got, "file deleted at") || !strings.Contains(got, "(was "+path+")") {
		t.Errorf("status = %q", got)
	}
	writeFile(t, path, "back\n")
	if _, err := f.Fetch(ctx, 10); err != nil {
		t.Errorf("the file is back: %v", err)
	}
}

// A command that exits non-zero is the source's error, naming its last
// stderr line; one that outlives its deadline says so in words.
func TestCommandStatus(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := helperCommand(t, "fail")
	lines, err := c.Fetch(ctx, 10)
	st := c.Status(lines, err, time.Now(), time.Hour)
	if st.State != health.Error || !strings.Contains(st.Reason, `pods "pay-7f9" not found`) || !strings.Contains(st.Reason, "exit status 3") {
		t.Errorf("status of a failing command = %+v", st)
	}

	short, cancelShort := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancelShort()
	h := helperCommand(t, "ticker")
	lines, err = h.Fetch(short, 10)
	st = h.Status(lines, err, time.Now(), time.Hour)
	if st.State != health.Error || !strings.Contains(st.Reason, "still running at its deadline") {
		t.Errorf("status of a command cut off = %+v", st)
	}

	p := helperCommand(t, "print")
	lines, err = p.Fetch(ctx, 10)
	if st := p.Status(lines, err, time.Now(), time.Hour); st.State != health.NoData || !strings.Contains(st.Text(), "printed nothing") {
		t.Errorf("status of a silent command = %+v", st)
	}
}

// A dead Loki is the source's status while followed, never a line.
func TestLokiFollowDeadServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	src := Loki{BaseURL: "http://" + addr, Query: `{app="a"}`, Interval: 10 * time.Millisecond}
	ring := NewRing(10)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- src.Follow(ctx, ring) }()
	eventually(t, "the error status", func() bool { return statusOfRing(ring, src.Label()).State == health.Error })
	if st := statusOfRing(ring, src.Label()); !strings.Contains(st.Reason, addr) {
		t.Errorf("status = %+v, want the address named", st)
	}
	cancel()
	<-done
	if n := ring.Len(); n != 0 {
		t.Errorf("the ring holds %d lines from a dead server: %+v", n, ring.Snapshot())
	}
}

func TestRingDropSource(t *testing.T) {
	r := NewRing(4)
	for i, src := range []string{"a", "sh (stderr)", "a", "b", "sh (stderr)", "a"} {
		r.Append(Line{Text: strconv.Itoa(i), Source: src})
	}
	r.DropSource("sh (stderr)")
	if got := strings.Join(texts(r.Snapshot()), ","); got != "2,3,5" {
		t.Errorf("after the drop: %s, want 2,3,5", got)
	}
	r.Append(Line{Text: "6"}, Line{Text: "7"}, Line{Text: "8"})
	if got := strings.Join(texts(r.Snapshot()), ","); got != "5,6,7,8" {
		t.Errorf("appending after the drop: %s, want 5,6,7,8", got)
	}
}
