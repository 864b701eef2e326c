package pagerduty_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"sitrep/sources/demo/pdemulator"
	"sitrep/sources/pagerduty"
)

// past opens an incident on service at, and resolves it unless open.
func (w *world) past(t *testing.T, service, title string, at time.Time, open bool) string {
	t.Helper()
	res, err := w.pd.Trigger(pdemulator.TriggerOptions{ServiceID: service, Title: title, At: at})
	if err != nil {
		t.Fatal(err)
	}
	if !open {
		if err := w.pd.Resolve(res.IncidentID, w.me); err != nil {
			t.Fatal(err)
		}
	}
	return res.IncidentID
}

func TestServiceHistoryAgainstEmulator(t *testing.T) {
	w := newWorld(t)
	now := time.Now()
	day := 24 * time.Hour
	ep, err := w.pd.AddEscalationPolicy(pdemulator.EscalationPolicy{Name: "Other", Levels: []pdemulator.EscalationLevel{{UserIDs: []string{w.me}}}})
	if err != nil {
		t.Fatal(err)
	}
	other, err := w.pd.AddService(pdemulator.Service{Name: "checkout-api", EscalationPolicyID: ep})
	if err != nil {
		t.Fatal(err)
	}
	tenDays := w.past(t, w.service, "p99 latency above 1.5 s", now.Add(-10*day), false)
	threeDays := w.past(t, w.service, "HTTP 5xx ratio above 5%\x1b[31m", now.Add(-3*day), false)
	w.past(t, w.service, "long ago", now.Add(-40*day), false)     // outside the window
	w.past(t, w.service, "still open", now.Add(-2*day), true)     // not resolved
	w.past(t, other, "another service's", now.Add(-1*day), false) // not this service
	tonight := w.past(t, w.service, "tonight's, resolved", now.Add(-time.Hour), false)

	c := w.client(5 * time.Second)
	h, err := c.ServiceHistory(context.Background(), w.service, 30*day, 20, now)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, in := range h.Incidents {
		ids = append(ids, in.ID)
		if strings.ContainsRune(in.Title, '\x1b') {
			t.Errorf("title %q is not sanitized", in.Title)
		}
		if r := pagerduty.Resolved(in); r.IsZero() || r.Before(in.CreatedAt) {
			t.Errorf("#%d resolved at %v, created %v", in.Number, r, in.CreatedAt)
		}
	}
	if want := []string{tonight, threeDays, tenDays}; strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Fatalf("history = %v, want the resolved ones in 30 days, newest first: %v", ids, want)
	}
	if h.Capped || h.Limit != 20 || h.Window() != 30*day {
		t.Errorf("history = capped %v, limit %d, window %s", h.Capped, h.Limit, h.Window())
	}
	// The filters are PagerDuty's: one request, asking for them.
	reqs := w.pd.Requests()
	last := reqs[len(reqs)-1]
	q, _ := url.ParseQuery(last.RawQuery)
	if last.Path != "/incidents" || q.Get("statuses[]") != "resolved" || q.Get("service_ids[]") != w.service || q.Get("since") == "" || q.Get("until") == "" || q.Get("sort_by") != "created_at:desc" {
		t.Errorf("request %s?%s does not filter by status, service and window", last.Path, last.RawQuery)
	}

	t.Run("window", func(t *testing.T) {
		h, err := c.ServiceHistory(context.Background(), w.service, 5*day, 20, now)
		if err != nil || len(h.Incidents) != 2 || h.Incidents[1].ID != threeDays {
			t.Fatalf("5-day history = %+v (%v), want tonight's and 3 days ago", h.Incidents, err)
		}
	})
	t.Run("cap", func(t *testing.T) {
		h, err := c.ServiceHistory(context.Background(), w.service, 30*day, 2, now)
		if err != nil || len(h.Incidents) != 2 || !h.Capped || h.Incidents[0].ID != tonight {
			t.Fatalf("capped history = %d incidents, capped %v (%v), want the newest 2 and capped", len(h.Incidents), h.Capped, err)
		}
	})
	t.Run("cached", func(t *testing.T) {
		r := pagerduty.NewHistoryReader(c, pagerduty.HistoryConfig{Window: 30 * day})
		before := w.count("GET", "/incidents")
		for range 2 {
			if h, err := r.Get(context.Background(), w.service, false); err != nil || len(h.Incidents) != 3 {
				t.Fatalf("Get = %d incidents (%v)", len(h.Incidents), err)
			}
		}
		if n := w.count("GET", "/incidents") - before; n != 1 {
			t.Errorf("two looks asked PagerDuty %d times, want 1", n)
		}
		if _, err := r.Get(context.Background(), w.service, true); err != nil {
			t.Fatal(err)
		}
		if n := w.count("GET", "/incidents") - before; n != 2 {
			t.Errorf("a fresh look did not ask again: %d requests", n)
		}
		if _, err := w.pd.AddNote(threeDays, w.me, "restarted payment-gateway, 5xx back to 1%"); err != nil {
			t.Fatal(err)
		}
		notes, err := r.Notes(context.Background(), threeDays)
		if err != nil || len(notes) != 1 || !strings.Contains(notes[0].Content, "restarted") {
			t.Fatalf("notes = %+v (%v)", notes, err)
		}
		if _, err := r.Notes(context.Background(), threeDays); err != nil {
			t.Fatal(err)
		}
		if n := w.count("GET", "/incidents/"+threeDays+"/notes"); n != 1 {
			t.Errorf("notes asked for %d times, want 1 (kept)", n)
		}
	})
	t.Run("rate limited", func(t *testing.T) {
		if err := w.pd.InjectFault(pdemulator.Fault{Method: "GET", Path: "/incidents", Kind: pdemulator.FaultRateLimit, RetryAfter: time.Minute}); err != nil {
			t.Fatal(err)
		}
		r := pagerduty.NewHistoryReader(c, pagerduty.HistoryConfig{})
		_, err := r.Get(context.Background(), w.service, false)
		var rl *pagerduty.RateLimitError
		if !errors.As(err, &rl) || !strings.Contains(err.Error(), "list past incidents of "+w.service) {
			t.Fatalf("err = %v, want a rate-limit error naming the history", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		if err := w.pd.InjectFault(pdemulator.Fault{Method: "GET", Path: "/incidents", Kind: pdemulator.FaultLatency, Delay: time.Minute}); err != nil {
			t.Fatal(err)
		}
		_, err := w.client(200*time.Millisecond).ServiceHistory(context.Background(), w.service, 30*day, 20, now)
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "no answer in time") {
			t.Fatalf("err = %v, want a deadline named", err)
		}
	})
	t.Run("bad input", func(t *testing.T) {
		if _, err := c.ServiceHistory(context.Background(), "", 30*day, 20, now); err == nil {
			t.Error("no service: no error")
		}
		if _, err := c.ServiceHistory(context.Background(), w.service, 0, 20, now); err == nil {
			t.Error("no window: no error")
		}
	})
}

func TestUpstreamCausesAt(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)
	api := upstreamIncident("PAPI", 11, "SAPI", t0)
	deps := []pagerduty.ServiceRef{{ID: "SDB"}}
	// Resolved an hour after api started: open at its start, so a cause.
	db := upstreamIncident("PDB", 7, "SDB", t0.Add(-23*time.Minute))
	db.Status, db.LastChangeAt = pagerduty.StatusResolved, t0.Add(time.Hour)
	// Resolved before api started: over by then.
	over := upstreamIncident("PDB2", 6, "SDB", t0.Add(-3*time.Hour))
	over.Status, over.LastChangeAt = pagerduty.StatusResolved, t0.Add(-2*time.Hour)
	got := pagerduty.UpstreamCausesAt(api, deps, []pagerduty.Incident{db, over})
	if len(got) != 1 || got[0].Incident.ID != "PDB" || got[0].Incident.Status != pagerduty.StatusResolved || got[0].Earlier != 23*time.Minute {
		t.Fatalf("UpstreamCausesAt = %+v, want only #7, still marked resolved", got)
	}
}

func TestIncidentsBeforeAgainstEmulator(t *testing.T) {
	w := newWorld(t)
	now := time.Now().Truncate(time.Second)
	before := w.past(t, w.service, "upstream, earlier", now.Add(-20*time.Minute), false)
	w.past(t, w.service, "upstream, later", now.Add(time.Minute), true)
	got, err := w.client(5*time.Second).IncidentsBefore(context.Background(), []string{w.service}, now, pagerduty.UpstreamLookback)
	if err != nil || len(got) != 1 || got[0].ID != before {
		t.Fatalf("IncidentsBefore = %+v (%v), want only the earlier one", got, err)
	}
}
