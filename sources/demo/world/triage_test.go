package world

import (
	"slices"
	"strings"
	"testing"
	"time"

	pd "github.com/PagerDuty/go-pagerduty"
)

// The demo world serves what triage and escalation read: escalation rules
// that the emulator follows by the clock, on-call shifts with ends, service
// dependencies, payment-gateway's past incidents and a small storm. These
// tests read it all through the real go-pagerduty client.

func pdClient(w *World) *pd.Client {
	return pd.NewClient(w.Token, pd.WithAPIEndpoint(w.PagerDutyURL))
}

func parseTime(t *testing.T, s string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("time %q: %v", s, err)
	}
	return at
}

// lastAssignment is when the incident was last assigned or escalated,
// from its log entries, as a client computing a countdown reads it.
func lastAssignment(t *testing.T, c *pd.Client, id string) (time.Time, pd.LogEntry) {
	t.Helper()
	resp, err := c.ListIncidentLogEntriesWithContext(ctx(t), id, pd.ListIncidentLogEntriesOptions{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var at time.Time
	var last pd.LogEntry
	for _, e := range resp.LogEntries {
		if e.Type != "assign_log_entry" && e.Type != "escalate_log_entry" {
			continue
		}
		if ts := parseTime(t, e.CreatedAt); ts.After(at) {
			at, last = ts, e
		}
	}
	if at.IsZero() {
		t.Fatalf("incident %s has no assign or escalate log entry", id)
	}
	return at, last
}

func TestUnacknowledgedIncidentEscalatesWhenItsCountdownEnds(t *testing.T) {
	w, clock := startWorld(t, 1)
	c := pdClient(w)
	id := w.story.Incidents["upstream"]
	in, err := c.GetIncidentWithContext(ctx(t), id)
	if err != nil {
		t.Fatal(err)
	}
	if in.Status != "triggered" || in.Service.Summary != "checkout-api" || len(in.Assignments) != 1 || in.Assignments[0].Assignee.Summary != "Carmen Ruiz" {
		t.Fatalf("checkout-api's incident at the start: %s on %s assigned to %+v", in.Status, in.Service.Summary, in.Assignments)
	}

	// The countdown as a client computes it: the policy's delay for the
	// current level from the last assignment in the log.
	ep, err := c.GetEscalationPolicyWithContext(ctx(t), in.EscalationPolicy.ID, &pd.GetEscalationPolicyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ep.EscalationRules) != 2 {
		t.Fatalf("policy %s has %d rules", ep.Name, len(ep.EscalationRules))
	}
	assigned, _ := lastAssignment(t, c, id)
	due := assigned.Add(time.Duration(ep.EscalationRules[0].Delay) * time.Minute)
	left := due.Sub(clock.Now())
	if left <= 0 || left > 5*time.Minute {
		t.Fatalf("escalation due in %s at the start, want within the demo's first minutes", left)
	}

	clock.advance(left - time.Second)
	if in, _ := c.GetIncidentWithContext(ctx(t), id); in.Assignments[0].Assignee.Summary != "Carmen Ruiz" {
		t.Fatalf("escalated a second early: %+v", in.Assignments)
	}
	clock.advance(2 * time.Second)
	in, err = c.GetIncidentWithContext(ctx(t), id)
	if err != nil {
		t.Fatal(err)
	}
	if in.Status != "triggered" || len(in.Assignments) != 1 || in.Assignments[0].Assignee.Summary != "Alice Chen" {
		t.Fatalf("after the countdown: %s assigned to %+v, want level 2 (Alice Chen)", in.Status, in.Assignments)
	}
	at, e := lastAssignment(t, c, id)
	if e.Type != "escalate_log_entry" || !at.Equal(due) || e.Channel.Type != "timeout" || !strings.Contains(e.Summary, "level 2") {
		t.Errorf("the escalation's log entry: %s %s at %s (%s), want escalate_log_entry at %s through timeout", e.Type, e.Summary, at, e.Channel.Type, due)
	}

	// Acknowledged incidents stay where they are.
	db := w.story.Incidents["db"]
	clock.advance(time.Hour)
	if in, _ := c.GetIncidentWithContext(ctx(t), db); in.Status != "acknowledged" || in.Assignments[0].Assignee.Summary != "Carmen Ruiz" {
		t.Errorf("the acknowledged checkout-db incident moved: %s %+v", in.Status, in.Assignments)
	}
}

func TestOnCallShiftsHaveEnds(t *testing.T) {
	w, clock := startWorld(t, 1)
	c := pdClient(w)
	now := clock.Now()
	resp, err := c.ListOnCallsWithContext(ctx(t), pd.ListOnCallOptions{UserIDs: []string{w.Me}, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	handoff := handoffAfter(now)
	var levels []uint
	for _, oc := range resp.OnCalls {
		if oc.End == "" || !parseTime(t, oc.End).Equal(handoff) || !parseTime(t, oc.Start).Before(now) {
			t.Errorf("Alice's shift on %s L%d runs %s..%s, want to end at %s", oc.EscalationPolicy.Summary, oc.EscalationLevel, oc.Start, oc.End, handoff)
		}
		levels = append(levels, oc.EscalationLevel)
	}
	if slices.Sort(levels); !slices.Equal(levels, []uint{1, 2}) {
		t.Errorf("Alice is on call now at levels %v, want Payments L1 and Checkout L2", levels)
	}

	// Her next shifts: the earliest of each policy and level in the next
	// two weeks, starting after this one.
	next, err := c.ListOnCallsWithContext(ctx(t), pd.ListOnCallOptions{UserIDs: []string{w.Me}, Since: handoff.Format(time.RFC3339),
		Until: handoff.Add(14 * 24 * time.Hour).Format(time.RFC3339), Earliest: true, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(next.OnCalls) != 4 {
		t.Fatalf("Alice's earliest next shifts: %d, want 4 (two policies, two levels)", len(next.OnCalls))
	}
	for _, oc := range next.OnCalls {
		start := parseTime(t, oc.Start)
		if start.Before(handoff) || start.After(handoff.Add(24*time.Hour)) || parseTime(t, oc.End).Sub(start) != 24*time.Hour {
			t.Errorf("next shift %s L%d: %s..%s", oc.EscalationPolicy.Summary, oc.EscalationLevel, oc.Start, oc.End)
		}
	}
	all, err := c.ListOnCallsWithContext(ctx(t), pd.ListOnCallOptions{UserIDs: []string{w.Me}, Since: handoff.Format(time.RFC3339),
		Until: handoff.Add(14 * 24 * time.Hour).Format(time.RFC3339), Limit: 100})
	if err != nil || len(all.OnCalls) <= len(next.OnCalls) {
		t.Errorf("without earliest: %d shifts (%v), want more than %d", len(all.OnCalls), err, len(next.OnCalls))
	}

	// By policy: who is on call for Payments now, and until when.
	pol := resp.OnCalls[0].EscalationPolicy.ID
	byPolicy, err := c.ListOnCallsWithContext(ctx(t), pd.ListOnCallOptions{EscalationPolicyIDs: []string{pol}})
	if err != nil || len(byPolicy.OnCalls) != 2 {
		t.Fatalf("on call for %s now: %+v %v", pol, byPolicy, err)
	}
}

func TestCheckoutAPIDependsOnCheckoutDBWhoseIncidentCameFirst(t *testing.T) {
	w, _ := startWorld(t, 1)
	c := pdClient(w)
	api, db := w.cast.services["checkout-api"], w.cast.services["checkout-db"]
	deps, err := c.ListTechnicalServiceDependenciesWithContext(ctx(t), api)
	if err != nil {
		t.Fatal(err)
	}
	var supporting []string
	for _, r := range deps.Relationships {
		if r.DependentService.ID == api {
			supporting = append(supporting, r.SupportingService.ID)
		}
		if r.Type != "service_dependency" || r.SupportingService.Type != "technical_service_reference" {
			t.Errorf("relationship %+v", r)
		}
	}
	if !slices.Equal(supporting, []string{db}) {
		t.Fatalf("checkout-api depends on %v, want checkout-db %s", supporting, db)
	}
	open, err := c.ListIncidentsWithContext(ctx(t), pd.ListIncidentsOptions{ServiceIDs: []string{db, api}, Statuses: []string{"triggered", "acknowledged"}, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var dbStart, apiStart time.Time
	for _, in := range open.Incidents {
		switch in.ID {
		case w.story.Incidents["db"]:
			dbStart = parseTime(t, in.CreatedAt)
		case w.story.Incidents["upstream"]:
			apiStart = parseTime(t, in.CreatedAt)
		}
	}
	if dbStart.IsZero() || apiStart.IsZero() || !dbStart.Before(apiStart) {
		t.Errorf("checkout-db's incident started %s, checkout-api's %s: want the database first", dbStart, apiStart)
	}
	if _, err := c.ListTechnicalServiceDependenciesWithContext(ctx(t), "PNOSUCH"); err == nil {
		t.Error("dependencies of an unknown service answered")
	}
}

func TestPaymentGatewayHasResolvedHistoryWithNotes(t *testing.T) {
	w, clock := startWorld(t, 1)
	c := pdClient(w)
	now := clock.Now()
	list, err := c.ListIncidentsWithContext(ctx(t), pd.ListIncidentsOptions{
		ServiceIDs: []string{w.cast.services["payment-gateway"]}, Statuses: []string{"resolved"},
		Since: now.Add(-30 * 24 * time.Hour).Format(time.RFC3339), Until: now.Format(time.RFC3339), Limit: 100,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Incidents) != 2 {
		t.Fatalf("resolved payment-gateway incidents in 30 days: %d, want 2", len(list.Incidents))
	}
	var restart string
	for _, in := range list.Incidents {
		age := now.Sub(parseTime(t, in.CreatedAt))
		if age < 3*24*time.Hour || age > 11*24*time.Hour || in.ResolvedAt == "" {
			t.Errorf("#%d %q: created %s ago, resolved at %q", in.IncidentNumber, in.Title, age, in.ResolvedAt)
		}
		if in.IncidentNumber <= 10 {
			t.Errorf("past incident %q took #%d, one of tonight's numbers", in.Title, in.IncidentNumber)
		}
		notes, err := c.ListIncidentNotesWithContext(ctx(t), in.ID)
		if err != nil || len(notes) == 0 {
			t.Errorf("#%d has no notes: %v", in.IncidentNumber, err)
		}
		for _, n := range notes {
			if strings.Contains(n.Content, "restarted payment-gateway, 5xx back to 1% within 2 min") {
				restart = in.ID
			}
		}
	}
	if restart != w.story.Incidents["past-5xx"] {
		t.Fatalf("no past incident's notes say the restart helped")
	}
	// Its log tells who worked it and when it ended.
	resp, err := c.ListIncidentLogEntriesWithContext(ctx(t), restart, pd.ListIncidentLogEntriesOptions{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range resp.LogEntries {
		types = append(types, e.Type)
	}
	for _, want := range []string{"trigger_log_entry", "acknowledge_log_entry", "annotate_log_entry", "resolve_log_entry"} {
		if !slices.Contains(types, want) {
			t.Errorf("the past incident's log lacks %s: %v", want, types)
		}
	}
	// Tonight's incidents keep their numbers: the storyline's first ten
	// are #1 to #10 in the order they opened.
	for role, n := range map[string]int{"tls": 1, "disk": 2, "db": 7, "5xx": 9, "webhooks": 10, "upstream": 11} {
		if in, err := w.PagerDuty.Incident(w.story.Incidents[role]); err != nil || in.Number != n {
			t.Errorf("%s incident is #%d (%v), want #%d", role, in.Number, err, n)
		}
	}
}

func TestStormOfRelatedLowUrgencyIncidents(t *testing.T) {
	w, clock := startWorld(t, 1)
	var storm []string
	for range 8 {
		clock.advance(20 * time.Second)
		w.story.next()
	}
	for _, p := range []string{"3", "7", "11"} {
		id := w.story.Incidents["storm-p"+p]
		if id == "" {
			t.Fatalf("no storm incident for partition %s after 8 ticks", p)
		}
		storm = append(storm, id)
	}
	var first, last time.Time
	for _, id := range storm {
		in, err := pdClient(w).GetIncidentWithContext(ctx(t), id)
		if err != nil {
			t.Fatal(err)
		}
		at := parseTime(t, in.CreatedAt)
		if first.IsZero() || at.Before(first) {
			first = at
		}
		if at.After(last) {
			last = at
		}
		if in.Urgency != "low" || in.Service.Summary != "billing-worker" || in.Status != "triggered" || in.IncidentNumber <= 11 {
			t.Errorf("storm incident #%d %q: %s %s on %s", in.IncidentNumber, in.Title, in.Urgency, in.Status, in.Service.Summary)
		}
	}
	if last.Sub(first) > 2*time.Minute {
		t.Errorf("the storm spread over %s, want within two minutes", last.Sub(first))
	}
	if first.Sub(w.Started()) < time.Minute {
		t.Errorf("the storm began %s into the demo; the first screens should be as before", first.Sub(w.Started()))
	}
}
