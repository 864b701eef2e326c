package pdemulator

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
)

const (
	statusTriggered    = "triggered"
	statusAcknowledged = "acknowledged"
	statusResolved     = "resolved"
)

// Channels name how a change reached PagerDuty. REST calls arrive through
// "api"; the Go API stands for a colleague clicking in the web UI.
const (
	channelAPI     = "api"
	channelWebsite = "website"
)

type incident struct {
	id          string
	number      int
	title       string
	status      string
	urgency     string
	key         string
	serviceID   string
	policyID    string
	priorityID  string
	level       int
	assignedVia string

	createdAt    time.Time
	updatedAt    time.Time
	lastChangeAt time.Time
	lastChangeBy agent
	resolvedAt   time.Time
	snoozeUntil  time.Time

	assignments []assignment
	acks        []acknowledgement
	alerts      []*alert
	logs        []*logEntry
	notes       []*note
	// responders are the users asked to join, in the order first asked.
	responders    []responder
	statusUpdates []*statusUpdate
	mergedInto    string
	firstLogID    string
	// levelSince is when the current level's escalation delay started:
	// the last assignment, escalation or unacknowledgement.
	levelSince time.Time
	// loops counts the times the policy started over from its first level.
	loops int
}

type assignment struct {
	userID string
	at     time.Time
}

type acknowledgement struct {
	by agent
	at time.Time
}

func (in *incident) summary() string { return fmt.Sprintf("[#%d] %s", in.number, in.title) }

func (in *incident) assignees() []string {
	out := make([]string, len(in.assignments))
	for i, a := range in.assignments {
		out[i] = a.userID
	}
	return out
}

// Link is a hyperlink attached to an alert or a change event.
type Link struct {
	Href string
	Text string
}

// TriggerOptions describe one trigger event, as an integration would send it
// through the Events API.
type TriggerOptions struct {
	ServiceID string
	// At is when the event arrived; zero means the clock's now. Earlier
	// times let a demo world start with history.
	At      time.Time
	Title   string
	Urgency string // "high" (default) or "low"
	// PriorityID is optional.
	PriorityID string
	// DedupKey is the incident key; a trigger with the key of an open
	// incident is deduplicated into it. Empty: a fresh key.
	DedupKey string
	Alert    AlertDetails
}

// AlertDetails is the alert an event carries.
type AlertDetails struct {
	Summary   string // empty: the title
	Severity  string // critical, error, warning or info; empty: critical for high urgency, warning for low
	Source    string
	Component string
	Group     string
	Class     string
	Details   map[string]any
	Links     []Link
}

// TriggerResult tells what a trigger did.
type TriggerResult struct {
	IncidentID     string
	IncidentNumber int
	AlertID        string
	// Deduplicated is true when the event joined an open incident instead
	// of opening one.
	Deduplicated bool
	// Occurrences counts the events the alert has absorbed, this one
	// included: a flapping check's retries show up here.
	Occurrences int
}

// Trigger opens an incident on a service, or deduplicates the event into the
// open incident with the same DedupKey. A new incident is assigned to the
// escalation policy's first level and gets trigger, assign and notify log
// entries.
func (s *Server) Trigger(o TriggerOptions) (TriggerResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.world.settle(now)
	at := now
	if !o.At.IsZero() {
		at = o.At.UTC()
	}
	return s.world.trigger(o, at)
}

func (w *world) trigger(o TriggerOptions, at time.Time) (TriggerResult, error) {
	sv := w.serviceByID[o.ServiceID]
	if sv == nil {
		return TriggerResult{}, fmt.Errorf("trigger: unknown service %q", o.ServiceID)
	}
	if strings.TrimSpace(o.Title) == "" {
		return TriggerResult{}, fmt.Errorf("trigger on %s: title must not be empty", sv.Name)
	}
	switch o.Urgency {
	case "":
		o.Urgency = "high"
	case "high", "low":
	default:
		return TriggerResult{}, fmt.Errorf("trigger on %s: urgency must be high or low, got %q", sv.Name, o.Urgency)
	}
	if o.PriorityID != "" && w.priorityByID[o.PriorityID] == nil {
		return TriggerResult{}, fmt.Errorf("trigger on %s: unknown priority %q", sv.Name, o.PriorityID)
	}
	a := o.Alert
	if a.Summary == "" {
		a.Summary = o.Title
	}
	switch a.Severity {
	case "":
		a.Severity = map[string]string{"high": "critical", "low": "warning"}[o.Urgency]
	case "critical", "error", "warning", "info":
	default:
		return TriggerResult{}, fmt.Errorf("trigger on %s: severity must be critical, error, warning or info, got %q", sv.Name, a.Severity)
	}

	if o.DedupKey != "" {
		for _, in := range w.incidents {
			if in.key == o.DedupKey && in.serviceID == sv.ID && in.status != statusResolved {
				return w.dedupe(in, a, at), nil
			}
		}
	}

	w.incidentNumber++
	in := &incident{
		id: w.newID('Q'), number: w.incidentNumber, title: o.Title, status: statusTriggered,
		urgency: o.Urgency, key: o.DedupKey, serviceID: sv.ID, policyID: sv.EscalationPolicyID,
		priorityID: o.PriorityID, level: 1, assignedVia: "escalation_policy",
		createdAt: at, updatedAt: at, lastChangeAt: at, lastChangeBy: agent{serviceID: sv.ID},
	}
	if in.key == "" {
		// PagerDuty makes up a key for events without one; keep it
		// deterministic.
		in.key = strings.ToLower(in.id) + "-key"
	}
	al := w.newAlert(in, a, at)
	in.alerts = append(in.alerts, al)
	w.incidents = append(w.incidents, in)
	w.incidentByID[in.id] = in

	channel := map[string]any{"type": channelAPI, "summary": a.Summary, "incident_key": in.key}
	if len(a.Details) > 0 {
		channel["details"] = maps.Clone(a.Details)
	}
	first := w.log(in, "trigger_log_entry", at, agent{serviceID: sv.ID}, channel, "Triggered through the API.")
	first.eventDetails = map[string]string{"description": a.Summary}
	in.firstLogID = first.id

	users := w.onCallUsers(w.policyByID[in.policyID], 1, at)
	w.assign(in, users, agent{serviceID: sv.ID}, at, "assign_log_entry", "Assigned to %s.", "auto")
	return TriggerResult{IncidentID: in.id, IncidentNumber: in.number, AlertID: al.id, Occurrences: 1}, nil
}

// dedupe folds a repeated event into an open incident. A still-triggered
// alert with the same summary counts one more occurrence, as PagerDuty
// counts repeated alerts; otherwise the event becomes a new alert.
func (w *world) dedupe(in *incident, a AlertDetails, at time.Time) TriggerResult {
	for _, al := range in.alerts {
		if al.status == statusTriggered && al.summary == a.Summary {
			al.occurrences++
			al.lastOccurrence = at
			in.updatedAt = at
			return TriggerResult{IncidentID: in.id, IncidentNumber: in.number, AlertID: al.id, Deduplicated: true, Occurrences: al.occurrences}
		}
	}
	al := w.newAlert(in, a, at)
	in.alerts = append(in.alerts, al)
	in.updatedAt = at
	return TriggerResult{IncidentID: in.id, IncidentNumber: in.number, AlertID: al.id, Deduplicated: true, Occurrences: 1}
}

// assign replaces the assignees and writes the log entries PagerDuty does:
// an assign or escalate entry naming them (summary gets their names through
// %s) and a notify entry for each.
func (w *world) assign(in *incident, users []string, by agent, at time.Time, typ, summary, channel string) {
	in.levelSince = at
	in.assignments = in.assignments[:0]
	names := make([]string, 0, len(users))
	for _, id := range users {
		in.assignments = append(in.assignments, assignment{userID: id, at: at})
		names = append(names, w.userByID[id].Name)
	}
	if len(users) == 0 {
		return
	}
	e := w.log(in, typ, at, by, map[string]any{"type": channel}, fmt.Sprintf(summary, strings.Join(names, ", ")))
	e.assignees = append([]string(nil), users...)
	for _, id := range users {
		n := w.log(in, "notify_log_entry", at, agent{}, map[string]any{"type": "auto"}, fmt.Sprintf("Notified %s by push notification.", w.userByID[id].Name))
		n.userID = id
	}
}

// expireSnoozes returns snoozed incidents whose snooze has run out to
// triggered. It runs lazily before every request, so a scaled or fixed
// clock decides when snoozes end; entries carry the expiry time, not the
// time someone happened to look.
func (w *world) expireSnoozes(now time.Time) {
	for _, in := range w.incidents {
		if in.status != statusAcknowledged || in.snoozeUntil.IsZero() || now.Before(in.snoozeUntil) {
			continue
		}
		at := in.snoozeUntil
		in.snoozeUntil = time.Time{}
		in.status = statusTriggered
		in.acks = nil
		in.levelSince = at
		in.lastChangeAt, in.updatedAt = at, at
		in.lastChangeBy = agent{serviceID: in.serviceID}
		w.log(in, "unacknowledge_log_entry", at, agent{}, map[string]any{"type": "timeout"}, "Unacknowledged due to snooze timeout.")
	}
}

// settle brings the world up to now: snoozes that ran out and, with
// AutoEscalate, escalations whose delay passed. Like PagerDuty, the
// entries are dated when the snooze or delay ran out, not when someone
// happened to look.
func (w *world) settle(now time.Time) {
	w.expireSnoozes(now)
	if w.autoEscalate {
		w.escalateDue(now)
	}
}

// escalateDue escalates every triggered incident whose current level's
// delay has passed by now, as many levels as have passed. After the last
// level the policy starts over at the first while it has loops left
// (num_loops); then the incident stays with the last level.
func (w *world) escalateDue(now time.Time) {
	for _, in := range w.incidents {
		p := w.policyByID[in.policyID]
		if p == nil || in.levelSince.IsZero() {
			continue
		}
		for in.status == statusTriggered && in.level >= 1 && in.level <= len(p.Levels) {
			due := in.levelSince.Add(time.Duration(p.Levels[in.level-1].DelayMinutes) * time.Minute)
			if now.Before(due) {
				break
			}
			next := in.level + 1
			if next > len(p.Levels) {
				if in.loops >= p.NumLoops {
					break
				}
				in.loops++
				next = 1
			}
			w.escalateByTimeout(in, p, next, due)
		}
	}
}

// escalateByTimeout moves an incident to a level because nobody
// acknowledged it in time: no agent, channel "timeout".
func (w *world) escalateByTimeout(in *incident, p *EscalationPolicy, level int, at time.Time) {
	in.level = level
	in.assignedVia = "escalation_policy"
	in.lastChangeAt, in.updatedAt, in.lastChangeBy = at, at, agent{serviceID: in.serviceID}
	users := w.onCallUsers(p, level, at)
	w.assign(in, users, agent{}, at, "escalate_log_entry",
		fmt.Sprintf("Escalated to level %d due to timeout (%s): %%s.", level, strings.ReplaceAll(p.Name, "%", "%%")), "timeout")
}

func (w *world) incident(id string) (*incident, error) {
	in := w.incidentByID[id]
	if in == nil {
		return nil, &apiError{status: http.StatusNotFound, code: codeNotFound, message: "Incident Not Found", details: []string{"incident " + id + " does not exist"}}
	}
	return in, nil
}

func (w *world) acknowledge(in *incident, by agent, at time.Time, channel string) error {
	if in.status == statusResolved {
		return invalid(fmt.Sprintf("incident %s is already resolved and cannot be acknowledged", in.id))
	}
	in.status = statusAcknowledged
	in.snoozeUntil = time.Time{}
	in.acks = append(in.acks, acknowledgement{by: by, at: at})
	in.lastChangeAt, in.updatedAt, in.lastChangeBy = at, at, by
	e := w.log(in, "acknowledge_log_entry", at, by, map[string]any{"type": channel}, "Acknowledged by "+by.name(w)+".")
	e.ackTimeout = int(w.serviceByID[in.serviceID].AckTimeout.Seconds())
	return nil
}

func (w *world) resolve(in *incident, by agent, at time.Time, channel, suffix string) error {
	if in.status == statusResolved {
		return invalid(fmt.Sprintf("incident %s is already resolved", in.id))
	}
	in.status = statusResolved
	in.snoozeUntil = time.Time{}
	in.resolvedAt = at
	in.assignments = nil
	in.lastChangeAt, in.updatedAt, in.lastChangeBy = at, at, by
	for _, al := range in.alerts {
		if al.status == statusTriggered {
			al.status = statusResolved
			al.resolvedAt = at
		}
	}
	summary := "Resolved by " + by.name(w) + suffix + "."
	if by.userID == "" {
		summary = "Resolved through the API" + suffix + "."
	}
	w.log(in, "resolve_log_entry", at, by, map[string]any{"type": channel}, summary)
	return nil
}

func (w *world) escalate(in *incident, by agent, level int, at time.Time, channel string) error {
	if in.status == statusResolved {
		return invalid(fmt.Sprintf("incident %s is resolved and cannot be escalated", in.id))
	}
	p := w.policyByID[in.policyID]
	if level < 1 || level > len(p.Levels) {
		return invalid(fmt.Sprintf("escalation_level must be between 1 and %d for escalation policy %s, got %d", len(p.Levels), p.Name, level))
	}
	in.level = level
	in.status = statusTriggered
	in.acks = nil
	in.snoozeUntil = time.Time{}
	in.assignedVia = "escalation_policy"
	in.lastChangeAt, in.updatedAt, in.lastChangeBy = at, at, by
	users := w.onCallUsers(p, level, at)
	w.assign(in, users, by, at, "escalate_log_entry", fmt.Sprintf("Escalated to level %d by %s: %%s.", level, strings.ReplaceAll(by.name(w), "%", "%%")), channel)
	return nil
}

func (w *world) reassign(in *incident, by agent, users []string, at time.Time, channel string) error {
	if in.status == statusResolved {
		return invalid(fmt.Sprintf("incident %s is resolved and cannot be reassigned", in.id))
	}
	if len(users) == 0 {
		return invalid("assignments must name at least one user")
	}
	for _, id := range users {
		if w.userByID[id] == nil {
			return invalid(fmt.Sprintf("assignments: user %s does not exist", id))
		}
	}
	// Reassignment puts the incident back in front of the new assignee:
	// PagerDuty returns it to triggered.
	in.status = statusTriggered
	in.acks = nil
	in.snoozeUntil = time.Time{}
	in.assignedVia = "direct_assignment"
	in.lastChangeAt, in.updatedAt, in.lastChangeBy = at, at, by
	w.assign(in, users, by, at, "assign_log_entry", "Assigned to %s by "+strings.ReplaceAll(by.name(w), "%", "%%")+".", channel)
	return nil
}

func (w *world) snooze(in *incident, by agent, d time.Duration, at time.Time, channel string) error {
	if in.status != statusAcknowledged {
		return invalid(fmt.Sprintf("incident %s is %s; only acknowledged incidents can be snoozed", in.id, in.status))
	}
	in.snoozeUntil = at.Add(d)
	in.updatedAt = at
	e := w.log(in, "snooze_log_entry", at, by, map[string]any{"type": channel}, fmt.Sprintf("Snoozed for %s by %s.", humanDuration(d), by.name(w)))
	e.changedActions = []pendingAction{{Type: "unacknowledge", At: formatTime(in.snoozeUntil)}}
	return nil
}

func (w *world) merge(target *incident, sources []*incident, by agent, at time.Time, channel string) error {
	if target.status == statusResolved {
		return invalid(fmt.Sprintf("incident %s is resolved; merge into an open incident", target.id))
	}
	seen := map[*incident]bool{}
	for _, src := range sources {
		if seen[src] {
			return invalid("source_incidents lists incident " + src.id + " twice")
		}
		seen[src] = true
		if src == target {
			return invalid("source_incidents must not include the target incident " + target.id)
		}
		if src.status == statusResolved {
			return invalid(fmt.Sprintf("source incident %s is already resolved", src.id))
		}
	}
	for _, src := range sources {
		for _, al := range src.alerts {
			al.incidentID = target.id
		}
		target.alerts = append(target.alerts, src.alerts...)
		src.alerts = nil
		src.mergedInto = target.id
		if err := w.resolve(src, by, at, channel, fmt.Sprintf(" (merged into #%d)", target.number)); err != nil {
			return err
		}
	}
	target.updatedAt = at
	return nil
}

func humanDuration(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return plural(int(d/time.Hour), "hour")
	case d%time.Minute == 0:
		return plural(int(d/time.Minute), "minute")
	default:
		return plural(int(d/time.Second), "second")
	}
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// --- the Go API a scripted world uses ---

// userAgent looks a user up for the Go API.
func (w *world) userAgent(userID string) (agent, error) {
	if w.userByID[userID] == nil {
		return agent{}, fmt.Errorf("unknown user %q", userID)
	}
	return agent{userID: userID}, nil
}

// act runs one Go API change under the lock with snoozes brought up to date.
func (s *Server) act(incidentID, userID string, allowService bool, f func(w *world, in *incident, by agent, now time.Time) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	w := s.world
	w.settle(now)
	in, err := w.incident(incidentID)
	if err != nil {
		return err
	}
	var by agent
	if userID == "" && allowService {
		by = agent{serviceID: in.serviceID}
	} else if by, err = w.userAgent(userID); err != nil {
		return err
	}
	return f(w, in, by, now)
}

// Acknowledge acknowledges an incident as the user, now.
func (s *Server) Acknowledge(incidentID, userID string) error {
	return s.act(incidentID, userID, false, func(w *world, in *incident, by agent, now time.Time) error {
		return w.acknowledge(in, by, now, channelWebsite)
	})
}

// Resolve resolves an incident as the user, now. An empty userID resolves it
// through its service's integration, as a recovering check does.
func (s *Server) Resolve(incidentID, userID string) error {
	return s.act(incidentID, userID, true, func(w *world, in *incident, by agent, now time.Time) error {
		ch := channelWebsite
		if by.userID == "" {
			ch = channelAPI
		}
		return w.resolve(in, by, now, ch, "")
	})
}

// Escalate moves an incident to an escalation level (1-based) as the user.
func (s *Server) Escalate(incidentID, userID string, level int) error {
	return s.act(incidentID, userID, false, func(w *world, in *incident, by agent, now time.Time) error {
		return w.escalate(in, by, level, now, channelWebsite)
	})
}

// Reassign assigns an incident to other users as the user.
func (s *Server) Reassign(incidentID, userID string, toUserIDs ...string) error {
	return s.act(incidentID, userID, false, func(w *world, in *incident, by agent, now time.Time) error {
		return w.reassign(in, by, toUserIDs, now, channelWebsite)
	})
}

// Snooze snoozes an acknowledged incident for d as the user.
func (s *Server) Snooze(incidentID, userID string, d time.Duration) error {
	if d < time.Second {
		return fmt.Errorf("snooze %s: duration %s is shorter than a second", incidentID, d)
	}
	return s.act(incidentID, userID, false, func(w *world, in *incident, by agent, now time.Time) error {
		return w.snooze(in, by, d, now, channelWebsite)
	})
}

// AddNote adds a note to an incident as the user and returns the note's ID.
func (s *Server) AddNote(incidentID, userID, content string) (string, error) {
	var id string
	err := s.act(incidentID, userID, false, func(w *world, in *incident, by agent, now time.Time) error {
		n, err := w.addNote(in, by, content, now, channelWebsite)
		if n != nil {
			id = n.id
		}
		return err
	})
	return id, err
}

// RequestResponders asks users to join an incident as the user, now.
func (s *Server) RequestResponders(incidentID, userID, message string, responderIDs ...string) error {
	return s.act(incidentID, userID, false, func(w *world, in *incident, by agent, now time.Time) error {
		var users []string
		for _, id := range responderIDs {
			if w.userByID[id] == nil {
				return fmt.Errorf("request responders on %s: unknown user %q", incidentID, id)
			}
			if !slices.Contains(users, id) {
				users = append(users, id)
			}
		}
		_, err := w.requestResponders(in, by, users, message, now, channelWebsite)
		return err
	})
}

// PostStatusUpdate sends a status update on an incident as the user, now.
func (s *Server) PostStatusUpdate(incidentID, userID, message string) error {
	return s.act(incidentID, userID, false, func(w *world, in *incident, by agent, now time.Time) error {
		_, err := w.postStatusUpdate(in, by, statusUpdate{message: message}, now, channelWebsite)
		return err
	})
}

// IncidentInfo is a snapshot of an incident for Go callers.
type IncidentInfo struct {
	ID          string
	Number      int
	Title       string
	Status      string
	Urgency     string
	ServiceID   string
	Level       int
	AssigneeIDs []string
	SnoozedTill time.Time
	MergedInto  string
	// ResponderIDs are the users asked to join, in the order first asked.
	ResponderIDs []string
}

// Incident returns a snapshot of an incident.
func (s *Server) Incident(id string) (IncidentInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.world.settle(s.now())
	in, err := s.world.incident(id)
	if err != nil {
		return IncidentInfo{}, err
	}
	info := IncidentInfo{
		ID: in.id, Number: in.number, Title: in.title, Status: in.status, Urgency: in.urgency,
		ServiceID: in.serviceID, Level: in.level, AssigneeIDs: in.assignees(),
		SnoozedTill: in.snoozeUntil, MergedInto: in.mergedInto,
	}
	for _, r := range in.responders {
		info.ResponderIDs = append(info.ResponderIDs, r.userID)
	}
	return info, nil
}
