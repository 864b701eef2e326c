package tui

import (
	"context"
	"errors"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
)

func TestStartupCheckNotice(t *testing.T) {
	release := make(chan struct{})
	var hadDeadline bool
	check := func(ctx context.Context) (string, error) {
		<-release
		_, hadDeadline = ctx.Deadline()
		return "services: \x1b[31m\"payment-gatway\" matches no PagerDuty service (nearest: payment-gateway): run sitrep doctor", nil
	}
	m := New(nil, Options{Now: fixedClock, StartupCheck: check})
	// Init must not wait for the check: it is blocked until released.
	if m.Init() == nil {
		t.Fatal("Init returned no command")
	}
	m = step(t, m, tea.WindowSizeMsg{Width: 120, Height: 24})
	cmd := m.startupCheck()
	if cmd == nil {
		t.Fatal("no start-up check command")
	}
	close(release)
	msg := cmd()
	if !hadDeadline {
		t.Error("the check ran without a deadline")
	}
	m = step(t, m, msg)
	view := plainView(m)
	if !strings.Contains(view, `⚠ services: "payment-gatway" matches no PagerDuty service (nearest: payment-gateway): run sitrep doctor`) {
		t.Errorf("the notice is not in the status line:\n%s", view)
	}
	if strings.Contains(m.render(), "\x1b[31m\"payment") {
		t.Error("the notice was drawn unsanitized")
	}
}

func TestStartupCheckQuiet(t *testing.T) {
	if cmd := New(nil, Options{Now: fixedClock}).startupCheck(); cmd != nil {
		t.Error("a start-up check command without a check")
	}
	check := func(context.Context) (string, error) { return "", nil }
	if msg := New(nil, Options{Now: fixedClock, StartupCheck: check}).startupCheck()(); msg != nil {
		t.Errorf("a check with nothing to say sent %#v", msg)
	}
}

// A check that fails is said, beside what it found: nothing it was for
// (marking an earlier run interrupted, opening the door) may fail unseen.
func TestStartupCheckFailureIsShown(t *testing.T) {
	for _, c := range []struct {
		notice string
		err    error
		want   string
	}{
		{"", errors.New("journal: disk full"), "start-up check failed: journal: disk full"},
		{"door closed", errors.New("journal: disk full"), "door closed · start-up check failed: journal: disk full"},
	} {
		check := func(context.Context) (string, error) { return c.notice, c.err }
		msg := New(nil, Options{Now: fixedClock, StartupCheck: check}).startupCheck()()
		got, ok := msg.(startupChecked)
		if !ok || got.notice != c.want {
			t.Errorf("check (%q, %v) sent %#v, want the notice %q", c.notice, c.err, msg, c.want)
		}
	}
}
