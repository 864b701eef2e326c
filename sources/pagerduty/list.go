package pagerduty

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"

	pd "github.com/PagerDuty/go-pagerduty"

	"sitrep/sources/sanitize"
)

// The incident list is the one answer sitrep reads in bulk: a page of 100
// incidents with their services, teams, assignees and policies expanded is
// about 350 KB, and 10,000 incidents are 100 pages. go-pagerduty reads each
// page whole into memory and decodes it into structs with every field
// PagerDuty sends; with 10,000 incidents that is some 70 MB of garbage per
// refresh, which the process carries as resident memory until the
// collector catches up. So the list is read here, not through go-pagerduty:
// each page is decoded from the connection one incident at a time into a
// reused struct holding only what the list shows, converted, and dropped.
// A refresh then costs its result plus one incident's worth of scratch.

// listIncidents pages through GET /incidents with opts, streaming each page.
func (c *Client) listIncidents(ctx context.Context, opts pd.ListIncidentsOptions) ([]Incident, error) {
	var (
		out   = make([]Incident, 0, c.lastList.capacity())
		d     pageDecoder
		names = interner{}
	)
	defer func() { c.lastList.n.Store(int64(len(out))) }()
	for page := 0; page < maxPages; page++ {
		opts.Offset = uint(page * pageLimit)
		before := len(out)
		more, err := c.getPage(ctx, incidentsQuery(opts), func(body io.Reader) (bool, error) {
			var more bool
			var err error
			out, more, err = d.decode(body, out, names)
			return more, err
		})
		if err != nil {
			return nil, describe(ctx, "list incidents", err)
		}
		if !more || len(out) == before {
			break
		}
	}
	return out, nil
}

// listSize remembers how long the last list was, so the next one is
// allocated once at its size instead of doubling its way there: 10,000
// rows are 3.3 MB, and doubling to them allocates as much again.
type listSize struct{ n atomic.Int64 }

// capacity is room for the last list and a page more.
func (s *listSize) capacity() int {
	n := s.n.Load()
	if n <= 0 {
		return pageLimit
	}
	return int(min(n, maxPages*pageLimit)) + pageLimit
}

// incidentsQuery encodes the options the feed sets, as go-pagerduty would.
func incidentsQuery(o pd.ListIncidentsOptions) url.Values {
	q := url.Values{}
	if o.Limit > 0 {
		q.Set("limit", strconv.FormatUint(uint64(o.Limit), 10))
	}
	if o.Offset > 0 {
		q.Set("offset", strconv.FormatUint(uint64(o.Offset), 10))
	}
	q["statuses[]"] = o.Statuses
	q["user_ids[]"] = o.UserIDs
	q["team_ids[]"] = o.TeamIDs
	q["include[]"] = o.Includes
	if o.SortBy != "" {
		q.Set("sort_by", o.SortBy)
	}
	for k, v := range q {
		if len(v) == 0 {
			delete(q, k)
		}
	}
	return q
}

// getPage sends one GET /incidents and hands its body to read, which says
// whether more pages follow. Errors read like go-pagerduty's, so describe
// words them the same way for both paths.
func (c *Client) getPage(ctx context.Context, q url.Values, read func(io.Reader) (bool, error)) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.baseURL+"/incidents?"+q.Encode(), nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Accept", "application/vnd.pagerduty+json;version=2")
	req.Header.Set("Authorization", "Token token="+c.token)
	req.Header.Set("User-Agent", "go-pagerduty/"+pd.Version)
	resp, err := c.http.Do(req)
	if err != nil {
		return false, fmt.Errorf("error calling the API endpoint: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return false, apiError(resp)
	}
	more, err := read(resp.Body)
	if err != nil {
		return false, err
	}
	// Drain what follows the answer (nothing, usually) so the connection
	// is reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	return more, nil
}

// apiError reads an error answer as go-pagerduty does.
func apiError(resp *http.Response) error {
	e := pd.APIError{StatusCode: resp.StatusCode}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		return e
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil || json.Unmarshal(data, &e) != nil {
		return pd.APIError{StatusCode: resp.StatusCode}
	}
	e.StatusCode = resp.StatusCode
	return e
}

// wireRef is what the list reads of a reference: go-pagerduty's APIObject
// without the fields nothing shows.
type wireRef struct {
	ID      string `json:"id"`
	Summary string `json:"summary"`
}

// wireIncident is the part of PagerDuty's incident the list shows. Field
// names and types are go-pagerduty's, so an answer decodes the same way
// (FuzzListPageMatchesGoPagerDuty holds the two to it).
type wireIncident struct {
	ID                 string  `json:"id"`
	IncidentNumber     uint    `json:"incident_number"`
	Title              string  `json:"title"`
	Summary            string  `json:"summary"`
	Status             string  `json:"status"`
	Urgency            string  `json:"urgency"`
	CreatedAt          string  `json:"created_at"`
	LastStatusChangeAt string  `json:"last_status_change_at"`
	HTMLURL            string  `json:"html_url"`
	Service            wireRef `json:"service"`
	EscalationPolicy   wireRef `json:"escalation_policy"`
	Priority           *struct {
		wireRef
		Name string `json:"name"`
	} `json:"priority"`
	Teams       []wireRef `json:"teams"`
	Assignments []struct {
		Assignee wireRef `json:"assignee"`
	} `json:"assignments"`
	AlertCounts struct {
		Triggered uint `json:"triggered"`
		Resolved  uint `json:"resolved"`
		All       uint `json:"all"`
	} `json:"alert_counts"`
}

// reset empties w for the next incident, keeping its slices' memory.
// encoding/json decodes into the spare capacity of a slice without zeroing
// it, so the old elements are cleared first.
func (w *wireIncident) reset() {
	teams, as := w.Teams[:cap(w.Teams)], w.Assignments[:cap(w.Assignments)]
	clear(teams)
	clear(as)
	*w = wireIncident{Teams: teams[:0], Assignments: as[:0]}
}

// pageDecoder decodes list pages; its scratch incident is reused across
// pages.
type pageDecoder struct {
	w wireIncident
}

// notA is the error for a value of the wrong JSON type, worded as
// json.Unmarshal words it.
func notA(value, field string, t reflect.Type) error {
	return &json.UnmarshalTypeError{Value: value, Type: t, Field: field}
}

// decode reads one page from r, appending its incidents to out. It
// accepts what json.Unmarshal into go-pagerduty's ListIncidentsResponse
// accepts: keys in any order and case, null for the list, repeated keys
// (the last wins).
func (d *pageDecoder) decode(r io.Reader, out []Incident, names interner) ([]Incident, bool, error) {
	dec := json.NewDecoder(r)
	start := len(out)
	var more bool
	tok, err := dec.Token()
	if err != nil {
		return out, false, err
	}
	if tok == nil { // null: no incidents, no more
		return out, false, trailing(dec)
	}
	if tok != json.Delim('{') {
		return out, false, notA(fmt.Sprint(tok), "", reflect.TypeFor[pd.ListIncidentsResponse]())
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return out, false, err
		}
		key, _ := tok.(string)
		switch {
		case strings.EqualFold(key, "incidents"):
			out = out[:start]
			if out, err = d.incidents(dec, out, names); err != nil {
				return out, false, err
			}
		case strings.EqualFold(key, "more"):
			if err := dec.Decode(&more); err != nil {
				return out, false, err
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return out, false, err
			}
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return out, false, err
	}
	return out, more, trailing(dec)
}

// incidents reads the value of "incidents": null or an array of incidents.
func (d *pageDecoder) incidents(dec *json.Decoder, out []Incident, names interner) ([]Incident, error) {
	tok, err := dec.Token()
	if err != nil {
		return out, err
	}
	if tok == nil {
		return out, nil
	}
	if tok != json.Delim('[') {
		return out, notA(fmt.Sprint(tok), "incidents", reflect.TypeFor[[]pd.Incident]())
	}
	for dec.More() {
		d.w.reset()
		if err := dec.Decode(&d.w); err != nil {
			return out, err
		}
		out = append(out, fromWire(&d.w, names))
	}
	_, err = dec.Token() // the closing bracket
	return out, err
}

// trailing fails when anything but space follows the answer, as
// json.Unmarshal does.
func trailing(dec *json.Decoder) error {
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			err = errors.New("the incident list has data after its end")
		}
		return err
	}
	return nil
}

// fromWire converts like fromIncident. Names that repeat across a list
// (statuses, services, teams, people, policies) are shared, so 10,000
// incidents on twenty services hold twenty service names, not 10,000.
func fromWire(in *wireIncident, names interner) Incident {
	out := Incident{
		ID:               sanitize.Line(in.ID),
		Number:           in.IncidentNumber,
		Title:            sanitize.Line(firstNonEmpty(in.Title, in.Summary)),
		Status:           names.line(in.Status),
		Urgency:          names.line(in.Urgency),
		Service:          names.ref(in.Service),
		EscalationPolicy: names.ref(in.EscalationPolicy),
		CreatedAt:        parseTime(in.CreatedAt),
		LastChangeAt:     parseTime(in.LastStatusChangeAt),
		HTMLURL:          sanitize.Line(in.HTMLURL),
		AlertCounts:      Counts{All: in.AlertCounts.All, Triggered: in.AlertCounts.Triggered, Resolved: in.AlertCounts.Resolved},
	}
	if p := in.Priority; p != nil {
		out.Priority = names.line(firstNonEmpty(p.Name, p.Summary))
	}
	if len(in.Teams) > 0 {
		out.Teams = make([]Ref, len(in.Teams))
		for i, t := range in.Teams {
			out.Teams[i] = names.ref(t)
		}
	}
	if len(in.Assignments) > 0 {
		out.Assignees = make([]Ref, len(in.Assignments))
		for i, a := range in.Assignments {
			out.Assignees[i] = names.ref(a.Assignee)
		}
	}
	if out.LastChangeAt.IsZero() {
		out.LastChangeAt = out.CreatedAt
	}
	return out
}

// maxInterned bounds an interner: a hostile or enormous answer costs
// copies, never an unbounded table.
const maxInterned = 4096

// interner shares equal sanitized strings within one list.
type interner map[string]string

func (n interner) line(s string) string {
	s = sanitize.Line(s)
	if v, ok := n[s]; ok {
		return v
	}
	if len(n) < maxInterned {
		n[s] = s
	}
	return s
}

func (n interner) ref(o wireRef) Ref {
	return Ref{ID: n.line(o.ID), Name: n.line(o.Summary)}
}
