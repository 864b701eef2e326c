package pagerduty_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"sitrep/sources/demo/pdemulator"
	"sitrep/sources/pagerduty"
)

func (w *world) triggerN(t *testing.T, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = w.trigger(t, fmt.Sprintf("disk full on host-%03d", i), pagerduty.UrgencyHigh)
	}
	return ids
}

func (w *world) status(t *testing.T, id string) string {
	t.Helper()
	in, err := w.pd.Incident(id)
	if err != nil {
		t.Fatal(err)
	}
	return in.Status
}

func TestBulkSendsAtMost250IncidentsARequest(t *testing.T) {
	w := newWorld(t)
	ids := w.triggerN(t, 600)
	w.pd.ResetRequests()

	res, err := w.client(10*time.Second).Bulk(context.Background(), pagerduty.BulkChange{Status: pagerduty.StatusAcknowledged}, ids)
	if err != nil {
		t.Fatal(err)
	}
	if got := w.count(http.MethodPut, "/incidents"); got != 3 {
		t.Errorf("600 incidents took %d PUT /incidents, want 3 (250, 250, 100)", got)
	}
	if res.Requests != 3 || len(res.Updated) != 600 || len(res.Refused) != 0 {
		t.Errorf("result: %d requests, %d updated, %d refused; want 3, 600, 0", res.Requests, len(res.Updated), len(res.Refused))
	}
	for _, id := range []string{ids[0], ids[249], ids[250], ids[599]} {
		if st := w.status(t, id); st != pagerduty.StatusAcknowledged {
			t.Errorf("%s is %s after the bulk acknowledgement", id, st)
		}
	}
}

func TestChunks(t *testing.T) {
	ids := make([]string, 501)
	for i := range ids {
		ids[i] = fmt.Sprint(i)
	}
	var sizes []int
	for _, c := range pagerduty.Chunks(ids, pagerduty.MaxBulk) {
		sizes = append(sizes, len(c))
	}
	if fmt.Sprint(sizes) != "[250 250 1]" {
		t.Errorf("chunks of 501: %v", sizes)
	}
	if len(pagerduty.Chunks(nil, 250)) != 0 {
		t.Error("no incidents made a chunk")
	}
}

// An incident resolved elsewhere makes PagerDuty refuse the whole request;
// the others still go through, and the refused one says why.
func TestBulkSetsAsideTheIncidentPagerDutyRefuses(t *testing.T) {
	w := newWorld(t)
	ids := w.triggerN(t, 4)
	if err := w.pd.Resolve(ids[2], w.other); err != nil {
		t.Fatal(err)
	}
	w.pd.ResetRequests()

	res, err := w.client(10*time.Second).Bulk(context.Background(), pagerduty.BulkChange{Status: pagerduty.StatusAcknowledged}, ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Updated) != 3 || len(res.Refused) != 1 {
		t.Fatalf("updated %v, refused %v; want 3 updated and %s refused", res.Updated, res.Refused, ids[2])
	}
	if why := res.Refused[ids[2]]; !strings.Contains(why, "resolved") {
		t.Errorf("refusal of %s does not say it is resolved: %q", ids[2], why)
	}
	if got := w.count(http.MethodPut, "/incidents"); got != 2 {
		t.Errorf("%d PUT /incidents, want 2 (the refused request and the one without %s)", got, ids[2])
	}
	for _, id := range []string{ids[0], ids[1], ids[3]} {
		if st := w.status(t, id); st != pagerduty.StatusAcknowledged {
			t.Errorf("%s is %s", id, st)
		}
	}
}

// A chunk PagerDuty fails (5xx past the transport's retries) stops the
// update: the chunks before it are done, and the error says why.
func TestBulkStopsAtAFailedChunk(t *testing.T) {
	w := newWorld(t)
	ids := w.triggerN(t, 300)
	// Every PUT fails while the faults last: the transport's retries of
	// the first chunk use them all up.
	if err := w.pd.InjectFault(pdemulator.Fault{Method: http.MethodPut, Path: "/incidents", Kind: pdemulator.FaultServerError, Status: 503, Times: 50}); err != nil {
		t.Fatal(err)
	}
	res, err := w.client(5*time.Second).Bulk(context.Background(), pagerduty.BulkChange{Status: pagerduty.StatusResolved}, ids)
	if err == nil {
		t.Fatal("bulk update through 503s succeeded")
	}
	if !strings.Contains(err.Error(), "503") {
		t.Errorf("error does not give PagerDuty's answer: %v", err)
	}
	if len(res.Updated) != 0 {
		t.Errorf("updated %d incidents through a failed request", len(res.Updated))
	}
	if st := w.status(t, ids[0]); st != pagerduty.StatusTriggered {
		t.Errorf("%s is %s after a failed bulk update", ids[0], st)
	}
}

func TestBulkReassignsAndRefusesAnUnknownUser(t *testing.T) {
	w := newWorld(t)
	ids := w.triggerN(t, 2)
	c := w.client(10 * time.Second)
	res, err := c.Bulk(context.Background(), pagerduty.BulkChange{AssigneeID: w.other}, ids)
	if err != nil || len(res.Updated) != 2 {
		t.Fatalf("reassign: %v, %+v", err, res)
	}
	in, err := w.pd.Incident(ids[1])
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(in.AssigneeIDs) != "["+w.other+"]" {
		t.Errorf("assignees of %s: %v, want %s", ids[1], in.AssigneeIDs, w.other)
	}
	// A user who does not exist is wrong for every incident: the first
	// refusal names incidents[0], and so on until none is left.
	res, err = c.Bulk(context.Background(), pagerduty.BulkChange{AssigneeID: "PNOBODY"}, ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Refused) != 2 || !strings.Contains(res.Refused[ids[0]], "PNOBODY") {
		t.Errorf("refused: %v", res.Refused)
	}
	if _, err := c.Bulk(context.Background(), pagerduty.BulkChange{Status: "triggered"}, ids); err == nil {
		t.Error("a bulk change to triggered was sent")
	}
}

func TestUsersLooksUpTheDirectory(t *testing.T) {
	w := newWorld(t)
	users, err := w.client(5*time.Second).Users(context.Background(), "bob")
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 1 || users[0].ID != w.other || users[0].Name != "Bob Okafor" {
		t.Errorf("users matching bob: %+v", users)
	}
}
