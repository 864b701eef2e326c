package tui

import (
	"context"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"sitrep/sources/pagerduty"
	"sitrep/sources/sanitize"
)

// The ring: a new high-urgency incident assigned to the engineer while
// sitrep is open rings the terminal's bell and, where the terminal shows
// them, raises a desktop notification, once per incident, so that an
// engineer working in another window hears the page that sitrep saw.
//
// New means new while sitrep is open: not in the cached list drawn at
// start, not in PagerDuty's first answer, and created after sitrep
// started (a scope widened later brings old incidents, not new ones).
// Only a triggered incident rings: one acknowledged already has someone.

// Ring says how the cockpit rings; both off (the zero value) is silence.
type Ring struct {
	// Bell rings the terminal's bell (BEL).
	Bell bool
	// Desktop asks the terminal for a desktop notification (OSC 9, and
	// OSC 777 where the terminal is known to take it).
	Desktop bool
	// Terminal is what the terminal is known to take (TerminalFrom).
	Terminal Terminal
}

// Terminal is what is known of the terminal sitrep draws on.
type Terminal struct {
	// OSC777 says the terminal takes OSC 777 notify;title;body (foot,
	// rxvt-unicode, Ghostty, WezTerm), beside OSC 9.
	OSC777 bool
	// Tmux wraps the notifications in tmux's passthrough, which reaches
	// the outer terminal when tmux allows it (allow-passthrough on); the
	// bell goes to tmux itself, which passes it on as it is set to.
	Tmux bool
	// BellOnly is a multiplexer that passes no notification on (GNU
	// screen): only the bell is sent.
	BellOnly bool
}

// TerminalFrom reads what the environment says of the terminal: getenv
// is os.Getenv, or a map's lookup in tests.
func TerminalFrom(getenv func(string) string) Terminal {
	term, program := getenv("TERM"), getenv("TERM_PROGRAM")
	switch {
	case getenv("TMUX") != "":
		return Terminal{Tmux: true}
	case getenv("STY") != "" || strings.HasPrefix(term, "screen"):
		return Terminal{BellOnly: true}
	}
	osc777 := program == "ghostty" || program == "WezTerm"
	for _, prefix := range []string{"foot", "rxvt-unicode", "xterm-ghostty", "wezterm"} {
		osc777 = osc777 || strings.HasPrefix(term, prefix)
	}
	return Terminal{OSC777: osc777}
}

// ringer remembers what rang and what was there before, across refreshes.
type ringer struct {
	on    bool
	start time.Time
	// me is the engineer's PagerDuty user ID, "" until PagerDuty said;
	// asking is a question on its way.
	me     string
	asking bool
	// baselined: PagerDuty's first answer was taken as what was there at
	// start.
	baselined bool
	// known are the incidents there at start (the cache, the first
	// answer); rung those that rang.
	known, rung map[string]bool
}

func newRinger(opts Options) ringer {
	r := ringer{
		on:    (opts.Ring.Bell || opts.Ring.Desktop) && opts.OnCall != nil,
		start: opts.Now(),
		known: map[string]bool{},
		rung:  map[string]bool{},
	}
	r.asking = r.on // Init asks who the engineer is
	r.knowAll(opts.Cached)
	return r
}

// knowAll takes incidents as there at start.
func (r *ringer) knowAll(ins []pagerduty.Incident) {
	for _, in := range ins {
		r.known[in.ID] = true
	}
}

// due are the incidents of a refresh that ring now; it remembers them, so
// none rings twice. The first answer only tells what was there at start.
func (r *ringer) due(ins []pagerduty.Incident) []pagerduty.Incident {
	if !r.baselined {
		r.baselined = true
		r.knowAll(ins)
		return nil
	}
	if r.me == "" {
		return nil // the next refresh decides, once PagerDuty said who
	}
	// PagerDuty's times have a one-second grain: an incident opened in
	// sitrep's first second reads as opened at its start.
	since := r.start.Truncate(time.Second)
	var out []pagerduty.Incident
	for _, in := range ins {
		if r.rung[in.ID] || r.known[in.ID] || in.Urgency != pagerduty.UrgencyHigh ||
			in.Status != pagerduty.StatusTriggered || in.CreatedAt.Before(since) || !assignedTo(in, r.me) {
			continue
		}
		r.rung[in.ID] = true
		out = append(out, in)
	}
	return out
}

func assignedTo(in pagerduty.Incident, userID string) bool {
	for _, a := range in.Assignees {
		if a.ID == userID {
			return true
		}
	}
	return false
}

// meKnown answers who the engineer is.
type meKnown struct {
	user pagerduty.User
	err  error
}

// askMe asks PagerDuty who the engineer is, for the ring.
func askMe(src OnCall, timeout time.Duration) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		u, err := src.Me(ctx)
		return meKnown{user: u, err: err}
	}
}

// whoAmI asks again after a failure; nil while the answer is known or on
// its way.
func (m *Model) whoAmI() tea.Cmd {
	if !m.ring.on || m.ring.me != "" || m.ring.asking {
		return nil
	}
	m.ring.asking = true
	return askMe(m.opts.OnCall, m.opts.CallTimeout)
}

func (m Model) meKnown(msg meKnown) (tea.Model, tea.Cmd) {
	m.ring.asking = false
	if msg.err != nil {
		// The next refresh asks again; until then nothing can ring. A
		// refresh's own error already in the header (PagerDuty out of
		// reach, the likely cause of this one too) says more and stays.
		if m.lastErr == "" {
			m.lastErr = "ring: who you are in PagerDuty: " + m.errText(msg.err)
		}
		return m, nil
	}
	m.ring.me = msg.user.ID
	return m, nil
}

// ringFor rings for the incidents of a refresh that are due, and says so
// on the status line.
func (m *Model) ringFor(ins []pagerduty.Incident) tea.Cmd {
	if !m.ring.on {
		return nil
	}
	due := m.ring.due(ins)
	if len(due) == 0 {
		return nil
	}
	nums := make([]string, len(due))
	notes := make([]notice, len(due))
	for i, in := range due {
		nums[i] = number(in)
		notes[i] = noticeOf(in, m.opts.Secrets)
	}
	m.status = "rang for " + strings.Join(nums, ", ")
	return tea.Raw(ringSequence(m.opts.Ring, notes))
}

// notice is one desktop notification, its fields safe for the terminal.
type notice struct{ title, body string }

// noticeField is at most 200 characters of one line, with nothing the
// terminal could read as a control (sanitize.Line) and no ; that would
// end an OSC 777 field early.
func noticeField(s string, secrets *sanitize.Secrets) string {
	s = sanitize.Line(secrets.RedactValues(s))
	s = strings.ReplaceAll(s, ";", ",")
	if r := []rune(s); len(r) > 200 {
		s = string(r[:199]) + "…"
	}
	return s
}

func noticeOf(in pagerduty.Incident, secrets *sanitize.Secrets) notice {
	title := noticeField("sitrep: "+number(in)+" "+in.Service.Name+" assigned to you", secrets)
	return notice{title: title, body: noticeField(in.Title, secrets)}
}

// ringSequence is what is written to the terminal: one bell, and a
// notification per incident.
func ringSequence(r Ring, notes []notice) string {
	var b strings.Builder
	if r.Bell {
		b.WriteByte(ansi.BEL)
	}
	if !r.Desktop || r.Terminal.BellOnly {
		return b.String()
	}
	for _, n := range notes {
		osc := ansi.Notify(n.title + ": " + n.body)
		if r.Terminal.OSC777 {
			osc += ansi.URxvtExt("notify", n.title, n.body)
		}
		if r.Terminal.Tmux {
			osc = ansi.TmuxPassthrough(osc)
		}
		b.WriteString(osc)
	}
	return b.String()
}

// askMeAtStart is Init's question of who the engineer is (newRinger set
// asking).
func (m Model) askMeAtStart() tea.Cmd {
	if !m.ring.on {
		return nil
	}
	return askMe(m.opts.OnCall, m.opts.CallTimeout)
}
