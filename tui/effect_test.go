package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	"sitrep/actions"
)

// noDataProbe measures one metric and has no data for another.
type noDataProbe struct{}

func (noDataProbe) Before(context.Context, time.Time) error { return nil }

func (noDataProbe) After(_ context.Context, done time.Time) ([]actions.MetricChange, error) {
	return []actions.MetricChange{
		{Name: "5xx rate", Before: 0.31, After: 0.01, At: done},
		{Name: "queue depth", Before: 7, At: done, NoData: "after it: no series in 03:02:00–03:04:00"},
	}, nil
}

func (noDataProbe) ReadyAt(done time.Time) time.Time { return done }

// TestRunShowsMetricsBesideOneWithoutData: a metric without data is said,
// with why, and the compared one still shows and is recorded.
func TestRunShowsMetricsBesideOneWithoutData(t *testing.T) {
	hn := newActHarness(t, 80, 24, false, noDataProbe{})
	hn.open("search-indexer", "flush")
	hn.wait()
	hn.press("enter")
	hn.until("the effect", func() bool { return hn.runView() != nil && hn.runView().measured })
	hn.wait() // the run view has been on screen for a while
	s := hn.screen()
	for _, want := range []string{"Effect: 5xx rate 0.31 → 0.01", "Effect: queue depth: no data — after it: no series in"} {
		if !strings.Contains(s, want) {
			t.Errorf("the run view lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "queue depth 7") {
		t.Errorf("the metric without data is shown as compared:\n%s", s)
	}
	hn.press("h")
	hn.until("the outcome", func() bool { _, ok := hn.recs.find(actions.StepOutcome); return ok })
	rec, _ := hn.recs.find(actions.StepOutcome)
	if len(rec.Effect) != 2 || rec.Effect[1].NoData == "" {
		t.Errorf("outcome record effect = %+v, want both metrics, the second without data", rec.Effect)
	}
}

// laterProbe is ready 100 s after the run ends.
type laterProbe struct{ noDataProbe }

func (laterProbe) ReadyAt(done time.Time) time.Time { return done.Add(100 * time.Second) }

// TestRunSaysHowLongTheEffectTakes: while the effect is being waited for,
// the run view says when it is ready and how long that is from now.
func TestRunSaysHowLongTheEffectTakes(t *testing.T) {
	hn := newActHarness(t, 80, 24, false, laterProbe{})
	hn.open("search-indexer", "flush")
	hn.wait()
	hn.press("enter")
	hn.until("the run's end", func() bool { return hn.runView() != nil && hn.runView().done })
	ready := hn.runView().readyAt.UTC().Format("15:04:05")
	if s := hn.screen(); !strings.Contains(s, "measuring effect… ready at "+ready+", in 1m40s") {
		t.Errorf("the run view does not say how long the effect takes:\n%s", s)
	}
	hn.now = hn.now.Add(70 * time.Second)
	hn.deliver(runTicked{runID: hn.runView().plan.RunID, at: hn.now})
	if s := hn.screen(); !strings.Contains(s, "ready at "+ready+", in 30s") {
		t.Errorf("the time left did not count down:\n%s", s)
	}
}
