package tui

import (
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"sitrep/sources/pagerduty"
	"sitrep/sources/sanitize"
)

// commandLine is :, the ChatOps form of the palette:
// "runbook restart_service --env=prod --service=payment-gateway". tab
// completes; enter parses, and a mistake (an unknown action or parameter,
// with the closest name) is shown while the line stays open for fixing.
// A parsed line only prepares the action, and the line stays open until
// the preview replaces it: a preparation that is refused (a value that
// fails its pattern, an action not offered here) is a mistake of the line
// too, shown under it in the same way.
type commandLine struct {
	incident pagerduty.Incident
	acts     Actions
	input    textinput.Model
	err      string
	choices  []string // the last tab's candidates, when more than one
	// preparing is the preparation the line asked for last (prepareSeq);
	// only its answer closes the line or is shown under it.
	preparing uint64
}

// answers says whether a preparation's answer is to the line's request.
func (c *commandLine) answers(id uint64) bool { return id != 0 && c.preparing == id }

// refused shows why the prepared line was refused, for fixing.
func (c *commandLine) refused(why string) {
	c.err, c.choices, c.preparing = sanitize.Line(why), nil, 0
}

func newCommandLine(in pagerduty.Incident, acts Actions, width int) *commandLine {
	ti := textinput.New()
	ti.Prompt = ":"
	ti.Placeholder = "runbook ACTION --param=value"
	ti.CharLimit = 500
	ti.SetWidth(max(10, min(width-10, 90)))
	ti.Focus()
	return &commandLine{incident: in, acts: acts, input: ti}
}

func (c *commandLine) key(msg tea.KeyPressMsg, _ time.Time) (dialog, any) {
	k := cmdlineKeys
	switch {
	case key.Matches(msg, k.Close):
		return nil, nil
	case key.Matches(msg, k.Complete):
		c.complete()
		return c, nil
	case c.input.Value() == "" && key.Matches(msg, k.Help):
		return newHelpDialog(c.keys(), c), nil
	case key.Matches(msg, k.Prepare):
		line := strings.TrimSpace(c.input.Value())
		if line == "" {
			return nil, nil
		}
		cmd, err := c.acts.Parse(line)
		if err != nil {
			c.err = sanitize.Line(err.Error())
			c.choices = nil
			return c, nil
		}
		c.err, c.choices = "", nil
		return c, actionChosen{name: cmd.Action, params: cmd.Params, incident: c.incident}
	}
	var cmd tea.Cmd
	before := c.input.Value()
	c.input, cmd = c.input.Update(msg)
	if c.input.Value() != before {
		c.err, c.choices = "", nil
	}
	return c, dialogCmd{cmd: cmd}
}

// cmdlineKeys are the command line's keys; every other key edits the line.
var cmdlineKeys = struct{ Complete, Prepare, Close, Help key.Binding }{
	Complete: key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "complete")),
	Prepare:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "preview")),
	Close:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "close")),
	Help:     key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "keys (on an empty line)")),
}

// keys are the command line's keys; ? shows them only on an empty line,
// where it cannot be part of a command.
func (c *commandLine) keys() help.KeyMap {
	k := cmdlineKeys
	k.Help.SetEnabled(c.input.Value() == "")
	return keyGroups{{k.Complete, k.Prepare, k.Close, k.Help}}
}

// complete replaces the word being typed by its completion, or by the
// candidates' common prefix and lists them.
func (c *commandLine) complete() {
	line := c.input.Value()
	cands := c.acts.Complete(line)
	c.choices = nil
	if len(cands) == 0 {
		return
	}
	start := strings.LastIndexAny(line, " \t") + 1
	word := line[start:]
	repl := cands[0]
	if len(cands) > 1 {
		repl = commonPrefix(cands)
		c.choices = cands
	} else if !strings.HasSuffix(repl, "=") {
		repl += " "
	}
	if len(repl) < len(word) {
		return
	}
	c.input.SetValue(line[:start] + repl)
	c.input.CursorEnd()
}

func commonPrefix(list []string) string {
	p := list[0]
	for _, s := range list[1:] {
		for !strings.HasPrefix(s, p) {
			p = p[:len(p)-1]
		}
	}
	return p
}

func (c *commandLine) view(s Styles, width int) string {
	w := max(20, min(width-4, 96))
	ti := c.input
	ti.SetWidth(max(10, w-2))
	lines := []string{s.Title.Render(truncate("Command for "+number(c.incident)+" "+sanitize.Line(c.incident.Service.Name), w)),
		truncate(ti.View(), w)}
	if c.err != "" {
		for _, l := range wrap("✗ "+c.err, w) {
			lines = append(lines, s.Error.Render(truncate(l, w)))
		}
	}
	if len(c.choices) > 0 {
		lines = append(lines, s.Dim.Render(truncate(strings.Join(c.choices, "  "), w)))
	}
	lines = append(lines, s.Dim.Render(truncate("tab complete · enter preview · esc close", w)))
	return s.Dialog.Width(w + 4).Render(strings.Join(lines, "\n"))
}
