package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"sitrep/actions"
	"sitrep/sources/pagerduty"
)

// doorWorld is a run world whose journal is held by an environment that
// serves its door, as the cockpit does, in this process.
type doorWorld struct {
	*runWorld
	env  *environment
	door *door
}

// startDoorWorld starts the world and opens the door over the catalogue
// in testdata/door. XDG_RUNTIME_DIR is the test's own.
func startDoorWorld(t *testing.T, readOnly bool) *doorWorld {
	t.Helper()
	rw := startRunWorld(t, filepath.Join("testdata", "door"))
	run := filepath.Join(rw.home, "run")
	if err := os.Mkdir(run, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_RUNTIME_DIR", run)
	cmd := &cobra.Command{Use: "sitrep"}
	cmd.SetContext(context.Background())
	g := &globalFlags{configPath: rw.config, journal: rw.journal}
	env, err := g.environment(cmd)
	if err != nil {
		t.Fatal(err)
	}
	d, err := openDoor(env, readOnly)
	if err != nil {
		env.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		d.Close()
		env.Close()
	})
	return &doorWorld{runWorld: rw, env: env, door: d}
}

// syncBuffer is a buffer a test reads while the client writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestDoorRunsThroughTheHolder(t *testing.T) {
	dw := startDoorWorld(t, false)
	// The journal is held: this process could not open it for writing.
	g := &globalFlags{configPath: dw.config, journal: dw.journal}
	if _, err := g.openJournal(false); err == nil {
		t.Fatal("the journal is not held by the door's environment")
	}

	// The dry run: previewed by the holder, nothing started.
	out, err := dw.run(t, "restart_service", nil, true, "", false, "")
	if err != nil {
		t.Fatalf("dry run through the door: %v\n%s", err, out)
	}
	for _, want := range []string{
		"sitrep: the journal is held by the running sitrep (pid " + strconv.Itoa(os.Getpid()) + "); running through it\n",
		"Restart the service (restart_service) — risk medium\n",
		"guards: allowed (confirm: typed)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the dry run's output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "-- run --") || dw.restarts(t) != 0 {
		t.Errorf("the dry run ran:\n%s", out)
	}

	// A run confirmed with --confirm: the holder's engine runs it.
	out, err = dw.run(t, "restart_service", nil, false, "payment-gateway", false, "")
	if err != nil {
		t.Fatalf("run through the door: %v\n%s", err, out)
	}
	if !strings.Contains(out, "done: 3/3 pods ready\n") || !strings.Contains(out, "-- exit 0 in ") {
		t.Errorf("the run's output did not come through:\n%s", out)
	}
	if n := dw.restarts(t); n != 1 {
		t.Errorf("payment-gateway restarted %d times, want 1", n)
	}

	// The journal says each run came from the shell, before its first
	// step, and names the run.
	es := dw.entries(t)
	var marks []map[string]any
	started := ""
	for i, e := range es {
		if e.Kind == "shell.run" {
			var m map[string]any
			if err := json.Unmarshal(e.Data, &m); err != nil {
				t.Fatal(err)
			}
			marks = append(marks, m)
			if i+1 >= len(es) || !strings.HasPrefix(es[i+1].Kind, "action.") {
				t.Errorf("the shell.run entry is not followed by its run's steps: %v", kinds(es))
			}
			if !strings.HasPrefix(e.Summary, "from the shell, through the running sitrep: restart_service ") {
				t.Errorf("shell.run summary: %q", e.Summary)
			}
		}
		if e.Kind == "action.started" {
			var rec actions.Record
			if err := json.Unmarshal(e.Data, &rec); err != nil {
				t.Fatal(err)
			}
			started = rec.RunID
		}
	}
	if len(marks) != 2 || marks[0]["dry_run"] != true || marks[1]["dry_run"] != false {
		t.Fatalf("want a shell.run entry for the dry run and one for the run: %v\n%v", marks, kinds(es))
	}
	if started == "" || marks[1]["run_id"] != started {
		t.Errorf("the shell.run entry names run %v, the run that started is %q", marks[1]["run_id"], started)
	}
}

func TestDoorExitCodes(t *testing.T) {
	dw := startDoorWorld(t, false)
	// An unknown action is a usage error, as locally.
	out, err := dw.run(t, "no_such_action", nil, true, "", false, "")
	if code := exitCode(err); code != statusUsage || !strings.Contains(err.Error(), `unknown action "no_such_action"`) {
		t.Errorf("unknown action: exit %d, err %v\n%s", code, err, out)
	}
	// No terminal, no --confirm: refused, naming the flag.
	out, err = dw.run(t, "restart_service", nil, false, "", false, "")
	if code := exitCode(err); code != statusRefused || !strings.Contains(err.Error(), "give --confirm payment-gateway to run restart_service") {
		t.Errorf("without --confirm: exit %d, err %v\n%s", code, err, out)
	}
	// A dry run the guards block exits 3, with the rule.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	feed := pagerduty.New(pagerduty.Config{APIURL: dw.w.PagerDutyURL, Token: dw.w.Token})
	if err := feed.Resolve(ctx, dw.incident.ID); err != nil {
		t.Fatal(err)
	}
	out, err = dw.run(t, "restart_service", nil, true, "", false, "")
	if code := exitCode(err); code != statusRefused || !strings.Contains(err.Error(), "incident_resolved") {
		t.Errorf("blocked dry run: exit %d, err %v (%T)\n%s", code, err, err, out)
	}
	if !strings.Contains(out, "BLOCKED incident_resolved") {
		t.Errorf("the blocked dry run's preview did not come through:\n%s", out)
	}
}

func TestDoorAsksTheShell(t *testing.T) {
	dw := startDoorWorld(t, false)
	// A wrong answer typed at the shell's terminal: refused.
	out, err := dw.run(t, "restart_service", nil, false, "", true, "payment\n")
	if !strings.Contains(out, `Type "payment-gateway" to run restart_service in prod: `) {
		t.Errorf("the prompt did not reach the shell:\n%s", out)
	}
	if code := exitCode(err); code != statusRefused || !strings.Contains(err.Error(), "confirmation refused") {
		t.Errorf("wrong answer: exit %d, err %v", code, err)
	}
	// The right one: it runs.
	out, err = dw.run(t, "restart_service", nil, false, "", true, "payment-gateway\n")
	if err != nil || !strings.Contains(out, "done: 3/3 pods ready") {
		t.Fatalf("right answer: %v\n%s", err, out)
	}
	if n := dw.restarts(t); n != 1 {
		t.Errorf("payment-gateway restarted %d times, want 1", n)
	}
}

// rawDoor connects to the door as any program could, and reads its
// greeting.
func rawDoor(t *testing.T, dw *doorWorld) (*net.UnixConn, *bufio.Scanner) {
	t.Helper()
	c, err := net.Dial("unix", dw.door.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	sc := newFrameScanner(c)
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	if !sc.Scan() {
		t.Fatalf("no greeting: %v", sc.Err())
	}
	var hello doorReply
	if err := json.Unmarshal(sc.Bytes(), &hello); err != nil || hello.Hello != "sitrep" || hello.V != doorVersion || hello.PID != os.Getpid() {
		t.Fatalf("greeting %q: %v", sc.Bytes(), err)
	}
	return c.(*net.UnixConn), sc
}

// lastFrame reads frames to the end and returns the exit frame.
func lastFrame(t *testing.T, sc *bufio.Scanner) doorReply {
	t.Helper()
	for sc.Scan() {
		var r doorReply
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("frame %q: %v", sc.Bytes(), err)
		}
		if r.Exit != nil {
			if sc.Scan() {
				t.Errorf("a frame after the exit frame: %q", sc.Bytes())
			}
			return r
		}
	}
	t.Fatalf("the connection ended without an exit frame: %v", sc.Err())
	return doorReply{}
}

func TestDoorRefusesBadFrames(t *testing.T) {
	dw := startDoorWorld(t, false)
	cases := []struct {
		name, send, want string
		code             int
	}{
		{"garbage", "GET / HTTP/1.1\n", "not a frame of the door protocol", statusUsage},
		{"unknown field", `{"v":1,"op":"run","shell":"rm -rf /"}` + "\n", "not a frame of the door protocol", statusUsage},
		{"other version", `{"v":2,"op":"run"}` + "\n", "door protocol version 2; this sitrep speaks version 1", statusUsage},
		{"unknown op", `{"v":1,"op":"exec"}` + "\n", `unknown op "exec"`, statusUsage},
		{"no incident", `{"v":1,"op":"run","action":"restart_service"}` + "\n", "a run needs an action and an incident", statusUsage},
		{"answer first", `{"v":1,"answer":"payment-gateway"}` + "\n", `unknown op ""`, statusUsage},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, sc := rawDoor(t, dw)
			if _, err := c.Write([]byte(tc.send)); err != nil {
				t.Fatal(err)
			}
			r := lastFrame(t, sc)
			if *r.Exit != tc.code || !strings.Contains(r.Error, tc.want) {
				t.Errorf("exit %d %q, want %d and %q", *r.Exit, r.Error, tc.code, tc.want)
			}
		})
	}

	t.Run("oversize", func(t *testing.T) {
		c, sc := rawDoor(t, dw)
		go func() {
			// The server stops reading at the limit; the rest may not
			// be written.
			_, _ = c.Write(bytes.Repeat([]byte("a"), 2*doorMaxFrame))
		}()
		r := lastFrame(t, sc)
		if *r.Exit != statusUsage || !strings.Contains(r.Error, "a frame over 1048576 bytes") {
			t.Errorf("exit %d %q", *r.Exit, r.Error)
		}
	})

	// After all of it the door still serves.
	out, err := dw.run(t, "restart_service", nil, true, "", false, "")
	if err != nil || !strings.Contains(out, "running through it") {
		t.Errorf("the door after bad frames: %v\n%s", err, out)
	}
}

func TestDoorClosesASilentConnection(t *testing.T) {
	// Set before the door serves, and put back after it has closed.
	old := doorIdle
	doorIdle = 300 * time.Millisecond
	t.Cleanup(func() { doorIdle = old })
	dw := startDoorWorld(t, false)
	_, sc := rawDoor(t, dw)
	r := lastFrame(t, sc)
	if *r.Exit != statusUsage || !strings.Contains(r.Error, "nothing received for 300ms") {
		t.Errorf("exit %d %q", *r.Exit, r.Error)
	}
}

func TestDoorPeerAndDirectory(t *testing.T) {
	if err := checkPeerUID(os.Getuid()+1, os.Getuid()); err == nil || !strings.Contains(err.Error(), "serves only its own user") {
		t.Errorf("another uid: %v", err)
	}
	if err := checkPeerUID(os.Getuid(), os.Getuid()); err != nil {
		t.Errorf("our own uid: %v", err)
	}

	// The kernel's answer on a real socket pair is this process.
	dir := t.TempDir()
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: filepath.Join(dir, "s"), Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("unix", filepath.Join(dir, "s"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := ln.AcceptUnix()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p, err := peerCred(s)
	if err != nil || p.uid != os.Getuid() || p.pid != os.Getpid() {
		t.Errorf("peerCred = %+v, %v; want uid %d pid %d", p, err, os.Getuid(), os.Getpid())
	}

	// The directory must be a directory of ours, 0700.
	open := filepath.Join(dir, "open")
	if err := os.Mkdir(open, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := checkDoorDir(open); err == nil || !strings.Contains(err.Error(), "mode 0755") {
		t.Errorf("a 0755 directory: %v", err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(open, link); err != nil {
		t.Fatal(err)
	}
	if err := checkDoorDir(link); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("a symbolic link: %v", err)
	}
	if err := os.Chmod(open, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := checkDoorDir(open); err != nil {
		t.Errorf("a 0700 directory of ours: %v", err)
	}
}

func TestDoorSocketLifecycle(t *testing.T) {
	dw := startDoorWorld(t, false)
	fi, err := os.Stat(dw.door.path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the socket: %v %v", fi.Mode(), err)
	}
	if !strings.HasPrefix(dw.door.path, filepath.Join(os.Getenv("XDG_RUNTIME_DIR"), "sitrep")+"/") {
		t.Errorf("the socket %s is not under $XDG_RUNTIME_DIR/sitrep", dw.door.path)
	}
	// A second holder of the same journal finds the door served.
	if _, err := openDoor(dw.env, true); !errors.Is(err, errDoorTaken) {
		t.Errorf("a second door: %v", err)
	}
	if n, _ := doorNotice(errDoorTaken, true)(context.Background()); n != "" {
		t.Errorf("a read-only cockpit beside the door gets a notice: %q", n)
	}

	// Closed, the socket is gone; a socket nobody listens on is replaced.
	dw.door.Close()
	if _, err := os.Lstat(dw.door.path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the socket outlived Close: %v", err)
	}
	stale, err := net.ListenUnix("unix", &net.UnixAddr{Name: dw.door.path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	stale.SetUnlinkOnClose(false)
	stale.Close()
	d, err := openDoor(dw.env, false)
	if err != nil {
		t.Fatalf("over a stale socket: %v", err)
	}
	d.Close()
}

func TestDoorReadOnlyRefuses(t *testing.T) {
	dw := startDoorWorld(t, true)
	out, err := dw.run(t, "restart_service", nil, true, "", false, "")
	if code := exitCode(err); code != statusRefused || !strings.Contains(err.Error(), "is read-only (--read-only)") {
		t.Errorf("a read-only holder: exit %d, err %v\n%s", code, err, out)
	}
	err = journalExportThroughDoor(context.Background(), dw.journal, dw.incident.ID, "stdout", 10)
	if err == nil || !strings.Contains(err.Error(), "the export is not journaled") || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("an export through a read-only holder: %v", err)
	}
}

func TestDoorJournalsAnExport(t *testing.T) {
	dw := startDoorWorld(t, false)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := journalExportThroughDoor(ctx, dw.journal, dw.incident.ID, "/tmp/pm.md", 1234); err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, e := range dw.entries(t) {
		if e.Kind != "export" {
			continue
		}
		var data struct {
			Path  string `json:"path"`
			Bytes int    `json:"bytes"`
		}
		if err := json.Unmarshal(e.Data, &data); err != nil {
			t.Fatal(err)
		}
		found = data.Path == "/tmp/pm.md" && data.Bytes == 1234 && strings.Contains(e.Summary, "from the shell, through the running sitrep")
		if !found {
			t.Errorf("export entry: %q %s", e.Summary, e.Data)
		}
	}
	if !found {
		t.Error("the export was not journaled by the holder")
	}
	// A journal whose holder serves no door: said so.
	err := journalExportThroughDoor(ctx, filepath.Join(t.TempDir(), "other.db"), dw.incident.ID, "stdout", 1)
	if err == nil || !strings.Contains(err.Error(), "serves no door") {
		t.Errorf("no door: %v", err)
	}
}

func TestDoorClientCancelCancelsTheRun(t *testing.T) {
	dw := startDoorWorld(t, false)
	dc, err := dialDoor(dw.journal)
	if err != nil || dc == nil {
		t.Fatalf("dial the door: %v", err)
	}
	defer dc.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- dc.do(ctx, doorRequest{Op: "run", Action: "hold", Incident: dw.incident.ID, Confirm: "payment-gateway"}, &out, strings.NewReader(""))
	}()
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(out.String(), "-- run --") {
		if time.Now().After(deadline) {
			t.Fatalf("the run did not start:\n%s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel() // Ctrl-C
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("the cancelled run did not end")
	}
	if code := exitCode(err); code != statusFailed {
		t.Errorf("cancelled run: exit %d, err %v\n%s", code, err, out.String())
	}
	var steps []string
	for _, e := range dw.entries(t) {
		steps = append(steps, e.Kind)
	}
	if k := strings.Join(steps, " "); !strings.Contains(k, "action.started") || !strings.Contains(k, "action.cancelled") {
		t.Errorf("the journal does not record the cancelled run: %s", k)
	}
}
