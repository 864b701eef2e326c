package stats

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"sitrep/actions"
	"sitrep/sources/pagerduty"
	"sitrep/store/journal"
)

var t0 = time.Date(2026, 11, 1, 3, 0, 0, 0, time.UTC)

// script builds journal entries the way sitrep writes them: the recorder's
// action records, the observer's sightings and PagerDuty log entries, the
// runbook's ticks and the engineer's notes.
type script struct {
	es  []journal.Entry
	run int
}

func (s *script) add(e journal.Entry) { s.es = append(s.es, e) }

func (s *script) seen(id, service string, at time.Time) {
	data, _ := json.Marshal(pagerduty.Incident{ID: id, Service: pagerduty.Ref{Name: service}, CreatedAt: at})
	s.add(journal.Entry{At: at, Incident: id, Kind: "seen", Actor: "sitrep", Data: data})
}

func (s *script) status(id, verb string, at time.Time) {
	s.add(journal.Entry{At: at, Incident: id, Kind: "status." + verb, Actor: "Alice"})
}

func (s *script) step(id string, at time.Time, rec actions.Record) {
	rec.Incident = id
	data, _ := json.Marshal(rec)
	s.add(journal.Entry{At: at, Incident: id, Kind: "action." + rec.Step, Actor: "sitrep", Data: data})
}

// runAction journals a whole run: previewed, confirmed, started, output,
// the end step, and the outcome when one is given.
func (s *script) runAction(id, action, service string, at time.Time, end, outcome string, ms int64, effect ...actions.MetricChange) {
	s.run++
	base := actions.Record{RunID: fmt.Sprintf("run-%d", s.run), Action: action, Target: service, Env: "prod", Verdict: "allowed"}
	for i, step := range []string{actions.StepPreviewed, actions.StepConfirmed, actions.StepStarted, actions.StepOutput, end} {
		r := base
		r.Step = step
		if step == actions.StepConfirmed || step == actions.StepStarted {
			r.ConfirmedBy = "Alice"
		}
		if step == end {
			r.DurationMS = ms
			r.Result = end
		}
		s.step(id, at.Add(time.Duration(i)*time.Second), r)
	}
	if outcome != "" {
		r := base
		r.Step, r.Outcome, r.Effect = actions.StepOutcome, outcome, effect
		s.step(id, at.Add(10*time.Second), r)
	}
}

func (s *script) blocked(id, action, service, rule string, at time.Time) {
	s.run++
	r := actions.Record{RunID: fmt.Sprintf("run-%d", s.run), Step: actions.StepPreviewed, Action: action, Target: service,
		Verdict: "blocked: " + rule, BlockedBy: rule}
	s.step(id, at, r)
}

func (s *script) tick(id, runbook, step string, checked bool, at time.Time) {
	verb := "unticked"
	if checked {
		verb = "ticked"
	}
	data, _ := json.Marshal(map[string]any{"runbook": runbook, "file": "r.md", "line": 3, "checked": checked})
	s.add(journal.Entry{At: at, Incident: id, Kind: "runbook.step", Actor: "Alice", Summary: verb + ": " + step, Data: data})
}

func (s *script) note(id, text string, at time.Time) {
	s.add(journal.Entry{At: at, Incident: id, Kind: "note", Actor: "Alice", Summary: text})
}

func (s *script) seq() iter.Seq2[journal.Entry, error] {
	return func(yield func(journal.Entry, error) bool) {
		for _, e := range s.es {
			if !yield(e, nil) {
				return
			}
		}
	}
}

func fixture() *script {
	s := &script{}
	// Four payment-gateway incidents, each acknowledged after 2, 4, 6, 8
	// minutes and resolved after 10, 20, 30, 40.
	for i := range 4 {
		id := fmt.Sprintf("PAY%d", i)
		start := t0.Add(time.Duration(i) * time.Hour)
		s.seen(id, "payment-gateway", start)
		s.status(id, "acknowledge", start.Add(time.Duration(2*(i+1))*time.Minute))
		s.status(id, "resolve", start.Add(time.Duration(10*(i+1))*time.Minute))
		s.add(journal.Entry{At: start.Add(time.Minute), Incident: id, Kind: "triage", Actor: "sitrep", Data: json.RawMessage(`{"class":"deploy regression"}`)})
		s.tick(id, "Payments 5xx", "Check the load balancer's health page", true, start.Add(3*time.Minute))
		s.note(id, fmt.Sprintf("Drained node %d and restarted nginx.", i+1), start.Add(5*time.Minute))
		s.runAction(id, "restart_service", "payment-gateway", start.Add(4*time.Minute), actions.StepFinished, "helped", int64(1000*(i+1)),
			actions.MetricChange{Name: "5xx rate", Before: 0.3 + 0.1*float64(i), After: 0.01})
	}
	// A fifth restart that helped, on its own incident, makes five.
	s.seen("PAY9", "payment-gateway", t0.Add(5*time.Hour))
	s.runAction("PAY9", "restart_service", "payment-gateway", t0.Add(5*time.Hour), actions.StepFinished, "helped", 5000)
	// A step ticked in two incidents only, and one ticked and unticked.
	s.tick("PAY0", "Payments 5xx", "Page the database team", true, t0.Add(6*time.Minute))
	s.tick("PAY1", "Payments 5xx", "Page the database team", true, t0.Add(time.Hour+6*time.Minute))
	s.tick("PAY2", "Payments 5xx", "Page the database team", false, t0.Add(2*time.Hour+6*time.Minute))

	// checkout-db: flush_cache failed twice, timed out once, finished
	// once and made things worse.
	s.seen("DB1", "checkout-db", t0.Add(6*time.Hour))
	s.status("DB1", "acknowledge", t0.Add(6*time.Hour+time.Minute))
	s.runAction("DB1", "flush_cache", "checkout-db", t0.Add(6*time.Hour+2*time.Minute), actions.StepFailed, "", 300)
	s.runAction("DB1", "flush_cache", "checkout-db", t0.Add(6*time.Hour+3*time.Minute), actions.StepFailed, "unknown", 400)
	s.runAction("DB1", "flush_cache", "checkout-db", t0.Add(6*time.Hour+4*time.Minute), actions.StepTimedOut, "no effect", 60000)
	s.runAction("DB1", "flush_cache", "checkout-db", t0.Add(6*time.Hour+5*time.Minute), actions.StepFinished, "worse", 500)
	s.runAction("DB1", "flush_cache", "checkout-db", t0.Add(6*time.Hour+6*time.Minute), actions.StepCancelled, "", 100)
	s.blocked("DB1", "flush_cache", "checkout-db", "rate_limit", t0.Add(6*time.Hour+7*time.Minute))
	s.blocked("DB1", "flush_cache", "checkout-db", "rate_limit", t0.Add(6*time.Hour+8*time.Minute))
	s.blocked("DB1", "restart_service", "checkout-db", "refuse_resolved", t0.Add(6*time.Hour+9*time.Minute))
	// Output noise that is no run of its own.
	s.add(journal.Entry{At: t0.Add(6 * time.Hour), Incident: "DB1", Kind: "enrichment", Summary: "x"})
	return s
}

func TestComputeCountsExactly(t *testing.T) {
	rep, err := Compute(fixture().seq(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Action{}
	for _, a := range rep.Actions {
		byName[a.Action] = a
	}
	rs := byName["restart_service"]
	wantRS := Action{Action: "restart_service", Runs: 5, ByHand: 5, Blocked: map[string]int{"refuse_resolved": 1},
		Outcomes: Outcomes{Helped: 5}, MedianDurationMS: 3000,
		Metrics: []Metric{{Name: "5xx rate", Runs: 4, Before: 0.45, After: 0.01}}}
	if fmt.Sprint(rs) != fmt.Sprint(wantRS) {
		t.Errorf("restart_service:\n got %+v\nwant %+v", rs, wantRS)
	}
	fc := byName["flush_cache"]
	wantFC := Action{Action: "flush_cache", Runs: 5, ByHand: 5, Failures: 2, Timeouts: 1, Cancels: 1,
		Blocked: map[string]int{"rate_limit": 2}, Outcomes: Outcomes{Worse: 1, NoEffect: 1, Unknown: 3}, MedianDurationMS: 400,
		Metrics: []Metric{}, LastWorse: &Worse{At: t0.Add(6*time.Hour + 5*time.Minute + 10*time.Second), Incident: "DB1", Service: "checkout-db"}}
	if fc.LastWorse == nil || *fc.LastWorse != *wantFC.LastWorse {
		t.Errorf("flush_cache's last worse = %+v, want %+v", fc.LastWorse, wantFC.LastWorse)
	}
	fc.LastWorse, wantFC.LastWorse = nil, nil
	if fmt.Sprint(fc) != fmt.Sprint(wantFC) {
		t.Errorf("flush_cache:\n got %+v %+v\nwant %+v %+v", fc, fc.LastWorse, wantFC, wantFC.LastWorse)
	}
	if rep.Actions[0].Action != "flush_cache" || len(rep.Actions) != 2 {
		t.Errorf("actions order = %+v, want most runs first, then by name", rep.Actions)
	}

	if len(rep.Services) != 2 {
		t.Fatalf("services = %+v", rep.Services)
	}
	pay := rep.Services[0]
	if pay.Service != "payment-gateway" || pay.Incidents != 5 || pay.Classes["deploy regression"] != 4 ||
		pay.Acknowledged != 4 || pay.MedianAckSeconds != 300 || pay.Resolved != 4 || pay.MedianResolveSeconds != 1500 ||
		fmt.Sprint(pay.Helped) != "[{restart_service 5}]" {
		t.Errorf("payment-gateway = %+v", pay)
	}
	db := rep.Services[1]
	if db.Service != "checkout-db" || db.Incidents != 1 || db.Acknowledged != 1 || db.MedianAckSeconds != 60 || db.Resolved != 0 || len(db.Helped) != 0 {
		t.Errorf("checkout-db = %+v", db)
	}

	var kinds []string
	for _, c := range rep.Candidates {
		kinds = append(kinds, c.Kind+":"+c.What)
	}
	want := []string{
		"runbook_step:Check the load balancer's health page",
		"action:restart_service",
		"note:Drained node 1 and restarted nginx.",
	}
	if !slices.Equal(kinds, want) {
		t.Errorf("candidates = %q, want %q", kinds, want)
	}
	if c := rep.Candidates[0]; c.Incidents != 4 || c.Runbook != "Payments 5xx" {
		t.Errorf("step candidate = %+v", c)
	}
	if c := rep.Candidates[2]; c.Incidents != 4 || c.Times != 4 {
		t.Errorf("note candidate = %+v", c)
	}

	if len(rep.Hurt) != 1 || rep.Hurt[0].Action != "flush_cache" || rep.Hurt[0].Worse != 1 || rep.Hurt[0].Failures != 3 {
		t.Errorf("hurt = %+v", rep.Hurt)
	}
}

func TestComputeWindow(t *testing.T) {
	// From PAY2's start on: PAY2, PAY3, PAY9 and DB1 are in the window;
	// PAY0 and PAY1 are not.
	rep, err := Compute(fixture().seq(), Options{Since: t0.Add(2 * time.Hour), Until: t0.Add(6 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Actions) != 1 || rep.Actions[0].Runs != 3 || rep.Actions[0].Outcomes.Helped != 3 {
		t.Errorf("actions = %+v, want restart_service's 3 runs in the window", rep.Actions)
	}
	if len(rep.Services) != 1 || rep.Services[0].Incidents != 3 {
		t.Errorf("services = %+v", rep.Services)
	}
	if len(rep.Candidates) != 0 {
		t.Errorf("candidates = %+v, want none: fewer than the thresholds in the window", rep.Candidates)
	}
}

func TestComputeStopsAtAnError(t *testing.T) {
	bad := errors.New("entry 7: undecodable")
	seq := func(yield func(journal.Entry, error) bool) {
		if !yield(journal.Entry{Kind: "note"}, nil) {
			return
		}
		yield(journal.Entry{}, bad)
	}
	if _, err := Compute(seq, Options{}); !errors.Is(err, bad) {
		t.Errorf("err = %v, want the sequence's", err)
	}
}

func TestComputeIgnoresBadData(t *testing.T) {
	s := &script{}
	s.add(journal.Entry{At: t0, Incident: "X", Kind: "action.finished", Data: json.RawMessage(`[1,2]`)})
	s.add(journal.Entry{At: t0, Incident: "X", Kind: "seen", Data: json.RawMessage(`"x"`)})
	s.add(journal.Entry{At: t0, Incident: "X", Kind: "runbook.step", Summary: "no colon", Data: json.RawMessage(`{"checked":true}`)})
	s.add(journal.Entry{At: t0, Incident: "X", Kind: "triage", Data: json.RawMessage(`{"class":7}`)})
	rep, err := Compute(s.seq(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Actions) != 0 || len(rep.Candidates) != 0 || len(rep.Services) != 1 || rep.Entries != 4 {
		t.Errorf("report = %+v", rep)
	}
}

func TestFromJournal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	j, err := journal.Open(path, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.AppendBatch(fixture().es); err != nil {
		t.Fatal(err)
	}
	want, _ := Compute(fixture().seq(), Options{})
	got, err := Compute(FromJournal(context.Background(), j), Options{})
	if err != nil {
		t.Fatal(err)
	}
	j.Close()
	a, _ := json.Marshal(got)
	b, _ := json.Marshal(want)
	if string(a) != string(b) {
		t.Errorf("from the journal:\n%s\nfrom the entries:\n%s", a, b)
	}
	// Stopping early stops the read.
	j, err = journal.Open(path, journal.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	n := 0
	for _, err := range FromJournal(context.Background(), j) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 3 {
			break
		}
	}
}

// A run whose steps start at "started" (its preview in another journal)
// is still read whole, and an escaped run ID is decoded, not cut.
func TestComputeRunWithoutPreview(t *testing.T) {
	s := &script{}
	for _, id := range []string{"run-1", `run-"2"`} {
		for _, step := range []string{actions.StepStarted, actions.StepFinished} {
			s.step("X", t0, actions.Record{RunID: id, Step: step, Action: "restart_service", Target: "api", ConfirmedBy: "Alice", DurationMS: 10})
		}
	}
	rep, err := Compute(s.seq(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Actions) != 1 || rep.Actions[0].Runs != 2 || rep.Actions[0].ByHand != 2 {
		t.Errorf("actions = %+v, want restart_service's 2 runs by hand", rep.Actions)
	}
	if got := runIDOf([]byte(`{"run_id":"abc","step":"started"}`)); got != "abc" {
		t.Errorf("runIDOf = %q", got)
	}
	if got := runIDOf([]byte(`{"run_id":"a\"b"}`)); got != "" {
		t.Errorf("runIDOf of an escaped ID = %q, want none", got)
	}
}
