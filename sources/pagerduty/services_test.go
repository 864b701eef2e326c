package pagerduty_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"sitrep/sources/demo/pdemulator"
	"sitrep/sources/pagerduty"
)

func TestServicesAndTeams(t *testing.T) {
	w := newWorld(t)
	ep := ""
	// More than a page of services, so paging is exercised; one with a
	// name that would drive a terminal.
	for i := range 105 {
		name := fmt.Sprintf("svc-%03d", i)
		if i == 104 {
			name = "evil\x1b]0;owned\x07-svc"
		}
		if ep == "" {
			var err error
			ep, err = w.pd.AddEscalationPolicy(pdemulator.EscalationPolicy{Name: "Default", Levels: []pdemulator.EscalationLevel{{UserIDs: []string{w.me}}}})
			if err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.pd.AddService(pdemulator.Service{Name: name, EscalationPolicyID: ep}); err != nil {
			t.Fatal(err)
		}
	}
	c := pagerduty.New(pagerduty.Config{APIURL: w.url, Token: token})
	svcs, err := c.Services(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(svcs) != 106 {
		t.Fatalf("Services listed %d, want 106", len(svcs))
	}
	pg := svcs[0]
	if pg.ID != w.service || pg.Name != "payment-gateway" || pg.EscalationPolicy.Name != "Payments on-call" || len(pg.Teams) != 1 || pg.Teams[0].Name != "Payments" {
		t.Errorf("first service = %+v", pg)
	}
	if got := svcs[105].Name; strings.ContainsAny(got, "\x1b\x07") || !strings.Contains(got, "-svc") {
		t.Errorf("service name %q was not sanitized", got)
	}
	teams, err := c.Teams(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(teams) != 1 || teams[0].ID != w.team || teams[0].Name != "Payments" {
		t.Errorf("Teams = %+v", teams)
	}
}
