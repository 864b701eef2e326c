// Package deploys reads what changed around an incident: PagerDuty change
// events, tags and merges in a git repository, and commands that print
// changes as JSON lines.
package deploys

import (
	"path/filepath"
	"strings"
	"time"

	"sitrep/sources/sanitize"
)

// Change is one deploy or other change to a service.
type Change struct {
	ID      string    `json:"id"`
	Source  string    `json:"source"` // pagerduty, git, command
	Service string    `json:"service,omitempty"`
	Summary string    `json:"summary"`
	At      time.Time `json:"at"`
	URL     string    `json:"url,omitempty"`
}

// Label names the source in its status: "git /srv/api".
func (g Git) Label() string { return "git " + sanitize.Line(g.Repo) }

// Label names the source in its status: "command deploys.sh --json".
func (c Command) Label() string {
	if len(c.Argv) == 0 {
		return "command"
	}
	parts := append([]string{filepath.Base(c.Argv[0])}, c.Argv[1:]...)
	return "command " + sanitize.Line(strings.Join(parts, " "))
}

// PagerDutyLabel names PagerDuty's change events in a status.
const PagerDutyLabel = "pagerduty change events"
