package tui

import (
	"context"

	tea "charm.land/bubbletea/v2"

	"sitrep/sources/sanitize"
)

// The start-up check is a set-up problem found while the first frame is
// already up (today: services: keys that name no PagerDuty service). It
// runs once, as a command under a deadline, and its notice shows in the
// status line, pointing to sitrep doctor.

// startupChecked carries the check's notice; an empty one is not sent.
type startupChecked struct{ notice string }

func (m Model) startupCheck() tea.Cmd {
	check := m.opts.StartupCheck
	if check == nil {
		return nil
	}
	timeout := 3 * m.opts.CallTimeout
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		notice, err := check(ctx)
		if err != nil || notice == "" {
			// A check that could not run says nothing: PagerDuty's own
			// failures show through the refresh, and doctor says more.
			return nil
		}
		return startupChecked{notice: sanitize.Line(notice)}
	}
}

func (m Model) startupChecked(msg startupChecked) Model {
	m.status = "⚠ " + msg.notice
	return m
}
