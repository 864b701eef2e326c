package tui

import (
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// fit truncates plain text to w cells with an ellipsis and pads it to w.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	sw := ansi.StringWidth(s)
	if sw > w {
		return ansi.Truncate(s, w, "…")
	}
	return s + strings.Repeat(" ", w-sw)
}

// fitRight is fit, aligned right.
func fitRight(s string, w int) string {
	sw := ansi.StringWidth(s)
	if sw >= w {
		return fit(s, w)
	}
	return strings.Repeat(" ", w-sw) + s
}

// truncate cuts styled text to w cells.
func truncate(s string, w int) string {
	return ansi.Truncate(s, w, "…")
}

// wrap breaks plain text into lines of at most w cells.
func wrap(s string, w int) []string {
	if w <= 0 {
		return nil
	}
	return strings.Split(ansi.Wrap(s, w, " "), "\n")
}

// padLines makes s exactly height lines of exactly width cells, so panes
// stack without wrapping or leaving debris of an earlier frame.
func padLines(s string, width, height int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > height {
		lines = lines[:height]
	}
	for i, line := range lines {
		if w := lipgloss.Width(line); w < width {
			lines[i] = line + strings.Repeat(" ", width-w)
		} else if w > width {
			lines[i] = truncate(line, width)
		}
	}
	for len(lines) < height {
		lines = append(lines, strings.Repeat(" ", width))
	}
	return strings.Join(lines, "\n")
}

// plainWidth is the cells of a string.
func plainWidth(s string) int { return ansi.StringWidth(s) }

// wrapStyled wraps plain text to width and renders each line in st.
func wrapStyled(st interface{ Render(...string) string }, text string, width int) []string {
	var out []string
	for _, l := range wrap(text, width) {
		out = append(out, st.Render(truncate(l, width)))
	}
	return out
}
