package pdemulator

import (
	"cmp"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

type logEntry struct {
	id             string
	typ            string
	at             time.Time
	agent          agent
	channel        map[string]any // always has a string "type"
	summary        string
	incidentID     string
	serviceID      string
	teamIDs        []string
	assignees      []string
	note           string
	userID         string // notify entries: who was notified
	ackTimeout     int
	changedActions []pendingAction
	eventDetails   map[string]string
}

type pendingAction struct {
	Type string `json:"type"`
	At   string `json:"at"`
}

// log appends a log entry to an incident.
func (w *world) log(in *incident, typ string, at time.Time, by agent, channel map[string]any, summary string) *logEntry {
	sv := w.serviceByID[in.serviceID]
	e := &logEntry{
		id: w.newID('L'), typ: typ, at: at, agent: by, channel: channel, summary: summary,
		incidentID: in.id, serviceID: in.serviceID, teamIDs: sv.TeamIDs,
	}
	in.logs = append(in.logs, e)
	return e
}

// wireLogEntry is a log entry on the wire. channel.type is never null and
// event_details holds only strings: go-pagerduty v1.8.0 panics or fails to
// decode otherwise.
type wireLogEntry struct {
	ID                     string            `json:"id"`
	Type                   string            `json:"type"`
	Summary                string            `json:"summary"`
	Self                   string            `json:"self"`
	HTMLURL                string            `json:"html_url"`
	CreatedAt              string            `json:"created_at"`
	Agent                  *ref              `json:"agent,omitempty"`
	Channel                map[string]any    `json:"channel"`
	Service                any               `json:"service,omitempty"`
	Incident               any               `json:"incident,omitempty"`
	Teams                  []any             `json:"teams,omitempty"`
	Contexts               []any             `json:"contexts"`
	EventDetails           map[string]string `json:"event_details,omitempty"`
	Assignees              []ref             `json:"assignees,omitempty"`
	Note                   string            `json:"note,omitempty"`
	User                   *ref              `json:"user,omitempty"`
	AcknowledgementTimeout int               `json:"acknowledgement_timeout,omitempty"`
	ChangedActions         []pendingAction   `json:"changed_actions,omitempty"`
}

func (l links) logEntry(w *world, e *logEntry, inc map[string]bool) wireLogEntry {
	in := w.incidentByID[e.incidentID]
	out := wireLogEntry{
		ID: e.id, Type: e.typ, Summary: e.summary,
		Self:      l.self("log_entries", e.id),
		HTMLURL:   l.html("incidents", e.incidentID, "log_entries", e.id),
		CreatedAt: formatTime(e.at), Agent: l.agentRef(w, e.agent),
		Channel: maps.Clone(e.channel), Contexts: []any{},
		EventDetails: e.eventDetails, Note: e.note, AcknowledgementTimeout: e.ackTimeout,
		ChangedActions: e.changedActions,
	}
	if out.Channel == nil || out.Channel["type"] == nil {
		out.Channel = map[string]any{"type": "auto"}
	}
	if !inc["channels"] {
		// Without include[]=channels PagerDuty trims channels to their type
		// and summary.
		trimmed := map[string]any{"type": out.Channel["type"]}
		if v, ok := out.Channel["summary"]; ok {
			trimmed["summary"] = v
		}
		out.Channel = trimmed
	}
	if sv := w.serviceByID[e.serviceID]; sv != nil {
		if inc["services"] {
			out.Service = l.service(w, sv, nil)
		} else {
			out.Service = l.serviceRef(sv)
		}
	}
	if in != nil {
		if inc["incidents"] {
			out.Incident = l.incident(w, in, nil)
		} else {
			out.Incident = l.incidentRef(in)
		}
	}
	for _, id := range e.teamIDs {
		if t := w.teamByID[id]; t != nil {
			if inc["teams"] {
				out.Teams = append(out.Teams, l.team(t))
			} else {
				out.Teams = append(out.Teams, l.teamRef(t))
			}
		}
	}
	for _, id := range e.assignees {
		out.Assignees = append(out.Assignees, l.userRef(w.userByID[id]))
	}
	if u := w.userByID[e.userID]; u != nil {
		r := l.userRef(u)
		out.User = &r
	}
	return out
}

// overviewTypes are the entries is_overview=true keeps: the changes a
// responder cares about, without the notification noise.
var overviewTypes = []string{
	"trigger_log_entry", "acknowledge_log_entry", "unacknowledge_log_entry", "assign_log_entry",
	"escalate_log_entry", "snooze_log_entry", "annotate_log_entry", "resolve_log_entry",
	"responder_request_log_entry", "status_update_log_entry",
}

// logQuery is a parsed log entry listing query, shared by an incident's log
// and the account's.
type logQuery struct {
	limit, offset int
	total         bool
	overview      bool
	inc           map[string]bool
	since, until  time.Time
	teamIDs       []string
}

var logEntryIncludes = []string{"incidents", "services", "channels", "teams"}

func parseLogQuery(q url.Values) (lq logQuery, err error) {
	if lq.limit, lq.offset, lq.total, err = pageParams(q); err != nil {
		return lq, err
	}
	if lq.overview, err = boolParam(q, "is_overview"); err != nil {
		return lq, err
	}
	if lq.inc, err = includes(q, logEntryIncludes...); err != nil {
		return lq, err
	}
	if lq.since, err = timeParam(q, "since"); err != nil {
		return lq, err
	}
	if lq.until, err = timeParam(q, "until"); err != nil {
		return lq, err
	}
	if !lq.since.IsZero() && !lq.until.IsZero() && lq.until.Before(lq.since) {
		return lq, invalid("until must not be before since")
	}
	if err = checkTimeZone(q); err != nil {
		return lq, err
	}
	lq.teamIDs = arrayParam(q, "team_ids")
	return lq, nil
}

// checkTimeZone refuses a time_zone PagerDuty would not know. Times are
// always answered in UTC, which names the same instants.
func checkTimeZone(q url.Values) error {
	tz := q.Get("time_zone")
	if tz == "" {
		return nil
	}
	if _, err := time.LoadLocation(tz); err != nil || strings.EqualFold(tz, "local") {
		return invalid(fmt.Sprintf("time_zone must be an IANA time zone such as Europe/Berlin, got %q", tz))
	}
	return nil
}

func (lq logQuery) match(e *logEntry) bool {
	if lq.overview && !slices.Contains(overviewTypes, e.typ) {
		return false
	}
	if (!lq.since.IsZero() && e.at.Before(lq.since)) || (!lq.until.IsZero() && !e.at.Before(lq.until)) {
		return false
	}
	return len(lq.teamIDs) == 0 || intersects(e.teamIDs, lq.teamIDs)
}

// writeLogEntries answers one page of matched entries.
func (s *Server) writeLogEntries(w http.ResponseWriter, r *http.Request, lq logQuery, matched []*logEntry) {
	l := s.linksFor(r)
	lo, hi, p := paginate(len(matched), lq.limit, lq.offset, lq.total)
	out := make([]wireLogEntry, 0, hi-lo)
	for _, e := range matched[lo:hi] {
		out = append(out, l.logEntry(s.world, e, lq.inc))
	}
	writeJSON(w, http.StatusOK, struct {
		LogEntries []wireLogEntry `json:"log_entries"`
		page
	}{out, p})
}

func (s *Server) handleIncidentLogEntries(w http.ResponseWriter, r *http.Request, id string) {
	lq, err := parseLogQuery(r.URL.Query())
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
	// Newest first, as PagerDuty lists an incident's log.
	var matched []*logEntry
	for i := len(in.logs) - 1; i >= 0; i-- {
		if e := in.logs[i]; lq.match(e) {
			matched = append(matched, e)
		}
	}
	s.writeLogEntries(w, r, lq, matched)
}

// handleLogEntries answers GET /log_entries, every incident's log entries
// in the account, newest first.
func (s *Server) handleLogEntries(w http.ResponseWriter, r *http.Request) {
	lq, err := parseLogQuery(r.URL.Query())
	if err != nil {
		writeAPIError(w, err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var matched []*logEntry
	for _, in := range s.world.incidents {
		for _, e := range in.logs {
			if lq.match(e) {
				matched = append(matched, e)
			}
		}
	}
	// Newest first; entries written at the same instant keep the reverse
	// of the order they were written in (IDs are a sequence).
	slices.SortStableFunc(matched, func(a, b *logEntry) int {
		if c := b.at.Compare(a.at); c != 0 {
			return c
		}
		return cmp.Compare(b.id, a.id)
	})
	s.writeLogEntries(w, r, lq, matched)
}

func (s *Server) handleGetLogEntry(w http.ResponseWriter, r *http.Request, id string) {
	q := r.URL.Query()
	inc, err := includes(q, logEntryIncludes...)
	if err == nil {
		err = checkTimeZone(q)
	}
	if err != nil {
		writeAPIError(w, err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, in := range s.world.incidents {
		for _, e := range in.logs {
			if e.id == id {
				writeJSON(w, http.StatusOK, map[string]any{"log_entry": s.linksFor(r).logEntry(s.world, e, inc)})
				return
			}
		}
	}
	writeAPIError(w, notFound("log entry "+id+" does not exist"))
}
