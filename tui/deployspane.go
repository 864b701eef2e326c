package tui

import (
	"fmt"
	"strings"
	"time"

	"sitrep/sources/deploys"
	"sitrep/sources/sanitize"
)

// likelyGlyph marks a change flagged as a likely cause; the words
// "likely cause" follow it, so it reads without colour.
const likelyGlyph = "⚑"

// renderDeploys lists the changes around an incident that started at
// start, one entry per change in the order given (deploys.LikelyCause's:
// the suspects first, nearest first): the time relative to the start,
// source, service, summary, and the link at the end of the row when it
// fits or on a dim line under it. A change flagged Likely is marked ⚑ and
// says "likely cause". Entries that do not fit are counted on the last
// line.
func renderDeploys(s Styles, flagged []deploys.Flagged, start time.Time, width, height int, now time.Time) string {
	if height <= 0 || width <= 0 {
		return ""
	}
	if len(flagged) == 0 {
		return padLines(s.Dim.Render(fit("No changes found around the start.", width)), width, height)
	}
	likely := 0
	for _, f := range flagged {
		if f.Likely {
			likely++
		}
	}
	head := fmt.Sprintf("%d changes", len(flagged))
	if len(flagged) == 1 {
		head = "1 change"
	}
	if !start.IsZero() {
		head += fmt.Sprintf(" around the start at %s UTC (%s ago)", start.UTC().Format("15:04"), age(now, start))
	}
	headLine := s.Dim.Render(head)
	if likely > 0 {
		headLine += s.Dim.Render(" · ") + s.Error.Render(fmt.Sprintf("%s %d likely cause", likelyGlyph, likely))
	}
	lines := []string{truncate(headLine, width)}
	cols := deployColumns(width)
	for i, f := range flagged {
		entry := deployEntry(s, f, start, cols, width)
		left := height - len(lines)
		if len(entry) > left || (len(entry) == left && i < len(flagged)-1) {
			// Keep the last line to say what is left out.
			if left > 0 {
				lines = append(lines, s.Dim.Render(fit(fmt.Sprintf("+%d more changes", len(flagged)-i), width)))
			}
			break
		}
		lines = append(lines, entry...)
	}
	return padLines(strings.Join(lines, "\n"), width, height)
}

type deployCols struct {
	offset, source, service int
}

// deployColumns narrows the row for small panes: the service goes first,
// then the source; the summary gets the rest.
func deployColumns(width int) deployCols {
	c := deployCols{offset: 6, source: 10, service: 16}
	if width < 64 {
		c.service = 0
	}
	if width < 44 {
		c.source = 0
	}
	return c
}

// deployEntry is one change: its row, and a second line for the likely
// cause marker and a link that did not fit on the row.
func deployEntry(s Styles, f deploys.Flagged, start time.Time, c deployCols, width int) []string {
	mark := "  "
	if f.Likely {
		mark = s.Error.Render(likelyGlyph) + " "
	}
	row := mark + fitRight(relOffset(f, start), c.offset) + " "
	used := 2 + c.offset + 1
	if c.source > 0 {
		row += s.Dim.Render(fit(sanitize.Line(f.Source), c.source)) + " "
		used += c.source + 1
	}
	if c.service > 0 {
		row += fit(sanitize.Line(f.Service), c.service) + " "
		used += c.service + 1
	}
	summary := sanitize.Line(f.Summary)
	if summary == "" {
		summary = "(no summary)"
	}
	link := sanitize.Line(f.URL)
	avail := max(0, width-used)
	linkOnRow := link != "" && plainWidth(summary)+2+plainWidth(link) <= avail
	if f.Likely {
		summary = s.Header.Render(truncate(summary, avail))
	} else {
		summary = truncate(summary, avail)
	}
	row += summary
	if linkOnRow {
		row += "  " + s.Dim.Render(link)
	}
	lines := []string{truncate(row, width)}
	var second []string
	if f.Likely {
		second = append(second, s.Error.Render("likely cause"))
	}
	if link != "" && !linkOnRow {
		second = append(second, s.Dim.Render(link))
	}
	if len(second) > 0 {
		indent := strings.Repeat(" ", min(used, max(0, width/3)))
		lines = append(lines, truncate(indent+strings.Join(second, s.Dim.Render(" · ")), width))
	}
	return lines
}

// relOffset is when a change happened relative to the incident start:
// "-9m", "+2m", "-1h05m", "0s", or "?" for a change with no time.
func relOffset(f deploys.Flagged, start time.Time) string {
	if f.At.IsZero() {
		return "?"
	}
	d := f.Offset
	if !start.IsZero() {
		d = f.At.Sub(start)
	}
	sign := "+"
	if d < 0 {
		sign, d = "-", -d
	}
	switch {
	case d < time.Second:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%s%ds", sign, int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%s%dm", sign, int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%s%dh%02dm", sign, int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%s%dd", sign, int(d.Hours()/24))
}
