package approval

import (
	"errors"
	"sort"
	"time"

	"sitrep/sources/pagerduty"
)

// Status is where a request stands.
type Status string

// A request's states.
const (
	Pending   Status = "pending"
	Approved  Status = "approved"
	Denied    Status = "denied"
	Withdrawn Status = "withdrawn"
	Expired   Status = "expired"
)

// Entry is one request on an incident and what became of it.
type Entry struct {
	Request Request
	// RequestedBy is the request note's author as PagerDuty records it.
	RequestedBy pagerduty.Ref
	RequestedAt time.Time
	Status      Status
	// DecidedBy, DecidedAt and Reason are the counted decision's (or the
	// withdrawal's) author, time and reason.
	DecidedBy pagerduty.Ref
	DecidedAt time.Time
	Reason    string
	// PlanHash is the plan hash the decision named.
	PlanHash string
}

// Ignored is an approval note that does not count, and why: shown, never
// trusted.
type Ignored struct {
	NoteID string
	Author pagerduty.Ref
	At     time.Time
	Why    string
}

// Thread is every approval request on an incident, oldest first, and the
// approval notes that were set aside.
type Thread struct {
	Requests []Entry
	Ignored  []Ignored
}

// Find returns the entry of request id.
func (t Thread) Find(id string) (Entry, bool) {
	for _, e := range t.Requests {
		if e.Request.ID == id {
			return e, true
		}
	}
	return Entry{}, false
}

// Pending are the requests still open at now.
func (t Thread) Pending() []Entry {
	var out []Entry
	for _, e := range t.Requests {
		if e.Status == Pending {
			out = append(out, e)
		}
	}
	return out
}

// Read applies the decision rules to an incident's notes: a request counts
// when it names this incident; a decision when its author is not the
// requester, it is the first on its request, it came before the request
// expired, and it names the request's plan hash; a withdrawal when the
// requester wrote it before a decision. An open request past its expiry
// at now is Expired. A note without a block is not an approval note and is
// passed over in silence.
func Read(incidentID string, notes []pagerduty.Note, now time.Time) Thread {
	sorted := append([]pagerduty.Note(nil), notes...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].At.Before(sorted[j].At) })
	var t Thread
	index := map[string]int{}
	ignore := func(n pagerduty.Note, why string) {
		t.Ignored = append(t.Ignored, Ignored{NoteID: n.ID, Author: n.User, At: n.At, Why: why})
	}
	for _, n := range sorted {
		m, err := Parse(n.Content)
		if errors.Is(err, ErrNoBlock) {
			continue
		}
		if err != nil {
			ignore(n, err.Error())
			continue
		}
		if n.User.ID == "" {
			ignore(n, "the note has no author: PagerDuty's author is the only identity an approval trusts")
			continue
		}
		switch m.Kind {
		case KindRequest:
			r := *m.Request
			switch _, dup := index[r.ID]; {
			case r.Incident != incidentID:
				ignore(n, "request "+r.ID+" names incident "+r.Incident+", not this one")
			case dup:
				ignore(n, "request "+r.ID+" was already made")
			default:
				index[r.ID] = len(t.Requests)
				t.Requests = append(t.Requests, Entry{Request: r, RequestedBy: n.User, RequestedAt: n.At, Status: Pending})
			}
		case KindDecision:
			d := *m.Decision
			i, ok := index[d.RequestID]
			if !ok {
				ignore(n, "decision on request "+d.RequestID+", which is not on this incident")
				continue
			}
			e := &t.Requests[i]
			if why := DecisionRefusal(*e, n.User.ID, n.At, d.PlanHash); why != "" {
				ignore(n, why)
				continue
			}
			e.Status, e.DecidedBy, e.DecidedAt, e.Reason, e.PlanHash = Denied, n.User, n.At, d.Reason, d.PlanHash
			if d.Approved() {
				e.Status = Approved
			}
		case KindWithdrawal:
			w := *m.Withdrawal
			i, ok := index[w.RequestID]
			if !ok {
				ignore(n, "withdrawal of request "+w.RequestID+", which is not on this incident")
				continue
			}
			e := &t.Requests[i]
			switch {
			case n.User.ID != e.RequestedBy.ID:
				ignore(n, "only the requester may withdraw request "+w.RequestID)
			case e.Status != Pending:
				ignore(n, "request "+w.RequestID+" was "+string(e.Status)+" already")
			default:
				e.Status, e.DecidedBy, e.DecidedAt, e.Reason = Withdrawn, n.User, n.At, w.Reason
			}
		}
	}
	for i := range t.Requests {
		if e := &t.Requests[i]; e.Status == Pending && !now.Before(e.Request.Expires) {
			e.Status = Expired
		}
	}
	return t
}

// DecisionRefusal says why a decision by author at at, naming planHash,
// does not count on e, or "" when it does. The approver's sitrep asks it
// before posting, and the requester's when it reads the decision.
func DecisionRefusal(e Entry, author string, at time.Time, planHash string) string {
	id := e.Request.ID
	switch {
	case author == "":
		return "the decision has no author"
	case author == e.RequestedBy.ID:
		return "request " + id + " was decided by its own requester: an approval must come from another PagerDuty user"
	case e.Status != Pending:
		return "request " + id + " was " + string(e.Status) + " already"
	case !at.Before(e.Request.Expires):
		return "request " + id + " expired at " + e.Request.Expires.UTC().Format("15:04:05 MST") + ", before the decision"
	case planHash != e.Request.PlanHash:
		return "the decision on request " + id + " names a different plan than the request"
	}
	return ""
}

// InScope reports whether a user with the given ID and teams is one of
// approvers (user or team IDs).
func InScope(approvers []string, userID string, teamIDs []string) bool {
	for _, a := range approvers {
		if a == userID {
			return true
		}
		for _, t := range teamIDs {
			if a == t {
				return true
			}
		}
	}
	return false
}
