package tui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sitrep/actions"
)

const dryRunCatalogue = `
actions:
  - name: checked_restart
    title: Restart after a dry run
    explain: Echoes, after a dry run that must pass.
    runner: exec
    exec: {argv: [/bin/echo, restarted], dry_run: [/bin/echo, would restart]}
    risk: low
    guards: {confirm: none, require_dry_run: true}
    announce: {pagerduty: false}

  - name: slow_check
    title: A slow dry run
    explain: Its dry run sleeps thirty seconds.
    runner: exec
    exec: {argv: [/bin/echo, ran], dry_run: [/bin/sleep, "30"]}
    risk: low
    guards: {confirm: none, require_dry_run: true}
    announce: {pagerduty: false}
`

func dryRunHarness(t *testing.T) *actHarness {
	t.Helper()
	hn := newActHarness(t, 80, 24, false, nil)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "actions.yaml"), []byte(dryRunCatalogue), 0o644); err != nil {
		t.Fatal(err)
	}
	cat, probs := actions.Load(dir)
	if len(probs) > 0 {
		t.Fatalf("catalogue problems: %v", probs)
	}
	hn.acts.eng.Catalogue = cat
	return hn
}

func (r *actRecords) all() []actions.Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]actions.Record(nil), r.recs...)
}

// The preview of an action whose guards require a dry run is journaled
// once, after the dry run, with the verdict the engineer saw: not first as
// "blocked by dry_run" while the dry run was still running.
func TestPreviewJournaledOnceAfterItsDryRun(t *testing.T) {
	hn := dryRunHarness(t)
	p := hn.open("search-indexer", "checked")
	if !p.verdict.Allowed {
		t.Fatalf("verdict after the dry run = %s", p.verdict)
	}
	hn.press("esc")
	recs := hn.recs.all()
	if len(recs) != 1 || recs[0].Step != actions.StepPreviewed {
		t.Fatalf("records = %+v, want one previewed", recs)
	}
	if r := recs[0]; !strings.HasPrefix(r.Verdict, "allowed") || r.BlockedBy != "" || r.DryRunOK == nil || !*r.DryRunOK {
		t.Errorf("previewed record = %+v, want the allowed verdict after a good dry run", r)
	}
}

// A preview left with esc while its dry run runs is journaled once, when
// the dry run has stopped, as cancelled.
func TestPreviewLeftDuringItsDryRun(t *testing.T) {
	hn := dryRunHarness(t)
	hn.m.openPalette(hn.incident("search-indexer"))
	hn.typeText("slow")
	hn.press("enter")
	hn.until("the preview", func() bool { return hn.preview() != nil })
	if !hn.preview().dryRunning {
		t.Fatal("the dry run is not running")
	}
	if recs := hn.recs.all(); len(recs) != 0 {
		t.Errorf("journaled before the dry run settled: %+v", recs)
	}
	hn.press("esc")
	if hn.m.screen != nil {
		t.Fatal("esc did not leave the preview")
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(hn.recs.all()) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	recs := hn.recs.all()
	if len(recs) != 1 || recs[0].Step != actions.StepPreviewed {
		t.Fatalf("records = %+v, want one previewed", recs)
	}
	if r := recs[0]; r.DryRunOK == nil || *r.DryRunOK || !strings.HasPrefix(r.DryRun, "cancelled") {
		t.Errorf("previewed record = %+v, want a cancelled dry run", r)
	}
}
