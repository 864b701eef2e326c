package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	"sitrep/sources/demo/pdemulator"
	"sitrep/sources/pagerduty"
)

// A title with a right-to-left override, served by PagerDuty (the emulator,
// through the real client), is listed with the override shown as a marker:
// the row reads as what the title is, not as what it pretends to be.
func TestBidiOverrideInTitleIsShownInTheList(t *testing.T) {
	const token = "test-token"
	pd := pdemulator.New(pdemulator.Options{Token: token})
	url, err := pd.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pd.Close() })
	must := func(id string, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	user := must(pd.AddUser(pdemulator.User{Name: "Alice Chen", Email: "alice@example.com"}))
	if err := pd.SetCurrentUser(user); err != nil {
		t.Fatal(err)
	}
	ep := must(pd.AddEscalationPolicy(pdemulator.EscalationPolicy{Name: "Payments", Levels: []pdemulator.EscalationLevel{{UserIDs: []string{user}}}}))
	svc := must(pd.AddService(pdemulator.Service{Name: "payment-gateway", EscalationPolicyID: ep}))
	if _, err := pd.Trigger(pdemulator.TriggerOptions{ServiceID: svc, Title: "disk full on \u202egnp.exe\u202c db-1"}); err != nil {
		t.Fatal(err)
	}

	feed := pagerduty.New(pagerduty.Config{APIURL: url, Token: token, Timeout: 30 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	incidents, err := feed.Incidents(ctx, pagerduty.ScopeAll)
	if err != nil {
		t.Fatal(err)
	}
	m := loaded(t, incidents, 120, 40)
	view := plainView(m)
	if strings.ContainsAny(view, "\u202e\u202c") {
		t.Errorf("the list draws the bidirectional controls themselves:\n%s", view)
	}
	if !strings.Contains(view, "disk full on ⟨U+202E⟩gnp.exe⟨U+202C⟩ db-1") {
		t.Errorf("the list does not show the title with its controls marked:\n%s", view)
	}
}
