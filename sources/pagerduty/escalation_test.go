package pagerduty_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"sitrep/sources/demo/pdemulator"
	"sitrep/sources/pagerduty"
)

var t0 = time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)

func user(id, name string) pagerduty.Target {
	return pagerduty.Target{Ref: pagerduty.Ref{ID: id, Name: name}, Type: "user_reference"}
}

// threeLevels is a policy of three levels, 5, 10 and 15 minutes, that
// starts again once after the last.
var threeLevels = pagerduty.EscalationPolicy{
	Ref:      pagerduty.Ref{ID: "P1", Name: "Payments on-call"},
	NumLoops: 1,
	Rules: []pagerduty.EscalationRule{
		{Delay: 5 * time.Minute, Targets: []pagerduty.Target{user("U1", "Alice Chen")}},
		{Delay: 10 * time.Minute, Targets: []pagerduty.Target{user("U2", "Bob Okafor")}},
		{Delay: 15 * time.Minute, Targets: []pagerduty.Target{user("U3", "Carmen Ruiz"), {Ref: pagerduty.Ref{ID: "S1", Name: "DBA rota"}, Type: "schedule_reference"}}},
	},
}

func entry(typ string, min int, summary string) pagerduty.LogEntry {
	return pagerduty.LogEntry{Type: typ, At: t0.Add(time.Duration(min) * time.Minute), Summary: summary, AgentType: "service_reference"}
}

func byUser(e pagerduty.LogEntry) pagerduty.LogEntry {
	e.AgentType = "user_reference"
	e.Agent = pagerduty.Ref{ID: "U9", Name: "Erin Walsh"}
	return e
}

func triggered() []pagerduty.LogEntry {
	return []pagerduty.LogEntry{
		entry("trigger_log_entry", 0, "Triggered through the API."),
		entry("assign_log_entry", 0, "Assigned to Alice Chen."),
		entry("notify_log_entry", 0, "Notified Alice Chen by push notification."),
	}
}

func TestNextEscalation(t *testing.T) {
	tests := []struct {
		name    string
		policy  pagerduty.EscalationPolicy
		entries []pagerduty.LogEntry
		want    pagerduty.Escalation
	}{
		{
			name:    "first level escalates to the second after its delay",
			entries: triggered(),
			want:    pagerduty.Escalation{At: t0.Add(5 * time.Minute), Level: 2, Targets: []pagerduty.Target{user("U2", "Bob Okafor")}, NumLoops: 1},
		},
		{
			name: "a manual escalate starts the new level's delay",
			entries: append(triggered(),
				byUser(entry("escalate_log_entry", 2, "Escalated to level 2 by Erin Walsh: Bob Okafor."))),
			want: pagerduty.Escalation{At: t0.Add(12 * time.Minute), Level: 3, Targets: threeLevels.Rules[2].Targets, NumLoops: 1},
		},
		{
			name: "a reassignment keeps the level and starts its delay again",
			entries: append(triggered(),
				byUser(entry("acknowledge_log_entry", 1, "Acknowledged by Erin Walsh.")),
				byUser(entry("assign_log_entry", 3, "Assigned to Dev Patel by Erin Walsh."))),
			want: pagerduty.Escalation{At: t0.Add(8 * time.Minute), Level: 2, Targets: []pagerduty.Target{user("U2", "Bob Okafor")}, NumLoops: 1},
		},
		{
			name: "the last level starts the policy again while loops remain",
			entries: append(triggered(),
				entry("escalate_log_entry", 5, "Escalated to level 2: Bob Okafor."),
				entry("escalate_log_entry", 15, "Escalated to level 3: Carmen Ruiz.")),
			want: pagerduty.Escalation{At: t0.Add(30 * time.Minute), Level: 1, Targets: []pagerduty.Target{user("U1", "Alice Chen")}, Repeat: 1, NumLoops: 1},
		},
		{
			name: "after its loops the last level is the end",
			entries: append(triggered(),
				entry("escalate_log_entry", 5, "Escalated to level 2: Bob Okafor."),
				entry("escalate_log_entry", 15, "Escalated to level 3: Carmen Ruiz."),
				entry("escalate_log_entry", 30, "Escalated to level 1: Alice Chen."),
				entry("escalate_log_entry", 35, "Escalated to level 2: Bob Okafor."),
				entry("escalate_log_entry", 45, "Escalated to level 3: Carmen Ruiz.")),
			want: pagerduty.Escalation{None: pagerduty.NoEscalationLastLevel},
		},
		{
			name: "an engineer sending it back to level 1 is not a loop",
			entries: append(triggered(),
				entry("escalate_log_entry", 5, "Escalated to level 2: Bob Okafor."),
				byUser(entry("escalate_log_entry", 7, "Escalated to level 1 by Erin Walsh: Alice Chen."))),
			want: pagerduty.Escalation{At: t0.Add(12 * time.Minute), Level: 2, Targets: []pagerduty.Target{user("U2", "Bob Okafor")}, NumLoops: 1},
		},
		{
			name: "an escalation that names no level goes one up",
			entries: append(triggered(),
				entry("escalate_log_entry", 5, "Escalated to Bob Okafor due to escalation rules.")),
			want: pagerduty.Escalation{At: t0.Add(15 * time.Minute), Level: 3, Targets: threeLevels.Rules[2].Targets, NumLoops: 1},
		},
		{
			name:    "acknowledged: none",
			entries: append(triggered(), byUser(entry("acknowledge_log_entry", 1, "Acknowledged by Erin Walsh."))),
			want:    pagerduty.Escalation{None: pagerduty.NoEscalationAcknowledged},
		},
		{
			name: "unacknowledged again: the level's delay starts over",
			entries: append(triggered(),
				byUser(entry("acknowledge_log_entry", 1, "Acknowledged by Erin Walsh.")),
				entry("unacknowledge_log_entry", 31, "Unacknowledged due to timeout.")),
			want: pagerduty.Escalation{At: t0.Add(36 * time.Minute), Level: 2, Targets: []pagerduty.Target{user("U2", "Bob Okafor")}, NumLoops: 1},
		},
		{
			name:    "resolved: none",
			entries: append(triggered(), byUser(entry("resolve_log_entry", 1, "Resolved by Erin Walsh."))),
			want:    pagerduty.Escalation{None: pagerduty.NoEscalationResolved},
		},
		{
			name:    "a one-level policy without loops: the last level",
			policy:  pagerduty.EscalationPolicy{Ref: pagerduty.Ref{ID: "P2"}, Rules: threeLevels.Rules[:1]},
			entries: triggered(),
			want:    pagerduty.Escalation{None: pagerduty.NoEscalationLastLevel},
		},
		{
			name:    "a policy without rules",
			policy:  pagerduty.EscalationPolicy{Ref: pagerduty.Ref{ID: "P0"}},
			entries: triggered(),
			want:    pagerduty.Escalation{None: pagerduty.NoEscalationNoRules},
		},
		{
			name:    "no assignment in the log",
			entries: []pagerduty.LogEntry{entry("notify_log_entry", 0, "Notified.")},
			want:    pagerduty.Escalation{None: pagerduty.NoEscalationUnknown},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.policy
			if p.ID == "" {
				p = threeLevels
			}
			// Log entries arrive in any order.
			rev := make([]pagerduty.LogEntry, len(tt.entries))
			for i, e := range tt.entries {
				rev[len(rev)-1-i] = e
			}
			st, _ := pagerduty.EscalationStateOf(rev)
			got := pagerduty.NextEscalation(p, st)
			if !got.At.Equal(tt.want.At) || got.Level != tt.want.Level || got.None != tt.want.None || got.Repeat != tt.want.Repeat || got.NumLoops != tt.want.NumLoops || !sameTargets(got.Targets, tt.want.Targets) {
				t.Errorf("NextEscalation =\n %+v\nwant\n %+v", got, tt.want)
			}
		})
	}
}

func sameTargets(a, b []pagerduty.Target) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestNextEscalationOfTrustsTheListedStatus(t *testing.T) {
	in := pagerduty.Incident{Status: pagerduty.StatusAcknowledged}
	if got := pagerduty.NextEscalationOf(in, threeLevels, triggered()); got.None != pagerduty.NoEscalationAcknowledged {
		t.Errorf("an incident the list shows acknowledged escalates: %+v", got)
	}
	// The log still shows the acknowledgement the list no longer does.
	in.Status = pagerduty.StatusTriggered
	got := pagerduty.NextEscalationOf(in, threeLevels, append(triggered(), byUser(entry("acknowledge_log_entry", 1, "Acknowledged."))))
	if got.None != "" || got.Level != 2 {
		t.Errorf("a triggered incident does not escalate: %+v", got)
	}
}

func TestWithOnCallNamesThePerson(t *testing.T) {
	e := pagerduty.Escalation{At: t0, Level: 3, Targets: threeLevels.Rules[2].Targets}
	got := e.WithOnCall([]pagerduty.OnCall{
		{Level: 1, User: pagerduty.Ref{ID: "U1", Name: "Alice Chen"}},
		{Level: 3, User: pagerduty.Ref{ID: "U3", Name: "Carmen Ruiz"}},
		{Level: 3, User: pagerduty.Ref{ID: "U4", Name: "Dev Patel"}},
	})
	want := []pagerduty.Target{user("U3", "Carmen Ruiz"), user("U4", "Dev Patel")}
	if !sameTargets(got.Targets, want) {
		t.Errorf("WithOnCall = %+v, want %+v", got.Targets, want)
	}
	// Nobody on call at the level: the targets stay as the rule names them.
	if got := e.WithOnCall(nil); !sameTargets(got.Targets, e.Targets) {
		t.Errorf("WithOnCall(nil) = %+v", got.Targets)
	}
}

func TestFormatEscalation(t *testing.T) {
	bob := []pagerduty.Target{user("U2", "Bob Okafor")}
	tests := []struct {
		e    pagerduty.Escalation
		now  time.Time
		want string
	}{
		{pagerduty.Escalation{At: t0.Add(4*time.Minute + 12*time.Second), Level: 2, Targets: bob}, t0, "→ L2 Bob Okafor in 4m12s"},
		{pagerduty.Escalation{At: t0.Add(4*time.Minute + 12*time.Second), Level: 2, Targets: bob}, t0.Add(4*time.Minute + 11500*time.Millisecond), "→ L2 Bob Okafor in 1s"},
		{pagerduty.Escalation{At: t0, Level: 2, Targets: bob}, t0.Add(time.Second), "→ L2 Bob Okafor now"},
		{pagerduty.Escalation{At: t0.Add(65 * time.Minute), Level: 3, Targets: threeLevels.Rules[2].Targets}, t0, "→ L3 Carmen Ruiz +1 in 1h05m"},
		{pagerduty.Escalation{At: t0.Add(30 * time.Second), Level: 1, Targets: []pagerduty.Target{user("U1", "Alice Chen")}, Repeat: 1, NumLoops: 2}, t0, "→ L1 Alice Chen in 30s (repeat 1/2)"},
		{pagerduty.Escalation{At: t0.Add(time.Minute), Level: 2, Targets: []pagerduty.Target{user("U2", "Bob\x1b[31m Okafor\x07")}}, t0, "→ L2 Bob Okafor in 1m00s"},
		{pagerduty.Escalation{At: t0.Add(time.Minute), Level: 2}, t0, "→ L2 in 1m00s"},
		{pagerduty.Escalation{None: pagerduty.NoEscalationAcknowledged}, t0, ""},
	}
	for _, tt := range tests {
		if got := pagerduty.FormatEscalation(tt.e, tt.now); got != tt.want {
			t.Errorf("FormatEscalation(%+v) = %q, want %q", tt.e, got, tt.want)
		}
	}
}

func TestCountdown(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Second:                      "0s",
		0:                                 "0s",
		42 * time.Second:                  "42s",
		59*time.Second + time.Millisecond: "1m00s",
		4*time.Minute + 12*time.Second:    "4m12s",
		2*time.Hour + 3*time.Minute:       "2h03m",
		50 * time.Hour:                    "2d2h",
	} {
		if got := pagerduty.Countdown(d); got != want {
			t.Errorf("Countdown(%s) = %q, want %q", d, got, want)
		}
	}
}

// The same answers from the emulator through the real client: the policy
// with its rules, the log entries the timeline reads, and the cache.
func TestNextEscalationAgainstTheEmulator(t *testing.T) {
	w := newWorld(t)
	c := w.client(10 * time.Second)
	ctx := context.Background()
	id := w.trigger(t, "checkout latency", "high")
	in, err := c.Detail(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	policies := pagerduty.NewPolicies(c, 0)
	p, err := policies.Get(ctx, in.Incident.EscalationPolicy.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "Payments on-call" || len(p.Rules) != 2 || p.Rules[0].Delay != 30*time.Minute || len(p.Rules[1].Targets) != 1 || p.Rules[1].Targets[0].Name != "Bob Okafor" {
		t.Fatalf("policy = %+v", p)
	}
	var triggeredAt time.Time
	for _, e := range in.LogEntries {
		if e.Type == "trigger_log_entry" {
			triggeredAt = e.At
		}
	}
	got := pagerduty.NextEscalationOf(in.Incident, p, in.LogEntries).WithOnCall(in.OnCall)
	if got.Level != 2 || !got.At.Equal(triggeredAt.Add(30*time.Minute)) || len(got.Targets) != 1 || got.Targets[0].Name != "Bob Okafor" {
		t.Errorf("after the trigger: %+v (triggered at %s)", got, triggeredAt)
	}
	if s := pagerduty.FormatEscalation(got, triggeredAt.Add(25*time.Minute+48*time.Second)); s != "→ L2 Bob Okafor in 4m12s" {
		t.Errorf("formatted: %q", s)
	}

	// Escalated by hand to the last level of a policy that does not loop:
	// nothing comes next.
	if err := c.Escalate(ctx, id, 2); err != nil {
		t.Fatal(err)
	}
	entries, err := c.LogEntries(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	in.Incident.Status = pagerduty.StatusTriggered
	if got := pagerduty.NextEscalationOf(in.Incident, p, entries); got.None != pagerduty.NoEscalationLastLevel {
		t.Errorf("at the last level: %+v", got)
	}
	st, _ := pagerduty.EscalationStateOf(entries)
	if st.Level != 2 {
		t.Errorf("the escalate entry's level was not read: %+v", st)
	}

	// The policy is asked for once while it lives; fresh asks again.
	path := "/escalation_policies/" + p.ID
	if _, err := policies.Get(ctx, p.ID, false); err != nil {
		t.Fatal(err)
	}
	if n := w.count("GET", path); n != 1 {
		t.Errorf("GET %s %d times with the cache, want 1", path, n)
	}
	if _, err := policies.Get(ctx, p.ID, true); err != nil {
		t.Fatal(err)
	}
	if n := w.count("GET", path); n != 2 {
		t.Errorf("GET %s %d times after a fresh read, want 2", path, n)
	}
	if _, err := policies.Get(ctx, "PNOPE", false); err == nil || !strings.Contains(err.Error(), "get escalation policy PNOPE") {
		t.Errorf("an unknown policy: %v", err)
	}
}

func TestShiftsAndPoliciesOfTeams(t *testing.T) {
	w := newWorld(t)
	c := w.client(10 * time.Second)
	ctx := context.Background()
	if _, err := w.pd.AddEscalationPolicy(pdemulator.EscalationPolicy{Name: "Payments secondary", NumLoops: 2, TeamIDs: []string{w.team}, Levels: []pdemulator.EscalationLevel{{DelayMinutes: 5, UserIDs: []string{w.me}}, {DelayMinutes: 10, UserIDs: []string{w.other}}}}); err != nil {
		t.Fatal(err)
	}
	policies, err := c.PoliciesOfTeams(ctx, []string{w.team})
	if err != nil {
		t.Fatal(err)
	}
	if len(policies) != 1 || policies[0].Name != "Payments secondary" || policies[0].NumLoops != 2 || len(policies[0].Rules) != 2 || policies[0].Rules[1].Delay != 10*time.Minute {
		t.Fatalf("PoliciesOfTeams = %+v", policies)
	}
	now := time.Now().UTC().Truncate(time.Second)
	later := now.Add(72 * time.Hour)
	if err := w.pd.AddOnCall(pdemulator.OnCall{UserID: w.other, EscalationPolicyID: policies[0].ID, Level: 2, Start: now.Add(-time.Hour), End: now.Add(8 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := w.pd.AddOnCall(pdemulator.OnCall{UserID: w.other, EscalationPolicyID: policies[0].ID, Level: 1, Start: later, End: later.Add(24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	nowShifts, err := c.Shifts(ctx, pagerduty.ShiftQuery{PolicyIDs: []string{policies[0].ID}})
	if err != nil {
		t.Fatal(err)
	}
	if len(nowShifts) != 1 || nowShifts[0].User.Name != "Bob Okafor" || nowShifts[0].Level != 2 || !nowShifts[0].End.Equal(now.Add(8*time.Hour)) {
		t.Errorf("on call now: %+v", nowShifts)
	}
	next, err := c.Shifts(ctx, pagerduty.ShiftQuery{UserIDs: []string{w.other}, Since: now, Until: now.Add(14 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(next) != 2 || !next[0].Start.Equal(later) || next[0].Policy.Name != "Payments secondary" || next[0].Level != 1 || next[1].Level != 2 {
		t.Errorf("Bob's next shifts: %+v", next)
	}
}
