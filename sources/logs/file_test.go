package logs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// appendFile writes as a logger does: O_APPEND, so a copytruncate moves the
// next write to the new end.
func appendFile(t *testing.T, path, content string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(content); err != nil {
		t.Fatal(err)
	}
}

func TestFileFetch(t *testing.T) {
	big := strings.Repeat("0123456789\n", 20000) // several read chunks
	tests := []struct {
		name    string
		content string
		n       int
		want    []string
	}{
		{"last two", "a\nb\nc\n", 2, []string{"b", "c"}},
		{"no final newline", "a\nb\nc", 2, []string{"b", "c"}},
		{"fewer than asked", "a\nb\n", 5, []string{"a", "b"}},
		{"all when n is zero", "a\nb\nc\n", 0, []string{"a", "b", "c"}},
		{"empty file", "", 3, nil},
		{"empty lines count", "a\n\n\nb\n", 3, []string{"", "", "b"}},
		{"across chunks", big, 3, []string{"0123456789", "0123456789", "0123456789"}},
		{"hostile lines sanitized", "ok\n\x1b]52;c;cm0gLXJmIC8K\x07\x1b[31mred\n", 2, []string{"ok", "red"}},
		{"long line capped", strings.Repeat("z", 3*MaxLineBytes) + "\nend\n", 2, []string{strings.Repeat("z", MaxLineBytes) + TruncatedMarker, "end"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "app.log")
			writeFile(t, path, tt.content)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			lines, err := File{Path: path}.Fetch(ctx, tt.n)
			if err != nil {
				t.Fatal(err)
			}
			if got := texts(lines); strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
				t.Fatalf("lines = %q, want %q", short(strings.Join(got, "|")), short(strings.Join(tt.want, "|")))
			}
			for _, l := range lines {
				if l.Source != "app.log" {
					t.Errorf("source = %q, want app.log", l.Source)
				}
			}
		})
	}
}

func TestFileMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.log")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := (File{Path: path}).Fetch(ctx, 1); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Fetch err = %v, want not-exist", err)
	}
	if err := (File{Path: path}).Follow(ctx, NewRing(1)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Follow err = %v, want not-exist", err)
	}
}

// Follow starts from the last lines, reads appends, and carries on across
// both kinds of rotation without losing or repeating a line.
func TestFileFollowRotation(t *testing.T) {
	tests := []struct {
		name   string
		rotate func(t *testing.T, path string)
		want   []string // lines after "live-2", in order
	}{
		{
			name:   "appends only",
			rotate: func(t *testing.T, path string) { appendFile(t, path, "live-3\n") },
			want:   []string{"live-3"},
		},
		{
			name: "rename and create",
			rotate: func(t *testing.T, path string) {
				if err := os.Rename(path, path+".1"); err != nil {
					t.Fatal(err)
				}
				// The writer still has the old file until it reopens.
				appendFile(t, path+".1", "old-tail\n")
				appendFile(t, path, "new-1\nnew-2\n")
			},
			want: []string{"old-tail", "new-1", "new-2"},
		},
		{
			name: "rename, gone for a while, then created",
			rotate: func(t *testing.T, path string) {
				if err := os.Rename(path, path+".1"); err != nil {
					t.Fatal(err)
				}
				appendFile(t, path+".1", "old-tail\n")
			},
			want: []string{"old-tail"},
		},
		{
			name: "copytruncate",
			rotate: func(t *testing.T, path string) {
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				writeFile(t, path+".1", string(b))
				if err := os.Truncate(path, 0); err != nil {
					t.Fatal(err)
				}
				appendFile(t, path, "after-1\n")
			},
			want: []string{"after-1"},
		},
		{
			name: "partial line at rotation is kept",
			rotate: func(t *testing.T, path string) {
				appendFile(t, path, "half")
				if err := os.Rename(path, path+".1"); err != nil {
					t.Fatal(err)
				}
				appendFile(t, path, "new-1\n")
			},
			want: []string{"half", "new-1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "app.log")
			writeFile(t, path, "old-1\nold-2\nold-3\n")
			ring := NewRing(100)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			errc := make(chan error, 1)
			go func() { errc <- File{Path: path, Lines: 2, Poll: 10 * time.Millisecond}.Follow(ctx, ring) }()

			eventually(t, "the backlog", func() bool { return ring.Len() == 2 })
			appendFile(t, path, "live-1\nlive-2\n")
			eventually(t, "appended lines", func() bool { return hasText(ring.Snapshot(), "live-2") })
			tt.rotate(t, path)
			last := tt.want[len(tt.want)-1]
			eventually(t, "lines after rotation", func() bool { return hasText(ring.Snapshot(), last) })
			// A later append to the (new) file still arrives.
			appendFile(t, path, "final\n")
			eventually(t, "the final line", func() bool { return hasText(ring.Snapshot(), "final") })

			cancel()
			if err := <-errc; !errors.Is(err, context.Canceled) {
				t.Fatalf("Follow = %v, want context.Canceled", err)
			}
			want := append(append([]string{"old-2", "old-3", "live-1", "live-2"}, tt.want...), "final")
			if got := texts(ring.Snapshot()); strings.Join(got, "|") != strings.Join(want, "|") {
				t.Fatalf("lines = %q, want %q", got, want)
			}
		})
	}
}

func TestFileFollowNoBacklog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	writeFile(t, path, "old\n")
	ring := NewRing(10)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- File{Path: path, Lines: -1, Poll: 10 * time.Millisecond}.Follow(ctx, ring) }()
	// Nothing marks "started", so keep appending until a line shows.
	eventually(t, "a new line", func() bool {
		appendFile(t, path, "new\n")
		return ring.Len() > 0
	})
	cancel()
	<-errc
	if hasText(ring.Snapshot(), "old") {
		t.Errorf("backlog read with Lines < 0: %q", texts(ring.Snapshot()))
	}
}
