// Package tui is sitrep's terminal interface: one top-level Bubble Tea
// model, sub-views that draw into a rectangle, and dialogs on top. It never
// does I/O in Update: every outside call is a tea.Cmd from commands.go.
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

	"sitrep/actions/triage"
	"sitrep/sources/health"
	"sitrep/sources/logs"
	"sitrep/sources/pagerduty"
	"sitrep/sources/sanitize"
	"sitrep/store/journal"
	"sitrep/store/outbox"
)

// Options tune the cockpit.
type Options struct {
	Scope           pagerduty.Scope
	RefreshInterval time.Duration
	CallTimeout     time.Duration
	// Now is the clock; tests fix it so views are stable.
	Now func() time.Time
	// OpenURL opens a link in a browser; nil shows the link instead (the
	// demo world's links lead nowhere).
	OpenURL func(url string) error
	// Cached is the last-known incident list, drawn before the first
	// refresh answers and marked stale until it does.
	Cached   []pagerduty.Incident
	CachedAt time.Time
	// LoadCached, when set, reads the last-known list in the background
	// at start (cachedlist.go), so the first frame does not wait on it;
	// it returns nothing when there is no cache to show.
	LoadCached func() ([]pagerduty.Incident, time.Time)
	// Recorder keeps the journal; nil runs without one.
	Recorder Recorder
	// ReadOnly shows everything and changes nothing: no PagerDuty write,
	// no journal write.
	ReadOnly bool
	// Enricher fills the Metrics, Logs and Deploys panes; nil hides them.
	Enricher Enricher
	// PaneRefresh is how often a visible enrichment pane refreshes.
	PaneRefresh time.Duration
	// Actions is the remediation catalogue; nil means none.
	Actions Actions
	// Outbox delivers notes, acknowledgements and resolutions to
	// PagerDuty after journaling them; nil writes directly.
	Outbox Outbox
	// Secrets are masked from everything drawn, whichever answer or
	// command echoed them; nil masks only what looks like a credential.
	Secrets *sanitize.Secrets
	// StartupCheck runs once, in the background, at start (see
	// startup.go); a notice it returns shows in the status line.
	StartupCheck func(ctx context.Context) (notice string, err error)
	// EscalationPolicies gives the countdown to an incident's next
	// escalation (escalation.go); nil shows none.
	EscalationPolicies EscalationPolicies
	// Dependencies flags open incidents upstream that started first as
	// likely causes (upstream.go); nil shows none.
	Dependencies Dependencies
	// Triage classifies incidents (triage.go); nil shows no class.
	Triage Triage
	// Stats reads the journal back across incidents for S (stats.go);
	// nil turns S off.
	Stats Stats
	// OnCall shows who is on call (O, oncall.go) and tells the ring who
	// the engineer is; nil turns both off.
	OnCall OnCall
	// Ring rings for a new high-urgency incident assigned to the
	// engineer (ring.go); the zero value is silent.
	Ring Ring
	// Automation is notify-first automation (autobanner.go): the auto:
	// actions, and their announcements, vetoes and runs; nil turns it
	// off. Arm arms the session at start (--arm).
	Automation Automation
	Arm        bool
	// History reads what happened last time on a service (the History
	// tab, historypane.go); nil shows why there is none.
	History PastIncidents
	// Approvals carries two-person approvals through PagerDuty notes
	// (awaiting.go, approvals.go); nil turns them off.
	Approvals Approvals
}

// Model is the cockpit.
type Model struct {
	feed   Feed
	opts   Options
	styles Styles
	keys   keyMap
	help   help.Model

	width, height int

	scope   pagerduty.Scope
	urgency string // "", "high" or "low"
	filter  textinput.Model

	list listView

	// The refresh state, for the header.
	refreshing  bool
	refreshGen  int
	lastRefresh time.Time // last successful refresh
	stale       bool      // showing the cache, not PagerDuty's answer
	lastErr     string
	status      string // one-line result of the last operation
	now         time.Time
	// loadingCache: LoadCached has not answered yet.
	loadingCache bool

	details map[string]detailState
	detail  detailView
	// policies are the escalation policies fetched, by ID (escalation.go).
	policies map[string]policyState
	// deps are the services' dependencies fetched, by service ID
	// (upstream.go).
	deps map[string]depsState

	// resolvedHere are incidents resolved through this sitrep in the last
	// half hour. PagerDuty's open list drops them at once; keeping them
	// listed (as resolved) lets the engineer still journal, pin and export
	// the incident they just closed.
	resolvedHere map[string]pagerduty.Incident

	// The enrichment panes: results per incident, the refresh timer, the
	// logs pane's view state and its followed stream.
	enrichment  map[string]*enrichState
	paneGen     int
	logs        logsView
	following   *follow
	followGen   int
	followed    []logs.Line
	followedN   uint64
	followedFor string // the incident m.followed belongs to
	// followedStatuses are the followed sources' own states.
	followedStatuses []health.Status
	// streamFor is the incident whose log stream the engineer asked for
	// by looking at it (its detail came due, a tab, f, r); takeLogs asks
	// a paused logs view to take in the stream's next frame.
	streamFor string
	takeLogs  bool

	// quitting stops every stream on the way out.
	quitting bool
	// selectionLeft is the incident that was selected when a refresh
	// dropped it: the cursor then rests on another incident the engineer
	// did not choose, and keys that change an incident wait until the
	// engineer moves.
	selectionLeft string

	// screen takes over the body while open (action preview, run view,
	// runbook); runbooks keeps each incident's runbook screens, with their
	// ticks, for the session.
	screen   screen
	runbooks runbookShelf
	// pending is the preparation last asked for and not yet answered or
	// abandoned: only its answer may open a preview.
	pending preparation

	// dialog is on top of everything while it is open.
	dialog dialog

	// pendingWrites are the writes the outbox has not delivered yet;
	// journalWaiting the journal entries waiting for the disk.
	pendingWrites  []outbox.Item
	journalWaiting int

	// typeAhead holds keys back from what has not been seen yet.
	typeAhead typeAhead

	// triage is each incident's classification (triage.go).
	triage map[string]triageState

	// ring remembers what rang and what was there at start (ring.go).
	ring ringer

	// auto is notify-first automation (autobanner.go); nil without it.
	auto *autoState

	// picked are the incidents selected for a bulk run (selection.go);
	// bulk is the last bulk run confirmed, followed as the outbox
	// delivers it (bulk.go).
	picked *selection
	bulk   *bulkScreen

	// approvals are the pending approvals found for the engineer
	// (approvals.go).
	approvals approvalsState
}

// detailState is what is known of one incident's detail.
type detailState struct {
	detail    pagerduty.Detail
	err       string
	loading   bool
	fetchedAt time.Time
	// version is the incident's Version when the detail was fetched; a
	// refresh that shows another version refetches it.
	version string
	// parts are the parts of detail fetched so far: a look asks only for
	// what the shown tab needs, and a tab shown later for what it lacks.
	parts pagerduty.Part
	// pendingNotes are the notes the outbox has not delivered yet, filled
	// in when the detail is drawn.
	pendingNotes []outbox.Item
	// next is the incident's next escalation (escalation.go).
	next nextEscalation
	// upstream are the likely causes upstream, filled in when the detail
	// is drawn (upstream.go).
	upstream upstreamView
	// triage is the incident's classification, filled in when the
	// detail is drawn.
	triage []triage.Classification
	// related are Overview's Storm and Route lines, filled in when the
	// detail is drawn (storm.go, route.go).
	related []string
	// history is the History tab's (historypane.go).
	history historyView
}

// New builds the cockpit.
func New(feed Feed, opts Options) Model {
	if opts.RefreshInterval <= 0 {
		opts.RefreshInterval = 30 * time.Second
	}
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = 10 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.PaneRefresh <= 0 {
		opts.PaneRefresh = 15 * time.Second
	}
	filter := textinput.New()
	filter.Prompt = "/"
	filter.Placeholder = "filter title, service, number, assignee"
	filter.CharLimit = 200
	m := Model{
		feed:    feed,
		opts:    opts,
		styles:  NewStyles(true),
		keys:    newKeyMap(opts.ReadOnly),
		help:    help.New(),
		scope:   opts.Scope,
		filter:  filter,
		details: map[string]detailState{},
		now:     opts.Now(),

		policies: map[string]policyState{},
		deps:     map[string]depsState{},

		resolvedHere: map[string]pagerduty.Incident{},
		enrichment:   map[string]*enrichState{},
		triage:       map[string]triageState{},
		picked:       newSelection(),
		width:        80,
		height:       24,
	}
	if opts.EscalationPolicies != nil {
		m.list.next = map[string]pagerduty.Escalation{}
	}
	m.ring = newRinger(opts)
	m.auto = newAutoState(opts)
	if m.auto == nil {
		// Without automation they would do nothing: hidden.
		m.keys.Arm.SetEnabled(false)
		m.keys.Veto.SetEnabled(false)
	}
	m.list.marks = m.picked.ids
	m.refreshing = true // Init's first refresh
	m.loadingCache = opts.LoadCached != nil
	if len(opts.Cached) > 0 {
		m.list.setIncidents(opts.Cached, m.matcher())
		m.stale = true
		m.lastRefresh = opts.CachedAt
	}
	return m
}

// Init starts the first refresh and the clock.
func (m Model) Init() tea.Cmd {
	return tea.Batch(m.loadCached(), m.loadIncidents(), m.tickClock(), m.autoInit(), tea.RequestBackgroundColor, m.selectionChanged(), m.startupCheck(), m.scanApprovalsSoon(),
		waitOutbox(m.opts.Outbox), m.askMeAtStart())
}

// Update handles one message. It returns at once: anything slow is a Cmd.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	// Keys typed before what they were meant for is on screen are held
	// back; what this message brings on top shuts the gate (typeahead.go).
	now := m.opts.Now()
	held := m.holdsKeys(now)
	if held && m.holdKey(msg, now) {
		return m, nil
	}
	m.keyPassed(msg)
	before, under := m.layers()
	pendingBefore := m.pending.id
	next, cmd := m.update(msg)
	nm := next.(Model)
	nm.stormsAfter(msg)
	nm.noteOpened(before, under, pendingBefore, held, now)
	// A log stream runs only while its incident's detail is what the
	// engineer sees: whatever this message changed (a screen, J, a
	// refresh, quitting), stop a stream nobody is watching, and start it
	// again when the detail is back.
	return nm, tea.Batch(cmd, nm.syncFollow(), nm.triageAfter(msg), nm.routeAfter(), nm.autoAfter(msg))
}

func (m Model) update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if am, cmd, ok := m.autoMsg(msg); ok {
		return am, cmd
	}
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.SetWidth(msg.Width)
		m.list.clamp(m.listHeight())
		if s, ok := m.screen.(sizedScreen); ok {
			s.resize(max(20, m.width), m.bodyHeight())
		}
		return m, nil
	case tea.BackgroundColorMsg:
		m.styles = NewStyles(msg.IsDark())
		m.help.Styles = help.DefaultStyles(msg.IsDark())
		return m, nil
	case clockTicked:
		if o, ok := m.screen.(*onCallScreen); ok {
			o.tick(m.opts.Now())
		}
		return m.clockTicked(msg)
	case meKnown:
		return m.meKnown(msg)
	case approvalMsg:
		return m.approvalUpdate(msg)
	case writeSubmitted:
		return m.writeSubmitted(msg)
	case outboxChanged:
		return m.outboxChanged(msg)
	case journalBacklog:
		m.backlogChecked(msg)
		return m, nil
	case startupChecked:
		return m.startupChecked(msg), nil
	case cachedLoaded:
		m.ring.knowAll(msg.incidents)
		return m.cachedLoaded(msg)
	case refreshDue:
		if msg.gen != m.refreshGen || m.refreshing {
			return m, nil
		}
		m.refreshing = true
		return m, m.loadIncidents()
	case incidentsLoaded:
		return m.incidentsLoaded(msg)
	case incidentsFailed:
		if msg.scope != m.scope {
			return m, nil
		}
		m.refreshing = false
		m.lastErr = m.errText(msg.err)
		m.refreshGen++
		return m, scheduleRefresh(m.opts.RefreshInterval, m.refreshGen)
	case detailDue:
		if in, ok := m.list.selected(); ok && in.ID == msg.id {
			return m, tea.Batch(m.fetchDetail(in, lookSettled), m.fetchEnrichment(in, false), m.wantStream(), m.fetchHistory(in, false))
		}
		return m, nil
	case enrichStarted:
		return m, waitEnrich(msg.id, msg.ch)
	case enrichArrived:
		return m, m.enrichArrived(msg)
	case triaged:
		return m, m.triaged(msg)
	case enrichDone:
		if st := m.enrichment[msg.id]; st != nil {
			st.fetching = false
		}
		return m, nil
	case paneRefreshDue:
		if msg.gen != m.paneGen {
			return m, nil
		}
		in, ok := m.list.selected()
		if !ok || !m.enrichTabVisible() {
			return m, nil // no pane on screen: stop until one is
		}
		m.takeLogs = true // a paused logs view takes in what arrived
		return m, tea.Batch(m.fetchEnrichment(in, false), m.schedulePaneRefresh())
	case logsTicked:
		return m, m.logsArrived(msg)
	case followEnded:
		m.followStopped(msg)
		return m, nil
	case detailLoaded:
		st := m.details[msg.id]
		st.loading = false
		if msg.err != nil {
			st.err = m.errText(msg.err)
			m.details[msg.id] = st
			return m, nil
		}
		st.merge(msg)
		m.details[msg.id] = st
		m.reckonEscalation(msg.id)
		// The tab shown while this was on its way may need a part it
		// did not ask for.
		more := m.fetchShownParts()
		if m.opts.ReadOnly {
			return m, more
		}
		return m, tea.Batch(more, m.recordDetail(st.detail))
	case policyLoaded:
		m.policyLoaded(msg)
		return m, nil
	case depsLoaded:
		m.depsLoaded(msg)
		return m, nil
	case historyLoaded, pastNotesLoaded:
		return m, m.historyUpdate(msg)
	case operationDone:
		return m.operationDone(msg)
	case actionPrepared:
		return m, m.actionPrepared(msg)
	case runbookStepToggled:
		return m, m.runbookStepToggled(msg)
	case actionChosen: // from the runbook screen, as a message
		return m, m.prepareAction(msg)
	case actionConfirmed:
		return m, m.startRun(msg)
	case bulkConfirmed:
		return m.bulkConfirmed(msg)
	case bulkQueued:
		for _, err := range msg.errs {
			m.lastErr = m.errText(err)
		}
		return m, nil
	case noteRecorded:
		return m.noteRecorded(msg)
	case journalFailed:
		m.lastErr = "journal: " + m.errText(msg.err)
		return m, nil
	case journalRead:
		if j := m.shownJournal(); j != nil && j.incident.ID == msg.id {
			j.loading = false
			j.setEntries(msg.entries)
			if msg.err != nil {
				j.err = m.errText(msg.err)
			}
		}
		return m, nil
	case exported:
		if msg.err != nil {
			m.lastErr = "export " + msg.incident + ": " + m.errText(msg.err)
		} else {
			m.status = "exported " + msg.incident + " to " + msg.path
		}
		return m, nil
	case urlOpened:
		if msg.err != nil {
			m.status = "could not open a browser (" + m.errText(msg.err) + "): " + msg.url
		} else {
			m.status = "opened " + msg.url
		}
		return m, nil
	case tea.KeyPressMsg:
		if m.dialog != nil {
			return m.dialogKey(msg)
		}
		if m.screen != nil {
			return m.screenKey(msg)
		}
		if m.filter.Focused() {
			return m.filterKey(msg)
		}
		return m.key(msg)
	}
	if m.screen != nil {
		// Messages the model does not know are the screen's (a dry run's
		// output, a run's progress).
		var cmd tea.Cmd
		m.screen, cmd = m.screen.update(msg, m.opts.Now())
		return m, cmd
	}
	return m, nil
}

func (m Model) incidentsLoaded(msg incidentsLoaded) (tea.Model, tea.Cmd) {
	if msg.scope != m.scope {
		return m, nil // an answer for a scope the user has left
	}
	m.refreshing, m.stale, m.lastErr = false, false, ""
	m.lastRefresh = msg.at
	before, hadSelection := m.list.selected()
	m.list.setIncidents(m.withResolvedHere(msg.incidents, msg.at), m.matcher())
	m.list.clamp(m.listHeight())
	m.picked.keepListed(&m.list) // the header says how many left
	m.refreshGen++
	cmds := []tea.Cmd{scheduleRefresh(m.opts.RefreshInterval, m.refreshGen), m.ringFor(msg.incidents), m.whoAmI()}
	if after, ok := m.list.selected(); hadSelection && (!ok || after.ID != before.ID) {
		// The incident under the cursor left the list (resolved or merged
		// elsewhere). The cursor now rests on one the engineer did not
		// choose: say so, show it, and let nothing change it until the
		// engineer moves.
		m.selectionLeft = number(before)
		m.status = number(before) + " left the list; move to choose the next incident"
		cmds = append(cmds, m.selectionChanged())
		return m, tea.Batch(cmds...)
	}
	if !m.opts.ReadOnly {
		cmds = append(cmds, m.recordRefresh(msg.scope, msg.incidents, msg.at))
	}
	// Refetch the selected incident's detail only when PagerDuty says it
	// changed, so the steady state stays at one request per interval, or
	// when its last fetch failed: PagerDuty answers again, and an error
	// must not stay on screen after the recovery.
	if in, ok := m.list.selected(); ok {
		if st, seen := m.details[in.ID]; seen && !st.loading && (st.err != "" || !st.fetchedAt.IsZero() && in.Version() != st.version) {
			cmds = append(cmds, m.fetchDetail(in, lookChanged))
		} else if !seen {
			cmds = append(cmds, m.selectionChanged())
		}
	}
	return m, tea.Batch(cmds...)
}

// changesIncident says whether a key acts on the selected incident (or
// starts something that will).
func changesIncident(k keyMap, msg tea.KeyPressMsg) bool {
	return key.Matches(msg, k.Ack, k.Resolve, k.Note, k.Pin, k.EnrichNote, k.Palette, k.Command, k.Runbook, k.Merge, k.Route)
}

// keepResolved is how long an incident resolved here stays listed.
const keepResolved = 30 * time.Minute

// withResolvedHere adds the incidents resolved here, and not listed by
// PagerDuty, to a refresh's list.
func (m *Model) withResolvedHere(incidents []pagerduty.Incident, now time.Time) []pagerduty.Incident {
	if len(m.resolvedHere) == 0 {
		return incidents
	}
	listed := make(map[string]bool, len(incidents))
	for _, in := range incidents {
		listed[in.ID] = true
	}
	out := incidents
	for id, in := range m.resolvedHere {
		switch {
		case now.Sub(in.LastChangeAt) > keepResolved:
			delete(m.resolvedHere, id)
		case !listed[id]:
			if len(out) == len(incidents) {
				out = append([]pagerduty.Incident(nil), incidents...)
			}
			out = append(out, in)
		}
	}
	pagerduty.Sort(out)
	return out
}

func (m Model) operationDone(msg operationDone) (tea.Model, tea.Cmd) {
	if msg.err != nil {
		m.status = ""
		m.lastErr = m.errText(msg.err)
		return m, nil
	}
	m.status = msg.incident + " " + msg.op
	if msg.op == "resolved" {
		if in, ok := m.list.byID(msg.id); ok {
			in.Status, in.LastChangeAt = pagerduty.StatusResolved, m.opts.Now()
			m.resolvedHere[in.ID] = in
		}
	}
	journaled := m.record(journal.Entry{Incident: msg.id, Kind: "operation", Summary: msg.op + " " + msg.incident + " through sitrep",
		Data: mustJSON(map[string]string{"operation": msg.op})})
	// Show the change now rather than at the next interval: refresh the
	// list, and the detail so the new timeline entry appears.
	st := m.details[msg.id]
	st.version = ""
	m.details[msg.id] = st
	m.refreshGen++
	m.refreshing = true
	return m, tea.Batch(journaled, m.loadIncidents())
}

func (m Model) noteRecorded(msg noteRecorded) (tea.Model, tea.Cmd) {
	if msg.err != nil {
		m.status = ""
		m.lastErr = "note on " + msg.incident + ": " + m.errText(msg.err)
		return m, nil
	}
	cmds := []tea.Cmd{}
	if msg.pagerduty {
		m.status = "note added to " + msg.incident + " in PagerDuty and the journal"
		if in, ok := m.list.selected(); ok && in.ID == msg.id {
			cmds = append(cmds, m.fetchDetail(in, lookChanged))
		}
	} else {
		m.status = "note added to the journal of " + msg.incident
	}
	if j := m.shownJournal(); j != nil && j.incident.ID == msg.id {
		cmds = append(cmds, m.readJournal(msg.id))
	}
	return m, tea.Batch(cmds...)
}

// selectionChanged schedules the detail of the incident under the cursor.
func (m *Model) selectionChanged() tea.Cmd {
	m.detail.scroll = 0
	m.logs.scroll = 0
	m.stopFollow()
	m.streamFor = ""
	m.followed, m.followedN, m.followedFor, m.followedStatuses = nil, 0, "", nil
	if in, ok := m.list.selected(); ok {
		return scheduleDetail(in.ID)
	}
	return nil
}

func (m Model) key(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	m.status = ""
	m.picked.gone = 0 // said once, in the header
	switch {
	case key.Matches(msg, k.Quit):
		m.quitting = true
		m.stopFollow()
		return m, tea.Quit
	case key.Matches(msg, k.Help):
		m.dialog = newHelpDialog(m.mainKeys(), nil)
		return m, nil
	case m.opts.ReadOnly && readOnlyRefused(msg):
		m.status = "read-only: sitrep changes nothing"
		return m, nil
	case key.Matches(msg, k.Arm, k.Veto):
		cmd, _ := m.autoKey(msg)
		return m, cmd
	case key.Matches(msg, k.Back):
		switch {
		case m.abandonPreparation():
		case m.logsFilterShown():
			m.logs.setFilter("") // like the list's filter: esc clears it
		case m.detail.focused:
			m.detail.focused = false
		case m.picked.len() > 0:
			m.status = fmt.Sprintf("selection of %d cleared", m.picked.len())
			m.picked.clear()
		case m.filter.Value() != "":
			m.filter.SetValue("")
			m.applyFilter()
		}
		return m, nil
	case key.Matches(msg, k.Tab):
		m.detail.nextTab()
		return m, m.tabChanged()
	case key.Matches(msg, k.PrevTab):
		m.detail.prevTab()
		return m, m.tabChanged()
	case key.Matches(msg, k.Open):
		m.detail.focused = true
		return m, nil
	}

	if cmd, handled := m.paneKey(msg); handled {
		return m, cmd
	}
	if cmd, handled := m.historyKey(msg); handled {
		return m, cmd
	}

	if m.detail.focused {
		switch {
		case key.Matches(msg, k.Down):
			m.detail.scroll++
			m.clampDetailScroll()
			return m, nil
		case key.Matches(msg, k.Up):
			m.detail.scroll = max(0, m.detail.scroll-1)
			return m, nil
		case key.Matches(msg, k.Top):
			m.detail.scroll = 0
			return m, nil
		}
	} else {
		moved := true
		switch {
		case key.Matches(msg, k.Down):
			m.list.move(1, m.listHeight())
		case key.Matches(msg, k.Up):
			m.list.move(-1, m.listHeight())
		case key.Matches(msg, k.Top):
			m.list.move(-m.list.len(), m.listHeight())
		case key.Matches(msg, k.Bottom):
			m.list.move(m.list.len(), m.listHeight())
		default:
			moved = false
		}
		if moved {
			m.selectionLeft = ""
			return m, m.selectionChanged()
		}
	}

	switch {
	case key.Matches(msg, k.Approvals):
		return m, m.openApprovals()
	case key.Matches(msg, k.Stats):
		return m, m.openStats()
	case key.Matches(msg, k.Filter):
		return m, m.filter.Focus()
	case key.Matches(msg, k.Scope):
		m.scope = (m.scope + 1) % 3
		m.refreshGen++
		m.refreshing = true
		m.status = "scope: " + m.scope.String()
		return m, m.loadIncidents()
	case key.Matches(msg, k.Urgent):
		switch m.urgency {
		case "":
			m.urgency = pagerduty.UrgencyHigh
		case pagerduty.UrgencyHigh:
			m.urgency = pagerduty.UrgencyLow
		default:
			m.urgency = ""
		}
		m.applyFilter()
		return m, m.selectionChanged()
	case key.Matches(msg, k.OnCall):
		return m, m.openOnCall()
	case key.Matches(msg, k.Refresh):
		m.refreshGen++
		m.refreshing = true
		cmds := []tea.Cmd{m.loadIncidents()}
		if in, ok := m.list.selected(); ok {
			m.takeLogs = true
			cmds = append(cmds, m.fetchDetail(in, lookFresh), m.fetchEnrichment(in, true), m.wantStream(), m.fetchHistory(in, true))
		}
		return m, tea.Batch(cmds...)
	}

	if m.selectionKey(msg) || m.bulkKey(msg) {
		return m, nil
	}

	in, ok := m.list.selected()
	if !ok {
		return m, nil
	}
	if m.selectionLeft != "" && changesIncident(k, msg) {
		m.status = m.selectionLeft + " left the list, and " + number(in) + " is under the cursor only because of that: move (j/k) to choose it first"
		return m, nil
	}
	if cmd, handled := m.journalKeys(msg, in); handled {
		return m, cmd
	}
	if cmd, handled := m.stormRouteKeys(msg, in); handled {
		return m, cmd
	}
	switch {
	case key.Matches(msg, k.Palette):
		m.openPalette(in)
		return m, nil
	case key.Matches(msg, k.Command):
		m.openCommandLine(in)
		return m, nil
	case key.Matches(msg, k.Runbook):
		r, why := m.runbooks.open(m.opts.Actions, in, m.width, m.opts.Now())
		if r == nil {
			m.status = why
			return m, nil
		}
		m.openScreen(r)
		return m, nil
	case key.Matches(msg, k.Ack):
		if m.opts.ReadOnly {
			m.status = "read-only: sitrep changes nothing"
			return m, nil
		}
		if in.Status != pagerduty.StatusTriggered {
			m.status = number(in) + " is " + in.Status + "; nothing to acknowledge"
			return m, nil
		}
		m.status = "acknowledging " + number(in) + "…"
		return m, m.acknowledge(in)
	case key.Matches(msg, k.Resolve):
		if m.opts.ReadOnly {
			m.status = "read-only: sitrep changes nothing"
			return m, nil
		}
		if in.Status == pagerduty.StatusResolved {
			m.status = number(in) + " is resolved already"
			return m, nil
		}
		m.dialog = newConfirmDialog("resolve", in,
			"Resolve "+number(in)+" "+in.Title+"?")
		return m, nil
	case key.Matches(msg, k.EnrichNote):
		if m.opts.ReadOnly {
			m.status = "read-only: sitrep changes nothing"
			return m, nil
		}
		summary, ok := m.enrichmentSummary(in)
		if !ok {
			m.status = "nothing gathered yet for " + number(in) + ": open the Metrics, Logs or Deploys pane first"
			return m, nil
		}
		d := newConfirmDialog("enrich", in, "Attach this to "+number(in)+" as a PagerDuty note?\n\n"+summary)
		d.text = summary
		m.dialog = d
		return m, nil
	case key.Matches(msg, k.Browser):
		if in.HTMLURL == "" {
			m.status = number(in) + " has no link"
			return m, nil
		}
		link, err := webLink(in.HTMLURL)
		if err != nil {
			m.status = "not opening the link of " + number(in) + ": " + err.Error()
			return m, nil
		}
		if m.opts.OpenURL == nil {
			m.status = link
			return m, nil
		}
		return m, m.openURL(link)
	case key.Matches(msg, k.Copy):
		id := clipboardText(in.ID)
		m.status = "copied " + id
		return m, tea.SetClipboard(id)
	}
	return m, nil
}

func (m Model) filterKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	switch {
	case key.Matches(msg, inputKeys.Accept):
		m.filter.Blur()
		return m, m.selectionChanged()
	case key.Matches(msg, inputKeys.Cancel):
		m.filter.Blur()
		m.filter.SetValue("")
		m.applyFilter()
		return m, m.selectionChanged()
	}
	var cmd tea.Cmd
	before := m.filter.Value()
	m.filter, cmd = m.filter.Update(msg)
	if m.filter.Value() != before {
		m.applyFilter()
	}
	return m, cmd
}

func (m Model) dialogKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	d, result := m.dialog.key(msg, m.opts.Now())
	m.dialog = d
	if result == nil {
		return m, nil
	}
	switch r := result.(type) {
	case confirmed:
		switch r.action {
		case "resolve":
			m.status = "resolving " + number(r.incident) + "…"
			return m, m.resolve(r.incident)
		case "enrich":
			m.status = "attaching the enrichment to " + number(r.incident) + "…"
			return m, m.addNote(r.incident, r.text, true)
		}
	case noteWritten:
		m.status = "adding note to " + number(r.incident) + "…"
		return m, m.addNote(r.incident, r.text, r.toPagerDuty)
	case dialogCmd:
		return m, r.cmd
	case logFilterSet:
		m.logs.setFilter(r.text)
	case actionChosen:
		cmd := m.prepareAction(r)
		if c, ok := m.dialog.(*commandLine); ok {
			c.preparing = m.pending.id // the answer closes the line or shows under it
		}
		return m, cmd
	}
	return m, nil
}

// applyFilter recomputes the visible rows after the filter or urgency
// changed, keeping the cursor on the same incident where it can.
func (m *Model) applyFilter() {
	m.list.refilter(m.matcher())
	m.list.clamp(m.listHeight())
}

// matcher says which incidents the filter and urgency keep.
func (m *Model) matcher() rowFilter {
	return rowFilter{query: strings.ToLower(strings.TrimSpace(m.filter.Value())), urgency: m.urgency}
}
