package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"sitrep/actions"
	"sitrep/sources/pagerduty"
	"sitrep/sources/sanitize"
)

// previewScreen shows exactly what an action will do before it does it:
// the command or request, the target, the blast radius, the dry run's
// result and the guards' verdict. It runs nothing but the dry run; the
// engineer confirms here, and only after the dry run has ended and the
// grace period has passed, so keys typed ahead cannot confirm. (Keys typed
// before it opened never reach it: the model holds them back, see
// typeahead.go.)
type previewScreen struct {
	plan     *actions.Plan
	incident pagerduty.Incident
	readOnly bool
	// prepareID is the preparation this preview answers; a later answer
	// to an earlier request must not replace it.
	prepareID uint64

	// armedAt is when the screen last changed what a confirmation would
	// confirm: the dry run ended or a confirmation was refused. Keys that
	// confirm or answer are ignored for gracePeriod after it, so that a
	// key typed while waiting cannot confirm a result nobody has read.
	armedAt time.Time

	// life ends when the screen closes: it cancels the dry run.
	life   context.Context
	cancel context.CancelFunc

	hasDryRun  bool
	dryRunning bool
	dryResult  *actions.Result
	dryErr     string
	dryOut     outputLines
	spin       spinner.Model

	verdict    actions.Verdict
	typed      textinput.Model
	confirming bool   // plan.Confirm is running
	refusal    string // why the last confirmation was refused
	// secrets are masked from the errors this screen shows.
	secrets *sanitize.Secrets

	scroll    int
	maxScroll int // as last drawn; bounds j/k
}

// newPreviewScreen opens the preview of a prepared plan. Its start Cmd
// runs the dry run when the plan has one.
func newPreviewScreen(plan *actions.Plan, in pagerduty.Incident) *previewScreen {
	life, cancel := context.WithCancel(context.Background())
	ti := textinput.New()
	ti.Prompt = "> "
	ti.Placeholder = "the service's name"
	ti.CharLimit = 200
	ti.SetWidth(40)
	ti.Focus()
	p := &previewScreen{
		plan: plan, incident: in, life: life, cancel: cancel,
		hasDryRun: plan.Runner().HasDryRun(),
		spin:      spinner.New(spinner.WithSpinner(spinner.MiniDot)),
		verdict:   plan.Verdict,
		typed:     ti,
	}
	p.dryRunning = p.hasDryRun
	return p
}

// start is the screen's first Cmd: the dry run, streamed, and its spinner.
func (p *previewScreen) start() tea.Cmd {
	if !p.hasDryRun {
		return nil
	}
	plan, life := p.plan, p.life
	run := streamWork(life, plan.RunID, "dry run", func(out func(actions.Chunk)) streamEvent {
		res := plan.DryRun(life, out)
		// The guards again: a required dry run has now run, and time
		// has passed.
		return streamEvent{result: res, verdict: plan.Evaluate()}
	})
	return tea.Batch(run, p.spin.Tick)
}

func (p *previewScreen) close() (screen, tea.Cmd) {
	p.cancel()
	return nil, nil
}

// canConfirm reports whether a confirmation could be accepted now, and
// if not, why.
func (p *previewScreen) canConfirm() (bool, string) {
	switch {
	case p.readOnly:
		return false, "read-only: sitrep runs nothing"
	case !p.verdict.Allowed && !p.verdict.AwaitsOnlyApproval():
		return false, "blocked by " + p.verdict.BlockedBy + ": this action cannot run now"
	case p.dryRunning:
		return false, "waiting for the dry run…"
	case p.confirming:
		return false, "confirming…"
	}
	return true, ""
}

func (p *previewScreen) update(msg tea.Msg, now time.Time) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case outputStreamed:
		if msg.runID != p.plan.RunID || msg.phase != "dry run" {
			return p, nil
		}
		p.dryOut.add(msg.chunks)
		if !msg.final {
			return p, listen(msg.runID, msg.phase, msg.stream)
		}
		p.dryRunning = false
		p.armedAt = now
		if msg.err != nil {
			p.dryErr = displayErr(p.secrets, msg.err)
			return p, nil
		}
		res := msg.result
		p.dryResult = &res
		p.verdict = msg.verdict
		return p, nil
	case confirmationRefused:
		if msg.runID == p.plan.RunID {
			p.confirming = false
			p.armedAt = now
			p.refusal = displayErr(p.secrets, msg.err)
			var blocked *actions.BlockedError
			if errors.As(msg.err, &blocked) {
				p.verdict = blocked.Verdict
			}
		}
		return p, nil
	case spinner.TickMsg:
		if !p.dryRunning {
			return p, nil
		}
		var cmd tea.Cmd
		p.spin, cmd = p.spin.Update(msg)
		return p, cmd
	case tea.KeyPressMsg:
		return p.key(msg, now)
	}
	return p, nil
}

func (p *previewScreen) key(msg tea.KeyPressMsg, now time.Time) (screen, tea.Cmd) {
	k := p.bindings()
	switch {
	case key.Matches(msg, k.Back):
		return p.close()
	case key.Matches(msg, k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom):
		p.scrollBy(msg)
		return p, nil
	}
	level := p.verdict.Confirm
	ok, _ := p.canConfirm()
	// Until the grace period after armedAt has passed, the keys that
	// answer the prompt do nothing; scrolling, leaving and typing do.
	settled := now.Sub(p.armedAt) >= gracePeriod
	if level == actions.ConfirmTyped && ok {
		if key.Matches(msg, k.Run) {
			if !settled {
				return p, nil
			}
			return p.confirm(p.typed.Value())
		}
		var cmd tea.Cmd
		p.typed, cmd = p.typed.Update(msg)
		p.refusal = ""
		return p, cmd
	}
	switch {
	case key.Matches(msg, k.LetterUp, k.LetterDown, k.LetterTop, k.LetterBottom):
		p.scrollBy(msg)
		return p, nil
	case key.Matches(msg, k.Quit):
		return p.close()
	}
	if !ok || !settled {
		return p, nil
	}
	switch level {
	case actions.ConfirmNone:
		if key.Matches(msg, k.Run) {
			return p.confirm("")
		}
	case actions.ConfirmYesNo:
		switch {
		case key.Matches(msg, k.Yes):
			return p.confirm("yes")
		case key.Matches(msg, k.No):
			return p.close() // the default is No
		}
	}
	return p, nil
}

// previewKeyMap is the preview's keys. The arrows scroll even while the
// service's name is typed; j, k, g, G, q and ? only when nothing is.
type previewKeyMap struct {
	Back, Run, Yes, No                                  key.Binding
	Up, Down, PageUp, PageDown, Top, Bottom             key.Binding
	LetterUp, LetterDown, LetterTop, LetterBottom, Quit key.Binding
	Help                                                key.Binding
}

// previewKeys are the preview's keys as built; bindings disables the ones
// --read-only turns off.
var previewKeys = previewKeyMap{
	Back:         key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel (nothing runs)")),
	Run:          key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "run")),
	Yes:          key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "yes")),
	No:           key.NewBinding(key.WithKeys("enter", "n", "N"), key.WithHelp("N", "no (default)")),
	Up:           key.NewBinding(key.WithKeys("up"), key.WithHelp("↑", "scroll up")),
	Down:         key.NewBinding(key.WithKeys("down"), key.WithHelp("↓", "scroll down")),
	PageUp:       key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup", "page up")),
	PageDown:     key.NewBinding(key.WithKeys("pgdown"), key.WithHelp("pgdown", "page down")),
	Top:          key.NewBinding(key.WithKeys("home"), key.WithHelp("home", "top")),
	Bottom:       key.NewBinding(key.WithKeys("end"), key.WithHelp("end", "bottom")),
	LetterUp:     key.NewBinding(key.WithKeys("k"), key.WithHelp("k", "scroll up")),
	LetterDown:   key.NewBinding(key.WithKeys("j"), key.WithHelp("j", "scroll down")),
	LetterTop:    key.NewBinding(key.WithKeys("g"), key.WithHelp("g", "top")),
	LetterBottom: key.NewBinding(key.WithKeys("G"), key.WithHelp("G", "bottom")),
	Quit:         key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "cancel")),
	Help:         helpKey,
}

// bindings are the preview's keys with the ones that would run disabled
// in --read-only (canConfirm refuses there too).
func (p *previewScreen) bindings() previewKeyMap {
	k := previewKeys
	if p.readOnly {
		k.Run.SetEnabled(false)
		k.Yes.SetEnabled(false)
	}
	return k
}

// answering says whether the service's name is being typed: the letters,
// q and ? are part of it.
func (p *previewScreen) answering() bool {
	ok, _ := p.canConfirm()
	return ok && p.verdict.Confirm == actions.ConfirmTyped
}

// keys are the preview's keys as they stand: the answer the verdict asks
// for, once the dry run allows one.
func (p *previewScreen) keys() help.KeyMap {
	k := p.bindings()
	ok, _ := p.canConfirm()
	typing := p.answering()
	for _, b := range []*key.Binding{&k.LetterUp, &k.LetterDown, &k.LetterTop, &k.LetterBottom, &k.Quit, &k.Help} {
		b.SetEnabled(!typing)
	}
	var answer []key.Binding
	run := "run "
	if p.verdict.AwaitsOnlyApproval() {
		run = "request approval to run "
	}
	switch p.verdict.Confirm {
	case actions.ConfirmNone:
		answer = []key.Binding{withHelp(k.Run, "enter", run+p.plan.Action.Name)}
	case actions.ConfirmYesNo:
		answer = []key.Binding{withHelp(k.Yes, "y", run+p.plan.Action.Name), k.No}
	case actions.ConfirmTyped:
		answer = []key.Binding{withHelp(k.Run, "enter", strings.TrimSpace(run)+", once the service's name is typed")}
	}
	for i := range answer {
		if !ok {
			answer[i].SetEnabled(false)
		}
	}
	return drawnKeys{
		answer,
		{k.LetterDown, k.LetterUp, k.Down, k.Up, k.PageDown, k.PageUp, k.LetterTop, k.LetterBottom, k.Top, k.Bottom},
		{k.Back, k.Quit, k.Help},
	}
}

func (p *previewScreen) scrollBy(msg tea.KeyPressMsg) {
	k := previewKeys
	switch {
	case key.Matches(msg, k.Down, k.LetterDown):
		p.scroll++
	case key.Matches(msg, k.Up, k.LetterUp):
		p.scroll--
	case key.Matches(msg, k.PageDown):
		p.scroll += 10
	case key.Matches(msg, k.PageUp):
		p.scroll -= 10
	case key.Matches(msg, k.Top, k.LetterTop):
		p.scroll = 0
	case key.Matches(msg, k.Bottom, k.LetterBottom):
		p.scroll = p.maxScroll
	}
	p.scroll = max(0, min(p.scroll, p.maxScroll))
}

// confirm hands the confirmation to the plan in a Cmd: it judges the
// guards again (which may read the journal) and records the confirmation.
func (p *previewScreen) confirm(typed string) (screen, tea.Cmd) {
	p.confirming = true
	p.refusal = ""
	plan, in := p.plan, p.incident
	return p, func() tea.Msg {
		if err := plan.Confirm(typed); err != nil {
			return confirmationRefused{runID: plan.RunID, err: err}
		}
		return actionConfirmed{plan: plan, incident: in}
	}
}

// view draws the preview: a fixed title line, the details (scrollable),
// and the verdict and confirmation fixed at the bottom.
func (p *previewScreen) view(s Styles, width, height int) string {
	width = max(20, width)
	height = max(3, height)
	plan := p.plan
	title := s.Title.Render(truncate(sanitize.Line(plan.Action.Title)+" · "+plan.Action.Name, max(1, width-14)))
	title += "  " + riskBadge(s, plan.Risk())

	foot := p.footer(s, width)
	room := max(1, height-1-len(foot))
	body := p.body(s, width)
	// The bound is remembered for j/k, as the journal screen does: only
	// the view knows the height.
	p.maxScroll = max(0, len(body)-room)
	scroll := max(0, min(p.scroll, p.maxScroll))
	end := min(len(body), scroll+room)
	shown := body[scroll:end]
	if p.maxScroll > 0 {
		more := fmt.Sprintf(" %d–%d of %d lines · ↑/↓ scroll ", scroll+1, end, len(body))
		if len(shown) > 0 {
			shown[len(shown)-1] = s.Dim.Render(fitRight(more, width))
		}
	}
	lines := []string{title}
	lines = append(lines, shown...)
	out := padLines(strings.Join(lines, "\n"), width, height-len(foot))
	return out + "\n" + padLines(strings.Join(foot, "\n"), width, len(foot))
}

func riskBadge(s Styles, risk string) string {
	switch risk {
	case actions.RiskHigh:
		return s.Error.Render("risk: HIGH")
	case actions.RiskMedium:
		return s.Warn.Render("risk: medium")
	case actions.RiskLow:
		return s.OK.Render("risk: low")
	}
	return s.Dim.Render("risk: " + risk)
}

// body is every detail line, in the order the engineer reads them.
func (p *previewScreen) body(s Styles, width int) []string {
	plan := p.plan
	pv := plan.Preview
	var lines []string
	label := func(name string) string { return s.Label.Render(fmt.Sprintf("%-13s", name)) }
	field := func(name, value string) {
		w := width - 13
		for i, l := range wrap(value, max(10, w)) {
			if i == 0 {
				lines = append(lines, label(name)+truncate(l, w))
			} else {
				lines = append(lines, strings.Repeat(" ", 13)+truncate(l, w))
			}
		}
	}
	for _, l := range wrap(sanitize.Line(plan.Explain()), width) {
		lines = append(lines, truncate(l, width))
	}
	lines = append(lines, "")
	target := plan.Target.Service
	if plan.Target.Env != "" {
		target += " in " + plan.Target.Env
	}
	field("Target", target+"  ("+number(p.incident)+")")
	switch pv.Runner {
	case actions.RunnerHTTP:
		for i, c := range pv.Command {
			name := ""
			if i == 0 {
				name = "Request"
			}
			field(name, sanitize.Line(c))
		}
		if pv.Body != "" {
			field("Body", sanitize.Line(pv.Body))
		}
	default:
		field("Command", commandText(pv))
	}
	if len(pv.Env) > 0 {
		field("Env", strings.Join(pv.Env, ", ")+" (names only)")
	}
	radius := fmt.Sprintf("%d — %s", len(plan.BlastRadius), sanitize.Line(strings.Join(plan.BlastRadius, ", ")))
	if plan.Fleet > 0 {
		radius += fmt.Sprintf(" of a fleet of %d", plan.Fleet)
	}
	if plan.Limit != "" {
		radius += "; limit: " + plan.Limit
	} else {
		radius += "; no limit configured"
	}
	field("Blast radius", radius)

	lines = append(lines, "")
	switch {
	case !p.hasDryRun:
		lines = append(lines, wrapStyled(s.Warn, "⚠ "+sanitize.Line(pv.DryRunNote), width)...)
	default:
		field("Dry run", quoteArgv(pv.DryRun))
		switch {
		case p.dryRunning:
			lines = append(lines, p.spin.View()+" dry run running…")
		case p.dryErr != "":
			lines = append(lines, s.Error.Render(truncate("dry run did not finish: "+p.dryErr, width)))
		case p.dryResult != nil && p.dryResult.OK:
			lines = append(lines, s.OK.Render(truncate("✓ dry run: "+p.dryResult.Text+" in "+seconds(p.dryResult.Duration), width)))
		case p.dryResult != nil:
			lines = append(lines, s.Error.Render(truncate("✗ dry run: "+sanitize.Line(p.dryResult.Text)+" in "+seconds(p.dryResult.Duration), width)))
		}
		lines = append(lines, outputBlock(s, &p.dryOut, width)...)
		if p.dryResult != nil && p.dryResult.Summary != nil {
			for _, l := range strings.Split(strings.TrimRight(sanitize.Text(p.dryResult.Summary.Text()), "\n"), "\n") {
				lines = append(lines, truncate("  "+l, width))
			}
		}
	}

	lines = append(lines, "", s.Section.Render("Guards"))
	for _, l := range strings.Split(strings.TrimRight(p.verdict.Explain(), "\n"), "\n") {
		st := s.Dim
		if strings.HasPrefix(l, "BLOCKED") {
			st = s.Error
		}
		lines = append(lines, st.Render(truncate("  "+l, width)))
	}
	return lines
}

// footer is the verdict and what the engineer can do about it.
func (p *previewScreen) footer(s Styles, width int) []string {
	v := p.verdict
	var verdict string
	// run is what confirming does: a run, or a request for another
	// person's approval when that is all the guards wait for.
	run := "run "
	switch {
	case v.Allowed:
		verdict = s.OK.Render(truncate("✓ "+v.String(), width))
	case v.AwaitsOnlyApproval():
		run = "request approval to run "
		verdict = s.Warn.Render(truncate("⚑ "+strings.TrimPrefix(v.String(), "blocked: "), width))
	default:
		verdict = s.Error.Render(truncate("✗ "+v.String(), width))
	}
	lines := []string{verdict}
	if p.refusal != "" {
		lines = append(lines, s.Error.Render(truncate(p.refusal, width)))
	}
	ok, why := p.canConfirm()
	switch {
	case !ok:
		lines = append(lines, s.Warn.Render(truncate(why, width))+"",
			s.Dim.Render(truncate("esc back (nothing runs)", width)))
	case v.Confirm == actions.ConfirmTyped:
		ask := fmt.Sprintf("Type %s to %s%s", p.plan.Target.Service, run, p.plan.Action.Name)
		if p.plan.Target.Env != "" {
			ask += " in " + p.plan.Target.Env
		}
		ti := p.typed
		ti.SetWidth(max(10, width-4))
		lines = append(lines, s.Title.Render(truncate(ask+", then enter:", width)),
			truncate(ti.View(), width),
			s.Dim.Render(truncate("esc cancel (nothing runs)", width)))
	case v.Confirm == actions.ConfirmYesNo:
		lines = append(lines, truncate(strings.ToUpper(run[:1])+run[1:]+p.plan.Action.Name+"? "+s.Key.Render("y")+" yes   "+s.Key.Render("N")+" no (default)", width),
			s.Dim.Render(truncate("esc cancel · j/k scroll", width)))
	default:
		lines = append(lines, truncate(s.Key.Render("enter")+" "+run+p.plan.Action.Name, width),
			s.Dim.Render(truncate("esc cancel · j/k scroll", width)))
	}
	return lines
}

// outputBlock is the kept output, indented under a rule.
func outputBlock(s Styles, o *outputLines, width int) []string {
	var lines []string
	if o.dropped > 0 {
		lines = append(lines, s.Dim.Render(truncate(fmt.Sprintf("  │ … %d earlier lines not kept here (the journal has the output)", o.dropped), width)))
	}
	for _, l := range o.lines {
		lines = append(lines, s.Dim.Render("  │ ")+truncate(l, max(1, width-4)))
	}
	return lines
}

// commandText is the command as one line: the argv with each element
// quoted where it has blanks, or an HTTP request's method and URL.
func commandText(pv actions.Preview) string {
	if pv.Runner == actions.RunnerHTTP {
		if len(pv.Command) == 0 {
			return ""
		}
		return sanitize.Line(pv.Command[0])
	}
	return quoteArgv(pv.Command)
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }
