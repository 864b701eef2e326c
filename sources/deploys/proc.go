package deploys

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"sitrep/sources/sanitize"
)

// maxOutput bounds what a command may print before it is cut off.
const maxOutput = 16 << 20

// waitDelay is how long a command whose context ended has to let go of its
// output pipes after its process group was killed.
const waitDelay = 2 * time.Second

// runArgv runs argv directly (never through a shell) in its own process
// group and returns its stdout. When ctx ends the whole group is killed, so
// a wrapper script's children go too. A non-zero exit is an error naming
// the program and the last line of its stderr; stdout is still returned.
func runArgv(ctx context.Context, argv []string, dir string, env []string) ([]byte, error) {
	if len(argv) == 0 || argv[0] == "" {
		return nil, errors.New("no command given")
	}
	name := filepath.Base(argv[0])
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = waitDelay
	stdout := &capped{limit: maxOutput}
	stderr := &capped{limit: 64 << 10}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		return stdout.Bytes(), fmt.Errorf("%s: %w", name, context.Cause(ctx))
	}
	if stdout.over {
		return stdout.Bytes(), fmt.Errorf("%s: output larger than %d bytes", name, maxOutput)
	}
	if err != nil {
		if last := lastLine(stderr.Bytes()); last != "" {
			return stdout.Bytes(), fmt.Errorf("%s: %v: %s", name, err, last)
		}
		return stdout.Bytes(), fmt.Errorf("%s: %w", name, err)
	}
	return stdout.Bytes(), nil
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
