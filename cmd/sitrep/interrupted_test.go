package main

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"sitrep/actions"
	"sitrep/sources/pagerduty"
	"sitrep/store/journal"
)

// The cockpit's start-up check names a run an earlier sitrep died during,
// and never a run this sitrep started after it opened the journal.
func TestCockpitStartupNamesInterruptedRun(t *testing.T) {
	j, err := journal.Open(filepath.Join(t.TempDir(), "journal.db"), journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	started := func(run string) {
		data, _ := json.Marshal(actions.Record{RunID: run, Incident: "PINC9", Step: actions.StepStarted, Action: "restart_service", Target: "payment-gateway", Env: "prod"})
		if _, err := j.Append(journal.Entry{Incident: "PINC9", Kind: "action.started", Actor: journal.ActorSitrep, Data: data}); err != nil {
			t.Fatal(err)
		}
	}
	started("before")
	env := &environment{cfg: &config{}, journal: j, startHead: startHead(j)}
	started("mine") // started by this sitrep, still running
	opts := env.tuiOptions(pagerduty.ScopeAll, false)
	if opts.StartupCheck == nil {
		t.Fatal("the cockpit gets no start-up check")
	}
	notice, err := joinChecks(opts.StartupCheck, func(context.Context) (string, error) { return "services: one key names no service", nil })(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	first, rest, _ := strings.Cut(notice, " · ")
	if !strings.Contains(first, "restart_service on payment-gateway in prod (incident PINC9)") || !strings.HasPrefix(first, "Interrupted when sitrep ended, effect unknown: ") {
		t.Errorf("notice = %q, want the interrupted run named first", notice)
	}
	if rest != "services: one key names no service" {
		t.Errorf("the other check's notice is lost: %q", notice)
	}
	es, err := j.Entries("PINC9")
	if err != nil {
		t.Fatal(err)
	}
	var marked []string
	for _, e := range es {
		if e.Kind == "action."+actions.StepInterrupted {
			var rec actions.Record
			_ = json.Unmarshal(e.Data, &rec)
			marked = append(marked, rec.RunID)
		}
	}
	if strings.Join(marked, ",") != "before" {
		t.Errorf("runs marked interrupted = %v, want [before]", marked)
	}
}

func TestJoinChecksKeepsAnErrorWhenNothingIsSaid(t *testing.T) {
	boom := errors.New("boom")
	got, err := joinChecks(nil, func(context.Context) (string, error) { return "", boom })(context.Background())
	if got != "" || !errors.Is(err, boom) {
		t.Errorf("joinChecks = %q, %v", got, err)
	}
}
