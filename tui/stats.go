package tui

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"sitrep/sources/sanitize"
	"sitrep/store/stats"
)

// statsScreen is S: the automation review of `sitrep stats` over the
// journal, the last statsWindow of it — per action its runs and outcome
// counts drawn as bars, per service its incidents and times, what to
// automate next and what hurt. The figures are computed in a Cmd (a long
// journal takes a while) and arrive as statsComputed; r computes them
// again.
type statsScreen struct {
	src     Stats
	report  stats.Report
	err     string
	loading bool
	// gen is the computation this screen waits for; an older answer is
	// dropped.
	gen    int64
	scroll int
	// width and height are the body's; room is the lines of content.
	width, height int
}

// statsWindow is how far back the screen reads, as `sitrep stats` does by
// default.
const statsWindow = 30 * 24 * time.Hour

// statsTimeout bounds one computation: a journal of a million entries
// takes seconds, not minutes.
const statsTimeout = time.Minute

// statsComputed carries a computation's figures to the Stats screen.
type statsComputed struct {
	gen    int64
	report stats.Report
	err    error
}

// statsGen numbers computations across screens, so that an answer meant
// for a screen since closed never lands on a new one.
var statsGen atomic.Int64

// openStats opens S and starts computing; S again closes it.
func (m *Model) openStats() tea.Cmd {
	if m.opts.Stats == nil {
		m.status = "no journal to read stats from"
		return nil
	}
	sc := &statsScreen{src: m.opts.Stats, loading: true}
	m.openScreen(sc)
	return sc.compute(m.opts.Now())
}

// compute is the Cmd that reads the journal.
func (s *statsScreen) compute(now time.Time) tea.Cmd {
	s.gen, s.loading = statsGen.Add(1), true
	gen, src := s.gen, s.src
	opts := stats.Options{Since: now.Add(-statsWindow), Until: now}
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), statsTimeout)
		defer cancel()
		rep, err := src.Stats(ctx, opts)
		return statsComputed{gen: gen, report: rep, err: err}
	}
}

func (s *statsScreen) resize(width, height int) { s.width, s.height = width, height }

// statsKeyMap is S's keys.
type statsKeyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Recompute, Close, Help, Quit            key.Binding
}

var statsKeys = statsKeyMap{
	Up:        key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("k/↑", "scroll up")),
	Down:      key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("j/↓", "scroll down")),
	PageUp:    key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("pgup", "page up")),
	PageDown:  key.NewBinding(key.WithKeys("pgdown", "ctrl+d", "space"), key.WithHelp("pgdn", "page down")),
	Top:       key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g", "top")),
	Bottom:    key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G", "bottom")),
	Recompute: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "read the journal again")),
	Close:     key.NewBinding(key.WithKeys("esc", "S"), key.WithHelp("esc", "close")),
	Help:      helpKey,
	Quit:      key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
}

func (s *statsScreen) keys() help.KeyMap {
	k := statsKeys
	return keyGroups{
		{k.Down, k.Up, k.PageDown, k.PageUp, k.Top, k.Bottom},
		{k.Recompute, k.Close, k.Help, k.Quit},
	}
}

func (s *statsScreen) update(msg tea.Msg, now time.Time) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case statsComputed:
		if msg.gen != s.gen {
			return s, nil
		}
		s.loading = false
		s.err = ""
		if msg.err != nil {
			s.err = sanitize.Line(msg.err.Error())
		} else {
			s.report = msg.report
		}
		s.scroll = min(s.scroll, s.maxScroll())
		return s, nil
	case tea.KeyPressMsg:
		k := statsKeys
		page := max(1, s.room()-1)
		switch {
		case key.Matches(msg, k.Quit):
			return s, tea.Quit
		case key.Matches(msg, k.Close):
			return nil, nil
		case key.Matches(msg, k.Recompute):
			if !s.loading {
				return s, s.compute(now)
			}
		case key.Matches(msg, k.Down):
			s.scroll++
		case key.Matches(msg, k.Up):
			s.scroll--
		case key.Matches(msg, k.PageDown):
			s.scroll += page
		case key.Matches(msg, k.PageUp):
			s.scroll -= page
		case key.Matches(msg, k.Top):
			s.scroll = 0
		case key.Matches(msg, k.Bottom):
			s.scroll = s.maxScroll()
		}
		s.scroll = max(0, min(s.scroll, s.maxScroll()))
	}
	return s, nil
}

// room is the lines of content the body holds: the title and the footer
// take two.
func (s *statsScreen) room() int { return max(1, s.height-2) }

func (s *statsScreen) maxScroll() int {
	return max(0, len(s.lines(Styles{}, max(20, s.width)))-s.room())
}

func (s *statsScreen) view(st Styles, width, height int) string {
	s.width, s.height = width, height
	title := st.Title.Render(truncate("Stats — the automation review, last 30 days", width))
	lines := s.lines(st, width)
	room := s.room()
	top := max(0, min(s.scroll, len(lines)-room))
	shown := lines[top:min(len(lines), top+room)]
	where := ""
	switch {
	case s.loading && len(s.report.Actions)+len(s.report.Services) > 0:
		where = "reading the journal again…"
	case len(lines) > room:
		where = fmt.Sprintf("lines %d–%d of %d", top+1, top+len(shown), len(lines))
	}
	return padLines(title+"\n"+strings.Join(shown, "\n"), width, height-1) + "\n" + fit(st.Dim.Render(where), width)
}

// lines draws the report at width: a pure function of the figures.
func (s *statsScreen) lines(st Styles, width int) []string {
	switch {
	case s.loading && s.report.Entries == 0 && s.err == "":
		return []string{st.Dim.Render("reading the journal…")}
	case s.err != "":
		return []string{st.Error.Render(truncate("stats: "+s.err, width))}
	}
	r := s.report
	var out []string
	add := func(l string) { out = append(out, truncate(l, width)) }
	add(st.Dim.Render(sanitize.Line(stats.Window(r) + " · " + strconv.Itoa(r.Entries) + " entries")))

	add("")
	add(st.Section.Render("Actions"))
	if len(r.Actions) == 0 {
		add(st.Dim.Render("No action was previewed or run in the window."))
	} else {
		out = append(out, s.actionBars(st, width)...)
	}

	add("")
	add(st.Section.Render("Services"))
	if len(r.Services) == 0 {
		add(st.Dim.Render("No incident in the window."))
	}
	for _, sv := range r.Services {
		line := fmt.Sprintf("%s  %d incident%s", sanitize.Line(sv.Service), sv.Incidents, statsPlural(sv.Incidents))
		if t := stats.SecondsText(sv.MedianAckSeconds, sv.Acknowledged); t != "" {
			line += " · ack " + t
		}
		if t := stats.SecondsText(sv.MedianResolveSeconds, sv.Resolved); t != "" {
			line += " · resolve " + t
		}
		add(line)
		if c := stats.ClassesText(sv.Classes); c != "" {
			add(st.Label.Render("  classes: " + sanitize.Line(c)))
		}
		if h := stats.HelpedText(sv.Helped); h != "" {
			add(st.Label.Render("  helped: " + sanitize.Line(h)))
		}
	}

	add("")
	add(st.Section.Render("Automation candidates"))
	if len(r.Candidates) == 0 {
		add(st.Dim.Render("Nothing repeated often enough to suggest."))
	}
	for _, c := range r.Candidates {
		for i, l := range wrap(stats.CandidateLabel(c.Kind)+": "+sanitize.Line(stats.CandidateText(c))+" — "+sanitize.Line(c.Why), max(10, width-2)) {
			if i == 0 {
				add("• " + l)
			} else {
				add("  " + l)
			}
		}
	}

	add("")
	add(st.Section.Render("Automation that hurt"))
	if len(r.Hurt) == 0 {
		add(st.Dim.Render("No action made things worse, failed too often or was vetoed."))
	}
	for _, h := range r.Hurt {
		for i, l := range wrap(sanitize.Line(h.Action)+": "+sanitize.Line(h.Why), max(10, width-2)) {
			if i == 0 {
				add(st.Error.Render("• ") + l)
			} else {
				add("  " + l)
			}
		}
	}
	return out
}

// Bar glyphs per outcome: distinct without colour too (NO_COLOR).
const (
	barHelped   = "█"
	barNoEffect = "▒"
	barWorse    = "×"
	barUnknown  = "·"
)

// actionBars draws each action's outcome counts as one bar, scaled so the
// action with the most runs fills the room, with its figures beside it.
func (s *statsScreen) actionBars(st Styles, width int) []string {
	r := s.report
	nameW := 6
	most := 1
	for _, a := range r.Actions {
		nameW = max(nameW, min(24, plainWidth(sanitize.Line(a.Action))))
		most = max(most, a.Runs)
	}
	figW := 0
	figs := make([]string, len(r.Actions))
	for i, a := range r.Actions {
		f := fmt.Sprintf("%d run%s", a.Runs, statsPlural(a.Runs))
		if n := a.Failures + a.Timeouts; n > 0 {
			f += fmt.Sprintf(", %d failed", n)
		}
		if n := blockedCount(a.Blocked); n > 0 {
			f += fmt.Sprintf(", %d blocked", n)
		}
		if d := stats.DurationText(a.MedianDurationMS); d != "" {
			f += ", median " + d
		}
		o := a.Outcomes
		f += fmt.Sprintf(" · %d/%d/%d/%d", o.Helped, o.NoEffect, o.Worse, o.Unknown)
		figs[i] = f
		figW = max(figW, plainWidth(f))
	}
	barW := max(5, width-nameW-figW-4)
	if width < 100 {
		// The figures go on a line of their own below the bar.
		barW = max(5, width-nameW-2)
	}
	out := []string{truncate(st.Label.Render(fmt.Sprintf("%s helped  %s no effect  %s worse  %s unknown  (counts in that order)",
		st.OK.Render(barHelped), st.Dim.Render(barNoEffect), st.Error.Render(barWorse), barUnknown)), width)}
	for i, a := range r.Actions {
		o := a.Outcomes
		scale := func(n int) int {
			if n <= 0 {
				return 0
			}
			return max(1, n*barW/most)
		}
		bar := st.OK.Render(strings.Repeat(barHelped, scale(o.Helped))) +
			st.Dim.Render(strings.Repeat(barNoEffect, scale(o.NoEffect))) +
			st.Error.Render(strings.Repeat(barWorse, scale(o.Worse))) +
			strings.Repeat(barUnknown, scale(o.Unknown))
		name := fit(sanitize.Line(a.Action), nameW)
		if width < 100 {
			out = append(out, truncate(name+"  "+bar, width))
			out = append(out, truncate(st.Label.Render(strings.Repeat(" ", nameW+2)+figs[i]), width))
		} else {
			out = append(out, truncate(name+"  "+fit(bar, barW)+"  "+st.Label.Render(figs[i]), width))
		}
		for _, m := range a.Metrics {
			out = append(out, truncate(st.Label.Render(strings.Repeat(" ", nameW+2)+sanitize.Line(stats.MetricText(m))), width))
		}
		if a.LastWorse != nil {
			out = append(out, truncate(st.Error.Render(strings.Repeat(" ", nameW+2)+"last worse "+sanitize.Line(stats.WorseText(*a.LastWorse))), width))
		}
	}
	return out
}

func blockedCount(m map[string]int) int {
	n := 0
	for _, c := range m {
		n += c
	}
	return n
}

func statsPlural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
