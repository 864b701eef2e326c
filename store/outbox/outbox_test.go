package outbox_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sitrep/sources/demo/pdemulator"
	"sitrep/sources/pagerduty"
	"sitrep/store/journal"
	"sitrep/store/outbox"
)

type world struct {
	pd   *pdemulator.Server
	feed *pagerduty.Client
	path string
	j    *journal.Journal
	id   string
}

func setup(t *testing.T) *world {
	t.Helper()
	pd := pdemulator.New(pdemulator.Options{Token: "t"})
	url, err := pd.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pd.Close() })
	alice, _ := pd.AddUser(pdemulator.User{Name: "Alice Chen", Email: "alice@example.com"})
	if err := pd.SetCurrentUser(alice); err != nil {
		t.Fatal(err)
	}
	ep, _ := pd.AddEscalationPolicy(pdemulator.EscalationPolicy{Name: "Payments", Levels: []pdemulator.EscalationLevel{{UserIDs: []string{alice}}}})
	svc, _ := pd.AddService(pdemulator.Service{Name: "payment-gateway", EscalationPolicyID: ep})
	res, err := pd.Trigger(pdemulator.TriggerOptions{ServiceID: svc, Title: "5xx rate above 5%"})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{pd: pd, id: res.IncidentID, path: filepath.Join(t.TempDir(), "journal.db")}
	w.feed = pagerduty.New(pagerduty.Config{APIURL: url, Token: "t", Timeout: 3 * time.Second})
	w.open(t)
	return w
}

func (w *world) open(t *testing.T) {
	t.Helper()
	j, err := journal.Open(w.path, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	w.j = j
}

func (w *world) outbox(t *testing.T) *outbox.Outbox {
	t.Helper()
	record := func(_ context.Context, e journal.Entry) error {
		e.Actor = "Alice Chen"
		_, err := w.j.Append(e)
		return err
	}
	o, err := outbox.Open(w.j, w.feed, record)
	if err != nil {
		t.Fatal(err)
	}
	o.MinBackoff, o.MaxBackoff, o.AttemptTimeout = 20*time.Millisecond, 200*time.Millisecond, 2*time.Second
	return o
}

func run(t *testing.T, o *outbox.Outbox) context.CancelFunc {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { o.Run(ctx); close(done) }()
	stop := func() { cancel(); <-done }
	t.Cleanup(stop)
	return stop
}

// settled waits for the next settlement.
func settled(t *testing.T, o *outbox.Outbox) outbox.Settled {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case s := <-o.Changes():
			if len(s.Settled) > 0 {
				return s.Settled[0]
			}
		case <-deadline:
			t.Fatalf("nothing settled; %d writes pending", o.Pending())
		}
	}
}

func (w *world) notes(t *testing.T, text string) int {
	t.Helper()
	ns, err := w.feed.Notes(context.Background(), w.id)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, x := range ns {
		if x.Content == text {
			n++
		}
	}
	return n
}

func (w *world) kinds(t *testing.T) []string {
	t.Helper()
	es, err := w.j.Entries(w.id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Kind)
	}
	return out
}

func note(w *world, text string) (outbox.Write, journal.Entry) {
	return outbox.Write{Incident: w.id, Label: "#1", Op: outbox.OpNote, Text: text},
		journal.Entry{Kind: "note", Summary: text}
}

// A note written while PagerDuty answers 503 is journaled at once and
// delivered once PagerDuty recovers.
func TestNoteThroughAnOutageIsJournaledAtOnceAndDeliveredOnce(t *testing.T) {
	w := setup(t)
	if err := w.pd.InjectFault(pdemulator.Fault{Method: "POST", Path: "/incidents/*/notes", Kind: pdemulator.FaultServerError, Times: 3}); err != nil {
		t.Fatal(err)
	}
	o := w.outbox(t)
	it, err := o.Submit(context.Background(), outbox.Write{Incident: w.id, Label: "#1", Op: outbox.OpNote, Text: "rolled back v2.14.0"},
		journal.Entry{Kind: "note", Summary: "rolled back v2.14.0"})
	if err != nil {
		t.Fatal(err)
	}
	es, _ := w.j.Entries(w.id)
	if len(es) != 1 || es[0].Kind != "note" || !strings.Contains(string(es[0].Data), it.ID) {
		t.Fatalf("before any delivery the journal has %+v; want the note with its outbox id", es)
	}
	run(t, o)
	s := settled(t, o)
	if !s.Delivered || s.Ref == "" || s.Item.Attempts != 4 {
		t.Fatalf("settled %+v; want delivered on the 4th attempt with PagerDuty's note id", s)
	}
	if n := w.notes(t, "rolled back v2.14.0"); n != 1 {
		t.Fatalf("PagerDuty has the note %d times, want once", n)
	}
	if got := w.kinds(t); strings.Join(got, ",") != "note,"+outbox.KindDelivered {
		t.Fatalf("journal kinds %v", got)
	}
}

// A note whose answer was lost after PagerDuty stored it is not posted a
// second time: the outbox finds it among the incident's notes.
func TestNoteStoredButAnswerLostIsNotPostedTwice(t *testing.T) {
	w := setup(t)
	if err := w.pd.InjectFault(pdemulator.Fault{Method: "POST", Path: "/incidents/*/notes", Kind: pdemulator.FaultTruncated}); err != nil {
		t.Fatal(err)
	}
	o := w.outbox(t)
	wr, e := note(w, "paged the DB team")
	if _, err := o.Submit(context.Background(), wr, e); err != nil {
		t.Fatal(err)
	}
	run(t, o)
	s := settled(t, o)
	if !s.Delivered || s.Ref == "" {
		t.Fatalf("settled %+v; want delivered, matched to the stored note", s)
	}
	if n := w.notes(t, "paged the DB team"); n != 1 {
		t.Fatalf("PagerDuty has the note %d times, want exactly once", n)
	}
}

// A note whose answer comes after the deadline is "not confirmed yet",
// never failed, and settles as delivered once PagerDuty shows it.
func TestLateAnswerIsUnconfirmedThenDelivered(t *testing.T) {
	w := setup(t)
	if err := w.pd.InjectFault(pdemulator.Fault{Method: "POST", Path: "/incidents/*/notes", Kind: pdemulator.FaultSlowAnswer, Delay: 3 * time.Second}); err != nil {
		t.Fatal(err)
	}
	o := w.outbox(t)
	o.AttemptTimeout = 500 * time.Millisecond
	o.MinBackoff, o.MaxBackoff = time.Second, time.Second
	wr, e := note(w, "late")
	if _, err := o.Submit(context.Background(), wr, e); err != nil {
		t.Fatal(err)
	}
	run(t, o)
	deadline := time.After(30 * time.Second)
	sawUnconfirmed := false
	for {
		var snap outbox.Snapshot
		select {
		case snap = <-o.Changes():
		case <-deadline:
			t.Fatal("the late note never settled")
		}
		for _, p := range snap.Pending {
			sawUnconfirmed = sawUnconfirmed || p.Unconfirmed
		}
		if len(snap.Settled) > 0 {
			s := snap.Settled[0]
			if !s.Delivered || !sawUnconfirmed {
				t.Fatalf("settled %+v (saw unconfirmed: %v); want unconfirmed, then delivered", s, sawUnconfirmed)
			}
			break
		}
	}
	if n := w.notes(t, "late"); n != 1 {
		t.Fatalf("PagerDuty has the note %d times, want once", n)
	}
}

// A write PagerDuty will never take is given up once, and the journal
// says why.
func TestAcknowledgingAResolvedIncidentFailsOnceAndSaysWhy(t *testing.T) {
	w := setup(t)
	if err := w.feed.Resolve(context.Background(), w.id); err != nil {
		t.Fatal(err)
	}
	o := w.outbox(t)
	if _, err := o.Submit(context.Background(), outbox.Write{Incident: w.id, Label: "#1", Op: outbox.OpAcknowledge},
		journal.Entry{Kind: "operation", Summary: "acknowledge #1"}); err != nil {
		t.Fatal(err)
	}
	run(t, o)
	s := settled(t, o)
	if s.Delivered || s.Reason == "" {
		t.Fatalf("settled %+v; want given up with a reason", s)
	}
	es, _ := w.j.Entries(w.id)
	last := es[len(es)-1]
	if last.Kind != outbox.KindFailed || !strings.Contains(last.Summary, "could not be delivered") {
		t.Fatalf("last journal entry %+v; want the failure said", last)
	}
	if o.Pending() != 0 {
		t.Fatalf("%d writes still pending after a permanent failure", o.Pending())
	}
}

// Writes survive a restart: the next sitrep delivers them.
func TestPendingWritesSurviveRestart(t *testing.T) {
	w := setup(t)
	if err := w.pd.InjectFault(pdemulator.Fault{Method: "POST", Path: "/incidents/*/notes", Kind: pdemulator.FaultServerError, Times: 1000}); err != nil {
		t.Fatal(err)
	}
	o := w.outbox(t)
	wr, e := note(w, "survives")
	if _, err := o.Submit(context.Background(), wr, e); err != nil {
		t.Fatal(err)
	}
	stop := run(t, o)
	deadline := time.Now().Add(30 * time.Second)
	for {
		snap := <-o.Changes()
		if len(snap.Pending) == 1 && snap.Pending[0].Attempts >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no failed attempts seen")
		}
	}
	stop()
	if err := w.j.Close(); err != nil {
		t.Fatal(err)
	}

	w.pd.ClearFaults()
	w.open(t)
	o2 := w.outbox(t)
	if o2.Pending() != 1 {
		t.Fatalf("after a restart %d writes pending, want 1", o2.Pending())
	}
	run(t, o2)
	if s := settled(t, o2); !s.Delivered {
		t.Fatalf("settled %+v after restart; want delivered", s)
	}
	if n := w.notes(t, "survives"); n != 1 {
		t.Fatalf("PagerDuty has the note %d times, want once", n)
	}
	es, _ := w.j.Entries(w.id)
	var data map[string]any
	_ = json.Unmarshal(es[len(es)-1].Data, &data)
	if es[len(es)-1].Kind != outbox.KindDelivered || data["outbox"] == "" {
		t.Fatalf("last entry %+v", es[len(es)-1])
	}
}

// The pagerduty runner's state-setting writes go the same way: a
// reassignment made while PagerDuty fails lands once it recovers.
func TestReassignThroughAnOutageLands(t *testing.T) {
	w := setup(t)
	bob, _ := w.pd.AddUser(pdemulator.User{Name: "Bob Okafor", Email: "bob@example.com"})
	if err := w.pd.InjectFault(pdemulator.Fault{Method: "PUT", Path: "/incidents", Kind: pdemulator.FaultServerError, Times: 6}); err != nil {
		t.Fatal(err)
	}
	o := w.outbox(t)
	if _, err := o.Submit(context.Background(), outbox.Write{Incident: w.id, Label: "#1", Op: outbox.OpReassign, Args: map[string]string{"user_id": bob}},
		journal.Entry{Kind: "pagerduty.request", Summary: "reassign to Bob"}); err != nil {
		t.Fatal(err)
	}
	run(t, o)
	if s := settled(t, o); !s.Delivered {
		t.Fatalf("settled %+v; want delivered", s)
	}
	info, err := w.pd.Incident(w.id)
	if err != nil {
		t.Fatal(err)
	}
	if len(info.AssigneeIDs) != 1 || info.AssigneeIDs[0] != bob {
		t.Fatalf("assignees %v, want only Bob (%s)", info.AssigneeIDs, bob)
	}
}

// A write this sitrep does not know (queued by a newer one) is given up
// with the reason, not retried forever.
func TestUnknownWriteIsGivenUp(t *testing.T) {
	w := setup(t)
	o := w.outbox(t)
	if _, err := o.Submit(context.Background(), outbox.Write{Incident: w.id, Label: "#1", Op: "teleport"}, journal.Entry{Kind: "pagerduty.request"}); err != nil {
		t.Fatal(err)
	}
	run(t, o)
	if s := settled(t, o); s.Delivered || !strings.Contains(s.Reason, "does not know") {
		t.Fatalf("settled %+v; want given up, saying why", s)
	}
}

// A rate limit is waited out until its reset, not retried inside the
// window, and a rate-limited note is not in doubt (PagerDuty did not
// process it).
func TestRateLimitedNoteWaitsForTheWindow(t *testing.T) {
	w := setup(t)
	if err := w.pd.InjectFault(pdemulator.Fault{Method: "POST", Path: "/incidents/*/notes", Kind: pdemulator.FaultRateLimit, RetryAfter: 3 * time.Second}); err != nil {
		t.Fatal(err)
	}
	o := w.outbox(t)
	// The attempt's deadline is shorter than the reset: the transport
	// hands back a rate-limit error instead of waiting.
	o.AttemptTimeout = time.Second
	wr, e := note(w, "rate limited")
	if _, err := o.Submit(context.Background(), wr, e); err != nil {
		t.Fatal(err)
	}
	run(t, o)
	deadline := time.After(30 * time.Second)
	for {
		var snap outbox.Snapshot
		select {
		case snap = <-o.Changes():
		case <-deadline:
			t.Fatal("never settled")
		}
		for _, p := range snap.Pending {
			if p.Attempts > 0 {
				if p.Unconfirmed {
					t.Fatalf("a rate-limited note is marked unconfirmed: %+v", p)
				}
				if wait := time.Until(p.NextTry); wait < 2*time.Second {
					t.Fatalf("next try in %s, inside the 3 s rate-limit window (%s)", wait, p.LastErr)
				}
			}
		}
		if len(snap.Settled) > 0 {
			if !snap.Settled[0].Delivered {
				t.Fatalf("settled %+v", snap.Settled[0])
			}
			break
		}
	}
	if n := w.notes(t, "rate limited"); n != 1 {
		t.Fatalf("PagerDuty has the note %d times, want once", n)
	}
}
