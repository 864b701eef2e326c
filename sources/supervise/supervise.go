// Package supervise is the one place where sitrep starts a command, streams
// its output and ends it: every process sitrep runs (actions' exec, ansible
// and token commands, log commands, deploy and git commands) starts and dies
// here, so that neither a command nor anything it starts outlives its run.
//
// A command runs in one of two modes, by Spec.Light:
//
// Supervised (the default; Linux). The command runs under a supervisor:
// sitrep's own binary re-executed with the hidden argument "_supervise".
// The supervisor is a child subreaper, so a grandchild that double-forks or
// calls setsid is reparented to it rather than to PID 1; it dies with
// sitrep (a parent-death signal, and the end of its control pipe); and
// whenever the run ends — the command exits, sitrep cancels it or times it
// out, or sitrep is gone — it terminates the command's process group and
// every remaining descendant (SIGTERM, then SIGKILL after the grace period)
// before it exits. Even kill -9 of sitrep leaves nothing behind. The price
// is a second process per run: about 0.07 s of CPU to start (most of it the
// package initialisation of sitrep's binary) and about 20 MB of memory
// while it runs. Actions use it: they change the world, run rarely, and a
// piece of one left running after sitrep died would act unseen.
//
// Light. The command runs directly as the leader of its own process group,
// with a parent-death signal (SIGKILL) on Linux. When sitrep cancels it or
// times it out, its group gets SIGTERM, then SIGKILL after the grace period
// or as soon as the leader has exited; when the command exits by itself,
// what it left in its group gets SIGKILL at once; either way the group is
// gone before the run is over. It costs what the command costs
// (BenchmarkRunShort compares the two modes). Log commands and deploy and
// git commands use it: they only read, and run often — a fetch on every
// refresh, a follow restarted for every incident the engineer selects,
// several git commands per repository — where a supervisor each would cost
// more than the command. What light mode does not cover: a process that
// leaves the group (setsid, a double fork) escapes the group kill, and if
// sitrep is killed outright only the leader dies with it; its children that
// still write to sitrep's pipes die of SIGPIPE at their next line, the
// others run on.
//
// Elsewhere than Linux every command runs in light mode, without the
// parent-death signal.
//
// Run and RunLines collect or split a command's output; Start and Process
// are the lower level they are built on.
package supervise

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// Arg is the hidden argument that turns sitrep's binary into the
// supervisor, on Linux (see serve_linux.go).
const Arg = "_supervise"

// DefaultGrace is how long a command's processes have between SIGTERM and
// SIGKILL when Spec.Grace is not set.
const DefaultGrace = 3 * time.Second

// Spec is one command to run.
type Spec struct {
	// Argv is the command, never run through a shell. A name without a
	// slash is looked up in sitrep's own PATH.
	Argv []string
	// Env is the command's whole environment; nil means an empty one.
	Env []string
	// Dir is the working directory; empty means sitrep's.
	Dir string
	// Stdout and Stderr receive the command's output (nil: /dev/null).
	// The caller may close its copies once Start returns.
	Stdout, Stderr *os.File
	// Grace is the time between SIGTERM and SIGKILL: zero means
	// DefaultGrace, a negative value SIGKILL at once.
	Grace time.Duration
	// Light runs the command directly in its own process group instead of
	// under a supervisor (see the package comment for who uses which).
	Light bool
}

func (s Spec) grace() time.Duration {
	switch {
	case s.Grace < 0:
		return 0
	case s.Grace == 0:
		return DefaultGrace
	}
	return s.Grace
}

// Exit is how a command ended.
type Exit struct {
	// Code is the exit code, or -1 when a signal ended the command or its
	// end is unknown.
	Code int
	// Signal is the signal that ended the command, if one did.
	Signal syscall.Signal
	// CoreDumped is set when the signal left a core dump.
	CoreDumped bool
	// At is when sitrep learned that the command's leader had exited.
	At time.Time
	// Err is set when the end is unknown: the supervisor itself failed.
	Err error
	// Terminated is set when the run was asked to end (Terminate, or the
	// end of Run's context) before it had ended by itself.
	Terminated bool
}

// OK reports whether the command exited with status 0.
func (e Exit) OK() bool { return e.Err == nil && e.Signal == 0 && e.Code == 0 }

// String is the end as os/exec words it: "exit status 3", "signal: killed".
func (e Exit) String() string {
	switch {
	case e.Err != nil:
		return e.Err.Error()
	case e.Signal != 0:
		s := "signal: " + e.Signal.String()
		if e.CoreDumped {
			s += " (core dumped)"
		}
		return s
	default:
		return "exit status " + strconv.Itoa(e.Code)
	}
}

// command resolves s.Argv as os/exec does, so that a missing program is
// reported by sitrep with the words exec uses, before anything starts.
func command(s Spec) (*exec.Cmd, error) {
	if len(s.Argv) == 0 || s.Argv[0] == "" {
		return nil, errEmpty
	}
	cmd := exec.Command(s.Argv[0], s.Argv[1:]...)
	if cmd.Err != nil {
		return nil, cmd.Err
	}
	cmd.Env = s.Env
	if cmd.Env == nil {
		cmd.Env = []string{}
	}
	cmd.Dir = s.Dir
	return cmd, nil
}

var errEmpty = errors.New("empty command")

// Run runs s to its end, copying its output to stdout and stderr (nil
// discards it), and terminates the run if ctx ends first. It returns how
// the command ended, or why it could not start. Spec.Stdout and
// Spec.Stderr are not used.
func Run(ctx context.Context, s Spec, stdout, stderr io.Writer) (Exit, error) {
	var readers []*os.File
	var copies []chan struct{}
	pipe := func(w io.Writer) (*os.File, error) {
		if w == nil {
			return nil, nil
		}
		r, wf, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, _ = io.Copy(w, r)
		}()
		readers, copies = append(readers, r), append(copies, done)
		return wf, nil
	}
	closeAll := func() {
		for _, r := range readers {
			r.Close()
		}
	}
	var err error
	if s.Stdout, err = pipe(stdout); err == nil {
		s.Stderr, err = pipe(stderr)
	}
	if err != nil {
		if s.Stdout != nil {
			s.Stdout.Close()
		}
		closeAll()
		return Exit{Code: -1}, err
	}
	p, err := Start(s)
	for _, f := range []*os.File{s.Stdout, s.Stderr} {
		if f != nil {
			f.Close()
		}
	}
	if err != nil {
		closeAll()
		for _, c := range copies {
			<-c
		}
		return Exit{Code: -1}, err
	}
	select {
	case <-p.Done():
	case <-ctx.Done():
		p.Terminate()
	}
	ex := p.Wait()
	// Everything the command started is gone, so its output has ended;
	// where a process could escape the run (light mode, or not Linux),
	// stop waiting for it after a moment.
	wait := time.NewTimer(time.Second)
	defer wait.Stop()
	cut := false
	for _, c := range copies {
		if !cut {
			select {
			case <-c:
				continue
			case <-wait.C:
				cut = true
				closeAll()
			}
		}
		<-c
	}
	closeAll()
	return ex, nil
}
