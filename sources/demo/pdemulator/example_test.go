package pdemulator_test

import (
	"context"
	"fmt"
	"time"

	"github.com/PagerDuty/go-pagerduty"

	"sitrep/sources/demo/pdemulator"
)

// A demo world: one responder, one service, a deploy and the incident it
// caused, read back through the unmodified go-pagerduty client.
func Example() {
	now := time.Date(2026, 3, 14, 3, 0, 0, 0, time.UTC)
	emu := pdemulator.New(pdemulator.Options{Token: "demo", Clock: func() time.Time { return now }})
	defer emu.Close()

	alice, _ := emu.AddUser(pdemulator.User{Name: "Alice Example", Email: "alice@example.com"})
	_ = emu.SetCurrentUser(alice)
	ep, _ := emu.AddEscalationPolicy(pdemulator.EscalationPolicy{
		Name:   "Payments",
		Levels: []pdemulator.EscalationLevel{{UserIDs: []string{alice}}},
	})
	svc, _ := emu.AddService(pdemulator.Service{Name: "payment-gateway", EscalationPolicyID: ep})
	_, _ = emu.AddChangeEvent(pdemulator.ChangeEvent{ServiceID: svc, Summary: "deploy v42", Timestamp: now.Add(-10 * time.Minute)})
	res, _ := emu.Trigger(pdemulator.TriggerOptions{ServiceID: svc, Title: "Error rate above 5%", DedupKey: "pg-5xx"})

	url, err := emu.Start()
	if err != nil {
		fmt.Println(err)
		return
	}
	client := pagerduty.NewClient("demo", pagerduty.WithAPIEndpoint(url))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	if _, err := client.ManageIncidentsWithContext(ctx, "alice@example.com", []pagerduty.ManageIncidentsOptions{
		{ID: res.IncidentID, Status: "acknowledged"},
	}); err != nil {
		fmt.Println(err)
		return
	}
	list, err := client.ListIncidentsWithContext(ctx, pagerduty.ListIncidentsOptions{Statuses: []string{"acknowledged"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, in := range list.Incidents {
		fmt.Println(in.Summary, in.Status, in.HTMLURL)
	}
	entries, _ := client.ListIncidentLogEntriesWithContext(ctx, res.IncidentID, pagerduty.ListIncidentLogEntriesOptions{IsOverview: true})
	for _, e := range entries.LogEntries {
		fmt.Println(e.Type, "-", e.Summary)
	}
	// Output:
	// [#1] Error rate above 5% acknowledged https://example.pagerduty.com/incidents/Q000001
	// acknowledge_log_entry - Acknowledged by Alice Example.
	// assign_log_entry - Assigned to Alice Example.
	// trigger_log_entry - Triggered through the API.
}
