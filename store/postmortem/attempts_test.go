package postmortem

import (
	"strings"
	"testing"

	"sitrep/actions"
	"sitrep/store/journal"
)

// withAttempts is the payment-gateway storyline with what an engineer
// tries on the way: previews left with esc (twice the same way), a preview
// the guards blocked, one closed while its dry run ran, a parameter the
// catalogue refused, a confirmation the guards refused, and a second run
// of an action that has no dry run.
func withAttempts(t testing.TB) Input {
	t.Helper()
	in := paymentGateway(t)
	seq := uint64(300)
	add := func(min, sec int, rec actions.Record) {
		seq++
		kind := "action." + rec.Step
		in.Entries = append(in.Entries, journal.Entry{Seq: seq, At: at(min, sec), Recorded: at(min, sec), Incident: "Q1PAY",
			Kind: kind, Actor: journal.ActorSitrep, Summary: rec.Action + " " + rec.Step + " on " + rec.Target + " (" + rec.Env + ")",
			Data: record(t, rec)})
	}
	pg := func(id, action, step string) actions.Record {
		return actions.Record{RunID: id, Action: action, Step: step, Runner: "exec", Target: "payment-gateway", Env: "prod"}
	}
	ok, failed := ptr(true), ptr(false)

	// Left with esc after a good dry run, twice.
	for i, id := range []string{"esc-1", "esc-2"} {
		r := pg(id, "restart_service", actions.StepPreviewed)
		r.DryRun, r.DryRunOK, r.Verdict = "exit 0\n3 hosts would restart", ok, "allowed (confirm: typed)"
		add(10, i*20, r)
	}
	// The guards blocked it at the preview: the dry run failed.
	r := pg("blocked-1", "drain_pool", actions.StepPreviewed)
	r.DryRun, r.DryRunOK = "exit 2\npool 32->16 refused", failed
	r.Verdict, r.BlockedBy = "blocked: dry_run — a successful dry run is required, and the dry run failed", "dry_run"
	add(10, 45, r)
	// Closed while the dry run ran.
	r = pg("closed-1", "drain_pool", actions.StepPreviewed)
	r.DryRun, r.DryRunOK = "cancelled", failed
	r.Verdict, r.BlockedBy = "blocked: dry_run — a successful dry run is required, and the dry run failed", "dry_run"
	add(11, 0, r)
	// A parameter refused: never previewed.
	r = pg("params-1", "block_ip", actions.StepBlocked)
	r.Verdict, r.BlockedBy = `blocked: params — ip "10.0.0.256" does not match [0-9]{1,3}(\.[0-9]{1,3}){3}`, "params"
	add(11, 10, r)
	// Previewed, allowed, then refused at the confirmation (rate limit).
	r = pg("rate-1", "restart_service", actions.StepPreviewed)
	r.DryRun, r.DryRunOK, r.Verdict = "exit 0", ok, "allowed (confirm: typed)"
	add(30, 0, r)
	r = pg("rate-1", "restart_service", actions.StepBlocked)
	r.Verdict, r.BlockedBy = "blocked: rate_limit — restart_service ran 2 times on payment-gateway in the last 30m (max 2)", "rate_limit"
	add(30, 20, r)
	// An action without a dry run that ran: its preview note speaks of
	// the screen it was on.
	r = pg("flush-1", "flush_cache", actions.StepPreviewed)
	r.DryRun, r.Verdict = "this action has no dry run: the preview above is all sitrep can show before running it", "allowed (confirm: typed)"
	add(32, 0, r)
	r = pg("flush-1", "flush_cache", actions.StepConfirmed)
	r.ConfirmedBy = "Ana Ops"
	add(32, 10, r)
	r = pg("flush-1", "flush_cache", actions.StepStarted)
	add(32, 11, r)
	r = pg("flush-1", "flush_cache", actions.StepFinished)
	r.Result, r.ExitCode, r.DurationMS = "exit 0", ptr(0), 1200
	add(32, 12, r)
	in.Audit = AuditFor(in.Entries, in.Audit.Head)
	return in
}

// "Actions taken" lists what ran; what was tried and did not run is one
// short list below it, each with why.
func TestActionsTakenListsRunsAndAttemptsApart(t *testing.T) {
	got := render(t, withAttempts(t))
	section := between(t, got, "## Actions taken\n", "\n## Contributing factors\n")
	table, attempts, ok := strings.Cut(section, "### Attempts\n")
	if !ok {
		t.Fatalf("no Attempts list under Actions taken:\n%s", section)
	}
	rows := 0
	for _, l := range strings.Split(table, "\n") {
		if strings.HasPrefix(l, "| 2026-") {
			rows++
		}
	}
	if rows != 2 || !strings.Contains(table, "2 action run(s)") || !strings.Contains(table, "| flush\\_cache |") {
		t.Errorf("the table has %d rows, want the 2 runs:\n%s", rows, table)
	}
	for _, bad := range []string{"drain\\_pool", "block\\_ip", "| 2026-11-28 02:23:00 |"} {
		if strings.Contains(table, bad) {
			t.Errorf("the runs table holds an attempt (%q):\n%s", bad, table)
		}
	}
	flat := strings.Join(strings.Fields(attempts), " ") // unwrapped
	for _, want := range []string{
		"- 2026-11-28 02:23:00 UTC restart\\_service on payment-gateway in prod: previewed, not confirmed (2 times, the last at 2026-11-28 02:23:20 UTC) -",
		"- 2026-11-28 02:23:45 UTC drain\\_pool on payment-gateway in prod: blocked by dry\\_run — a successful dry run is required, and the dry run failed -",
		"- 2026-11-28 02:24:00 UTC drain\\_pool on payment-gateway in prod: preview closed while its dry run ran -",
		"- 2026-11-28 02:24:10 UTC block\\_ip on payment-gateway in prod: refused before the preview, blocked by params — ip",
		"- 2026-11-28 02:43:00 UTC restart\\_service on payment-gateway in prod: refused at confirmation, blocked by rate\\_limit — restart\\_service ran 2 times",
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("the attempts lack %q:\n%s", want, attempts)
		}
	}
	if n := strings.Count(attempts, "\n- "); n != 5 {
		t.Errorf("%d attempts listed, want 5:\n%s", n, attempts)
	}
	// The mitigation still comes from the run that helped.
	if !strings.Contains(got, "(action restart\\_service helped)") {
		t.Errorf("the mitigation moved:\n%s", got)
	}
}

// The export speaks for itself: no sentence points at a screen it is not
// on, and a run without a dry run says "none".
func TestExportDoesNotReferToThePreview(t *testing.T) {
	got := render(t, withAttempts(t))
	for _, bad := range []string{"preview above", "request above"} {
		if strings.Contains(got, bad) {
			t.Errorf("the export says %q:\n%s", bad, got)
		}
	}
	if !strings.Contains(got, "| flush\\_cache | payment-gateway in prod | none | allowed (confirm: typed) |") {
		t.Errorf("the run without a dry run does not say none:\n%s", between(t, got, "## Actions taken\n", "### Attempts"))
	}
}

func between(t *testing.T, s, from, to string) string {
	t.Helper()
	i := strings.Index(s, from)
	j := strings.Index(s, to)
	if i < 0 || j < i {
		t.Fatalf("no section between %q and %q:\n%s", from, to, s)
	}
	return s[i:j]
}

// A journal written before previews were journaled once holds two entries
// for a preview with a dry run: "blocked by dry_run" before the dry run,
// then the verdict after it. The later verdict is the preview's.
func TestEarlierBlockClearedByTheSettledVerdict(t *testing.T) {
	in := paymentGateway(t)
	first := actions.Record{RunID: "old-1", Action: "drain_pool", Step: actions.StepPreviewed, Target: "payment-gateway", Env: "prod",
		Verdict: "blocked: dry_run — a successful dry run is required first: run the dry run", BlockedBy: "dry_run"}
	settled := first
	settled.Verdict, settled.BlockedBy, settled.DryRun, settled.DryRunOK = "allowed (confirm: typed)", "", "exit 0", ptr(true)
	in.Entries = append(in.Entries,
		journal.Entry{Seq: 500, At: at(20, 0), Incident: "Q1PAY", Kind: "action.previewed", Data: record(t, first)},
		journal.Entry{Seq: 501, At: at(20, 5), Incident: "Q1PAY", Kind: "action.previewed", Data: record(t, settled)})
	got := strings.Join(strings.Fields(render(t, in)), " ")
	if want := "drain\\_pool on payment-gateway in prod: previewed, not confirmed"; !strings.Contains(got, want) {
		t.Errorf("the export lacks %q:\n%s", want, got)
	}
}
