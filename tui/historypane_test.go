package tui

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"sitrep/actions"
	"sitrep/actions/triage"
	"sitrep/sources/demo/pdemulator"
	"sitrep/sources/pagerduty"
	"sitrep/store/journal"
	"sitrep/store/postmortem"
	"sitrep/store/recorder"
)

// historyWorld is payment-gateway's past in the emulator, on a clock the
// test moves: ten days ago a latency incident a restart did not fix,
// three days ago a 5xx spike a restart through sitrep fixed (journaled
// here, with its class), and tonight's 5xx incident, nine minutes old;
// checkout-api has an incident and no past. The History tab reads it
// through the real client, history reader, recorder and journal.
type historyWorld struct {
	pd               *pdemulator.Server
	feed             *pagerduty.Client
	rec              *recorder.Recorder
	tonight, api     string
	past5xx, pastP99 string
}

func newHistoryWorld(t *testing.T) *historyWorld {
	t.Helper()
	var (
		mu  sync.Mutex
		now = t0.Add(-10 * 24 * time.Hour)
	)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	set := func(at time.Time) { mu.Lock(); now = at; mu.Unlock() }
	const token = "history-test-token"
	pd := pdemulator.New(pdemulator.Options{Token: token, Clock: clock})
	url, err := pd.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pd.Close() })
	must := func(id string, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	alice := must(pd.AddUser(pdemulator.User{Name: "Alice Chen", Email: "alice@example.com"}))
	bob := must(pd.AddUser(pdemulator.User{Name: "Bob Okafor", Email: "bob@example.com"}))
	if err := pd.SetCurrentUser(alice); err != nil {
		t.Fatal(err)
	}
	ep := must(pd.AddEscalationPolicy(pdemulator.EscalationPolicy{Name: "Payments", Levels: []pdemulator.EscalationLevel{{UserIDs: []string{alice}}}}))
	svc := must(pd.AddService(pdemulator.Service{Name: "payment-gateway", EscalationPolicyID: ep}))
	api := must(pd.AddService(pdemulator.Service{Name: "checkout-api", EscalationPolicyID: ep}))
	w := &historyWorld{pd: pd}
	trigger := func(service, title string, at time.Time) string {
		set(at)
		res, err := pd.Trigger(pdemulator.TriggerOptions{ServiceID: service, Title: title, At: at})
		if err != nil {
			t.Fatal(err)
		}
		return res.IncidentID
	}
	note := func(id, user, text string, at time.Time) {
		set(at)
		must(pd.AddNote(id, user, text))
	}
	resolve := func(id, user string, at time.Time) {
		set(at)
		if err := pd.Resolve(id, user); err != nil {
			t.Fatal(err)
		}
	}
	p10 := t0.Add(-10*24*time.Hour - 2*time.Hour)
	w.pastP99 = trigger(svc, "payment-gateway p99 latency above 1.5 s (2.1 s)", p10)
	note(w.pastP99, alice, "restarted payment-gateway: no effect, p99 still 1.9 s.", p10.Add(14*time.Minute))
	note(w.pastP99, alice, "Acquirer recovered; p99 back to 300 ms. Nothing to change on our side.", p10.Add(41*time.Minute))
	resolve(w.pastP99, alice, p10.Add(44*time.Minute))
	p3 := t0.Add(-3*24*time.Hour - 5*time.Hour)
	w.past5xx = trigger(svc, "[FIRING] payment-gateway HTTP 5xx ratio above 5% (24.6%)", p3)
	note(w.past5xx, bob, "Pods exhausted their connections to the card vault after a vault failover; restarting.", p3.Add(6*time.Minute))
	note(w.past5xx, bob, "restarted payment-gateway, 5xx back to 1% within 2 min", p3.Add(9*time.Minute))
	resolve(w.past5xx, bob, p3.Add(18*time.Minute))
	w.tonight = trigger(svc, "[FIRING] payment-gateway 5xx rate above 5% (31.2%)", t0.Add(-9*time.Minute))
	w.api = trigger(api, "checkout-api POST /orders failing", t0.Add(-2*time.Minute))
	set(t0)

	w.feed = pagerduty.New(pagerduty.Config{APIURL: url, Token: token, Timeout: 10 * time.Second, Now: clock})
	j, err := journal.Open(filepath.Join(t.TempDir(), "journal.db"), journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	w.rec = recorder.New(j, w.feed, "")
	classifier := triage.New(triage.DefaultRules())
	w.rec.SetHistory(pagerduty.NewHistoryReader(w.feed, pagerduty.HistoryConfig{}), func(in pagerduty.Incident) string {
		if cs := classifier.Classify(triage.Evidence{Incident: in}); len(cs) > 0 {
			return cs[0].Class
		}
		return ""
	})
	// Bob ran the restart through sitrep three days ago; the journal kept
	// the class it gave the incident and the outcome he gave the run.
	step := func(s string, f func(*actions.Record)) journal.Entry {
		r := actions.Record{RunID: "run-past", Step: s, Action: "restart_service", Target: "payment-gateway", Env: "prod"}
		if f != nil {
			f(&r)
		}
		data, _ := json.Marshal(r)
		return journal.Entry{At: p3.Add(8 * time.Minute), Incident: w.past5xx, Kind: "action." + s, Actor: "sitrep", Data: data}
	}
	for _, e := range []journal.Entry{
		{At: p3.Add(time.Minute), Incident: w.past5xx, Kind: "triage", Actor: "sitrep", Data: json.RawMessage(`{"class":"dependency","why":"dependency: card vault failover"}`)},
		step(actions.StepStarted, nil),
		step(actions.StepFinished, func(r *actions.Record) { r.Result = "exit 0" }),
		step(actions.StepOutcome, func(r *actions.Record) { r.Outcome = "helped" }),
	} {
		if err := w.rec.Record(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// cockpit is a 120×40 cockpit over the world, listing everything, with
// the cursor on id.
func (w *historyWorld) cockpit(t *testing.T, id string, hist PastIncidents) *pump {
	t.Helper()
	p := newPump(t, New(w.feed, Options{Now: func() time.Time { return t0 }, Scope: pagerduty.ScopeAll, RefreshInterval: time.Hour, PaneRefresh: time.Hour, History: hist}))
	p.send(tea.WindowSizeMsg{Width: 120, Height: 40})
	p.run(p.m.loadIncidents())
	p.until("the list", func() bool { return p.m.list.len() > 0 })
	for i, idx := range p.m.list.visible {
		if p.m.list.all[idx].ID == id {
			p.m.list.cursor = i
		}
	}
	p.send(detailDue{id: id})
	return p
}

// toHistory presses tab until the History tab shows.
func toHistory(p *pump) {
	for detailTabs[p.m.detail.tab] != historyTab {
		p.send(keyMsg("tab"))
	}
}

// historyPane is the detail pane as drawn, without styles.
func historyPane(m Model) string {
	return ansi.Strip(m.detailPane(110, 18))
}

func TestHistoryPaneShowsWhatFixedItLastTime(t *testing.T) {
	w := newHistoryWorld(t)
	p := w.cockpit(t, w.tonight, w.rec)
	w.pd.ResetRequests()
	toHistory(p)
	notesOf := func(id string) pastNotes { return p.m.details[w.tonight].history.notes[id] }
	p.until("the history, the newest one's notes and the detail", func() bool {
		st := p.m.details[w.tonight]
		return notesOf(w.past5xx).done && !st.loading && !st.fetchedAt.IsZero()
	})
	golden(t, "history_pane", historyPane(p.m))
	frame := historyPane(p.m)
	for _, want := range []string{
		"History 2", "Resolved on payment-gateway in the last 30 days, newest first",
		"▸ #2 [FIRING] payment-gateway HTTP 5xx ratio above 5% (24.6%)", "lasted 18m", "class dependency",
		"ran: restart_service on payment-gateway (prod): exit 0 — helped",
		"last note (Bob Okafor, PagerDuty", "restarted payment-gateway, 5xx back to 1% within 2 min",
		"#1 payment-gateway p99 latency above 1.5 s (2.1 s)", "lasted 44m", "ran: nothing journaled here",
	} {
		if !strings.Contains(frame, want) {
			t.Errorf("the History tab lacks %q:\n%s", want, frame)
		}
	}
	if strings.Contains(frame, "31.2%") {
		t.Errorf("tonight's incident is listed in its own history:\n%s", frame)
	}
	// One request for the history, one for the highlighted one's notes;
	// the older one's notes are not read until it is highlighted.
	count := func(path string) int {
		n := 0
		for _, r := range w.pd.Requests() {
			if r.Method == "GET" && r.Path == path {
				n++
			}
		}
		return n
	}
	if n := count("/incidents"); n != 1 {
		t.Errorf("the History tab asked for the history %d times, want 1", n)
	}
	if count("/incidents/"+w.pastP99+"/notes") != 0 || count("/incidents/"+w.past5xx+"/notes") != 1 {
		t.Errorf("notes read: %v", w.pd.Requests())
	}

	// Focused, j highlights the older one and reads its notes.
	p.send(keyMsg("enter"))
	if help := ansi.Strip(p.m.footer(120)); !strings.Contains(help, "next past incident") {
		t.Errorf("the footer does not say what j does here: %q", help)
	}
	p.send(keyMsg("j"))
	p.until("the older one's notes", func() bool { return notesOf(w.pastP99).done })
	frame = ansi.Strip(p.m.detailPane(110, 38))
	if !strings.Contains(frame, "▸ #1 payment-gateway p99") || !strings.Contains(frame, "Acquirer recovered; p99 back to 300 ms.") {
		t.Errorf("j did not highlight the older incident with its last note:\n%s", frame)
	}
	p.send(keyMsg("k"))
	if st := p.m.details[w.tonight].history; st.cursor != 0 {
		t.Errorf("k left the cursor at %d", st.cursor)
	}
}

func TestHistoryPaneStates(t *testing.T) {
	w := newHistoryWorld(t)

	t.Run("empty", func(t *testing.T) {
		p := w.cockpit(t, w.api, w.rec)
		toHistory(p)
		p.until("the empty history", func() bool { return !p.m.details[w.api].history.fetchedAt.IsZero() })
		if frame := historyPane(p.m); !strings.Contains(frame, "No resolved incidents on checkout-api in the last 30 days.") {
			t.Errorf("empty history:\n%s", frame)
		}
	})
	t.Run("failure, then r", func(t *testing.T) {
		rec := recorder.New(nil, nil, "")
		rec.SetHistory(pagerduty.NewHistoryReader(w.feed, pagerduty.HistoryConfig{Lifetime: -1}), nil)
		p := w.cockpit(t, w.tonight, rec)
		p.until("the detail", func() bool { return !p.m.details[w.tonight].fetchedAt.IsZero() })
		if err := w.pd.InjectFault(pdemulator.Fault{Method: "GET", Path: "/incidents", Kind: pdemulator.FaultMalformedJSON, Times: 1}); err != nil {
			t.Fatal(err)
		}
		toHistory(p)
		p.until("the failure", func() bool { return p.m.details[w.tonight].history.err != "" })
		frame := historyPane(p.m)
		if !strings.Contains(frame, "history of payment-gateway: list past incidents of") || !strings.Contains(frame, "not the JSON expected") || !strings.Contains(frame, "r asks PagerDuty again") {
			t.Errorf("a failed history does not say why and what to do:\n%s", frame)
		}
		p.send(keyMsg("r"))
		p.until("the retry", func() bool { return len(p.m.details[w.tonight].history.h.Past) == 2 })
	})
	t.Run("no source", func(t *testing.T) {
		p := w.cockpit(t, w.tonight, nil)
		toHistory(p)
		if frame := historyPane(p.m); !strings.Contains(frame, "No history: sitrep has no PagerDuty access") {
			t.Errorf("no source:\n%s", frame)
		}
	})
	t.Run("hostile text", func(t *testing.T) {
		hv := historyView{fetchedAt: t0}
		hv.h.Window = 30 * 24 * time.Hour
		in := pagerduty.Incident{ID: "P", Number: 3, Title: "evil\x1b]0;owned\x07 title", Status: pagerduty.StatusResolved, CreatedAt: t0.Add(-time.Hour), LastChangeAt: t0}
		hv.h.Past = append(hv.h.Past, pastWith(in, "\x1b[2Jclass", "note\x1b[31m text"))
		for _, l := range historyLines(NewStyles(true), in, hv, 100, t0) {
			if strings.ContainsAny(ansi.Strip(l), "\x1b\x07") {
				t.Errorf("line %q carries control bytes", l)
			}
		}
	})
}

// pastWith is a past incident with a class and a last note.
func pastWith(in pagerduty.Incident, class, note string) postmortem.Past {
	return postmortem.Past{Incident: in, Class: class, LastNote: &postmortem.PastNote{At: in.CreatedAt, By: "\x1b[2Jeve", Text: note, From: "PagerDuty"}}
}
