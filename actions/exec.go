package actions

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"sitrep/sources/supervise"
)

// DefaultTimeout bounds a run whose action sets no timeout.
const DefaultTimeout = 5 * time.Minute

// DefaultGrace is how long an action's processes have between SIGTERM and
// SIGKILL.
const DefaultGrace = supervise.DefaultGrace

// proc is one process to run under the process supervisor.
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

// runProc runs p through the process supervisor, streams its output, and
// makes sure no process it started outlives the run, or sitrep: on timeout
// or cancel its group and every process it started get SIGTERM, then
// SIGKILL after the grace period; after a normal exit, so do any
// stragglers; and if sitrep dies, the supervisor does the same.
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
	start := time.Now()
	sp, err := supervise.Start(supervise.Spec{Argv: p.argv, Env: p.env, Dir: p.dir, Stdout: wOut, Stderr: wErr, Grace: p.grace})
	wOut.Close()
	wErr.Close()
	if err != nil {
		rOut.Close()
		rErr.Close()
		return Result{ExitCode: -1, Text: "failed to start: " + red.Redact(err.Error())}
	}

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

	timer := time.NewTimer(p.timeout)
	defer timer.Stop()

	var res Result
	select {
	case <-sp.Done():
	case <-timer.C:
		res.TimedOut = true
		sp.Terminate()
	case <-ctx.Done():
		res.Cancelled = true
		sp.Terminate()
	}
	// Wait returns once the command and everything it started are gone.
	ex := sp.Wait()
	res.Duration = ex.At.Sub(start)
	drained := make(chan struct{})
	go func() { readers.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(p.grace + time.Second):
		// A process that escaped the supervisor still holds a pipe: stop
		// reading.
		rOut.Close()
		rErr.Close()
		<-drained
	}
	rOut.Close()
	rErr.Close()

	res.ExitCode = ex.Code
	switch {
	case res.TimedOut:
		res.Text = "timed out after " + fmtDuration(p.timeout)
		c.add("sitrep", fmt.Sprintf("\n[sitrep: timed out after %s; process group terminated]\n", fmtDuration(p.timeout)))
	case res.Cancelled:
		res.Text = "cancelled"
		c.add("sitrep", "\n[sitrep: cancelled; process group terminated]\n")
	case ex.OK():
		res.Text = "exit 0"
		res.OK = true
	case ex.Err == nil && ex.Signal == 0:
		res.Text = fmt.Sprintf("exit %d", ex.Code)
	default:
		res.Text = red.Redact(ex.String())
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
