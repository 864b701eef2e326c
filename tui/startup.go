package tui

import (
	"context"
	"strings"

	tea "charm.land/bubbletea/v2"

	"sitrep/sources/sanitize"
)

// The start-up check is a set-up problem found while the first frame is
// already up (services: keys that name no PagerDuty service, runs an
// earlier sitrep died during, a door that did not open, a cache that could
// not be read). It runs once, as a command under a deadline, and its
// notice, or its failure, shows in the status line.

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
		if err != nil {
			// A check that failed is said, beside whatever it found: an
			// earlier run left unmarked or a door that did not open must
			// not pass unnoticed. Checks whose failure another part of
			// the screen already names (PagerDuty down) return no error.
			notice = strings.TrimPrefix(strings.Join([]string{notice, "start-up check failed: " + strings.ReplaceAll(err.Error(), "\n", "; ")}, " · "), " · ")
		}
		if notice == "" {
			return nil
		}
		return startupChecked{notice: sanitize.Line(notice)}
	}
}

func (m Model) startupChecked(msg startupChecked) Model {
	m.status = "⚠ " + msg.notice
	return m
}
