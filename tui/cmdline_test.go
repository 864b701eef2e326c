package tui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
)

// TestRefusedCommandKeepsTheLine: a : line that parses but whose action is
// refused when it is prepared (here a value that fails its pattern) keeps
// the command line open with the reason under it, as an unknown action
// does, rather than closing it and flashing the reason in the header.
func TestRefusedCommandKeepsTheLine(t *testing.T) {
	hn := newActHarness(t, 80, 24, false, nil)
	hn.press(":")
	hn.wait()
	hn.typeText("runbook flush_cache --region=EU")
	hn.press("enter")
	hn.deliverUntil("the preparation's answer", func(msg tea.Msg) bool { _, ok := msg.(actionPrepared); return ok })
	c, ok := hn.m.dialog.(*commandLine)
	if !ok {
		t.Fatalf("the refused line closed the command line:\n%s", hn.screen())
	}
	screen := hn.screen()
	if c.err == "" || !strings.Contains(screen, "✗") || !strings.Contains(screen, "region") {
		t.Errorf("the command line does not say why it was refused (err %q):\n%s", c.err, screen)
	}
	if hn.m.lastErr != "" {
		t.Errorf("the reason is in the header too: %q", hn.m.lastErr)
	}
	if got := c.input.Value(); got != "runbook flush_cache --region=EU" {
		t.Errorf("the line to fix is %q", got)
	}

	// Fixed, the same line prepares the action and the preview replaces it.
	hn.wait()
	hn.press("backspace", "backspace")
	hn.typeText("eu-2")
	if c.err != "" {
		t.Errorf("the reason stayed after the line changed: %q", c.err)
	}
	hn.press("enter")
	hn.until("the preview", func() bool { _, ok := hn.m.screen.(*previewScreen); return ok })
	if hn.m.dialog != nil {
		t.Errorf("the command line stayed over the preview:\n%s", hn.screen())
	}
}
