package pdemulator

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"time"
)

type alert struct {
	id             string
	incidentID     string
	serviceID      string
	key            string
	details        AlertDetails
	summary        string
	status         string
	createdAt      time.Time
	resolvedAt     time.Time
	occurrences    int
	lastOccurrence time.Time
}

func (w *world) newAlert(in *incident, a AlertDetails, at time.Time) *alert {
	a.Details = maps.Clone(a.Details)
	a.Links = append([]Link(nil), a.Links...)
	return &alert{
		id: w.newID('A'), incidentID: in.id, serviceID: in.serviceID, key: in.key,
		details: a, summary: a.Summary, status: statusTriggered, createdAt: at,
		occurrences: 1, lastOccurrence: at,
	}
}

// AlertInfo is a snapshot of an alert for Go callers.
type AlertInfo struct {
	ID          string
	Key         string
	Summary     string
	Status      string
	Occurrences int
}

// Alerts returns the alerts of an incident, oldest first.
func (s *Server) Alerts(incidentID string) ([]AlertInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, err := s.world.incident(incidentID)
	if err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	out := make([]AlertInfo, 0, len(in.alerts))
	for _, al := range in.alerts {
		out = append(out, AlertInfo{ID: al.id, Key: al.key, Summary: al.summary, Status: al.status, Occurrences: al.occurrences})
	}
	return out, nil
}

type wireContext struct {
	Type string `json:"type"`
	Href string `json:"href,omitempty"`
	Text string `json:"text,omitempty"`
}

// wireAlertBody carries the event's payload. occurrences and
// last_occurrence_at are the emulator's way to show repeated events: they
// sit in the body because go-pagerduty exposes the body as a map.
type wireAlertBody struct {
	Type             string         `json:"type"`
	Contexts         []wireContext  `json:"contexts"`
	Details          map[string]any `json:"details,omitempty"`
	CEFDetails       map[string]any `json:"cef_details"`
	Occurrences      int            `json:"occurrences"`
	LastOccurrenceAt string         `json:"last_occurrence_at"`
}

type wireAlert struct {
	ID         string        `json:"id"`
	Type       string        `json:"type"`
	Summary    string        `json:"summary"`
	Self       string        `json:"self"`
	HTMLURL    string        `json:"html_url"`
	CreatedAt  string        `json:"created_at"`
	ResolvedAt string        `json:"resolved_at,omitempty"`
	Status     string        `json:"status"`
	AlertKey   string        `json:"alert_key"`
	Service    ref           `json:"service"`
	Incident   ref           `json:"incident"`
	Suppressed bool          `json:"suppressed"`
	Severity   string        `json:"severity"`
	Body       wireAlertBody `json:"body"`
}

func (l links) alert(w *world, al *alert) wireAlert {
	d := al.details
	cef := map[string]any{"message": d.Summary, "severity": d.Severity}
	for k, v := range map[string]string{"source_origin": d.Source, "source_component": d.Component, "event_class": d.Class, "service_group": d.Group} {
		if v != "" {
			cef[k] = v
		}
	}
	body := wireAlertBody{
		Type: "alert_body", Contexts: []wireContext{}, Details: maps.Clone(d.Details), CEFDetails: cef,
		Occurrences: al.occurrences, LastOccurrenceAt: formatTime(al.lastOccurrence),
	}
	for _, lk := range d.Links {
		body.Contexts = append(body.Contexts, wireContext{Type: "link", Href: lk.Href, Text: lk.Text})
	}
	return wireAlert{
		ID: al.id, Type: "alert", Summary: al.summary,
		Self:      l.self("incidents", al.incidentID, "alerts", al.id),
		HTMLURL:   l.html("alerts", al.id),
		CreatedAt: formatTime(al.createdAt), ResolvedAt: formatTime(al.resolvedAt),
		Status: al.status, AlertKey: al.key,
		Service:  l.serviceRef(w.serviceByID[al.serviceID]),
		Incident: l.incidentRef(w.incidentByID[al.incidentID]),
		Severity: d.Severity, Body: body,
	}
}

func (s *Server) handleIncidentAlerts(w http.ResponseWriter, r *http.Request, id string) {
	q := r.URL.Query()
	limit, offset, total, err := pageParams(q)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	statuses, err := enumArrayParam(q, "statuses", statusTriggered, statusResolved)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	if _, err := includes(q, "services", "first_trigger_log_entries", "incidents"); err != nil {
		writeAPIError(w, err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	in, err := s.world.incident(id)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	var matched []*alert
	for _, al := range in.alerts {
		if len(statuses) == 0 || slices.Contains(statuses, al.status) {
			matched = append(matched, al)
		}
	}
	l := s.linksFor(r)
	lo, hi, p := paginate(len(matched), limit, offset, total)
	out := make([]wireAlert, 0, hi-lo)
	for _, al := range matched[lo:hi] {
		out = append(out, l.alert(s.world, al))
	}
	writeJSON(w, http.StatusOK, struct {
		Alerts []wireAlert `json:"alerts"`
		page
	}{out, p})
}
