package tui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"sitrep/actions/auto"
	"sitrep/sources/sanitize"
)

// Notify-first automation in the cockpit. The session is armed
// explicitly (ctrl+a, or --arm) and the header says ARMED all the while.
// auto.Machine decides, here in Update; Options.Automation does the I/O
// in Cmds: the announcement on the incident, the reads of its notes for a
// veto, the run, the journal. While a countdown is pending a banner above
// the list shows it, and v vetoes it; on an incident this sitrep is not
// counting down, v writes a veto note that the armed sitrep reads.

// autoState is the session's automation; nil without Options.Automation.
type autoState struct {
	machine *auto.Machine
	// arming is set while the engineer's name is asked for.
	arming bool
	// checking are the countdowns whose notes are being read; lastCheck
	// when each was last read.
	checking  map[string]bool
	lastCheck map[string]time.Time
	// detailing are the incidents whose alerts and classes are being read.
	detailing map[string]bool
	// notice is the latest thing the automation did, shown in the banner
	// for noticeFor after noticeAt when nothing counts down.
	notice   string
	noticeAt time.Time
}

// noticeFor is how long the banner keeps the automation's latest word.
const noticeFor = 30 * time.Second

func (a *autoState) say(text string, at time.Time) { a.notice, a.noticeAt = text, at }

func newAutoState(opts Options) *autoState {
	if opts.Automation == nil || opts.ReadOnly {
		return nil // --read-only changes nothing, and announces nothing
	}
	return &autoState{machine: opts.Automation.NewMachine(), checking: map[string]bool{}, lastCheck: map[string]time.Time{}, detailing: map[string]bool{}}
}

// vetoCheckEvery is how often a pending countdown's incident is read for
// a veto note.
const vetoCheckEvery = 5 * time.Second

// Messages of the automation.
type (
	autoArmed struct {
		by  string
		err error
	}
	autoAnnounced struct {
		c   auto.Countdown
		ev  auto.Event
		err error
	}
	autoEnded struct {
		ev  auto.Event
		err error // the journal's
	}
	autoVetoChecked struct {
		id    string
		note  auto.Note
		found bool
		err   error
	}
	autoRunDone struct {
		id     string
		state  auto.State
		result string
		// vetoedBy is the author of a veto note read just before the run.
		vetoedBy string
	}
	autoDetailed struct {
		id  string
		in  auto.Incident
		err error
	}
	autoVetoPosted struct {
		incident string
		err      error
	}
)

// autoInit arms the session at start when --arm asked for it.
func (m *Model) autoInit() tea.Cmd {
	if m.auto == nil || !m.opts.Arm {
		return nil
	}
	return m.arm()
}

func (m *Model) arm() tea.Cmd {
	if len(m.auto.machine.Rules()) == 0 {
		m.status = "nothing to arm: no action in the catalogue has an auto: block"
		return nil
	}
	m.auto.arming = true
	a := m.opts.Automation
	ctx, cancel := m.callContext()
	return func() tea.Msg {
		defer cancel()
		by, err := a.Me(ctx)
		return autoArmed{by: by, err: err}
	}
}

// autoKey handles ctrl+a and v on the list and the detail.
func (m *Model) autoKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	switch {
	case key.Matches(msg, m.keys.Arm):
		if m.auto == nil {
			m.status = "no automation in this sitrep"
			return nil, true
		}
		if m.auto.arming {
			return nil, true
		}
		if by, _, armed := m.auto.machine.Armed(); armed {
			ended := m.auto.machine.Disarm(m.opts.Now())
			m.status = "disarmed: sitrep runs nothing by itself"
			cmds := []tea.Cmd{m.autoRecord(auto.Event{Kind: auto.EventDisarmed, At: m.opts.Now(), Text: "automation disarmed by " + by})}
			for _, c := range ended {
				cmds = append(cmds, m.autoEnd(c))
			}
			return tea.Batch(cmds...), true
		}
		return m.arm(), true
	case key.Matches(msg, m.keys.Veto):
		return m.veto(), true
	}
	return nil, false
}

// veto vetoes the countdown on the selected incident, else the soonest;
// with none here, it writes a veto note on the selected incident for the
// sitrep that counts down.
func (m *Model) veto() tea.Cmd {
	now := m.opts.Now()
	in, selected := m.list.selected()
	if m.auto != nil {
		pending := m.auto.machine.Pending()
		var target *auto.Countdown
		for i, c := range pending {
			if c.State.Pending() && (selected && c.Incident.ID == in.ID || target == nil) {
				target = &pending[i]
			}
		}
		if target != nil {
			by, _, _ := m.auto.machine.Armed()
			c, ok := m.auto.machine.Veto(target.ID, by, auto.ViaKey, now)
			if ok {
				m.status = "vetoed: sitrep will not run " + c.Action + " on " + c.Incident.Service
				return m.autoEnd(c)
			}
		}
	}
	if !selected {
		m.status = "nothing to veto"
		return nil
	}
	if m.opts.Automation == nil {
		m.status = "no countdown here to veto"
		return nil
	}
	m.status = "posting a veto note on " + number(in) + "…"
	a := m.opts.Automation
	ctx, cancel := m.callContext()
	return func() tea.Msg {
		defer cancel()
		by, _ := a.Me(ctx)
		return autoVetoPosted{incident: number(in), err: a.PostVeto(ctx, in.ID, by)}
	}
}

// autoMsg handles the automation's messages.
func (m Model) autoMsg(msg tea.Msg) (Model, tea.Cmd, bool) {
	if m.auto == nil {
		if v, ok := msg.(autoVetoPosted); ok {
			return m, m.vetoPosted(v), true
		}
		return m, nil, false
	}
	now := m.opts.Now()
	ma := m.auto.machine
	switch msg := msg.(type) {
	case autoArmed:
		m.auto.arming = false
		if msg.err != nil || msg.by == "" {
			m.lastErr = "not armed: sitrep cannot tell who you are in PagerDuty, and an automatic run names who armed it"
			if msg.err != nil {
				m.lastErr += ": " + m.errText(msg.err)
			}
			return m, nil, true
		}
		ma.Arm(msg.by, now)
		names := make([]string, 0, len(ma.Rules()))
		for _, a := range ma.Rules() {
			names = append(names, a.Name)
		}
		m.status = "ARMED by " + msg.by + ": " + strings.Join(names, ", ") + " may run by itself on new incidents, announced first; v vetoes, ctrl+a disarms"
		return m, m.autoRecord(auto.Event{Kind: auto.EventArmed, At: now, Text: "automation armed by " + msg.by + " for " + strings.Join(names, ", ")}), true
	case autoAnnounced:
		c, ok := ma.AnnounceDone(msg.c.ID, msg.err, now)
		if !ok {
			return m, nil, true
		}
		cmds := []tea.Cmd{}
		if msg.err == nil {
			ev := msg.ev
			ev.Countdown = c
			cmds = append(cmds, m.autoRecord(ev))
			m.auto.say(ev.Text, now)
			if len(ev.Errors) > 0 {
				m.lastErr = "announcement: " + strings.Join(ev.Errors, "; ")
			}
		} else {
			m.lastErr = "not running " + c.Action + " on " + c.Incident.Service + ": " + c.Result
			cmds = append(cmds, m.autoEnd(c))
		}
		return m, tea.Batch(cmds...), true
	case autoEnded:
		m.auto.say(msg.ev.Text, now)
		if len(msg.ev.Errors) > 0 {
			m.lastErr = "announcement: " + strings.Join(msg.ev.Errors, "; ")
		}
		if msg.err != nil {
			m.lastErr = "journal: " + m.errText(msg.err)
		}
		return m, nil, true
	case autoVetoChecked:
		delete(m.auto.checking, msg.id)
		m.auto.lastCheck[msg.id] = now
		if msg.err != nil {
			m.lastErr = m.errText(msg.err)
			return m, nil, true
		}
		if !msg.found {
			return m, nil, true
		}
		c, ok := ma.Veto(msg.id, msg.note.Author, auto.ViaNote, now)
		if !ok {
			return m, nil, true
		}
		m.status = "vetoed by " + sanitize.Line(msg.note.Author) + ": sitrep will not run " + c.Action + " on " + c.Incident.Service
		return m, m.autoEnd(c), true
	case autoRunDone:
		if msg.state == auto.Vetoed {
			c, ok := ma.LateVeto(msg.id, msg.vetoedBy, auto.ViaNote, now)
			if !ok {
				return m, nil, true
			}
			m.status = "vetoed by " + sanitize.Line(msg.vetoedBy) + ": sitrep did not run " + c.Action + " on " + c.Incident.Service
			return m, m.autoEnd(c), true
		}
		c, ok := ma.Finished(msg.id, msg.state, msg.result, now)
		if !ok {
			return m, nil, true
		}
		ev := auto.EndEvent(c)
		m.auto.say(ev.Text, now)
		m.status = ev.Text
		m.refreshGen++
		m.refreshing = true
		return m, tea.Batch(m.autoRecord(ev), m.loadIncidents()), true
	case autoDetailed:
		delete(m.auto.detailing, msg.id)
		if msg.err != nil {
			m.lastErr = "automation: " + m.errText(msg.err)
			return m, nil, true
		}
		return m, m.autoDecide(ma.Observe([]auto.Incident{msg.in}, now)), true
	case autoVetoPosted:
		return m, m.vetoPosted(msg), true
	}
	return m, nil, false
}

func (m *Model) vetoPosted(msg autoVetoPosted) tea.Cmd {
	if msg.err != nil {
		m.lastErr = "veto on " + msg.incident + ": " + m.errText(msg.err)
		return nil
	}
	m.status = "veto note queued on " + msg.incident + ": the armed sitrep reads it before its countdown ends"
	return nil
}

// autoAfter feeds the machine what a message brought: the incidents of a
// refresh, and the clock.
func (m Model) autoAfter(msg tea.Msg) tea.Cmd {
	if m.auto == nil {
		return nil
	}
	if _, _, armed := m.auto.machine.Armed(); !armed {
		return nil
	}
	now := m.opts.Now()
	switch msg := msg.(type) {
	case incidentsLoaded:
		a := m.opts.Automation
		ins := make([]auto.Incident, 0, len(msg.incidents))
		for _, in := range msg.incidents {
			ins = append(ins, a.Brief(in))
		}
		return m.autoDecide(m.auto.machine.Observe(ins, now))
	case clockTicked:
		var cmds []tea.Cmd
		for _, c := range m.auto.machine.Tick(now) {
			cmds = append(cmds, m.autoRun(c))
		}
		for _, c := range m.auto.machine.Pending() {
			if c.State == auto.Counting && !m.auto.checking[c.ID] && now.Sub(m.auto.lastCheck[c.ID]) >= vetoCheckEvery {
				cmds = append(cmds, m.autoCheckVeto(c))
			}
		}
		return tea.Batch(cmds...)
	}
	return nil
}

// autoDecide does what a decision says: announce each countdown begun,
// read the incidents a rule waits on, and journal the matches held back.
func (m Model) autoDecide(d auto.Decision) tea.Cmd {
	a := m.opts.Automation
	var cmds []tea.Cmd
	for _, c := range d.Start {
		ctx, cancel := context.WithTimeout(context.Background(), m.opts.CallTimeout)
		cmds = append(cmds, func() tea.Msg {
			defer cancel()
			ev, err := a.Announce(ctx, c)
			return autoAnnounced{c: c, ev: ev, err: err}
		})
	}
	for _, s := range d.Skipped {
		text := fmt.Sprintf("not running %s on #%d: %s", s.Action, s.Incident.Number, s.Reason)
		m.auto.say(text, m.opts.Now())
		cmds = append(cmds, m.autoRecord(auto.Event{Kind: auto.EventSkipped, At: m.opts.Now(),
			Countdown: auto.Countdown{Action: s.Action, Incident: s.Incident}, Text: text}))
	}
	for _, id := range d.NeedDetail {
		in, ok := m.list.byID(id)
		if !ok || m.auto.detailing[id] {
			continue
		}
		m.auto.detailing[id] = true
		ctx, cancel := m.callContext()
		cmds = append(cmds, func() tea.Msg {
			defer cancel()
			got, err := a.Detail(ctx, in)
			return autoDetailed{id: id, in: got, err: err}
		})
	}
	return tea.Batch(cmds...)
}

func (m Model) autoCheckVeto(c auto.Countdown) tea.Cmd {
	m.auto.checking[c.ID] = true
	a := m.opts.Automation
	// The read must end before the countdown does, or its answer is late.
	ctx, cancel := context.WithTimeout(context.Background(), min(m.opts.CallTimeout, max(time.Second, c.Remaining(m.opts.Now()))))
	return func() tea.Msg {
		defer cancel()
		n, found, err := a.FindVeto(ctx, c)
		return autoVetoChecked{id: c.ID, note: n, found: found, err: err}
	}
}

// autoRun runs a countdown that reached zero. A veto note written in the
// last seconds is read once more first.
func (m Model) autoRun(c auto.Countdown) tea.Cmd {
	a := m.opts.Automation
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		vctx, vcancel := context.WithTimeout(ctx, 5*time.Second)
		n, found, err := a.FindVeto(vctx, c)
		vcancel()
		if err == nil && found {
			return autoRunDone{id: c.ID, state: auto.Vetoed, vetoedBy: n.Author}
		}
		state, result := a.Run(ctx, c, nil)
		return autoRunDone{id: c.ID, state: state, result: result}
	}
}

// autoEnd announces and journals a countdown's end.
func (m Model) autoEnd(c auto.Countdown) tea.Cmd {
	a := m.opts.Automation
	ctx, cancel := context.WithTimeout(context.Background(), m.opts.CallTimeout)
	return func() tea.Msg {
		defer cancel()
		ev := a.AnnounceEnd(ctx, c)
		return autoEnded{ev: ev, err: a.Record(ctx, ev)}
	}
}

func (m Model) autoRecord(ev auto.Event) tea.Cmd {
	a := m.opts.Automation
	if m.opts.ReadOnly || a == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), m.opts.CallTimeout)
	return func() tea.Msg {
		defer cancel()
		if err := a.Record(ctx, ev); err != nil {
			return journalFailed{err: err}
		}
		return nil
	}
}

// autoBadge is the header's ARMED.
func (m *Model) autoBadge() string {
	if m.auto == nil {
		return ""
	}
	if by, _, armed := m.auto.machine.Armed(); armed {
		return " " + m.styles.Error.Render("ARMED") + m.styles.Dim.Render(" by "+sanitize.Line(by))
	}
	if m.auto.arming {
		return " " + m.styles.Dim.Render("arming…")
	}
	return ""
}

// autoBannerShown says whether the banner takes a line: while a countdown
// is pending or running, and for a while after the automation's latest
// word.
func (m *Model) autoBannerShown() bool {
	if m.auto == nil {
		return false
	}
	return len(m.auto.machine.Pending()) > 0 || m.auto.notice != "" && m.now.Sub(m.auto.noticeAt) < noticeFor
}

// autoBanner is the countdown line above the list.
func (m *Model) autoBanner(width int) string {
	pending := m.auto.machine.Pending()
	if len(pending) == 0 {
		return m.styles.Dim.Render(fit(sanitize.Line("automation: "+m.auto.notice), width))
	}
	c := pending[0]
	var text string
	switch c.State {
	case auto.Running:
		text = fmt.Sprintf("▶ sitrep is running %s on %s (#%d), armed by %s", c.Action, c.Incident.Service, c.Incident.Number, c.ArmedBy)
	case auto.Announced:
		text = fmt.Sprintf("⏱ announcing: sitrep will run %s on %s (#%d) unless vetoed", c.Action, c.Incident.Service, c.Incident.Number)
	default:
		left := c.Remaining(m.opts.Now()).Round(time.Second)
		text = fmt.Sprintf("⏱ sitrep will run %s on %s (#%d) in %d:%02d unless vetoed — v veto", c.Action, c.Incident.Service, c.Incident.Number,
			int(left.Minutes()), int(left.Seconds())%60)
	}
	if len(pending) > 1 {
		text += fmt.Sprintf(" (+%d more)", len(pending)-1)
	}
	return m.styles.Warn.Render(fit(sanitize.Line(text), width))
}

// StopAutomation cancels the countdowns still pending when the cockpit
// has quit, and announces and journals each cancellation: an incident
// must not keep a promise of a run that will not come. It runs after the
// program has ended, so it may do I/O, bounded by the call timeout each.
// What could not be announced or journaled is returned, for the shell.
func (m Model) StopAutomation() (failures []string) {
	if m.auto == nil {
		return nil
	}
	for _, c := range m.auto.machine.CancelAll("the cockpit that counted down quit", auto.ViaShutdown, m.opts.Now()) {
		ctx, cancel := context.WithTimeout(context.Background(), m.opts.CallTimeout)
		ev := m.opts.Automation.AnnounceEnd(ctx, c)
		for _, e := range ev.Errors {
			failures = append(failures, "announce the cancelled run on "+c.Incident.ID+": "+e)
		}
		if err := m.opts.Automation.Record(ctx, ev); err != nil {
			failures = append(failures, "journal the cancelled run on "+c.Incident.ID+": "+err.Error())
		}
		cancel()
	}
	return failures
}
