package pdemulator

import (
	"net/http"
	"slices"
	"time"
)

type wireOnCall struct {
	EscalationPolicy ref    `json:"escalation_policy"`
	EscalationLevel  int    `json:"escalation_level"`
	Schedule         *ref   `json:"schedule,omitempty"`
	User             any    `json:"user"`
	Start            string `json:"start,omitempty"`
	End              string `json:"end,omitempty"`
}

// handleOnCalls answers GET /oncalls: the shifts overlapping [since, until],
// by default the ones covering now.
func (s *Server) handleOnCalls(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, offset, total, err := pageParams(q)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	inc, err := includes(q, "users", "schedules", "escalation_policies")
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
	earliest, err := boolParam(q, "earliest")
	if err != nil {
		writeAPIError(w, err)
		return
	}
	policyIDs := arrayParam(q, "escalation_policy_ids")
	userIDs := arrayParam(q, "user_ids")
	scheduleIDs := arrayParam(q, "schedule_ids")
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if since.IsZero() {
		since = now
	}
	if until.IsZero() {
		until = since
	}
	if until.Before(since) {
		writeAPIError(w, invalid("until must not be before since"))
		return
	}
	var matched []*OnCall
	for _, oc := range s.world.oncalls {
		if len(policyIDs) > 0 && !slices.Contains(policyIDs, oc.EscalationPolicyID) {
			continue
		}
		if len(userIDs) > 0 && !slices.Contains(userIDs, oc.UserID) {
			continue
		}
		if len(scheduleIDs) > 0 && !slices.Contains(scheduleIDs, oc.ScheduleID) {
			continue
		}
		if !overlaps(oc, since, until) {
			continue
		}
		matched = append(matched, oc)
	}
	if earliest {
		matched = earliestOnCalls(matched)
	}
	l := s.linksFor(r)
	lo, hi, p := paginate(len(matched), limit, offset, total)
	out := make([]wireOnCall, 0, hi-lo)
	for _, oc := range matched[lo:hi] {
		u := s.world.userByID[oc.UserID]
		var who any = l.userRef(u)
		if inc["users"] {
			who = l.user(s.world, u)
		}
		item := wireOnCall{
			EscalationPolicy: l.policyRef(s.world.policyByID[oc.EscalationPolicyID]),
			EscalationLevel:  oc.Level, User: who,
			Start: formatTime(oc.Start), End: formatTime(oc.End),
		}
		if sc := s.world.scheduleByID[oc.ScheduleID]; sc != nil {
			r := l.scheduleRef(sc)
			item.Schedule = &r
		}
		out = append(out, item)
	}
	writeJSON(w, http.StatusOK, struct {
		OnCalls []wireOnCall `json:"oncalls"`
		page
	}{out, p})
}

// overlaps reports whether a shift touches [since, until]; a zero-length
// window asks who is on call at that instant.
func overlaps(oc *OnCall, since, until time.Time) bool {
	if since.Equal(until) {
		return oc.covers(since)
	}
	return (oc.Start.IsZero() || oc.Start.Before(until)) && (oc.End.IsZero() || oc.End.After(since))
}

// earliestOnCalls keeps, as earliest=true asks, only the earliest shift of
// each combination of escalation policy, level and user, in the order the
// kept shifts were listed: "when am I next on call" in one request.
func earliestOnCalls(list []*OnCall) []*OnCall {
	type key struct {
		policy, user string
		level        int
	}
	first := map[key]*OnCall{}
	var order []key
	for _, oc := range list {
		k := key{oc.EscalationPolicyID, oc.UserID, oc.Level}
		cur, ok := first[k]
		if !ok {
			order = append(order, k)
		}
		if !ok || oc.Start.Before(cur.Start) {
			first[k] = oc
		}
	}
	out := make([]*OnCall, 0, len(order))
	for _, k := range order {
		out = append(out, first[k])
	}
	return out
}
