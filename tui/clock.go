package tui

import (
	"time"

	tea "charm.land/bubbletea/v2"
)

// The clock moves m.now, from which every relative time on screen is
// drawn ("updated 4s ago", the list's ages). It is the cockpit's only
// timer while nothing arrives and nothing is typed, so one tick does all
// the periodic work: it also asks the journal for its backlog, in the
// tick's own goroutine, instead of a second Cmd whose answer would cost a
// second Update and View every second.

// clockTicked redraws relative times; backlog is the journal's, when
// there is a journal to ask.
type clockTicked struct {
	at      time.Time
	backlog *journalBacklog
}

// tickClock schedules the next tick for when the header's "updated Ns
// ago" turns to its next second, so every tick changes what it shows and
// the count never skips a second as fixed one-second ticks drift by the
// time each Update takes.
func (m *Model) tickClock() tea.Cmd {
	r := m.opts.Recorder
	if m.opts.ReadOnly {
		r = nil
	}
	return tea.Tick(untilNextSecond(m.opts.Now(), m.lastRefresh), func(t time.Time) tea.Msg {
		msg := clockTicked{at: t}
		if r != nil {
			n, cause := r.Backlog()
			msg.backlog = &journalBacklog{n: n, cause: cause}
		}
		return msg
	})
}

// untilNextSecond is how long from now until a whole number of seconds has
// passed since since: at most a second, and a full second when since is
// unknown or in the future.
func untilNextSecond(now, since time.Time) time.Duration {
	if since.IsZero() || now.Before(since) {
		return time.Second
	}
	return time.Second - now.Sub(since)%time.Second
}

func (m Model) clockTicked(msg clockTicked) (tea.Model, tea.Cmd) {
	m.now = m.opts.Now()
	if msg.backlog != nil {
		m.backlogChecked(*msg.backlog)
	}
	return m, m.tickClock()
}

// backlogChecked shows, once, that the journal keeps entries in memory
// because the disk refuses them, and how many wait.
func (m *Model) backlogChecked(b journalBacklog) {
	if b.n > 0 && m.journalWaiting == 0 {
		m.lastErr = "journal: the disk refuses writes (" + m.errText(b.cause) + "); entries wait in memory"
	}
	m.journalWaiting = b.n
}
