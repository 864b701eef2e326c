// Package deploys reads what changed around an incident: PagerDuty change
// events, tags and merges in a git repository, and commands that print
// changes as JSON lines.
package deploys

import "time"

// Change is one deploy or other change to a service.
type Change struct {
	ID      string    `json:"id"`
	Source  string    `json:"source"` // pagerduty, git, command
	Service string    `json:"service,omitempty"`
	Summary string    `json:"summary"`
	At      time.Time `json:"at"`
	URL     string    `json:"url,omitempty"`
}
