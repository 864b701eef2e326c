package postmortem

import (
	"strings"
	"testing"
	"time"

	"sitrep/actions"
	"sitrep/sources/pagerduty"
	"sitrep/store/journal"
)

const day = 24 * time.Hour

// pastRestart is payment-gateway's incident three days before: a restart
// run through sitrep that helped, and Bob's last note in PagerDuty.
func pastRestart(t testing.TB) ([]journal.Entry, pagerduty.Incident, []pagerduty.Note) {
	t.Helper()
	p0 := start.Add(-3 * day)
	in := pagerduty.Incident{ID: "Q0P5X", Number: 13, Title: "[FIRING] payment-gateway HTTP 5xx ratio above 5% (24.6%)",
		Status: pagerduty.StatusResolved, Service: pagerduty.Ref{ID: "PSVC1", Name: "payment-gateway"},
		CreatedAt: p0, LastChangeAt: p0.Add(18 * time.Minute), HTMLURL: "https://example.pagerduty.com/incidents/Q0P5X"}
	base := actions.Record{RunID: "run-past", Action: "restart_service", Target: "payment-gateway", Env: "prod"}
	step := func(s string, f func(*actions.Record)) []byte {
		r := base
		r.Step = s
		if f != nil {
			f(&r)
		}
		return record(t, r)
	}
	es := entries(
		journal.Entry{At: p0.Add(time.Minute), Incident: in.ID, Kind: KindTriage, Actor: "sitrep", Data: []byte(`{"class":"dependency","rule":"dependency","why":"dependency: vault"}`)},
		// A preview that was never run fixed nothing.
		journal.Entry{At: p0.Add(2 * time.Minute), Incident: in.ID, Kind: "action.previewed", Actor: "sitrep", Data: record(t, actions.Record{RunID: "run-preview", Step: actions.StepPreviewed, Action: "rollback", Target: "payment-gateway", Env: "prod"})},
		journal.Entry{At: p0.Add(8 * time.Minute), Incident: in.ID, Kind: "action.started", Actor: "sitrep", Data: step(actions.StepStarted, nil)},
		journal.Entry{At: p0.Add(9 * time.Minute), Incident: in.ID, Kind: "action.finished", Actor: "sitrep", Data: step(actions.StepFinished, func(r *actions.Record) { r.Result = "exit 0" })},
		journal.Entry{At: p0.Add(11 * time.Minute), Incident: in.ID, Kind: "action.outcome", Actor: "sitrep", Data: step(actions.StepOutcome, func(r *actions.Record) { r.Outcome = "helped" })},
		journal.Entry{At: p0.Add(6 * time.Minute), Incident: in.ID, Kind: KindNote, Actor: "Bob Okafor", Summary: "restarting", Data: []byte(`{"text":"Pods exhausted their vault connections; restarting."}`)},
	)
	notes := []pagerduty.Note{{ID: "N1", Content: "restarted payment-gateway, 5xx back to 1% within 2 min", User: pagerduty.Ref{Name: "Bob Okafor"}, At: p0.Add(9 * time.Minute)}}
	return es, in, notes
}

func TestSummarizePast(t *testing.T) {
	es, in, notes := pastRestart(t)
	p := SummarizePast(in, es, notes, func(pagerduty.Incident) string { return "never asked" })
	if p.Class != "dependency" || p.ClassFrom != "journal" {
		t.Errorf("class = %q from %q, want the journal's", p.Class, p.ClassFrom)
	}
	if len(p.Runs) != 1 || p.Runs[0].RunText() != "restart_service on payment-gateway (prod): exit 0 — helped" {
		t.Errorf("runs = %+v, want only the restart that helped", p.Runs)
	}
	if p.LastNote == nil || p.LastNote.From != "PagerDuty" || !strings.HasPrefix(p.LastNote.Text, "restarted payment-gateway") {
		t.Errorf("last note = %+v, want PagerDuty's, the latest", p.LastNote)
	}
	if p.Duration() != 18*time.Minute {
		t.Errorf("duration = %s", p.Duration())
	}

	t.Run("journal's note when later", func(t *testing.T) {
		p := SummarizePast(in, es, nil, nil)
		if p.LastNote == nil || p.LastNote.From != "journal" || !strings.Contains(p.LastNote.Text, "vault connections") {
			t.Errorf("last note = %+v, want the journal's", p.LastNote)
		}
	})
	t.Run("rules when the journal has no class", func(t *testing.T) {
		p := SummarizePast(in, nil, nil, func(pagerduty.Incident) string { return "network" })
		if p.Class != "network" || p.ClassFrom != "rules" || len(p.Runs) != 0 || p.LastNote != nil {
			t.Errorf("summary = %+v", p)
		}
		if h := PastHeadline(p); h != "#13 [FIRING] payment-gateway HTTP 5xx ratio above 5% (24.6%) — 2026-11-25 02:13 UTC, lasted 18m, network" {
			t.Errorf("headline = %q", h)
		}
	})
	t.Run("earlier only", func(t *testing.T) {
		later := in
		later.ID, later.CreatedAt = "QLATER", start.Add(time.Hour)
		h := pagerduty.History{Incidents: []pagerduty.Incident{later, in}}
		cur := pagerduty.Incident{ID: "Q1PAY", CreatedAt: start}
		if got := Earlier(h, cur); len(got) != 1 || got[0].ID != in.ID {
			t.Errorf("Earlier = %+v", got)
		}
	})
}

// withHistory is payment-gateway's export with its earlier incidents and
// an upstream incident open when it started.
func withHistory(t testing.TB) Input {
	t.Helper()
	in := paymentGateway(t)
	es, past, notes := pastRestart(t)
	older := pagerduty.Incident{ID: "Q0P2L", Number: 12, Title: "payment-gateway p99 latency above 1.5 s (2.1 s)", Status: pagerduty.StatusResolved,
		CreatedAt: start.Add(-10 * day), LastChangeAt: start.Add(-10*day + 44*time.Minute)}
	in.History = &History{Service: "payment-gateway", Window: 30 * day, Limit: 20, Past: []Past{
		SummarizePast(past, es, notes, nil),
		SummarizePast(older, nil, []pagerduty.Note{{Content: "Acquirer recovered; p99 back to 300 ms.", User: pagerduty.Ref{Name: "Alice Chen"}, At: start.Add(-10*day + 41*time.Minute)}}, nil),
	}}
	in.Related = nil
	db := pagerduty.Incident{ID: "Q0DB7", Number: 7, Title: "checkout-db connection pool exhausted (200/200 in use)", Status: pagerduty.StatusResolved,
		Service: pagerduty.Ref{ID: "PDB", Name: "checkout-db"}, CreatedAt: start.Add(-16 * time.Minute)}
	in.Upstream = []pagerduty.Upstream{{Incident: db, Earlier: 16 * time.Minute}}
	return in
}

// historyUnavailable is an export whose history and upstream could not
// be read: it says why and goes on.
func historyUnavailable() Input {
	in := quiet()
	in.History = &History{Service: "edge-network", Window: 30 * day, Err: "list past incidents of PNET: PagerDuty is rate limiting sitrep; next try in 42s"}
	in.UpstreamErr = "get service dependencies of PNET: no answer in time (context deadline exceeded)"
	return in
}

func TestHistoryInExport(t *testing.T) {
	// Lines wrap at 80 columns: compare with the spaces folded.
	fold := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	got := fold(render(t, withHistory(t)))
	for _, want := range []string{
		"Earlier incidents resolved on payment-gateway in the 30 days before the export",
		"\\#13 \\[FIRING\\] payment-gateway HTTP 5xx ratio above 5% (24.6%) (Q0P5X, 2026-11-25 02:13:00 UTC, lasted 18m0s, class dependency)",
		"- Ran restart\\_service on payment-gateway (prod): exit 0 — helped",
		"restarted payment-gateway, 5xx back to 1% within 2 min",
		"checkout-db \\#7 started 16m earlier — likely cause",
	} {
		if !strings.Contains(got, fold(want)) {
			t.Errorf("export lacks %q:\n%s", want, got)
		}
	}
	got = fold(render(t, historyUnavailable()))
	for _, want := range []string{"History unavailable: list past incidents of PNET: PagerDuty is rate limiting sitrep", "Upstream incidents unknown: get service dependencies"} {
		if !strings.Contains(got, want) {
			t.Errorf("export lacks %q:\n%s", want, got)
		}
	}
}

// hostileHistory is a history whose every outside string tries to break
// out of the export.
func hostileHistory(t testing.TB, evil string) *History {
	t.Helper()
	es, past, notes := pastRestart(t)
	past.Title = "# " + evil
	past.HTMLURL = "javascript:alert(1)"
	notes[0].Content = "```\n" + evil + "\n> quote"
	notes[0].User.Name = "**mallory**\x1b[2J"
	p := SummarizePast(past, es, notes, nil)
	p.Class = "<b>" + evil
	p.Runs[0].Action = "[x](javascript:alert(1))"
	return &History{Service: "# svc | <b>", Window: 30 * day, Past: []Past{p}}
}
