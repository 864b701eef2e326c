package pdemulator

import (
	"net/http"
	"strings"
)

type wireUser struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Summary  string `json:"summary"`
	Self     string `json:"self"`
	HTMLURL  string `json:"html_url"`
	Name     string `json:"name"`
	Email    string `json:"email"`
	TimeZone string `json:"time_zone,omitempty"`
	Role     string `json:"role,omitempty"`
	JobTitle string `json:"job_title,omitempty"`
	Teams    []any  `json:"teams,omitempty"`
	// ContactMethods and NotificationRules are present, and empty, only
	// when include[] asks for them.
	ContactMethods    []any `json:"contact_methods,omitempty"`
	NotificationRules []any `json:"notification_rules,omitempty"`
}

func (l links) user(w *world, u *User) wireUser {
	return wireUser{
		ID: u.ID, Type: "user", Summary: u.Name, Self: l.self("users", u.ID), HTMLURL: l.html("users", u.ID),
		Name: u.Name, Email: u.Email, TimeZone: u.TimeZone, Role: u.Role, JobTitle: u.JobTitle,
		Teams: refsAsAny(l.teamRefs(w, u.TeamIDs)),
	}
}

func refsAsAny(refs []ref) []any {
	if refs == nil {
		return nil
	}
	out := make([]any, len(refs))
	for i, r := range refs {
		out[i] = r
	}
	return out
}

type wireTeam struct {
	ID          string `json:"id"`
	Type        string `json:"type"`
	Summary     string `json:"summary"`
	Self        string `json:"self"`
	HTMLURL     string `json:"html_url"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

func (l links) team(t *Team) wireTeam {
	return wireTeam{ID: t.ID, Type: "team", Summary: t.Name, Self: l.self("teams", t.ID), HTMLURL: l.html("teams", t.ID), Name: t.Name, Description: t.Description}
}

type wirePriority struct {
	ID          string `json:"id"`
	Type        string `json:"type"`
	Summary     string `json:"summary"`
	Self        string `json:"self"`
	HTMLURL     string `json:"html_url,omitempty"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Color       string `json:"color,omitempty"`
}

func (l links) priority(p *Priority) wirePriority {
	return wirePriority{ID: p.ID, Type: "priority", Summary: p.Name, Self: l.self("priorities", p.ID), Name: p.Name, Description: p.Description, Color: p.Color}
}

type wireRule struct {
	ID      string `json:"id"`
	Delay   int    `json:"escalation_delay_in_minutes"`
	Targets []ref  `json:"targets"`
}

type wirePolicy struct {
	ID                         string     `json:"id"`
	Type                       string     `json:"type"`
	Summary                    string     `json:"summary"`
	Self                       string     `json:"self"`
	HTMLURL                    string     `json:"html_url"`
	Name                       string     `json:"name"`
	Description                string     `json:"description,omitempty"`
	NumLoops                   int        `json:"num_loops"`
	OnCallHandoffNotifications string     `json:"on_call_handoff_notifications"`
	EscalationRules            []wireRule `json:"escalation_rules"`
	Services                   []any      `json:"services"`
	Teams                      []any      `json:"teams"`
}

func (l links) policy(w *world, p *EscalationPolicy) wirePolicy {
	out := wirePolicy{
		ID: p.ID, Type: "escalation_policy", Summary: p.Name, Self: l.self("escalation_policies", p.ID), HTMLURL: l.html("escalation_policies", p.ID),
		Name: p.Name, Description: p.Description, NumLoops: p.NumLoops, OnCallHandoffNotifications: "if_has_services",
		EscalationRules: []wireRule{}, Services: []any{}, Teams: refsAsAny(l.teamRefs(w, p.TeamIDs)),
	}
	for i, lv := range p.Levels {
		rule := wireRule{ID: p.ID + "-R" + itoa(i+1), Delay: lv.DelayMinutes, Targets: []ref{}}
		for _, id := range lv.UserIDs {
			rule.Targets = append(rule.Targets, l.userRef(w.userByID[id]))
		}
		for _, id := range lv.ScheduleIDs {
			rule.Targets = append(rule.Targets, l.scheduleRef(w.scheduleByID[id]))
		}
		out.EscalationRules = append(out.EscalationRules, rule)
	}
	for _, sv := range w.services {
		if sv.EscalationPolicyID == p.ID {
			out.Services = append(out.Services, l.serviceRef(sv))
		}
	}
	return out
}

type urgencyRule struct {
	Type    string `json:"type"`
	Urgency string `json:"urgency"`
}

type wireService struct {
	ID                     string       `json:"id"`
	Type                   string       `json:"type"`
	Summary                string       `json:"summary"`
	Self                   string       `json:"self"`
	HTMLURL                string       `json:"html_url"`
	Name                   string       `json:"name"`
	Description            string       `json:"description,omitempty"`
	Status                 string       `json:"status"`
	AcknowledgementTimeout int          `json:"acknowledgement_timeout"`
	AlertCreation          string       `json:"alert_creation"`
	LastIncidentTimestamp  string       `json:"last_incident_timestamp,omitempty"`
	EscalationPolicy       any          `json:"escalation_policy"`
	Teams                  []any        `json:"teams"`
	IncidentUrgencyRule    *urgencyRule `json:"incident_urgency_rule,omitempty"`
}

// service renders a service. Its status is derived from its open incidents
// the way PagerDuty does: critical while a high-urgency incident is
// triggered, warning while anything else is open.
func (l links) service(w *world, sv *Service, inc map[string]bool) wireService {
	out := wireService{
		ID: sv.ID, Type: "service", Summary: sv.Name, Self: l.self("services", sv.ID), HTMLURL: l.html("service-directory", sv.ID),
		Name: sv.Name, Description: sv.Description, Status: "active",
		AcknowledgementTimeout: int(sv.AckTimeout.Seconds()), AlertCreation: "create_alerts_and_incidents",
		IncidentUrgencyRule: &urgencyRule{Type: "constant", Urgency: "high"}, Teams: []any{},
	}
	for _, in := range w.incidents {
		if in.serviceID != sv.ID {
			continue
		}
		out.LastIncidentTimestamp = formatTime(in.createdAt)
		switch {
		case in.status == statusTriggered && in.urgency == "high":
			out.Status = "critical"
		case in.status != statusResolved && out.Status == "active":
			out.Status = "warning"
		}
	}
	p := w.policyByID[sv.EscalationPolicyID]
	if inc["escalation_policies"] {
		out.EscalationPolicy = l.policy(w, p)
	} else {
		out.EscalationPolicy = l.policyRef(p)
	}
	for _, id := range sv.TeamIDs {
		t := w.teamByID[id]
		if inc["teams"] {
			out.Teams = append(out.Teams, l.team(t))
		} else {
			out.Teams = append(out.Teams, l.teamRef(t))
		}
	}
	return out
}

func (s *Server) handleCurrentUser(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.world.userByID[s.world.currentUser]
	if id := requestUser(r); id != "" {
		u = s.world.userByID[id] // a user token's owner
	}
	if u == nil {
		// PagerDuty answers /users/me this way for account-level tokens,
		// which have no owner.
		writeError(w, http.StatusBadRequest, codeInvalid, "Invalid Input Provided",
			"this API token belongs to no user; /users/me needs a user token")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": s.linksFor(r).user(s.world, u)})
}

func (s *Server) handleServices(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, offset, total, err := pageParams(q)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	inc, err := includes(q, "escalation_policies", "teams", "integrations", "auto_pause_notifications_parameters")
	if err != nil {
		writeAPIError(w, err)
		return
	}
	teamIDs := arrayParam(q, "team_ids")
	query := strings.ToLower(q.Get("query"))
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.linksFor(r)
	var matched []*Service
	for _, sv := range s.world.services {
		if query != "" && !strings.Contains(strings.ToLower(sv.Name), query) {
			continue
		}
		if len(teamIDs) > 0 && !intersects(sv.TeamIDs, teamIDs) {
			continue
		}
		matched = append(matched, sv)
	}
	lo, hi, p := paginate(len(matched), limit, offset, total)
	out := make([]wireService, 0, hi-lo)
	for _, sv := range matched[lo:hi] {
		out = append(out, l.service(s.world, sv, inc))
	}
	writeJSON(w, http.StatusOK, struct {
		Services []wireService `json:"services"`
		page
	}{out, p})
}

func (s *Server) handleTeams(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, offset, total, err := pageParams(q)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	query := strings.ToLower(q.Get("query"))
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.linksFor(r)
	var matched []*Team
	for _, t := range s.world.teams {
		if query == "" || strings.Contains(strings.ToLower(t.Name), query) {
			matched = append(matched, t)
		}
	}
	lo, hi, p := paginate(len(matched), limit, offset, total)
	out := make([]wireTeam, 0, hi-lo)
	for _, t := range matched[lo:hi] {
		out = append(out, l.team(t))
	}
	writeJSON(w, http.StatusOK, struct {
		Teams []wireTeam `json:"teams"`
		page
	}{out, p})
}

func (s *Server) handlePriorities(w http.ResponseWriter, r *http.Request) {
	limit, offset, total, err := pageParams(r.URL.Query())
	if err != nil {
		writeAPIError(w, err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.linksFor(r)
	lo, hi, p := paginate(len(s.world.priorities), limit, offset, total)
	out := make([]wirePriority, 0, hi-lo)
	for _, pr := range s.world.priorities[lo:hi] {
		out = append(out, l.priority(pr))
	}
	writeJSON(w, http.StatusOK, struct {
		Priorities []wirePriority `json:"priorities"`
		page
	}{out, p})
}

func (s *Server) handleEscalationPolicy(w http.ResponseWriter, r *http.Request, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.world.policyByID[id]
	if p == nil {
		writeAPIError(w, notFound("escalation policy "+id+" does not exist"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"escalation_policy": s.linksFor(r).policy(s.world, p)})
}

func intersects(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}
