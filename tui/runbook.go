package tui

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"sitrep/actions"
	"sitrep/sources/pagerduty"
	"sitrep/sources/sanitize"
	"sitrep/store/journal"
)

// runbookScreen is b: the incident's runbook, its prose rendered as
// Markdown, its manual steps ticked off as the engineer goes, and its
// actions prepared through the same preview as the palette's. The cursor
// moves over the steps and actions only; the prose scrolls with it.
//
// Ticks live here for the session. The screen reports them as
// runbookStepToggled, which the model journals; a runbookShelf keeps the
// screen while the preview and the run take over the body, so b brings
// the runbook back with its ticks.
type runbookScreen struct {
	rb       *actions.Runbook
	incident pagerduty.Incident
	opened   time.Time

	items   []int        // the steps' and actions' indexes in rb.Blocks, in order
	checked map[int]bool // ticks by block index
	offered map[string]bool
	cursor  int // into items
	scroll  int // the first body line shown
	note    string

	// set is the incident's runbooks (several may apply), this one among
	// them at index; tab moves to the next.
	set   *runbookSet
	index int

	// lay is the layout at the width last drawn (the prose is rendered
	// once per width); room is the body height last drawn. Only the view
	// knows the size, so the keys work on what it drew, as the preview's do.
	lay  *runbookLayout
	room int
}

// runbookStepToggled is a step ticked or unticked on the runbook screen;
// the model journals it (runbookStepToggled below).
type runbookStepToggled struct {
	incident pagerduty.Incident
	runbook  string // the runbook's title
	file     string
	line     int // the step's line in the file
	step     string
	checked  bool
	at       time.Time
}

// runbookGutter is the cursor's column left of every body line.
const runbookGutter = 2

// newRunbookScreen opens rb for an incident, laid out for width.
func newRunbookScreen(rb *actions.Runbook, in pagerduty.Incident, width int, now time.Time) *runbookScreen {
	r := &runbookScreen{rb: rb, incident: in, opened: now, checked: map[int]bool{}}
	for i, b := range rb.Blocks {
		switch b.Kind {
		case actions.BlockStep:
			r.items = append(r.items, i)
			r.checked[i] = b.Checked // a step written as done starts done
		case actions.BlockAction:
			r.items = append(r.items, i)
		}
	}
	r.set = &runbookSet{screens: []*runbookScreen{r}}
	r.layout(max(20, width))
	return r
}

// runbookSet is the runbooks that apply to one incident, and which of
// them was shown last.
type runbookSet struct {
	screens []*runbookScreen
	shown   int
}

// runbookShelf keeps, per incident, the runbook screens opened this
// session, so that ticks outlive the preview and the run that an action
// block opens. The model holds one; b opens through it.
type runbookShelf struct {
	byIncident map[string]*runbookSet
}

// open returns the incident's runbook screen (the one last shown, or the
// first runbook that applies), or why there is none.
func (sh *runbookShelf) open(acts Actions, in pagerduty.Incident, width int, now time.Time) (*runbookScreen, string) {
	if acts == nil {
		return nil, "no action catalogue loaded"
	}
	books := acts.Runbooks(in)
	if len(books) == 0 {
		return nil, "no runbook for " + sanitize.Line(in.Service.Name)
	}
	if set := sh.byIncident[in.ID]; set != nil && set.holds(books) {
		r := set.screens[set.shown]
		r.opened = now
		return r, ""
	}
	offered := map[string]bool{}
	for _, a := range acts.For(in) {
		offered[a.Name] = true
	}
	set := &runbookSet{screens: make([]*runbookScreen, len(books))}
	for i, rb := range books {
		r := newRunbookScreen(rb, in, width, now)
		r.offered, r.set, r.index = offered, set, i
		set.screens[i] = r
	}
	if sh.byIncident == nil {
		sh.byIncident = map[string]*runbookSet{}
	}
	sh.byIncident[in.ID] = set
	return set.screens[0], ""
}

// holds reports whether the set is of exactly these runbooks (a reloaded
// catalogue makes new ones).
func (set *runbookSet) holds(books []*actions.Runbook) bool {
	if len(set.screens) != len(books) {
		return false
	}
	for i, r := range set.screens {
		if r.rb != books[i] {
			return false
		}
	}
	return true
}

// runbookStepToggled journals a tick. The model calls it for the
// screen's message; read-only and journal-less cockpits keep the tick on
// screen only, and say so.
func (m *Model) runbookStepToggled(msg runbookStepToggled) tea.Cmd {
	verb := "unticked"
	if msg.checked {
		verb = "ticked"
	}
	switch {
	case m.opts.ReadOnly:
		m.status = "read-only: " + verb + " on screen, not journaled"
		return nil
	case m.opts.Recorder == nil:
		m.status = "no journal: " + verb + " on screen only"
		return nil
	}
	return m.record(journal.Entry{
		At:       msg.at,
		Incident: msg.incident.ID,
		Kind:     "runbook.step",
		Summary:  verb + ": " + msg.step,
		Data: mustJSON(map[string]any{
			"runbook": msg.runbook, "file": msg.file, "line": msg.line, "checked": msg.checked,
		}),
	})
}

func (r *runbookScreen) update(msg tea.Msg, now time.Time) (screen, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return r, nil
	}
	r.note = ""
	kb := runbookKeys
	switch {
	case key.Matches(k, kb.Close):
		return nil, nil
	case key.Matches(k, kb.Down):
		r.move(1)
	case key.Matches(k, kb.Up):
		r.move(-1)
	case key.Matches(k, kb.Top):
		r.cursor, r.scroll = 0, 0
		r.reveal()
	case key.Matches(k, kb.Bottom):
		r.cursor = max(0, len(r.items)-1)
		r.scroll = len(r.layout(r.width()).lines)
		r.reveal()
	case key.Matches(k, kb.PageDown):
		r.page(1)
	case key.Matches(k, kb.PageUp):
		r.page(-1)
	case key.Matches(k, kb.Next):
		if n := len(r.set.screens); n > 1 {
			r.set.shown = (r.index + 1) % n
			next := r.set.screens[r.set.shown]
			next.opened = r.opened
			return next, nil
		}
	case key.Matches(k, kb.Tick, kb.Prepare):
		if now.Sub(r.opened) < gracePeriod {
			return r, nil // type-ahead from the main screen
		}
		return r.activate(key.Matches(k, kb.Prepare), now)
	}
	return r, nil
}

// runbookKeyMap is the runbook's keys: the cursor moves over the steps and
// actions, space ticks a step and enter prepares an action.
type runbookKeyMap struct {
	Up, Down, Top, Bottom, PageUp, PageDown key.Binding
	Tick, Prepare, Next, Close, Help        key.Binding
}

var runbookKeys = runbookKeyMap{
	Up:       key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("k/↑", "previous step")),
	Down:     key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("j/↓", "next step")),
	Top:      key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g", "top")),
	Bottom:   key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G", "bottom")),
	PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("pgup", "page up")),
	PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+d"), key.WithHelp("pgdn", "page down")),
	Tick:     key.NewBinding(key.WithKeys("space", " ", "x"), key.WithHelp("space/x", "tick a step")),
	Prepare:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "preview an action (▶)")),
	Next:     key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next runbook")),
	Close:    key.NewBinding(key.WithKeys("esc", "q"), key.WithHelp("esc", "back")),
	Help:     helpKey,
}

// keys are the runbook's keys as they stand: tab only when several
// runbooks apply.
func (r *runbookScreen) keys() help.KeyMap {
	k := runbookKeys
	k.Next.SetEnabled(r.set != nil && len(r.set.screens) > 1)
	return drawnKeys{
		{k.Tick, k.Prepare, k.Next},
		{k.Down, k.Up, k.PageDown, k.PageUp, k.Top, k.Bottom},
		{k.Close, k.Help},
	}
}

// activate is space/x (tick a step) or enter (prepare an action).
func (r *runbookScreen) activate(prepare bool, now time.Time) (screen, tea.Cmd) {
	if len(r.items) == 0 {
		return r, nil
	}
	bi := r.items[r.cursor]
	b := r.rb.Blocks[bi]
	switch {
	case b.Kind == actions.BlockStep && !prepare:
		r.checked[bi] = !r.checked[bi]
		toggled := runbookStepToggled{
			incident: r.incident, runbook: sanitize.Line(r.rb.Title), file: r.rb.File,
			line: b.Line, step: sanitize.Line(b.Text), checked: r.checked[bi], at: now,
		}
		return r, func() tea.Msg { return toggled }
	case b.Kind == actions.BlockStep:
		r.note = "space ticks a step; enter prepares an action (▶)"
	case !prepare:
		r.note = "enter prepares this action; space ticks a step"
	case b.Action == nil:
		r.note = blockActionName(b) + " is not in the catalogue: run sitrep actions check"
	default:
		chosen := actionChosen{name: b.Action.Name, incident: r.incident}
		return r, func() tea.Msg { return chosen }
	}
	return r, nil
}

// move steps the cursor over the items. Past the last item it scrolls on,
// so that prose after it can be read; before the first it scrolls back.
func (r *runbookScreen) move(delta int) {
	next := r.cursor + delta
	if next < 0 || next >= len(r.items) {
		r.scroll += delta
		r.clamp()
		return
	}
	r.cursor = next
	r.reveal()
}

// page scrolls by a page and keeps the cursor on an item in view.
func (r *runbookScreen) page(dir int) {
	lay := r.layout(r.width())
	room := r.bodyRoom()
	r.scroll += dir * max(1, room-1)
	r.clamp()
	if len(r.items) == 0 {
		return
	}
	visible := func(i int) bool {
		sp := lay.spans[i]
		return sp[0] >= r.scroll && sp[1] <= r.scroll+room
	}
	if visible(r.cursor) {
		return
	}
	if dir > 0 {
		for i := r.cursor; i < len(r.items); i++ {
			if visible(i) || lay.spans[i][0] >= r.scroll+room {
				r.cursor = i
				break
			}
		}
	} else {
		for i := r.cursor; i >= 0; i-- {
			if visible(i) || lay.spans[i][1] <= r.scroll {
				r.cursor = i
				break
			}
		}
	}
	if !visible(r.cursor) {
		r.reveal()
	}
}

// reveal scrolls so the item under the cursor is in view, with the prose
// that leads to it when there is room.
func (r *runbookScreen) reveal() {
	if len(r.items) == 0 {
		r.clamp()
		return
	}
	lay := r.layout(r.width())
	room := r.bodyRoom()
	sp, lead := lay.spans[r.cursor], lay.lead[r.cursor]
	switch {
	case sp[1]-sp[0] >= room:
		r.scroll = sp[0]
	case sp[0] < r.scroll:
		r.scroll = max(lead, sp[1]-room)
	case sp[1] > r.scroll+room:
		r.scroll = sp[1] - room
	}
	r.clamp()
}

func (r *runbookScreen) clamp() {
	maxScroll := max(0, len(r.layout(r.width()).lines)-r.bodyRoom())
	r.scroll = max(0, min(r.scroll, maxScroll))
}

func (r *runbookScreen) width() int { return r.lay.width }

// bodyRoom is the body height last drawn; before the first frame, the
// body of an 80×24 terminal.
func (r *runbookScreen) bodyRoom() int {
	if r.room <= 0 {
		return 19
	}
	return r.room
}

// The layout: every body line of the runbook at one width. Prose lines are
// rendered Markdown; item lines are plain text, styled when drawn, since
// the cursor and the ticks change them and not their size.
type runbookLayout struct {
	width int
	lines []runbookLine
	spans [][2]int // per item: its first line and the line after its last
	lead  []int    // per item: where the prose right before it begins
}

type runbookLine struct {
	item int    // index into items; -1 for prose and blank lines
	text string // prose: rendered; step: a wrapped piece of its text
	cont bool   // a continuation of a wrapped step
}

// layout is the layout at width, computed (and the prose rendered) only
// when the width changes.
func (r *runbookScreen) layout(width int) *runbookLayout {
	if r.lay != nil && r.lay.width == width {
		return r.lay
	}
	lay := &runbookLayout{width: width, spans: make([][2]int, len(r.items)), lead: make([]int, len(r.items))}
	textW := max(10, width-runbookGutter)
	md := newRunbookMarkdown(textW)
	item, proseAt := 0, -1
	var prev actions.BlockKind = -1
	for bi, b := range r.rb.Blocks {
		if len(lay.lines) > 0 && !(b.Kind == actions.BlockStep && prev == actions.BlockStep) {
			lay.lines = append(lay.lines, runbookLine{item: -1})
		}
		switch b.Kind {
		case actions.BlockProse:
			proseAt = len(lay.lines)
			text := b.Text
			if bi == 0 {
				text = withoutTitle(text, r.rb.Title)
			}
			for _, l := range renderProse(md, text) {
				lay.lines = append(lay.lines, runbookLine{item: -1, text: l})
			}
		case actions.BlockStep:
			start := len(lay.lines)
			for i, l := range wrap(sanitize.Line(b.Text), max(4, textW-4)) {
				lay.lines = append(lay.lines, runbookLine{item: item, text: l, cont: i > 0})
			}
			lay.spans[item], lay.lead[item] = [2]int{start, len(lay.lines)}, leadOf(prev, proseAt, start, lay, item)
			item++
		case actions.BlockAction:
			start := len(lay.lines)
			lay.lines = append(lay.lines, runbookLine{item: item})
			lay.spans[item], lay.lead[item] = [2]int{start, len(lay.lines)}, leadOf(prev, proseAt, start, lay, item)
			item++
		}
		prev = b.Kind
	}
	r.lay = lay
	return lay
}

// leadOf is where the context of an item begins: the prose right before
// it, or, for a step in a list, the context of the list's first step.
func leadOf(prev actions.BlockKind, proseAt, start int, lay *runbookLayout, item int) int {
	switch prev {
	case actions.BlockProse:
		return proseAt
	case actions.BlockStep:
		if item > 0 {
			return lay.lead[item-1]
		}
	}
	return start
}

// newRunbookMarkdown builds the renderer for one width (markdown.go). Its
// style is fixed, so it never asks the terminal anything.
func newRunbookMarkdown(width int) *markdown {
	return newMarkdown(width)
}

// renderProse renders one prose block without its blank edges; its text
// is stripped of control sequences first.
func renderProse(md *markdown, text string) []string {
	text = strings.ReplaceAll(sanitize.Text(text), "\t", "    ")
	lines := md.render(text)
	blank := func(l string) bool { return strings.TrimSpace(ansi.Strip(l)) == "" }
	for len(lines) > 0 && blank(lines[0]) {
		lines = lines[1:]
	}
	for len(lines) > 0 && blank(lines[len(lines)-1]) {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// withoutTitle drops a first heading that repeats the runbook's title,
// which the header shows already.
func withoutTitle(text, title string) string {
	first, rest, _ := strings.Cut(strings.TrimLeft(text, "\n"), "\n")
	h, ok := strings.CutPrefix(strings.TrimSpace(first), "# ")
	if ok && strings.TrimSpace(strings.TrimRight(h, "# ")) == strings.TrimSpace(title) {
		return rest
	}
	return text
}

var fenceName = regexp.MustCompile(`\b(?:use|name)=([A-Za-z0-9_.-]+)`)

// blockActionName names an action block, even one the catalogue refused.
func blockActionName(b actions.Block) string {
	if b.Action != nil {
		return b.Action.Name
	}
	first, _, _ := strings.Cut(b.Text, "\n")
	if m := fenceName.FindStringSubmatch(first); m != nil {
		return m[1]
	}
	return fmt.Sprintf("the action at line %d", b.Line)
}

// progress counts the steps done.
func (r *runbookScreen) progress() (done, total int) {
	for _, bi := range r.items {
		if r.rb.Blocks[bi].Kind == actions.BlockStep {
			total++
			if r.checked[bi] {
				done++
			}
		}
	}
	return done, total
}

// view draws the header (title and progress; services, file), the body
// scrolled to the cursor, and the keys.
func (r *runbookScreen) view(s Styles, width, height int) string {
	width = max(20, width)
	height = max(4, height)
	head := r.header(s, width)
	room := max(1, height-len(head)-1)
	resized := r.lay == nil || r.lay.width != width || r.room != room
	lay := r.layout(width)
	r.room = room
	if resized {
		r.reveal()
	}
	end := min(len(lay.lines), r.scroll+room)
	body := make([]string, 0, room)
	for _, l := range lay.lines[r.scroll:end] {
		body = append(body, r.line(s, l, width))
	}
	lines := append(head, padLines(strings.Join(body, "\n"), width, room))
	lines = append(lines, r.footer(s, width, len(lay.lines), end))
	return strings.Join(lines, "\n")
}

func (r *runbookScreen) header(s Styles, width int) []string {
	done, total := r.progress()
	prog := fmt.Sprintf("%d/%d steps done", done, total)
	progStyle := s.Dim
	if total > 0 && done == total {
		progStyle = s.OK
	}
	titleW := max(1, width-ansi.StringWidth(prog)-2)
	title := s.Title.Render(fit("Runbook: "+sanitize.Line(r.rb.Title), titleW))
	meta := []string{}
	if len(r.rb.Services) > 0 {
		meta = append(meta, sanitize.Line(strings.Join(r.rb.Services, ", ")))
	}
	meta = append(meta, sanitize.Line(filepath.Base(r.rb.File)), number(r.incident))
	if n := len(r.set.screens); n > 1 {
		meta = append(meta, fmt.Sprintf("runbook %d of %d (tab: next)", r.index+1, n))
	}
	return []string{
		title + "  " + progStyle.Render(prog),
		s.Dim.Render(fit(strings.Join(meta, " · "), width)),
	}
}

// line draws one body line: prose as rendered; a step with its box; an
// action with its name, title and risk. The cursor's item is marked.
func (r *runbookScreen) line(s Styles, l runbookLine, width int) string {
	if l.item < 0 {
		return strings.Repeat(" ", runbookGutter) + l.text
	}
	textW := width - runbookGutter
	mark := "  "
	selected := l.item == r.cursor
	if selected {
		mark = "› "
	}
	bi := r.items[l.item]
	b := r.rb.Blocks[bi]
	if b.Kind == actions.BlockStep {
		box := "[ ] "
		if r.checked[bi] {
			box = "[x] "
		}
		if l.cont {
			box = "    "
		}
		switch {
		case selected:
			return mark + s.Selected.Render(truncate(box+l.text, textW))
		case r.checked[bi]:
			return mark + s.OK.Render(box) + s.Dim.Render(truncate(l.text, textW-4))
		}
		return mark + truncate(box+l.text, textW)
	}
	name := blockActionName(b)
	var title, risk string
	switch {
	case b.Action == nil:
		title = "not in the catalogue (sitrep actions check)"
	default:
		title = sanitize.Line(b.Action.Title)
		if b.Action.Risk != "" {
			risk = " (risk " + b.Action.Risk + ")"
		}
		if r.offered != nil && !r.offered[name] {
			risk += " · not offered for this incident"
		}
	}
	head := "▶ " + name
	// The title gives way first: the name and the risk must stay readable.
	titleW := max(0, textW-ansi.StringWidth(head)-ansi.StringWidth(risk)-3)
	if title != "" && titleW > 1 {
		title = " — " + truncate(title, titleW)
	} else {
		title = ""
	}
	if selected {
		return mark + s.Selected.Render(truncate(head+title+risk, textW))
	}
	var riskText string
	if b.Action != nil {
		riskText = riskStyle(s, b.Action.Risk).Render(risk)
	}
	if b.Action == nil {
		return mark + s.Warn.Render(truncate(head+title, textW))
	}
	return mark + truncate(s.Key.Render(head)+title+riskText, textW)
}

func (r *runbookScreen) footer(s Styles, width, total, end int) string {
	if r.note != "" {
		return s.Warn.Render(fit(r.note, width))
	}
	var keys []string
	if len(r.items) > 0 {
		b := r.rb.Blocks[r.items[r.cursor]]
		if b.Kind == actions.BlockStep {
			keys = append(keys, "space tick")
		} else {
			keys = append(keys, "enter preview "+blockActionName(b))
		}
		keys = append(keys, "j/k move")
	}
	if len(r.set.screens) > 1 {
		keys = append(keys, "tab next runbook")
	}
	keys = append(keys, "esc back")
	hint := strings.Join(keys, " · ")
	var pos string
	if total > r.bodyRoom() {
		pos = fmt.Sprintf(" %d–%d of %d", r.scroll+1, end, total)
	}
	return s.Dim.Render(fit(hint, max(1, width-ansi.StringWidth(pos))) + pos)
}
