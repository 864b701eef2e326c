package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"sitrep/actions"
	"sitrep/sources/pagerduty"
	"sitrep/store/journal"
	"sitrep/store/stats"
)

// TestStatsCountsWhatTheScriptsDid drives a scripted set of sessions on
// the demo world into one journal — runs through the real binary's
// `sitrep run`, and through the cockpit's own parts (the engine and the
// recorder the TUI is handed) where only the cockpit can act: the
// engineer's verdict on a run, a runbook step ticked, a note — and checks
// that `sitrep stats --json` counts exactly what the scripts did, and
// suggests the step they repeated by hand.
func TestStatsCountsWhatTheScriptsDid(t *testing.T) {
	rw := startRunWorld(t, filepath.Join("testdata", "stats"))
	bin := buildSitrep(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// Three incidents of the world, in ID order.
	feed := pagerduty.New(pagerduty.Config{APIURL: rw.w.PagerDutyURL, Token: rw.w.Token})
	list, err := feed.Incidents(ctx, pagerduty.ScopeAll)
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	if len(list) < 3 {
		t.Fatalf("the demo world has %d incidents, want 3 or more", len(list))
	}
	incs := list[:3]

	// The cockpit's session: it opens each incident (journaling its first
	// sighting and PagerDuty's timeline), ticks the same runbook step on
	// each, writes the same note on each, and runs drain five times and
	// succeed once, giving each run its verdict as the run view does.
	cockpit := func(session func(env *environment)) {
		t.Helper()
		cmd := &cobra.Command{Use: "sitrep"}
		cmd.SetContext(ctx)
		g := globalFlags{configPath: rw.config, journal: rw.journal}
		env, err := g.environment(cmd)
		if err != nil {
			t.Fatal(err)
		}
		defer env.Close()
		session(env)
	}
	runInCockpit := func(env *environment, in pagerduty.Incident, action, outcome string) {
		t.Helper()
		plan, err := env.remediation.Prepare(ctx, action, nil, in)
		if err != nil {
			t.Fatal(err)
		}
		if err := plan.Confirm(in.Service.Name); err != nil {
			t.Fatal(err)
		}
		if _, err := plan.Run(ctx, func(c actions.Chunk) {}); err != nil {
			t.Fatal(err)
		}
		plan.RecordOutcome(outcome, nil)
	}
	cockpit(func(env *environment) {
		for i, in := range incs {
			d, err := feed.Detail(ctx, in.ID)
			if err != nil {
				t.Fatal(err)
			}
			if err := env.recorder.DetailSeen(ctx, d); err != nil {
				t.Fatal(err)
			}
			tick := journal.Entry{At: time.Now(), Incident: in.ID, Kind: "runbook.step", Summary: "ticked: Check the connection pool dashboard",
				Data: json.RawMessage(`{"runbook":"Stats drill","file":"drill.md","line":7,"checked":true}`)}
			if err := env.recorder.Record(ctx, tick); err != nil {
				t.Fatal(err)
			}
			note := journal.Entry{Incident: in.ID, Kind: "note", Summary: fmt.Sprintf("Flushed the DNS cache on host %d by hand.", i+1)}
			if err := env.recorder.Record(ctx, note); err != nil {
				t.Fatal(err)
			}
		}
		// A step ticked in one incident only is no candidate.
		once := journal.Entry{Incident: incs[0].ID, Kind: "runbook.step", Summary: "ticked: Page the database team",
			Data: json.RawMessage(`{"runbook":"Stats drill","file":"drill.md","line":9,"checked":true}`)}
		if err := env.recorder.Record(ctx, once); err != nil {
			t.Fatal(err)
		}
		for _, k := range []int{0, 0, 1, 1, 2} {
			runInCockpit(env, incs[k], "drain", "helped")
		}
		runInCockpit(env, incs[1], "succeed", "worse")
	})

	// The shell's session: `sitrep run`, the binary, on the same journal.
	sitrep := func(args ...string) (string, error) {
		t.Helper()
		cmd := exec.CommandContext(ctx, bin, append([]string{"--config", rw.config, "--journal", rw.journal}, args...)...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	for _, in := range incs {
		if out, err := sitrep("run", "succeed", "--incident", in.ID, "--confirm", in.Service.Name); err != nil {
			t.Fatalf("sitrep run succeed: %v\n%s", err, out)
		}
	}
	for k := range 5 {
		// Four runs fail; the fifth is blocked by the rate limit.
		out, err := sitrep("run", "fail", "--incident", incs[0].ID, "--confirm", incs[0].Service.Name)
		if err == nil {
			t.Fatalf("sitrep run fail #%d succeeded:\n%s", k+1, out)
		}
		if k == 4 && !strings.Contains(out, "rate_limit") {
			t.Fatalf("the fifth run of fail was not blocked by the rate limit:\n%s", out)
		}
	}
	if out, err := sitrep("run", "hang", "--incident", incs[2].ID, "--confirm", incs[2].Service.Name); err == nil {
		t.Fatalf("sitrep run hang succeeded:\n%s", out)
	} else {
	}

	out, err := exec.CommandContext(ctx, bin, "stats", "--journal", rw.journal, "--json", "--since", "1h").Output()
	if err != nil {
		t.Fatalf("sitrep stats --json: %v", err)
	}
	var rep stats.Report
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("stats --json is not the report: %v\n%s", err, out)
	}

	byName := map[string]stats.Action{}
	for _, a := range rep.Actions {
		byName[a.Action] = a
	}
	type counts struct {
		Runs, ByHand, Failures, Timeouts, Cancels int
		Blocked                                   map[string]int
		Outcomes                                  stats.Outcomes
		Worse                                     string
	}
	got := map[string]counts{}
	for name, a := range byName {
		c := counts{Runs: a.Runs, ByHand: a.ByHand, Failures: a.Failures, Timeouts: a.Timeouts, Cancels: a.Cancels, Blocked: a.Blocked, Outcomes: a.Outcomes}
		if a.LastWorse != nil {
			c.Worse = a.LastWorse.Incident
		}
		got[name] = c
	}
	want := map[string]counts{
		"drain":   {Runs: 5, ByHand: 5, Blocked: map[string]int{}, Outcomes: stats.Outcomes{Helped: 5}},
		"succeed": {Runs: 4, ByHand: 4, Blocked: map[string]int{}, Outcomes: stats.Outcomes{Worse: 1, Unknown: 3}, Worse: incs[1].ID},
		"fail":    {Runs: 4, ByHand: 4, Failures: 4, Blocked: map[string]int{"rate_limit": 1}, Outcomes: stats.Outcomes{Unknown: 4}},
		"hang":    {Runs: 1, ByHand: 1, Timeouts: 1, Blocked: map[string]int{}, Outcomes: stats.Outcomes{Unknown: 1}},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("actions:\n got %+v\nwant %+v", got, want)
	}

	// Services: each incident under its own service.
	wantServices := map[string]int{}
	for _, in := range incs {
		wantServices[in.Service.Name]++
	}
	gotServices := map[string]int{}
	for _, s := range rep.Services {
		gotServices[s.Service] = s.Incidents
	}
	if fmt.Sprint(gotServices) != fmt.Sprint(wantServices) {
		t.Errorf("services = %v, want %v", gotServices, wantServices)
	}

	var cands []string
	for _, c := range rep.Candidates {
		cands = append(cands, fmt.Sprintf("%s:%s:%d", c.Kind, c.What, c.Incidents))
	}
	wantCands := []string{
		"runbook_step:Check the connection pool dashboard:3",
		"action:drain:0",
		"note:Flushed the DNS cache on host 1 by hand.:3",
	}
	if !slices.Equal(cands, wantCands) {
		t.Errorf("candidates = %q, want %q", cands, wantCands)
	}
	var hurt []string
	for _, h := range rep.Hurt {
		hurt = append(hurt, fmt.Sprintf("%s:%d/%d worse %d", h.Action, h.Failures, h.Runs, h.Worse))
	}
	if want := []string{"fail:4/4 worse 0", "succeed:0/4 worse 1"}; !slices.Equal(hurt, want) {
		t.Errorf("hurt = %q, want %q", hurt, want)
	}

	// The table and the markdown say the same, and the table fits a
	// terminal's width when given one.
	md, err := exec.CommandContext(ctx, bin, "stats", "--journal", rw.journal, "--markdown", "--since", "1h").Output()
	if err != nil || !strings.Contains(string(md), "Check the connection pool dashboard (Stats drill)") {
		t.Errorf("stats --markdown: %v\n%s", err, md)
	}
	var b strings.Builder
	if err := statsTable(&b, rep, 80); err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(b.String(), "\n") {
		if w := len([]rune(l)); w > 80 {
			t.Errorf("table line is %d wide, want at most 80: %q", w, l)
		}
	}
	if !regexp.MustCompile(`(?m)^fail +4 +4 +4 +0 +0 +0/0/0/4 +\S+ +rate_limit 1$`).MatchString(b.String()) {
		t.Errorf("table lacks fail's row with its block:\n%s", b.String())
	}
	if !strings.Contains(b.String(), "runbook step: Check the connection pool dashboard") {
		t.Errorf("table lacks the candidate step:\n%s", b.String())
	}
}

func TestParseSince(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{"30d", 30 * 24 * time.Hour, false},
		{"2w", 14 * 24 * time.Hour, false},
		{"12h", 12 * time.Hour, false},
		{"90m", 90 * time.Minute, false},
		{"all", 0, false},
		{"", 0, true},
		{"0d", 0, true},
		{"-3d", 0, true},
		{"3x", 0, true},
		{"d", 0, true},
		{"-1h", 0, true},
	} {
		got, err := parseSince(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("parseSince(%q) = %v, %v", tt.in, got, err)
		}
		if err != nil && !strings.Contains(err.Error(), "30d") {
			t.Errorf("parseSince(%q)'s error does not say what to write: %v", tt.in, err)
		}
	}
}
