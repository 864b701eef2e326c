package postmortem

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"sitrep/actions"
	"sitrep/sources/deploys"
	"sitrep/sources/pagerduty"
	"sitrep/store/journal"
)

var start = time.Date(2026, 11, 28, 2, 13, 0, 0, time.UTC)

func at(min, sec int) time.Time {
	return start.Add(time.Duration(min)*time.Minute + time.Duration(sec)*time.Second)
}

// entries assigns Seq in order, as the journal would.
func entries(es ...journal.Entry) []journal.Entry {
	for i := range es {
		es[i].Seq = uint64(100 + i)
		if es[i].Recorded.IsZero() {
			es[i].Recorded = es[i].At
		}
	}
	return es
}

func record(t testing.TB, r actions.Record) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ptr[T any](v T) *T { return &v }

// paymentGateway is the demo's first storyline: a deploy, a 5xx spike,
// an acknowledgement, notes, a pin, a restart that helps, resolution.
func paymentGateway(t testing.TB) Input {
	t.Helper()
	ana := pagerduty.Ref{ID: "PU1", Name: "Ana Ops"}
	ben := pagerduty.Ref{ID: "PU2", Name: "Ben Backend"}
	svc := pagerduty.Ref{ID: "PSVC1", Name: "payment-gateway"}
	inc := pagerduty.Incident{
		ID: "Q1PAY", Number: 4711, Title: "payment-gateway 5xx rate above 5% for 5m",
		Status: pagerduty.StatusResolved, Urgency: pagerduty.UrgencyHigh, Priority: "P1",
		Service: svc, Assignees: []pagerduty.Ref{ana},
		EscalationPolicy: pagerduty.Ref{ID: "PEP1", Name: "Payments primary"},
		CreatedAt:        start, LastChangeAt: at(41, 0),
		HTMLURL:     "https://example.pagerduty.com/incidents/Q1PAY",
		AlertCounts: pagerduty.Counts{All: 2, Triggered: 0, Resolved: 2},
	}
	run := "run-7f3a"
	base := actions.Record{RunID: run, Action: "restart_service", Title: "Rolling restart", Runner: "ansible", Target: "payment-gateway", Env: "prod"}
	step := func(s string, mod func(*actions.Record)) json.RawMessage {
		r := base
		r.Step = s
		if mod != nil {
			mod(&r)
		}
		return record(t, r)
	}
	return Input{
		Detail: pagerduty.Detail{
			Incident: inc,
			Alerts: []pagerduty.Alert{
				{ID: "A2", Summary: "p95 latency above 800ms", Status: "resolved", Severity: "warning", Source: "prometheus", CreatedAt: at(1, 0)},
				{ID: "A1", Summary: "HighErrorRate: 5xx ratio 0.31", Status: "resolved", Severity: "critical", Source: "prometheus/alertmanager", CreatedAt: at(0, -30)},
			},
			LogEntries: []pagerduty.LogEntry{
				{ID: "R1", Type: "trigger_log_entry", Summary: "Triggered through the API", At: start, Agent: svc},
				{ID: "R2", Type: "notify_log_entry", Summary: "Notified Ana Ops by push", At: at(0, 5)},
				{ID: "R3", Type: "acknowledge_log_entry", Summary: "Acknowledged by Ana Ops", At: at(4, 0), Agent: ana},
				{ID: "R4", Type: "annotate_log_entry", Summary: "Note added", At: at(9, 0), Agent: ben},
				{ID: "R5", Type: "resolve_log_entry", Summary: "Resolved by Ana Ops", At: at(41, 0), Agent: ana},
			},
			Notes: []pagerduty.Note{
				{ID: "N1", Content: "Errors started right after the 2.14.0 rollout", User: ben, At: at(9, 0)},
			},
			OnCall: []pagerduty.OnCall{{Level: 1, User: ana}, {Level: 2, User: ben}},
		},
		Entries: entries(
			journal.Entry{At: start, Incident: "Q1PAY", Kind: "seen", Actor: "sitrep", Summary: "Incident seen", SourceID: "pd:incident:Q1PAY"},
			journal.Entry{At: at(0, 20), Incident: "Q1PAY", Kind: "triage", Actor: "sitrep", Summary: "network: title matches timed out (rule network)",
				Data: json.RawMessage(`{"class":"network","rule":"network","confidence":"low","why":"network: title matches timed out","evidence":["title matches timed out"]}`)},
			journal.Entry{At: at(4, 0), Incident: "Q1PAY", Kind: "status.acknowledge", Actor: "Ana Ops", Summary: "Acknowledged", SourceID: "pd:log:R3"},
			journal.Entry{At: at(6, 0), Incident: "Q1PAY", Kind: "enrichment", Actor: "sitrep", Summary: "metrics snapshot"},
			journal.Entry{At: at(6, 10), Incident: "Q1PAY", Kind: "triage", Actor: "sitrep", Summary: "deploy regression: payment-gateway 2.14.0 rolled out 4 min before the start; 5xx rate 0.31 > 0.05 (rule deploy-regression)",
				Data: json.RawMessage(`{"class":"deploy regression","rule":"deploy-regression","confidence":"high","why":"deploy regression: payment-gateway 2.14.0 rolled out 4 min before the start; 5xx rate 0.31 > 0.05 (rule deploy-regression)","evidence":["payment-gateway 2.14.0 rolled out 4 min before the start","5xx rate 0.31 > 0.05"]}`)},
			journal.Entry{At: at(7, 30), Incident: "Q1PAY", Kind: "pin", Actor: "Ana Ops", Summary: "5xx ratio 0.31 on payment-gateway since 02:12:40, only pods on 2.14.0",
				Data: json.RawMessage(`{"observed":true,"pane":"Metrics","facts":[{"name":"5xx rate","query":"sum(rate(x[5m]))","now":0.3078,"peak":0.3213,"threshold":0.05},{"name":"p99 latency","unit":"ms","now":2471,"peak":2618}]}`)},
			journal.Entry{At: at(9, 0), Incident: "Q1PAY", Kind: "note", Actor: "Ben Backend", Summary: "Errors started right after the 2.14.0 rollout", SourceID: "pd:note:N1"},
			journal.Entry{At: at(12, 0), Incident: "Q1PAY", Kind: "action.previewed", Actor: "Ana Ops", Summary: "Previewed restart_service", Data: step(actions.StepPreviewed, func(r *actions.Record) {
				r.DryRun, r.DryRunOK = "3 hosts would restart", ptr(true)
				r.Verdict = "allowed"
			})},
			journal.Entry{At: at(13, 0), Incident: "Q1PAY", Kind: "action.confirmed", Actor: "Ana Ops", Summary: "Confirmed restart_service on prod", Data: step(actions.StepConfirmed, func(r *actions.Record) { r.ConfirmedBy = "Ana Ops" })},
			journal.Entry{At: at(13, 1), Incident: "Q1PAY", Kind: "action.started", Actor: "sitrep", Summary: "Started restart_service", Data: step(actions.StepStarted, nil)},
			journal.Entry{At: at(13, 30), Incident: "Q1PAY", Kind: "action.output", Actor: "sitrep", Summary: "PLAY RECAP ok=3", Data: step(actions.StepOutput, func(r *actions.Record) { r.Output = "PLAY RECAP ok=3" })},
			journal.Entry{At: at(14, 0), Incident: "Q1PAY", Kind: "action.finished", Actor: "sitrep", Summary: "restart_service finished: exit 0", Data: step(actions.StepFinished, func(r *actions.Record) {
				r.Result, r.ExitCode, r.DurationMS = "exit 0", ptr(0), 59_000
			})},
			journal.Entry{At: at(24, 0), Incident: "Q1PAY", Kind: "action.outcome", Actor: "sitrep", Summary: "restart_service helped", Data: step(actions.StepOutcome, func(r *actions.Record) {
				r.Outcome = "helped"
				r.Effect = []actions.MetricChange{{Name: "5xx rate", Before: 0.31, After: 0.01, At: at(24, 0)}, {Name: "p95 latency", Unit: "ms", Before: 840, After: 120, At: at(24, 0)}}
			})},
			journal.Entry{At: at(41, 0), Incident: "Q1PAY", Kind: "status.resolve", Actor: "Ana Ops", Summary: "Resolved", SourceID: "pd:log:R5"},
		),
		Changes: []deploys.Change{
			{ID: "D3", Source: "pagerduty", Service: "payment-gateway", Summary: "payment-gateway 2.14.0 rolled out", At: at(-4, 0), URL: "https://git.example.com/payments/gateway/compare/v2.13.2...v2.14.0"},
			{ID: "D1", Source: "git", Service: "payment-gateway", Summary: "config: raise pool size to 64", At: at(-95, 0)},
			{ID: "D9", Source: "git", Service: "payment-gateway", Summary: "after the start: not a cause", At: at(5, 0)},
			{ID: "D0", Source: "git", Service: "ledger", Summary: "ledger 1.2.0, outside the window", At: at(-600, 0)},
		},
		ChangeWindow: 3 * time.Hour,
		Related: []pagerduty.Incident{
			{ID: "Q0LED", Number: 4710, Title: "ledger write latency high", Status: pagerduty.StatusResolved, Service: pagerduty.Ref{Name: "ledger"}, CreatedAt: at(-2, 0), HTMLURL: "https://example.pagerduty.com/incidents/Q0LED"},
		},
		Generated: at(60, 0),
		Audit:     Audit{First: 100, Last: 111, Count: 12, Head: journal.Head{Seq: 131, Hash: journal.Hash{0xab, 0xcd}}},
	}
}

// hostile is an incident whose every outside string tries to break out.
func hostile(t testing.TB) Input {
	t.Helper()
	const evil = "| # <script>alert(1)</script> [x](javascript:alert(1)) \x1b]52;c;ZXZpbA==\x07 `rm -rf /` *bold* _it_ https://evil.example/p www.evil.example ana@evil.example"
	in := paymentGateway(t)
	in.Detail.Incident.Title = evil
	in.Detail.Incident.Service.Name = "# svc | <b>"
	in.Detail.Incident.Priority = "P1\"\nurgency: low"
	in.Detail.Incident.HTMLURL = "javascript:alert(1)"
	in.Detail.Incident.Assignees = []pagerduty.Ref{{Name: "- [ ] eve\n# boss"}}
	in.Detail.Alerts[1].Summary = "1. " + evil
	in.Detail.Alerts[1].Source = "<img src=x onerror=alert(1)>"
	in.Detail.LogEntries[3].Summary = "line one\nline two | cell\n\n---\n"
	in.Detail.Notes[0].Content = "```\ncode fence\n```\n> quote\n+ plus\n== setext"
	for i := range in.Entries {
		in.Entries[i].Summary = fmt.Sprintf("%d) %s", i, evil)
		in.Entries[i].Actor = "**mallory**\x1b[2J"
		if in.Entries[i].Kind == KindTriage {
			data, err := json.Marshal(map[string]any{"class": "# " + evil, "rule": evil, "confidence": "<b>high", "evidence": []string{evil, "\n## heading\n- item"}})
			if err != nil {
				t.Fatal(err)
			}
			in.Entries[i].Data = data
		}
	}
	in.Changes[0].Summary = "[deploy](https://evil.example) <!-- comment --> &amp; `x`"
	in.Changes[0].URL = "https://evil.example/a b<script>"
	in.Related[0].Title = "#### heading? " + evil
	in.Related[0].HTMLURL = "https://ok.example/x>y"
	in.History = hostileHistory(t, evil)
	in.Upstream = []pagerduty.Upstream{{Incident: pagerduty.Incident{ID: "Q0DB7", Number: 7, Title: evil, Service: pagerduty.Ref{Name: "- [ ] " + evil}, CreatedAt: at(-16, 0)}, Earlier: 16 * time.Minute}}
	return in
}

// quiet is a triggered incident nobody has touched, with no journal.
func quiet() Input {
	return Input{
		Detail: pagerduty.Detail{Incident: pagerduty.Incident{
			ID: "Q2NET", Number: 4712, Title: "network check flapping", Status: pagerduty.StatusTriggered,
			Urgency: pagerduty.UrgencyLow, Service: pagerduty.Ref{Name: "edge-network"}, CreatedAt: start,
		}},
		Generated: at(3, 0),
	}
}
