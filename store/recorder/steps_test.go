package recorder_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"sitrep/actions"
	"sitrep/store/journal"
	"sitrep/store/recorder"
)

// clockJournal is a journal whose entries are stamped by a clock the test
// moves.
func clockJournal(t *testing.T) (*journal.Journal, *time.Time) {
	t.Helper()
	now := time.Date(2026, 3, 4, 2, 0, 0, 0, time.UTC)
	j, err := journal.Open(filepath.Join(t.TempDir(), "journal.db"), journal.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j, &now
}

func allEntries(t *testing.T, j *journal.Journal) []journal.Entry {
	t.Helper()
	var out []journal.Entry
	if err := j.Each(context.Background(), 1, func(e journal.Entry) error { out = append(out, e); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRecordActionStepWritesAsSitrepAndTheEngineerOnlyForTheirSteps(t *testing.T) {
	j, _ := clockJournal(t)
	rec := recorder.New(j, nil, "")
	run := actions.Record{RunID: "r1", Incident: "Q1", Action: "restart", Target: "payment-gateway", Env: "prod"}
	cases := []struct {
		step, engineer string
		edit           func(*actions.Record)
		actor, summary string
	}{
		{actions.StepPreviewed, "Alice Chen", nil, journal.ActorSitrep, "restart previewed on payment-gateway (prod)"},
		{actions.StepBlocked, "Alice Chen", func(r *actions.Record) { r.BlockedBy = "rate limit" }, journal.ActorSitrep, "restart blocked on payment-gateway (prod): blocked by rate limit"},
		{actions.StepConfirmed, "Alice Chen", nil, "Alice Chen", "restart confirmed on payment-gateway (prod)"},
		{actions.StepConfirmed, "", nil, journal.ActorSitrep, "restart confirmed on payment-gateway (prod)"},
		{actions.StepStarted, "Alice Chen", nil, journal.ActorSitrep, "restart started on payment-gateway (prod)"},
		{actions.StepFinished, "Alice Chen", func(r *actions.Record) { r.Result = "exit 0" }, journal.ActorSitrep, "restart finished on payment-gateway (prod): exit 0"},
		{actions.StepOutcome, "Alice Chen", func(r *actions.Record) { r.Outcome = "helped" }, "Alice Chen", "restart outcome on payment-gateway (prod): helped"},
	}
	for _, c := range cases {
		r := run
		r.Step = c.step
		if c.edit != nil {
			c.edit(&r)
		}
		if err := rec.RecordActionStep(r, c.engineer); err != nil {
			t.Fatalf("%s: %v", c.step, err)
		}
	}
	got := allEntries(t, j)
	if len(got) != len(cases) {
		t.Fatalf("journaled %d entries, want %d", len(got), len(cases))
	}
	for i, c := range cases {
		e := got[i]
		if e.Kind != "action."+c.step || e.Actor != c.actor || e.Summary != c.summary || e.Incident != "Q1" {
			t.Errorf("step %s (engineer %q): got kind %q actor %q summary %q incident %q; want %q %q %q Q1",
				c.step, c.engineer, e.Kind, e.Actor, e.Summary, e.Incident, "action."+c.step, c.actor, c.summary)
		}
		var back actions.Record
		if err := json.Unmarshal(e.Data, &back); err != nil || back.RunID != "r1" || back.Step != c.step {
			t.Errorf("step %s: data %s does not hold the record (%v)", c.step, e.Data, err)
		}
	}
}

func TestRunHistoryReturnsTheStartsInTheWindow(t *testing.T) {
	j, now := clockJournal(t)
	rec := recorder.New(j, nil, "")
	start := *now
	step := func(at time.Duration, action, target, s string) {
		t.Helper()
		*now = start.Add(at)
		if err := rec.RecordActionStep(actions.Record{RunID: action + at.String(), Step: s, Action: action, Target: target, Env: "prod"}, "Alice Chen"); err != nil {
			t.Fatal(err)
		}
	}
	step(0, "restart", "payment-gateway", actions.StepStarted) // before the window
	step(10*time.Minute, "restart", "payment-gateway", actions.StepStarted)
	step(11*time.Minute, "restart", "payment-gateway", actions.StepFinished) // not a start
	step(12*time.Minute, "restart", "checkout", actions.StepStarted)         // another service
	step(13*time.Minute, "rollback", "payment-gateway", actions.StepStarted) // another action
	step(20*time.Minute, "restart", "payment-gateway", actions.StepStarted)
	if err := rec.Record(context.Background(), journal.Entry{Incident: "Q1", Kind: "note", Actor: "Alice Chen", Summary: "restart started by hand"}); err != nil {
		t.Fatal(err)
	}

	got, err := rec.RunHistory(context.Background(), "restart", "payment-gateway", start.Add(5*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Time{start.Add(10 * time.Minute), start.Add(20 * time.Minute)}
	if len(got) != len(want) || !got[0].Equal(want[0]) || !got[1].Equal(want[1]) {
		t.Fatalf("RunHistory = %v, want %v", got, want)
	}
	if got, _ := rec.RunHistory(context.Background(), "restart", "payment-gateway", start.Add(time.Hour)); len(got) != 0 {
		t.Errorf("no start after the window's beginning, RunHistory = %v", got)
	}
	if n := len(allEntries(t, j)); n != 7 {
		t.Errorf("the journal holds %d entries after the lookups, want 7: RunHistory must write nothing", n)
	}
}

func TestRecordExportWritesAsTheEngineerUnlessReadOnly(t *testing.T) {
	j, _ := clockJournal(t)
	rec := recorder.New(j, nil, "")
	if err := rec.RecordExport(context.Background(), "Q1", "/tmp/q1.md", 42); err != nil {
		t.Fatal(err)
	}
	got := allEntries(t, j)
	if len(got) != 1 {
		t.Fatalf("journaled %d entries, want 1", len(got))
	}
	e := got[0]
	// No PagerDuty access: the engineer cannot be named, and the entry
	// says so instead of naming sitrep.
	if e.Kind != "export" || e.Actor != "unknown user (no PagerDuty access)" || e.Summary != "exported the post-mortem draft to /tmp/q1.md" {
		t.Errorf("export entry = %q %q %q", e.Kind, e.Actor, e.Summary)
	}
	var data struct {
		Path  string `json:"path"`
		Bytes int    `json:"bytes"`
	}
	if err := json.Unmarshal(e.Data, &data); err != nil || data.Path != "/tmp/q1.md" || data.Bytes != 42 {
		t.Errorf("export data = %s (%v)", e.Data, err)
	}

	// A read-only journal (a running sitrep holds it) records nothing,
	// and that is not an error: the export itself was written.
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	ro, err := journal.Open(j.Path(), journal.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if err := recorder.New(ro, nil, "").RecordExport(context.Background(), "Q1", "stdout", 42); err != nil {
		t.Errorf("RecordExport on a read-only journal = %v, want nil", err)
	}
	if n := len(allEntries(t, ro)); n != 1 {
		t.Errorf("the read-only journal holds %d entries, want the 1 written before", n)
	}
}

func TestQueuedWriteEntriesAreWrittenAsSitrep(t *testing.T) {
	j, _ := clockJournal(t)
	rec := recorder.New(j, nil, "")
	for _, e := range []journal.Entry{
		recorder.AnnouncementEntry("Q1", "Alice Chen is restarting payment-gateway"),
		recorder.PagerDutyRequestEntry("Q1", "escalate Q1 to level 2"),
	} {
		if err := rec.Record(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	got := allEntries(t, j)
	want := []struct{ kind, summary string }{
		{"announcement", "Alice Chen is restarting payment-gateway"},
		{"pagerduty.request", "escalate Q1 to level 2 (queued for PagerDuty)"},
	}
	if len(got) != len(want) {
		t.Fatalf("journaled %d entries, want %d", len(got), len(want))
	}
	for i, w := range want {
		if got[i].Kind != w.kind || got[i].Actor != journal.ActorSitrep || got[i].Summary != w.summary || got[i].Incident != "Q1" {
			t.Errorf("entry %d = %q %q %q, want %q sitrep %q", i, got[i].Kind, got[i].Actor, got[i].Summary, w.kind, w.summary)
		}
	}
}
