package pagerduty

import (
	"sort"
	"strconv"
	"time"

	pd "github.com/PagerDuty/go-pagerduty"

	"sitrep/sources/sanitize"
)

// The conversions below are the only place go-pagerduty's wire structs are
// read. Every string from PagerDuty passes through sanitize here, IDs too:
// an ID is drawn, searched and exported like any other text.

func fromIncident(in pd.Incident) Incident {
	out := Incident{
		ID:               sanitize.Line(in.ID),
		Number:           in.IncidentNumber,
		Title:            sanitize.Line(firstNonEmpty(in.Title, in.Summary)),
		Status:           sanitize.Line(in.Status),
		Urgency:          sanitize.Line(in.Urgency),
		Service:          ref(in.Service),
		EscalationPolicy: ref(in.EscalationPolicy),
		CreatedAt:        parseTime(in.CreatedAt),
		LastChangeAt:     parseTime(in.LastStatusChangeAt),
		HTMLURL:          sanitize.Line(in.HTMLURL),
		AlertCounts:      Counts{All: in.AlertCounts.All, Triggered: in.AlertCounts.Triggered, Resolved: in.AlertCounts.Resolved},
	}
	if in.Priority != nil {
		out.Priority = sanitize.Line(firstNonEmpty(in.Priority.Name, in.Priority.Summary))
	}
	for _, t := range in.Teams {
		out.Teams = append(out.Teams, ref(t))
	}
	for _, a := range in.Assignments {
		out.Assignees = append(out.Assignees, ref(a.Assignee))
	}
	if out.LastChangeAt.IsZero() {
		out.LastChangeAt = out.CreatedAt
	}
	return out
}

func fromAlert(a pd.IncidentAlert) Alert {
	out := Alert{
		ID:        sanitize.Line(a.ID),
		Summary:   sanitize.Line(a.Summary),
		Status:    sanitize.Line(a.Status),
		Severity:  sanitize.Line(a.Severity),
		CreatedAt: parseTime(a.CreatedAt),
	}
	if cef, ok := a.Body["cef_details"].(map[string]any); ok {
		if src, ok := cef["source_origin"].(string); ok {
			out.Source = sanitize.Line(src)
		}
		if out.Severity == "" {
			if sev, ok := cef["severity"].(string); ok {
				out.Severity = sanitize.Line(sev)
			}
		}
	}
	if details, ok := a.Body["details"].(map[string]any); ok && out.Source == "" {
		if src, ok := details["source"].(string); ok {
			out.Source = sanitize.Line(src)
		}
	}
	if details, ok := a.Body["details"].(map[string]any); ok {
		out.Details = scalarFields(details)
	}
	// PagerDuty folds repeats of an open alert into it; the body's
	// occurrences counts them, so a flapping check shows its retries.
	if n, ok := a.Body["occurrences"].(float64); ok && n > 1 && n < 1e9 {
		out.Retries = int(n) - 1
	}
	return out
}

// Limits on an alert's custom details: a monitoring tool may send
// anything, and only short scalar fields are evidence a rule can match.
const (
	maxDetailFields = 64
	maxDetailValue  = 512
)

// scalarFields keeps the string, number and boolean fields of an alert's
// custom details, sanitized and cut to length; nested objects are left
// out (a rule names a top-level field).
func scalarFields(m map[string]any) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if len(out) == maxDetailFields {
			break
		}
		var s string
		switch v := v.(type) {
		case string:
			s = v
		case float64:
			s = strconv.FormatFloat(v, 'f', -1, 64)
		case bool:
			s = strconv.FormatBool(v)
		default:
			continue
		}
		if len(s) > maxDetailValue {
			s = s[:maxDetailValue]
		}
		out[sanitize.Line(k)] = sanitize.Line(s)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func fromLogEntry(e pd.LogEntry) LogEntry {
	agent := ref(pd.APIObject(e.Agent))
	return LogEntry{
		ID:        sanitize.Line(e.ID),
		Type:      sanitize.Line(e.Type),
		Summary:   sanitize.Line(e.Summary),
		At:        parseTime(e.CreatedAt),
		Agent:     agent,
		AgentType: sanitize.Line(e.Agent.Type),
		Channel:   sanitize.Line(e.Channel.Type),
	}
}

func fromNote(n pd.IncidentNote) Note {
	return Note{ID: sanitize.Line(n.ID), Content: sanitize.Text(n.Content), User: ref(n.User), At: parseTime(n.CreatedAt)}
}

func ref(o pd.APIObject) Ref {
	return Ref{ID: sanitize.Line(o.ID), Name: sanitize.Line(o.Summary)}
}

func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// Sort orders incidents as the cockpit lists them: triggered before
// acknowledged before resolved, high urgency first, newest first, and by
// ID to break ties so the order is stable across refreshes.
func Sort(in []Incident) {
	sort.SliceStable(in, func(i, j int) bool {
		a, b := in[i], in[j]
		if ra, rb := statusRank(a.Status), statusRank(b.Status); ra != rb {
			return ra < rb
		}
		if ua, ub := a.Urgency == UrgencyHigh, b.Urgency == UrgencyHigh; ua != ub {
			return ua
		}
		if !a.CreatedAt.Equal(b.CreatedAt) {
			return a.CreatedAt.After(b.CreatedAt)
		}
		return a.ID < b.ID
	})
}

func statusRank(s string) int {
	switch s {
	case StatusTriggered:
		return 0
	case StatusAcknowledged:
		return 1
	}
	return 2
}
