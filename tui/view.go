package tui

import (
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// Layout: a header line (and the filter line while filtering), the list,
// the detail of the selected incident, and the help bar. At 24 rows the
// list keeps eight rows and the detail the rest.

func (m *Model) showFilterLine() bool {
	return m.filter.Focused() || m.filter.Value() != ""
}

func (m *Model) bodyHeight() int {
	h := m.height - 2 // header and help bar
	if m.autoBannerShown() {
		h--
	}
	if m.showFilterLine() {
		h--
	}
	return max(2, h)
}

func (m *Model) listHeight() int {
	if m.detail.focused {
		return 0
	}
	return max(1, min(m.list.len(), m.bodyHeight()*2/5))
}

// View draws the screen; it is a pure function of the model.
func (m Model) View() tea.View {
	// The last line of defence: a secret that reached the model by a path
	// errText did not see is still masked by value before it is drawn.
	v := tea.NewView(m.opts.Secrets.RedactValues(m.render()))
	v.AltScreen = true
	v.WindowTitle = "sitrep"
	return v
}

func (m Model) render() string {
	width := max(20, m.width)
	parts := []string{m.header(width)}
	if m.showFilterLine() {
		parts = append(parts, fit(m.filter.View(), width))
	}
	if m.autoBannerShown() {
		parts = append(parts, m.autoBanner(width))
	}
	body := m.bodyHeight()
	if m.screen != nil {
		parts = append(parts, padLines(m.screen.view(m.styles, width, body), width, body))
	} else if m.detail.focused {
		parts = append(parts, m.detailPane(width, body))
	} else {
		lh := m.listHeight()
		parts = append(parts, m.list.view(m.styles, width, lh, m.now, !m.detail.focused))
		if rest := body - lh - 1; rest > 0 {
			parts = append(parts, m.styles.Dim.Render(strings.Repeat("─", width)))
			parts = append(parts, m.detailPane(width, rest))
		}
	}
	parts = append(parts, m.footer(width))
	screen := strings.Join(parts, "\n")
	if m.dialog != nil {
		screen = m.overlay(screen, m.dialog.view(m.styles, width), width)
	}
	return screen
}

func (m *Model) detailPane(width, height int) string {
	in, ok := m.list.selected()
	if !ok {
		return padLines("", width, height)
	}
	if m.enrichTabVisible() {
		return m.enrichPane(in, width, height)
	}
	st := m.details[in.ID]
	st.pendingNotes = m.pendingNotes(in.ID)
	st.next.on = m.opts.EscalationPolicies != nil
	st.upstream = m.upstreamOf(in)
	st.triage = m.triage[in.ID].result
	st.related = m.relatedLines(in, width)
	return m.detail.view(m.styles, in, st, width, height, m.now)
}

func (m *Model) header(width int) string {
	s := m.styles
	left := s.Header.Render("sitrep") + " " + s.TabActive.Render(m.scope.String())
	counts := m.list.counts
	left += " " + s.Triggered.Render(fmt.Sprintf("%d triggered", counts["triggered"])) +
		" " + s.Acknowledged.Render(fmt.Sprintf("%d acknowledged", counts["acknowledged"]))
	if m.urgency != "" {
		left += " " + s.Warn.Render("["+m.urgency+" only]")
	}
	if m.opts.ReadOnly {
		left += " " + s.Warn.Render("[read-only]")
	}
	left += m.autoBadge()
	left += m.outboxBadges()
	left += m.selectionBadge()
	left += m.approvalBadges()
	var right string
	switch {
	case m.lastRefresh.IsZero() && m.loadingCache:
		right = s.Dim.Render("loading cached incidents…")
	case m.lastRefresh.IsZero() && m.refreshing:
		right = s.Dim.Render("loading…")
	case m.lastRefresh.IsZero():
		right = s.Dim.Render("never updated")
	default:
		right = s.Dim.Render("updated " + ago(m.now, m.lastRefresh))
		if m.stale {
			right = s.Warn.Render("cached, updated " + ago(m.now, m.lastRefresh))
		}
	}
	if m.lastErr != "" {
		room := width - lipgloss.Width(left) - lipgloss.Width(right) - 3
		if room > 10 {
			right = s.Error.Render(truncate("⚠ "+m.lastErr, room)) + " " + right
		}
	}
	gap := width - lipgloss.Width(left) - lipgloss.Width(right)
	if gap < 1 {
		return truncate(left+" "+right, width)
	}
	return left + strings.Repeat(" ", gap) + right
}

func (m *Model) footer(width int) string {
	if m.status != "" {
		return fit(m.status, width)
	}
	if m.lastErr != "" && (m.screen != nil && m.shownJournal() == nil || lipgloss.Width(m.lastErr) > width/2) {
		// Too long for the header, or over a screen that takes the whole
		// body: the whole error goes here, where the person who must act
		// on it can read it.
		return m.styles.Error.Render(fit("⚠ "+m.lastErr, width))
	}
	// The keys of whatever is on top: a dialog's, a screen's, the list's.
	keys := m.help.View(m.topKeys())
	if keys == "" {
		return fit("", width) // nothing to press but the answer drawn above
	}
	return truncate(keys, width)
}

// overlay draws a dialog centred over the screen.
func (m *Model) overlay(screen, box string, width int) string {
	height := max(1, m.height)
	if lipgloss.Height(box) > height {
		// A dialog taller than the terminal keeps its top, where the
		// question is.
		box = strings.Join(strings.Split(box, "\n")[:height], "\n")
	}
	if lipgloss.Width(box) > width {
		lines := strings.Split(box, "\n")
		for i, l := range lines {
			lines[i] = ansi.Truncate(l, width, "")
		}
		box = strings.Join(lines, "\n")
	}
	x := max(0, (width-lipgloss.Width(box))/2)
	y := max(0, (height-lipgloss.Height(box))/2)
	return lipgloss.NewCompositor(
		lipgloss.NewLayer(screen),
		lipgloss.NewLayer(box).X(x).Y(y).Z(1),
	).Render()
}

func ago(now, t time.Time) string {
	return age(now, t) + " ago"
}
