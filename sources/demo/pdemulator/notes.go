package pdemulator

import (
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// maxNoteLength is PagerDuty's limit on note content, in characters.
const maxNoteLength = 25000

type note struct {
	id      string
	by      agent
	content string
	at      time.Time
	channel string
}

func (w *world) addNote(in *incident, by agent, content string, at time.Time, channel string) (*note, error) {
	if strings.TrimSpace(content) == "" {
		return nil, invalid("note.content must not be empty")
	}
	if n := utf8.RuneCountInString(content); n > maxNoteLength {
		return nil, invalid(fmt.Sprintf("note.content is %d characters; the limit is %d", n, maxNoteLength))
	}
	n := &note{id: w.newID('N'), by: by, content: content, at: at, channel: channel}
	in.notes = append(in.notes, n)
	in.updatedAt = at
	e := w.log(in, "annotate_log_entry", at, by, map[string]any{"type": channel, "summary": content}, "Note added by "+by.name(w)+".")
	e.note = content
	return n, nil
}

type noteChannel struct {
	Summary string `json:"summary"`
}

type wireNote struct {
	ID        string      `json:"id"`
	User      *ref        `json:"user,omitempty"`
	Channel   noteChannel `json:"channel"`
	Content   string      `json:"content"`
	CreatedAt string      `json:"created_at"`
}

func (l links) note(w *world, n *note) wireNote {
	return wireNote{
		ID: n.id, User: l.agentRef(w, n.by), Channel: noteChannel{Summary: "The PagerDuty website or APIs"},
		Content: n.content, CreatedAt: formatTime(n.at),
	}
}

// handleListNotes answers GET /incidents/{id}/notes. The notes endpoint is
// not paginated: its body must hold only "notes", since go-pagerduty decodes
// it as a map of note arrays and would choke on a numeric "limit".
func (s *Server) handleListNotes(w http.ResponseWriter, r *http.Request, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, err := s.world.incident(id)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	l := s.linksFor(r)
	out := make([]wireNote, 0, len(in.notes))
	for _, n := range in.notes {
		out = append(out, l.note(s.world, n))
	}
	writeJSON(w, http.StatusOK, map[string]any{"notes": out})
}

func (s *Server) handleCreateNote(w http.ResponseWriter, r *http.Request, id string) {
	var body struct {
		Note *struct {
			Content string `json:"content"`
		} `json:"note"`
	}
	if err := decodeBody(r, &body); err != nil {
		writeAPIError(w, err)
		return
	}
	if body.Note == nil {
		writeAPIError(w, invalid("note is required: {\"note\":{\"content\":\"...\"}}"))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	by, in, ok := s.writeTarget(w, r, id)
	if !ok {
		return
	}
	n, err := s.world.addNote(in, by, body.Note.Content, s.now(), channelAPI)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	// The published schema documents 200 for note creation.
	writeJSON(w, http.StatusOK, map[string]any{"note": s.linksFor(r).note(s.world, n)})
}

// fromAgent resolves the From header to a user. Callers hold s.mu.
func (s *Server) fromAgent(r *http.Request) (agent, error) {
	if id := requestUser(r); id != "" {
		// A user token writes as its owner, whatever From says.
		return agent{userID: id}, nil
	}
	from := strings.TrimSpace(r.Header.Get("From"))
	if from == "" {
		return agent{}, invalid("the From header is required: the email address of a valid user making the request")
	}
	u := s.world.userByEmail[strings.ToLower(from)]
	if u == nil {
		return agent{}, invalid(fmt.Sprintf("the From header %q is not the email address of a user in this account", from))
	}
	return agent{userID: u.ID}, nil
}
