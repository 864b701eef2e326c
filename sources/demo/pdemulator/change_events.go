package pdemulator

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
)

// ChangeEvent is a change (a deploy, a config push) reported to PagerDuty
// for a service.
type ChangeEvent struct {
	ServiceID     string
	Summary       string
	Source        string
	Timestamp     time.Time // zero: the clock's now
	Links         []Link
	CustomDetails map[string]any
}

type changeEvent struct {
	ChangeEvent
	id string
}

// AddChangeEvent records a change event and returns its ID.
func (s *Server) AddChangeEvent(ce ChangeEvent) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.world
	if w.serviceByID[ce.ServiceID] == nil {
		return "", fmt.Errorf("add change event: unknown service %q", ce.ServiceID)
	}
	if strings.TrimSpace(ce.Summary) == "" {
		return "", fmt.Errorf("add change event: summary must not be empty")
	}
	if ce.Timestamp.IsZero() {
		ce.Timestamp = s.now()
	}
	ce.Timestamp = ce.Timestamp.UTC()
	ce.Links = append([]Link(nil), ce.Links...)
	ce.CustomDetails = maps.Clone(ce.CustomDetails)
	c := &changeEvent{ChangeEvent: ce, id: w.newID('C')}
	w.changes = append(w.changes, c)
	return c.id, nil
}

type wireLink struct {
	Href string `json:"href"`
	Text string `json:"text,omitempty"`
}

type correlation struct {
	Reason string `json:"reason"`
}

type wireChangeEvent struct {
	ID                string         `json:"id"`
	Type              string         `json:"type"`
	Summary           string         `json:"summary"`
	Self              string         `json:"self"`
	Timestamp         string         `json:"timestamp"`
	Source            string         `json:"source,omitempty"`
	Services          []ref          `json:"services"`
	Links             []wireLink     `json:"links"`
	CustomDetails     map[string]any `json:"custom_details,omitempty"`
	CorrelationReason *correlation   `json:"correlation_reason,omitempty"`
}

func (l links) changeEvent(w *world, c *changeEvent) wireChangeEvent {
	out := wireChangeEvent{
		ID: c.id, Type: "change_event", Summary: c.Summary, Self: l.self("change_events", c.id),
		Timestamp: formatTime(c.Timestamp), Source: c.Source,
		Services:      []ref{l.serviceRef(w.serviceByID[c.ServiceID])},
		Links:         []wireLink{},
		CustomDetails: c.CustomDetails,
	}
	for _, lk := range c.Links {
		out.Links = append(out.Links, wireLink(lk))
	}
	return out
}

// newestFirst orders change events by time, latest first, as PagerDuty
// lists them; IDs break ties deterministically.
func newestFirst(list []*changeEvent) {
	slices.SortStableFunc(list, func(a, b *changeEvent) int {
		if c := b.Timestamp.Compare(a.Timestamp); c != 0 {
			return c
		}
		return strings.Compare(b.id, a.id)
	})
}

func (s *Server) handleChangeEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, offset, total, err := pageParams(q)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	since, err := timeParam(q, "since")
	if err != nil {
		writeAPIError(w, err)
		return
	}
	until, err := timeParam(q, "until")
	if err != nil {
		writeAPIError(w, err)
		return
	}
	if !since.IsZero() && !until.IsZero() && until.Before(since) {
		writeAPIError(w, invalid("until must not be before since"))
		return
	}
	teamIDs := arrayParam(q, "team_ids")
	s.mu.Lock()
	defer s.mu.Unlock()
	var matched []*changeEvent
	for _, c := range s.world.changes {
		if !since.IsZero() && c.Timestamp.Before(since) {
			continue
		}
		if !until.IsZero() && !c.Timestamp.Before(until) {
			continue
		}
		if len(teamIDs) > 0 && !intersects(s.world.serviceByID[c.ServiceID].TeamIDs, teamIDs) {
			continue
		}
		matched = append(matched, c)
	}
	newestFirst(matched)
	l := s.linksFor(r)
	lo, hi, p := paginate(len(matched), limit, offset, total)
	out := make([]wireChangeEvent, 0, hi-lo)
	for _, c := range matched[lo:hi] {
		out = append(out, l.changeEvent(s.world, c))
	}
	writeJSON(w, http.StatusOK, struct {
		ChangeEvents []wireChangeEvent `json:"change_events"`
		page
	}{out, p})
}

// handleRelatedChangeEvents answers GET /incidents/{id}/related_change_events:
// changes on the incident's service in the RelatedChangeWindow before it
// started, newest first. PagerDuty does not page this endpoint.
func (s *Server) handleRelatedChangeEvents(w http.ResponseWriter, r *http.Request, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, err := s.world.incident(id)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	from := in.createdAt.Add(-s.opts.RelatedChangeWindow)
	var matched []*changeEvent
	for _, c := range s.world.changes {
		if c.ServiceID == in.serviceID && !c.Timestamp.Before(from) && !c.Timestamp.After(in.createdAt) {
			matched = append(matched, c)
		}
	}
	newestFirst(matched)
	l := s.linksFor(r)
	out := make([]wireChangeEvent, 0, len(matched))
	for _, c := range matched {
		wc := l.changeEvent(s.world, c)
		wc.CorrelationReason = &correlation{Reason: "related_service"}
		out = append(out, wc)
	}
	// Not paged, but limit, offset and more are echoed like every list, so
	// a generic paging loop terminates.
	writeJSON(w, http.StatusOK, struct {
		ChangeEvents []wireChangeEvent `json:"change_events"`
		page
	}{out, page{Limit: max(len(out), 1), Offset: 0, More: false}})
}
