package tui

import (
	"strings"

	"sitrep/sources/health"
	"sitrep/sources/sanitize"
)

// Source statuses: each enrichment pane says, above its content, how each
// of its sources fared — ok, no data since …, or error: reason. A source's
// failure is sitrep's own, so it is drawn here and never among the
// service's lines, charts or changes.

// maxReasonLines bounds a reason wrapped in a focused pane.
const maxReasonLines = 4

// statusGroup is statuses in a row that read the same, drawn as one line:
// three queries against a dead server share one error.
type statusGroup struct {
	names []string
	st    health.Status
}

func groupStatuses(statuses []health.Status) []statusGroup {
	var out []statusGroup
	for _, st := range statuses {
		name := sanitize.Line(st.Source)
		if n := len(out); n > 0 && out[n-1].st.State == st.State && out[n-1].st.Text() == st.Text() {
			out[n-1].names = append(out[n-1].names, name)
			continue
		}
		out = append(out, statusGroup{names: []string{name}, st: st})
	}
	return out
}

// allOK says whether every status is ok (and there is one).
func allOK(statuses []health.Status) bool {
	return len(statuses) > 0 && health.Worst(statuses) == health.OK
}

// okSummary is the compact form for a pane whose sources all answered: one
// phrase that fits beside the pane's own status.
func okSummary(s Styles, statuses []health.Status) string {
	names := make([]string, len(statuses))
	for i, st := range statuses {
		names[i] = sanitize.Line(st.Source)
	}
	return s.OK.Render("✓") + " " + strings.Join(names, ", ") + " ok"
}

// sourceStatusLines draws one line per group of statuses: the glyph, the
// sources' names and what they said. Cut to width, or, when full (the
// pane has the focus), the reason wrapped over a few lines so the whole
// of it can be read.
func sourceStatusLines(s Styles, statuses []health.Status, width int, full bool) []string {
	if width <= 0 {
		return nil
	}
	var out []string
	for _, g := range groupStatuses(statuses) {
		glyph, style := s.OK.Render("✓"), s.Dim
		switch g.st.State {
		case health.NoData:
			glyph, style = s.Warn.Render("○"), s.Warn
		case health.Error:
			glyph, style = s.Error.Render("✗"), s.Error
		}
		names := strings.Join(g.names, ", ")
		text := g.st.Text()
		if !full || 2+plainWidth(names)+2+plainWidth(text) <= width {
			// One line: the names cut to leave the reason room.
			if g.st.State != health.OK {
				names = shortLabel(names, max(16, width*2/5))
			}
			out = append(out, truncate(glyph+" "+names+": "+style.Render(text), width))
			continue
		}
		head := glyph + " " + names + ":"
		rows := wrap(text, width-2)
		// The head on a line of its own, the reason indented under it.
		out = append(out, truncate(head, width))
		for i, r := range rows {
			if i == maxReasonLines-1 && len(rows) > maxReasonLines {
				r = strings.TrimRight(r, " ") + " …"
			}
			out = append(out, "  "+style.Render(truncate(r, width-2)))
			if i == maxReasonLines-1 {
				break
			}
		}
	}
	return out
}

// shortLabel cuts a source's label to w cells: a path (file, git) keeps
// its end, where files differ; anything else keeps its start.
func shortLabel(label string, w int) string {
	if plainWidth(label) <= w || w < 8 {
		return label
	}
	kind, rest, ok := strings.Cut(label, " ")
	if ok && strings.Contains(rest, "/") && !strings.Contains(rest, " ") {
		r := []rune(rest)
		keep := w - plainWidth(kind) - 2
		if keep > 0 && keep < len(r) {
			return kind + " …" + string(r[len(r)-keep:])
		}
	}
	return truncate(label, w)
}

// mergeStatuses overlays what a followed stream says of its sources on
// what the last fetch said: the stream's word is the newer for a source
// it follows.
func mergeStatuses(fetched, followed []health.Status) []health.Status {
	if len(followed) == 0 {
		return fetched
	}
	out := append([]health.Status(nil), fetched...)
	for _, f := range followed {
		found := false
		for i := range out {
			if out[i].Source == f.Source {
				found = true
				if !f.At.Before(out[i].At) {
					out[i] = f
				}
			}
		}
		if !found {
			out = append(out, f)
		}
	}
	return out
}
