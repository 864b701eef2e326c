package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"sitrep/actions/auto"
	"sitrep/sources/demo/world"
	"sitrep/sources/pagerduty"
	"sitrep/store/journal"
)

// watchWorld is a demo world in this process whose indexer workers get
// stuck twice, stuckIn apart, a config that places search-indexer in
// staging with the demo catalogue (its countdown cut to 10 s), and a
// running `sitrep watch` whose JSON lines arrive on lines.
type watchWorld struct {
	w       *world.World
	bin     string
	config  string
	journal string
	cmd     *exec.Cmd
	lines   chan map[string]any
	stderr  *strings.Builder
	waited  chan error
	// seen are the lines read and not yet asked for, in order.
	seen []map[string]any
}

func startWatch(t *testing.T, stuckIn time.Duration) *watchWorld {
	t.Helper()
	bin := buildSitrep(t)
	w, err := world.Start(world.Options{Seed: 1, Tick: time.Hour, StuckIn: stuckIn})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "config"))
	t.Setenv("XDG_DATA_HOME", filepath.Join(home, "data"))
	t.Setenv("XDG_STATE_HOME", filepath.Join(home, "state"))
	t.Setenv("PAGERDUTY_TOKEN", w.Token)
	remove, err := w.Publish(world.DefaultStatePath())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(remove)

	// The demo catalogue, with a countdown a test can wait out.
	cat := filepath.Join(home, "catalogue")
	src := filepath.Join("..", "..", "sources", "demo", "catalogue", "catalogue")
	if err := os.CopyFS(cat, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	yamlPath := filepath.Join(cat, "actions.yaml")
	data, err := os.ReadFile(yamlPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "notify_first: 20s") {
		t.Fatal("the demo catalogue's restart_stuck_worker no longer counts down 20s: update this test")
	}
	if err := os.WriteFile(yamlPath, []byte(strings.Replace(string(data), "notify_first: 20s", "notify_first: 10s", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(home, "sitrep.yaml")
	body := "api_url: " + w.PagerDutyURL + "\nactions: {dir: " + strconv.Quote(cat) + "}\nservices:\n  search-indexer: {env: staging}\n"
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	ww := &watchWorld{w: w, bin: bin, config: cfg, journal: filepath.Join(home, "journal.db"), lines: make(chan map[string]any, 100), stderr: &strings.Builder{}, waited: make(chan error, 1)}
	ww.cmd = exec.Command(bin, "watch", "--config", cfg, "--journal", ww.journal, "--interval", "1s", "--scope", "all")
	ww.cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	ww.cmd.Stderr = ww.stderr
	out, err := ww.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := ww.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var reading sync.WaitGroup
	reading.Add(1)
	go func() {
		defer reading.Done()
		defer close(ww.lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				m = map[string]any{"event": "not json", "text": sc.Text()}
			}
			ww.lines <- m
		}
	}()
	go func() { reading.Wait(); ww.waited <- ww.cmd.Wait() }()
	t.Cleanup(func() {
		if ww.cmd.ProcessState == nil {
			_ = ww.cmd.Process.Kill()
		}
	})
	return ww
}

// next waits for the event kind, failing on an error line or the limit.
func (ww *watchWorld) next(t *testing.T, kind string, limit time.Duration) map[string]any {
	t.Helper()
	for i, m := range ww.seen {
		if m["event"] == kind {
			ww.seen = append(ww.seen[:i:i], ww.seen[i+1:]...)
			return m
		}
	}
	deadline := time.After(limit)
	for {
		select {
		case m, ok := <-ww.lines:
			if !ok {
				t.Fatalf("sitrep watch ended before %s; stderr: %s", kind, ww.stderr)
			}
			if m["event"] == "error" || m["event"] == "not json" {
				t.Fatalf("sitrep watch said: %v", m)
			}
			if m["event"] == kind {
				return m
			}
			ww.seen = append(ww.seen, m)
		case <-deadline:
			t.Fatalf("no %s within %s; stderr: %s", kind, limit, ww.stderr)
		}
	}
}

func (ww *watchWorld) notes(t *testing.T, id string) []pagerduty.Note {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ns, err := pagerduty.New(pagerduty.Config{APIURL: ww.w.PagerDutyURL, Token: ww.w.Token}).Notes(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

// userID finds a demo person's PagerDuty ID by name.
func (ww *watchWorld) userID(t *testing.T, name string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, ww.w.PagerDutyURL+"/users?limit=100", nil)
	req.Header.Set("Authorization", "Token token="+ww.w.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Users []struct{ ID, Name string } `json:"users"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	for _, u := range body.Users {
		if strings.HasPrefix(u.Name, name) {
			return u.ID
		}
	}
	t.Fatalf("no demo user named %s in %+v", name, body.Users)
	return ""
}

func (ww *watchWorld) stop(t *testing.T) {
	t.Helper()
	if err := ww.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for range ww.lines {
	}
	select {
	case err := <-ww.waited:
		if err != nil {
			t.Fatalf("sitrep watch did not exit 0 on SIGTERM: %v; stderr: %s", err, ww.stderr)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("sitrep watch did not stop on SIGTERM")
	}
}

func TestWatchRunsAfterTheCountdownAndHonoursAVetoNote(t *testing.T) {
	ww := startWatch(t, 3*time.Second)
	if by := ww.next(t, auto.EventArmed, 20*time.Second)["text"]; !strings.Contains(by.(string), "armed by ") {
		t.Errorf("armed line: %v", by)
	}

	first := ww.next(t, auto.EventAnnounced, 20*time.Second)
	id := first["incident"].(string)
	if first["action"] != "restart_stuck_worker" || first["service"] != "search-indexer" || first["env"] != "staging" {
		t.Errorf("announced %v", first)
	}
	ns := ww.notes(t, id)
	if len(ns) == 0 || !strings.HasPrefix(ns[0].Content, "sitrep will run restart_stuck_worker on search-indexer at ") || !strings.Contains(ns[0].Content, "unless vetoed — armed by ") {
		t.Fatalf("notes on %s: %+v", id, ns)
	}

	// The second stuck incident is vetoed by Bob, in a note.
	second := ww.next(t, auto.EventAnnounced, 20*time.Second)
	id2 := second["incident"].(string)
	if id2 == id {
		t.Fatalf("the same incident was announced twice: %v", second)
	}
	if _, err := ww.w.PagerDuty.AddNote(id2, ww.userID(t, "Bob"), "veto — I am looking at the indexer"); err != nil {
		t.Fatal(err)
	}

	ran := ww.next(t, auto.EventRan, 30*time.Second)
	if ran["incident"] != id || !strings.Contains(ran["result"].(string), "exit 0") {
		t.Errorf("ran: %v", ran)
	}
	vetoed := ww.next(t, auto.EventVetoed, 20*time.Second)
	if vetoed["incident"] != id2 || !strings.HasPrefix(vetoed["by"].(string), "Bob") || vetoed["via"] != auto.ViaNote {
		t.Errorf("vetoed: %v", vetoed)
	}
	ww.stop(t)

	st, err := ww.w.ServiceStatus("search-indexer")
	if err != nil || st.Restarts != 1 {
		t.Errorf("search-indexer restarts = %d (%v), want 1: the vetoed run must not happen", st.Restarts, err)
	}
	if ns := ww.notes(t, id2); !strings.Contains(ns[len(ns)-1].Content, "sitrep will not run restart_stuck_worker on search-indexer: vetoed by Bob") {
		t.Errorf("the veto was not announced: %+v", ns)
	}

	j, err := journal.Open(ww.journal, journal.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	es, err := j.Entries(id)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		switch {
		case e.Kind == auto.EventAnnounced || e.Kind == auto.EventRan:
			got = append(got, e.Kind+" by "+e.Actor)
		case e.Kind == "action.confirmed":
			got = append(got, e.Kind+" by "+e.Actor)
		}
	}
	joined := strings.Join(got, "; ")
	for _, want := range []string{"auto.announced by sitrep (armed by ", "action.confirmed by sitrep (armed by ", "auto.ran by sitrep (armed by "} {
		if !strings.Contains(joined, want) {
			t.Errorf("journal of %s lacks %q: %s", id, want, joined)
		}
	}
	es2, _ := j.Entries(id2)
	var vetoEntry bool
	for _, e := range es2 {
		if e.Kind == auto.EventVetoed && strings.HasPrefix(e.Actor, "Bob") {
			vetoEntry = true
		}
		if strings.HasPrefix(e.Kind, "action.") {
			t.Errorf("the vetoed incident has an action entry: %s %s", e.Kind, e.Summary)
		}
	}
	if !vetoEntry {
		t.Errorf("no veto journaled as Bob on %s: %v", id2, kinds(es2))
	}
	j.Close()

	// The post-mortem drafts show the announcement, the run and the veto.
	export := func(id string) string {
		out, err := exec.Command(ww.bin, "export", id, "--config", ww.config, "--journal", ww.journal).CombinedOutput()
		if err != nil {
			t.Fatalf("export %s: %v\n%s", id, err, out)
		}
		return string(out)
	}
	md := export(id)
	// Markdown escapes the underscores.
	for _, want := range []string{`sitrep will run restart\_stuck\_worker on search-indexer at`, "sitrep (armed by ", "| restart\\_stuck\\_worker"} {
		if !strings.Contains(md, want) {
			t.Errorf("the export of %s lacks %q:\n%s", id, want, md)
		}
	}
	if md := export(id2); !strings.Contains(md, "vetoed by Bob") {
		t.Errorf("the export of %s does not show the veto:\n%s", id2, md)
	}
}

func TestWatchCancelsTheCountdownOnSIGTERM(t *testing.T) {
	ww := startWatch(t, 2*time.Second)
	ww.next(t, auto.EventArmed, 20*time.Second)
	ann := ww.next(t, auto.EventAnnounced, 20*time.Second)
	id := ann["incident"].(string)
	if err := ww.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	c := ww.next(t, auto.EventCancelled, 15*time.Second)
	if c["incident"] != id || c["via"] != auto.ViaShutdown {
		t.Errorf("cancelled: %v", c)
	}
	ww.stop(t)
	ns := ww.notes(t, id)
	if last := ns[len(ns)-1].Content; !strings.Contains(last, "sitrep will not run restart_stuck_worker on search-indexer: cancelled, sitrep watch stopped") {
		t.Errorf("the cancellation was not announced: %q", last)
	}
	if st, _ := ww.w.ServiceStatus("search-indexer"); st.Restarts != 0 {
		t.Errorf("search-indexer restarted %d times after a cancelled countdown", st.Restarts)
	}
}

func TestWatchRefusesAHeldJournal(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "j.db")
	j, err := journal.Open(path, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	_, err = journal.Open(path, journal.Options{})
	err = watchJournalErr(err)
	if err == nil || !strings.Contains(err.Error(), "one loop per journal") {
		t.Errorf("error = %v", err)
	}
}
