package tui

import (
	"time"

	tea "charm.land/bubbletea/v2"
)

// A screen takes over the body of the cockpit (between the header and the
// help bar): the action preview and the run view. While a screen is open
// it gets every key and every message the model does not handle itself;
// update returns the screen to keep (nil closes it). A screen reports what
// the engineer decided by returning a Cmd whose message the model handles.
type screen interface {
	update(msg tea.Msg, now time.Time) (screen, tea.Cmd)
	view(s Styles, width, height int) string
}
