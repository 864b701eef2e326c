package tui

import (
	"context"
	"slices"
	"time"

	tea "charm.land/bubbletea/v2"

	"sitrep/sources/health"
	"sitrep/sources/logs"
	"sitrep/sources/pagerduty"
)

// The log stream: every log source of the selected incident's service,
// followed into a ring for as long as the incident stays selected and its
// detail is on screen, whichever tab shows and whether the pane follows or
// is paused. A log command that never ends (kubectl logs -f) so has lines
// to show at any time, and runs as one process that the pane's fetches
// read too (logs.Background). The stream stops when the selection moves,
// a screen or J covers the detail, or sitrep quits; one that ends on its
// own starts again only when the engineer asks (r, f, a tab, selecting
// the incident again).
//
// Following, the pane shows the newest lines at every frame; paused, its
// view holds still and takes in what arrived at the pane's refresh, on r,
// or when f follows again. Once the view shows the newest lines, the next
// frame is delivered only when a line arrives or a source's state changes:
// a quiet stream costs a look at the ring each frame, not an Update and a
// redraw.

// follow is the running log stream of the selected incident.
type follow struct {
	id     string
	gen    int
	cancel context.CancelFunc
	done   <-chan struct{} // closed once the stream stops, however it stops
	ring   *logs.Ring
	ticks  int // frames delivered so far
}

// Messages of the log stream.
type (
	// logsTicked carries a snapshot of the followed logs.
	logsTicked struct {
		id       string
		gen      int
		lines    []logs.Line
		total    uint64
		statuses []health.Status // the followed sources' own states
		// quiet says the view already showed the frame before it and
		// nothing changed until this one (nextChange).
		quiet bool
	}
	// followEnded says a stream stopped on its own (every source ended or
	// failed), with what its ring held last.
	followEnded struct {
		id   string
		gen  int
		err  error
		last logsTicked
	}
)

// followRing is how many followed lines the pane keeps.
const followRing = 5000

// followSettle is how many frames a paused pane keeps taking lines after
// the stream starts: the sources' backlogs arrive over the first second
// or so, and a view frozen on half of one would mislead.
const followSettle = 4

// startFollow starts the stream of the selected incident's logs.
func (m *Model) startFollow(in pagerduty.Incident) tea.Cmd {
	if m.opts.Enricher == nil || (m.following != nil && m.following.id == in.ID) {
		return nil
	}
	m.stopFollow()
	ctx, cancel := context.WithCancel(context.Background())
	m.followGen++
	f := &follow{id: in.ID, gen: m.followGen, cancel: cancel, done: ctx.Done(), ring: logs.NewRing(followRing)}
	m.following = f
	e := m.opts.Enricher
	return tea.Batch(
		func() tea.Msg {
			err := e.Follow(ctx, in, f.ring)
			cancel() // a stream that ended by itself stops its frames too
			return followEnded{id: in.ID, gen: f.gen, err: err, last: f.snapshot()}
		},
		tickLogs(f),
	)
}

func (m *Model) stopFollow() {
	if m.following != nil {
		m.following.cancel()
		m.following = nil
	}
}

// logsFrame is how often a followed stream is redrawn: the ring absorbs
// any rate, the screen shows it twice a second.
const logsFrame = 500 * time.Millisecond

func tickLogs(f *follow) tea.Cmd {
	return tea.Tick(logsFrame, func(time.Time) tea.Msg { return f.snapshot() })
}

// nextChange is the first frame after last that differs from it: a line
// arrived or a source's state changed. It looks at the ring once a frame,
// off the update loop, and brings nothing once the stream stops.
func nextChange(f *follow, last logsTicked) tea.Cmd {
	return func() tea.Msg {
		t := time.NewTicker(logsFrame)
		defer t.Stop()
		for {
			select {
			case <-f.done:
				return nil
			case <-t.C:
			}
			if f.ring.Total() != last.total || !slices.Equal(f.ring.Statuses(), last.statuses) {
				next := f.snapshot()
				next.quiet = true
				return next
			}
		}
	}
}

// snapshot takes the ring's newest lines, ordered by when they were
// logged: lines of several sources arrive interleaved as they are read,
// and a line's own time is what tells their order. It runs in a Cmd, off
// the update loop; a stable sort keeps lines of the same time in the
// order they came.
func (f *follow) snapshot() logsTicked {
	// The count and the states are read before the lines, so a line
	// arriving in between makes the frame look older than it is, never
	// newer: nextChange then delivers it again rather than miss it.
	total, statuses := f.ring.Total(), f.ring.Statuses()
	lines := f.ring.Last(1000)
	byTime := func(a, b logs.Line) int { return a.T.Compare(b.T) }
	if !slices.IsSortedFunc(lines, byTime) {
		slices.SortStableFunc(lines, byTime)
	}
	return logsTicked{id: f.id, gen: f.gen, lines: lines, total: total, statuses: statuses}
}

// logsArrived takes a frame of the stream: into the view when following,
// while the stream settles, or when a refresh asked for it; a paused view
// otherwise holds still.
func (m *Model) logsArrived(msg logsTicked) tea.Cmd {
	f := m.following
	if f == nil || f.gen != msg.gen {
		return nil
	}
	f.ticks++
	settling := f.ticks <= followSettle
	m.takeFrame(msg, settling)
	if !settling && m.followedFor == msg.id && m.followedN == msg.total {
		// The view shows the newest lines: nothing to draw until the
		// stream changes.
		return nextChange(f, msg)
	}
	// Paused on an older frame, the view may be asked to take this one
	// (a refresh, r) even if nothing changes after it.
	return tickLogs(f)
}

func (m *Model) takeFrame(msg logsTicked, settling bool) {
	m.followedStatuses = msg.statuses
	if msg.quiet {
		// Asked to take in what arrived (a refresh, r) while the view
		// already showed the newest frame: that was taken, and what
		// arrives after it waits for the next refresh, as it would at
		// every frame.
		m.takeLogs = false
	}
	if m.logs.follow || settling || m.takeLogs || m.followedFor != msg.id || len(m.followed) == 0 {
		m.followed, m.followedN, m.followedFor = msg.lines, msg.total, msg.id
		m.takeLogs = false
	}
}

// followStopped handles a stream that ended by itself. It is not started
// again until the engineer asks; its failure is the header's only when
// the engineer was following, since each source's own state is in the
// pane's statuses already.
func (m *Model) followStopped(msg followEnded) {
	if m.following == nil || m.following.gen != msg.gen {
		return
	}
	m.following = nil
	m.streamFor = ""
	m.takeFrame(msg.last, false)
	if msg.err != nil && m.logs.follow {
		m.lastErr = "logs: " + m.errText(msg.err)
	}
	m.logs.follow = false
}

// wantStream asks for the selected incident's stream: the engineer is
// looking at that incident.
func (m *Model) wantStream() tea.Cmd {
	if in, ok := m.list.selected(); ok {
		m.streamFor = in.ID
	}
	return m.syncFollow()
}

// syncFollow starts or stops the stream to match what is on screen.
func (m *Model) syncFollow() tea.Cmd {
	if !m.followWanted() {
		m.stopFollow()
		return nil
	}
	in, _ := m.list.selected()
	return m.startFollow(in)
}

// followWanted says whether the selected incident's stream should run:
// it was asked for, nothing covers the detail and sitrep is not quitting.
func (m *Model) followWanted() bool {
	in, ok := m.list.selected()
	if !ok || m.quitting || m.bodyCovered() || m.opts.Enricher == nil {
		return false
	}
	return m.streamFor == in.ID
}
