package postmortem

import (
	"strings"
	"testing"
	"time"

	"sitrep/actions"
	"sitrep/store/journal"
)

// A run that needed a second person's approval names the approver and the
// time of approval in its Actions taken row, beside who confirmed it.
func TestActionsTakenNamesTheApprover(t *testing.T) {
	in := paymentGateway(t)
	seq := uint64(500)
	approvedAt := time.Date(2026, 11, 28, 2, 40, 5, 0, time.UTC)
	add := func(min, sec int, rec actions.Record) {
		seq++
		in.Entries = append(in.Entries, journal.Entry{Seq: seq, At: at(min, sec), Recorded: at(min, sec), Incident: "Q1PAY",
			Kind: "action." + rec.Step, Actor: journal.ActorSitrep, Summary: rec.Action + " " + rec.Step, Data: record(t, rec)})
	}
	rec := func(step string) actions.Record {
		return actions.Record{RunID: "appr-1", Action: "rollback_deploy", Step: step, Runner: "ansible", Target: "payment-gateway", Env: "prod"}
	}
	r := rec(actions.StepConfirmed)
	r.ConfirmedBy = "Alice Chen"
	add(29, 0, r)
	r = rec(actions.StepStarted)
	r.ApprovedBy, r.ApprovedAt, r.ApprovalRequest = "Bob Okafor", &approvedAt, "0123456789abcdef"
	add(30, 10, r)
	r = rec(actions.StepFinished)
	r.Result, r.ExitCode, r.DurationMS = "exit 0", ptr(0), 4000
	add(30, 14, r)
	in.Audit = AuditFor(in.Entries, in.Audit.Head)
	got := render(t, in)
	section := between(t, got, "## Actions taken\n", "\n## Contributing factors\n")
	row := ""
	for _, l := range strings.Split(section, "\n") {
		if strings.Contains(l, "rollback\\_deploy") {
			row = l
		}
	}
	if want := "Alice Chen; approved by Bob Okafor at 2026-11-28 02:40:05 (request 0123456789abcdef)"; !strings.Contains(row, want) {
		t.Errorf("the run's row %q does not say %q:\n%s", row, want, section)
	}
}
