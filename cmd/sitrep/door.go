package main

// The door: the sitrep that holds the journal (the cockpit, or the demo)
// serves a private unix socket, and a `sitrep run` in another shell that
// finds it sends its run there. Every run then goes through one engine,
// one set of guards and rate limits, one outbox and one journal, whichever
// terminal it was typed in.
//
// The socket is $XDG_RUNTIME_DIR/sitrep/<16 hex of sha256(journal path)>.sock
// (without XDG_RUNTIME_DIR, $TMPDIR/sitrep-<uid>/…), in a directory that
// must be ours and 0700; the socket itself is 0600, and each connection's
// peer is checked with SO_PEERCRED: another user is refused.
//
// The protocol is one JSON object per line, each at most 1 MiB:
//
//	server: {"v":1,"hello":"sitrep","pid":N,"read_only":bool}     on accept
//	client: {"v":1,"op":"run","action":..,"incident":..,"params":{..},
//	         "dry_run":bool,"confirm":"..","interactive":bool}      within 30 s
//	server: {"out":"text"}             output, sanitized as the local run's
//	server: {"ask":"prompt"}           the client answers from its terminal:
//	client: {"v":1,"answer":"line"}
//	server: {"exit":code,"error":"message"}   the last frame; code as exit.go
//
// or, from `sitrep export`, {"v":1,"op":"export","incident":..,"path":..,
// "bytes":N}, answered by the exit frame once the export is journaled.
// The client closing its side (Ctrl-C) cancels the run: its process group
// is killed and the journal says cancelled, as in a local run; the exit
// frame still follows. Garbage, a frame over the limit, or no request in
// 30 s ends the connection with an exit frame that says so.

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"sitrep/actions"
	"sitrep/sources/sanitize"
	"sitrep/store/journal"
)

const (
	doorVersion = 1
	// doorMaxFrame bounds one line of the protocol.
	doorMaxFrame = 1 << 20
	// doorHelloWait bounds the client's wait for the server's greeting: a
	// suspended sitrep still accepts connections, and must not hang the
	// shell.
	doorHelloWait = 5 * time.Second
	// doorWriteWait bounds each frame the server writes: a shell that does
	// not read is taken as gone.
	doorWriteWait = 30 * time.Second
	// doorCancelWait is how long a cancelled client waits for the exit
	// frame that says how the run ended.
	doorCancelWait = 30 * time.Second
	// doorVia says, in the journal, where a run came from.
	doorVia = "from the shell, through the running sitrep"
)

// doorIdle is how long a connection may stay silent before its request.
var doorIdle = 30 * time.Second

// doorRequest is a frame from the client: a request, or an answer.
type doorRequest struct {
	V           int               `json:"v"`
	Op          string            `json:"op,omitempty"`
	Action      string            `json:"action,omitempty"`
	Incident    string            `json:"incident,omitempty"`
	Params      map[string]string `json:"params,omitempty"`
	DryRun      bool              `json:"dry_run,omitempty"`
	Confirm     string            `json:"confirm,omitempty"`
	Interactive bool              `json:"interactive,omitempty"`
	Answer      *string           `json:"answer,omitempty"`
	// Path and Bytes are an export's: where it was written, and its size.
	Path  string `json:"path,omitempty"`
	Bytes int    `json:"bytes,omitempty"`
}

// doorReply is a frame from the server.
type doorReply struct {
	V        int     `json:"v,omitempty"`
	Hello    string  `json:"hello,omitempty"`
	PID      int     `json:"pid,omitempty"`
	ReadOnly bool    `json:"read_only,omitempty"`
	Out      string  `json:"out,omitempty"`
	Ask      *string `json:"ask,omitempty"`
	Exit     *int    `json:"exit,omitempty"`
	Error    string  `json:"error,omitempty"`
}

// doorPath is the socket of the journal at journalPath.
func doorPath(journalPath string) (string, error) {
	abs, err := filepath.Abs(journalPath)
	if err != nil {
		return "", fmt.Errorf("the door of %s: %w", journalPath, err)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(doorDir(), hex.EncodeToString(sum[:])[:16]+".sock"), nil
}

// doorDir is where the doors live: $XDG_RUNTIME_DIR/sitrep, or a directory
// of our own in the temporary directory.
func doorDir() string {
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "sitrep")
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("sitrep-%d", os.Getuid()))
}

// checkDoorDir refuses a directory that someone else could enter: it must
// be a real directory, ours, and 0700.
func checkDoorDir(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory (a symbolic link or a file?); remove it and start sitrep again", dir)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Getuid() {
		return fmt.Errorf("%s belongs to uid %d, not to you (uid %d): another user could answer for sitrep; remove it", dir, st.Uid, os.Getuid())
	}
	if perm := fi.Mode().Perm(); perm != 0o700 {
		return fmt.Errorf("%s has mode %04o: others could reach the door; chmod 700 %s", dir, perm, dir)
	}
	return nil
}

// checkPeerUID refuses a connection from another user.
func checkPeerUID(peer, self int) error {
	if peer != self {
		return fmt.Errorf("refused: the connection comes from uid %d, and this sitrep serves only its own user (uid %d)", peer, self)
	}
	return nil
}

// errDoorTaken means another live sitrep serves the journal's door.
var errDoorTaken = errors.New("another sitrep serves this journal's door")

// door is the server side: the listener of the sitrep that holds the
// journal, and the runs it is serving.
type door struct {
	path     string
	ln       *net.UnixListener
	env      *environment
	readOnly bool

	ctx    context.Context // cancelled by Close: every run through the door
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// openDoor starts serving the journal's door for env. readOnly answers
// every run with a refusal. The caller shows the error: the cockpit works
// without a door, and a shell then finds the journal held.
func openDoor(env *environment, readOnly bool) (*door, error) {
	if !peerCredSupported {
		return nil, errors.New("no door for other shells on this system: sitrep cannot check who connects")
	}
	path, err := doorPath(env.journal.Path())
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("the door's directory: %w", err)
	}
	if err := checkDoorDir(dir); err != nil {
		return nil, fmt.Errorf("no door for other shells: %w", err)
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("no door for other shells: %s is not a socket; remove it", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("%w (%s)", errDoorTaken, path)
		}
		// Nobody listens: a sitrep that died left it.
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("remove the stale door %s: %w", path, err)
		}
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("open the door %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("open the door %s: %w", path, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &door{path: path, ln: ln, env: env, readOnly: readOnly, ctx: ctx, cancel: cancel}
	d.wg.Add(1)
	go d.accept()
	return d, nil
}

// Close stops accepting, cancels the runs in flight, waits for them to be
// journaled, and removes the socket. Call it before the environment closes.
func (d *door) Close() {
	d.cancel()
	d.ln.Close() // removes the socket file
	d.wg.Wait()
}

func (d *door) accept() {
	defer d.wg.Done()
	for {
		c, err := d.ln.AcceptUnix()
		if err != nil {
			if d.ctx.Err() != nil {
				return
			}
			// EMFILE and the like: wait, rather than spin.
			select {
			case <-d.ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			defer c.Close()
			d.serve(c)
		}()
	}
}

// frameWriter writes replies, one at a time, each under a deadline.
type frameWriter struct {
	mu     sync.Mutex
	conn   *net.UnixConn
	failed bool
	onFail func()
}

func (f *frameWriter) send(r doorReply) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failed {
		return errors.New("the shell is gone")
	}
	_ = f.conn.SetWriteDeadline(time.Now().Add(doorWriteWait))
	if _, err := f.conn.Write(b); err != nil {
		f.failed = true
		if f.onFail != nil {
			f.onFail()
		}
		return err
	}
	return nil
}

func (f *frameWriter) exit(code int, err error) {
	r := doorReply{Exit: &code}
	if err != nil {
		r.Error = err.Error()
	}
	_ = f.send(r)
}

// Write sends output as an out frame. It never fails the run: a shell
// that went away cancels it instead (onFail).
func (f *frameWriter) Write(p []byte) (int, error) {
	_ = f.send(doorReply{Out: string(p)})
	return len(p), nil
}

// newFrameScanner reads lines of at most doorMaxFrame bytes.
func newFrameScanner(r io.Reader) *bufio.Scanner {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), doorMaxFrame+1)
	return sc
}

// readRequest reads one client frame; the error says what was wrong with
// it, for the exit frame.
func readRequest(sc *bufio.Scanner) (doorRequest, error) {
	var req doorRequest
	if !sc.Scan() {
		err := sc.Err()
		var ne net.Error
		switch {
		case errors.Is(err, bufio.ErrTooLong):
			return req, fmt.Errorf("a frame over %d bytes: each frame is one JSON object on one line of at most 1 MiB", doorMaxFrame)
		case errors.As(err, &ne) && ne.Timeout():
			return req, fmt.Errorf("nothing received for %s: send the request first", doorIdle)
		case err == nil:
			return req, io.EOF
		}
		return req, err
	}
	line := sc.Bytes()
	if len(line) > doorMaxFrame {
		return req, fmt.Errorf("a frame over %d bytes: each frame is one JSON object on one line of at most 1 MiB", doorMaxFrame)
	}
	dec := json.NewDecoder(strings.NewReader(string(line)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, fmt.Errorf("not a frame of the door protocol (one JSON object per line): %v", err)
	}
	if req.V != doorVersion {
		return req, fmt.Errorf("door protocol version %d; this sitrep speaks version %d: use the same sitrep in both shells", req.V, doorVersion)
	}
	return req, nil
}

// serve answers one connection.
func (d *door) serve(c *net.UnixConn) {
	fw := &frameWriter{conn: c}
	cred, err := peerCred(c)
	if err == nil {
		err = checkPeerUID(cred.uid, os.Getuid())
	}
	if err != nil {
		fw.exit(statusRefused, err)
		return
	}
	if fw.send(doorReply{V: doorVersion, Hello: "sitrep", PID: os.Getpid(), ReadOnly: d.readOnly}) != nil {
		return
	}
	sc := newFrameScanner(c)
	_ = c.SetReadDeadline(time.Now().Add(doorIdle))
	req, err := readRequest(sc)
	if errors.Is(err, io.EOF) {
		return // it only looked
	}
	if err != nil {
		fw.exit(statusUsage, err)
		return
	}
	_ = c.SetReadDeadline(time.Time{})
	switch req.Op {
	case "run":
		d.run(c, fw, sc, req, cred.pid)
	case "export":
		err := d.export(req)
		fw.exit(exitCode(err), err)
	default:
		fw.exit(statusUsage, fmt.Errorf("unknown op %q: this sitrep serves run and export", req.Op))
	}
}

// run serves one `sitrep run` through runPlan, as a local run would.
func (d *door) run(c *net.UnixConn, fw *frameWriter, sc *bufio.Scanner, req doorRequest, clientPID int) {
	if d.readOnly {
		fw.exit(statusRefused, fmt.Errorf("the running sitrep (pid %d) is read-only (--read-only): it runs nothing, and the journal is held; quit it, or run this in the cockpit that writes", os.Getpid()))
		return
	}
	if req.Action == "" || req.Incident == "" {
		fw.exit(statusUsage, errors.New("a run needs an action and an incident"))
		return
	}
	ctx, cancel := context.WithCancel(d.ctx)
	defer cancel()
	fw.onFail = cancel

	// The client's frames after the request are answers; its closing
	// (Ctrl-C) or garbage cancels the run.
	answers := make(chan string, 1)
	var protoErr error
	var protoMu sync.Mutex
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		defer cancel()
		for {
			f, err := readRequest(sc)
			if err == nil && f.Answer == nil {
				err = errors.New("only an answer may follow the request")
			}
			if err == nil {
				select {
				case answers <- *f.Answer:
					continue
				default:
					err = errors.New("an answer nobody asked for")
				}
			}
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				protoMu.Lock()
				protoErr = err
				protoMu.Unlock()
			}
			return
		}
	}()
	ask := func(prompt string) (string, error) {
		if err := fw.send(doorReply{Ask: &prompt}); err != nil {
			return "", err
		}
		select {
		case a := <-answers:
			return a, nil
		case <-ctx.Done():
			return "", errors.New("the shell went away before answering")
		}
	}
	rem := d.env.remediation.throughDoor(ctx, d.env, req.DryRun, clientPID)
	err := runPlan(ctx, d.env, rem, fw, ask, runRequest{
		action: req.Action, incident: req.Incident, params: req.Params,
		dryRun: req.DryRun, confirm: req.Confirm, interactive: req.Interactive,
	})
	protoMu.Lock()
	if protoErr != nil {
		err = fmt.Errorf("the run was cancelled: the shell sent %v", protoErr)
	}
	protoMu.Unlock()
	fw.exit(exitCode(err), err)
	_ = c.CloseWrite()
	c.Close()
	<-readDone
}

// export journals an export that `sitrep export` wrote from a read-only
// view of the journal this sitrep holds.
func (d *door) export(req doorRequest) error {
	if d.readOnly {
		return refusedError(errors.New("the running sitrep is read-only (--read-only): the export is not journaled"))
	}
	if req.Incident == "" || len(req.Incident) > journal.MaxIncident || req.Path == "" || len(req.Path) > 4096 || req.Bytes < 0 {
		return usageError(errors.New("an export needs an incident, the path it was written to, and its size"))
	}
	where := sanitize.Line(req.Path)
	data, _ := json.Marshal(map[string]any{"path": where, "bytes": req.Bytes, "via": "shell"})
	ctx, cancel := context.WithTimeout(d.ctx, 10*time.Second)
	defer cancel()
	return d.env.recorder.Record(ctx, journal.Entry{Incident: req.Incident, Kind: "export", Summary: "exported the post-mortem draft to " + where + ", " + doorVia, Data: data})
}

// throughDoor is the remediation for one run through the door: the same
// engine, catalogue, guards, rate limits and journal as the cockpit's,
// whose first journaled step is preceded by an entry that says the run
// came from the shell.
func (r *remediation) throughDoor(ctx context.Context, env *environment, dryRun bool, clientPID int) *remediation {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.feed != nil && r.engine.User == "" {
		// As Prepare does: the engine's own journaling names the token's
		// owner, and it is the engine this copy journals through.
		if me, err := r.feed.Me(ctx); err == nil {
			r.engine.User = me.Name
		}
	}
	eng := *r.engine
	if record := eng.Record; record != nil {
		var once sync.Once
		eng.Record = func(rec actions.Record) {
			once.Do(func() {
				what := "run"
				if dryRun {
					what = "dry run"
				}
				data, _ := json.Marshal(map[string]any{"via": "shell", "run_id": rec.RunID, "action": rec.Action, "dry_run": dryRun, "pid": clientPID})
				rctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				// Like the steps' own entries, a failed write does not stop
				// the run.
				_ = env.recorder.Record(rctx, journal.Entry{Incident: rec.Incident, Kind: "shell.run",
					Summary: fmt.Sprintf("%s: %s %s on %s (%s)", doorVia, rec.Action, what, rec.Target, rec.Env), Data: data})
			})
			record(rec)
		}
	}
	return &remediation{engine: &eng, cfg: r.cfg, prom: r.prom, feed: r.feed}
}

// doorClient is a connection to the running sitrep's door.
type doorClient struct {
	conn *net.UnixConn
	sc   *bufio.Scanner
	pid  int // the server's, from the kernel
}

// dialDoor connects to the door of the journal at journalPath. It returns
// nil and no error when no sitrep answers there; an error is worth telling
// (a door that is not safe, a sitrep of another protocol version).
func dialDoor(journalPath string) (*doorClient, error) {
	path, err := doorPath(journalPath)
	if err != nil {
		return nil, err
	}
	if _, err := os.Lstat(path); err != nil {
		return nil, nil
	}
	if err := checkDoorDir(filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("not using the running sitrep's door: %w", err)
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	if err != nil {
		return nil, nil // stale: nobody listens
	}
	conn := c.(*net.UnixConn)
	cred, err := peerCred(conn)
	if err == nil {
		err = checkPeerUID(cred.uid, os.Getuid())
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("not using the door %s: %w", path, err)
	}
	dc := &doorClient{conn: conn, sc: newFrameScanner(conn), pid: cred.pid}
	_ = conn.SetReadDeadline(time.Now().Add(doorHelloWait))
	var hello doorReply
	if !dc.sc.Scan() || json.Unmarshal(dc.sc.Bytes(), &hello) != nil || hello.Hello != "sitrep" {
		conn.Close()
		return nil, fmt.Errorf("the sitrep (pid %d) that holds the journal does not answer at its door (is it suspended?)", cred.pid)
	}
	if hello.V != doorVersion {
		conn.Close()
		return nil, fmt.Errorf("the sitrep (pid %d) that holds the journal speaks door protocol version %d, this one %d: use the same sitrep in both shells", cred.pid, hello.V, doorVersion)
	}
	_ = conn.SetReadDeadline(time.Time{})
	return dc, nil
}

func (dc *doorClient) Close() error { return dc.conn.Close() }

func (dc *doorClient) send(r doorRequest) error {
	r.V = doorVersion
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_ = dc.conn.SetWriteDeadline(time.Now().Add(doorWriteWait))
	_, err = dc.conn.Write(append(b, '\n'))
	return err
}

// do sends a request and plays the server's frames: output to w, prompts
// answered from stdin, until the exit frame, which becomes the error (with
// its exit status) that the same run would have returned locally.
// Cancelling ctx (Ctrl-C) closes this side; the server cancels the run and
// still says how it ended.
func (dc *doorClient) do(ctx context.Context, req doorRequest, w io.Writer, stdin io.Reader) error {
	if err := dc.send(req); err != nil {
		return fmt.Errorf("send the request to the running sitrep (pid %d): %w", dc.pid, err)
	}
	stop := context.AfterFunc(ctx, func() {
		_ = dc.conn.CloseWrite()
		_ = dc.conn.SetReadDeadline(time.Now().Add(doorCancelWait))
	})
	defer stop()
	var in *bufio.Reader
	for dc.sc.Scan() {
		var r doorReply
		if err := json.Unmarshal(dc.sc.Bytes(), &r); err != nil {
			return fmt.Errorf("the running sitrep (pid %d) sent a malformed frame: %v", dc.pid, err)
		}
		switch {
		case r.Exit != nil:
			if *r.Exit == statusOK {
				return nil
			}
			return &exitError{code: *r.Exit, err: errors.New(sanitize.Text(r.Error))}
		case r.Ask != nil:
			fmt.Fprint(w, sanitize.Text(*r.Ask))
			if in == nil {
				in = bufio.NewReader(stdin)
			}
			answer, ok := readAnswer(ctx, in)
			if !ok {
				fmt.Fprintln(w) // off the prompt's line; the server hears the close
				continue
			}
			if err := dc.send(doorRequest{Answer: &answer}); err != nil {
				return fmt.Errorf("answer the running sitrep (pid %d): %w", dc.pid, err)
			}
		default:
			fmt.Fprint(w, sanitize.Text(r.Out))
		}
	}
	if ctx.Err() != nil {
		return failedError(fmt.Errorf("cancelled; the running sitrep (pid %d) did not say how the run ended: see sitrep journal show", dc.pid))
	}
	err := dc.sc.Err()
	if err == nil {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("the running sitrep (pid %d) closed the connection before the run ended (%v): see sitrep journal show for what it journaled", dc.pid, err)
}

// readAnswer reads a line from the terminal, or gives up when ctx ends.
func readAnswer(ctx context.Context, in *bufio.Reader) (string, bool) {
	got := make(chan string, 1)
	go func() {
		line, _ := in.ReadString('\n')
		got <- line
	}()
	select {
	case line := <-got:
		return line, true
	case <-ctx.Done():
		return "", false
	}
}

// runThroughDoor sends the run to the sitrep that holds the journal, when
// one answers at its door. ran is false when the run is this process's to
// do. A --read-only run needs no lock and runs here.
func runThroughDoor(ctx context.Context, cmd *cobra.Command, g *globalFlags, req runRequest, stdin io.Reader) (ran bool, err error) {
	if g.readOnly {
		return false, nil
	}
	path, err := g.journalPath()
	if err != nil {
		return false, nil // the local path says it
	}
	dc, err := dialDoor(path)
	if err != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "sitrep: %v\n", err)
		return false, nil
	}
	if dc == nil {
		return false, nil
	}
	defer dc.Close()
	fmt.Fprintf(cmd.ErrOrStderr(), "sitrep: the journal is held by the running sitrep (pid %d); running through it\n", dc.pid)
	return true, dc.do(ctx, doorRequest{Op: "run", Action: req.action, Incident: req.incident, Params: req.params,
		DryRun: req.dryRun, Confirm: req.confirm, Interactive: req.interactive}, cmd.OutOrStdout(), stdin)
}

// journalExportThroughDoor asks the sitrep that holds the journal to
// journal an export written from a read-only view of it. It says why when
// it cannot: the export is then not journaled.
func journalExportThroughDoor(ctx context.Context, journalPath, incident, where string, size int) error {
	dc, err := dialDoor(journalPath)
	if err != nil {
		return fmt.Errorf("the export is not journaled: %w", err)
	}
	if dc == nil {
		return errors.New("the export is not journaled: the journal is held by a sitrep that serves no door")
	}
	defer dc.Close()
	if err := dc.do(ctx, doorRequest{Op: "export", Incident: incident, Path: where, Bytes: size}, io.Discard, strings.NewReader("")); err != nil {
		return fmt.Errorf("the export is not journaled: %w", err)
	}
	return nil
}

// doorNotice turns the door's failure to open into the cockpit's start-up
// notice. A read-only cockpit beside the writer's door says nothing.
func doorNotice(err error, readOnly bool) func(context.Context) (string, error) {
	return func(context.Context) (string, error) {
		if err == nil || readOnly && errors.Is(err, errDoorTaken) {
			return "", nil
		}
		return "sitrep run in another shell cannot reach this sitrep: " + err.Error(), nil
	}
}
