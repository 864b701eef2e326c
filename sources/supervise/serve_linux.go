package supervise

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// init turns this binary into the supervisor when sitrep started it as
// one. It is a package init, not a subcommand of sitrep's CLI, so that
// every binary that can run an action is also its supervisor: sitrep, and
// the test binary of every package whose tests run one.
func init() {
	if len(os.Args) == 2 && os.Args[1] == Arg {
		os.Exit(serve())
	}
}

// serve is the supervisor: fd 3 is the control pipe from sitrep, fd 4 the
// status pipe to it, and fds 5 and 6 the command's stdout and stderr.
func serve() int {
	for _, fd := range []int{3, 4, 5, 6} {
		var st unix.Stat_t
		if unix.Fstat(fd, &st) != nil || fd < 5 && st.Mode&unix.S_IFMT != unix.S_IFIFO {
			fmt.Fprintf(os.Stderr, "sitrep %s is the supervisor sitrep starts for each action it runs; it is not run by hand\n", Arg)
			return 2
		}
		// The command must not inherit them: the status pipe has to
		// close when the supervisor ends, whatever the command left.
		syscall.CloseOnExec(fd)
	}
	stdout, stderr := os.NewFile(5, "stdout"), os.NewFile(6, "stderr")
	ctl := bufio.NewReader(os.NewFile(3, "control"))
	status := os.NewFile(4, "status")
	send := func(r report) {
		b, _ := json.Marshal(r)
		// Fails only when sitrep is gone, and then nobody is listening.
		_, _ = status.Write(append(b, '\n'))
	}

	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		send(report{Err: "become a child subreaper: " + err.Error()})
		return 1
	}
	stop := make(chan struct{})
	var once sync.Once
	stopNow := func() { once.Do(func() { close(stop) }) }
	// SIGTERM is the parent-death signal sitrep asked for. Where sitrep
	// was started with SIGTERM ignored, the command inherits that, and the
	// end of the control pipe alone tells that sitrep is gone.
	if !signal.Ignored(syscall.SIGTERM) {
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGTERM)
		go func() { <-sigs; stopNow() }()
	}

	line, err := ctl.ReadBytes('\n')
	if err != nil {
		return 1 // sitrep went before it said what to run
	}
	var req request
	if err := json.Unmarshal(line, &req); err != nil {
		send(report{Err: "sitrep's process supervisor: bad request: " + err.Error()})
		return 1
	}
	// Any byte after the request asks for the end; so does the end of
	// the pipe, which comes when sitrep dies however it dies.
	go func() {
		_, _ = ctl.ReadByte()
		stopNow()
	}()
	select {
	case <-stop:
		return 1
	default:
	}

	cmd := &exec.Cmd{
		Path: req.Path, Args: req.Args, Env: req.Env, Dir: req.Dir,
		Stdout: stdout, Stderr: stderr,
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true},
	}
	if cmd.Env == nil {
		cmd.Env = []string{}
	}
	err = cmd.Start()
	// The command holds its output now; the supervisor must not keep it
	// open past the command's processes.
	stdout.Close()
	stderr.Close()
	if err != nil {
		send(report{Err: err.Error()})
		return 1
	}
	t := &tree{self: os.Getpid(), leader: cmd.Process.Pid, termed: map[int]bool{}}
	send(report{Pid: t.leader})

	exited := make(chan struct{})
	go func() {
		waitExited(t.leader)
		close(exited)
	}()
	select {
	case <-exited:
	case <-stop:
		t.kill(req.Grace)
		<-exited
	}
	t.reapLeader()
	r := report{Exited: true, Code: -1}
	switch ws := t.status; {
	case t.lost:
	case ws.Exited():
		r.Code = ws.ExitStatus()
	case ws.Signaled():
		r.Signal, r.Core = int(ws.Signal()), ws.CoreDump()
	}
	send(r)
	// Whatever the leader left behind goes too, as it would on a cancel.
	t.kill(req.Grace)
	send(report{Done: true})
	return 0
}

// tree is the supervisor's view of the run: its command's leader and,
// being a subreaper, every process below it.
type tree struct {
	self, leader int
	reaped, lost bool // the leader has been waited for; its status is unknown
	status       syscall.WaitStatus
	termed       map[int]bool // sent SIGTERM
}

// reap collects every child that has exited, noting the leader's status.
func (t *tree) reap() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil || pid <= 0 {
			return
		}
		if pid == t.leader {
			t.status, t.reaped = ws, true
		}
	}
}

// reapLeader waits for the leader, which has exited.
func (t *tree) reapLeader() {
	for !t.reaped {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(t.leader, &ws, 0, nil)
		switch {
		case errors.Is(err, syscall.EINTR):
		case err != nil:
			t.reaped, t.lost = true, true
		case pid == t.leader:
			t.status, t.reaped = ws, true
		}
	}
}

// kill ends every process of the run: SIGTERM once to each, SIGKILL to
// all that remain after grace, until none is left. It signals the group
// while the leader is unreaped (its pid cannot belong to another group
// then), and every descendant by pid, which reaches those that left the
// group; a process forked during a round is found in the next one.
func (t *tree) kill(grace time.Duration) {
	deadline := time.Now().Add(grace)
	groupTermed := false
	for {
		t.reap()
		sig := syscall.SIGTERM
		if !time.Now().Before(deadline) {
			sig = syscall.SIGKILL
		}
		group := false
		if !t.reaped && (sig == syscall.SIGKILL || !groupTermed) {
			_ = syscall.Kill(-t.leader, sig)
			group, groupTermed = true, true
		}
		live := descendants(t.self)
		if len(live) == 0 {
			t.reap()
			return
		}
		for _, p := range live {
			switch {
			case sig == syscall.SIGKILL:
				_ = syscall.Kill(p.pid, sig)
			case t.termed[p.pid]:
			case group && p.pgid == t.leader:
				t.termed[p.pid] = true // the group's SIGTERM reached it
			default:
				t.termed[p.pid] = true
				_ = syscall.Kill(p.pid, sig)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type procInfo struct {
	pid, pgid int
}

// descendants lists the live (not zombie) processes below root, from
// /proc. Between the scan and a signal a process can only have exited into
// a zombie that its parent (in the tree, or the supervisor) has not reaped
// yet, so a pid listed here is not a stranger's.
func descendants(root int) []procInfo {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	type node struct {
		procInfo
		live bool
	}
	children := map[int][]node{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // gone since the listing
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		// After the command name: state ppid pgrp ...
		f := strings.Fields(s[i+1:])
		if len(f) < 3 {
			continue
		}
		ppid, err1 := strconv.Atoi(f[1])
		pgid, err2 := strconv.Atoi(f[2])
		if err1 != nil || err2 != nil {
			continue
		}
		children[ppid] = append(children[ppid], node{procInfo{pid, pgid}, f[0] != "Z" && f[0] != "X"})
	}
	var out []procInfo
	queue := []int{root}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			queue = append(queue, c.pid)
			if c.live {
				out = append(out, c.procInfo)
			}
		}
	}
	return out
}
