package supervise

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// In light mode Terminate ends the command's group; what left the group
// (the tree's setsid children) escapes, as the package comment says, and
// is killed here.
func TestLightTerminateEndsTheGroup(t *testing.T) {
	skipIfNotLinux(t)
	for _, then := range []string{"wait", "exit 0"} {
		t.Run(then, func(t *testing.T) {
			dir := t.TempDir()
			s := treeSpec(dir, then)
			s.Light = true
			p, err := Start(s)
			if err != nil {
				t.Fatal(err)
			}
			pids := treePids(t, dir)
			t.Cleanup(func() {
				for _, pid := range pids[2:] {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			})
			if then == "wait" {
				p.Terminate()
			}
			ex := p.Wait()
			switch {
			case then == "exit 0" && (!ex.OK() || ex.Terminated):
				t.Errorf("exit = %+v, want 0 and not terminated", ex)
			case then == "wait" && (ex.Signal != syscall.SIGTERM || !ex.Terminated):
				t.Errorf("exit = %+v (%s), want the leader ended by SIGTERM, terminated", ex, ex)
			}
			assertGone(t, pids[:2])
		})
	}
}

func TestLightExitStatusAndStartFailure(t *testing.T) {
	for _, tt := range []struct {
		script, want string
	}{
		{"exit 0", "exit status 0"},
		{"exit 3", "exit status 3"},
		{"kill -9 $$", "signal: killed"},
	} {
		p, err := Start(Spec{Argv: []string{"/bin/sh", "-c", tt.script}, Light: true})
		if err != nil {
			t.Fatal(err)
		}
		if ex := p.Wait(); ex.String() != tt.want {
			t.Errorf("%s: exit = %+v (%s), want %s", tt.script, ex, ex, tt.want)
		}
	}
	_, err := Start(Spec{Argv: []string{"no-such-program-anywhere"}, Light: true})
	if want := `exec: "no-such-program-anywhere": executable file not found in $PATH`; err == nil || err.Error() != want {
		t.Errorf("missing program: %v, want %q", err, want)
	}
}

// A negative grace skips SIGTERM: a command that ignores it still ends
// at once.
func TestNoGraceKillsAtOnce(t *testing.T) {
	for _, light := range []bool{false, true} {
		t.Run(fmt.Sprint("light=", light), func(t *testing.T) {
			if !light {
				skipIfNotLinux(t)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var out strings.Builder
			start := time.Now()
			var cancelled time.Time
			ex, err := RunLines(ctx, Spec{Argv: []string{"/bin/sh", "-c", "trap '' TERM; echo up; while :; do sleep 1; done"}, Grace: -1, Light: light}, 100, func(_ Stream, b []byte, _ bool) {
				out.Write(b)
				cancelled = time.Now()
				cancel()
			})
			// DefaultGrace would be 3 s; a SIGTERM the script ignores
			// would take at least that.
			if err != nil || ex.Signal != syscall.SIGKILL || !ex.Terminated || out.String() != "up" || time.Since(cancelled) > 2*time.Second {
				t.Errorf("Run = %+v %v, out %q, %s after the cancel (%s in all); want killed at once", ex, err, out.String(), time.Since(cancelled), time.Since(start))
			}
		})
	}
}

func TestRunLines(t *testing.T) {
	type line struct {
		s         Stream
		text      string
		truncated bool
	}
	for _, light := range []bool{false, true} {
		t.Run(fmt.Sprint("light=", light), func(t *testing.T) {
			var mu sync.Mutex
			var got []line
			script := "echo one; echo abcdefghij; printf 'no newline'; echo oops >&2"
			ex, err := RunLines(context.Background(), Spec{Argv: []string{"/bin/sh", "-c", script}, Light: light}, 5, func(s Stream, b []byte, truncated bool) {
				mu.Lock()
				defer mu.Unlock()
				got = append(got, line{s, string(b), truncated})
			})
			if err != nil || !ex.OK() {
				t.Fatalf("RunLines = %+v, %v", ex, err)
			}
			want := []line{{Stdout, "one", false}, {Stdout, "abcde", true}, {Stdout, "no ne", true}, {Stderr, "oops", false}}
			slices.SortStableFunc(got, func(a, b line) int { return int(a.s) - int(b.s) })
			if !slices.Equal(got, want) {
				t.Errorf("lines = %+v, want %+v", got, want)
			}
		})
	}
}

// BenchmarkRunShort is the cost of running a short command to its end in
// each mode, output read and group ended. The supervisor here is this
// test binary; sitrep's own binary starts slower (see the package comment).
func BenchmarkRunShort(b *testing.B) {
	for _, light := range []bool{true, false} {
		name := "supervised"
		if light {
			name = "light"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			for b.Loop() {
				n := 0
				ex, err := RunLines(ctx, Spec{Argv: []string{"/bin/echo", "one line"}, Light: light}, 1024, func(Stream, []byte, bool) { n++ })
				if err != nil || !ex.OK() || n != 1 {
					b.Fatalf("RunLines = %+v, %v, %d lines", ex, err, n)
				}
			}
		})
	}
}
