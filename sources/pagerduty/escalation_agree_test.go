package pagerduty_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"sitrep/sources/demo/pdemulator"
	"sitrep/sources/pagerduty"
)

// The countdown and PagerDuty agree: an emulator that escalates by the
// clock escalates exactly when NextEscalation said, to the level and person
// it said, through the policy's loops, and the log it writes reads back
// into the next countdown.
func TestCountdownAgreesWithTheEmulator(t *testing.T) {
	var (
		mu  sync.Mutex
		now = time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)
	)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	set := func(t time.Time) { mu.Lock(); now = t; mu.Unlock() }
	pd := pdemulator.New(pdemulator.Options{Token: token, Clock: clock, AutoEscalate: true})
	url, err := pd.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pd.Close() })
	alice, _ := pd.AddUser(pdemulator.User{Name: "Alice Chen", Email: "alice@example.com"})
	bob, _ := pd.AddUser(pdemulator.User{Name: "Bob Okafor", Email: "bob@example.com"})
	if err := pd.SetCurrentUser(alice); err != nil {
		t.Fatal(err)
	}
	ep, err := pd.AddEscalationPolicy(pdemulator.EscalationPolicy{Name: "Payments on-call", NumLoops: 1, Levels: []pdemulator.EscalationLevel{
		{DelayMinutes: 5, UserIDs: []string{alice}}, {DelayMinutes: 10, UserIDs: []string{bob}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	sv, _ := pd.AddService(pdemulator.Service{Name: "payment-gateway", EscalationPolicyID: ep})
	res, err := pd.Trigger(pdemulator.TriggerOptions{ServiceID: sv, Title: "5xx"})
	if err != nil {
		t.Fatal(err)
	}
	c := pagerduty.New(pagerduty.Config{APIURL: url, Token: token, Now: clock})
	ctx := context.Background()
	p, err := c.EscalationPolicy(ctx, ep)
	if err != nil {
		t.Fatal(err)
	}
	next := func() (pagerduty.Escalation, []pagerduty.LogEntry) {
		t.Helper()
		d, err := c.DetailWith(ctx, res.IncidentID, pagerduty.DetailOptions{Parts: pagerduty.PartLogEntries, Fresh: true})
		if err != nil {
			t.Fatal(err)
		}
		return pagerduty.NextEscalationOf(d.Incident, p, d.LogEntries), d.LogEntries
	}
	for i, want := range []struct {
		level  int
		who    string
		repeat int
	}{{2, "Bob Okafor", 0}, {1, "Alice Chen", 1}, {2, "Bob Okafor", 0}} {
		e, _ := next()
		if e.None != "" || e.Level != want.level || len(e.Targets) != 1 || e.Targets[0].Name != want.who || e.Repeat != want.repeat {
			t.Fatalf("step %d: next escalation %+v, want L%d %s (repeat %d)", i, e, want.level, want.who, want.repeat)
		}
		// A second before: PagerDuty has not escalated.
		set(e.At.Add(-time.Second))
		if again, _ := next(); again.At != e.At || again.Level != e.Level {
			t.Fatalf("step %d: a second early the emulator escalated: %+v, then %+v", i, e, again)
		}
		// At zero: it has, dated then, to the level the countdown named.
		set(e.At)
		_, log := next()
		st, _ := pagerduty.EscalationStateOf(log)
		if st.Level != want.level || !st.Since.Equal(e.At) {
			t.Fatalf("step %d: at zero the log stands at %+v, want level %d since %s", i, st, want.level, e.At)
		}
	}
	// At level 2 after its one loop: nothing comes next.
	if e, _ := next(); e.None != pagerduty.NoEscalationLastLevel {
		t.Errorf("after the loops: %+v", e)
	}
}
