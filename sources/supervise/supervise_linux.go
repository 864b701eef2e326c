package supervise

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// self is the running binary. The supervisor is the same program as
// sitrep, so it need not be installed, and it works even if sitrep's file
// was replaced while it runs.
const self = "/proc/self/exe"

// request is what sitrep sends the supervisor on its control pipe, as one
// JSON line: the command, resolved by sitrep. The environment travels
// here, never in argv, so that other users cannot read it in /proc.
type request struct {
	Path  string        `json:"path"`
	Args  []string      `json:"args"`
	Env   []string      `json:"env"`
	Dir   string        `json:"dir,omitempty"`
	Grace time.Duration `json:"grace"`
}

// report is one JSON line from the supervisor on its status pipe: first
// Pid or Err, then Exited with how the command's leader ended, then Done
// once no process of the run is left.
type report struct {
	Pid    int    `json:"pid,omitempty"`
	Err    string `json:"err,omitempty"`
	Exited bool   `json:"exited,omitempty"`
	Code   int    `json:"code,omitempty"`
	Signal int    `json:"signal,omitempty"`
	Core   bool   `json:"core,omitempty"`
	Done   bool   `json:"done,omitempty"`
}

// Process is a command running under its supervisor.
type Process struct {
	pid  int
	done chan struct{}
	exit Exit

	mu         sync.Mutex
	ctl        *os.File // the control pipe; nil once the supervisor is gone
	terminated bool
}

// Start starts s under a supervisor and returns once the command has
// started, or with the reason it could not: the words os/exec uses for a
// missing program or directory.
func Start(s Spec) (*Process, error) {
	cmd, err := command(s)
	if err != nil {
		return nil, err
	}
	req := request{Path: cmd.Path, Args: cmd.Args, Env: cmd.Env, Dir: cmd.Dir, Grace: s.grace()}
	line, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	ctlR, ctlW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	stR, stW, err := os.Pipe()
	if err != nil {
		ctlR.Close()
		ctlW.Close()
		return nil, err
	}
	// Fds 5 and 6 are always open, so that the supervisor never takes a
	// file of its own runtime for the command's output.
	for _, f := range []**os.File{&s.Stdout, &s.Stderr} {
		if *f == nil {
			null, err := os.Open(os.DevNull)
			if err != nil {
				ctlR.Close()
				ctlW.Close()
				stR.Close()
				stW.Close()
				return nil, err
			}
			defer null.Close()
			*f = null
		}
	}
	sup := &exec.Cmd{
		Path: self,
		Args: []string{"sitrep", Arg},
		Env:  []string{},
		// Fds 3 to 6. The command's output goes to it on 5 and 6, not as
		// its own stdout and stderr, so that nothing the supervisor's
		// runtime might print can mix with the command's output.
		ExtraFiles: []*os.File{ctlR, stW, s.Stdout, s.Stderr},
		// Its own group, so that a ^C meant for sitrep reaches the
		// command only as sitrep's cancel; SIGTERM if sitrep dies.
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM},
	}
	started := make(chan error, 1)
	reaped := make(chan error, 1)
	go func() {
		// The parent-death signal fires when the thread that forked the
		// supervisor ends, not when sitrep does. Go may end a thread only
		// when a goroutine locked to it returns still locked; holding this
		// one locked until the supervisor is reaped keeps its thread alive
		// exactly as long as it must be.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := sup.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		reaped <- sup.Wait()
	}()
	err = <-started
	ctlR.Close()
	stW.Close()
	if err != nil {
		ctlW.Close()
		stR.Close()
		return nil, fmt.Errorf("start sitrep's process supervisor: %w", err)
	}
	if _, err := ctlW.Write(append(line, '\n')); err != nil {
		ctlW.Close()
		stR.Close()
		return nil, fmt.Errorf("sitrep's process supervisor: %w (%v)", err, <-reaped)
	}
	dec := json.NewDecoder(stR)
	var first report
	if err := dec.Decode(&first); err != nil || first.Pid == 0 {
		ctlW.Close()
		stR.Close()
		werr := <-reaped
		if first.Err != "" {
			return nil, errors.New(first.Err)
		}
		return nil, fmt.Errorf("sitrep's process supervisor ended before the command started (%v)", werr)
	}
	p := &Process{pid: first.Pid, ctl: ctlW, done: make(chan struct{})}
	go p.follow(dec, stR, reaped)
	return p, nil
}

// follow reads the supervisor's reports until it is gone.
func (p *Process) follow(dec *json.Decoder, st *os.File, reaped <-chan error) {
	var ex Exit
	got := false
	for {
		var r report
		if err := dec.Decode(&r); err != nil {
			break
		}
		if r.Exited {
			ex = Exit{Code: r.Code, Signal: syscall.Signal(r.Signal), CoreDumped: r.Core, At: time.Now()}
			if ex.Signal != 0 {
				ex.Code = -1
			}
			got = true
		}
		if r.Done {
			break
		}
	}
	st.Close()
	werr := <-reaped
	if !got {
		ex = Exit{Code: -1, At: time.Now(), Err: fmt.Errorf("sitrep's process supervisor ended without saying how the command ended (%v)", werr)}
	}
	p.mu.Lock()
	p.ctl.Close()
	p.ctl = nil
	p.mu.Unlock()
	p.exit = ex
	close(p.done)
}

// Pid is the command's process ID, which is also its process group's.
func (p *Process) Pid() int { return p.pid }

// Terminate asks the supervisor to end the run: SIGTERM to the command's
// group and every process it started, SIGKILL to what is left after the
// grace period. It returns at once; Wait reports the end.
func (p *Process) Terminate() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ctl == nil || p.terminated {
		return
	}
	p.terminated = true
	_, _ = p.ctl.Write([]byte{'t'})
}

// Done is closed when the run has ended: the command has exited and no
// process it started is left.
func (p *Process) Done() <-chan struct{} { return p.done }

// Wait waits for Done and returns how the command ended.
func (p *Process) Wait() Exit {
	<-p.done
	return p.exit
}
