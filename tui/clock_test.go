package tui

import (
	"errors"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"sitrep/sources/pagerduty"
)

// The clock ticks when "updated Ns ago" turns to its next second, never
// more than a second apart.
func TestClockTicksWhenTheSecondTurns(t *testing.T) {
	since := t0
	for _, tc := range []struct {
		name  string
		now   time.Time
		since time.Time
		want  time.Duration
	}{
		{"no refresh yet", t0, time.Time{}, time.Second},
		{"just refreshed", since, since, time.Second},
		{"4.3 s after", since.Add(4300 * time.Millisecond), since, 700 * time.Millisecond},
		{"a whole minute after", since.Add(time.Minute), since, time.Second},
		{"just before a second turns", since.Add(2999 * time.Millisecond), since, time.Millisecond},
		{"refresh stamped in the future", since.Add(-time.Second), since, time.Second},
	} {
		if got := untilNextSecond(tc.now, tc.since); got != tc.want {
			t.Errorf("%s: next tick in %v; want %v", tc.name, got, tc.want)
		}
	}
}

// backloggedRecorder is a journal whose disk refuses writes.
type backloggedRecorder struct {
	memoryRecorder
	n int
}

func (r *backloggedRecorder) Backlog() (int, error) {
	return r.n, errors.New("no space left on device")
}

// One tick a second is all the idle cockpit does: the tick itself brings
// the journal's backlog, so no second message (and second frame) follows
// it, and the next tick is its only command.
func TestClockTickBringsTheJournalBacklog(t *testing.T) {
	now := t0
	rec := &backloggedRecorder{n: 3}
	m := New(nil, Options{Now: func() time.Time { return now }, Recorder: rec})
	m = step(t, m, tea.WindowSizeMsg{Width: 120, Height: 40})
	m = step(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: fixture(3), at: t0.Add(-4*time.Second - 900*time.Millisecond)})

	tick, ok := m.tickClock()().(clockTicked)
	if !ok {
		t.Fatal("the clock's command did not bring a clockTicked")
	}
	if tick.backlog == nil || tick.backlog.n != 3 {
		t.Fatalf("the tick brought backlog %+v; want the journal's 3 waiting entries", tick.backlog)
	}
	now = now.Add(100 * time.Millisecond)
	next, cmd := m.Update(tick)
	m = next.(Model)
	v := ansi.Strip(m.View().Content)
	for _, want := range []string{"journal: 3 waiting for disk", "updated 5s ago", "no space left on device"} {
		if !strings.Contains(v, want) {
			t.Errorf("after the tick the screen lacks %q:\n%s", want, v)
		}
	}
	if cmd == nil {
		t.Fatal("the clock stopped: the tick scheduled no next tick")
	}
	if msg, ok := cmd().(clockTicked); !ok {
		t.Fatalf("the tick's command brought %T; want only the next clockTicked", msg)
	}

	// Read-only, the journal is not asked.
	ro := New(nil, Options{Now: func() time.Time { return now }, Recorder: rec, ReadOnly: true})
	if tick, _ := ro.tickClock()().(clockTicked); tick.backlog != nil {
		t.Fatalf("read-only, the tick asked the journal: %+v", tick.backlog)
	}
}
