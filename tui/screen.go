package tui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"sitrep/actions"
	"sitrep/sources/pagerduty"
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

// Actions is the remediation engine as the cockpit sees it. cmd/sitrep
// hands in one built on actions.Engine; nil means no catalogue.
type Actions interface {
	// For lists the actions that apply to an incident (its service and
	// environment), for the palette.
	For(in pagerduty.Incident) []*actions.Action
	// Prepare renders an action for an incident: the exact argv or
	// request, blast radius and guard verdict. It may do I/O (ansible's
	// --list-hosts), so it runs in a Cmd.
	Prepare(ctx context.Context, name string, params map[string]string, in pagerduty.Incident) (*actions.Plan, error)
	// Parse reads a command line (":runbook restart_service --env=prod").
	Parse(line string) (actions.Command, error)
	// Complete offers completions for a partial command line.
	Complete(line string) []string
	// Effect measures the incident's service metrics around a run ("did it
	// help?"); nil when no metrics are configured.
	Effect(in pagerduty.Incident) EffectProbe
	// Runbooks are the markdown runbooks for the incident's service.
	Runbooks(in pagerduty.Incident) []*actions.Runbook
}

// EffectProbe measures metrics in a window before a run and, once the run
// is done, the same window after it.
type EffectProbe interface {
	Before(ctx context.Context, at time.Time) error
	After(ctx context.Context, done time.Time) ([]actions.MetricChange, error)
	// ReadyAt is when the after-window closes for a run done at done.
	ReadyAt(done time.Time) time.Time
}
