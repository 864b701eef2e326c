package tui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"sitrep/sources/demo/pdemulator"
	"sitrep/sources/pagerduty"
)

// onCallWorld is the emulator at t0 with Alice (the token's owner) on the
// Payments and Checkout teams: Payments on-call has Alice at level 1 and
// Bob at level 2 until 05:00; Checkout on-call has Carmen at
// level 1, Alice named directly at level 2, and nobody at level 3; every
// shift hands over at 05:00. Alice is next on Payments level 2 and then on
// Checkout level 1.
func onCallWorld(t *testing.T, clock func() time.Time) (*pdemulator.Server, *pagerduty.Client) {
	t.Helper()
	const token = "oncall-test-token"
	pd := pdemulator.New(pdemulator.Options{Token: token, Clock: clock})
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
	payments := must(pd.AddTeam(pdemulator.Team{Name: "Payments"}))
	checkout := must(pd.AddTeam(pdemulator.Team{Name: "Checkout"}))
	alice := must(pd.AddUser(pdemulator.User{Name: "Alice Chen", Email: "alice@example.com", TeamIDs: []string{payments, checkout}}))
	bob := must(pd.AddUser(pdemulator.User{Name: "Bob Okafor", Email: "bob@example.com", TeamIDs: []string{payments}}))
	carmen := must(pd.AddUser(pdemulator.User{Name: "Carmen Ruiz", Email: "carmen@example.com", TeamIDs: []string{checkout}}))
	if err := pd.SetCurrentUser(alice); err != nil {
		t.Fatal(err)
	}
	primary := must(pd.AddSchedule(pdemulator.Schedule{Name: "Payments primary"}))
	secondary := must(pd.AddSchedule(pdemulator.Schedule{Name: "Payments secondary"}))
	front := must(pd.AddSchedule(pdemulator.Schedule{Name: "Checkout front"}))
	nights := must(pd.AddSchedule(pdemulator.Schedule{Name: "Checkout nights"}))
	pay := must(pd.AddEscalationPolicy(pdemulator.EscalationPolicy{Name: "Payments on-call", TeamIDs: []string{payments},
		Levels: []pdemulator.EscalationLevel{{ScheduleIDs: []string{primary}}, {ScheduleIDs: []string{secondary}}}}))
	chk := must(pd.AddEscalationPolicy(pdemulator.EscalationPolicy{Name: "Checkout on-call", TeamIDs: []string{checkout},
		Levels: []pdemulator.EscalationLevel{{ScheduleIDs: []string{front}}, {UserIDs: []string{alice}}, {ScheduleIDs: []string{nights}}}}))
	handoff := t0.Add(2 * time.Hour)
	day := 24 * time.Hour
	for _, oc := range []pdemulator.OnCall{
		{UserID: alice, EscalationPolicyID: pay, Level: 1, ScheduleID: primary, Start: handoff.Add(-day), End: handoff},
		{UserID: bob, EscalationPolicyID: pay, Level: 2, ScheduleID: secondary, Start: handoff.Add(-day), End: handoff},
		{UserID: alice, EscalationPolicyID: pay, Level: 2, ScheduleID: secondary, Start: handoff, End: handoff.Add(day)},
		{UserID: carmen, EscalationPolicyID: chk, Level: 1, ScheduleID: front, Start: handoff.Add(-day), End: handoff.Add(day)},
		{UserID: alice, EscalationPolicyID: chk, Level: 2},
		{UserID: alice, EscalationPolicyID: chk, Level: 1, ScheduleID: front, Start: handoff.Add(day), End: handoff.Add(2 * day)},
	} {
		if err := pd.AddOnCall(oc); err != nil {
			t.Fatal(err)
		}
	}
	return pd, pagerduty.New(pagerduty.Config{APIURL: url, Token: token, Timeout: 10 * time.Second})
}

// onCallOpen is the cockpit at w×h with O pressed and its fetch answered,
// and the clock to move past the screen's grace period.
func onCallOpen(t *testing.T, src OnCall, w, h int) (Model, func()) {
	t.Helper()
	now := t0
	m := New(nil, Options{Now: func() time.Time { return now }, OnCall: src})
	m = step(t, m, tea.WindowSizeMsg{Width: w, Height: h})
	m = step(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: fixture(3), at: t0.Add(-4 * time.Second)})
	next, cmd := m.Update(keyMsg("O"))
	m = next.(Model)
	if _, ok := m.screen.(*onCallScreen); !ok {
		t.Fatalf("O did not open the on-call screen:\n%s", plainView(m))
	}
	if v := plainView(m); !strings.Contains(v, "asking PagerDuty who is on call") {
		t.Errorf("while the answer is on its way the screen does not say so:\n%s", v)
	}
	m = runAll(t, m, cmd)
	return m, func() { now = now.Add(gracePeriod + time.Millisecond) }
}

// The screen at 80 and 120 columns, through the real client and the
// emulator: policies by name, levels in order, me marked, the level
// nobody covers, the open-ended level, and my next shifts, each time in
// UTC with how far off it is.
func TestOnCallScreenGolden(t *testing.T) {
	_, client := onCallWorld(t, fixedClock)
	for _, size := range []struct {
		name string
		w, h int
	}{{"80x24", 80, 24}, {"120x30", 120, 30}} {
		t.Run(size.name, func(t *testing.T) {
			m, _ := onCallOpen(t, client, size.w, size.h)
			v := plainView(m)
			assertFits(t, v, size.w, size.h)
			for _, want := range []string{
				"On call now for the teams of Alice Chen (Payments, Checkout)",
				"Alice Chen (you)", "nobody on call", "no end", "Sun 29 Nov 05:00 (in 2h00m)", "Your shifts in the next 14 days",
			} {
				if !strings.Contains(v, want) {
					t.Errorf("the screen lacks %q:\n%s", want, v)
				}
			}
			golden(t, "oncall_"+size.name, v)
		})
	}
}

// ? on the screen lists its keys, and not the list's.
func TestHelpOnTheOnCallScreen(t *testing.T) {
	_, client := onCallWorld(t, fixedClock)
	m, wait := onCallOpen(t, client, 120, 40)
	wait()
	got := helpShown(t, press(t, m, "?"))
	assertKeys(t, "the on-call screen", got, []string{"r refresh", "esc close", "O close on-call", "pgdn page down"},
		[]string{"acknowledge", "J journal", "tick a step"})
	golden(t, "help_oncall_120x40", got)
}

// O is on the list's ? when there is PagerDuty to ask, and works from
// the detail too; esc and O close the screen.
func TestOnCallKeyOnListAndDetail(t *testing.T) {
	m, wait := onCallOpen(t, fakeOnCall{}, 120, 40)
	wait()
	m = press(t, m, "O")
	if m.screen != nil {
		t.Fatalf("O on the screen did not close it (on top: %T)", m.screen)
	}
	assertKeys(t, "the list", helpShown(t, press(t, m, "?")), []string{"O who is on call"}, nil)
	wait()
	m = press(t, m, "enter", "O")
	if _, ok := m.screen.(*onCallScreen); !ok {
		t.Fatalf("O on the detail did not open the on-call screen:\n%s", plainView(m))
	}
	wait()
	if m = press(t, m, "esc"); m.screen != nil {
		t.Errorf("esc did not close the on-call screen")
	}

	// Without PagerDuty to ask, O says so.
	bare, _ := listAt(t, false)
	if bare = press(t, bare, "O"); bare.screen != nil || !strings.Contains(plainView(bare), "no PagerDuty to ask who is on call") {
		t.Errorf("O without PagerDuty does not say why nothing opens:\n%s", plainView(bare))
	}
}

// A fetch that fails is named on the screen with r to try again; r asks
// again and the rows replace the failure. Through the emulator's fault
// injection on GET /oncalls.
func TestOnCallFailureNamedAndRetried(t *testing.T) {
	pd, client := onCallWorld(t, fixedClock)
	if err := pd.InjectFault(pdemulator.Fault{Method: "GET", Path: "/oncalls", Kind: pdemulator.FaultMalformedJSON}); err != nil {
		t.Fatal(err)
	}
	m, wait := onCallOpen(t, client, 100, 30)
	v := plainView(m)
	if !strings.Contains(v, "⚠ on-call: list on-calls: PagerDuty's answer is not the JSON expected") || !strings.Contains(v, "r to try again") {
		t.Fatalf("the failure is not named with r to try again:\n%s", v)
	}
	if strings.Contains(v, "asking PagerDuty") {
		t.Errorf("the failed fetch still says it is asking:\n%s", v)
	}
	wait()
	next, cmd := m.Update(keyMsg("r"))
	m = next.(Model)
	if v := plainView(m); !strings.Contains(v, "asking PagerDuty who is on call") {
		t.Errorf("r does not say it asks again:\n%s", v)
	}
	m = runAll(t, m, cmd)
	v = plainView(m)
	if strings.Contains(v, "⚠") || !strings.Contains(v, "Bob Okafor") || !strings.Contains(v, "updated") {
		t.Errorf("after r the rows do not replace the failure:\n%s", v)
	}
}

// A slow PagerDuty never holds the screen: the fetch runs in a Cmd, and
// an answer that r overtook is dropped.
func TestOnCallStaleAnswerDropped(t *testing.T) {
	m, wait := onCallOpen(t, fakeOnCall{}, 100, 30)
	wait()
	o := m.screen.(*onCallScreen)
	stale := onCallLoaded{gen: o.gen, err: errorString("list on-calls: no answer in time")}
	next, _ := m.Update(keyMsg("r"))
	m = next.(Model)
	m = step(t, m, stale)
	if v := plainView(m); strings.Contains(v, "no answer in time") {
		t.Errorf("an answer that r overtook is shown:\n%s", v)
	}
}
