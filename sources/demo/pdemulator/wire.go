package pdemulator

import (
	"net/http"
	"strings"
)

// ref is PagerDuty's reference object ({"id","type","summary","self",
// "html_url"}). Every field is omitempty: go-pagerduty's own structs lack
// omitempty and would put empty strings and nulls on the wire.
type ref struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Summary string `json:"summary,omitempty"`
	Self    string `json:"self,omitempty"`
	HTMLURL string `json:"html_url,omitempty"`
}

// links builds self and html_url values. self points at the emulator the
// request reached, so a client that follows it stays on loopback.
type links struct {
	api string
	web string
}

func (s *Server) linksFor(r *http.Request) links {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return links{api: scheme + "://" + r.Host, web: s.opts.WebURL}
}

func (l links) self(parts ...string) string { return l.api + "/" + strings.Join(parts, "/") }
func (l links) html(parts ...string) string { return l.web + "/" + strings.Join(parts, "/") }

func (l links) userRef(u *User) ref {
	return ref{ID: u.ID, Type: "user_reference", Summary: u.Name, Self: l.self("users", u.ID), HTMLURL: l.html("users", u.ID)}
}

func (l links) teamRef(t *Team) ref {
	return ref{ID: t.ID, Type: "team_reference", Summary: t.Name, Self: l.self("teams", t.ID), HTMLURL: l.html("teams", t.ID)}
}

func (l links) serviceRef(s *Service) ref {
	return ref{ID: s.ID, Type: "service_reference", Summary: s.Name, Self: l.self("services", s.ID), HTMLURL: l.html("service-directory", s.ID)}
}

func (l links) policyRef(p *EscalationPolicy) ref {
	return ref{ID: p.ID, Type: "escalation_policy_reference", Summary: p.Name, Self: l.self("escalation_policies", p.ID), HTMLURL: l.html("escalation_policies", p.ID)}
}

func (l links) scheduleRef(s *Schedule) ref {
	return ref{ID: s.ID, Type: "schedule_reference", Summary: s.Name, Self: l.self("schedules", s.ID), HTMLURL: l.html("schedules", s.ID)}
}

func (l links) incidentRef(in *incident) ref {
	return ref{ID: in.id, Type: "incident_reference", Summary: in.summary(), Self: l.self("incidents", in.id), HTMLURL: l.html("incidents", in.id)}
}

// agentRef renders who did something: a user, or a service for triggers and
// automatic changes.
func (l links) agentRef(w *world, a agent) *ref {
	switch {
	case a.userID != "":
		if u := w.userByID[a.userID]; u != nil {
			r := l.userRef(u)
			return &r
		}
	case a.serviceID != "":
		if sv := w.serviceByID[a.serviceID]; sv != nil {
			r := l.serviceRef(sv)
			return &r
		}
	}
	return nil
}

// agent is who caused a change: a user (from the From header or the Go API)
// or a service (an event through an integration).
type agent struct {
	userID    string
	serviceID string
}

func (a agent) name(w *world) string {
	if u := w.userByID[a.userID]; u != nil {
		return u.Name
	}
	if sv := w.serviceByID[a.serviceID]; sv != nil {
		return sv.Name
	}
	return "PagerDuty"
}

func (l links) teamRefs(w *world, ids []string) []ref {
	out := make([]ref, 0, len(ids))
	for _, id := range ids {
		if t := w.teamByID[id]; t != nil {
			out = append(out, l.teamRef(t))
		}
	}
	return out
}
