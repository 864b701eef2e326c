package auto

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sitrep/actions"
)

const catalogueYAML = `
actions:
  - name: restart_worker
    explain: Restarts the worker; safe because it drains first.
    applies: {envs: [staging, prod]}
    params:
      service: {pattern: '[a-z0-9-]+', from: service}
    runner: exec
    exec: {argv: [echo, "{{.service}}"]}
    risk: medium
    auto:
      when: {envs: [staging], services: [search-*], urgency: low, max_age: 10m}
      notify_first: 20s
      max_runs_per_incident: 2
      max_runs_per_hour: 3
  - name: flush_cache
    explain: Flushes the cache; safe because it refills.
    runner: exec
    exec: {argv: [echo, flush]}
    risk: low
    auto:
      when: {envs: [staging], classes: [capacity], alert: {source: "^cache-", severity: warning}}
      notify_first: 1m
`

func catalogue(t *testing.T) *actions.Catalogue {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "actions.yaml"), []byte(catalogueYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	cat, probs := actions.Load(dir)
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	return cat
}

var t0 = time.Date(2026, 3, 14, 3, 0, 0, 0, time.UTC)

func incident(id string, at time.Time) Incident {
	return Incident{ID: id, Number: 7, Title: "indexer stuck", Status: "triggered", Service: "search-indexer", Env: "staging",
		Urgency: "low", CreatedAt: at, TriggeredAt: at}
}

func TestMatches(t *testing.T) {
	cat := catalogue(t)
	rw, _ := cat.Lookup("restart_worker")
	fc, _ := cat.Lookup("flush_cache")
	base := incident("Q1", t0)
	tests := []struct {
		name     string
		a        *actions.Action
		change   func(*Incident)
		now      time.Time
		ok, wait bool
	}{
		{"matches", rw, nil, t0, true, false},
		{"other env", rw, func(in *Incident) { in.Env = "prod" }, t0, false, false},
		{"other service", rw, func(in *Incident) { in.Service = "checkout-api" }, t0, false, false},
		{"high urgency", rw, func(in *Incident) { in.Urgency = "high" }, t0, false, false},
		{"too old", rw, nil, t0.Add(11 * time.Minute), false, false},
		{"classes unknown yet", fc, nil, t0, false, true},
		{"class and alert", fc, func(in *Incident) {
			in.Detailed, in.Classes = true, []string{"capacity"}
			in.Alerts = []Alert{{"source": "db", "severity": "warning"}, {"source": "cache-eu", "severity": "warning"}}
		}, t0, true, false},
		{"fields in different alerts", fc, func(in *Incident) {
			in.Detailed, in.Classes = true, []string{"capacity"}
			in.Alerts = []Alert{{"source": "cache-eu", "severity": "error"}, {"source": "db", "severity": "warning"}}
		}, t0, false, false},
		{"other class", fc, func(in *Incident) {
			in.Detailed, in.Classes = true, []string{"network"}
			in.Alerts = []Alert{{"source": "cache-eu", "severity": "warning"}}
		}, t0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := base
			if tt.change != nil {
				tt.change(&in)
			}
			ok, wait := Matches(tt.a, in, tt.now)
			if ok != tt.ok || wait != tt.wait {
				t.Errorf("Matches = %v, %v; want %v, %v", ok, wait, tt.ok, tt.wait)
			}
		})
	}
}

func TestOnlyWhenArmedAndNew(t *testing.T) {
	m := New(catalogue(t))
	if d := m.Observe([]Incident{incident("Q1", t0)}, t0); len(d.Start) != 0 {
		t.Fatalf("disarmed machine started %v", d.Start)
	}
	m.Arm("Alice Chen", t0.Add(time.Minute))
	old := incident("Q1", t0) // triggered before the arming
	fresh := incident("Q2", t0.Add(2*time.Minute))
	d := m.Observe([]Incident{old, fresh}, t0.Add(2*time.Minute))
	if len(d.Start) != 1 || d.Start[0].Incident.ID != "Q2" || d.Start[0].Action != "restart_worker" {
		t.Fatalf("started %+v, want restart_worker on Q2 only", d.Start)
	}
	c := d.Start[0]
	if c.State != Announced || !c.RunAt.Equal(t0.Add(2*time.Minute+20*time.Second)) || c.ArmedBy != "Alice Chen" {
		t.Errorf("countdown = %+v", c)
	}
	want := "sitrep will run restart_worker on search-indexer at 03:02:20 UTC unless vetoed — armed by Alice Chen"
	if !strings.HasPrefix(c.Announcement(), want) {
		t.Errorf("announcement = %q, want it to begin %q", c.Announcement(), want)
	}
	// Seen again, the same triggering starts nothing more.
	if d := m.Observe([]Incident{fresh}, t0.Add(3*time.Minute)); len(d.Start) != 0 {
		t.Errorf("second look started %v", d.Start)
	}
	acked := incident("Q3", t0.Add(2*time.Minute))
	acked.Status = "acknowledged"
	if d := m.Observe([]Incident{acked}, t0.Add(3*time.Minute)); len(d.Start) != 0 {
		t.Errorf("an acknowledged incident started %v", d.Start)
	}
}

func TestNeedDetailThenMatch(t *testing.T) {
	m := New(catalogue(t))
	m.Arm("Alice Chen", t0)
	in := incident("Q1", t0.Add(time.Second))
	in.Service = "cache"
	d := m.Observe([]Incident{in}, t0.Add(time.Second))
	if len(d.Start) != 0 || len(d.NeedDetail) != 1 || d.NeedDetail[0] != "Q1" {
		t.Fatalf("decision %+v, want Q1's detail asked for", d)
	}
	in.Detailed, in.Classes, in.Alerts = true, []string{"capacity"}, []Alert{{"source": "cache-1", "severity": "warning"}}
	d = m.Observe([]Incident{in}, t0.Add(2*time.Second))
	if len(d.Start) != 1 || d.Start[0].Action != "flush_cache" {
		t.Fatalf("decision %+v, want flush_cache", d)
	}
}

func TestStateMachine(t *testing.T) {
	m := New(catalogue(t))
	m.Arm("Alice Chen", t0)
	at := t0.Add(time.Second)
	c := m.Observe([]Incident{incident("Q1", at)}, at).Start[0]
	if due := m.Tick(c.RunAt); len(due) != 0 {
		t.Fatalf("ran before its announcement was posted: %v", due)
	}
	if got, _ := m.AnnounceDone(c.ID, nil, at); got.State != Counting {
		t.Fatalf("state after announcing = %s", got.State)
	}
	if due := m.Tick(c.RunAt.Add(-time.Millisecond)); len(due) != 0 {
		t.Fatalf("ran early: %v", due)
	}
	due := m.Tick(c.RunAt)
	if len(due) != 1 || due[0].State != Running {
		t.Fatalf("due = %v", due)
	}
	if _, ok := m.Veto(c.ID, "Bob", ViaKey, c.RunAt); ok {
		t.Error("a running countdown was vetoed")
	}
	got, ok := m.Finished(c.ID, Ran, "exit 0", c.RunAt.Add(time.Second))
	if !ok || got.State != Ran || got.Result != "exit 0" {
		t.Errorf("finished = %+v, %v", got, ok)
	}
	if len(m.Pending()) != 0 {
		t.Errorf("pending after the run: %v", m.Pending())
	}

	// A failed announcement cancels: nobody was told, so nothing runs.
	c2 := m.Observe([]Incident{incident("Q2", at)}, at).Start[0]
	got, _ = m.AnnounceDone(c2.ID, errors.New("journal full"), at)
	if got.State != Cancelled || got.Via != ViaAnnounce || !strings.Contains(got.Ending(), "journal full") {
		t.Errorf("after a failed announcement: %+v (%q)", got, got.Ending())
	}
	if due := m.Tick(c2.RunAt.Add(time.Hour)); len(due) != 0 {
		t.Errorf("a cancelled countdown ran: %v", due)
	}
}

func TestVetoAndCancel(t *testing.T) {
	m := New(catalogue(t))
	m.Arm("Alice Chen", t0)
	at := t0.Add(time.Second)
	c := m.Observe([]Incident{incident("Q1", at)}, at).Start[0]
	m.AnnounceDone(c.ID, nil, at)
	got, ok := m.VetoIncident("Q1", "Bob Stone", ViaNote, at.Add(5*time.Second))
	if !ok || got.State != Vetoed || got.By != "Bob Stone" {
		t.Fatalf("veto = %+v, %v", got, ok)
	}
	if want := "vetoed by Bob Stone by a note on the incident"; !strings.Contains(got.Ending(), want) {
		t.Errorf("ending %q lacks %q", got.Ending(), want)
	}
	if due := m.Tick(c.RunAt); len(due) != 0 {
		t.Errorf("a vetoed countdown ran: %v", due)
	}
	if ev := EndEvent(got); ev.Kind != EventVetoed {
		t.Errorf("event kind = %s", ev.Kind)
	}

	c2 := m.Observe([]Incident{incident("Q2", at)}, at).Start[0]
	m.AnnounceDone(c2.ID, nil, at)
	cancelled := m.CancelAll("sitrep watch stopped (SIGTERM)", ViaShutdown, at.Add(time.Second))
	if len(cancelled) != 1 || cancelled[0].ID != c2.ID || cancelled[0].State != Cancelled {
		t.Fatalf("cancelled = %+v", cancelled)
	}
	if !strings.Contains(cancelled[0].Ending(), "SIGTERM") {
		t.Errorf("ending = %q", cancelled[0].Ending())
	}
	if due := m.Tick(c2.RunAt); len(due) != 0 {
		t.Errorf("a cancelled countdown ran: %v", due)
	}
}

func TestRateLimits(t *testing.T) {
	m := New(catalogue(t))
	m.Arm("Alice Chen", t0)
	run := func(id string, at time.Time) (Countdown, bool) {
		t.Helper()
		in := incident(id, at)
		d := m.Observe([]Incident{in}, at)
		if len(d.Start) == 0 {
			return Countdown{}, false
		}
		c := d.Start[0]
		m.AnnounceDone(c.ID, nil, at)
		m.Tick(c.RunAt)
		m.Finished(c.ID, Ran, "exit 0", c.RunAt)
		return c, true
	}
	for i, id := range []string{"Q1", "Q2", "Q3"} {
		if _, ok := run(id, t0.Add(time.Duration(i+1)*time.Minute)); !ok {
			t.Fatalf("run %d on %s did not start", i+1, id)
		}
	}
	// The fourth within the hour is held back, and says why.
	at := t0.Add(5 * time.Minute)
	d := m.Observe([]Incident{incident("Q4", at)}, at)
	if len(d.Start) != 0 || len(d.Skipped) != 1 || !strings.Contains(d.Skipped[0].Reason, "max_runs_per_hour") {
		t.Fatalf("fourth run: %+v", d)
	}
	// An hour after the first, one is free again.
	if _, ok := run("Q5", t0.Add(61*time.Minute+30*time.Second)); !ok {
		t.Error("no run an hour later")
	}

	// Per incident: it triggers again after each run, and the third
	// triggering finds the limit of two.
	m2 := New(catalogue(t))
	m2.Arm("Alice Chen", t0)
	m = m2
	for i := range 2 {
		if _, ok := run("Q9", t0.Add(time.Duration(i+1)*time.Minute)); !ok {
			t.Fatalf("run %d on Q9 did not start", i+1)
		}
	}
	at = t0.Add(3 * time.Minute)
	d = m2.Observe([]Incident{incident("Q9", at)}, at)
	if len(d.Start) != 0 || len(d.Skipped) != 1 || !strings.Contains(d.Skipped[0].Reason, "max_runs_per_incident") {
		t.Fatalf("third triggering: %+v", d)
	}

	// Pending countdowns count too, and a run a guard blocked does not.
	m3 := New(catalogue(t))
	m3.Arm("Alice Chen", t0)
	m3.Seed([]Run{{Action: "restart_worker", Incident: "QX", At: t0.Add(-10 * time.Minute)}})
	for i, id := range []string{"QA", "QB"} {
		at := t0.Add(time.Duration(i+1) * time.Second)
		if len(m3.Observe([]Incident{incident(id, at)}, at).Start) != 1 {
			t.Fatalf("%s did not start", id)
		}
	}
	at = t0.Add(3 * time.Second)
	if d := m3.Observe([]Incident{incident("QC", at)}, at); len(d.Start) != 0 {
		t.Fatalf("a seeded run and two pending countdowns left room for a fourth: %+v", d)
	}
	c, _ := m3.Get("QA/restart_worker")
	m3.AnnounceDone(c.ID, nil, at)
	m3.Tick(c.RunAt)
	m3.Finished(c.ID, Blocked, "blocked: time_window", c.RunAt)
	at = c.RunAt.Add(time.Second)
	in := incident("QD", at)
	if d := m3.Observe([]Incident{in}, at); len(d.Start) != 1 {
		t.Errorf("a blocked run still counted against the hour: %+v", d)
	}
}

func TestVetoNotes(t *testing.T) {
	c := Countdown{AnnouncedAt: t0}
	notes := []Note{
		{Content: "veto", Author: "Old Timer", At: t0.Add(-time.Minute)}, // before the countdown
		{Content: "sitrep will run x unless vetoed", Author: "Alice Chen", At: t0},
		{Content: "not a veto", Author: "Carol", At: t0.Add(time.Second)},
		{Content: "VETO: looking at it", Author: "Bob Stone", At: t0.Add(3 * time.Second)},
		{Content: "veto", Author: "Dan", At: t0.Add(4 * time.Second)},
	}
	n, ok := VetoIn(notes, c, 5*time.Second)
	if !ok || n.Author != "Bob Stone" {
		t.Fatalf("veto = %+v, %v; want Bob Stone's", n, ok)
	}
	for text, want := range map[string]bool{"veto": true, " Veto.": true, "veto — Bob in sitrep": true, "vetoed": false, "no veto": false, "": false} {
		if IsVeto(text) != want {
			t.Errorf("IsVeto(%q) = %v", text, !want)
		}
	}
}

func TestDisarm(t *testing.T) {
	m := New(catalogue(t))
	m.Arm("Alice Chen", t0)
	at := t0.Add(time.Second)
	m.Observe([]Incident{incident("Q1", at)}, at)
	got := m.Disarm(at)
	if len(got) != 1 || got[0].Via != ViaDisarmed {
		t.Fatalf("disarm cancelled %+v", got)
	}
	if _, _, armed := m.Armed(); armed {
		t.Error("still armed")
	}
	if d := m.Observe([]Incident{incident("Q2", at)}, at); len(d.Start) != 0 {
		t.Error("a disarmed machine started a countdown")
	}
	if a := Actor("Alice Chen"); a != "sitrep (armed by Alice Chen)" {
		t.Errorf("actor = %q", a)
	}
}
