package outbox_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"sitrep/sources/demo/pdemulator"
	"sitrep/store/journal"
	"sitrep/store/outbox"
)

// more triggers n incidents beside the world's first, on its service.
func (w *world) more(t *testing.T, n int) []string {
	t.Helper()
	first, err := w.pd.Incident(w.id)
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{w.id}
	for range n {
		res, err := w.pd.Trigger(pdemulator.TriggerOptions{ServiceID: first.ServiceID, Title: "queue depth above 10k"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.IncidentID)
	}
	return ids
}

func bulkWrite(ids []string, change string) (outbox.Write, []journal.Entry) {
	w := outbox.Write{Incidents: ids, Label: "bulk", Op: outbox.OpBulk, Args: map[string]string{"change": change, "run": "bulk-test"}}
	var es []journal.Entry
	for _, id := range ids {
		es = append(es, journal.Entry{Incident: id, Kind: "operation", Summary: change + " through sitrep (bulk run bulk-test)"})
	}
	return w, es
}

func kinds(t *testing.T, j *journal.Journal, id string) []string {
	t.Helper()
	es, err := j.Entries(id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		if e.Kind == "operation" || strings.HasPrefix(e.Kind, "outbox.") {
			out = append(out, e.Kind)
		}
	}
	return out
}

// A bulk write is journaled once per incident and settles once per
// incident: delivered, or failed with PagerDuty's reason for the one it
// refused.
func TestBulkWriteJournalsAndSettlesEachIncident(t *testing.T) {
	w := setup(t)
	ids := w.more(t, 2)
	info, _ := w.pd.Incident(ids[1])
	if err := w.pd.Resolve(ids[1], info.AssigneeIDs[0]); err != nil {
		t.Fatal(err)
	}
	o := w.outbox(t)
	run(t, o)
	wr, es := bulkWrite(ids, "acknowledge")
	if _, err := o.SubmitBulk(context.Background(), wr, es); err != nil {
		t.Fatal(err)
	}
	s := settled(t, o)
	if !s.Delivered || len(s.Refused) != 1 || !strings.Contains(s.Refused[ids[1]], "resolved") {
		t.Fatalf("settled: delivered %v, refused %v", s.Delivered, s.Refused)
	}
	for i, id := range ids {
		want := "[operation outbox.delivered]"
		if i == 1 {
			want = "[operation outbox.failed]"
		}
		if got := kinds(t, w.j, id); strings.Join(got, " ") != strings.Trim(want, "[]") {
			t.Errorf("journal of %s: %v, want %s", id, got, want)
		}
	}
	for _, id := range []string{ids[0], ids[2]} {
		if in, _ := w.pd.Incident(id); in.Status != "acknowledged" {
			t.Errorf("%s is %s", id, in.Status)
		}
	}
}

// PagerDuty failing the bulk request is retried like any write, and shows
// as pending with the reason until it goes through.
func TestBulkWriteIsRetriedThrough5xx(t *testing.T) {
	w := setup(t)
	ids := w.more(t, 1)
	// One attempt's worth: the first request and the transport's retries.
	if err := w.pd.InjectFault(pdemulator.Fault{Method: http.MethodPut, Path: "/incidents", Kind: pdemulator.FaultServerError, Status: 502, Times: 4}); err != nil {
		t.Fatal(err)
	}
	o := w.outbox(t)
	run(t, o)
	wr, es := bulkWrite(ids, "resolve")
	if _, err := o.SubmitBulk(context.Background(), wr, es); err != nil {
		t.Fatal(err)
	}
	sawRetry := false
	for {
		snap := <-o.Changes()
		for _, p := range snap.Pending {
			if p.Attempts > 0 && strings.Contains(p.LastErr, "502") {
				sawRetry = true
			}
		}
		if len(snap.Settled) > 0 {
			s := snap.Settled[0]
			if !s.Delivered || len(s.Refused) != 0 || s.Item.Attempts < 2 {
				t.Fatalf("settled: %+v", s)
			}
			break
		}
	}
	if !sawRetry {
		t.Error("the failed attempt never showed as pending with PagerDuty's 502")
	}
	for _, id := range ids {
		if in, _ := w.pd.Incident(id); in.Status != "resolved" {
			t.Errorf("%s is %s", id, in.Status)
		}
	}
}
