package pdemulator

import (
	"fmt"
	"strings"
	"time"
)

// reroute hands an incident to another escalation policy, as PagerDuty
// does for an update that names one: the incident starts over at level
// (its first unless the update names another), triggered and
// unacknowledged, assigned to whoever is on call there, and its log says
// which policy it went to and who sent it.
func (w *world) reroute(in *incident, policyID string, by agent, level int, at time.Time, channel string) error {
	if in.status == statusResolved {
		return invalid(fmt.Sprintf("incident %s is resolved and cannot be reassigned", in.id))
	}
	p := w.policyByID[policyID]
	if p == nil {
		return invalid(fmt.Sprintf("escalation policy %q does not exist", policyID))
	}
	if level < 1 || level > len(p.Levels) {
		return invalid(fmt.Sprintf("escalation_level must be between 1 and %d for escalation policy %s, got %d", len(p.Levels), p.Name, level))
	}
	in.policyID = policyID
	in.level = level
	in.status = statusTriggered
	in.acks = nil
	in.snoozeUntil = time.Time{}
	in.assignedVia = "escalation_policy"
	in.lastChangeAt, in.updatedAt, in.lastChangeBy = at, at, by
	esc := func(s string) string { return strings.ReplaceAll(s, "%", "%%") }
	w.assign(in, w.onCallUsers(p, level, at), by, at, "assign_log_entry",
		"Reassigned to escalation policy "+esc(p.Name)+" by "+esc(by.name(w))+": %s.", channel)
	return nil
}

// EscalationPolicyID finds an escalation policy by its name, so that a
// world built on the emulator can name one it did not keep the ID of.
func (s *Server) EscalationPolicyID(name string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.world.policies {
		if p.Name == name {
			return p.ID, true
		}
	}
	return "", false
}
