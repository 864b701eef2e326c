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

// Start starts s, under a supervisor unless s.Light, and returns once the
// command has started, or with the reason it could not: the words os/exec
// uses for a missing program or directory.
func Start(s Spec) (*Process, error) {
	if s.Light {
		return startLight(s)
	}
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
	c := &control{ctl: ctlW}
	p := &Process{pid: first.Pid, done: make(chan struct{}), stop: c.terminate}
	go follow(p, c, dec, stR, reaped)
	return p, nil
}

// control is the supervisor's control pipe.
type control struct {
	mu  sync.Mutex
	ctl *os.File // nil once the supervisor is gone
}

// terminate asks the supervisor to end the run: any byte does.
func (c *control) terminate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctl != nil {
		_, _ = c.ctl.Write([]byte{'t'})
	}
}

// follow reads the supervisor's reports until it is gone.
func follow(p *Process, c *control, dec *json.Decoder, st *os.File, reaped <-chan error) {
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
	c.mu.Lock()
	c.ctl.Close()
	c.ctl = nil
	c.mu.Unlock()
	p.finish(ex)
}
