package pdemulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

type wireAssignment struct {
	At       string `json:"at"`
	Assignee any    `json:"assignee"`
}

type wireAck struct {
	At           string `json:"at"`
	Acknowledger any    `json:"acknowledger"`
}

type alertCounts struct {
	All       int `json:"all"`
	Triggered int `json:"triggered"`
	Resolved  int `json:"resolved"`
}

type resolveReason struct {
	Type     string `json:"type"`
	Incident ref    `json:"incident"`
}

type occurrence struct {
	Count int    `json:"count"`
	Since string `json:"since"`
	Until string `json:"until"`
}

type wireIncident struct {
	ID                   string           `json:"id"`
	Type                 string           `json:"type"`
	Summary              string           `json:"summary"`
	Self                 string           `json:"self"`
	HTMLURL              string           `json:"html_url"`
	IncidentNumber       int              `json:"incident_number"`
	Title                string           `json:"title"`
	Description          string           `json:"description"`
	CreatedAt            string           `json:"created_at"`
	UpdatedAt            string           `json:"updated_at"`
	Status               string           `json:"status"`
	IncidentKey          string           `json:"incident_key"`
	Service              any              `json:"service"`
	Assignments          []wireAssignment `json:"assignments"`
	AssignedVia          string           `json:"assigned_via"`
	LastStatusChangeAt   string           `json:"last_status_change_at"`
	LastStatusChangeBy   any              `json:"last_status_change_by,omitempty"`
	ResolvedAt           string           `json:"resolved_at,omitempty"`
	FirstTriggerLogEntry any              `json:"first_trigger_log_entry,omitempty"`
	AlertCounts          alertCounts      `json:"alert_counts"`
	IsMergeable          bool             `json:"is_mergeable"`
	EscalationPolicy     any              `json:"escalation_policy"`
	Teams                []any            `json:"teams"`
	PendingActions       []pendingAction  `json:"pending_actions"`
	Acknowledgements     []wireAck        `json:"acknowledgements"`
	Priority             *wirePriority    `json:"priority,omitempty"`
	ResolveReason        *resolveReason   `json:"resolve_reason,omitempty"`
	Urgency              string           `json:"urgency"`
	Occurrence           *occurrence      `json:"occurrence,omitempty"`
	IncidentsResponders  []wireResponder  `json:"incidents_responders,omitempty"`
}

// incident renders an incident; inc holds the include[] values that expand
// references into full objects.
func (l links) incident(w *world, in *incident, inc map[string]bool) wireIncident {
	out := wireIncident{
		ID: in.id, Type: "incident", Summary: in.summary(),
		Self: l.self("incidents", in.id), HTMLURL: l.html("incidents", in.id),
		IncidentNumber: in.number, Title: in.title, Description: in.title,
		CreatedAt: formatTime(in.createdAt), UpdatedAt: formatTime(in.updatedAt),
		Status: in.status, IncidentKey: in.key, AssignedVia: in.assignedVia,
		LastStatusChangeAt: formatTime(in.lastChangeAt), ResolvedAt: formatTime(in.resolvedAt),
		IsMergeable: in.status != statusResolved, Urgency: in.urgency,
		Assignments: []wireAssignment{}, Teams: []any{}, PendingActions: []pendingAction{}, Acknowledgements: []wireAck{},
	}
	sv := w.serviceByID[in.serviceID]
	if inc["services"] {
		out.Service = l.service(w, sv, nil)
	} else {
		out.Service = l.serviceRef(sv)
	}
	p := w.policyByID[in.policyID]
	if inc["escalation_policies"] {
		out.EscalationPolicy = l.policy(w, p)
	} else {
		out.EscalationPolicy = l.policyRef(p)
	}
	for _, id := range sv.TeamIDs {
		if inc["teams"] {
			out.Teams = append(out.Teams, l.team(w.teamByID[id]))
		} else {
			out.Teams = append(out.Teams, l.teamRef(w.teamByID[id]))
		}
	}
	expandUsers := inc["assignees"] || inc["users"]
	for _, a := range in.assignments {
		u := w.userByID[a.userID]
		var who any = l.userRef(u)
		if expandUsers {
			who = l.user(w, u)
		}
		out.Assignments = append(out.Assignments, wireAssignment{At: formatTime(a.at), Assignee: who})
	}
	for _, a := range in.acks {
		var who any = l.agentRef(w, a.by)
		if u := w.userByID[a.by.userID]; u != nil && (inc["acknowledgers"] || inc["users"]) {
			who = l.user(w, u)
		}
		out.Acknowledgements = append(out.Acknowledgements, wireAck{At: formatTime(a.at), Acknowledger: who})
	}
	if r := l.agentRef(w, in.lastChangeBy); r != nil {
		out.LastStatusChangeBy = r
		if u := w.userByID[in.lastChangeBy.userID]; u != nil && inc["agents"] {
			out.LastStatusChangeBy = l.user(w, u)
		}
	}
	for _, e := range in.logs {
		if e.id != in.firstLogID {
			continue
		}
		if inc["first_trigger_log_entries"] {
			out.FirstTriggerLogEntry = l.logEntry(w, e, nil)
		} else {
			out.FirstTriggerLogEntry = ref{ID: e.id, Type: "trigger_log_entry_reference", Self: l.self("log_entries", e.id), HTMLURL: l.html("incidents", in.id, "log_entries", e.id)}
		}
		break
	}
	total := 0
	var since, until time.Time
	for _, al := range in.alerts {
		out.AlertCounts.All++
		if al.status == statusTriggered {
			out.AlertCounts.Triggered++
		} else {
			out.AlertCounts.Resolved++
		}
		total += al.occurrences
		if since.IsZero() || al.createdAt.Before(since) {
			since = al.createdAt
		}
		if al.lastOccurrence.After(until) {
			until = al.lastOccurrence
		}
	}
	if total > len(in.alerts) {
		out.Occurrence = &occurrence{Count: total, Since: formatTime(since), Until: formatTime(until)}
	}
	if !in.snoozeUntil.IsZero() {
		out.PendingActions = append(out.PendingActions, pendingAction{Type: "unacknowledge", At: formatTime(in.snoozeUntil)})
	}
	if pr := w.priorityByID[in.priorityID]; pr != nil {
		wp := l.priority(pr)
		out.Priority = &wp
	}
	for _, r := range in.responders {
		out.IncidentsResponders = append(out.IncidentsResponders, l.responder(w, in, r))
	}
	if target := w.incidentByID[in.mergedInto]; target != nil {
		out.ResolveReason = &resolveReason{Type: "merge_resolve_reason", Incident: l.incidentRef(target)}
	}
	return out
}

var incidentIncludes = []string{
	"acknowledgers", "agents", "assignees", "conference_bridge", "custom_fields", "escalation_policies",
	"first_trigger_log_entries", "priorities", "services", "teams", "users",
}

// incidentFilter is a parsed GET /incidents query.
type incidentFilter struct {
	statuses, userIDs, teamIDs, serviceIDs, urgencies []string
	key                                               string
	since, until                                      time.Time
	allDates                                          bool
	sort                                              []sortKey
}

type sortKey struct {
	field string
	desc  bool
}

var sortFields = []string{"incident_number", "created_at", "resolved_at", "urgency"}

func parseIncidentFilter(r *http.Request, now time.Time) (incidentFilter, error) {
	q := r.URL.Query()
	var f incidentFilter
	var err error
	if f.statuses, err = enumArrayParam(q, "statuses", statusTriggered, statusAcknowledged, statusResolved); err != nil {
		return f, err
	}
	if f.urgencies, err = enumArrayParam(q, "urgencies", "high", "low"); err != nil {
		return f, err
	}
	f.userIDs = arrayParam(q, "user_ids")
	f.teamIDs = arrayParam(q, "team_ids")
	f.serviceIDs = arrayParam(q, "service_ids")
	f.key = q.Get("incident_key")
	switch dr := q.Get("date_range"); dr {
	case "":
	case "all":
		f.allDates = true
	default:
		return f, invalid(fmt.Sprintf("date_range must be \"all\", got %q", dr))
	}
	if f.since, err = timeParam(q, "since"); err != nil {
		return f, err
	}
	if f.until, err = timeParam(q, "until"); err != nil {
		return f, err
	}
	if !f.since.IsZero() && !f.until.IsZero() && f.until.Before(f.since) {
		return f, invalid("until must not be before since")
	}
	if !f.allDates && f.since.IsZero() && f.until.IsZero() {
		// PagerDuty's default window is the last 30 days.
		f.since = now.AddDate(0, 0, -30)
	}
	if v := q.Get("sort_by"); v != "" {
		for _, part := range strings.Split(v, ",") {
			field, dir, _ := strings.Cut(strings.TrimSpace(part), ":")
			if !slices.Contains(sortFields, field) || (dir != "" && dir != "asc" && dir != "desc") {
				return f, invalid(fmt.Sprintf("sort_by must be one of %s, each optionally followed by :asc or :desc; got %q", strings.Join(sortFields, ", "), part))
			}
			f.sort = append(f.sort, sortKey{field: field, desc: dir == "desc"})
		}
		if len(f.sort) > 2 {
			return f, invalid("sort_by accepts at most two fields")
		}
	}
	return f, nil
}

func (f incidentFilter) match(w *world, in *incident) bool {
	if len(f.statuses) > 0 && !slices.Contains(f.statuses, in.status) {
		return false
	}
	if len(f.urgencies) > 0 && !slices.Contains(f.urgencies, in.urgency) {
		return false
	}
	if len(f.serviceIDs) > 0 && !slices.Contains(f.serviceIDs, in.serviceID) {
		return false
	}
	if len(f.teamIDs) > 0 && !intersects(w.serviceByID[in.serviceID].TeamIDs, f.teamIDs) {
		return false
	}
	if len(f.userIDs) > 0 && !intersects(in.assignees(), f.userIDs) {
		return false
	}
	if f.key != "" && in.key != f.key {
		return false
	}
	if !f.allDates {
		if !f.since.IsZero() && in.createdAt.Before(f.since) {
			return false
		}
		if !f.until.IsZero() && !in.createdAt.Before(f.until) {
			return false
		}
	}
	return true
}

func (f incidentFilter) sortIncidents(list []*incident) {
	urgencyRank := map[string]int{"low": 0, "high": 1}
	slices.SortStableFunc(list, func(a, b *incident) int {
		for _, k := range f.sort {
			var c int
			switch k.field {
			case "incident_number":
				c = a.number - b.number
			case "created_at":
				c = a.createdAt.Compare(b.createdAt)
			case "resolved_at":
				c = a.resolvedAt.Compare(b.resolvedAt)
			case "urgency":
				c = urgencyRank[a.urgency] - urgencyRank[b.urgency]
			}
			if k.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		// Ties (and no sort_by) fall back to creation time, PagerDuty's
		// default; incidents backdated by a demo script still sort by when
		// they started.
		if c := a.createdAt.Compare(b.createdAt); c != 0 {
			return c
		}
		return a.number - b.number
	})
}

func (s *Server) handleListIncidents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, offset, total, err := pageParams(q)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	inc, err := includes(q, incidentIncludes...)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	f, err := parseIncidentFilter(r, now)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	var matched []*incident
	for _, in := range s.world.incidents {
		if f.match(s.world, in) {
			matched = append(matched, in)
		}
	}
	f.sortIncidents(matched)
	l := s.linksFor(r)
	lo, hi, p := paginate(len(matched), limit, offset, total)
	out := make([]wireIncident, 0, hi-lo)
	for _, in := range matched[lo:hi] {
		out = append(out, l.incident(s.world, in, inc))
	}
	writeJSON(w, http.StatusOK, struct {
		Incidents []wireIncident `json:"incidents"`
		page
	}{out, p})
}

func (s *Server) handleGetIncident(w http.ResponseWriter, r *http.Request, id string) {
	inc, err := includes(r.URL.Query(), incidentIncludes...)
	if err != nil {
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
	writeJSON(w, http.StatusOK, map[string]any{"incident": s.linksFor(r).incident(s.world, in, inc)})
}

type idRef struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// incidentUpdate is one item of PUT /incidents or the incident of PUT
// /incidents/{id}. Priority stays raw: PagerDuty takes a reference object,
// a priority's name as a string, or null to clear it.
type incidentUpdate struct {
	ID          string `json:"id"`
	Type        string `json:"type"`
	Status      string `json:"status"`
	Title       string `json:"title"`
	Assignments []struct {
		Assignee *idRef `json:"assignee"`
	} `json:"assignments"`
	EscalationLevel  *int            `json:"escalation_level"`
	EscalationPolicy *idRef          `json:"escalation_policy"`
	Priority         json.RawMessage `json:"priority"`
	Resolution       string          `json:"resolution"`
	Urgency          string          `json:"urgency"`

	// Set by check: the priority the update sets (empty: clear it) and
	// whether it touches the priority at all.
	priorityID  string
	setPriority bool
}

// check validates one update against the world the way PagerDuty does,
// naming fields from where (such as "incidents[2]" or "incident"). It
// resolves the priority into u. The caller holds s.mu.
func (wd *world) check(where string, in *incident, u *incidentUpdate) error {
	switch u.Type {
	case "incident", "incident_reference":
	case "":
		return invalid(where + ".type is required: \"incident\" or \"incident_reference\"")
	default:
		return invalid(fmt.Sprintf("%s.type must be incident or incident_reference, got %q", where, u.Type))
	}
	switch u.Urgency {
	case "", "high", "low":
	default:
		return invalid(fmt.Sprintf("%s.urgency must be high or low, got %q", where, u.Urgency))
	}
	switch u.Status {
	case "", statusAcknowledged, statusResolved:
	case statusTriggered:
		return invalid(where + ".status triggered (reopening or unacknowledging) is not emulated; use acknowledged or resolved")
	default:
		return invalid(fmt.Sprintf("%s.status must be acknowledged or resolved, got %q", where, u.Status))
	}
	if u.Status != "" && in.status == statusResolved {
		return invalid(fmt.Sprintf("incident %s is already resolved", in.id))
	}
	for j, a := range u.Assignments {
		field := fmt.Sprintf("%s.assignments[%d].assignee", where, j)
		if a.Assignee == nil || a.Assignee.ID == "" {
			return invalid(field + ".id is required: the ID of the user to assign")
		}
		if a.Assignee.Type != "user_reference" && a.Assignee.Type != "user" {
			return invalid(fmt.Sprintf("%s.type must be user_reference, got %q", field, a.Assignee.Type))
		}
		if wd.userByID[a.Assignee.ID] == nil {
			return invalid(fmt.Sprintf("%s.id: user %q does not exist", field, a.Assignee.ID))
		}
	}
	policy := wd.policyByID[in.policyID]
	if ep := u.EscalationPolicy; ep != nil {
		if ep.ID == "" || (ep.Type != "escalation_policy_reference" && ep.Type != "escalation_policy") {
			return invalid(where + ".escalation_policy needs an id and type escalation_policy_reference")
		}
		if policy = wd.policyByID[ep.ID]; policy == nil {
			return invalid(fmt.Sprintf("%s.escalation_policy.id: escalation policy %q does not exist", where, ep.ID))
		}
	}
	if u.EscalationLevel != nil {
		if levels := len(policy.Levels); *u.EscalationLevel < 1 || *u.EscalationLevel > levels {
			return invalid(fmt.Sprintf("%s.escalation_level must be between 1 and %d, got %d", where, levels, *u.EscalationLevel))
		}
	}
	return wd.checkPriority(where, u)
}

// checkPriority resolves u.Priority: a reference ({"id","type"}, both
// required), a priority's name, or null to clear it.
func (wd *world) checkPriority(where string, u *incidentUpdate) error {
	raw := bytes.TrimSpace(u.Priority)
	if len(raw) == 0 {
		return nil
	}
	u.setPriority = true
	switch raw[0] {
	case 'n':
		return nil // null clears the priority
	case '"':
		var name string
		if err := json.Unmarshal(raw, &name); err != nil {
			return invalid(where + ".priority is not a valid JSON string")
		}
		// PagerDuty picks the highest priority with that name; the world
		// lists priorities most severe first.
		for _, p := range wd.priorities {
			if p.Name == name {
				u.priorityID = p.ID
				return nil
			}
		}
		return invalid(fmt.Sprintf("%s.priority: no priority is named %q", where, name))
	case '{':
		var ref idRef
		if err := json.Unmarshal(raw, &ref); err != nil {
			return invalid(where + ".priority has the wrong shape: " + err.Error())
		}
		if ref.ID == "" {
			return invalid(where + ".priority.id is required (or send null to clear the priority)")
		}
		if ref.Type != "priority_reference" && ref.Type != "priority" {
			return invalid(fmt.Sprintf("%s.priority.type must be priority_reference or priority, got %q", where, ref.Type))
		}
		if wd.priorityByID[ref.ID] == nil {
			return invalid(fmt.Sprintf("%s.priority.id: priority %q does not exist", where, ref.ID))
		}
		u.priorityID = ref.ID
		return nil
	}
	return invalid(where + ".priority must be a priority reference, a priority's name or null")
}

// handleManageIncidents answers PUT /incidents, the bulk update. Every
// update is checked before any is applied, so a bad item changes nothing.
func (s *Server) handleManageIncidents(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Incidents []incidentUpdate `json:"incidents"`
	}
	if err := decodeBody(r, &body); err != nil {
		writeAPIError(w, err)
		return
	}
	switch n := len(body.Incidents); {
	case n == 0:
		writeAPIError(w, invalid("incidents must list at least one incident to update"))
		return
	case n > maxBulkIncidents:
		writeAPIError(w, invalid(fmt.Sprintf("incidents lists %d incidents; at most %d may be updated per request", n, maxBulkIncidents)))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	by, err := s.fromAgent(r)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	wd := s.world
	targets := make([]*incident, len(body.Incidents))
	for i := range body.Incidents {
		u := &body.Incidents[i]
		where := fmt.Sprintf("incidents[%d]", i)
		if u.ID == "" {
			writeAPIError(w, invalid(where+".id is required"))
			return
		}
		in, err := wd.incident(u.ID)
		if err != nil {
			writeAPIError(w, err)
			return
		}
		if err := wd.check(where, in, u); err != nil {
			writeAPIError(w, err)
			return
		}
		targets[i] = in
	}
	now := s.now()
	for i, u := range body.Incidents {
		in := targets[i]
		if err := s.applyUpdate(in, u, by, now); err != nil {
			writeAPIError(w, err)
			return
		}
	}
	l := s.linksFor(r)
	out := make([]wireIncident, 0, len(targets))
	for _, in := range targets {
		out = append(out, l.incident(wd, in, nil))
	}
	writeJSON(w, http.StatusOK, struct {
		Incidents []wireIncident `json:"incidents"`
		page
	}{out, page{Limit: len(out), Offset: 0, More: false}})
}

// handleUpdateIncident answers PUT /incidents/{id}, the single update that
// PagerDuty's own clients use to acknowledge, resolve, reassign and
// escalate. The body wraps the update in "incident"; the ID is the path's.
func (s *Server) handleUpdateIncident(w http.ResponseWriter, r *http.Request, id string) {
	var body struct {
		Incident *incidentUpdate `json:"incident"`
	}
	if err := decodeBody(r, &body); err != nil {
		writeAPIError(w, err)
		return
	}
	if body.Incident == nil {
		writeAPIError(w, invalid(`incident is required: the body is {"incident":{"type":"incident_reference", ...the fields to change}}`))
		return
	}
	u := body.Incident
	s.mu.Lock()
	defer s.mu.Unlock()
	by, in, ok := s.writeTarget(w, r, id)
	if !ok {
		return
	}
	if u.ID != "" && u.ID != in.id {
		writeAPIError(w, invalid(fmt.Sprintf("incident.id %q does not match the incident %s in the path", u.ID, in.id)))
		return
	}
	if err := s.world.check("incident", in, u); err != nil {
		writeAPIError(w, err)
		return
	}
	if err := s.applyUpdate(in, *u, by, s.now()); err != nil {
		writeAPIError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"incident": s.linksFor(r).incident(s.world, in, nil)})
}

// applyUpdate applies one validated bulk update in PagerDuty's order:
// reassignment or escalation first, then the status change.
func (s *Server) applyUpdate(in *incident, u incidentUpdate, by agent, now time.Time) error {
	wd := s.world
	if u.Title != "" {
		in.title = u.Title
		in.updatedAt = now
	}
	if u.setPriority {
		in.priorityID = u.priorityID
		in.updatedAt = now
	}
	if u.Urgency != "" && u.Urgency != in.urgency {
		in.urgency = u.Urgency
		in.updatedAt = now
		wd.log(in, "urgency_change_log_entry", now, by, map[string]any{"type": channelAPI}, fmt.Sprintf("Urgency changed to %s by %s.", u.Urgency, by.name(wd)))
	}
	if len(u.Assignments) > 0 {
		users := make([]string, 0, len(u.Assignments))
		for _, a := range u.Assignments {
			if a.Assignee != nil && !slices.Contains(users, a.Assignee.ID) {
				users = append(users, a.Assignee.ID)
			}
		}
		if err := wd.reassign(in, by, users, now, channelAPI); err != nil {
			return err
		}
	}
	switch {
	case u.EscalationPolicy != nil && u.EscalationPolicy.ID != in.policyID:
		// A new policy starts over at the level asked for, or its first.
		level := 1
		if u.EscalationLevel != nil {
			level = *u.EscalationLevel
		}
		if err := wd.reroute(in, u.EscalationPolicy.ID, by, level, now, channelAPI); err != nil {
			return err
		}
	case u.EscalationPolicy != nil:
		// The policy it has: PagerDuty starts it over there all the same.
		level := 1
		if u.EscalationLevel != nil {
			level = *u.EscalationLevel
		}
		if err := wd.escalate(in, by, level, now, channelAPI); err != nil {
			return err
		}
	case u.EscalationLevel != nil:
		if err := wd.escalate(in, by, *u.EscalationLevel, now, channelAPI); err != nil {
			return err
		}
	}
	switch u.Status {
	case statusAcknowledged:
		return wd.acknowledge(in, by, now, channelAPI)
	case statusResolved:
		if in.status == statusResolved {
			return nil
		}
		return wd.resolve(in, by, now, channelAPI, "")
	}
	return nil
}

// maxSnooze is the longest snooze PagerDuty accepts: one week.
const maxSnooze = 7 * 24 * time.Hour

func (s *Server) handleSnooze(w http.ResponseWriter, r *http.Request, id string) {
	var body struct {
		Duration *int64 `json:"duration"`
	}
	if err := decodeBody(r, &body); err != nil {
		writeAPIError(w, err)
		return
	}
	if body.Duration == nil || *body.Duration < 1 || time.Duration(*body.Duration)*time.Second > maxSnooze {
		writeAPIError(w, invalid(fmt.Sprintf("duration is required: the snooze length in seconds, from 1 to %d", int64(maxSnooze/time.Second))))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	by, in, ok := s.writeTarget(w, r, id)
	if !ok {
		return
	}
	if err := s.world.snooze(in, by, time.Duration(*body.Duration)*time.Second, s.now(), channelAPI); err != nil {
		writeAPIError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"incident": s.linksFor(r).incident(s.world, in, nil)})
}

func (s *Server) handleMerge(w http.ResponseWriter, r *http.Request, id string) {
	var body struct {
		Sources []idRef `json:"source_incidents"`
	}
	if err := decodeBody(r, &body); err != nil {
		writeAPIError(w, err)
		return
	}
	if len(body.Sources) == 0 {
		writeAPIError(w, invalid("source_incidents must list at least one incident to merge"))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	by, target, ok := s.writeTarget(w, r, id)
	if !ok {
		return
	}
	sources := make([]*incident, 0, len(body.Sources))
	for i, src := range body.Sources {
		in, err := s.world.incident(src.ID)
		if err != nil {
			writeAPIError(w, invalid(fmt.Sprintf("source_incidents[%d].id: incident %q does not exist", i, src.ID)))
			return
		}
		sources = append(sources, in)
	}
	if err := s.world.merge(target, sources, by, s.now(), channelAPI); err != nil {
		writeAPIError(w, err)
		return
	}
	// The published schema answers with a reference to the target.
	writeJSON(w, http.StatusOK, map[string]any{"incident": s.linksFor(r).incidentRef(target)})
}

// writeTarget starts every write to one incident: who acts (the From
// header) and on which incident. The caller holds s.mu; when ok is false
// the error has been answered.
func (s *Server) writeTarget(w http.ResponseWriter, r *http.Request, id string) (by agent, in *incident, ok bool) {
	by, err := s.fromAgent(r)
	if err != nil {
		writeAPIError(w, err)
		return agent{}, nil, false
	}
	in, err = s.world.incident(id)
	if err != nil {
		writeAPIError(w, err)
		return agent{}, nil, false
	}
	return by, in, true
}
