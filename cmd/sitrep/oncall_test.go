package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"sitrep/sources/demo/pdemulator"
	"sitrep/sources/demo/world"
	"sitrep/sources/pagerduty"
)

// runOnCall runs the real binary's `sitrep oncall` with a clean home and
// the given extra environment, returning stdout, stderr and the exit
// status.
func runOnCall(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	bin := buildSitrep(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"oncall"}, args...)...)
	home, _ := demoEnv(t.TempDir())
	cmd.Env = append(append([]string{"PATH=" + os.Getenv("PATH"), "TZ=UTC"}, home...), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("sitrep oncall: %v", err)
	}
	return stdout.String(), stderr.String(), code
}

func startOnCallWorld(t *testing.T) *world.World {
	t.Helper()
	w, err := world.Start(world.Options{Seed: 1, Tick: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// The demo's Alice is on the Payments and Checkout teams; each team's
// policy has two levels. Who covers them rotates with the demo's
// schedules, so the rows are checked for their shape and against the cast.
func TestOnCallThroughTheBinary(t *testing.T) {
	w := startOnCallWorld(t)
	env := []string{"PAGERDUTY_TOKEN=" + w.Token}
	out, errOut, code := runOnCall(t, env, "--api-url", w.PagerDutyURL)
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	head := "On call now for the teams of Alice Chen (Payments, Checkout):\n"
	i, j := strings.Index(out, head), strings.Index(out, "Shifts of Alice Chen in the next 14 days:\n")
	if i != 0 || j < 0 {
		t.Fatalf("sections missing or out of order:\n%s", out)
	}
	now, mine := strings.Split(strings.TrimSpace(out[len(head):j]), "\n"), strings.Split(strings.TrimSpace(out[j:]), "\n")[1:]
	header := now[0]
	who, until := strings.Index(header, "WHO"), strings.Index(header, "UNTIL")
	if !strings.HasPrefix(header, "POLICY ") || who < 0 || until < 0 {
		t.Fatalf("header %q", header)
	}
	cast := []string{"Alice Chen", "Bob Okafor", "Carmen Ruiz", "Dev Patel", "Erin Walsh"}
	when := regexp.MustCompile(`^(no end|[A-Z][a-z]{2} \d{2} [A-Z][a-z]{2} \d{2}:\d{2}( \(in [0-9dhms]+\))?)$`)
	covered := map[string]bool{}
	for _, r := range now[1:] {
		f := strings.Fields(r)
		if len(f) < 4 || (f[0] != "Payments" && f[0] != "Checkout") || f[1] != "on-call" {
			t.Errorf("row %q: not a policy of Alice's teams", r)
			continue
		}
		covered[f[0]+" "+f[2]] = true
		// The columns line up under the header.
		if len(r) <= until || !slices.ContainsFunc(cast, func(n string) bool { return strings.HasPrefix(r[who:], n+" ") }) || !when.MatchString(r[until:]) {
			t.Errorf("row %q does not line up under %q with a person and an end", r, header)
		}
	}
	for _, k := range []string{"Payments L1", "Payments L2", "Checkout L1", "Checkout L2"} {
		if !covered[k] {
			t.Errorf("no row for %s:\n%s", k, out)
		}
	}
	if len(mine) < 2 || !strings.HasPrefix(mine[0], "POLICY ") || !strings.Contains(mine[0], "FROM") {
		t.Fatalf("Alice's shifts:\n%s", out[j:])
	}
	from, to := strings.Index(mine[0], "FROM"), strings.Index(mine[0], "UNTIL")
	for _, r := range mine[1:] {
		if !strings.HasPrefix(r, "Payments on-call") && !strings.HasPrefix(r, "Checkout on-call") {
			t.Errorf("Alice's shift %q is not on her teams' policies", r)
		}
		if len(r) <= to {
			t.Errorf("Alice's shift %q is cut short", r)
			continue
		}
		if start := strings.TrimSpace(r[from:to]); (start != "now" && !when.MatchString(start)) || !when.MatchString(r[to:]) {
			t.Errorf("Alice's shift %q: no start under FROM and end under UNTIL (%q)", r, mine[0])
		}
	}

	out, errOut, code = runOnCall(t, env, "--api-url", w.PagerDutyURL, "--json")
	if code != 0 {
		t.Fatalf("--json: exit %d: %s", code, errOut)
	}
	var got pagerduty.OnCallReport
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	if got.Me.Name != "Alice Chen" || len(got.Policies) != 2 || got.Policies[0].Name != "Checkout on-call" || got.Policies[0].Levels != 2 ||
		len(got.Policies[0].OnCall) < 2 || len(got.MyShifts) != len(mine)-1 || got.Until.Sub(got.Since).Round(time.Hour) != 14*24*time.Hour {
		t.Errorf("--json = %+v", got)
	}
	for _, s := range got.MyShifts {
		if s.User.Name != "Alice Chen" || (!s.End.IsZero() && !s.End.After(got.Since)) || s.Start.After(got.Until) {
			t.Errorf("--json: a shift outside the window or not Alice's: %+v", s)
		}
	}
}

// Shifts with ends, a policy level nobody covers, and text that would
// drive the terminal.
func TestOnCallShiftsWithEnds(t *testing.T) {
	pd := pdemulator.New(pdemulator.Options{Token: "t"})
	url, err := pd.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pd.Close() })
	team, _ := pd.AddTeam(pdemulator.Team{Name: "Payments"})
	alice, _ := pd.AddUser(pdemulator.User{Name: "Alice Chen", Email: "alice@example.com", TeamIDs: []string{team}})
	bob, _ := pd.AddUser(pdemulator.User{Name: "Bob\x1b]0;owned\x07 Okafor", Email: "bob@example.com", TeamIDs: []string{team}})
	if err := pd.SetCurrentUser(alice); err != nil {
		t.Fatal(err)
	}
	var sched [3]string
	for i := range sched {
		sched[i], _ = pd.AddSchedule(pdemulator.Schedule{Name: fmt.Sprintf("Payments L%d", i+1)})
	}
	ep, err := pd.AddEscalationPolicy(pdemulator.EscalationPolicy{Name: "Payments on-call", TeamIDs: []string{team}, Levels: []pdemulator.EscalationLevel{
		{DelayMinutes: 5, ScheduleIDs: sched[:1]}, {DelayMinutes: 5, ScheduleIDs: sched[1:2]}, {DelayMinutes: 5, ScheduleIDs: sched[2:]},
	}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Minute)
	for _, oc := range []pdemulator.OnCall{
		{UserID: bob, EscalationPolicyID: ep, Level: 1, ScheduleID: sched[0], Start: now.Add(-time.Hour), End: now.Add(3 * time.Hour)},
		{UserID: alice, EscalationPolicyID: ep, Level: 2, ScheduleID: sched[1], Start: now.Add(-time.Hour), End: now.Add(3 * time.Hour)},
		{UserID: alice, EscalationPolicyID: ep, Level: 1, ScheduleID: sched[0], Start: now.Add(3 * time.Hour), End: now.Add(27 * time.Hour)},
		{UserID: alice, EscalationPolicyID: ep, Level: 1, ScheduleID: sched[0], Start: now.Add(20 * 24 * time.Hour), End: now.Add(21 * 24 * time.Hour)},
	} {
		if err := pd.AddOnCall(oc); err != nil {
			t.Fatal(err)
		}
	}
	out, errOut, code := runOnCall(t, []string{"PAGERDUTY_TOKEN=t"}, "--api-url", url)
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	if strings.ContainsAny(out, "\x1b\x07") || !strings.Contains(out, "Bob Okafor") {
		t.Errorf("a name's control sequence reached the output: %q", out)
	}
	until := now.Add(3 * time.Hour).Format("Mon 02 Jan 15:04")
	var flat []string // the rows with their padding collapsed
	for _, l := range strings.Split(out, "\n") {
		flat = append(flat, strings.Join(strings.Fields(l), " "))
	}
	for _, want := range []string{
		"Payments on-call L1 Bob Okafor " + until + " (in 2h5",
		"Payments on-call L3 nobody on call —",
		"Payments on-call L2 now " + until + " (in 2h5",
		"Payments on-call L1 " + until + " (in 2h5",
	} {
		if !slices.ContainsFunc(flat, func(l string) bool { return strings.HasPrefix(l, want) }) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
	if strings.Count(out, "Payments on-call  L1") != 2 {
		t.Errorf("the shift beyond 14 days is listed:\n%s", out)
	}
	out, _, code = runOnCall(t, []string{"PAGERDUTY_TOKEN=t"}, "--api-url", url, "--days", "30")
	if code != 0 || strings.Count(out, "Payments on-call  L1") != 3 || !strings.Contains(out, "in the next 30 days") {
		t.Errorf("--days 30 (exit %d):\n%s", code, out)
	}
}

func TestOnCallErrors(t *testing.T) {
	w := startOnCallWorld(t)
	tests := []struct {
		name string
		env  []string
		args []string
		code int
		want string
	}{
		{"no token", nil, []string{"--api-url", w.PagerDutyURL}, statusError, "no PagerDuty token: set PAGERDUTY_TOKEN"},
		{"a token PagerDuty refuses", []string{"PAGERDUTY_TOKEN=wrong"}, []string{"--api-url", w.PagerDutyURL}, statusError, "PagerDuty answered 401"},
		{"days out of range", []string{"PAGERDUTY_TOKEN=" + w.Token}, []string{"--days", "0"}, statusUsage, "--days 0: give 1 to 90"},
		{"a flag it does not read", []string{"PAGERDUTY_TOKEN=" + w.Token}, []string{"--scope", "all"}, statusUsage, "unknown flag: --scope"},
		{"no demo running", nil, []string{"--demo", "--state-file", filepath.Join(t.TempDir(), "none.json")}, statusError, "start one with sitrep demo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runOnCall(t, tt.env, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q\n%s", code, errOut, tt.code, tt.want, out)
			}
			if strings.Contains(errOut, w.Token) {
				t.Errorf("the token reached stderr: %q", errOut)
			}
		})
	}
}

// A 429 is waited out as the client waits everywhere, and a running demo
// is found through its state file.
func TestOnCallWaitsOutARateLimitAndFindsTheDemo(t *testing.T) {
	w := startOnCallWorld(t)
	state := filepath.Join(t.TempDir(), "state", "sitrep-demo.json")
	remove, err := w.Publish(state)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(remove)
	if err := w.PagerDuty.InjectFault(pdemulator.Fault{Method: "GET", Path: "/oncalls", Kind: pdemulator.FaultRateLimit, RetryAfter: 2 * time.Second}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	out, errOut, code := runOnCall(t, nil, "--demo", "--state-file", state)
	if code != 0 || !strings.Contains(out, "Bob Okafor") {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	if took := time.Since(start); took < 1500*time.Millisecond {
		t.Errorf("answered in %s: the 429's reset was not waited out", took)
	}
	if w.PagerDuty.PendingFaults() != 0 {
		t.Errorf("the 429 was never met")
	}
}
