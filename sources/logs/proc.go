package logs

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"sitrep/sources/childenv"
	"sitrep/sources/supervise"
)

// DefaultGrace is how long a command has between SIGTERM and SIGKILL.
const DefaultGrace = 2 * time.Second

type stream = supervise.Stream

const (
	streamStdout = supervise.Stdout
	streamStderr = supervise.Stderr
)

// splitter cuts commands' output and files into lines of at most a limit.
type splitter = supervise.Splitter

func newSplitter(limit int, emit func(line []byte, truncated bool)) *splitter {
	return supervise.NewSplitter(limit, emit)
}

// proc is one run of an argv in its own process group.
type proc struct {
	argv  []string
	dir   string
	env   []string // added to sitrep's environment (see childEnv)
	grace time.Duration
	limit int // bytes per line
}

// run runs p.argv directly (never through a shell) through
// sources/supervise in light mode, feeds every line of its stdout and
// stderr to emit (one call at a time), and returns when the process has
// exited and its group has been ended, or when ctx has ended and the
// group has been terminated.
//
// Ending the group rather than the process is what keeps a pipeline
// inside a wrapper script, or kubectl's own children, from outliving the
// pane. Light mode, not a supervisor, because log commands start on every
// refresh and every selected incident (see the supervise package comment
// for what that leaves uncovered).
func (p proc) run(ctx context.Context, emit func(s stream, line []byte, truncated bool)) error {
	if len(p.argv) == 0 || p.argv[0] == "" {
		return errors.New("no command given")
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", p.name(), context.Cause(ctx))
	}
	grace := p.grace
	if grace <= 0 {
		grace = DefaultGrace
	}
	limit := p.limit
	if limit <= 0 {
		limit = MaxLineBytes
	}
	var tail lastLine
	spec := supervise.Spec{Argv: p.argv, Dir: p.dir, Env: childenv.For(p.env), Grace: grace, Light: true}
	ex, err := supervise.RunLines(ctx, spec, limit, func(s stream, b []byte, truncated bool) {
		if s == streamStderr {
			tail.set(b)
		}
		emit(s, b, truncated)
	})
	switch {
	case err != nil:
		return fmt.Errorf("start %s: %w", p.name(), err)
	case ex.Terminated:
		return fmt.Errorf("%s: %w", p.name(), context.Cause(ctx))
	case ex.OK():
		return nil
	case ex.Err == nil && tail.String() != "":
		return fmt.Errorf("%s: %s: %s", p.name(), ex, tail.String())
	default:
		return fmt.Errorf("%s: %s", p.name(), ex)
	}
}

func (p proc) name() string {
	if len(p.argv) == 0 {
		return "command"
	}
	return filepath.Base(p.argv[0])
}

// lastLine remembers the last non-empty stderr line, sanitized, for the
// error message when a command fails.
type lastLine struct{ s string }

func (l *lastLine) set(b []byte) {
	if s := strings.TrimSpace(cleanText(b, false)); s != "" {
		if len(s) > 300 {
			s = s[:300] + TruncatedMarker
		}
		l.s = s
	}
}

func (l *lastLine) String() string { return l.s }
