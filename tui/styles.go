package tui

import (
	"charm.land/lipgloss/v2"
)

// Styles is every style sitrep draws with, built in one place. Colours are
// the terminal's own ANSI palette where possible, so they follow the user's
// theme on light and dark backgrounds alike; the few greys are picked per
// background. NO_COLOR is honoured by Bubble Tea's colour profile, which
// drops colours at output and keeps bold and reverse, so nothing here
// depends on colour alone: statuses carry a glyph and a word too.
type Styles struct {
	Title     lipgloss.Style
	Header    lipgloss.Style
	Dim       lipgloss.Style
	Error     lipgloss.Style
	Warn      lipgloss.Style
	OK        lipgloss.Style
	Selected  lipgloss.Style
	Label     lipgloss.Style
	Section   lipgloss.Style
	TabActive lipgloss.Style
	Tab       lipgloss.Style
	Dialog    lipgloss.Style
	Key       lipgloss.Style

	Triggered    lipgloss.Style
	Acknowledged lipgloss.Style
	Resolved     lipgloss.Style
	High         lipgloss.Style
	Low          lipgloss.Style
}

// NewStyles builds the styles for a dark or light background.
func NewStyles(isDark bool) Styles {
	pick := lipgloss.LightDark(isDark)
	grey := pick(lipgloss.Color("243"), lipgloss.Color("245"))
	selBg := pick(lipgloss.Color("254"), lipgloss.Color("236"))
	red, yellow, green, blue := lipgloss.Color("1"), lipgloss.Color("3"), lipgloss.Color("2"), lipgloss.Color("4")
	return Styles{
		Title:        lipgloss.NewStyle().Bold(true),
		Header:       lipgloss.NewStyle().Bold(true),
		Dim:          lipgloss.NewStyle().Foreground(grey),
		Error:        lipgloss.NewStyle().Foreground(red).Bold(true),
		Warn:         lipgloss.NewStyle().Foreground(yellow),
		OK:           lipgloss.NewStyle().Foreground(green),
		Selected:     lipgloss.NewStyle().Background(selBg).Bold(true),
		Label:        lipgloss.NewStyle().Foreground(grey),
		Section:      lipgloss.NewStyle().Bold(true).Underline(true),
		TabActive:    lipgloss.NewStyle().Bold(true).Reverse(true).Padding(0, 1),
		Tab:          lipgloss.NewStyle().Foreground(grey).Padding(0, 1),
		Dialog:       lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(blue).Padding(0, 1),
		Key:          lipgloss.NewStyle().Bold(true),
		Triggered:    lipgloss.NewStyle().Foreground(red).Bold(true),
		Acknowledged: lipgloss.NewStyle().Foreground(yellow),
		Resolved:     lipgloss.NewStyle().Foreground(green),
		High:         lipgloss.NewStyle().Foreground(red),
		Low:          lipgloss.NewStyle().Foreground(grey),
	}
}

// status returns the glyph and style of an incident status. The glyph keeps
// the status readable without colour.
func (s Styles) status(status string) (string, lipgloss.Style) {
	switch status {
	case "triggered":
		return "●", s.Triggered
	case "acknowledged":
		return "◐", s.Acknowledged
	case "resolved":
		return "✓", s.Resolved
	}
	return "?", s.Dim
}

func (s Styles) urgency(u string) lipgloss.Style {
	if u == "high" {
		return s.High
	}
	return s.Low
}
