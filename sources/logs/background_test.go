package logs

import (
	"context"
	"errors"
	"testing"
	"time"
)

// A command held by follows runs as one process: a fetch reads its lines
// at once instead of waiting for an end that never comes, a second follow
// joins it, and the process group goes when the last follow lets go.
func TestBackgroundOneProcessWhileHeld(t *testing.T) {
	var b Background
	cmd := helperCommand(t, "ticker", "bg-held-marker")
	cmd.Background = &b

	ring1 := NewRing(5000)
	ctx1, cancel1 := context.WithCancel(context.Background())
	defer cancel1()
	err1 := make(chan error, 1)
	go func() { err1 <- cmd.Follow(ctx1, ring1) }()
	eventually(t, "the first follow's ticks", func() bool { return hasText(ring1.Snapshot(), "tick 2") })
	pgid := pidFromLines(ring1.Snapshot())
	if pgid == 0 {
		t.Fatalf("no pid line in %q", texts(ring1.Snapshot()))
	}

	// The fetch's deadline is far: it must answer with what the command
	// printed, not wait for the command to end.
	fctx, fcancel := context.WithTimeout(context.Background(), 10*time.Minute)
	lines, err := cmd.Fetch(fctx, 50)
	fcancel()
	if err != nil || len(lines) == 0 {
		t.Fatalf("Fetch of a held command = %d lines, %v; want its lines and no error", len(lines), err)
	}
	if len(lines) > 50 {
		t.Errorf("Fetch gave %d lines, want at most 50", len(lines))
	}

	ring2 := NewRing(5000)
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	err2 := make(chan error, 1)
	go func() { err2 <- cmd.Follow(ctx2, ring2) }()
	eventually(t, "the second follow's lines", func() bool { return ring2.Len() > 0 })
	if n := len(liveProcessesMentioning(t, "bg-held-marker")); n != 1 {
		t.Errorf("%d processes run the command, want 1", n)
	}

	cancel1()
	if err := <-err1; !errors.Is(err, context.Canceled) {
		t.Fatalf("first Follow = %v, want context.Canceled", err)
	}
	// The second follow still holds it: lines keep coming.
	before := ring2.Total()
	eventually(t, "lines after the first follow let go", func() bool { return ring2.Total() > before+3 })
	if len(liveGroupMembers(t, pgid)) == 0 {
		t.Fatal("the command stopped while a follow still held it")
	}

	cancel2()
	if err := <-err2; !errors.Is(err, context.Canceled) {
		t.Fatalf("second Follow = %v, want context.Canceled", err)
	}
	eventually(t, "the process group to be gone", func() bool { return len(liveGroupMembers(t, pgid)) == 0 })
}

// A command nobody holds is fetched as before: run to its end, anew each
// time; one that never ends is cut at the fetch's deadline.
func TestBackgroundUnheldFetch(t *testing.T) {
	var b Background
	cmd := helperCommand(t, "print", "one", "two")
	cmd.Background = &b
	for i := range 2 {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		lines, err := cmd.Fetch(ctx, 10)
		cancel()
		if err != nil || len(texts(lines)) != 2 || lines[1].Text != "two" {
			t.Fatalf("fetch %d = %q, %v; want one, two", i, texts(lines), err)
		}
	}

	tick := helperCommand(t, "ticker")
	tick.Background = &b
	for _, d := range []time.Duration{500 * time.Millisecond, 2 * time.Second, 8 * time.Second} {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		lines, err := tick.Fetch(ctx, MaxFetchLines)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("unheld never-ending fetch = %v, want its deadline", err)
		}
		pgid := pidFromLines(lines)
		if pgid == 0 {
			continue // cut off before it printed: try a longer deadline
		}
		eventually(t, "the process group to be gone", func() bool { return len(liveGroupMembers(t, pgid)) == 0 })
		return
	}
	t.Fatal("the ticker never printed its pid")
}

// Close stops what runs and waits for it.
func TestBackgroundClose(t *testing.T) {
	var b Background
	cmd := helperCommand(t, "ticker")
	cmd.Background = &b
	ring := NewRing(1000)
	errc := make(chan error, 1)
	go func() { errc <- cmd.Follow(context.Background(), ring) }()
	eventually(t, "ticks", func() bool { return hasText(ring.Snapshot(), "tick 1") })
	pgid := pidFromLines(ring.Snapshot())
	b.Close()
	<-errc
	eventually(t, "the process group to be gone", func() bool { return len(liveGroupMembers(t, pgid)) == 0 })
}
