package auto

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"sitrep/actions"
	"sitrep/sources/demo/pdemulator"
	"sitrep/sources/pagerduty"
)

// world is the PagerDuty emulator with Alice (whom sitrep acts as), Bob,
// and one triggered incident on search-indexer, read through the real
// client.
type world struct {
	emu      *pdemulator.Server
	client   *pagerduty.Client
	bob      string
	incident string
}

func newWorld(t *testing.T) world {
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
	res, err := emu.Trigger(pdemulator.TriggerOptions{ServiceID: svc, Title: "indexer stuck", Urgency: "low"})
	if err != nil {
		t.Fatal(err)
	}
	url, err := emu.Start()
	if err != nil {
		t.Fatal(err)
	}
	return world{emu: emu, client: pagerduty.New(pagerduty.Config{APIURL: url, Token: "tok"}), bob: bob, incident: res.IncidentID}
}

type steps struct {
	mu   sync.Mutex
	recs []actions.Record
	by   []string
}

func (s *steps) record(r actions.Record, actor string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recs = append(s.recs, r)
	s.by = append(s.by, actor)
}

func TestEffectsAgainstPagerDuty(t *testing.T) {
	w := newWorld(t)
	cat := catalogue(t)
	var st steps
	eff := &Effects{
		Engine:     &actions.Engine{Catalogue: cat, PagerDuty: pagerduty.Writer{Client: w.client}, User: "Alice Chen"},
		Notes:      w.client,
		RecordStep: st.record,
	}
	ctx := context.Background()
	now := time.Now()
	m := New(cat)
	m.Arm("Alice Chen", now.Add(-time.Minute))
	in := incident(w.incident, now)
	c := m.Observe([]Incident{in}, now).Start[0]

	ev, err := eff.Announce(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Kind != EventAnnounced || ev.Text != c.Announcement() {
		t.Errorf("event = %+v", ev)
	}
	notes, err := w.client.Notes(ctx, w.incident)
	if err != nil || len(notes) != 1 || notes[0].Content != c.Announcement() || notes[0].User.Name != "Alice Chen" {
		t.Fatalf("notes on the incident = %+v, %v", notes, err)
	}

	if _, found, err := eff.FindVeto(ctx, c); err != nil || found {
		t.Fatalf("a veto found before anyone wrote one (%v)", err)
	}
	if _, err := w.emu.AddNote(w.incident, w.bob, "veto: I am on it"); err != nil {
		t.Fatal(err)
	}
	n, found, err := eff.FindVeto(ctx, c)
	if err != nil || !found || n.Author != "Bob Stone" {
		t.Fatalf("veto = %+v, %v, %v; want Bob Stone's note", n, found, err)
	}

	// The run goes through the engine, as sitrep armed by Alice.
	state, result := eff.Run(ctx, c, nil)
	if state != Ran || result != "exit 0" {
		t.Fatalf("run = %s, %q", state, result)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	var kinds []string
	for i, r := range st.recs {
		kinds = append(kinds, r.Step)
		if r.Step == actions.StepConfirmed && (st.by[i] != "sitrep (armed by Alice Chen)" || r.ConfirmedBy != "sitrep (armed by Alice Chen)") {
			t.Errorf("confirmed by %q as %q", r.ConfirmedBy, st.by[i])
		}
	}
	if got := strings.Join(kinds, ","); !strings.HasPrefix(got, "previewed,confirmed,started") || !strings.Contains(got, "finished") {
		t.Errorf("steps journaled = %s", got)
	}
	notes, _ = w.client.Notes(ctx, w.incident)
	last := notes[len(notes)-1].Content
	if !strings.Contains(last, "restart_worker on search-indexer (staging) by sitrep (armed by Alice Chen): exit 0") {
		t.Errorf("the run's announcement = %q", last)
	}
}

func TestEffectsRunBlocked(t *testing.T) {
	w := newWorld(t)
	cat := catalogue(t)
	eff := &Effects{Engine: &actions.Engine{Catalogue: cat, PagerDuty: pagerduty.Writer{Client: w.client}, ReadOnly: true}, Notes: w.client}
	now := time.Now()
	in := incident(w.incident, now)
	c := Countdown{ID: in.ID + "/restart_worker", Action: "restart_worker", Incident: in, ArmedBy: "Alice Chen", AnnouncedAt: now, RunAt: now}
	state, result := eff.Run(context.Background(), c, nil)
	if state != Blocked || !strings.Contains(result, "read_only") {
		t.Errorf("run in read-only = %s, %q", state, result)
	}
	// A resolved incident is refused by the guards, not by the machine.
	in.Status = "resolved"
	c.Incident = in
	state, result = (&Effects{Engine: &actions.Engine{Catalogue: cat}}).Run(context.Background(), c, nil)
	if state != Blocked || !strings.Contains(result, "resolved") {
		t.Errorf("run on a resolved incident = %s, %q", state, result)
	}
}
