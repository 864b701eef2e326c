package deploys

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"sitrep/sources/childenv"
	"sitrep/sources/sanitize"
	"sitrep/sources/supervise"
)

// maxOutput bounds what a command may print before it is cut off.
const maxOutput = 16 << 20

// runArgv runs argv directly (never through a shell) through
// sources/supervise in light mode and returns its stdout. When ctx ends
// the whole process group is killed at once, so a wrapper script's
// children go too; so is whatever the program left running in its group
// when it exits, as a background child that would otherwise hold stdout
// open. A non-zero exit is an error naming the program and the last line
// of its stderr; stdout is still returned.
//
// Light mode, not a supervisor, because a fetch runs several of these
// (git for each repository, each deploy command) for every incident the
// engineer selects; see the supervise package comment.
func runArgv(ctx context.Context, argv []string, dir string, env []string) ([]byte, error) {
	if len(argv) == 0 || argv[0] == "" {
		return nil, errors.New("no command given")
	}
	name := filepath.Base(argv[0])
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, context.Cause(ctx))
	}
	stdout := &capped{limit: maxOutput}
	stderr := &capped{limit: 64 << 10}
	// They only read: nothing to let them finish once ctx has ended.
	spec := supervise.Spec{Argv: argv, Dir: dir, Env: childenv.For(env), Grace: -1, Light: true}
	ex, err := supervise.Run(ctx, spec, stdout, stderr)
	switch {
	case err != nil:
		return nil, fmt.Errorf("start %s: %w", name, err)
	case ctx.Err() != nil:
		return stdout.Bytes(), fmt.Errorf("%s: %w", name, context.Cause(ctx))
	case stdout.over:
		return stdout.Bytes(), fmt.Errorf("%s: output larger than %d bytes", name, maxOutput)
	case ex.OK():
		return stdout.Bytes(), nil
	}
	if last := lastLine(stderr.Bytes()); last != "" && ex.Err == nil {
		return stdout.Bytes(), fmt.Errorf("%s: %s: %s", name, ex, last)
	}
	return stdout.Bytes(), fmt.Errorf("%s: %s", name, ex)
}

// capped is a writer that keeps the first limit bytes and notes the rest.
type capped struct {
	bytes.Buffer
	limit int
	over  bool
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.limit - c.Len(); room < len(p) {
		c.over = true
		c.Buffer.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return c.Buffer.Write(p)
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return sanitize.Line(capString(lines[len(lines)-1], 300))
}
