package tui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"sitrep/sources/pagerduty"
	"sitrep/sources/sanitize"
)

// onCallScreen is O: who is on call now for the escalation policies of
// the engineer's teams, at which level and until when, and the engineer's
// own next shifts. It reads the same pagerduty.OnCallReport that `sitrep
// oncall` prints, through a Cmd with a deadline, when it opens and on r;
// until the answer comes it says so, and a failure is named with r to try
// again. Times are UTC, as everywhere in the cockpit, with how far off
// they are.
type onCallScreen struct {
	source  OnCall
	secrets *sanitize.Secrets
	timeout time.Duration

	report pagerduty.OnCallReport
	// fetched is when the report shown was asked for; zero until one
	// answer arrived.
	fetched time.Time
	loading bool
	err     string
	// gen drops an answer that a later r has overtaken.
	gen int

	// now moves with the cockpit's clock, for "in 8h16m".
	now time.Time
	// top is the first line drawn; width and height are the body's.
	top           int
	width, height int
	main          keyMap
}

// onCallAhead is how far ahead the engineer's own shifts are listed, as
// `sitrep oncall` does by default.
const onCallAhead = 14 * 24 * time.Hour

// onCallLoaded answers an on-call fetch.
type onCallLoaded struct {
	gen    int
	report pagerduty.OnCallReport
	err    error
}

// openOnCall opens O and starts its fetch.
func (m *Model) openOnCall() tea.Cmd {
	if m.opts.OnCall == nil {
		m.status = "no PagerDuty to ask who is on call"
		return nil
	}
	sc := &onCallScreen{source: m.opts.OnCall, secrets: m.opts.Secrets, timeout: onCallTimeout(m.opts.CallTimeout), now: m.opts.Now(), main: m.keys}
	m.openScreen(sc)
	return sc.fetch()
}

// onCallTimeout bounds one report: four kinds of request, each with the
// client's own deadline.
func onCallTimeout(call time.Duration) time.Duration { return 4 * call }

// fetch asks for the report again; what is shown stays until the answer.
func (o *onCallScreen) fetch() tea.Cmd {
	o.gen++
	o.loading = true
	gen, src, timeout, now := o.gen, o.source, o.timeout, o.now
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		r, err := src.OnCallReport(ctx, now, onCallAhead)
		return onCallLoaded{gen: gen, report: r, err: err}
	}
}

func (o *onCallScreen) resize(width, height int) { o.width, o.height = width, height }

// tick moves the screen's clock with the cockpit's.
func (o *onCallScreen) tick(now time.Time) { o.now = now }

// onCallKeyMap is O's own keys; ? and q are the list's.
type onCallKeyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Retry, Back                             key.Binding
}

// onCallNav moves as J does, and scrolls rather than picks.
var onCallNav = onCallKeyMap{
	Up:       withHelp(journalNav.Up, "k/↑", "scroll up"),
	Down:     withHelp(journalNav.Down, "j/↓", "scroll down"),
	PageUp:   journalNav.PageUp,
	PageDown: journalNav.PageDown,
	Top:      journalNav.Top,
	Bottom:   journalNav.Bottom,
	Retry:    key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh")),
	Back:     withHelp(journalNav.Back, "esc", "close"),
}

func (o *onCallScreen) keys() help.KeyMap {
	k := onCallNav
	if o.err != "" {
		k.Retry.SetHelp("r", "try again")
	}
	return onCallHelp{
		{k.Retry, k.Down, k.Up, k.PageDown, k.PageUp, k.Top, k.Bottom},
		{k.Back, withHelp(o.main.OnCall, "O", "close on-call"), o.main.Help, o.main.Quit},
	}
}

// onCallHelp is O's keys: the help bar shows what fits at 80 columns.
type onCallHelp [][]key.Binding

func (h onCallHelp) ShortHelp() []key.Binding {
	return []key.Binding{h[0][0], h[0][1], h[0][2], h[1][0], h[1][2], h[1][3]}
}

func (h onCallHelp) FullHelp() [][]key.Binding { return h }

func (o *onCallScreen) update(msg tea.Msg, now time.Time) (screen, tea.Cmd) {
	o.now = now
	switch msg := msg.(type) {
	case onCallLoaded:
		if msg.gen != o.gen {
			return o, nil
		}
		o.loading = false
		if msg.err != nil {
			o.err = displayErr(o.secrets, msg.err)
			return o, nil
		}
		o.err, o.report, o.fetched = "", msg.report, now
		return o, nil
	case tea.KeyPressMsg:
		k := onCallNav
		room := o.room()
		switch {
		case key.Matches(msg, o.main.Quit):
			return o, tea.Quit
		case key.Matches(msg, k.Back, o.main.OnCall):
			return nil, nil
		case key.Matches(msg, k.Retry):
			if o.loading {
				return o, nil // one question at a time
			}
			return o, o.fetch()
		case key.Matches(msg, k.Down):
			o.scroll(1, room)
		case key.Matches(msg, k.Up):
			o.scroll(-1, room)
		case key.Matches(msg, k.PageDown):
			o.scroll(room, room)
		case key.Matches(msg, k.PageUp):
			o.scroll(-room, room)
		case key.Matches(msg, k.Top):
			o.top = 0
		case key.Matches(msg, k.Bottom):
			o.scroll(len(o.lines(Styles{}, max(20, o.width))), room)
		}
	}
	return o, nil
}

// room is how many lines of the report show: the body less the title and
// the footer.
func (o *onCallScreen) room() int { return max(1, o.height-2) }

func (o *onCallScreen) scroll(delta, room int) {
	n := len(o.lines(Styles{}, max(20, o.width)))
	o.top = max(0, min(o.top+delta, n-room))
}

func (o *onCallScreen) view(s Styles, width, height int) string {
	title := "On call now"
	if me := o.report.Me; me.Name != "" {
		title += " for the teams of " + me.Name
		if len(me.Teams) > 0 {
			names := make([]string, len(me.Teams))
			for i, t := range me.Teams {
				names[i] = t.Name
			}
			title += " (" + strings.Join(names, ", ") + ")"
		}
	}
	lines := o.lines(s, width)
	room := max(1, height-2)
	top := max(0, min(o.top, len(lines)-room))
	shown := lines[top:min(len(lines), top+room)]

	var foot string
	switch {
	case o.loading:
		foot = "asking PagerDuty who is on call…"
	case !o.fetched.IsZero():
		foot = "updated " + ago(o.now, o.fetched) + " · times in UTC"
	}
	if len(lines) > room {
		foot += fmt.Sprintf(" · lines %d–%d of %d", top+1, top+len(shown), len(lines))
	}
	return padLines(s.Title.Render(truncate(title, width))+"\n"+strings.Join(shown, "\n"), width, height-1) + "\n" + fit(s.Dim.Render(foot), width)
}

// lines are the report as drawn, before scrolling: the failure first when
// the last fetch failed (what was fetched before stays below it), then who
// is on call by policy and level, then the engineer's shifts.
func (o *onCallScreen) lines(s Styles, width int) []string {
	var out []string
	if o.err != "" {
		for _, l := range wrap("⚠ on-call: "+o.err+" (r to try again)", max(10, width-1)) {
			out = append(out, s.Error.Render(truncate(" "+l, width)))
		}
	}
	if o.fetched.IsZero() {
		if o.err == "" {
			out = append(out, s.Dim.Render(" asking PagerDuty who is on call…"))
		}
		return out
	}
	if o.err != "" {
		out = append(out, "")
	}
	r := o.report
	me := r.Me
	switch {
	case len(me.Teams) == 0:
		out = append(out, truncate(" "+me.Name+" is on no team in PagerDuty: no team policies to show.", width))
	case len(r.Policies) == 0:
		out = append(out, truncate(" The teams of "+me.Name+" have no escalation policies.", width))
	default:
		c := onCallColumns(width)
		out = append(out, s.Label.Render(truncate(c.row("POLICY", "LEVEL", "WHO", "UNTIL"), width)))
		for _, p := range r.Policies {
			out = append(out, o.policyRows(s, c, p, width)...)
		}
	}
	out = append(out, "")
	days := int(r.Until.Sub(r.Since).Round(time.Hour) / (24 * time.Hour))
	if len(r.MyShifts) == 0 {
		out = append(out, truncate(fmt.Sprintf(" %s has no on-call shifts in the next %d days.", me.Name, days), width))
		return out
	}
	out = append(out, s.Section.Render(truncate(fmt.Sprintf(" Your shifts in the next %d days", days), width)))
	c := shiftColumns(width)
	out = append(out, s.Label.Render(truncate(c.row("POLICY", "LEVEL", "FROM", "UNTIL"), width)))
	for _, sh := range r.MyShifts {
		row := c.row(sh.Policy.Name, fmt.Sprintf("L%d", sh.Level), pagerduty.ShiftStart(sh.Start, o.now, time.UTC), pagerduty.ShiftEnd(sh.End, o.now, time.UTC))
		line := truncate(row, width)
		if !sh.Start.After(o.now) {
			line = s.OK.Render(line) // under way
		}
		out = append(out, line)
	}
	return out
}

// policyRows are one policy's levels in order, the policy named on the
// first: who is on call at each, and the levels nobody covers.
func (o *onCallScreen) policyRows(s Styles, c onCallTable, p pagerduty.PolicyOnCall, width int) []string {
	type row struct {
		level int
		shift *pagerduty.Shift
	}
	var rows []row
	for i := range p.OnCall {
		rows = append(rows, row{level: p.OnCall[i].Level, shift: &p.OnCall[i]})
	}
	for _, l := range p.Uncovered() {
		rows = append(rows, row{level: l})
	}
	slices.SortStableFunc(rows, func(a, b row) int { return a.level - b.level })
	var out []string
	for i, r := range rows {
		name := ""
		if i == 0 {
			name = p.Name
		}
		level := fmt.Sprintf("L%d", r.level)
		if r.shift == nil {
			out = append(out, s.Warn.Render(truncate(c.row(name, level, "nobody on call", "—"), width)))
			continue
		}
		who := r.shift.User.Name
		mine := r.shift.User.ID == o.report.Me.ID
		if mine {
			who += " (you)"
		}
		line := truncate(c.row(name, level, who, pagerduty.ShiftEnd(r.shift.End, o.now, time.UTC)), width)
		if mine {
			line = s.OK.Render(line)
		}
		out = append(out, line)
	}
	return out
}

// onCallTable is the widths of a four-column table: a name, a level and two
// wider cells.
type onCallTable struct{ name, level, third, fourth int }

// untilWidth holds "Mon 30 Nov 05:00 (in 32h16m)".
const untilWidth = 28

// onCallColumns share what the level and the end leave between the
// policy and who.
func onCallColumns(width int) onCallTable {
	rest := max(10, width-1-5-untilWidth-3)
	return onCallTable{name: rest / 2, level: 5, third: rest - rest/2, fourth: untilWidth}
}

// shiftColumns give the policy what the two times leave.
func shiftColumns(width int) onCallTable {
	return onCallTable{name: max(8, width-1-5-2*untilWidth-3), level: 5, third: untilWidth, fourth: untilWidth}
}

func (c onCallTable) row(name, level, third, fourth string) string {
	return " " + fit(name, c.name) + " " + fit(level, c.level) + " " + fit(third, c.third) + " " + fourth
}
