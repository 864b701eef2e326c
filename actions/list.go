package actions

import (
	"fmt"
	"io"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"sitrep/sources/sanitize"
)

// WriteList writes the catalogue for `sitrep actions ls`: one row per
// action (name, risk, runner, where it is offered, title) in columns as
// wide as their widest cell, then one line per runbook. Every line is cut
// to width when width > 0 (a terminal's); 0 leaves lines whole, for
// scripts. Titles and names from files are outside text: sanitized.
func WriteList(w io.Writer, c *Catalogue, width int) {
	rows := [][]string{{"NAME", "RISK", "RUNNER", "OFFERED FOR", "TITLE"}}
	for _, a := range c.Actions() {
		where := "all services"
		if len(a.Applies.Services) > 0 {
			where = strings.Join(a.Applies.Services, ",")
		}
		envs := "any env"
		if len(a.Applies.Envs) > 0 {
			envs = strings.Join(a.Applies.Envs, ",")
		}
		title := a.Title
		if a.BuiltIn {
			title += " (built in)"
		}
		if a.ReadOnly() {
			title += " (changes nothing)"
		}
		rows = append(rows, []string{a.Name, a.Risk, a.Runner, where + " / " + envs, title})
	}
	cols := len(rows[0])
	widths := make([]int, cols)
	for _, row := range rows {
		for i := range row {
			row[i] = sanitize.Line(row[i])
			widths[i] = max(widths[i], ansi.StringWidth(row[i]))
		}
	}
	for _, row := range rows {
		var b strings.Builder
		for i, cell := range row {
			b.WriteString(cell)
			if i < cols-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-ansi.StringWidth(cell)+2))
			}
		}
		writeCut(w, b.String(), width)
	}
	for _, rb := range c.Runbooks() {
		writeCut(w, sanitize.Line(fmt.Sprintf("runbook: %s (%s) — %s", rb.Title, strings.Join(rb.Services, ","), rb.File)), width)
	}
}

// writeCut writes one line, cut to width display cells when width > 0.
func writeCut(w io.Writer, line string, width int) {
	if width > 0 && ansi.StringWidth(line) > width {
		line = ansi.Truncate(line, width, "…")
	}
	fmt.Fprintln(w, line)
}

// CheckCatalogue is `sitrep actions check`: the catalogue at paths and
// every problem in it, including the actions a guard can never allow,
// sorted by file and line.
func CheckCatalogue(paths ...string) (*Catalogue, []Problem) {
	cat, probs := Load(paths...)
	probs = append(probs, cat.unrunnable...)
	sortProblems(probs)
	return cat, probs
}

// Checked says what a check looked at: "3 actions, 1 runbook; 5 PagerDuty
// operations built in".
func (c *Catalogue) Checked() string {
	builtIn := 0
	for _, a := range c.actions {
		if a.BuiltIn {
			builtIn++
		}
	}
	s := fmt.Sprintf("%d %s, %d %s", c.defs, plural(c.defs, "action"), len(c.runbooks), plural(len(c.runbooks), "runbook"))
	if builtIn > 0 {
		s += fmt.Sprintf("; %d PagerDuty %s built in", builtIn, plural(builtIn, "operation"))
	}
	return s
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
