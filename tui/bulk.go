package tui

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"sitrep/actions"
	"sitrep/sources/pagerduty"
	"sitrep/store/journal"
	"sitrep/store/outbox"
)

// A bulk run acts on many incidents at once: acknowledge, resolve, snooze
// or reassign the selection. One screen lists every incident with what
// will happen to it (or why it is skipped), the guards' verdict and one
// confirmation; then the writes go through the outbox (PagerDuty's bulk
// update, pagerduty.MaxBulk incidents a request; a snooze is one request
// an incident, as PagerDuty has no bulk snooze), each incident is
// journaled once, naming the run, and the screen shows where each got to.

// bulkOp is what a bulk run does.
type bulkOp string

const (
	bulkAcknowledge bulkOp = "acknowledge"
	bulkResolve     bulkOp = "resolve"
	bulkSnooze      bulkOp = "snooze"
	bulkReassign    bulkOp = "reassign"
)

// past is the operation as the journal's operation entries name it.
func (op bulkOp) past() string {
	switch op {
	case bulkAcknowledge:
		return "acknowledged"
	case bulkResolve:
		return "resolved"
	case bulkSnooze:
		return "snoozed"
	}
	return "reassigned"
}

// maxBulk is the blast-radius guard of a bulk run: at most this many
// incidents change in one confirmation. Two PagerDuty bulk requests'
// worth; a bigger clean-up is several deliberate runs.
const maxBulk = 500

// Optional parts the bulk run uses when the cockpit's parts have them.
type (
	// bulkOutbox queues one bulk write with a journal entry per incident
	// (store/outbox's SubmitBulk).
	bulkOutbox interface {
		SubmitBulk(ctx context.Context, w outbox.Write, entries []journal.Entry) (outbox.Item, error)
	}
	// userDirectory looks people up for a reassignment (the PagerDuty
	// client's Users).
	userDirectory interface {
		Users(ctx context.Context, query string) ([]pagerduty.User, error)
	}
	// environments says which environment an incident's service runs
	// in (cmd/sitrep's actions, from the config).
	environments interface {
		Env(in pagerduty.Incident) string
	}
)

// bulkRowState is where one incident of a run got to.
type bulkRowState int

const (
	rowPlanned bulkRowState = iota
	rowQueued
	rowRetrying
	rowDone
	rowFailed
)

type bulkRow struct {
	in    pagerduty.Incident
	env   string
	skip  string // why the operation is not sent for it
	state bulkRowState
	why   string // PagerDuty's last error or refusal
}

type bulkStage int

const (
	bulkAsking    bulkStage = iota // the snooze's length or the user to assign
	bulkLooking                    // the user directory is asked
	bulkPreview                    // every incident and the verdict: confirm here
	bulkSubmitted                  // the writes are in the outbox
)

// bulkScreen is a bulk run's preview and, once confirmed, its progress.
type bulkScreen struct {
	op       bulkOp
	run      string
	rows     []bulkRow
	stage    bulkStage
	readOnly bool

	input  textinput.Model // the parameter, then the typed confirmation
	note   string          // the last answer to the input: a problem, or who matched
	snooze time.Duration
	user   pagerduty.Ref
	// directory is nil when no user directory is at hand: an ID is taken
	// as it is.
	directory userDirectory

	verdict actions.Verdict
	armedAt time.Time
	refusal string

	scroll, maxScroll int
}

// acting are the rows the run sends.
func (b *bulkScreen) acting() []*bulkRow {
	var out []*bulkRow
	for i := range b.rows {
		if b.rows[i].skip == "" {
			out = append(out, &b.rows[i])
		}
	}
	return out
}

// openBulk opens a run of op over incidents (the selection, or the one
// under the cursor).
func (m *Model) openBulk(op bulkOp, incidents []pagerduty.Incident) {
	b := &bulkScreen{op: op, run: newRunID(), readOnly: m.opts.ReadOnly}
	if d, ok := m.feed.(userDirectory); ok {
		b.directory = d
	}
	envs, _ := m.opts.Actions.(environments)
	sort.SliceStable(incidents, func(i, j int) bool { return incidents[i].Number < incidents[j].Number })
	for _, in := range incidents {
		env := "prod" // a service sitrep cannot place is production: the strictest guards
		if envs != nil {
			env = envs.Env(in)
		}
		b.rows = append(b.rows, bulkRow{in: in, env: env, skip: skipReason(op, in)})
	}
	b.input = textinput.New()
	b.input.CharLimit = 100
	b.input.SetWidth(40)
	switch op {
	case bulkSnooze:
		b.input.Prompt = "Snooze for: "
		b.input.Placeholder = "1h (a minute to a week)"
		b.input.Focus()
	case bulkReassign:
		b.input.Prompt = "Assign to: "
		b.input.Placeholder = "a name or email from PagerDuty's directory, or a user ID"
		b.input.Focus()
	default:
		b.toPreview(m.opts.Now())
	}
	m.openScreen(b)
}

// skipReason says why op makes no sense for in, or "".
func skipReason(op bulkOp, in pagerduty.Incident) string {
	switch {
	case in.Status == pagerduty.StatusResolved && op == bulkResolve:
		return "already resolved"
	case in.Status == pagerduty.StatusResolved:
		return "resolved"
	case op == bulkAcknowledge && in.Status == pagerduty.StatusAcknowledged:
		return "already acknowledged"
	case op == bulkSnooze && in.Status != pagerduty.StatusAcknowledged:
		return "not acknowledged (PagerDuty snoozes only those)"
	}
	return ""
}

// toPreview judges the guards and asks for the confirmation.
func (b *bulkScreen) toPreview(now time.Time) {
	b.stage = bulkPreview
	b.armedAt = now
	b.verdict = b.judge()
	b.input.SetValue("")
	b.input.Prompt = "> "
	b.input.Placeholder = "the number of incidents"
	if b.verdict.Confirm == actions.ConfirmTyped {
		b.input.Focus()
	} else {
		b.input.Blur()
	}
}

// judge is the guards of a bulk run: read-only, the blast radius and the
// confirmation, which is typed when any incident's service is production
// (as for any action there).
func (b *bulkScreen) judge() actions.Verdict {
	v := actions.Verdict{Confirm: actions.ConfirmYesNo}
	add := func(rule string, ok bool, detail string) {
		v.Rules = append(v.Rules, actions.RuleResult{Rule: rule, OK: ok, Detail: detail})
		if !ok && v.BlockedBy == "" {
			v.BlockedBy = rule
		}
	}
	if b.readOnly {
		add(actions.RuleReadOnly, false, "sitrep is in read-only mode: nothing changes")
	} else {
		add(actions.RuleReadOnly, true, "not in read-only mode")
	}
	n := len(b.acting())
	switch {
	case n == 0:
		add(actions.RuleBlastRadius, false, "every incident is skipped: nothing to do")
	case n > maxBulk:
		add(actions.RuleBlastRadius, false, fmt.Sprintf("%d incidents; at most %d change in one bulk run: select fewer", n, maxBulk))
	default:
		add(actions.RuleBlastRadius, true, fmt.Sprintf("%d incident(s), within the limit of %d a bulk run", n, maxBulk))
	}
	var prod []string
	seen := map[string]bool{}
	for _, r := range b.acting() {
		v.Confirm = maxConfirm(v.Confirm, actions.ConfirmLevel("", r.env, ""))
		if actions.IsProduction(r.env) && !seen[r.in.Service.Name] {
			seen[r.in.Service.Name] = true
			prod = append(prod, r.in.Service.Name)
		}
	}
	if v.Confirm == actions.ConfirmTyped {
		add(actions.RuleConfirm, true, fmt.Sprintf("production (%s): type %d, the number of incidents, to confirm", strings.Join(prod, ", "), n))
	} else {
		add(actions.RuleConfirm, true, "confirm with yes")
	}
	v.Allowed = v.BlockedBy == ""
	return v
}

func maxConfirm(a, b string) string {
	rank := map[string]int{actions.ConfirmNone: 0, actions.ConfirmYesNo: 1, actions.ConfirmTyped: 2}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// Messages of a bulk run.
type (
	// bulkUsersFound answers a directory lookup for a reassignment.
	bulkUsersFound struct {
		run   string
		query string
		users []pagerduty.User
		err   error
	}
	// bulkConfirmed is the engineer's one confirmation of a run.
	bulkConfirmed struct{ run string }
	// bulkQueued says the run's writes are journaled and in the outbox.
	bulkQueued struct {
		run  string
		errs []error
	}
)

var userIDPattern = regexp.MustCompile(`^P[A-Z0-9]{5,13}$`)

func (b *bulkScreen) update(msg tea.Msg, now time.Time) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case bulkUsersFound:
		if msg.run != b.run || b.stage != bulkLooking {
			return b, nil
		}
		b.stage = bulkAsking
		b.input.Focus()
		switch {
		case msg.err != nil:
			b.note = "the directory did not answer: " + displayErr(nil, msg.err) + "; type a user ID instead"
		case len(msg.users) == 1:
			b.user = msg.users[0].Ref
			b.toPreview(now)
		default:
			for _, u := range msg.users {
				if strings.EqualFold(u.Email, msg.query) || u.ID == msg.query || strings.EqualFold(u.Name, msg.query) {
					b.user = u.Ref
					b.toPreview(now)
					return b, nil
				}
			}
			if len(msg.users) == 0 && userIDPattern.MatchString(msg.query) {
				b.user = pagerduty.Ref{ID: msg.query}
				b.toPreview(now)
				return b, nil
			}
			if len(msg.users) == 0 {
				b.note = fmt.Sprintf("nobody in PagerDuty's directory matches %q", msg.query)
				return b, nil
			}
			names := make([]string, 0, len(msg.users))
			for _, u := range msg.users {
				names = append(names, u.Name+" <"+u.Email+">")
			}
			b.note = fmt.Sprintf("%d match: %s; type more of one", len(msg.users), strings.Join(names, ", "))
		}
		return b, nil
	case tea.KeyPressMsg:
		return b.key(msg, now)
	}
	return b, nil
}

// bulkKeyMap is the bulk screen's keys.
type bulkKeyMap struct {
	Back, Enter, Yes, No key.Binding
	Up, Down             key.Binding
	LetterUp, LetterDown key.Binding
	Help                 key.Binding
}

var bulkKeys = bulkKeyMap{
	Back:       key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel (nothing changes)")),
	Enter:      key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "go on")),
	Yes:        key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "yes")),
	No:         key.NewBinding(key.WithKeys("n", "N", "enter"), key.WithHelp("N", "no (default)")),
	Up:         key.NewBinding(key.WithKeys("up"), key.WithHelp("↑", "scroll up")),
	Down:       key.NewBinding(key.WithKeys("down"), key.WithHelp("↓", "scroll down")),
	LetterUp:   key.NewBinding(key.WithKeys("k"), key.WithHelp("k", "scroll up")),
	LetterDown: key.NewBinding(key.WithKeys("j"), key.WithHelp("j", "scroll down")),
	Help:       helpKey,
}

// answering says whether the input takes the letters (and ?).
func (b *bulkScreen) answering() bool { return b.input.Focused() }

func (b *bulkScreen) keys() help.KeyMap {
	k := bulkKeys
	typing := b.answering()
	for _, kb := range []*key.Binding{&k.LetterUp, &k.LetterDown, &k.Help} {
		kb.SetEnabled(!typing)
	}
	var answer []key.Binding
	switch {
	case b.stage == bulkAsking:
		answer = []key.Binding{withHelp(k.Enter, "enter", "go on to the preview")}
	case b.stage == bulkPreview && b.verdict.Allowed && b.verdict.Confirm == actions.ConfirmTyped:
		answer = []key.Binding{withHelp(k.Enter, "enter", "confirm, once the number is typed")}
	case b.stage == bulkPreview && b.verdict.Allowed:
		answer = []key.Binding{withHelp(k.Yes, "y", string(b.op)+" them"), k.No}
	}
	back := k.Back
	if b.stage == bulkSubmitted {
		back = withHelp(k.Back, "esc", "back to the list (the outbox goes on)")
	}
	return drawnKeys{answer, {k.LetterDown, k.LetterUp, k.Down, k.Up}, {back, k.Help}}
}

func (b *bulkScreen) key(msg tea.KeyPressMsg, now time.Time) (screen, tea.Cmd) {
	k := bulkKeys
	switch {
	case key.Matches(msg, k.Back):
		return nil, nil
	case key.Matches(msg, k.Up, k.Down):
		b.scrollBy(msg)
		return b, nil
	}
	switch b.stage {
	case bulkAsking:
		if key.Matches(msg, k.Enter) {
			return b, b.answer(now)
		}
		var cmd tea.Cmd
		b.input, cmd = b.input.Update(msg)
		return b, cmd
	case bulkPreview:
		ok := b.verdict.Allowed
		settled := now.Sub(b.armedAt) >= gracePeriod
		if b.verdict.Confirm == actions.ConfirmTyped && ok {
			if key.Matches(msg, k.Enter) {
				if !settled {
					return b, nil
				}
				if strings.TrimSpace(b.input.Value()) != strconv.Itoa(len(b.acting())) {
					b.refusal = fmt.Sprintf("typed %q; type %d, the number of incidents that change", b.input.Value(), len(b.acting()))
					b.armedAt = now
					return b, nil
				}
				return b, b.confirm()
			}
			var cmd tea.Cmd
			b.input, cmd = b.input.Update(msg)
			b.refusal = ""
			return b, cmd
		}
		if key.Matches(msg, k.LetterUp, k.LetterDown) {
			b.scrollBy(msg)
			return b, nil
		}
		if !ok || !settled {
			return b, nil
		}
		switch {
		case key.Matches(msg, k.Yes):
			return b, b.confirm()
		case key.Matches(msg, k.No):
			return nil, nil // the default is No
		}
	default:
		if key.Matches(msg, k.LetterUp, k.LetterDown) {
			b.scrollBy(msg)
		}
	}
	return b, nil
}

// answer reads the parameter: the snooze's length, or who to assign
// (looked up in the directory when there is one).
func (b *bulkScreen) answer(now time.Time) tea.Cmd {
	text := strings.TrimSpace(b.input.Value())
	switch b.op {
	case bulkSnooze:
		if text == "" {
			text = "1h"
		}
		d, err := time.ParseDuration(text)
		if err != nil || d < time.Minute || d > 7*24*time.Hour {
			b.note = fmt.Sprintf("%q is not a snooze length: give one from 1m to 168h, such as 30m or 4h", text)
			return nil
		}
		b.snooze = d
		b.toPreview(now)
		return nil
	case bulkReassign:
		if text == "" {
			b.note = "type who to assign: a name, an email or a PagerDuty user ID"
			return nil
		}
		if b.directory == nil {
			if !userIDPattern.MatchString(text) {
				b.note = fmt.Sprintf("%q is not a PagerDuty user ID (such as PABC123), and no directory is at hand to look a name up", text)
				return nil
			}
			b.user = pagerduty.Ref{ID: text}
			b.toPreview(now)
			return nil
		}
		b.stage = bulkLooking
		b.input.Blur()
		b.note = "looking up " + text + "…"
		dir, run := b.directory, b.run
		return func() tea.Msg {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			users, err := dir.Users(ctx, text)
			return bulkUsersFound{run: run, query: text, users: users, err: err}
		}
	}
	return nil
}

func (b *bulkScreen) confirm() tea.Cmd {
	run := b.run
	return func() tea.Msg { return bulkConfirmed{run: run} }
}

func (b *bulkScreen) scrollBy(msg tea.KeyPressMsg) {
	if key.Matches(msg, bulkKeys.Down, bulkKeys.LetterDown) {
		b.scroll++
	} else {
		b.scroll--
	}
	b.scroll = max(0, min(b.scroll, b.maxScroll))
}

// change is what the run does, in words: "acknowledge", "snooze for 1h".
func (b *bulkScreen) change() string {
	switch b.op {
	case bulkSnooze:
		return "snooze for " + shortDuration(b.snooze)
	case bulkReassign:
		who := b.user.ID
		if b.user.Name != "" {
			who = b.user.Name + " (" + b.user.ID + ")"
		}
		return "assign to " + who
	}
	return string(b.op)
}

func (b *bulkScreen) view(s Styles, width, height int) string {
	width, height = max(20, width), max(3, height)
	n := len(b.rows)
	title := s.Title.Render(truncate(fmt.Sprintf("Bulk %s · %d incident(s) · run %s", b.op, n, b.run), width))
	foot := b.footer(s, width)
	room := max(1, height-1-len(foot))
	body := b.body(s, width)
	b.maxScroll = max(0, len(body)-room)
	scroll := max(0, min(b.scroll, b.maxScroll))
	shown := body[scroll:min(len(body), scroll+room)]
	lines := append([]string{title}, shown...)
	out := padLines(strings.Join(lines, "\n"), width, height-len(foot))
	return out + "\n" + padLines(strings.Join(foot, "\n"), width, len(foot))
}

func (b *bulkScreen) body(s Styles, width int) []string {
	var lines []string
	if b.stage == bulkAsking || b.stage == bulkLooking {
		lines = append(lines, "", truncate(b.input.View(), width))
		if b.note != "" {
			lines = append(lines, s.Warn.Render(truncate(b.note, width)))
		}
		lines = append(lines, "")
	}
	whatW := min(64, max(30, width/2))
	titleW := max(8, width-6-1-13-1-1-whatW)
	for _, r := range b.rows {
		what, st := "→ "+b.change(), s.Dim
		if b.stage < bulkPreview {
			what = ""
		}
		switch {
		case r.skip != "":
			what, st = "skipped: "+r.skip, s.Dim
		case r.state == rowQueued:
			what, st = "queued", s.Dim
		case r.state == rowRetrying:
			what, st = "retrying: "+r.why, s.Warn
		case r.state == rowDone:
			what, st = "✓ "+b.op.past(), s.OK
		case r.state == rowFailed:
			what, st = "✗ failed: "+r.why, s.Error
		}
		row := fit(fmt.Sprintf("#%d", r.in.Number), 6) + " " + fit(r.in.Status, 13) + " " + fit(r.in.Title, titleW) + " "
		lines = append(lines, row+st.Render(truncate(what, max(1, width-lipgloss.Width(row)))))
	}
	if b.stage < bulkPreview {
		return lines
	}
	lines = append(lines, "")
	acting := len(b.acting())
	switch b.op {
	case bulkSnooze:
		lines = append(lines, truncate(fmt.Sprintf("Requests: POST /incidents/{id}/snooze for each of %d incident(s) (PagerDuty has no bulk snooze), through the outbox", acting), width))
	default:
		reqs := (acting + pagerduty.MaxBulk - 1) / pagerduty.MaxBulk
		lines = append(lines, truncate(fmt.Sprintf("Requests: PUT /incidents, %d request(s) of at most %d incidents, through the outbox", reqs, pagerduty.MaxBulk), width))
	}
	lines = append(lines, truncate("Journal:  one entry per incident, naming run "+b.run, width))
	if skipped := len(b.rows) - acting; skipped > 0 {
		lines = append(lines, s.Dim.Render(truncate(fmt.Sprintf("Skipped:  %d (listed above with why)", skipped), width)))
	}
	lines = append(lines, "", s.Section.Render("Guards"))
	for _, l := range strings.Split(strings.TrimRight(b.verdict.Explain(), "\n"), "\n") {
		st := s.Dim
		if strings.HasPrefix(l, "BLOCKED") {
			st = s.Error
		}
		lines = append(lines, st.Render(truncate("  "+l, width)))
	}
	return lines
}

func (b *bulkScreen) footer(s Styles, width int) []string {
	switch b.stage {
	case bulkAsking, bulkLooking:
		return []string{s.Dim.Render(truncate("enter go on · esc cancel (nothing changes)", width))}
	case bulkSubmitted:
		return []string{truncate(b.summary(), width), s.Dim.Render(truncate("esc back to the list (the outbox goes on delivering)", width))}
	}
	v := b.verdict
	var lines []string
	if v.Allowed {
		lines = append(lines, s.OK.Render(truncate("✓ "+v.String(), width)))
	} else {
		lines = append(lines, s.Error.Render(truncate("✗ "+v.String(), width)))
	}
	if b.refusal != "" {
		lines = append(lines, s.Error.Render(truncate(b.refusal, width)))
	}
	n := len(b.acting())
	switch {
	case !v.Allowed:
		lines = append(lines, s.Dim.Render(truncate("esc back (nothing changes)", width)))
	case v.Confirm == actions.ConfirmTyped:
		lines = append(lines, s.Title.Render(truncate(fmt.Sprintf("Type %d to %s %d incident(s), then enter:", n, b.change(), n), width)),
			truncate(b.input.View(), width), s.Dim.Render(truncate("esc cancel (nothing changes)", width)))
	default:
		lines = append(lines, truncate(fmt.Sprintf("%s %d incident(s)? ", capitalize(b.change()), n)+s.Key.Render("y")+" yes   "+s.Key.Render("N")+" no (default)", width),
			s.Dim.Render(truncate("esc cancel · j/k scroll", width)))
	}
	return lines
}

// summary says where the run's incidents got to.
func (b *bulkScreen) summary() string {
	var done, failed, waiting int
	var firstFail string
	for _, r := range b.rows {
		switch {
		case r.skip != "":
		case r.state == rowDone:
			done++
		case r.state == rowFailed:
			failed++
			if firstFail == "" {
				firstFail = fmt.Sprintf("#%d: %s", r.in.Number, r.why)
			}
		default:
			waiting++
		}
	}
	out := fmt.Sprintf("bulk %s: %d done", b.op, done)
	if waiting > 0 {
		out += fmt.Sprintf(", %d on the way", waiting)
	}
	if failed > 0 {
		out += fmt.Sprintf(", %d failed (%s) and still selected", failed, firstFail)
	}
	return out
}

// shortDuration is 30m, 1h or 1h30m rather than 30m0s.
func shortDuration(d time.Duration) string {
	s := strings.TrimSuffix(d.String(), "0s")
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func newRunID() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return "bulk-" + hex.EncodeToString(b[:])
}

// bulkConfirmed queues the run's writes: PagerDuty's bulk update per
// chunk, or a snooze per incident, each incident journaled once.
func (m Model) bulkConfirmed(msg bulkConfirmed) (tea.Model, tea.Cmd) {
	b, ok := m.screen.(*bulkScreen)
	if !ok || b.run != msg.run || b.stage != bulkPreview {
		return m, nil
	}
	ob, bulkOK := m.opts.Outbox.(bulkOutbox)
	if m.opts.Outbox == nil || (!bulkOK && b.op != bulkSnooze) {
		b.refusal = "bulk runs go through the outbox, and this sitrep has none: nothing changed"
		return m, nil
	}
	b.stage = bulkSubmitted
	b.input.Blur()
	m.bulk = b
	rows := b.acting()
	for _, r := range rows {
		r.state = rowQueued
	}
	at, timeout := m.opts.Now(), m.opts.CallTimeout
	entry := func(r *bulkRow) journal.Entry {
		return journal.Entry{Incident: r.in.ID, At: at, Kind: "operation",
			Summary: fmt.Sprintf("%s %s through sitrep (bulk run %s, %d incidents)", b.change(), number(r.in), b.run, len(rows)),
			Data:    mustJSON(map[string]any{"operation": b.op.past(), "bulk_run": b.run, "bulk_size": len(rows)})}
	}
	var cmds []tea.Cmd
	if b.op == bulkSnooze {
		plain := m.opts.Outbox
		for _, r := range rows {
			w := outbox.Write{Incident: r.in.ID, Label: number(r.in), Op: outbox.OpSnooze,
				Args: map[string]string{"seconds": strconv.Itoa(int(b.snooze.Seconds())), "run": b.run}}
			e := entry(r)
			cmds = append(cmds, func() tea.Msg {
				ctx, cancel := context.WithTimeout(context.Background(), timeout)
				defer cancel()
				_, err := plain.Submit(ctx, w, e)
				return bulkQueued{run: w.Args["run"], errs: nonNil(err)}
			})
		}
	} else {
		ids := make([]string, len(rows))
		byID := map[string]*bulkRow{}
		for i, r := range rows {
			ids[i] = r.in.ID
			byID[r.in.ID] = r
		}
		args := map[string]string{"change": string(b.op), "run": b.run}
		if b.op == bulkReassign {
			args["user_id"] = b.user.ID
		}
		for _, chunk := range pagerduty.Chunks(ids, pagerduty.MaxBulk) {
			w := outbox.Write{Incidents: chunk, Label: fmt.Sprintf("%d incidents", len(chunk)), Op: outbox.OpBulk, Args: args}
			entries := make([]journal.Entry, 0, len(chunk))
			for _, id := range chunk {
				entries = append(entries, entry(byID[id]))
			}
			cmds = append(cmds, func() tea.Msg {
				ctx, cancel := context.WithTimeout(context.Background(), timeout)
				defer cancel()
				_, err := ob.SubmitBulk(ctx, w, entries)
				return bulkQueued{run: w.Args["run"], errs: nonNil(err)}
			})
		}
	}
	m.status = fmt.Sprintf("bulk %s of %d incident(s) journaled; sending it to PagerDuty…", b.op, len(rows))
	return m, tea.Batch(cmds...)
}

func nonNil(err error) []error {
	if err == nil {
		return nil
	}
	return []error{err}
}

// bulkProgress follows the run's writes in an outbox snapshot: what is
// retried and why, what settled. An incident done leaves the selection;
// one that failed stays selected, to be tried again.
func (m *Model) bulkProgress(snap outbox.Snapshot) {
	b := m.bulk
	if b == nil {
		return
	}
	rows := map[string]*bulkRow{}
	for i := range b.rows {
		rows[b.rows[i].in.ID] = &b.rows[i]
	}
	incidentsOf := func(it outbox.Item) []string {
		if len(it.Incidents) > 0 {
			return it.Incidents
		}
		return []string{it.Incident}
	}
	for _, it := range snap.Pending {
		if it.Args["run"] != b.run || it.Attempts == 0 {
			continue
		}
		for _, id := range incidentsOf(it) {
			if r := rows[id]; r != nil {
				r.state, r.why = rowRetrying, fmt.Sprintf("attempt %d: %s", it.Attempts, m.errText(errorString(it.LastErr)))
			}
		}
	}
	settledNow := false
	for _, s := range snap.Settled {
		if s.Item.Args["run"] != b.run {
			continue
		}
		settledNow = true
		for _, id := range incidentsOf(s.Item) {
			r := rows[id]
			if r == nil {
				continue
			}
			switch {
			case !s.Delivered:
				r.state, r.why = rowFailed, m.errText(errorString(s.Reason))
			case s.Refused[id] != "":
				r.state, r.why = rowFailed, m.errText(errorString(s.Refused[id]))
			default:
				r.state, r.why = rowDone, ""
				m.picked.drop(id)
				if b.op == bulkResolve {
					if in, ok := m.list.byID(id); ok {
						in.Status, in.LastChangeAt = pagerduty.StatusResolved, m.opts.Now()
						m.resolvedHere[id] = in
					}
				}
			}
		}
	}
	if settledNow {
		m.status = b.summary()
	}
}

// bulkKey opens a bulk run for a, R, z or A: over the selection when
// there is one; z and A act on the incident under the cursor otherwise.
// handled says whether msg was such a key.
func (m *Model) bulkKey(msg tea.KeyPressMsg) (handled bool) {
	k := m.keys
	var op bulkOp
	switch {
	case key.Matches(msg, k.Ack):
		op = bulkAcknowledge
	case key.Matches(msg, k.Resolve):
		op = bulkResolve
	case key.Matches(msg, k.Snooze):
		op = bulkSnooze
	case key.Matches(msg, k.Reassign):
		op = bulkReassign
	default:
		return false
	}
	var incidents []pagerduty.Incident
	if m.picked.len() > 0 {
		for i := range m.list.all {
			if m.picked.has(m.list.all[i].ID) {
				incidents = append(incidents, m.list.all[i])
			}
		}
	} else if op == bulkSnooze || op == bulkReassign {
		in, ok := m.list.selected()
		if !ok {
			return true
		}
		if m.selectionLeft != "" {
			m.status = m.selectionLeft + " left the list, and " + number(in) + " is under the cursor only because of that: move (j/k) to choose it first"
			return true
		}
		incidents = []pagerduty.Incident{in}
	} else {
		return false // a and R on the one incident, as without a selection
	}
	if m.opts.ReadOnly {
		m.status = "read-only: sitrep changes nothing"
		return true
	}
	m.openBulk(op, incidents)
	return true
}
