package logs

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
)

func numbered(from, to int) []Line {
	var out []Line
	for i := from; i < to; i++ {
		out = append(out, Line{Text: strconv.Itoa(i)})
	}
	return out
}

func TestRing(t *testing.T) {
	tests := []struct {
		name      string
		capacity  int
		batches   [][]Line
		last      int
		wantAll   string
		wantLast  string
		total     uint64
		dropped   uint64
		wantLen   int
		wantCap   int
		wantEmpty bool
	}{
		{name: "empty", capacity: 3, last: 2, wantEmpty: true, wantCap: 3},
		{name: "under capacity", capacity: 5, batches: [][]Line{numbered(0, 3)}, last: 2,
			wantAll: "[0 1 2]", wantLast: "[1 2]", total: 3, wantLen: 3, wantCap: 5},
		{name: "wraps one at a time", capacity: 3, batches: [][]Line{numbered(0, 2), numbered(2, 5)}, last: 2,
			wantAll: "[2 3 4]", wantLast: "[3 4]", total: 5, dropped: 2, wantLen: 3, wantCap: 3},
		{name: "batch larger than ring", capacity: 3, batches: [][]Line{numbered(0, 1), numbered(1, 10)}, last: 5,
			wantAll: "[7 8 9]", wantLast: "[7 8 9]", total: 10, dropped: 7, wantLen: 3, wantCap: 3},
		{name: "wrap then batch", capacity: 4, batches: [][]Line{numbered(0, 6), numbered(6, 8)}, last: 3,
			wantAll: "[4 5 6 7]", wantLast: "[5 6 7]", total: 8, dropped: 4, wantLen: 4, wantCap: 4},
		{name: "capacity zero taken as one", capacity: 0, batches: [][]Line{numbered(0, 3)}, last: 1,
			wantAll: "[2]", wantLast: "[2]", total: 3, dropped: 2, wantLen: 1, wantCap: 1},
		{name: "last zero", capacity: 3, batches: [][]Line{numbered(0, 3)}, last: 0,
			wantAll: "[0 1 2]", wantLast: "[]", total: 3, wantLen: 3, wantCap: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRing(tt.capacity)
			for _, b := range tt.batches {
				r.Append(b...)
			}
			if tt.wantEmpty {
				if got := r.Snapshot(); len(got) != 0 {
					t.Fatalf("Snapshot = %v, want empty", texts(got))
				}
				return
			}
			if got := fmt.Sprint(texts(r.Snapshot())); got != tt.wantAll {
				t.Errorf("Snapshot = %s, want %s", got, tt.wantAll)
			}
			if got := fmt.Sprint(texts(r.Last(tt.last))); got != tt.wantLast {
				t.Errorf("Last(%d) = %s, want %s", tt.last, got, tt.wantLast)
			}
			if r.Total() != tt.total || r.Dropped() != tt.dropped || r.Len() != tt.wantLen || r.Cap() != tt.wantCap {
				t.Errorf("Total, Dropped, Len, Cap = %d, %d, %d, %d; want %d, %d, %d, %d",
					r.Total(), r.Dropped(), r.Len(), r.Cap(), tt.total, tt.dropped, tt.wantLen, tt.wantCap)
			}
		})
	}
}

func TestRingSnapshotIsACopy(t *testing.T) {
	r := NewRing(2)
	r.Append(Line{Text: "a"})
	s := r.Snapshot()
	s[0].Text = "changed"
	if got := r.Snapshot()[0].Text; got != "a" {
		t.Errorf("ring changed through its snapshot: %q", got)
	}
}

// Writers and readers at once: run with -race. Each writer appends its own
// increasing sequence, so any snapshot must show each writer's lines in
// order.
func TestRingConcurrent(t *testing.T) {
	const writers, perWriter = 4, 2000
	r := NewRing(100)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				r.Append(Line{Source: strconv.Itoa(w), Text: strconv.Itoa(i)})
			}
		})
	}
	stop := make(chan struct{})
	var readErr error
	var rg sync.WaitGroup
	rg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			last := map[string]int{}
			for _, l := range r.Snapshot() {
				n, _ := strconv.Atoi(l.Text)
				if prev, ok := last[l.Source]; ok && n <= prev {
					readErr = fmt.Errorf("writer %s: %d after %d", l.Source, n, prev)
					return
				}
				last[l.Source] = n
			}
		}
	})
	wg.Wait()
	close(stop)
	rg.Wait()
	if readErr != nil {
		t.Fatal(readErr)
	}
	if r.Total() != writers*perWriter || r.Dropped() != writers*perWriter-100 {
		t.Errorf("Total, Dropped = %d, %d", r.Total(), r.Dropped())
	}
}

var sinkLines []Line

// BenchmarkRing measures the pane's steady state: a follow goroutine
// appending lines one at a time (10,000 a second is a very busy service)
// while the pane snapshots the newest N to draw.
func BenchmarkRing(b *testing.B) {
	line := Line{Level: LevelInfo, Text: "GET /api/v1/payments 200 12ms", Source: "payment-gateway"}
	b.Run("append", func(b *testing.B) {
		r := NewRing(10000)
		b.ReportAllocs()
		for b.Loop() {
			r.Append(line)
		}
	})
	for _, n := range []int{50, 1000, 10000} {
		b.Run(fmt.Sprintf("last-%d-of-10000", n), func(b *testing.B) {
			r := NewRing(10000)
			for range 10000 {
				r.Append(line)
			}
			b.ReportAllocs()
			for b.Loop() {
				sinkLines = r.Last(n)
			}
		})
	}
	// One op: a second's worth of lines (10,000 appends) and one
	// snapshot of the last 50, as a 60 fps pane would take many of.
	b.Run("second-of-10000-lines-then-last-50", func(b *testing.B) {
		r := NewRing(10000)
		b.ReportAllocs()
		for b.Loop() {
			for range 10000 {
				r.Append(line)
			}
			sinkLines = r.Last(50)
		}
	})
	b.Run("append-while-snapshotting-last-50", func(b *testing.B) {
		r := NewRing(10000)
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				select {
				case <-stop:
					return
				default:
					sinkLines = r.Last(50)
				}
			}
		}()
		b.ReportAllocs()
		for b.Loop() {
			r.Append(line)
		}
		close(stop)
		<-done
	})
}

func TestZeroRingAndNilRing(t *testing.T) {
	var r Ring
	r.Append(Line{Text: "x"})
	if got := r.Snapshot(); len(got) != 0 || r.Total() != 1 || r.Dropped() != 1 || r.Cap() != 0 {
		t.Errorf("zero ring: %v total %d dropped %d", got, r.Total(), r.Dropped())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	follows := map[string]func() error{
		"command":  func() error { return Command{Argv: []string{"true"}}.Follow(ctx, nil) },
		"file":     func() error { return File{Path: "x"}.Follow(ctx, nil) },
		"journald": func() error { return Journald{}.Follow(ctx, nil) },
		"loki":     func() error { return Loki{}.Follow(ctx, nil) },
	}
	for name, f := range follows {
		if err := f(); !errors.Is(err, errNilRing) {
			t.Errorf("%s Follow(nil ring) = %v", name, err)
		}
	}
}
