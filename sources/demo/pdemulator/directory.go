package pdemulator

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// The directory: users, a team and its members, a service and the list of
// escalation policies. sitrep reads little of it, but other PagerDuty
// clients start here (who am I among the users, which teams do I watch), so
// these answer in PagerDuty's shapes with its filters and includes.

var userIncludes = []string{"contact_methods", "notification_rules", "teams", "subdomains"}

// userWith renders a user; include[]=teams expands the team references into
// teams. The world keeps no contact methods or notification rules, so those
// includes add empty lists.
func (l links) userWith(w *world, u *User, inc map[string]bool) wireUser {
	out := l.user(w, u)
	if inc["teams"] {
		out.Teams = nil
		for _, id := range u.TeamIDs {
			out.Teams = append(out.Teams, l.team(w.teamByID[id]))
		}
	}
	if inc["contact_methods"] {
		out.ContactMethods = []any{}
	}
	if inc["notification_rules"] {
		out.NotificationRules = []any{}
	}
	return out
}

func (s *Server) handleListUsers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, offset, total, err := pageParams(q)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	inc, err := includes(q, userIncludes...)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	teamIDs := arrayParam(q, "team_ids")
	query := strings.ToLower(q.Get("query"))
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.linksFor(r)
	var matched []*User
	for _, u := range s.world.users {
		// PagerDuty matches the query against names and email addresses.
		if query != "" && !strings.Contains(strings.ToLower(u.Name), query) && !strings.Contains(strings.ToLower(u.Email), query) {
			continue
		}
		if len(teamIDs) > 0 && !intersects(u.TeamIDs, teamIDs) {
			continue
		}
		matched = append(matched, u)
	}
	lo, hi, p := paginate(len(matched), limit, offset, total)
	out := make([]wireUser, 0, hi-lo)
	for _, u := range matched[lo:hi] {
		out = append(out, l.userWith(s.world, u, inc))
	}
	writeJSON(w, http.StatusOK, struct {
		Users []wireUser `json:"users"`
		page
	}{out, p})
}

func (s *Server) handleGetUser(w http.ResponseWriter, r *http.Request, id string) {
	inc, err := includes(r.URL.Query(), append(slices.Clone(userIncludes), "calendar_urls")...)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.world.userByID[id]
	if u == nil {
		writeAPIError(w, notFound("user "+id+" does not exist"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": s.linksFor(r).userWith(s.world, u, inc)})
}

func (s *Server) handleGetTeam(w http.ResponseWriter, r *http.Request, id string) {
	if _, err := includes(r.URL.Query(), "privileges"); err != nil {
		writeAPIError(w, err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.world.teamByID[id]
	if t == nil {
		writeAPIError(w, notFound("team "+id+" does not exist"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"team": s.linksFor(r).team(t)})
}

// teamRole is every member's role: the world does not model team managers,
// and "responder" is PagerDuty's default for a member added to a team.
const teamRole = "responder"

type wireMember struct {
	User any    `json:"user"`
	Role string `json:"role"`
}

// handleTeamMembers lists a team's users in the order they were added;
// include[]=users expands each reference into the user.
func (s *Server) handleTeamMembers(w http.ResponseWriter, r *http.Request, id string) {
	q := r.URL.Query()
	limit, offset, total, err := pageParams(q)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	inc, err := includes(q, "users")
	if err != nil {
		writeAPIError(w, err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.world.teamByID[id] == nil {
		writeAPIError(w, notFound("team "+id+" does not exist"))
		return
	}
	var members []*User
	for _, u := range s.world.users {
		if slices.Contains(u.TeamIDs, id) {
			members = append(members, u)
		}
	}
	l := s.linksFor(r)
	lo, hi, p := paginate(len(members), limit, offset, total)
	out := make([]wireMember, 0, hi-lo)
	for _, u := range members[lo:hi] {
		var who any = l.userRef(u)
		if inc["users"] {
			who = l.user(s.world, u)
		}
		out = append(out, wireMember{User: who, Role: teamRole})
	}
	writeJSON(w, http.StatusOK, struct {
		Members []wireMember `json:"members"`
		page
	}{out, p})
}

func (s *Server) handleGetService(w http.ResponseWriter, r *http.Request, id string) {
	inc, err := includes(r.URL.Query(), "escalation_policies", "teams", "integrations", "auto_pause_notifications_parameters")
	if err != nil {
		writeAPIError(w, err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sv := s.world.serviceByID[id]
	if sv == nil {
		writeAPIError(w, notFound("service "+id+" does not exist"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"service": s.linksFor(r).service(s.world, sv, inc)})
}

// policyTargets reports whether any of userIDs is a target of p: named on a
// level, or on call for one of its schedules at any time.
func (w *world) policyTargets(p *EscalationPolicy, userIDs []string) bool {
	for _, lv := range p.Levels {
		if intersects(lv.UserIDs, userIDs) {
			return true
		}
		for _, oc := range w.oncalls {
			if oc.ScheduleID != "" && slices.Contains(lv.ScheduleIDs, oc.ScheduleID) && slices.Contains(userIDs, oc.UserID) {
				return true
			}
		}
	}
	return false
}

// handleListPolicies answers GET /escalation_policies, sorted by name as
// PagerDuty sorts it by default. include[]=teams and include[]=services
// expand those references; targets stay references.
func (s *Server) handleListPolicies(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, offset, total, err := pageParams(q)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	inc, err := includes(q, "services", "teams", "targets", "escalation_rule_assignment_strategies")
	if err != nil {
		writeAPIError(w, err)
		return
	}
	desc := false
	switch v := q.Get("sort_by"); v {
	case "", "name", "name:asc":
	case "name:desc":
		desc = true
	default:
		writeAPIError(w, invalid(fmt.Sprintf("sort_by must be name, name:asc or name:desc, got %q", v)))
		return
	}
	userIDs := arrayParam(q, "user_ids")
	teamIDs := arrayParam(q, "team_ids")
	query := strings.ToLower(q.Get("query"))
	s.mu.Lock()
	defer s.mu.Unlock()
	var matched []*EscalationPolicy
	for _, p := range s.world.policies {
		if query != "" && !strings.Contains(strings.ToLower(p.Name), query) {
			continue
		}
		if len(teamIDs) > 0 && !intersects(p.TeamIDs, teamIDs) {
			continue
		}
		if len(userIDs) > 0 && !s.world.policyTargets(p, userIDs) {
			continue
		}
		matched = append(matched, p)
	}
	slices.SortStableFunc(matched, func(a, b *EscalationPolicy) int {
		c := cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
		if desc {
			return -c
		}
		return c
	})
	l := s.linksFor(r)
	lo, hi, p := paginate(len(matched), limit, offset, total)
	out := make([]wirePolicy, 0, hi-lo)
	for _, ep := range matched[lo:hi] {
		out = append(out, l.policyWith(s.world, ep, inc))
	}
	writeJSON(w, http.StatusOK, struct {
		EscalationPolicies []wirePolicy `json:"escalation_policies"`
		page
	}{out, p})
}

// policyWith renders a policy with include[]=teams and include[]=services
// expanded.
func (l links) policyWith(w *world, p *EscalationPolicy, inc map[string]bool) wirePolicy {
	out := l.policy(w, p)
	if inc["teams"] {
		out.Teams = []any{}
		for _, id := range p.TeamIDs {
			out.Teams = append(out.Teams, l.team(w.teamByID[id]))
		}
	}
	if inc["services"] {
		out.Services = []any{}
		for _, sv := range w.services {
			if sv.EscalationPolicyID == p.ID {
				out.Services = append(out.Services, l.service(w, sv, nil))
			}
		}
	}
	return out
}
