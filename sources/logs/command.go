package logs

import (
	"context"
	"time"

	"sitrep/sources/sanitize"
)

// Command is a log source whose log is the output of a program: kubectl
// logs -f, journalctl -fu, tail -F, or a one-shot kubectl logs --tail=100.
// Argv is run directly, never through a shell.
type Command struct {
	Argv   []string
	Dir    string        // working directory; empty means sitrep's
	Env    []string      // KEY=value pairs added to sitrep's environment, less its secrets (see childEnv)
	Source string        // Line.Source; empty means the program's base name
	Grace  time.Duration // between SIGTERM and SIGKILL when stopped; zero means DefaultGrace
	// Background, when set, keeps the command running between fetches
	// while a Follow holds it, one process for every fetch and follow
	// of the same command (see Background).
	Background *Background
}

// Follow streams the command's output into ring until the command exits or
// ctx ends; then the command's whole process group is terminated (SIGTERM,
// then SIGKILL after Grace). Lines written to stderr carry StderrSuffix in
// their Source. It returns an error wrapping ctx's cause when ctx ended it,
// and one naming the exit status and last stderr line when the command
// failed.
func (c Command) Follow(ctx context.Context, ring *Ring) error {
	if ring == nil {
		return errNilRing
	}
	if c.Background != nil {
		return c.Background.follow(ctx, c, ring)
	}
	return c.proc().run(ctx, c.emitTo(ring))
}

// Fetch runs the command to completion and returns the last n lines of its
// output (n < 1 or n > MaxFetchLines: the last MaxFetchLines). If ctx ends
// first, the command is cut off as in Follow and the lines read so far are
// returned with the error. With a Background, a command that a Follow
// holds answers at once with its newest lines instead.
func (c Command) Fetch(ctx context.Context, n int) ([]Line, error) {
	if c.Background != nil {
		return c.Background.fetch(ctx, c, n)
	}
	ring := NewRing(fetchCap(n))
	err := c.proc().run(ctx, c.emitTo(ring))
	return ring.Snapshot(), err
}

// MaxFetchLines bounds what any Fetch keeps.
const MaxFetchLines = 10000

func fetchCap(n int) int {
	if n < 1 || n > MaxFetchLines {
		return MaxFetchLines
	}
	return n
}

func (c Command) proc() proc {
	return proc{argv: c.Argv, dir: c.Dir, env: c.Env, grace: c.Grace}
}

func (c Command) source() string {
	if c.Source != "" {
		return sanitize.Line(c.Source)
	}
	return sanitize.Line(c.proc().name())
}

// appender is where a command's lines go: a Ring, or a background run
// that copies them to its followers.
type appender interface{ Append(lines ...Line) }

func (c Command) emitTo(ring appender) func(stream, []byte, bool) {
	src := c.source()
	errSrc := src + StderrSuffix
	// proc calls emit one line at a time, so the stampers need no lock.
	var outStamp, errStamp stamper
	return func(s stream, b []byte, truncated bool) {
		text := cleanText(b, truncated)
		l := Line{Text: text, Source: src}
		st := &outStamp
		if s == streamStderr {
			l.Source, st = errSrc, &errStamp
		}
		l.Level, l.T = st.stamp(text, time.Now())
		ring.Append(l)
	}
}
