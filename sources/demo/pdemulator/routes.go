package pdemulator

import (
	"net/http"
	"slices"
	"strings"
)

// route dispatches an authenticated request. The API is small enough that a
// switch over path segments reads better than a routing table.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	// Snoozes end and escalations happen by the clock; settle them before
	// anyone looks.
	s.mu.Lock()
	s.world.settle(s.now())
	s.mu.Unlock()

	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	get, put, post := r.Method == http.MethodGet, r.Method == http.MethodPut, r.Method == http.MethodPost
	// PagerDuty routes on method and path together: a known path with an
	// unsupported method is simply not found.
	notAllowed := func() { s.notFound(w, r) }
	switch {
	case len(parts) == 2 && parts[0] == "users" && parts[1] == "me":
		if !get {
			notAllowed()
			return
		}
		s.handleCurrentUser(w, r)
	case len(parts) == 1 && parts[0] == "incidents":
		switch {
		case get:
			s.handleListIncidents(w, r)
		case put:
			s.handleManageIncidents(w, r)
		default:
			notAllowed()
		}
	case len(parts) == 2 && parts[0] == "incidents":
		switch {
		case get:
			s.handleGetIncident(w, r, parts[1])
		case put:
			s.handleUpdateIncident(w, r, parts[1])
		default:
			notAllowed()
		}
	case len(parts) == 3 && parts[0] == "incidents":
		id := parts[1]
		switch {
		case parts[2] == "snooze" && post:
			s.handleSnooze(w, r, id)
		case parts[2] == "merge" && put:
			s.handleMerge(w, r, id)
		case parts[2] == "notes" && get:
			s.handleListNotes(w, r, id)
		case parts[2] == "notes" && post:
			s.handleCreateNote(w, r, id)
		case parts[2] == "log_entries" && get:
			s.handleIncidentLogEntries(w, r, id)
		case parts[2] == "alerts" && get:
			s.handleIncidentAlerts(w, r, id)
		case parts[2] == "related_change_events" && get:
			s.handleRelatedChangeEvents(w, r, id)
		case parts[2] == "responder_requests" && post:
			s.handleResponderRequest(w, r, id)
		case parts[2] == "status_updates" && post:
			s.handleStatusUpdate(w, r, id)
		case slices.Contains([]string{"snooze", "merge", "notes", "log_entries", "alerts", "related_change_events", "responder_requests", "status_updates"}, parts[2]):
			notAllowed()
		default:
			s.notFound(w, r)
		}
	case len(parts) == 1 && parts[0] == "users" && get:
		s.handleListUsers(w, r)
	case len(parts) == 2 && parts[0] == "users" && get:
		s.handleGetUser(w, r, parts[1])
	case len(parts) == 2 && parts[0] == "teams" && get:
		s.handleGetTeam(w, r, parts[1])
	case len(parts) == 3 && parts[0] == "teams" && parts[2] == "members" && get:
		s.handleTeamMembers(w, r, parts[1])
	case len(parts) == 2 && parts[0] == "services" && get:
		s.handleGetService(w, r, parts[1])
	case len(parts) == 1 && parts[0] == "escalation_policies" && get:
		s.handleListPolicies(w, r)
	case len(parts) == 1 && parts[0] == "log_entries" && get:
		s.handleLogEntries(w, r)
	case len(parts) == 2 && parts[0] == "log_entries" && get:
		s.handleGetLogEntry(w, r, parts[1])
	case len(parts) == 1 && parts[0] == "change_events" && get:
		s.handleChangeEvents(w, r)
	case len(parts) == 1 && parts[0] == "oncalls" && get:
		s.handleOnCalls(w, r)
	case len(parts) == 2 && parts[0] == "escalation_policies" && get:
		s.handleEscalationPolicy(w, r, parts[1])
	case len(parts) == 1 && parts[0] == "services" && get:
		s.handleServices(w, r)
	case len(parts) == 1 && parts[0] == "teams" && get:
		s.handleTeams(w, r)
	case len(parts) == 1 && parts[0] == "priorities" && get:
		s.handlePriorities(w, r)
	case len(parts) == 3 && parts[0] == "service_dependencies" && parts[1] == "technical_services" && get:
		s.handleServiceDependencies(w, parts[2])
	default:
		s.notFound(w, r)
	}
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotFound, codeNotFound, "Not Found", "no such endpoint: "+r.Method+" "+r.URL.Path)
}
