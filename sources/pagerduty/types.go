package pagerduty

import (
	"fmt"
	"strings"
	"time"
)

// The incident model the rest of sitrep sees. It is flattened from
// go-pagerduty's wire structs so that the TUI, the journal and the export
// never depend on the client library, and every string in it has already
// been through sanitize.Text by the feed.

// Incident statuses and urgencies, as PagerDuty spells them.
const (
	StatusTriggered    = "triggered"
	StatusAcknowledged = "acknowledged"
	StatusResolved     = "resolved"

	UrgencyHigh = "high"
	UrgencyLow  = "low"
)

// Ref names a PagerDuty object (user, service, team, escalation policy).
type Ref struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Incident is one row of the incident list.
type Incident struct {
	ID               string    `json:"id"`
	Number           uint      `json:"number"`
	Title            string    `json:"title"`
	Status           string    `json:"status"`
	Urgency          string    `json:"urgency"`
	Priority         string    `json:"priority,omitempty"`
	Service          Ref       `json:"service"`
	Teams            []Ref     `json:"teams,omitempty"`
	Assignees        []Ref     `json:"assignees,omitempty"`
	EscalationPolicy Ref       `json:"escalation_policy"`
	CreatedAt        time.Time `json:"created_at"`
	LastChangeAt     time.Time `json:"last_status_change_at"`
	HTMLURL          string    `json:"html_url,omitempty"`
	AlertCounts      Counts    `json:"alert_counts"`
}

// Counts are an incident's alert counts.
type Counts struct {
	All       uint `json:"all"`
	Triggered uint `json:"triggered"`
	Resolved  uint `json:"resolved"`
}

// Detail is what the detail view shows beyond the list row; it is fetched
// only for the selected incident.
type Detail struct {
	Incident   Incident   `json:"incident"`
	Alerts     []Alert    `json:"alerts,omitempty"`
	LogEntries []LogEntry `json:"log_entries,omitempty"`
	Notes      []Note     `json:"notes,omitempty"`
	OnCall     []OnCall   `json:"on_call,omitempty"`
}

// Alert is one alert grouped into an incident.
type Alert struct {
	ID        string    `json:"id"`
	Summary   string    `json:"summary"`
	Status    string    `json:"status"`
	Severity  string    `json:"severity,omitempty"`
	Source    string    `json:"source,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// Retries counts how often the same alert key fired again while open
	// (a flapping check shows up here).
	Retries int `json:"retries,omitempty"`
	// Details are the scalar fields of the alert body's custom details
	// (what the monitoring tool sent), sanitized, for triage rules.
	Details map[string]string `json:"details,omitempty"`
}

// LogEntry is one line of an incident's PagerDuty timeline.
type LogEntry struct {
	ID      string    `json:"id"`
	Type    string    `json:"type"` // e.g. acknowledge_log_entry
	Summary string    `json:"summary"`
	At      time.Time `json:"created_at"`
	Agent   Ref       `json:"agent"`
	// AgentType is PagerDuty's type of the agent: user_reference,
	// service_reference, ... A service triggering or assigning is not a
	// responder.
	AgentType string `json:"agent_type,omitempty"`
	Channel   string `json:"channel,omitempty"`
}

// Note is a note on an incident.
type Note struct {
	ID      string    `json:"id"`
	Content string    `json:"content"`
	User    Ref       `json:"user"`
	At      time.Time `json:"created_at"`
}

// OnCall is who is on call at one level of the incident's escalation policy.
type OnCall struct {
	Level int `json:"level"`
	User  Ref `json:"user"`
}

// Version changes whenever what the list shows of an incident changes
// (status, urgency, assignees, alert counts). PagerDuty's timestamps have a
// one-second grain, so a timestamp alone can miss a change.
func (in Incident) Version() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%s|%s|%s|%d/%d", in.Status, in.Urgency, in.Priority, in.LastChangeAt.Format(time.RFC3339Nano), in.AlertCounts.All, in.AlertCounts.Triggered)
	for _, a := range in.Assignees {
		b.WriteString("|" + a.ID)
	}
	return b.String()
}
