package actions

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// DefaultTimeout bounds a run whose action sets no timeout.
const DefaultTimeout = 5 * time.Minute

// DefaultGrace is how long a process group has between SIGTERM and
// SIGKILL.
const DefaultGrace = 3 * time.Second

// proc is one process to run in its own process group.
type proc struct {
	argv    []string
	env     []string // the whole environment of the child
	dir     string
	timeout time.Duration
	grace   time.Duration
}

// ExecRunner runs a process: argv rendered element by element, never
// through a shell.
type ExecRunner struct {
	Argv      []string
	DryArgv   []string
	Env       []string // NAME=value, the child's whole environment
	EnvNames  []string // for the preview: names only
	Dir       string
	Timeout   time.Duration
	Grace     time.Duration
	Redactor  *Redactor
	TargetTxt string
}

// Preview implements Runner.
func (r *ExecRunner) Preview() Preview {
	p := Preview{Runner: RunnerExec, Command: r.Redactor.redactAll(r.Argv), Env: r.EnvNames, Target: r.TargetTxt}
	if len(r.DryArgv) > 0 {
		p.DryRun = r.Redactor.redactAll(r.DryArgv)
	} else {
		p.DryRunNote = "this action has no dry run: the preview above is all sitrep can show before running it"
	}
	return p
}

// HasDryRun implements Runner.
func (r *ExecRunner) HasDryRun() bool { return len(r.DryArgv) > 0 }

// DryRun implements Runner.
func (r *ExecRunner) DryRun(ctx context.Context, out func(Chunk)) Result {
	if len(r.DryArgv) == 0 {
		return Result{ExitCode: -1, Text: "no dry run"}
	}
	return runProc(ctx, r.proc(r.DryArgv), r.Redactor, out)
}

// Run implements Runner.
func (r *ExecRunner) Run(ctx context.Context, out func(Chunk)) Result {
	return runProc(ctx, r.proc(r.Argv), r.Redactor, out)
}

func (r *ExecRunner) proc(argv []string) proc {
	return proc{argv: argv, env: r.Env, dir: r.Dir, timeout: r.Timeout, grace: r.Grace}
}

// runProc runs p in its own process group, streams its output, and makes
// sure no process of the group outlives it: on timeout or cancel the group
// gets SIGTERM, then SIGKILL after the grace period; after a normal exit
// any stragglers of the group get the same.
func runProc(ctx context.Context, p proc, red *Redactor, out func(Chunk)) Result {
	if p.timeout <= 0 {
		p.timeout = DefaultTimeout
	}
	if p.grace <= 0 {
		p.grace = DefaultGrace
	}
	c := &capture{red: red, out: out}
	if len(p.argv) == 0 || p.argv[0] == "" {
		return Result{ExitCode: -1, Text: "failed to start: empty command"}
	}
	if err := ctx.Err(); err != nil {
		return Result{ExitCode: -1, Text: "cancelled before start", Cancelled: true}
	}
	cmd := exec.Command(p.argv[0], p.argv[1:]...)
	cmd.Env = p.env
	if cmd.Env == nil {
		cmd.Env = []string{}
	}
	cmd.Dir = p.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	rOut, wOut, err := os.Pipe()
	if err != nil {
		return Result{ExitCode: -1, Text: "failed to start: " + err.Error()}
	}
	rErr, wErr, err := os.Pipe()
	if err != nil {
		rOut.Close()
		wOut.Close()
		return Result{ExitCode: -1, Text: "failed to start: " + err.Error()}
	}
	cmd.Stdout, cmd.Stderr = wOut, wErr
	start := time.Now()
	err = cmd.Start()
	wOut.Close()
	wErr.Close()
	if err != nil {
		rOut.Close()
		rErr.Close()
		return Result{ExitCode: -1, Text: "failed to start: " + red.Redact(err.Error())}
	}
	pgid := cmd.Process.Pid

	var readers sync.WaitGroup
	for _, s := range []struct {
		name string
		r    io.Reader
	}{{"stdout", rOut}, {"stderr", rErr}} {
		readers.Add(1)
		go func() {
			defer readers.Done()
			pump(s.r, s.name, c)
		}()
	}

	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	timer := time.NewTimer(p.timeout)
	defer timer.Stop()

	var res Result
	var werr error
	select {
	case werr = <-waited:
	case <-timer.C:
		res.TimedOut = true
		killGroup(pgid, p.grace)
		werr = <-waited
	case <-ctx.Done():
		res.Cancelled = true
		killGroup(pgid, p.grace)
		werr = <-waited
	}
	res.Duration = time.Since(start)
	// The leader is gone; make sure nothing it left behind survives, so
	// the pipes close and no orphan keeps running.
	if groupAlive(pgid) {
		killGroup(pgid, p.grace)
	}
	drained := make(chan struct{})
	go func() { readers.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(p.grace + time.Second):
		// A process that left the group still holds a pipe: stop reading.
		rOut.Close()
		rErr.Close()
		<-drained
	}
	rOut.Close()
	rErr.Close()

	res.ExitCode = -1
	if cmd.ProcessState != nil {
		res.ExitCode = cmd.ProcessState.ExitCode()
	}
	switch {
	case res.TimedOut:
		res.Text = "timed out after " + fmtDuration(p.timeout)
		c.add("sitrep", fmt.Sprintf("\n[sitrep: timed out after %s; process group terminated]\n", fmtDuration(p.timeout)))
	case res.Cancelled:
		res.Text = "cancelled"
		c.add("sitrep", "\n[sitrep: cancelled; process group terminated]\n")
	case werr == nil:
		res.Text = "exit 0"
		res.OK = true
	default:
		var ee *exec.ExitError
		if errors.As(werr, &ee) && ee.ExitCode() >= 0 {
			res.Text = fmt.Sprintf("exit %d", ee.ExitCode())
		} else {
			res.Text = red.Redact(werr.Error())
		}
	}
	res.Output = c.String()
	return res
}

// pump reads a stream line by line into c; very long lines go in pieces.
func pump(r io.Reader, stream string, c *capture) {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			c.add(stream, string(line))
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			return
		}
	}
}

func groupAlive(pgid int) bool {
	return syscall.Kill(-pgid, 0) == nil
}

// killGroup sends SIGTERM to the group, waits up to grace for it to
// empty, then sends SIGKILL.
func killGroup(pgid int, grace time.Duration) {
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	deadline := time.NewTimer(grace)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-deadline.C:
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			return
		case <-tick.C:
			if !groupAlive(pgid) {
				return
			}
		}
	}
}
