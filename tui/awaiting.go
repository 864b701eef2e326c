package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"sitrep/actions"
	"sitrep/actions/approval"
	"sitrep/sources/pagerduty"
	"sitrep/sources/sanitize"
	"sitrep/store/journal"
	"sitrep/store/outbox"
)

// The requester's side of a two-person approval, as messages:
//
//	preview confirmed, approval the only rule that blocks
//	        → awaiting screen; Approvals.Me (Cmd)      → approvalAsker
//	        → the request note through the outbox, journaled
//	        → every approvalPoll: the incident's notes  → approvalPolled
//	        → approved: the approver's teams (Cmd)      → approverChecked
//	        → GrantApproval, and the run view runs the plan through every
//	          other guard; denied or expired: shown, and journaled
//
// esc or ctrl+c while waiting withdraws the request with a note.

// approvalPoll is how often the requester's sitrep reads the incident's
// notes while it waits for a decision.
const approvalPoll = 10 * time.Second

// approvalMsg marks the messages of the approval flow: the model hands
// them to approvalUpdate.
type approvalMsg interface{ approvalMsg() }

type (
	// approvalAsker answers who sitrep acts as, before the request is
	// written in that person's name.
	approvalAsker struct {
		runID string
		me    pagerduty.User
		req   approval.Request
		err   error
	}
	// approvalPollDue is the next read of the incident's notes; manual
	// is r's, which schedules no further read.
	approvalPollDue struct {
		runID  string
		manual bool
	}
	// approvalPolled is the incident's notes, read.
	approvalPolled struct {
		runID  string
		manual bool
		notes  []pagerduty.Note
		err    error
	}
	// approverChecked says whether the decision's author is one of the
	// request's approvers (a user named, or a member of a team named).
	approverChecked struct {
		runID string
		entry approval.Entry
		ok    bool
		err   error
	}
	// approvalWithdrawAsked is esc or ctrl+c while waiting.
	approvalWithdrawAsked struct{ runID string }
)

func (approvalAsker) approvalMsg()         {}
func (approvalPollDue) approvalMsg()       {}
func (approvalPolled) approvalMsg()        {}
func (approverChecked) approvalMsg()       {}
func (approvalWithdrawAsked) approvalMsg() {}

// Where a request stands, on the requester's screen.
const (
	awaitAsking   = "asking"   // finding out who sitrep acts as
	awaitWaiting  = "waiting"  // the request is posted; polling
	awaitChecking = "checking" // an approval arrived; checking its author
	awaitDenied   = "denied"
	awaitExpired  = "expired"
	awaitFailed   = "failed" // cannot go on: the reason is shown
)

// awaitingScreen is a confirmed plan that waits for another person's
// approval: the request, where it stands, and what was set aside.
type awaitingScreen struct {
	plan      *actions.Plan
	incident  pagerduty.Incident
	prepareID uint64
	req       approval.Request
	me        pagerduty.User
	state     string
	// why is the reason shown for denied, expired and failed; note the
	// last decision set aside (a self-approval, another plan), shown
	// while the wait goes on.
	why      string
	note     string
	lastPoll time.Time
	pollErr  string
	now      time.Time
}

var awaitingKeys = struct {
	Withdraw, ReadNow, Close, Help key.Binding
}{
	Withdraw: key.NewBinding(key.WithKeys("esc", "ctrl+c"), key.WithHelp("esc", "withdraw the request (nothing runs)")),
	ReadNow:  key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "read the decision now")),
	Close:    key.NewBinding(key.WithKeys("esc", "q", "enter"), key.WithHelp("esc", "close")),
	Help:     helpKey,
}

func (a *awaitingScreen) open() bool {
	return a.state == awaitAsking || a.state == awaitWaiting || a.state == awaitChecking
}

func (a *awaitingScreen) update(msg tea.Msg, now time.Time) (screen, tea.Cmd) {
	a.now = now
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return a, nil
	}
	switch {
	case a.open() && key.Matches(k, awaitingKeys.Withdraw):
		id := a.plan.RunID
		return a, func() tea.Msg { return approvalWithdrawAsked{runID: id} }
	case a.state == awaitWaiting && key.Matches(k, awaitingKeys.ReadNow):
		// A poll now, beside the scheduled one: a poll that finds the
		// request still pending schedules one more, and the extra reads
		// stop when the request is decided.
		id := a.plan.RunID
		return a, func() tea.Msg { return approvalPollDue{runID: id, manual: true} }
	case !a.open() && key.Matches(k, awaitingKeys.Close):
		return nil, nil
	}
	return a, nil
}

func (a *awaitingScreen) keys() help.KeyMap {
	if a.open() {
		k := awaitingKeys.ReadNow
		k.SetEnabled(a.state == awaitWaiting)
		return drawnKeys{{awaitingKeys.Withdraw, k}, {awaitingKeys.Help}}
	}
	return drawnKeys{{awaitingKeys.Close}, {awaitingKeys.Help}}
}

func (a *awaitingScreen) view(s Styles, width, height int) string {
	width = max(20, width)
	plan := a.plan
	var lines []string
	add := func(st func(...string) string, text string) {
		for _, l := range wrap(text, width) {
			lines = append(lines, st(truncate(l, width)))
		}
	}
	plain := func(strs ...string) string { return strings.Join(strs, "") }
	title := "AWAITING APPROVAL · " + plan.Action.Name + " on " + plan.Target.Service
	if plan.Target.Env != "" {
		title += " (" + plan.Target.Env + ")"
	}
	lines = append(lines, s.Warn.Render(truncate(title, width)), "")
	if a.req.ID != "" {
		add(plain, "Request "+a.req.ID+" on "+number(a.incident)+", typed to approve: "+approval.Short(a.req.ID))
		add(plain, "Approvers: one of "+strings.Join(a.req.Approvers, ", ")+", another PagerDuty user than you")
		left := a.req.Expires.Sub(a.now).Round(time.Second)
		add(plain, fmt.Sprintf("Expires %s (in %s)", a.req.Expires.UTC().Format("15:04:05 MST"), max(0, left)))
		add(s.Dim.Render, "Plan SHA-256 "+a.req.PlanHash)
	}
	add(plain, "Command: "+commandText(plan.Preview))
	lines = append(lines, "")
	switch a.state {
	case awaitAsking:
		add(s.Dim.Render, "writing the request…")
	case awaitWaiting:
		seen := "not read yet"
		if !a.lastPoll.IsZero() {
			seen = "last read " + ago(a.now, a.lastPoll)
		}
		add(s.Warn.Render, "Waiting for a decision in PagerDuty: the incident's notes are read every "+approvalPoll.String()+" ("+seen+").")
	case awaitChecking:
		add(s.Dim.Render, "an approval arrived: checking that its author is one of the approvers…")
	case awaitDenied:
		add(s.Error.Render, "✗ DENIED: "+a.why)
	case awaitExpired:
		add(s.Error.Render, "✗ EXPIRED: "+a.why)
	case awaitFailed:
		add(s.Error.Render, "✗ "+a.why)
	}
	if a.note != "" {
		add(s.Warn.Render, "set aside: "+a.note)
	}
	if a.pollErr != "" {
		add(s.Error.Render, "reading the notes failed: "+a.pollErr+" (retrying)")
	}
	return padLines(strings.Join(lines, "\n"), width, max(3, height))
}

// requestApproval opens the awaiting screen for a plan the preview
// confirmed as a request: approval is the only rule that blocks it.
func (m *Model) requestApproval(p *previewScreen, msg actionConfirmed) tea.Cmd {
	p.cancel()
	a := &awaitingScreen{plan: msg.plan, incident: msg.incident, prepareID: p.prepareID, state: awaitAsking, now: m.opts.Now()}
	m.screen = a
	if m.opts.Approvals == nil {
		a.state, a.why = awaitFailed, "this sitrep has no PagerDuty client to post the request with: the action cannot be approved here"
		return nil
	}
	ap, plan, now := m.opts.Approvals, msg.plan, m.opts.Now()
	ctx, cancel := m.callContext()
	return func() tea.Msg {
		defer cancel()
		me, err := ap.Me(ctx)
		if err != nil {
			return approvalAsker{runID: plan.RunID, err: fmt.Errorf("cannot tell who sitrep acts as in PagerDuty: %w", err)}
		}
		// The hash reads an ansible playbook: here, not in Update.
		req, err := approval.NewRequest(plan, now)
		return approvalAsker{runID: plan.RunID, me: me, req: req, err: err}
	}
}

// awaiting is the awaiting screen for run id, if it is on screen.
func (m *Model) awaiting(id string) *awaitingScreen {
	a, ok := m.screen.(*awaitingScreen)
	if !ok || a.plan.RunID != id {
		return nil
	}
	return a
}

// approvalUpdate handles the approval flow's messages, both sides.
func (m Model) approvalUpdate(msg approvalMsg) (tea.Model, tea.Cmd) {
	now := m.opts.Now()
	switch msg := msg.(type) {
	case approvalAsker:
		a := m.awaiting(msg.runID)
		if a == nil {
			return m, nil
		}
		a.now = now
		if msg.err != nil {
			a.state, a.why = awaitFailed, "no request was written: "+m.errText(msg.err)
			return m, nil
		}
		return m, m.postRequest(a, msg.me, msg.req)
	case approvalPollDue:
		a := m.awaiting(msg.runID)
		if a == nil || a.state != awaitWaiting {
			return m, nil
		}
		return m, m.pollApproval(a, msg.manual)
	case approvalPolled:
		a := m.awaiting(msg.runID)
		if a == nil || a.state != awaitWaiting {
			return m, nil
		}
		return m, m.approvalPolled(a, msg, now)
	case approverChecked:
		a := m.awaiting(msg.runID)
		if a == nil || a.state != awaitChecking {
			return m, nil
		}
		return m.approverChecked(a, msg, now)
	case approvalWithdrawAsked:
		a := m.awaiting(msg.runID)
		if a == nil || !a.open() {
			return m, nil
		}
		m.screen = nil
		if a.req.ID == "" {
			m.status = a.plan.Action.Name + " not requested: nothing runs"
			return m, nil
		}
		m.status = "approval request " + a.req.ID + " withdrawn: " + a.plan.Action.Name + " does not run"
		text := approval.WithdrawalNote(approval.Withdrawal{RequestID: a.req.ID, Reason: "withdrawn in sitrep"}, a.req, a.me.Name)
		return m, m.postApprovalNote(a.incident, text, journal.Entry{Incident: a.incident.ID, Kind: "approval.withdrawn",
			Summary: fmt.Sprintf("approval request %s for %s on %s withdrawn by the requester", a.req.ID, a.req.Action, a.plan.Target.Service),
			Data:    mustJSON(map[string]string{"request_id": a.req.ID, "action": a.req.Action})})
	}
	if nm, cmd, ok := m.approverDecision(msg); ok {
		return nm, cmd
	}
	return m.approverUpdate(msg, now)
}

// postRequest writes the request note and starts polling.
func (m *Model) postRequest(a *awaitingScreen, me pagerduty.User, req approval.Request) tea.Cmd {
	a.me, a.req = me, req
	a.state = awaitWaiting
	verdict := a.plan.Verdict
	text := approval.RequestNote(a.req, a.plan, approval.RequestInfo{
		Requester: me.Name, IncidentLabel: number(a.incident), Why: a.incident.Title,
		DryRun: dryRunLine(a.plan), Verdict: verdict.Explain(),
	})
	entry := journal.Entry{Incident: a.incident.ID, Kind: "approval.requested",
		Summary: fmt.Sprintf("approval of %s on %s (%s) requested from one of %s (request %s, expires %s)",
			a.req.Action, a.plan.Target.Service, a.plan.Target.Env, strings.Join(a.req.Approvers, ", "), a.req.ID, a.req.Expires.Format("15:04 MST")),
		Data: mustJSON(map[string]any{"request_id": a.req.ID, "action": a.req.Action, "params": a.req.Params,
			"plan_sha256": a.req.PlanHash, "expires": a.req.Expires, "approvers": a.req.Approvers, "run_id": a.plan.RunID})}
	m.status = "approval requested on " + number(a.incident) + ": waiting for one of " + strings.Join(a.req.Approvers, ", ")
	plan, id := a.plan, a.plan.RunID
	slack := func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := plan.AnnounceSlack(ctx, sanitize.Line(me.Name)+" asks for approval to run "+plan.Action.Name+" on "+plan.Target.Service+
			" ("+plan.Target.Env+"), request "+a.req.ID+"; approve or deny in sitrep (P)"); err != nil {
			return approvalSlackFailed{runID: id, err: err}
		}
		return nil
	}
	return tea.Batch(m.postApprovalNote(a.incident, text, entry), slack, pollAfter(id, approvalPoll))
}

// approvalSlackFailed is a Slack announcement of a request that failed.
type approvalSlackFailed struct {
	runID string
	err   error
}

func (approvalSlackFailed) approvalMsg() {}

func dryRunLine(p *actions.Plan) string {
	if !p.Runner().HasDryRun() {
		return p.Preview.DryRunNote
	}
	for _, r := range p.Verdict.Rules {
		if r.Rule == actions.RuleDryRun {
			return r.Detail
		}
	}
	return ""
}

func pollAfter(id string, d time.Duration) tea.Cmd {
	return tea.Tick(d, func(time.Time) tea.Msg { return approvalPollDue{runID: id} })
}

// postApprovalNote writes an approval note to the incident: through the
// outbox when there is one (journaled at once, delivered exactly once),
// else straight to PagerDuty and then the journal.
func (m *Model) postApprovalNote(in pagerduty.Incident, text string, e journal.Entry) tea.Cmd {
	if m.opts.Outbox != nil {
		return m.submit(outbox.Write{Incident: in.ID, Label: number(in), Op: outbox.OpNote, Text: text}, e)
	}
	feed, r, now := m.feed, m.opts.Recorder, m.opts.Now
	if feed == nil {
		return func() tea.Msg {
			return noteRecorded{incident: number(in), id: in.ID, pagerduty: true, err: errors.New("no PagerDuty client to post the approval note with")}
		}
	}
	ctx, cancel := m.callContext()
	return func() tea.Msg {
		defer cancel()
		if _, err := feed.AddNote(ctx, in.ID, text); err != nil {
			return noteRecorded{incident: number(in), id: in.ID, pagerduty: true, err: err}
		}
		if r != nil {
			e.At = now()
			if err := r.Record(ctx, e); err != nil {
				return journalFailed{err: err}
			}
		}
		return noteRecorded{incident: number(in), id: in.ID, pagerduty: true}
	}
}

func (m *Model) pollApproval(a *awaitingScreen, manual bool) tea.Cmd {
	ap, id, inc := m.opts.Approvals, a.plan.RunID, a.incident.ID
	ctx, cancel := m.callContext()
	return func() tea.Msg {
		defer cancel()
		notes, err := ap.Notes(ctx, inc)
		return approvalPolled{runID: id, manual: manual, notes: notes, err: err}
	}
}

// approvalPolled reads the request's state from the incident's notes.
func (m *Model) approvalPolled(a *awaitingScreen, msg approvalPolled, now time.Time) tea.Cmd {
	a.now, a.lastPoll = now, now
	id := a.plan.RunID
	// The scheduled reads are one chain; r's read adds none to it.
	again := pollAfter(id, approvalPoll)
	if msg.manual {
		again = nil
	}
	expired := !now.Before(a.req.Expires)
	if msg.err != nil {
		a.pollErr = m.errText(msg.err)
		if expired {
			return m.requestEnded(a, awaitExpired, "request "+a.req.ID+" expired at "+a.req.Expires.UTC().Format("15:04:05 MST")+" without a decision that could be read", nil)
		}
		return again
	}
	a.pollErr = ""
	th := approval.Read(a.incident.ID, msg.notes, now)
	for _, ig := range th.Ignored {
		if strings.Contains(ig.Why, a.req.ID) {
			a.note = sanitize.Line(ig.Author.Name) + ": " + ig.Why
		}
	}
	e, found := th.Find(a.req.ID)
	switch {
	case found && e.RequestedBy.ID != a.me.ID:
		return m.requestEnded(a, awaitFailed, "request "+a.req.ID+" in PagerDuty was written by "+sanitize.Line(e.RequestedBy.Name)+", not by you: it is not this sitrep's request", nil)
	case !found && expired, found && e.Status == approval.Expired:
		return m.requestEnded(a, awaitExpired, "request "+a.req.ID+" expired at "+a.req.Expires.UTC().Format("15:04:05 MST")+" without an approval", nil)
	case !found:
		m.status = "the approval request is not in PagerDuty yet: the outbox delivers it"
	case e.Status == approval.Denied:
		why := sanitize.Line(e.DecidedBy.Name) + " denied it at " + e.DecidedAt.UTC().Format("15:04 MST")
		if e.Reason != "" {
			why += ": " + sanitize.Line(e.Reason)
		}
		return m.requestEnded(a, awaitDenied, why, &e)
	case e.Status == approval.Withdrawn:
		return m.requestEnded(a, awaitFailed, "request "+a.req.ID+" was withdrawn", &e)
	case e.Status == approval.Approved:
		a.state = awaitChecking
		ap := m.opts.Approvals
		ctx, cancel := m.callContext()
		return func() tea.Msg {
			defer cancel()
			teams, err := ap.UserTeams(ctx, e.DecidedBy.ID)
			return approverChecked{runID: id, entry: e, ok: err == nil && approval.InScope(e.Request.Approvers, e.DecidedBy.ID, teams), err: err}
		}
	}
	return again
}

// requestEnded shows a request that will not run, and journals why.
func (m *Model) requestEnded(a *awaitingScreen, state, why string, e *approval.Entry) tea.Cmd {
	a.state, a.why = state, why
	m.status = a.plan.Action.Name + " not run: " + why
	data := map[string]any{"request_id": a.req.ID, "action": a.req.Action, "reason": why}
	if e != nil && e.DecidedBy.ID != "" {
		data["by"], data["by_id"], data["at"] = e.DecidedBy.Name, e.DecidedBy.ID, e.DecidedAt
	}
	return m.record(journal.Entry{Incident: a.incident.ID, Kind: "approval." + state,
		Summary: fmt.Sprintf("approval request %s for %s on %s %s: %s", a.req.ID, a.req.Action, a.plan.Target.Service, state, why), Data: mustJSON(data)})
}

// approverChecked grants the approval and runs the plan, through every
// other guard, or says why the approval does not count.
func (m Model) approverChecked(a *awaitingScreen, msg approverChecked, now time.Time) (tea.Model, tea.Cmd) {
	e := msg.entry
	who := sanitize.Line(e.DecidedBy.Name)
	if msg.err != nil {
		a.state = awaitWaiting
		a.pollErr = "cannot read the approver's teams: " + m.errText(msg.err)
		return m, pollAfter(a.plan.RunID, approvalPoll)
	}
	if !msg.ok {
		return m, m.requestEnded(a, awaitFailed, who+" approved, but is not one of the approvers "+strings.Join(a.req.Approvers, ", ")+": the approval does not count; request again", &e)
	}
	v := a.plan.GrantApproval(actions.ApprovalGrant{RequestID: a.req.ID, By: who, ByID: e.DecidedBy.ID, At: e.DecidedAt})
	journaled := m.record(journal.Entry{Incident: a.incident.ID, Kind: "approval.approved",
		Summary: fmt.Sprintf("%s approved %s on %s (%s) at %s (request %s)", who, a.req.Action, a.plan.Target.Service, a.plan.Target.Env, e.DecidedAt.UTC().Format("15:04 MST"), a.req.ID),
		Data:    mustJSON(map[string]any{"request_id": a.req.ID, "action": a.req.Action, "by": who, "by_id": e.DecidedBy.ID, "at": e.DecidedAt})})
	if !v.Allowed {
		return m, tea.Batch(journaled, m.requestEnded(a, awaitFailed, "approved by "+who+", but "+v.String(), &e))
	}
	if m.opts.ReadOnly {
		return m, tea.Batch(journaled, m.requestEnded(a, awaitFailed, "read-only: sitrep runs nothing", &e))
	}
	var probe EffectProbe
	if m.opts.Actions != nil {
		probe = m.opts.Actions.Effect(a.incident)
	}
	r := newRunScreen(a.plan, a.incident, probe, now)
	r.prepareID = a.prepareID
	r.secrets = m.opts.Secrets
	m.screen = r
	m.status = "approved by " + who + ": running " + a.plan.Action.Name
	return m, tea.Batch(journaled, r.start())
}

// awaitingBadge is the header's mark while a run waits for approval.
func (m *Model) awaitingBadge() string {
	if a, ok := m.screen.(*awaitingScreen); ok && a.open() {
		return " " + m.styles.Warn.Render("[awaiting approval]")
	}
	return ""
}
