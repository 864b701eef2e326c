package tui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"sitrep/sources/pagerduty"
	"sitrep/store/stats"
)

// statsSource answers the Stats screen with a fixed report, or the error,
// after release is closed (nil: at once), and records the window asked.
type statsSource struct {
	report  stats.Report
	err     error
	release chan struct{}
	asked   []stats.Options
}

func (s *statsSource) Stats(ctx context.Context, opts stats.Options) (stats.Report, error) {
	s.asked = append(s.asked, opts)
	if s.release != nil {
		select {
		case <-s.release:
		case <-ctx.Done():
			return stats.Report{}, ctx.Err()
		}
	}
	return s.report, s.err
}

func statsReport() stats.Report {
	worse := &stats.Worse{At: t0.Add(-26 * time.Hour), Incident: "Q000007", Service: "checkout-db"}
	return stats.Report{
		Since: t0.Add(-30 * 24 * time.Hour), Until: t0, Entries: 4812,
		Actions: []stats.Action{
			{Action: "restart_service", Runs: 9, ByHand: 9, Outcomes: stats.Outcomes{Helped: 7, NoEffect: 1, Unknown: 1}, MedianDurationMS: 4200,
				Blocked: map[string]int{"rate_limit": 2}, Metrics: []stats.Metric{{Name: "5xx rate", Runs: 6, Before: 0.31, After: 0.01}}},
			{Action: "flush_cache", Runs: 5, ByHand: 5, Failures: 2, Timeouts: 1, Outcomes: stats.Outcomes{Helped: 1, Worse: 2, Unknown: 2},
				MedianDurationMS: 800, Blocked: map[string]int{}, LastWorse: worse},
			{Action: "scale_up", Runs: 1, ByHand: 1, Outcomes: stats.Outcomes{Helped: 1}, MedianDurationMS: 61000, Blocked: map[string]int{}},
		},
		Services: []stats.Service{
			{Service: "payment-gateway", Incidents: 6, Classes: map[string]int{"deploy regression": 4, "pool exhaustion": 1},
				Acknowledged: 6, MedianAckSeconds: 150, Resolved: 5, MedianResolveSeconds: 1860, Helped: []stats.ActionCount{{Action: "restart_service", Runs: 7}}},
			{Service: "checkout-db", Incidents: 2, Classes: map[string]int{}, Acknowledged: 1, MedianAckSeconds: 420},
		},
		Candidates: []stats.Candidate{
			{Kind: stats.CandidateStep, What: "Check the connection pool dashboard", Runbook: "Payments 5xx", Incidents: 5, Times: 5,
				Why: "ticked by hand in 5 incidents (suggested from 3)"},
			{Kind: stats.CandidateNote, What: "Flushed the DNS cache by hand.", Incidents: 3, Times: 4,
				Why: "the same note written 4 times in 3 incidents (suggested from 3): a manual step worth a runbook step or an action"},
		},
		Hurt: []stats.Hurt{{Action: "flush_cache", Runs: 5, Worse: 2, Failures: 3, FailureRate: 0.6,
			Why: "made things worse 2 of 5 runs, the last on Q000007 at 2026-10-31 01:00; failed or timed out 3 of 5 runs (60%, above 25%)"}},
	}
}

// openStatsAt opens S on a list of three incidents at w×h and returns the
// model and the Cmd S started.
func openStatsAt(t *testing.T, src *statsSource, w, h int) (Model, tea.Cmd) {
	t.Helper()
	now := t0
	m := New(nil, Options{Now: func() time.Time { return now }, Stats: src})
	m = step(t, m, tea.WindowSizeMsg{Width: w, Height: h})
	m = step(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: fixture(3), at: t0.Add(-4 * time.Second)})
	next, cmd := m.Update(keyMsg("S"))
	m = next.(Model)
	if _, ok := m.screen.(*statsScreen); !ok {
		t.Fatalf("S did not open the Stats screen (on top: %T):\n%s", m.screen, plainView(m))
	}
	if cmd == nil {
		t.Fatal("S started no computation")
	}
	now = now.Add(gracePeriod + time.Millisecond) // keys typed ahead of S are held back until then
	return m, cmd
}

func TestStatsScreenGolden(t *testing.T) {
	for _, size := range []struct {
		name string
		w, h int
	}{{"80x24", 80, 24}, {"120x40", 120, 40}} {
		t.Run(size.name, func(t *testing.T) {
			src := &statsSource{report: statsReport()}
			m, cmd := openStatsAt(t, src, size.w, size.h)
			m = step(t, m, cmd())
			got := plainView(m)
			assertFits(t, got, size.w, size.h)
			for _, want := range []string{"restart_service", "█", "flush_cache", "×", "Services", "payment-gateway"} {
				if !strings.Contains(got, want) {
					t.Errorf("the Stats screen lacks %q:\n%s", want, got)
				}
			}
			golden(t, "stats_"+size.name, got)
			if len(src.asked) != 1 || !src.asked[0].Until.Equal(t0) || !src.asked[0].Since.Equal(t0.Add(-statsWindow)) {
				t.Errorf("asked for %+v, want the last 30 days to now", src.asked)
			}
		})
	}
}

// The bars are in proportion to the runs: restart_service's 7 helped of
// 9 fill more than flush_cache's 1 of 5.
func TestStatsBarsScale(t *testing.T) {
	src := &statsSource{report: statsReport()}
	m, cmd := openStatsAt(t, src, 120, 40)
	m = step(t, m, cmd())
	count := func(prefix string) (helped, worse int) {
		for _, l := range strings.Split(plainView(m), "\n") {
			if strings.HasPrefix(strings.TrimSpace(l), prefix) {
				return strings.Count(l, barHelped), strings.Count(l, barWorse)
			}
		}
		t.Fatalf("no bar for %s:\n%s", prefix, plainView(m))
		return 0, 0
	}
	rsHelped, _ := count("restart_service")
	fcHelped, fcWorse := count("flush_cache")
	if rsHelped <= fcHelped || fcWorse == 0 || rsHelped < 7*fcHelped-7 {
		t.Errorf("bars: restart_service %d helped, flush_cache %d helped %d worse", rsHelped, fcHelped, fcWorse)
	}
}

// S computes in a Cmd: the screen says it is reading while the source
// has not answered, and the model keeps answering keys.
func TestStatsScreenNeverBlocks(t *testing.T) {
	src := &statsSource{report: statsReport(), release: make(chan struct{})}
	m, cmd := openStatsAt(t, src, 80, 24)
	if got := plainView(m); !strings.Contains(got, "reading the journal…") {
		t.Errorf("while computing the screen shows:\n%s", got)
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	m = press(t, m, "j", "k") // answered while the source is still reading
	close(src.release)
	select {
	case msg := <-done:
		m = step(t, m, msg)
	case <-time.After(10 * time.Second):
		t.Fatal("the computation did not finish")
	}
	if got := plainView(m); !strings.Contains(got, "restart_service") {
		t.Errorf("after the answer the screen shows:\n%s", got)
	}
}

func TestStatsScreenScrollsAndCloses(t *testing.T) {
	src := &statsSource{report: statsReport()}
	m, cmd := openStatsAt(t, src, 80, 24)
	m = step(t, m, cmd())
	first := plainView(m)
	if !strings.Contains(first, "lines 1–") {
		t.Fatalf("a report taller than the screen says nothing of where it is:\n%s", first)
	}
	m = press(t, m, "G")
	last := plainView(m)
	if last == first || !strings.Contains(last, "Automation that hurt") {
		t.Errorf("G did not scroll to the end:\n%s", last)
	}
	assertFits(t, last, 80, 24)
	m = press(t, m, "g")
	if plainView(m) != first {
		t.Errorf("g did not scroll back to the top:\n%s", plainView(m))
	}
	m = press(t, m, "esc")
	if m.screen != nil {
		t.Errorf("esc left %T on top", m.screen)
	}
	m, _ = openStatsAt(t, src, 80, 24)
	m = press(t, m, "S")
	if m.screen != nil {
		t.Errorf("S again left %T on top", m.screen)
	}
}

func TestStatsScreenShowsTheError(t *testing.T) {
	src := &statsSource{err: errors.New("read /j.db: entry 0000000000000007: undecodable entry\x1b[31m")}
	m, cmd := openStatsAt(t, src, 80, 24)
	m = step(t, m, cmd())
	got := plainView(m)
	if !strings.Contains(got, "stats: read /j.db: entry 0000000000000007: undecodable entry") || strings.Contains(m.render(), "\x1b[31m") {
		t.Errorf("the error is not shown, or not sanitized:\n%s", got)
	}
	// r reads again; an answer to an older computation is dropped.
	src.err, src.report = nil, statsReport()
	next, again := m.Update(keyMsg("r"))
	m = next.(Model)
	if again == nil {
		t.Fatal("r started no computation")
	}
	m = step(t, m, statsComputed{gen: -1, err: errors.New("stale")})
	if strings.Contains(plainView(m), "stale") {
		t.Errorf("a stale answer landed:\n%s", plainView(m))
	}
	m = step(t, m, again())
	if got := plainView(m); !strings.Contains(got, "restart_service") {
		t.Errorf("after r the screen shows:\n%s", got)
	}
}

func TestStatsWithoutAJournal(t *testing.T) {
	m := New(nil, Options{Now: func() time.Time { return t0 }})
	m = step(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	m = press(t, m, "S")
	if m.screen != nil || !strings.Contains(plainView(m), "no journal to read stats from") {
		t.Errorf("S without a journal:\n%s", plainView(m))
	}
}

func TestHelpOnTheStats(t *testing.T) {
	src := &statsSource{report: statsReport()}
	m, cmd := openStatsAt(t, src, 120, 40)
	m = step(t, m, cmd())
	got := helpShown(t, press(t, m, "?"))
	assertKeys(t, "the Stats screen", got, []string{"j/↓ scroll down", "r read the journal again", "esc close"},
		[]string{"acknowledge", "open entry"})
	golden(t, "help_stats_120x40", got)
}
