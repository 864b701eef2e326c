package tui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"sitrep/actions"
	"sitrep/actions/approval"
	"sitrep/sources/pagerduty"
	"sitrep/sources/sanitize"
	"sitrep/store/journal"
)

// The approver's side of a two-person approval. Every approvalScan the
// notes of the open incidents listed (at most maxScanned, first in the
// list's order) are read for requests still pending: those the engineer
// may approve, and the engineer's own (shown, never approvable). The
// header counts them and P lists them. Opening one prepares the same plan
// from this sitrep's own catalogue and compares its hash with the
// request's: a different plan cannot be approved. The decision is typed
// (the request ID's last 4 characters, or approve; deny to deny) and
// posted as a note, whose PagerDuty author, this engineer, is the
// approver.

// approvalScan is how often pending approvals are looked for; each scan
// reads one incident's notes per open incident listed, up to maxScanned.
const (
	approvalScan      = 30 * time.Second
	approvalScanFirst = 3 * time.Second
	maxScanned        = 25
)

type (
	// approvalScanDue is the next look for pending approvals.
	approvalScanDue struct{}
	// approvalsScanned is what a look found; chain says it was the
	// scheduled look, which schedules the next.
	approvalsScanned struct {
		chain   bool
		me      pagerduty.User
		teams   []string
		pending []pendingApproval
		err     error
	}
	// approvalPlanned is the approver's own preparation of a request's
	// plan.
	approvalPlanned struct {
		requestID string
		plan      *actions.Plan
		hash      string
		err       error
	}
)

func (approvalScanDue) approvalMsg()  {}
func (approvalsScanned) approvalMsg() {}
func (approvalPlanned) approvalMsg()  {}

// pendingApproval is one open request on an incident in scope.
type pendingApproval struct {
	incident pagerduty.Incident
	entry    approval.Entry
	mine     bool // the engineer asked for it
}

// approvalsState is what the approver's side knows.
type approvalsState struct {
	me       pagerduty.User
	teams    []string
	pending  []pendingApproval
	scanning bool
	lastScan time.Time
	scanErr  string
	// decided are the requests decided here, left out until a scan no
	// longer lists them as pending.
	decided map[string]bool
}

// scanApprovalsSoon schedules the first look for pending approvals.
func (m *Model) scanApprovalsSoon() tea.Cmd {
	if m.opts.Approvals == nil {
		return nil
	}
	return tea.Tick(approvalScanFirst, func(time.Time) tea.Msg { return approvalScanDue{} })
}

// approverUpdate handles the approver side's messages.
func (m Model) approverUpdate(msg approvalMsg, now time.Time) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case approvalSlackFailed:
		m.lastErr = "approval request to Slack: " + m.errText(msg.err)
	case approvalScanDue:
		if m.opts.Approvals == nil {
			return m, nil
		}
		if m.approvals.scanning {
			// P's look is on its way: the schedule goes on after it.
			return m, tea.Tick(approvalScan, func(time.Time) tea.Msg { return approvalScanDue{} })
		}
		m.approvals.scanning = true
		return m, m.scanApprovals(now, true)
	case approvalsScanned:
		st := &m.approvals
		st.scanning, st.lastScan = false, now
		// One schedule: only the scheduled look sets up the next.
		var next tea.Cmd
		if msg.chain {
			next = tea.Tick(approvalScan, func(time.Time) tea.Msg { return approvalScanDue{} })
		}
		if msg.err != nil && len(msg.pending) == 0 {
			st.scanErr = m.errText(msg.err)
			return m, next
		}
		// What was found shows; incidents whose notes could not be read
		// are named beside it, since a request may wait on one of them.
		st.scanErr, st.me, st.teams = "", msg.me, msg.teams
		if msg.err != nil {
			st.scanErr = m.errText(msg.err)
		}
		st.pending = st.pending[:0]
		still := map[string]bool{}
		for _, p := range msg.pending {
			still[p.entry.Request.ID] = true
			if !st.decided[p.entry.Request.ID] {
				st.pending = append(st.pending, p)
			}
		}
		for id := range st.decided {
			if !still[id] {
				delete(st.decided, id)
			}
		}
		if s, ok := m.screen.(*approvalsScreen); ok {
			s.refresh(st.pending, st.me)
		}
		return m, next
	case approvalPlanned:
		if s, ok := m.screen.(*approvalsScreen); ok {
			s.planned(msg, now)
		}
	}
	return m, nil
}

// scanApprovals reads the notes of the open incidents listed.
func (m *Model) scanApprovals(now time.Time, chain bool) tea.Cmd {
	var open []pagerduty.Incident
	for _, in := range m.list.all {
		if in.Status != pagerduty.StatusResolved {
			open = append(open, in)
		}
		if len(open) == maxScanned {
			break
		}
	}
	ap, timeout := m.opts.Approvals, m.opts.CallTimeout
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		me, err := ap.Me(ctx)
		cancel()
		if err != nil {
			return approvalsScanned{chain: chain, err: fmt.Errorf("pending approvals: who am I: %w", err)}
		}
		teams := make([]string, 0, len(me.Teams))
		for _, t := range me.Teams {
			teams = append(teams, t.ID)
		}
		out := approvalsScanned{chain: chain, me: me, teams: teams}
		var failed []string
		for _, in := range open {
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			notes, err := ap.Notes(ctx, in.ID)
			cancel()
			if err != nil {
				failed = append(failed, number(in))
				continue
			}
			for _, e := range approval.Read(in.ID, notes, now).Pending() {
				mine := e.RequestedBy.ID == me.ID
				if mine || approval.InScope(e.Request.Approvers, me.ID, teams) {
					out.pending = append(out.pending, pendingApproval{incident: in, entry: e, mine: mine})
				}
			}
		}
		if len(failed) > 0 {
			out.err = fmt.Errorf("pending approvals: the notes of %s could not be read; the next look tries again", strings.Join(failed, ", "))
		}
		return out
	}
}

// approvalBadges is the header's count of approvals waiting for the
// engineer, and the mark of a run waiting for one.
func (m *Model) approvalBadges() string {
	out := m.awaitingBadge()
	n := 0
	for _, p := range m.approvals.pending {
		if !p.mine {
			n++
		}
	}
	if n > 0 {
		out += " " + m.styles.Warn.Render(fmt.Sprintf("[%d approval%s pending: P]", n, plural(n)))
	}
	return out
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// openApprovals opens P.
func (m *Model) openApprovals() tea.Cmd {
	if m.opts.Approvals == nil {
		m.status = "no approval guard in the catalogue: nothing to approve here"
		return nil
	}
	s := newApprovalsScreen(m.approvals.pending, m.approvals.me, m.opts.Actions, m.opts.Now())
	s.scanErr = m.approvals.scanErr
	s.lastScan = m.approvals.lastScan
	m.openScreen(s)
	if m.approvals.scanning {
		return nil
	}
	// A fresh look: the list may be up to a scan old.
	m.approvals.scanning = true
	return m.scanApprovals(m.opts.Now(), false)
}

// approvalsScreen lists the pending approvals and decides one.
type approvalsScreen struct {
	acts     Actions
	me       pagerduty.User
	pending  []pendingApproval
	cursor   int
	now      time.Time
	lastScan time.Time
	scanErr  string

	// open is the request being decided (its ID), with the approver's
	// own plan and whether its hash matches.
	open     string
	plan     *actions.Plan
	planHash string
	planErr  string
	planning bool
	input    textinput.Model
	refusal  string
	// armedAt: keys that decide wait gracePeriod after the plan arrived.
	armedAt time.Time
}

var approvalsKeys = struct {
	Up, Down, Open, Back, Decide, Help key.Binding
}{
	Up:     key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("k/↑", "up")),
	Down:   key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("j/↓", "down")),
	Open:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open: prepare the same plan here")),
	Back:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
	Decide: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "decide: the ID's last 4 or approve, or deny")),
	Help:   helpKey,
}

func newApprovalsScreen(pending []pendingApproval, me pagerduty.User, acts Actions, now time.Time) *approvalsScreen {
	ti := textinput.New()
	ti.Prompt = "> "
	ti.Placeholder = "last 4 of the request ID, approve, or deny"
	ti.CharLimit = 20
	ti.SetWidth(40)
	s := &approvalsScreen{acts: acts, me: me, now: now, input: ti}
	s.refresh(pending, me)
	return s
}

func (s *approvalsScreen) refresh(pending []pendingApproval, me pagerduty.User) {
	s.pending = append([]pendingApproval(nil), pending...)
	s.me = me
	s.cursor = max(0, min(s.cursor, len(s.pending)-1))
}

func (s *approvalsScreen) selected() (pendingApproval, bool) {
	if s.open != "" {
		for _, p := range s.pending {
			if p.entry.Request.ID == s.open {
				return p, true
			}
		}
		return pendingApproval{}, false
	}
	if s.cursor < len(s.pending) {
		return s.pending[s.cursor], true
	}
	return pendingApproval{}, false
}

func (s *approvalsScreen) answering() bool { return s.open != "" && s.plan != nil }

func (s *approvalsScreen) keys() help.KeyMap {
	k := approvalsKeys
	if s.open != "" {
		k.Decide.SetEnabled(s.plan != nil)
		return drawnKeys{{k.Decide}, {k.Back}}
	}
	k.Open.SetEnabled(len(s.pending) > 0)
	return drawnKeys{{k.Open, k.Down, k.Up}, {k.Back, k.Help}}
}

func (s *approvalsScreen) update(msg tea.Msg, now time.Time) (screen, tea.Cmd) {
	s.now = now
	km, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return s, nil
	}
	k := approvalsKeys
	if s.open != "" {
		switch {
		case key.Matches(km, k.Back):
			s.open, s.plan, s.planErr, s.refusal = "", nil, "", ""
			s.input.SetValue("")
			return s, nil
		case key.Matches(km, k.Decide):
			if s.plan == nil || now.Sub(s.armedAt) < gracePeriod {
				return s, nil
			}
			return s, s.decide(now)
		}
		if s.plan != nil {
			var cmd tea.Cmd
			s.input, cmd = s.input.Update(km)
			s.refusal = ""
			return s, cmd
		}
		return s, nil
	}
	switch {
	case key.Matches(km, k.Back):
		return nil, nil
	case key.Matches(km, k.Down):
		s.cursor = min(s.cursor+1, max(0, len(s.pending)-1))
	case key.Matches(km, k.Up):
		s.cursor = max(0, s.cursor-1)
	case key.Matches(km, k.Open):
		p, ok := s.selected()
		if !ok {
			return s, nil
		}
		s.open, s.plan, s.planErr, s.refusal, s.planning = p.entry.Request.ID, nil, "", "", true
		s.input.SetValue("")
		focus := s.input.Focus()
		if s.acts == nil {
			s.planning, s.planErr = false, "no action catalogue loaded: the plan cannot be prepared here, so it cannot be approved"
			return s, nil
		}
		acts, r, in := s.acts, p.entry.Request, p.incident
		return s, tea.Batch(focus, func() tea.Msg {
			ctx, cancel := context.WithTimeout(context.Background(), prepareTimeout)
			defer cancel()
			plan, err := acts.Prepare(ctx, r.Action, r.Params, in)
			if err != nil {
				return approvalPlanned{requestID: r.ID, err: err}
			}
			hash, err := approval.PlanHash(plan)
			return approvalPlanned{requestID: r.ID, plan: plan, hash: hash, err: err}
		})
	}
	return s, nil
}

func (s *approvalsScreen) planned(msg approvalPlanned, now time.Time) {
	if msg.requestID != s.open {
		return
	}
	s.planning, s.armedAt = false, now
	if msg.err != nil {
		s.planErr = displayErr(nil, msg.err)
		return
	}
	s.plan, s.planHash = msg.plan, msg.hash
}

// refusalFor says why the engineer may not approve p with the plan
// prepared here, or "".
func (s *approvalsScreen) refusalFor(p pendingApproval, now time.Time) string {
	e := p.entry
	switch {
	case p.mine || e.RequestedBy.ID == s.me.ID:
		return "you asked for this: another PagerDuty user must approve it"
	case !now.Before(e.Request.Expires):
		return "request " + e.Request.ID + " expired at " + e.Request.Expires.UTC().Format("15:04:05 MST") + ": it cannot be approved; ask for a new request"
	case s.plan == nil:
		return "the plan is not prepared here"
	case s.planHash != e.Request.PlanHash:
		return "DIFFERENT PLAN: this sitrep's catalogue renders another plan than the request's, so it cannot be approved"
	}
	return ""
}

// decide reads the typed answer and posts the decision.
func (s *approvalsScreen) decide(now time.Time) tea.Cmd {
	p, ok := s.selected()
	if !ok {
		s.refusal = "the request is no longer pending"
		return nil
	}
	typed := strings.ToLower(strings.TrimSpace(s.input.Value()))
	var d string
	switch typed {
	case strings.ToLower(approval.Short(p.entry.Request.ID)), "approve":
		d = approval.Approve
	case "deny":
		d = approval.Deny
	default:
		s.refusal = "type " + approval.Short(p.entry.Request.ID) + " or approve to approve, deny to deny"
		return nil
	}
	if why := s.refusalFor(p, now); why != "" && (d == approval.Approve || p.mine || strings.Contains(why, "expired")) {
		s.refusal = "refused: " + why
		return func() tea.Msg { return approvalRefused{requestID: p.entry.Request.ID, incident: p.incident, why: why} }
	}
	// An approval names the plan prepared here, which the requester's
	// sitrep compares with its own; a denial names the request's.
	hash := s.planHash
	if d == approval.Deny {
		hash = p.entry.Request.PlanHash
	}
	req := p.entry.Request
	s.open, s.plan = "", nil
	return func() tea.Msg {
		return approvalDecided{incident: p.incident, entry: p.entry,
			decision: approval.Decision{RequestID: req.ID, Decision: d, PlanHash: hash, Reason: "decided in sitrep"}}
	}
}

type (
	// approvalDecided is a decision to post.
	approvalDecided struct {
		incident pagerduty.Incident
		entry    approval.Entry
		decision approval.Decision
	}
	// approvalRefused is an approval this sitrep refused to post.
	approvalRefused struct {
		requestID string
		incident  pagerduty.Incident
		why       string
	}
)

func (approvalDecided) approvalMsg() {}
func (approvalRefused) approvalMsg() {}

// approverDecision posts a decision and journals it, or journals a refusal.
func (m Model) approverDecision(msg approvalMsg) (tea.Model, tea.Cmd, bool) {
	switch msg := msg.(type) {
	case approvalRefused:
		m.status = "not approved: " + msg.why
		return m, m.record(journal.Entry{Incident: msg.incident.ID, Kind: "approval.refused",
			Summary: "approval of request " + msg.requestID + " refused here: " + msg.why,
			Data:    mustJSON(map[string]string{"request_id": msg.requestID, "reason": msg.why})}), true
	case approvalDecided:
		r := msg.entry.Request
		if m.approvals.decided == nil {
			m.approvals.decided = map[string]bool{}
		}
		m.approvals.decided[r.ID] = true
		var kept []pendingApproval
		for _, p := range m.approvals.pending {
			if p.entry.Request.ID != r.ID {
				kept = append(kept, p)
			}
		}
		m.approvals.pending = kept
		if s, ok := m.screen.(*approvalsScreen); ok {
			s.refresh(kept, m.approvals.me)
		}
		word := "approved"
		if !msg.decision.Approved() {
			word = "denied"
		}
		m.status = fmt.Sprintf("%s %s on %s (request %s): the note goes to PagerDuty", word, r.Action, number(msg.incident), r.ID)
		text := approval.DecisionNote(msg.decision, r, m.approvals.me.Name)
		return m, m.postApprovalNote(msg.incident, text, journal.Entry{Incident: msg.incident.ID, Kind: "approval.decided",
			Summary: fmt.Sprintf("%s %s requested by %s (request %s)", word, r.Action, sanitize.Line(msg.entry.RequestedBy.Name), r.ID),
			Data: mustJSON(map[string]any{"request_id": r.ID, "action": r.Action, "decision": msg.decision.Decision,
				"plan_sha256": msg.decision.PlanHash, "requested_by": msg.entry.RequestedBy.Name})}), true
	}
	return m, nil, false
}

func (s *approvalsScreen) view(st Styles, width, height int) string {
	width = max(20, width)
	var lines []string
	add := func(render func(...string) string, text string) {
		for _, l := range wrap(text, width) {
			lines = append(lines, render(truncate(l, width)))
		}
	}
	plain := func(strs ...string) string { return strings.Join(strs, "") }
	if s.open == "" {
		lines = append(lines, st.Title.Render(truncate("Pending approvals", width)))
		if s.scanErr != "" {
			add(st.Error.Render, s.scanErr)
		}
		if len(s.pending) == 0 {
			add(st.Dim.Render, "none in the open incidents listed")
		}
		for i, p := range s.pending {
			r := p.entry.Request
			row := fmt.Sprintf("%s %s  %s · %s by %s · expires in %s", approval.Short(r.ID), number(p.incident), r.Action,
				sanitize.Line(r.Params["service"]), sanitize.Line(p.entry.RequestedBy.Name), max(0, r.Expires.Sub(s.now).Round(time.Second)))
			if p.mine {
				row += " · yours"
			}
			if i == s.cursor {
				lines = append(lines, st.Title.Render(truncate("▸ "+row, width)))
			} else {
				lines = append(lines, truncate("  "+row, width))
			}
		}
		return padLines(strings.Join(lines, "\n"), width, max(3, height))
	}
	p, ok := s.selected()
	if !ok {
		add(st.Error.Render, "request "+s.open+" is no longer pending")
		return padLines(strings.Join(lines, "\n"), width, max(3, height))
	}
	r := p.entry.Request
	lines = append(lines, st.Title.Render(truncate("Approve "+r.Action+" on "+number(p.incident)+"?", width)), "")
	add(plain, "Requested by "+sanitize.Line(p.entry.RequestedBy.Name)+" (PagerDuty user "+sanitize.Line(p.entry.RequestedBy.ID)+") at "+p.entry.RequestedAt.UTC().Format("15:04 MST"))
	add(plain, "Request "+r.ID+" · expires "+r.Expires.UTC().Format("15:04:05 MST"))
	add(plain, "Incident: "+sanitize.Line(p.incident.Title))
	switch {
	case s.planning:
		add(st.Dim.Render, "preparing the same plan from this sitrep's catalogue…")
	case s.planErr != "":
		add(st.Error.Render, "the plan cannot be prepared here: "+s.planErr+" — it cannot be approved")
	case s.plan != nil:
		add(plain, "Target: "+s.plan.Target.Service+" in "+s.plan.Target.Env)
		add(plain, "Command: "+commandText(s.plan.Preview))
		add(plain, fmt.Sprintf("Blast radius: %d — %s", len(s.plan.BlastRadius), sanitize.Line(strings.Join(s.plan.BlastRadius, ", "))))
		add(plain, "Risk: "+s.plan.Action.Risk)
		if s.planHash == r.PlanHash {
			add(st.OK.Render, "✓ same plan: its SHA-256 matches the request's")
		} else {
			add(st.Error.Render, "✗ DIFFERENT PLAN: this catalogue renders another plan than the request's; it cannot be approved")
		}
	}
	if why := s.refusalFor(p, s.now); why != "" && s.plan != nil {
		add(st.Warn.Render, "cannot approve: "+why)
	}
	lines = append(lines, "")
	if s.refusal != "" {
		add(st.Error.Render, s.refusal)
	}
	if s.plan != nil {
		add(st.Title.Render, "Type "+approval.Short(r.ID)+" (or approve) to approve, deny to deny, then enter:")
		in := s.input
		in.SetWidth(max(10, width-4))
		lines = append(lines, truncate(in.View(), width))
	}
	return padLines(strings.Join(lines, "\n"), width, max(3, height))
}
