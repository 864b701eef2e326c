package pdemulator

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// statusUpdate is a status update sent to an incident's subscribers.
type statusUpdate struct {
	id          string
	by          agent
	message     string
	subject     string
	htmlMessage string
	at          time.Time
}

// postStatusUpdate records a status update and its log entry. PagerDuty
// documents no refusal for resolved incidents, and a closing update after
// the fix is the common case, so resolved incidents accept them too.
func (w *world) postStatusUpdate(in *incident, by agent, u statusUpdate, at time.Time, channel string) (*statusUpdate, error) {
	if strings.TrimSpace(u.message) == "" {
		return nil, invalid("message must not be empty: it is the text subscribers receive")
	}
	if (u.subject == "") != (u.htmlMessage == "") {
		return nil, invalid("subject and html_message go together: a custom email needs both")
	}
	u.id, u.by, u.at = w.newID('U'), by, at
	in.statusUpdates = append(in.statusUpdates, &u)
	in.updatedAt = at
	w.log(in, "status_update_log_entry", at, by, map[string]any{"type": channel, "summary": u.message},
		fmt.Sprintf("Status update from %s: %s", by.name(w), u.message))
	return &u, nil
}

type wireStatusUpdate struct {
	ID          string `json:"id"`
	Message     string `json:"message"`
	CreatedAt   string `json:"created_at"`
	Sender      *ref   `json:"sender,omitempty"`
	Subject     string `json:"subject,omitempty"`
	HTMLMessage string `json:"html_message,omitempty"`
}

func (l links) statusUpdate(w *world, u *statusUpdate) wireStatusUpdate {
	return wireStatusUpdate{
		ID: u.id, Message: u.message, CreatedAt: formatTime(u.at), Sender: l.agentRef(w, u.by),
		Subject: u.subject, HTMLMessage: u.htmlMessage,
	}
}

// handleStatusUpdate answers POST /incidents/{id}/status_updates.
func (s *Server) handleStatusUpdate(w http.ResponseWriter, r *http.Request, id string) {
	var body struct {
		Message     *string `json:"message"`
		Subject     string  `json:"subject"`
		HTMLMessage string  `json:"html_message"`
	}
	if err := decodeBody(r, &body); err != nil {
		writeAPIError(w, err)
		return
	}
	if body.Message == nil {
		writeAPIError(w, invalid("message is required: {\"message\":\"...\"}"))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	by, in, ok := s.writeTarget(w, r, id)
	if !ok {
		return
	}
	u, err := s.world.postStatusUpdate(in, by, statusUpdate{message: *body.Message, subject: body.Subject, htmlMessage: body.HTMLMessage}, s.now(), channelAPI)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	// The published schema documents 200, not 201.
	writeJSON(w, http.StatusOK, map[string]any{"status_update": s.linksFor(r).statusUpdate(s.world, u)})
}
