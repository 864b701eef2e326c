package postmortem

import (
	"strings"
	"testing"
	"time"

	"sitrep/sources/pagerduty"
	"sitrep/store/journal"
	"sitrep/store/outbox"
)

// A write sent through the outbox shows once in the timeline, with where it
// got to: merged with PagerDuty's note when delivered, however late;
// marked when given up or still pending.
func TestOutboxWritesShowOnceWithWhereTheyGot(t *testing.T) {
	in := paymentGateway(t)
	in.Detail.Notes = append(in.Detail.Notes, pagerduty.Note{ID: "NLATE", Content: "delivered an hour late", User: pagerduty.Ref{Name: "Ana Ops"}, At: at(59, 0)})
	in.Entries = append(in.Entries,
		journal.Entry{Seq: 300, At: at(5, 0), Incident: "Q1PAY", Kind: "note", Actor: "Ana Ops", Summary: "delivered an hour late", Data: []byte(`{"outbox":"ob-1"}`)},
		journal.Entry{Seq: 301, At: at(59, 0), Incident: "Q1PAY", Kind: outbox.KindDelivered, Actor: "sitrep", Summary: "note delivered", Data: []byte(`{"outbox":"ob-1","ref":"NLATE"}`)},
		journal.Entry{Seq: 302, At: at(6, 0), Incident: "Q1PAY", Kind: "operation", Actor: "Ana Ops", Summary: "acknowledge #1 through sitrep", Data: []byte(`{"outbox":"ob-2"}`)},
		journal.Entry{Seq: 303, At: at(7, 0), Incident: "Q1PAY", Kind: outbox.KindFailed, Actor: "sitrep", Summary: "failed", Data: []byte(`{"outbox":"ob-2","reason":"PagerDuty answered 400 Incident Already Resolved"}`)},
		journal.Entry{Seq: 304, At: at(8, 0), Incident: "Q1PAY", Kind: "note", Actor: "Ana Ops", Summary: "still waiting", Data: []byte(`{"outbox":"ob-3"}`)},
	)
	var texts []string
	for _, r := range newFacts(in).timeline {
		texts = append(texts, r.Text)
	}
	all := strings.Join(texts, "\n")
	for text, want := range map[string]int{
		"delivered an hour late": 1,
		"acknowledge #1 through sitrep (not delivered to PagerDuty: PagerDuty answered 400 Incident Already Resolved)": 1,
		"still waiting (not yet delivered to PagerDuty when this was exported)":                                        1,
		"note delivered": 0,
		"failed":         0,
	} {
		n := 0
		for _, tx := range texts {
			if strings.HasSuffix(tx, text) && (text != "failed" || tx == text) {
				n++
			}
		}
		if n != want {
			t.Errorf("%q appears %d times, want %d; timeline:\n%s", text, n, want, all)
		}
	}
}

// PagerDuty logs whole seconds and the journal does not: a mitigation
// journaled at 57.4 s and a resolution PagerDuty logged as 57 s keep
// their order in the timeline.
func TestMarkersWithinOneSecondKeepTheIncidentsOrder(t *testing.T) {
	in := paymentGateway(t)
	f := newFacts(in)
	f.mitigated.At = f.resolved.At.Truncate(time.Second).Add(400 * time.Millisecond)
	f.resolved.At = f.resolved.At.Truncate(time.Second)
	var order []string
	for _, r := range buildTimeline(in, f) {
		if r.marker {
			order = append(order, r.Text)
		}
	}
	got := strings.Join(order, " < ")
	if !strings.Contains(got, markMitigated+" < "+markResolved) {
		t.Fatalf("markers in order %s; MITIGATED must come before RESOLVED", got)
	}
}
