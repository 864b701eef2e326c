package recorder_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"sitrep/actions"
	"sitrep/sources/pagerduty"
	"sitrep/store/journal"
	"sitrep/store/recorder"
)

func appendStep(t *testing.T, j *journal.Journal, rec actions.Record) {
	t.Helper()
	data, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Append(journal.Entry{Incident: rec.Incident, Kind: "action." + rec.Step, Actor: journal.ActorSitrep, Summary: rec.Action + " " + rec.Step, Data: data}); err != nil {
		t.Fatal(err)
	}
}

func markAtStart(t *testing.T, path string) []recorder.Interrupted {
	t.Helper()
	j, err := journal.Open(path, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	head, err := j.Head()
	if err != nil {
		t.Fatal(err)
	}
	runs, err := recorder.MarkInterrupted(context.Background(), j, head.Seq)
	if err != nil {
		t.Fatal(err)
	}
	return runs
}

// A run journaled as started, with no end, is marked interrupted at the
// next start — once, however often sitrep starts — and the export says
// so; runs that ended are left alone.
func TestInterruptedRunMarkedOnceAndExported(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	j, err := journal.Open(path, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const inc = "PINC1"
	seen, _ := json.Marshal(pagerduty.Incident{ID: inc, Title: "5xx rate above 5%", Status: "triggered", Service: pagerduty.Ref{Name: "payment-gateway"}})
	if _, err := j.Append(journal.Entry{Incident: inc, Kind: "seen", Actor: journal.ActorSitrep, Data: seen}); err != nil {
		t.Fatal(err)
	}
	base := actions.Record{Incident: inc, Action: "restart_service", Title: "Restart the service", Runner: "exec", Target: "payment-gateway", Env: "prod"}
	step := func(run, s string, result string) {
		r := base
		r.RunID, r.Step, r.Result = run, s, result
		appendStep(t, j, r)
	}
	step("run-ok", actions.StepConfirmed, "")
	step("run-ok", actions.StepStarted, "")
	step("run-ok", actions.StepFinished, "exit 0")
	step("run-cancel", actions.StepStarted, "")
	step("run-cancel", actions.StepCancelled, "cancelled")
	step("run-dead", actions.StepConfirmed, "")
	step("run-dead", actions.StepStarted, "")
	step("run-dead", actions.StepOutput, "")
	step("run-blocked", actions.StepBlocked, "")
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	runs := markAtStart(t, path)
	if len(runs) != 1 || runs[0].RunID != "run-dead" || runs[0].Incident != inc || runs[0].Action != "restart_service" {
		t.Fatalf("interrupted = %+v, want run-dead alone", runs)
	}
	notice := recorder.InterruptedNotice(runs)
	for _, want := range []string{"restart_service on payment-gateway in prod", inc, "Interrupted", "effect unknown"} {
		if !strings.Contains(notice, want) {
			t.Errorf("notice %q does not say %q", notice, want)
		}
	}
	if again := markAtStart(t, path); len(again) != 0 {
		t.Errorf("the second start marked %+v again", again)
	}

	j, err = journal.Open(path, journal.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	es, err := j.Entries(inc)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range es {
		if e.Kind == "action."+actions.StepInterrupted {
			n++
			var rec actions.Record
			if err := json.Unmarshal(e.Data, &rec); err != nil || rec.RunID != "run-dead" || rec.Result != actions.ResultInterrupted {
				t.Errorf("interrupted entry: %s (%v)", e.Data, err)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d interrupted entries, want exactly 1", n)
	}
	if rep, err := j.Verify(context.Background()); err != nil || !rep.OK {
		t.Errorf("verify after marking: %v %v", rep, err)
	}

	var md bytes.Buffer
	if err := recorder.New(j, nil, "").ExportTo(context.Background(), &md, inc); err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, line := range strings.Split(md.String(), "\n") {
		if strings.HasPrefix(line, "| ") && strings.Contains(line, "| payment-gateway in prod |") {
			rows = append(rows, line)
		}
	}
	// In order: run-ok, run-cancel, run-dead; run-blocked never ran, so
	// it is an attempt below the table, not a row.
	if len(rows) != 3 {
		t.Fatalf("Actions taken rows = %d, want 3:\n%s", len(rows), md.String())
	}
	if !strings.Contains(md.String(), "### Attempts") {
		t.Errorf("the blocked run is not listed among the attempts:\n%s", md.String())
	}
	for i, row := range rows {
		if got := strings.Contains(row, "| interrupted — effect unknown |"); got != (i == 2) {
			t.Errorf("row %d says interrupted = %v: %s", i, got, row)
		}
	}
}

// Runs this process may have started after the head it read are never
// taken for interrupted ones.
func TestInterruptedStopsAtTheHead(t *testing.T) {
	j, err := journal.Open(filepath.Join(t.TempDir(), "journal.db"), journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	head, err := j.Head()
	if err != nil {
		t.Fatal(err)
	}
	appendStep(t, j, actions.Record{RunID: "run-now", Incident: "PINC2", Step: actions.StepStarted, Action: "restart_service"})
	runs, err := recorder.MarkInterrupted(context.Background(), j, head.Seq)
	if err != nil || len(runs) != 0 {
		t.Errorf("a run started after the head was marked: %+v %v", runs, err)
	}
}

// BenchmarkMarkInterrupted100k is the start-up scan over a journal of
// 100,000 entries, a tenth of them action steps, none left open.
func BenchmarkMarkInterrupted100k(b *testing.B) {
	j, err := journal.Open(filepath.Join(b.TempDir(), "journal.db"), journal.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	batch := make([]journal.Entry, 0, 1000)
	for i := range 100_000 {
		e := journal.Entry{Incident: "PINC" + strconv.Itoa(i%50), Kind: "note", Actor: "Alice", Summary: "a note of ordinary length about what was seen"}
		if i%10 == 0 {
			step := actions.StepStarted
			if i%20 == 10 {
				step = actions.StepFinished
			}
			data, _ := json.Marshal(actions.Record{RunID: "run-" + strconv.Itoa(i/20), Step: step, Action: "restart_service", Target: "payment-gateway", Env: "prod"})
			e.Kind, e.Data = "action."+step, data
		}
		if batch = append(batch, e); len(batch) == cap(batch) {
			if _, err := j.AppendBatch(batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	head, err := j.Head()
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		runs, err := recorder.MarkInterrupted(context.Background(), j, head.Seq)
		if err != nil || len(runs) != 0 {
			b.Fatalf("%v %v", runs, err)
		}
	}
}
