package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"sitrep/sources/pagerduty"
	"sitrep/sources/sanitize"
	"sitrep/store/journal"
)

// An incident is named on the command line the way the engineer sees it:
// by the number the cockpit and PagerDuty's web UI show (#9, or 9) or by
// PagerDuty's ID (Q000009). Everything below the command line works with
// IDs, so a number is turned into the ID here, once, before anything else
// reads or writes.

// incidentRef is a parsed incident argument: a number, or an ID.
type incidentRef struct {
	number uint   // > 0 when the argument was #N or N
	id     string // the PagerDuty ID when the argument was one
}

// parseIncidentRef reads #9, 9 or Q000009. PagerDuty IDs start with a
// letter, so an argument of digits alone is a number.
func parseIncidentRef(arg string) (incidentRef, error) {
	s := strings.TrimSpace(arg)
	digits, hash := strings.CutPrefix(s, "#")
	if s == "" || hash && digits == "" {
		return incidentRef{}, fmt.Errorf("no incident named: give its number (#9 or 9) or its PagerDuty ID (Q000009); sitrep journal ls lists them")
	}
	if isDigits(digits) {
		n, err := strconv.ParseUint(digits, 10, 32)
		if err != nil || n == 0 {
			return incidentRef{}, fmt.Errorf("incident %q: an incident number is 1 or more and at most %d; sitrep journal ls lists them", sanitize.Line(arg), uint32(1<<32-1))
		}
		return incidentRef{number: uint(n)}, nil
	}
	if hash {
		return incidentRef{}, fmt.Errorf("incident %q: after # comes the incident's number (#9); sitrep journal ls lists them", sanitize.Line(arg))
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return incidentRef{}, fmt.Errorf("incident %q: name it by its number (#9 or 9) or its PagerDuty ID (letters and digits, like Q000009); sitrep journal ls lists them", sanitize.Line(arg))
		}
	}
	return incidentRef{id: s}, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// oneIncident is the Args check of a command that takes one incident. A
// # typed in a shell starts a comment, so "sitrep export #9" arrives with no
// argument at all: the message says so.
func oneIncident(cmd *cobra.Command, args []string) error {
	switch len(args) {
	case 1:
		return nil
	case 0:
		return fmt.Errorf("which incident? give its number (9, or '#9' quoted: the shell takes an unquoted # for a comment) or its PagerDuty ID (Q000009); sitrep journal ls lists them")
	}
	return fmt.Errorf("%s takes one incident, got %d arguments: %s", cmd.CommandPath(), len(args), sanitize.Line(strings.Join(args, " ")))
}

// incidentFinder is the part of PagerDuty that can turn a number into an
// incident when the journal does not know it.
type incidentFinder interface {
	Incidents(ctx context.Context, scope pagerduty.Scope) ([]pagerduty.Incident, error)
	Incident(ctx context.Context, id string) (pagerduty.Incident, error)
}

// resolveIncident returns the PagerDuty ID an incident argument names. An
// ID is taken as given. A number is looked up in the journal (its incident
// cache and the incidents it has seen) and, when the journal does not know
// it and pd is not nil, in PagerDuty: its open incidents, then the
// incident by number. Two incidents with one number, or none, is an error
// that says what was searched and how to find the right one.
func resolveIncident(ctx context.Context, arg string, j *journal.Journal, pd incidentFinder) (string, error) {
	ref, err := parseIncidentRef(arg)
	if err != nil {
		return "", usageError(err)
	}
	if ref.id != "" {
		return ref.id, nil
	}
	n := ref.number
	known, err := gatherIncidents(ctx, j, false)
	if err != nil {
		return "", fmt.Errorf("find incident #%d in the journal: %w", n, err)
	}
	var matches []incidentFacts
	for _, f := range known {
		if f.Number == n {
			matches = append(matches, f)
		}
	}
	switch len(matches) {
	case 1:
		return matches[0].ID, nil
	case 0:
	default:
		return "", ambiguousNumber(n, "the journal "+j.Path(), matches)
	}
	tried := fmt.Sprintf("the journal %s (%d incidents with a known number)", j.Path(), countNumbered(known))
	if pd == nil {
		return "", fmt.Errorf("no incident #%d in %s; sitrep journal ls lists the journaled incidents with their numbers, or give the PagerDuty ID (Q000009)", n, tried)
	}
	open, err := pd.Incidents(ctx, pagerduty.ScopeAll)
	if err != nil {
		return "", fmt.Errorf("no incident #%d in %s, and PagerDuty could not be asked: %w; give the PagerDuty ID (Q000009), which needs no look-up", n, tried, err)
	}
	matches = matches[:0]
	for _, in := range open {
		if in.Number == n {
			matches = append(matches, factsOf(in))
		}
	}
	switch len(matches) {
	case 1:
		return matches[0].ID, nil
	case 0:
	default:
		return "", ambiguousNumber(n, "PagerDuty's open incidents", matches)
	}
	tried += fmt.Sprintf(", PagerDuty's %d open incidents", len(open))
	// PagerDuty's GET /incidents/{id} takes an incident's number in place of
	// its ID; a resolved incident is found only this way. The answer is
	// checked: a server that reads the number as an ID must not pass off
	// another incident.
	in, err := pd.Incident(ctx, strconv.FormatUint(uint64(n), 10))
	if err == nil && in.Number == n && in.ID != "" {
		return in.ID, nil
	}
	why := "answered with another incident"
	if err != nil {
		why = sanitize.Line(err.Error())
	}
	tried += fmt.Sprintf(" and PagerDuty's incident by number (%s)", why)
	return "", fmt.Errorf("no incident #%d in %s; sitrep journal ls lists the journaled incidents with their numbers, or give the PagerDuty ID (Q000009)", n, tried)
}

func ambiguousNumber(n uint, where string, matches []incidentFacts) error {
	var names []string
	for _, f := range matches {
		names = append(names, fmt.Sprintf("%s (%s)", sanitize.Line(f.ID), sanitize.Line(f.Title)))
	}
	return fmt.Errorf("#%d names %d incidents in %s: %s; give the PagerDuty ID instead (sitrep journal ls lists them)", n, len(matches), where, strings.Join(names, ", "))
}

func countNumbered(fs []incidentFacts) int {
	n := 0
	for _, f := range fs {
		if f.Number > 0 {
			n++
		}
	}
	return n
}

// incidentFacts is what the journal knows of one incident: what
// `sitrep journal ls` shows, and what a number is resolved against.
type incidentFacts struct {
	ID       string
	Number   uint // 0 when unknown
	Title    string
	Service  string
	Status   string // the last known: cache, PagerDuty's timeline, or first sighting
	Entries  uint64
	First    time.Time
	Last     time.Time
	statusAt time.Time
}

func factsOf(in pagerduty.Incident) incidentFacts {
	return incidentFacts{ID: in.ID, Number: in.Number, Title: in.Title, Service: in.Service.Name, Status: in.Status}
}

// setStatus keeps the latest of the statuses the journal holds.
func (f *incidentFacts) setStatus(status string, at time.Time) {
	if status != "" && (f.Status == "" || !at.Before(f.statusAt)) {
		f.Status, f.statusAt = status, at
	}
}

// statusAfter is the status a PagerDuty log entry (journaled as
// status.<verb>) leaves an incident in, or "" when it does not change it.
func statusAfter(kind string) string {
	switch strings.TrimPrefix(kind, "status.") {
	case "trigger", "unacknowledge":
		return pagerduty.StatusTriggered
	case "acknowledge", "snooze":
		return pagerduty.StatusAcknowledged
	case "resolve":
		return pagerduty.StatusResolved
	}
	return ""
}

var errEnough = errors.New("read enough")

// cacheScopes are the scopes whose incident lists the cockpit caches.
var cacheScopes = []pagerduty.Scope{pagerduty.ScopeMine, pagerduty.ScopeTeam, pagerduty.ScopeAll}

// gatherIncidents lists the incidents the journal knows: every journaled
// incident, with its number, title and service from its first sighting
// and the incident cache, and the incidents only the cache holds (with no
// entries). With status, each journaled incident's entries are read to
// find its last known status; without, reading stops at the sighting,
// which is all a number needs.
func gatherIncidents(ctx context.Context, j *journal.Journal, status bool) ([]incidentFacts, error) {
	sums, err := j.Incidents()
	if err != nil {
		return nil, err
	}
	type cachedIncident struct {
		in pagerduty.Incident
		at time.Time
	}
	cached := map[string]cachedIncident{}
	for _, scope := range cacheScopes {
		// A damaged cache is ignored, as the cockpit ignores it: the
		// journal's own entries still name the incidents.
		list, at, err := j.LoadIncidents(scope.String())
		if err != nil {
			continue
		}
		for _, in := range list {
			if c, ok := cached[in.ID]; !ok || at.After(c.at) {
				cached[in.ID] = cachedIncident{in, at}
			}
		}
	}
	out := make([]incidentFacts, 0, len(sums)+len(cached))
	for _, s := range sums {
		f := incidentFacts{ID: s.ID, Entries: s.Entries, First: s.First, Last: s.Last}
		seen := false
		err := j.EachOf(ctx, s.ID, func(e journal.Entry) error {
			switch {
			case e.Kind == "seen" && !seen:
				seen = true
				var in pagerduty.Incident
				if json.Unmarshal(e.Data, &in) == nil {
					f.Number, f.Title, f.Service = in.Number, in.Title, in.Service.Name
					f.setStatus(in.Status, e.At)
				}
				if !status {
					return errEnough
				}
			case status && strings.HasPrefix(e.Kind, "status."):
				f.setStatus(statusAfter(e.Kind), e.At)
			}
			return nil
		})
		if err != nil && !errors.Is(err, errEnough) {
			return nil, err
		}
		if c, ok := cached[s.ID]; ok {
			delete(cached, s.ID)
			in := c.in
			if in.Number > 0 {
				f.Number = in.Number
			}
			if in.Title != "" {
				f.Title = in.Title
			}
			if in.Service.Name != "" {
				f.Service = in.Service.Name
			}
			f.setStatus(in.Status, c.at)
		}
		out = append(out, f)
	}
	rest := make([]incidentFacts, 0, len(cached))
	for _, c := range cached {
		f := factsOf(c.in)
		f.statusAt = c.at
		rest = append(rest, f)
	}
	sort.Slice(rest, func(a, b int) bool { return rest[a].ID < rest[b].ID })
	return append(out, rest...), nil
}
