package logs

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCommandFetch(t *testing.T) {
	tests := []struct {
		name       string
		mode       string
		args       []string
		n          int
		want       []string // texts, in order
		wantSource []string
		wantLevel  []string
		wantErr    string // substring; empty means no error
		unordered  bool   // stdout and stderr both used: their order is not defined
	}{
		{
			name: "stdout lines with levels",
			mode: "print", args: []string{"INFO started", "ERROR payment failed", "plain"},
			want:      []string{"INFO started", "ERROR payment failed", "plain"},
			wantLevel: []string{LevelInfo, LevelError, LevelUnknown},
		},
		{
			name: "last n only",
			mode: "print", args: []string{"1", "2", "3", "4"}, n: 2,
			want: []string{"3", "4"},
		},
		{
			name: "stderr marked",
			mode: "print", args: []string{"err:warning: deprecated flag"},
			want:       []string{"warning: deprecated flag"},
			wantSource: []string{"helper" + StderrSuffix},
		},
		{
			name: "hostile lines sanitized",
			mode: "print", args: []string{"\x1b]52;c;cm0gLXJmIC8K\x07copied", "\x1b[2J\x1b[31mred\x1b[0m", "err:\x1b]0;title\x07x"},
			want:      []string{"copied", "red", "x"},
			unordered: true,
		},
		{
			name: "long line capped, next line intact",
			mode: "long", args: []string{"20000"},
			want: []string{strings.Repeat("a", MaxLineBytes) + TruncatedMarker, "after"},
		},
		{
			name: "failure names status and stderr",
			mode: "fail", unordered: true,
			want:    []string{"partial output", `error: pods "pay-7f9" not found`},
			wantErr: `exit status 3: error: pods "pay-7f9" not found`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			lines, err := helperCommand(t, tt.mode, tt.args...).Fetch(ctx, tt.n)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Fetch error = %v, want it to contain %q", err, tt.wantErr)
			}
			got := texts(lines)
			if tt.unordered {
				if len(got) != len(tt.want) {
					t.Fatalf("lines = %q, want %q in any order", got, tt.want)
				}
				for _, w := range tt.want {
					if !hasText(lines, w) {
						t.Errorf("missing line %q in %q", w, got)
					}
				}
				return
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Fatalf("lines = %q, want %q", got, tt.want)
			}
			for i, s := range tt.wantSource {
				if lines[i].Source != s {
					t.Errorf("line %d source = %q, want %q", i, lines[i].Source, s)
				}
			}
			for i, l := range tt.wantLevel {
				if lines[i].Level != l {
					t.Errorf("line %d level = %q, want %q", i, lines[i].Level, l)
				}
			}
			for _, l := range lines {
				if l.T.IsZero() {
					t.Errorf("line %q has no time", l.Text)
				}
			}
		})
	}
}

func TestCommandErrors(t *testing.T) {
	tests := []struct {
		name    string
		cmd     Command
		wantErr string
	}{
		{"no argv", Command{}, "no command given"},
		{"missing program", Command{Argv: []string{"sitrep-no-such-program-xyz"}}, "start sitrep-no-such-program-xyz"},
		{"not a shell", Command{Argv: []string{"echo hi; true"}}, "start echo hi; true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, err := tt.cmd.Fetch(ctx, 10)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// A command that hangs, ignores SIGTERM and has a child (which ignores it
// too) holding its output open is cut off at its deadline, and nothing of
// its process group survives.
func TestCommandDeadlineKillsGroup(t *testing.T) {
	tests := []struct {
		name   string
		follow bool
	}{
		{"fetch", false},
		{"follow", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := helperCommand(t, "hang")
			// The test needs the helper and its child both running
			// before the deadline; on a slow machine a short deadline
			// can pass first, so it retries with longer ones. Nothing
			// is asserted about time.
			for _, d := range []time.Duration{250 * time.Millisecond, time.Second, 4 * time.Second, 16 * time.Second} {
				ctx, cancel := context.WithTimeout(context.Background(), d)
				ring := NewRing(100)
				var err error
				if tt.follow {
					err = cmd.Follow(ctx, ring)
				} else {
					var lines []Line
					lines, err = cmd.Fetch(ctx, 100)
					ring.Append(lines...)
				}
				cancel()
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("err = %v, want deadline exceeded", err)
				}
				lines := ring.Snapshot()
				pgid := pidFromLines(lines)
				if pgid == 0 || !hasText(lines, "child ready") {
					continue // cut off before both were up
				}
				eventually(t, "the process group to be gone", func() bool { return len(liveGroupMembers(t, pgid)) == 0 })
				return
			}
			t.Fatal("the helper never got its child running")
		})
	}
}

// A command that exits but leaves a child behind (one that does not hold
// its output) does not orphan the child.
func TestCommandExitKillsLeftovers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	lines, err := helperCommand(t, "orphan").Fetch(ctx, 10)
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	pgid := pidFromLines(lines)
	if pgid == 0 {
		t.Fatalf("no pid line in %q", texts(lines))
	}
	eventually(t, "the leftover child to be gone", func() bool { return len(liveGroupMembers(t, pgid)) == 0 })
}

// Follow stops when the pane is hidden (its context cancelled) and returns
// the cancellation, with the lines it streamed in the ring.
func TestCommandFollowCancel(t *testing.T) {
	ring := NewRing(1000)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- helperCommand(t, "ticker").Follow(ctx, ring) }()
	eventually(t, "three ticks", func() bool { return hasText(ring.Snapshot(), "tick 2") })
	pgid := pidFromLines(ring.Snapshot())
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Follow = %v, want context.Canceled", err)
	}
	eventually(t, "the process group to be gone", func() bool { return len(liveGroupMembers(t, pgid)) == 0 })
	// Lines arrive in order.
	prev := -1
	for _, l := range ring.Snapshot() {
		var n int
		if _, err := fmtSscan(l.Text, &n); err == nil {
			if n != prev+1 {
				t.Fatalf("tick %d after %d", n, prev)
			}
			prev = n
		}
	}
}
