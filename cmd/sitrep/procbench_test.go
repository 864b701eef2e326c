package main

// The process benchmarks measure the budgets DESIGN.md sets for the whole
// process, on the real binary in a pseudo-terminal: start to the list on
// screen from the cache, resident memory with 10,000 incidents, bytes
// written to the terminal per keystroke, idle CPU, and PagerDuty requests
// per settled look. Start-up is reported beside `sitrep --help` timed in
// the same run, so its ratio holds on any machine; the other figures are
// absolute (MB, bytes, % of a core, requests), and the ns/op Go prints for
// those is only how long the benchmark ran. They sit beside the command
// they build and drive, and share the end-to-end tests' build of it; `go
// test` without -bench only compiles them.

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"sitrep/sources/demo/pdemulator"
	"sitrep/sources/pagerduty"
	"sitrep/store/journal"
)

const (
	benchCols, benchRows = 120, 40
	benchToken           = "bench-token"
	// benchMarker is in every benchmark incident's title and nowhere else
	// on screen, so seeing it means the list's rows are drawn.
	benchMarker = "bench incident"
	// minSamples is the fewest timed starts behind a median, whatever
	// -benchtime allows.
	minSamples = 5
)

// BenchmarkProcessFirstFrameFromCache is exec to the first output that
// holds the list's rows, from a journal whose cache holds 1,000 or 10,000
// incidents, with PagerDuty refusing connections. ns/op is the median
// start; help-ns/op the median `sitrep --help` (exec to exit) in the same
// run, alternating with it; x-help their ratio. Budget: 1.3× --help.
// first-byte-ns/op, exec to the first byte on the terminal, splits the
// start: before it, package initialisation and everything done before the
// terminal is taken (config, journal, the cache's decode); after it, the
// program's start and the first frame.
func BenchmarkProcessFirstFrameFromCache(b *testing.B) {
	needPTY(b)
	bin := buildSitrep(b)
	for _, n := range []int{1000, 10_000} {
		b.Run(fmt.Sprintf("incidents=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			env := benchEnv(b, dir)
			jpath := filepath.Join(dir, "journal.db")
			fillCache(b, jpath, n)
			argv := []string{bin, "--journal", jpath, "--scope", "all", "--api-url", refusingURL(b)}
			var frames, helps, firsts []time.Duration
			sample := func() {
				helps = append(helps, timeHelp(b, bin, env))
				p := startPTY(b, env, argv...)
				at, err := p.waitText(0, 60*time.Second, rowsDrawn)
				if err != nil {
					b.Fatalf("%v; the terminal shows:\n%s", err, p.text(0))
				}
				frames = append(frames, at.Sub(p.began))
				firsts = append(firsts, p.firstByte())
				p.stop()
			}
			for b.Loop() {
				sample()
			}
			for len(frames) < minSamples {
				sample()
			}
			frame, help := median(frames), median(helps)
			b.ReportMetric(float64(frame.Nanoseconds()), "ns/op")
			b.ReportMetric(float64(help.Nanoseconds()), "help-ns/op")
			b.ReportMetric(float64(frame)/float64(help), "x-help")
			b.ReportMetric(float64(median(firsts).Nanoseconds()), "first-byte-ns/op")
			b.Logf("%d starts: list on screen %v (median; fastest %v), --help %v (median; fastest %v)",
				len(frames), frame, slices.Min(frames), help, slices.Min(helps))
		})
	}
}

// BenchmarkProcessRSS10kIncidents loads 10,000 incidents from the emulator
// into a fresh journal and reads VmRSS and VmHWM from /proc/PID/status:
// loaded once the first load is done (every page served and the process
// quiet), peak (VmHWM) then, and steady 10 s after the next refresh (the
// default interval, 30 s) has gone quiet, halfway to the one after it. MB
// are 10^6 bytes, as in the budgets: peak under 80 MB, steady under 60 MB. There is no --help figure beside these: a
// child's peak RSS from wait4 counts the parent's at exec, and --help is
// gone before /proc can be read.
func BenchmarkProcessRSS10kIncidents(b *testing.B) {
	needPTY(b)
	bin := buildSitrep(b)
	w := newBenchWorld(b, 10_000)
	var loaded, peak, steady, steadyPeak float64
	var took time.Duration
	for b.Loop() {
		dir := b.TempDir()
		env := benchEnv(b, dir)
		w.srv.ResetRequests()
		p := startPTY(b, env, w.argv(bin, dir)...)
		took = w.waitPages(b, p, w.pages())
		st := procStatus(b, p.pid())
		loaded, peak = st["VmRSS"], st["VmHWM"]
		w.waitPages(b, p, 2*w.pages())
		time.Sleep(10 * time.Second)
		st = procStatus(b, p.pid())
		steady, steadyPeak = st["VmRSS"], st["VmHWM"]
		p.stop()
	}
	b.ReportMetric(loaded, "loaded-RSS-MB")
	b.ReportMetric(peak, "peak-RSS-MB")
	b.ReportMetric(steady, "steady-RSS-MB")
	b.ReportMetric(steadyPeak, "peak-after-refresh-MB")
	b.ReportMetric(took.Seconds(), "load-s")
}

// BenchmarkProcessKeystroke is the bytes written to a 120×40 terminal per
// j, over 1,000 incidents from the emulator: from the key until the output
// has been quiet for 400 ms, so it includes the detail drawn when the
// cursor settles. Each key is sent just after the once-a-second clock has
// redrawn "updated Ns ago", so the clock's bytes stay out of it;
// clock-B/s is what the clock itself costs. Budget: under 1 KB.
func BenchmarkProcessKeystroke(b *testing.B) {
	needPTY(b)
	bin := buildSitrep(b)
	w := newBenchWorld(b, 1000)
	dir := b.TempDir()
	env := benchEnv(b, dir)
	p := startPTY(b, env, w.argv(bin, dir)...)
	w.waitLoaded(b, p)

	// The clock alone, over a few quiet seconds.
	p.waitQuiet(b, 400*time.Millisecond, 30*time.Second)
	mark, from := p.size(), time.Now()
	time.Sleep(3 * time.Second)
	clock := float64(p.size()-mark) / time.Since(from).Seconds()

	var sizes []int
	key := func() {
		p.afterClockTick(b)
		mark := p.size()
		p.send(b, "j")
		p.waitQuiet(b, 400*time.Millisecond, 30*time.Second)
		sizes = append(sizes, p.size()-mark)
	}
	for b.Loop() {
		key()
	}
	for len(sizes) < minSamples {
		key()
	}
	slices.Sort(sizes)
	b.ReportMetric(float64(sizes[len(sizes)/2]), "term-B/key")
	b.ReportMetric(float64(slices.Max(sizes)), "max-term-B/key")
	b.ReportMetric(clock, "clock-B/s")
}

// BenchmarkProcessIdle is the CPU an idle cockpit uses (1,000 incidents
// listed from the emulator, the cursor settled, nothing typed) over the
// idle window (SITREP_BENCH_IDLE, 10 s by default; the figure is
// over 30 s), as % of one core, and its wake-ups a second (voluntary
// context switches of all its threads). Budget: under 0.3 % of a core.
// The window includes whatever refresh falls due in it.
func BenchmarkProcessIdle(b *testing.B) {
	needPTY(b)
	bin := buildSitrep(b)
	w := newBenchWorld(b, 1000)
	window := benchIdle(b)
	var cpu, wakeups float64
	for b.Loop() {
		dir := b.TempDir()
		env := benchEnv(b, dir)
		p := startPTY(b, env, w.argv(bin, dir)...)
		w.waitLoaded(b, p)
		p.waitQuiet(b, time.Second, 30*time.Second)
		pid := p.pid()
		cpu0, sw0, t0 := cpuTime(b, pid), switches(b, pid), time.Now()
		time.Sleep(window)
		cpu1, sw1, elapsed := cpuTime(b, pid), switches(b, pid), time.Since(t0)
		cpu = 100 * float64(cpu1-cpu0) / float64(elapsed)
		wakeups = float64(sw1-sw0) / elapsed.Seconds()
		p.stop()
	}
	b.ReportMetric(cpu, "idle-%core")
	b.ReportMetric(wakeups, "wakeups/s")
}

// BenchmarkProcessRequestsPerLook counts the requests the emulator receives
// once the cursor settles on an incident (j, then no request for 1.5 s),
// not counting the list refresh. first-req/look is the first look, whose
// answers fill any cache; req/look the median of those after it. Budget:
// at most 4.
func BenchmarkProcessRequestsPerLook(b *testing.B) {
	needPTY(b)
	bin := buildSitrep(b)
	w := newBenchWorld(b, 1000)
	dir := b.TempDir()
	env := benchEnv(b, dir)
	p := startPTY(b, env, w.argv(bin, dir)...)
	w.waitLoaded(b, p)
	p.waitQuiet(b, time.Second, 30*time.Second)

	var looks []int
	look := func() {
		w.srv.ResetRequests()
		p.send(b, "j")
		w.waitSettled(b, p)
		reqs := lookRequests(w.srv.Requests())
		looks = append(looks, len(reqs))
		var paths []string
		for _, r := range reqs {
			paths = append(paths, r.Method+" "+r.Path)
		}
		b.Logf("look %d asked for %d: %s", len(looks), len(reqs), strings.Join(paths, ", "))
	}
	for b.Loop() {
		look()
	}
	for len(looks) < minSamples+1 {
		look()
	}
	later := slices.Clone(looks[1:])
	slices.Sort(later)
	b.ReportMetric(float64(looks[0]), "first-req/look")
	b.ReportMetric(float64(later[len(later)/2]), "req/look")
}

// lookRequests drops the list refreshes, which are not part of a look.
func lookRequests(all []pdemulator.Request) []pdemulator.Request {
	var out []pdemulator.Request
	for _, r := range all {
		if r.Path != "/incidents" {
			out = append(out, r)
		}
	}
	return out
}

// rowsDrawn holds once several list rows are on the terminal.
func rowsDrawn(text string) bool { return strings.Count(text, benchMarker) >= 5 }

// benchIdle is the idle window: SITREP_BENCH_IDLE, or 10 s.
func benchIdle(b *testing.B) time.Duration {
	v := os.Getenv("SITREP_BENCH_IDLE")
	if v == "" {
		return 10 * time.Second
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		b.Fatalf("SITREP_BENCH_IDLE=%q: want a duration such as 30s", v)
	}
	return d
}

// benchEnv is a clean environment in dir: its own HOME, XDG directories
// and door, a token, and a terminal that claims colour.
func benchEnv(b *testing.B, dir string) []string {
	run := filepath.Join(dir, "run")
	if err := os.MkdirAll(run, 0o700); err != nil {
		b.Fatal(err)
	}
	env, _ := demoEnv(dir)
	return append(env, "PATH="+os.Getenv("PATH"), "TERM=xterm-256color", "LANG=C.UTF-8",
		"XDG_RUNTIME_DIR="+run, "PAGERDUTY_TOKEN="+benchToken)
}

// refusingURL is a loopback address nobody listens on: the network gone,
// answered at once by a refused connection.
func refusingURL(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// fillCache writes n incidents into the journal's cache for the "all"
// scope, shaped as the feed saves them.
func fillCache(b *testing.B, path string, n int) {
	j, err := journal.Open(path, journal.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	services := []string{"checkout-api", "payment-gateway", "edge-proxy", "checkout-db", "search"}
	now := time.Now().UTC()
	list := make([]pagerduty.Incident, n)
	for i := range list {
		svc := services[i%len(services)]
		at := now.Add(-time.Duration(i) * time.Minute)
		list[i] = pagerduty.Incident{
			ID: fmt.Sprintf("Q%06d", i+1), Number: uint(n - i), Title: fmt.Sprintf("%s %05d on %s", benchMarker, n-i, svc),
			Status: "triggered", Urgency: []string{"high", "low"}[i%2], Priority: "P2",
			Service:          pagerduty.Ref{ID: fmt.Sprintf("S%06d", i%len(services)+1), Name: svc},
			Teams:            []pagerduty.Ref{{ID: "T000001", Name: "Payments"}},
			Assignees:        []pagerduty.Ref{{ID: "P000001", Name: "Alice Chen"}},
			EscalationPolicy: pagerduty.Ref{ID: fmt.Sprintf("E%06d", i%len(services)+1), Name: svc + " policy"},
			CreatedAt:        at, LastChangeAt: at,
			HTMLURL:     fmt.Sprintf("https://example.pagerduty.com/incidents/Q%06d", i+1),
			AlertCounts: pagerduty.Counts{All: 1, Triggered: 1},
		}
	}
	if err := j.SaveIncidents(pagerduty.ScopeAll.String(), now, list); err != nil {
		b.Fatal(err)
	}
}

// benchWorld is the emulator with n triggered incidents over five
// services, each with an on-call and a recent deploy.
type benchWorld struct {
	srv *pdemulator.Server
	url string
	n   int
}

func newBenchWorld(b *testing.B, n int) *benchWorld {
	srv := pdemulator.New(pdemulator.Options{Token: benchToken})
	url, err := srv.Start()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	must := func(id string, err error) string {
		if err != nil {
			b.Fatalf("building the world: %v", err)
		}
		return id
	}
	team := must(srv.AddTeam(pdemulator.Team{Name: "Payments"}))
	alice := must(srv.AddUser(pdemulator.User{Name: "Alice Chen", Email: "alice@example.com", TeamIDs: []string{team}}))
	if err := srv.SetCurrentUser(alice); err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	var services []string
	for _, name := range []string{"checkout-api", "payment-gateway", "edge-proxy", "checkout-db", "search"} {
		ep := must(srv.AddEscalationPolicy(pdemulator.EscalationPolicy{Name: name + " policy", TeamIDs: []string{team},
			Levels: []pdemulator.EscalationLevel{{UserIDs: []string{alice}}}}))
		if err := srv.AddOnCall(pdemulator.OnCall{UserID: alice, EscalationPolicyID: ep, Level: 1}); err != nil {
			b.Fatal(err)
		}
		sv := must(srv.AddService(pdemulator.Service{Name: name, EscalationPolicyID: ep, TeamIDs: []string{team}}))
		must(srv.AddChangeEvent(pdemulator.ChangeEvent{ServiceID: sv, Summary: "deploy " + name + " v42", Source: "ci", Timestamp: now.Add(-time.Duration(n+30) * time.Minute)}))
		services = append(services, sv)
	}
	for i := range n {
		_, err := srv.Trigger(pdemulator.TriggerOptions{ServiceID: services[i%len(services)], At: now.Add(-time.Duration(n-i) * time.Minute),
			Title: fmt.Sprintf("%s %05d", benchMarker, i+1), Urgency: []string{"high", "low"}[i%2]})
		if err != nil {
			b.Fatal(err)
		}
	}
	return &benchWorld{srv: srv, url: url, n: n}
}

// argv is the cockpit on every incident of the world, with a fresh journal
// in dir.
func (w *benchWorld) argv(bin, dir string) []string {
	return []string{bin, "--journal", filepath.Join(dir, "journal.db"), "--scope", "all", "--api-url", w.url}
}

// pages is how many list pages one full load of the world takes.
func (w *benchWorld) pages() int { return (w.n + 99) / 100 }

// waitLoaded waits for the first load: see waitPages.
func (w *benchWorld) waitLoaded(b *testing.B, p *ptyProc) time.Duration {
	return w.waitPages(b, p, w.pages())
}

// waitPages waits until the emulator has served want pages of the list
// since its requests were last reset, and the process has then gone quiet
// (under 2 % of a core for a second): the load, its journaling and the
// detail it fetched are done. It returns the time from exec to the quiet.
func (w *benchWorld) waitPages(b *testing.B, p *ptyProc, want int) time.Duration {
	deadline := time.Now().Add(3 * time.Minute)
	for {
		served := 0
		for _, r := range w.srv.Requests() {
			if r.Path == "/incidents" && r.Status == 200 {
				served++
			}
		}
		if served >= want {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("the emulator served %d of %d pages of the list in 3 minutes; the terminal shows:\n%s", served, want, p.tail())
		}
		time.Sleep(100 * time.Millisecond)
	}
	pid := p.pid()
	for last := cpuTime(b, pid); ; {
		time.Sleep(time.Second)
		now := cpuTime(b, pid)
		if now-last < 20*time.Millisecond {
			break
		}
		last = now
		if time.Now().After(deadline) {
			b.Fatalf("sitrep never went quiet after loading %d incidents", w.n)
		}
	}
	return time.Since(p.began) - time.Second
}

// waitSettled waits until the emulator has received nothing for 1.5 s
// and the terminal is quiet (beyond the clock, which redraws each second).
func (w *benchWorld) waitSettled(b *testing.B, p *ptyProc) {
	deadline := time.Now().Add(time.Minute)
	for {
		p.waitQuiet(b, 400*time.Millisecond, time.Minute)
		n := len(w.srv.Requests())
		time.Sleep(1500 * time.Millisecond)
		if len(w.srv.Requests()) == n {
			return
		}
		if time.Now().After(deadline) {
			b.Fatal("the look never settled: requests kept coming for a minute")
		}
	}
}

// timeHelp is exec to exit of `sitrep --help` in a pty.
func timeHelp(b *testing.B, bin string, env []string) time.Duration {
	p := startPTY(b, env, bin, "--help")
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		b.Fatalf("sitrep --help still running after 30 s; the terminal shows:\n%s", p.tail())
	}
	<-p.eof
	if !p.cmd.ProcessState.Success() || !strings.Contains(p.text(0), "Usage:") {
		b.Fatalf("sitrep --help: %v; the terminal shows:\n%s", p.cmd.ProcessState, p.tail())
	}
	return p.exitedAt.Sub(p.began)
}

// ptyProc is the binary running in a pseudo-terminal of benchCols ×
// benchRows, with everything it writes kept and timed as it arrives.
type ptyProc struct {
	cmd    *exec.Cmd
	master *os.File
	began  time.Time // just before exec

	mu     sync.Mutex
	out    []byte  // append-only: bytes below len never change
	chunks []chunk // one per read
	notify chan struct{}
	eof    chan struct{} // the reader has stopped
	exited chan struct{}
	// exitedAt is set before exited closes.
	exitedAt time.Time
	stopOnce sync.Once
}

// chunk is one read from the terminal: where it ends in out and when it
// arrived.
type chunk struct {
	end int
	at  time.Time
}

// needPTY skips the benchmark, before it builds anything, where no pty
// can be opened.
func needPTY(b *testing.B) {
	master, slave, err := openPTY(benchCols, benchRows)
	if err != nil {
		b.Skipf("the process benchmarks need a pseudo-terminal: %v", err)
	}
	master.Close()
	slave.Close()
}

// startPTY starts argv in a new pty; the benchmark skips where no pty can
// be opened. The process is stopped at cleanup.
func startPTY(b *testing.B, env []string, argv ...string) *ptyProc {
	b.Helper()
	master, slave, err := openPTY(benchCols, benchRows)
	if err != nil {
		b.Skipf("the process benchmarks need a pseudo-terminal: %v", err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = ptyAttr()
	p := &ptyProc{cmd: cmd, master: master, notify: make(chan struct{}, 1), eof: make(chan struct{}), exited: make(chan struct{})}
	p.began = time.Now()
	err = cmd.Start()
	slave.Close() // the child has its own copy; the master sees EIO once it exits
	if err != nil {
		master.Close()
		b.Fatalf("start %s: %v", argv[0], err)
	}
	go p.read()
	go func() {
		cmd.Wait()
		p.exitedAt = time.Now()
		close(p.exited)
	}()
	b.Cleanup(p.stop)
	return p
}

func (p *ptyProc) read() {
	defer close(p.eof)
	buf := make([]byte, 64<<10)
	for {
		n, err := p.master.Read(buf)
		if n > 0 {
			at := time.Now()
			p.mu.Lock()
			p.out = append(p.out, buf[:n]...)
			p.chunks = append(p.chunks, chunk{end: len(p.out), at: at})
			p.mu.Unlock()
			select {
			case p.notify <- struct{}{}:
			default:
			}
		}
		if err != nil {
			return
		}
	}
}

// stop quits the cockpit with q, as a person would, and kills it if it has
// not gone in 5 s.
func (p *ptyProc) stop() {
	p.stopOnce.Do(func() {
		select {
		case <-p.exited:
		default:
			p.master.Write([]byte("q"))
			select {
			case <-p.exited:
			case <-time.After(5 * time.Second):
				p.cmd.Process.Kill()
				<-p.exited
			}
		}
		p.master.Close()
		<-p.eof
	})
}

func (p *ptyProc) pid() int { return p.cmd.Process.Pid }

func (p *ptyProc) send(b *testing.B, keys string) {
	if _, err := p.master.Write([]byte(keys)); err != nil {
		b.Fatalf("send %q: %v", keys, err)
	}
}

// size is how many bytes the process has written so far.
func (p *ptyProc) size() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.out)
}

// text is what the process wrote from byte from on, without escape
// sequences.
func (p *ptyProc) text(from int) string {
	p.mu.Lock()
	out := p.out
	p.mu.Unlock()
	return ansi.Strip(string(out[min(from, len(out)):]))
}

// tail is the end of the output, for failure messages.
func (p *ptyProc) tail() string {
	s := p.text(max(0, p.size()-6000))
	if len(s) > 3000 {
		s = s[len(s)-3000:]
	}
	return s
}

// waitText returns the arrival time of the first read after which the text
// written from byte from on satisfies cond.
func (p *ptyProc) waitText(from int, limit time.Duration, cond func(string) bool) (time.Time, error) {
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	checked, ended := 0, false
	for {
		// out is append-only, so the bytes can be read after unlocking;
		// the reader is never held up by the check.
		p.mu.Lock()
		out, chunks := p.out, p.chunks[checked:]
		p.mu.Unlock()
		for _, c := range chunks {
			checked++
			if c.end > from && cond(ansi.Strip(string(out[from:c.end]))) {
				return c.at, nil
			}
		}
		if ended {
			return time.Time{}, errors.New("the process ended before the list was drawn")
		}
		select {
		case <-p.notify:
		case <-p.eof:
			ended = true
		case <-deadline.C:
			return time.Time{}, fmt.Errorf("waited %s for the list's rows", limit)
		}
	}
}

// firstByte is exec to the first output.
func (p *ptyProc) firstByte() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.chunks) == 0 {
		return 0
	}
	return p.chunks[0].at.Sub(p.began)
}

// quietFor is how long the process has written nothing.
func (p *ptyProc) quietFor() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.chunks) == 0 {
		return time.Since(p.began)
	}
	return time.Since(p.chunks[len(p.chunks)-1].at)
}

// waitQuiet waits until the process has written nothing for gap.
func (p *ptyProc) waitQuiet(b *testing.B, gap, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for {
		q := p.quietFor()
		if q >= gap {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("the terminal was never quiet for %s in %s; it shows:\n%s", gap, limit, p.tail())
		}
		time.Sleep(gap - q)
	}
}

// afterClockTick returns just after the next redraw of the header's clock
// (it ticks once a second), so what follows has most of a second to itself.
func (p *ptyProc) afterClockTick(b *testing.B) {
	p.waitQuiet(b, 300*time.Millisecond, 30*time.Second)
	n := p.size()
	for end := time.Now().Add(2 * time.Second); p.size() == n && time.Now().Before(end); {
		time.Sleep(5 * time.Millisecond)
	}
	p.waitQuiet(b, 50*time.Millisecond, 10*time.Second)
}

// procStatus reads the Vm* lines of /proc/PID/status, in MB (10^6 bytes).
func procStatus(b *testing.B, pid int) map[string]float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatalf("read the process's memory: %v", err)
	}
	out := map[string]float64{}
	for _, line := range strings.Split(string(data), "\n") {
		name, rest, ok := strings.Cut(line, ":")
		f := strings.Fields(rest)
		if !ok || !strings.HasPrefix(name, "Vm") || len(f) != 2 || f[1] != "kB" {
			continue
		}
		if kb, err := strconv.ParseFloat(f[0], 64); err == nil {
			out[name] = kb * 1024 / 1e6
		}
	}
	if out["VmRSS"] == 0 || out["VmHWM"] == 0 {
		b.Fatalf("/proc/%d/status has no VmRSS or VmHWM:\n%s", pid, data)
	}
	return out
}

// cpuTime is the CPU the process's threads have used: the sum of their
// schedstat run times (nanoseconds), or utime+stime from /proc/PID/stat
// (10 ms ticks, too coarse for an idle budget of 0.3 %) where the kernel
// keeps no schedstat.
func cpuTime(b *testing.B, pid int) time.Duration {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	var sum time.Duration
	read := 0
	for _, t := range tasks {
		data, err := os.ReadFile(t)
		if err != nil {
			continue // the thread ended
		}
		f := strings.Fields(string(data))
		if len(f) == 0 {
			continue
		}
		ns, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			continue
		}
		sum += time.Duration(ns)
		read++
	}
	if read > 0 {
		return sum
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatalf("read the process's CPU time: %v", err)
	}
	// Fields after the command's closing parenthesis start at field 3;
	// utime and stime are fields 14 and 15, in clock ticks of 10 ms.
	f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	if len(f) < 13 {
		b.Fatalf("/proc/%d/stat is too short: %s", pid, data)
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// switches is the voluntary context switches of all the process's threads:
// each is a thread going to sleep, so their rate is the wake-up rate.
func switches(b *testing.B, pid int) int {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	if err != nil || len(tasks) == 0 {
		b.Fatalf("list the process's threads: no /proc/%d/task", pid)
	}
	sum := 0
	for _, t := range tasks {
		data, err := os.ReadFile(t)
		if err != nil {
			continue // the thread ended
		}
		for _, line := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "voluntary_ctxt_switches:"); ok {
				n, _ := strconv.Atoi(strings.TrimSpace(v))
				sum += n
			}
		}
	}
	return sum
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
