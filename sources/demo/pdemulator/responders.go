package pdemulator

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// responderPending is the state of a responder who has been asked and has not
// answered; nothing in the emulator accepts or declines on a user's behalf.
const responderPending = "pending"

// responder is one user asked to join an incident. Asking the same user
// again replaces the earlier request, as PagerDuty keeps one responder
// record per user.
type responder struct {
	userID      string
	requester   agent
	message     string
	state       string
	requestedAt time.Time
}

// responderRequest is one POST to responder_requests, kept only to answer it.
type responderRequest struct {
	id        string
	requester agent
	message   string
	userIDs   []string
	at        time.Time
}

// requestResponders asks users to join an incident and writes the log
// entries PagerDuty does: a responder request naming them, credited to the
// requester, and a notification to each. The users are checked by the
// caller.
func (w *world) requestResponders(in *incident, by agent, userIDs []string, message string, at time.Time, channel string) (*responderRequest, error) {
	if in.status == statusResolved {
		return nil, invalid(fmt.Sprintf("incident %s is resolved; responders can only be requested on an open incident", in.id))
	}
	if len(userIDs) == 0 {
		return nil, invalid("responder_request_targets must name at least one user")
	}
	names := make([]string, 0, len(userIDs))
	for _, id := range userIDs {
		r := responder{userID: id, requester: by, message: message, state: responderPending, requestedAt: at}
		if i := slices.IndexFunc(in.responders, func(r responder) bool { return r.userID == id }); i >= 0 {
			in.responders[i] = r
		} else {
			in.responders = append(in.responders, r)
		}
		names = append(names, w.userByID[id].Name)
	}
	in.updatedAt = at
	summary := fmt.Sprintf("%s requested %s to respond", by.name(w), strings.Join(names, ", "))
	if strings.TrimSpace(message) != "" {
		summary += ": " + message
	} else {
		summary += "."
	}
	w.log(in, "responder_request_log_entry", at, by, map[string]any{"type": channel}, summary)
	for _, id := range userIDs {
		n := w.log(in, "notify_log_entry", at, agent{}, map[string]any{"type": "auto"}, fmt.Sprintf("Notified %s by push notification.", w.userByID[id].Name))
		n.userID = id
	}
	return &responderRequest{id: w.newID('J'), requester: by, message: message, userIDs: append([]string(nil), userIDs...), at: at}, nil
}

// wireResponder is IncidentsRespondersReference.
type wireResponder struct {
	State       string `json:"state"`
	User        ref    `json:"user"`
	Incident    ref    `json:"incident"`
	UpdatedAt   string `json:"updated_at"`
	Message     string `json:"message"`
	Requester   *ref   `json:"requester,omitempty"`
	RequestedAt string `json:"requested_at"`
}

func (l links) responder(w *world, in *incident, r responder) wireResponder {
	return wireResponder{
		State: r.state, User: l.userRef(w.userByID[r.userID]), Incident: l.incidentRef(in),
		UpdatedAt: formatTime(r.requestedAt), Message: r.message,
		Requester: l.agentRef(w, r.requester), RequestedAt: formatTime(r.requestedAt),
	}
}

// wireResponderTarget is one target of a responder request. PagerDuty's
// example, and go-pagerduty, wrap each target in responder_request_target
// and spell the list incidents_responders; the schema's component says
// incident_responders and omits the wrapper. The wire follows the example.
type wireResponderTarget struct {
	Target struct {
		ID         string          `json:"id"`
		Type       string          `json:"type"`
		Summary    string          `json:"summary"`
		Responders []wireResponder `json:"incidents_responders"`
	} `json:"responder_request_target"`
}

type wireResponderRequest struct {
	ID          string                `json:"id"`
	Incident    ref                   `json:"incident"`
	Requester   *ref                  `json:"requester,omitempty"`
	RequestedAt string                `json:"requested_at"`
	Message     string                `json:"message"`
	Targets     []wireResponderTarget `json:"responder_request_targets"`
}

func (l links) responderRequest(w *world, in *incident, rr *responderRequest) wireResponderRequest {
	out := wireResponderRequest{
		ID: rr.id, Incident: l.incidentRef(in), Requester: l.agentRef(w, rr.requester),
		RequestedAt: formatTime(rr.at), Message: rr.message, Targets: []wireResponderTarget{},
	}
	for _, id := range rr.userIDs {
		var t wireResponderTarget
		u := w.userByID[id]
		t.Target.ID, t.Target.Type, t.Target.Summary = u.ID, "user", u.Name
		t.Target.Responders = []wireResponder{}
		for _, r := range in.responders {
			if r.userID == id {
				t.Target.Responders = append(t.Target.Responders, l.responder(w, in, r))
			}
		}
		out.Targets = append(out.Targets, t)
	}
	return out
}

// handleResponderRequest answers POST /incidents/{id}/responder_requests.
// Only user targets are modelled; an escalation policy target is refused
// rather than silently dropped.
func (s *Server) handleResponderRequest(w http.ResponseWriter, r *http.Request, id string) {
	var body struct {
		RequesterID *string `json:"requester_id"`
		Message     *string `json:"message"`
		Targets     []struct {
			Target *idRef `json:"responder_request_target"`
		} `json:"responder_request_targets"`
	}
	if err := decodeBody(r, &body); err != nil {
		writeAPIError(w, err)
		return
	}
	switch {
	case body.RequesterID == nil || *body.RequesterID == "":
		writeAPIError(w, invalid("requester_id is required: the ID of the user asking for help"))
		return
	case body.Message == nil:
		writeAPIError(w, invalid("message is required: the text sent to the requested responders"))
		return
	case len(body.Targets) == 0:
		writeAPIError(w, invalid("responder_request_targets must list at least one target"))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, in, ok := s.writeTarget(w, r, id)
	if !ok {
		return
	}
	wd := s.world
	if wd.userByID[*body.RequesterID] == nil {
		writeAPIError(w, invalid(fmt.Sprintf("requester_id: user %q does not exist", *body.RequesterID)))
		return
	}
	var users []string
	for i, t := range body.Targets {
		field := fmt.Sprintf("responder_request_targets[%d].responder_request_target", i)
		switch {
		case t.Target == nil:
			writeAPIError(w, invalid(field+" is required: {\"id\":\"...\",\"type\":\"user_reference\"}"))
			return
		case t.Target.Type != "user_reference" && t.Target.Type != "user":
			writeAPIError(w, invalid(fmt.Sprintf("%s.type must be user_reference, got %q; the emulator does not model escalation policy targets", field, t.Target.Type)))
			return
		case wd.userByID[t.Target.ID] == nil:
			writeAPIError(w, invalid(fmt.Sprintf("%s.id: user %q does not exist", field, t.Target.ID)))
			return
		}
		if !slices.Contains(users, t.Target.ID) {
			users = append(users, t.Target.ID)
		}
	}
	rr, err := wd.requestResponders(in, agent{userID: *body.RequesterID}, users, *body.Message, s.now(), channelAPI)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	// The published schema documents 200, not 201.
	writeJSON(w, http.StatusOK, map[string]any{"responder_request": s.linksFor(r).responderRequest(wd, in, rr)})
}
