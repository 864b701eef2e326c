package actions

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const previewJournalCatalogue = `
actions:
  - name: checked_restart
    explain: Echoes, after a dry run that must pass.
    runner: exec
    exec: {argv: [echo, restarted], dry_run: [echo, would restart]}
    risk: low
    guards: {confirm: none, require_dry_run: true}
    announce: {pagerduty: false}

  - name: slow_check
    explain: A dry run that outlasts the engineer's patience.
    runner: exec
    exec: {argv: [echo, ran], dry_run: [sleep, "30"]}
    risk: low
    guards: {confirm: none, require_dry_run: true}
    announce: {pagerduty: false}

  - name: unchecked
    explain: Echoes; has no dry run.
    runner: exec
    exec: {argv: [echo, ran]}
    risk: low
    guards: {confirm: none}
    announce: {pagerduty: false}
`

func previewJournalEngine(t *testing.T) (*Engine, *recorder) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "actions.yaml"), []byte(previewJournalCatalogue), 0o644); err != nil {
		t.Fatal(err)
	}
	c, probs := Load(dir)
	if len(probs) > 0 {
		t.Fatalf("catalogue problems: %v", probs)
	}
	e, rec, _ := testEngine(t, nil)
	e.Catalogue = c
	return e, rec
}

func (r *recorder) all() []Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Record(nil), r.recs...)
}

// A preview is journaled once, when its dry run has settled, with the
// verdict that followed: not first as "blocked by dry_run" for a dry run
// that had not run yet.
func TestPreviewJournaledOnceWithTheSettledVerdict(t *testing.T) {
	e, rec := previewJournalEngine(t)
	p, err := e.Prepare(context.Background(), "checked_restart", nil, stagingIncident)
	if err != nil {
		t.Fatal(err)
	}
	if got := rec.steps(); got != "" {
		t.Errorf("journaled before the dry run ran: %s", rec.json(t))
	}
	if res := p.DryRun(context.Background(), nil); !res.OK {
		t.Fatalf("dry run = %+v", res)
	}
	recs := rec.all()
	if len(recs) != 1 || recs[0].Step != StepPreviewed {
		t.Fatalf("records = %s, want one previewed", rec.json(t))
	}
	r := recs[0]
	if !strings.HasPrefix(r.Verdict, "allowed") || r.BlockedBy != "" || r.DryRunOK == nil || !*r.DryRunOK ||
		!strings.Contains(r.DryRun, "would restart") {
		t.Errorf("previewed record = %+v", r)
	}
	// Asking again journals nothing more: it is the same preview.
	p.DryRun(context.Background(), nil)
	if got := rec.steps(); got != StepPreviewed {
		t.Errorf("steps after a second dry run = %s", got)
	}
}

// A preview closed while its dry run runs is journaled once, when the dry
// run has stopped, and says the dry run was cancelled.
func TestPreviewClosedDuringItsDryRun(t *testing.T) {
	e, rec := previewJournalEngine(t)
	p, err := e.Prepare(context.Background(), "slow_check", nil, stagingIncident)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan Result)
	go func() { done <- p.DryRun(ctx, nil) }()
	cancel()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the dry run outlived its context")
	}
	recs := rec.all()
	if len(recs) != 1 || recs[0].Step != StepPreviewed {
		t.Fatalf("records = %s, want one previewed", rec.json(t))
	}
	if r := recs[0]; r.DryRunOK == nil || *r.DryRunOK || !strings.HasPrefix(r.DryRun, "cancelled") {
		t.Errorf("previewed record = %+v, want a cancelled dry run", r)
	}
}

// Without a dry run the preview is settled when prepared, and journaled
// then, once; in read-only mode an action with a dry run is journaled as
// previewed with no dry run.
func TestPreviewJournaledOnceWithoutADryRun(t *testing.T) {
	e, rec := previewJournalEngine(t)
	p, err := e.Prepare(context.Background(), "unchecked", nil, stagingIncident)
	if err != nil {
		t.Fatal(err)
	}
	p.DryRun(context.Background(), nil)
	if got := rec.steps(); got != StepPreviewed {
		t.Errorf("steps = %s, want one previewed", got)
	}

	e, rec = previewJournalEngine(t)
	e.ReadOnly = true
	p, err = e.Prepare(context.Background(), "checked_restart", nil, stagingIncident)
	if err != nil {
		t.Fatal(err)
	}
	p.DryRun(context.Background(), nil)
	recs := rec.all()
	if len(recs) != 1 || recs[0].DryRun != "read-only: no dry run" || recs[0].BlockedBy != RuleReadOnly {
		t.Errorf("read-only records = %s", rec.json(t))
	}
}
