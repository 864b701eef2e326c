package tui

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"sitrep/actions"
	"sitrep/actions/auto"
	"sitrep/sources/demo/pdemulator"
	"sitrep/sources/pagerduty"
	"sitrep/store/journal"
	"sitrep/store/recorder"
)

// autoWorld is notify-first automation over real parts: the PagerDuty
// emulator (Alice, whom sitrep acts as, and Bob), the real client, an
// actions engine over a catalogue with one auto: action, and a journal.
type autoWorld struct {
	emu     *pdemulator.Server
	feed    *pagerduty.Client
	svc     string
	bob     string
	journal *journal.Journal

	mu     sync.Mutex
	offset time.Duration // how far the cockpit's clock is ahead
}

func (w *autoWorld) now() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return time.Now().Add(w.offset)
}

func (w *autoWorld) advance(d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.offset += d
}

// testAutomation is Options.Automation as cmd/sitrep builds it, over the
// same real parts.
type testAutomation struct {
	*auto.Effects
	feed *pagerduty.Client
	rec  *recorder.Recorder
}

func (a testAutomation) NewMachine() *auto.Machine { return auto.New(a.Engine.Catalogue) }
func (a testAutomation) Brief(in pagerduty.Incident) auto.Incident {
	return auto.FromIncident(in, "staging")
}
func (a testAutomation) Detail(ctx context.Context, in pagerduty.Incident) (auto.Incident, error) {
	out := a.Brief(in)
	d, err := a.feed.Detail(ctx, in.ID)
	out.Detailed, out.Alerts = err == nil, auto.AlertsOf(d.Alerts)
	return out, err
}
func (a testAutomation) Me(ctx context.Context) (string, error) {
	me, err := a.feed.Me(ctx)
	return me.Name, err
}
func (a testAutomation) Record(ctx context.Context, ev auto.Event) error {
	actor := auto.Actor(ev.Countdown.ArmedBy)
	if ev.Kind == auto.EventVetoed {
		actor = ev.Countdown.By
	}
	return a.rec.Record(ctx, journal.Entry{At: ev.At, Incident: ev.Countdown.Incident.ID, Kind: ev.Kind, Actor: actor, Summary: ev.Text})
}

const autoCatalogue = `
actions:
  - name: restart_worker
    explain: Restarts the worker; safe because it drains first.
    params:
      service: {pattern: '[a-z0-9-]+', from: service}
    runner: exec
    exec: {argv: [echo, "restarted {{.service}}"]}
    risk: medium
    auto:
      when: {envs: [staging], services: [search-indexer]}
      notify_first: 10s
`

func newAutoWorld(t *testing.T) (*autoWorld, Model) {
	t.Helper()
	emu := pdemulator.New(pdemulator.Options{Token: "tok"})
	t.Cleanup(func() { emu.Close() })
	alice, _ := emu.AddUser(pdemulator.User{Name: "Alice Chen", Email: "alice@example.com"})
	bob, _ := emu.AddUser(pdemulator.User{Name: "Bob Stone", Email: "bob@example.com"})
	if err := emu.SetCurrentUser(alice); err != nil {
		t.Fatal(err)
	}
	ep, _ := emu.AddEscalationPolicy(pdemulator.EscalationPolicy{Name: "Search", Levels: []pdemulator.EscalationLevel{{UserIDs: []string{alice}}}})
	svc, _ := emu.AddService(pdemulator.Service{Name: "search-indexer", EscalationPolicyID: ep})
	url, err := emu.Start()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "actions.yaml"), []byte(autoCatalogue), 0o600); err != nil {
		t.Fatal(err)
	}
	cat, probs := actions.Load(dir)
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	j, err := journal.Open(filepath.Join(dir, "journal.db"), journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	feed := pagerduty.New(pagerduty.Config{APIURL: url, Token: "tok"})
	rec := recorder.New(j, feed, dir)
	w := &autoWorld{emu: emu, feed: feed, svc: svc, bob: bob, journal: j}
	eng := &actions.Engine{Catalogue: cat, PagerDuty: pagerduty.Writer{Client: feed}, User: "Alice Chen",
		Record: func(r actions.Record) { _ = rec.RecordActionStep(r, "Alice Chen") }}
	a := testAutomation{Effects: &auto.Effects{Engine: eng, Notes: feed, Timeout: 5 * time.Second,
		RecordStep: func(r actions.Record, actor string) { _ = rec.RecordActionStep(r, actor) }}, feed: feed, rec: rec}
	m := New(feed, Options{Now: w.now, Automation: a, CallTimeout: 5 * time.Second, Scope: pagerduty.ScopeAll})
	m = step(t, m, tea.WindowSizeMsg{Width: 120, Height: 30})
	return w, m
}

// trigger opens a stuck-worker incident and returns the list with it.
func (w *autoWorld) trigger(t *testing.T, key string) incidentsLoaded {
	t.Helper()
	if _, err := w.emu.Trigger(pdemulator.TriggerOptions{ServiceID: w.svc, Title: "indexer stuck " + key, Urgency: "low", DedupKey: key}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	list, err := w.feed.Incidents(ctx, pagerduty.ScopeAll)
	if err != nil {
		t.Fatal(err)
	}
	return incidentsLoaded{scope: pagerduty.ScopeAll, incidents: list, at: w.now()}
}

// autoSettle feeds msg to the model and then every automation message its
// commands answer with, until none is left; other commands (clock ticks,
// refreshes) are not run.
func autoSettle(t *testing.T, m Model, msg tea.Msg) Model {
	t.Helper()
	queue := []tea.Msg{msg}
	for len(queue) > 0 {
		next, cmd := m.Update(queue[0])
		m, queue = next.(Model), queue[1:]
		queue = append(queue, autoMsgsOf(t, cmd)...)
	}
	return m
}

// autoMsgsOf runs cmd's commands at once, as Bubble Tea does, and keeps
// the automation's messages; a command still running after two seconds
// is a timer, not the automation's.
func autoMsgsOf(t *testing.T, cmd tea.Cmd) []tea.Msg { return autoMsgsWithin(t, cmd, 4*time.Second) }

func autoMsgsWithin(t *testing.T, cmd tea.Cmd, limit time.Duration) []tea.Msg {
	t.Helper()
	if cmd == nil {
		return nil
	}
	got := make(chan []tea.Msg, 1)
	go func() {
		var out []tea.Msg
		switch msg := cmd().(type) {
		case tea.BatchMsg:
			var mu sync.Mutex
			var wg sync.WaitGroup
			for _, c := range msg {
				wg.Add(1)
				go func() {
					defer wg.Done()
					more := autoMsgsWithin(t, c, limit/2)
					mu.Lock()
					out = append(out, more...)
					mu.Unlock()
				}()
			}
			wg.Wait()
		case autoArmed, autoAnnounced, autoEnded, autoVetoChecked, autoRunDone, autoDetailed, autoVetoPosted:
			out = append(out, msg)
		}
		got <- out
	}()
	select {
	case out := <-got:
		return out
	case <-time.After(limit):
		return nil
	}
}

func header(m Model) string {
	first, _, _ := strings.Cut(plainView(m), "\n")
	return first
}

func (w *autoWorld) notes(t *testing.T, id string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ns, err := w.feed.Notes(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range ns {
		out = append(out, n.User.Name+": "+n.Content)
	}
	return out
}

func TestArmCountdownVetoAndRun(t *testing.T) {
	w, m := newAutoWorld(t)
	if strings.Contains(header(m), "ARMED") {
		t.Fatal("ARMED before arming")
	}
	m = autoSettle(t, m, tea.KeyPressMsg{Code: 'a', Mod: tea.ModCtrl})
	if h := header(m); !strings.Contains(h, "ARMED by Alice Chen") {
		t.Fatalf("header after ctrl+a: %q", h)
	}

	// A new incident: announced on it, and counted down in the banner.
	loaded := w.trigger(t, "one")
	m = autoSettle(t, m, loaded)
	id := loaded.incidents[0].ID
	view := plainView(m)
	if !regexp.MustCompile(`⏱ sitrep will run restart_worker on search-indexer \(#1\) in 0:(10|0[5-9]) unless vetoed — v veto`).MatchString(view) {
		t.Fatalf("no countdown banner:\n%s", view)
	}
	if ns := w.notes(t, id); len(ns) != 1 || !strings.HasPrefix(ns[0], "Alice Chen: sitrep will run restart_worker on search-indexer at ") {
		t.Fatalf("notes: %q", ns)
	}
	// v vetoes it here: nothing runs, and the veto is said on the incident.
	m = autoSettle(t, m, keyMsg("v"))
	if len(m.auto.machine.Pending()) != 0 {
		t.Fatalf("still pending after v: %+v", m.auto.machine.Pending())
	}
	if ns := w.notes(t, id); !strings.Contains(ns[len(ns)-1], "sitrep will not run restart_worker on search-indexer: vetoed by Alice Chen in sitrep") {
		t.Errorf("the veto was not announced: %q", ns)
	}
	w.advance(11 * time.Second)
	m = autoSettle(t, m, clockTicked{at: w.now()})
	if strings.Contains(strings.Join(w.notes(t, id), "\n"), "exit 0") {
		t.Error("the vetoed countdown ran")
	}

	// The next one runs when its countdown ends, as sitrep armed by Alice.
	loaded = w.trigger(t, "two")
	m = autoSettle(t, m, loaded)
	id2 := newest(loaded.incidents).ID
	if len(m.auto.machine.Pending()) != 1 {
		t.Fatalf("pending: %+v", m.auto.machine.Pending())
	}
	w.advance(5 * time.Second)
	m = autoSettle(t, m, clockTicked{at: w.now()})
	if len(m.auto.machine.Pending()) != 1 {
		t.Fatal("ran before its countdown ended")
	}
	w.advance(6 * time.Second)
	m = autoSettle(t, m, clockTicked{at: w.now()})
	m = autoSettle(t, m, clockTicked{at: w.now()})
	if view := plainView(m); !strings.Contains(view, "sitrep (armed by Alice Chen) ran restart_worker on search-indexer: exit 0") {
		t.Fatalf("no run shown:\n%s", view)
	}
	ns := w.notes(t, id2)
	if !strings.Contains(ns[len(ns)-1], "restart_worker on search-indexer (staging) by sitrep (armed by Alice Chen): exit 0") {
		t.Errorf("the run was not announced: %q", ns)
	}

	// A veto note from Bob cancels the third. The cockpit's clock is set
	// back to PagerDuty's, which dates the note.
	w.advance(-w.offset)
	loaded = w.trigger(t, "three")
	m = autoSettle(t, m, loaded)
	id3 := newest(loaded.incidents).ID
	if _, err := w.emu.AddNote(id3, w.bob, "veto"); err != nil {
		t.Fatal(err)
	}
	m = autoSettle(t, m, clockTicked{at: w.now()}) // its first look at the notes is due

	if len(m.auto.machine.Pending()) != 0 {
		t.Fatalf("Bob's veto note did not cancel the countdown: %+v", m.auto.machine.Pending())
	}
	if ns := w.notes(t, id3); !strings.Contains(ns[len(ns)-1], "vetoed by Bob Stone by a note on the incident") {
		t.Errorf("Bob's veto was not announced: %q", ns)
	}

	// The journal holds the story, each part by whom it was done.
	es, err := w.journal.Entries(id3)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		if strings.HasPrefix(e.Kind, "auto.") {
			got = append(got, e.Kind+" by "+e.Actor)
		}
	}
	if want := "auto.announced by sitrep (armed by Alice Chen),auto.vetoed by Bob Stone"; strings.Join(got, ",") != want {
		t.Errorf("journal of the vetoed incident: %v, want %s", got, want)
	}
	es, _ = w.journal.Entries(id2)
	var confirmedBy string
	for _, e := range es {
		if e.Kind == "action.confirmed" {
			var r actions.Record
			_ = json.Unmarshal(e.Data, &r)
			confirmedBy = e.Actor + " / " + r.ConfirmedBy
		}
	}
	if confirmedBy != "sitrep (armed by Alice Chen) / sitrep (armed by Alice Chen)" {
		t.Errorf("the run was confirmed by %q", confirmedBy)
	}

	// ctrl+a again disarms.
	m = autoSettle(t, m, tea.KeyPressMsg{Code: 'a', Mod: tea.ModCtrl})
	if strings.Contains(header(m), "ARMED") {
		t.Errorf("still ARMED after ctrl+a: %q", header(m))
	}
}

func newest(ins []pagerduty.Incident) pagerduty.Incident {
	out := ins[0]
	for _, in := range ins {
		if in.Number > out.Number {
			out = in
		}
	}
	return out
}

func TestAutoKeysHiddenWithoutAutomation(t *testing.T) {
	m := loaded(t, fixture(3), 100, 30)
	if m.keys.Arm.Enabled() || m.keys.Veto.Enabled() {
		t.Error("ctrl+a and v shown without automation")
	}
	if m = press(t, m, "v"); strings.Contains(plainView(m), "veto") {
		t.Error("v did something without automation")
	}
}

func TestQuitCancelsAndAnnouncesTheCountdown(t *testing.T) {
	w, m := newAutoWorld(t)
	m = autoSettle(t, m, tea.KeyPressMsg{Code: 'a', Mod: tea.ModCtrl})
	loaded := w.trigger(t, "one")
	m = autoSettle(t, m, loaded)
	if len(m.auto.machine.Pending()) != 1 {
		t.Fatalf("pending: %+v", m.auto.machine.Pending())
	}
	if failed := m.StopAutomation(); len(failed) != 0 {
		t.Errorf("stopping reported failures: %q", failed)
	}
	id := loaded.incidents[0].ID
	ns := w.notes(t, id)
	if !strings.Contains(ns[len(ns)-1], "sitrep will not run restart_worker on search-indexer: cancelled, the cockpit that counted down quit") {
		t.Errorf("quitting did not announce the cancellation: %q", ns)
	}
	es, _ := w.journal.Entries(id)
	if k := es[len(es)-1].Kind; k != auto.EventCancelled {
		t.Errorf("last journal entry is %s", k)
	}
}

// A cancellation that cannot be announced on quitting is said to the
// shell, not dropped: the incident still promises a run.
func TestQuitSaysWhatItCouldNotAnnounce(t *testing.T) {
	w, m := newAutoWorld(t)
	m = autoSettle(t, m, tea.KeyPressMsg{Code: 'a', Mod: tea.ModCtrl})
	loaded := w.trigger(t, "one")
	m = autoSettle(t, m, loaded)
	id := loaded.incidents[0].ID
	if err := w.emu.InjectFault(pdemulator.Fault{Method: http.MethodPost, Path: "/incidents/" + id + "/notes", Kind: pdemulator.FaultServerError, Status: 503, Times: 100}); err != nil {
		t.Fatal(err)
	}
	failed := m.StopAutomation()
	if len(failed) == 0 || !strings.Contains(strings.Join(failed, "\n"), "announce the cancelled run on "+id) {
		t.Errorf("a cancellation PagerDuty refused was not reported: %q", failed)
	}
}
