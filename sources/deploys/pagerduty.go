package deploys

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"sitrep/sources/sanitize"
)

// DefaultPagerDutyAPI is PagerDuty's REST API.
const DefaultPagerDutyAPI = "https://api.pagerduty.com"

// PagerDuty reads change events over PagerDuty's REST API v2. go-pagerduty
// v1.8.0 has no calls for them, so this speaks HTTP itself.
type PagerDuty struct {
	Client  *http.Client // shared with the rest of sitrep's PagerDuty traffic; nil means http.DefaultClient
	BaseURL string       // empty means DefaultPagerDutyAPI
	Token   string       // REST API token; it never appears in an error
	// MaxPages bounds how many pages of 100 ListChanges reads; zero means
	// DefaultMaxPages.
	MaxPages int
	// Cache keeps the answers for a lifetime, shared by every copy of this
	// value; nil asks PagerDuty every time.
	Cache *ChangeCache
}

// Forget drops what the cache keeps for an incident and the account-wide
// list: a manual refresh.
func (p PagerDuty) Forget(incidentID string) { p.Cache.Forget(incidentID) }

// DefaultMaxPages bounds ListChanges to 1,000 change events.
const DefaultMaxPages = 10

const pageSize = 100

// maxPDBody bounds one response body.
const maxPDBody = 16 << 20

// RelatedChanges returns the change events PagerDuty correlates with an
// incident (GET /incidents/{id}/related_change_events), from the cache
// while its answer lives.
func (p PagerDuty) RelatedChanges(ctx context.Context, incidentID string) ([]Change, error) {
	if incidentID == "" {
		return nil, errors.New("pagerduty related change events: no incident ID")
	}
	if cs, ok := p.Cache.relatedGet(incidentID); ok {
		return cs, nil
	}
	path := "/incidents/" + url.PathEscape(incidentID) + "/related_change_events"
	q := url.Values{"limit": {strconv.Itoa(pageSize)}}
	page, err := p.get(ctx, path, q)
	if err != nil {
		p.Cache.relatedForget(incidentID)
		return nil, err
	}
	cs := page.changes("")
	p.Cache.relatedPut(incidentID, cs)
	return cs, nil
}

// ListChanges returns the change events between since and until (GET
// /change_events). With serviceID set, only events for that service are
// kept: the endpoint's published schema has no service filter (only
// team_ids[] and integration_ids[]), so the filter is applied here. With a
// Cache, one read of the account's events serves every service and every
// window it covers while it lives; a new read also covers the window kept,
// so looking from incident to incident reads once per lifetime.
func (p PagerDuty) ListChanges(ctx context.Context, since, until time.Time, serviceID string) ([]Change, error) {
	if evs, ok := p.Cache.account(since, until); ok {
		return changeEventsPage{ChangeEvents: within(evs, since, until)}.changes(serviceID), nil
	}
	from := p.Cache.widen(since)
	evs, complete, err := p.listEvents(ctx, from, until)
	switch {
	case err != nil:
		p.Cache.accountForget()
	case complete:
		p.Cache.accountPut(from, until, evs)
	case !from.Equal(since):
		// The wider read was cut off at MaxPages and may lack events of
		// this window that its own read has.
		evs, _, err = p.listEvents(ctx, since, until)
	}
	return changeEventsPage{ChangeEvents: within(evs, since, until)}.changes(serviceID), err
}

// listEvents reads the account's change events between since and until,
// up to MaxPages pages; complete says nothing was left unread. On an error
// it returns the pages read before it.
func (p PagerDuty) listEvents(ctx context.Context, since, until time.Time) (events []changeEvent, complete bool, err error) {
	maxPages := p.MaxPages
	if maxPages <= 0 {
		maxPages = DefaultMaxPages
	}
	q := url.Values{"limit": {strconv.Itoa(pageSize)}}
	// The API refuses non-UTC times with a 400.
	if !since.IsZero() {
		q.Set("since", since.UTC().Format(time.RFC3339))
	}
	if !until.IsZero() {
		q.Set("until", until.UTC().Format(time.RFC3339))
	}
	for i, offset := 0, 0; i < maxPages; i++ {
		q.Set("offset", strconv.Itoa(offset))
		page, err := p.get(ctx, "/change_events", q)
		if err != nil {
			return events, false, err
		}
		events = append(events, page.ChangeEvents...)
		if !page.More || len(page.ChangeEvents) == 0 {
			return events, true, nil
		}
		offset += len(page.ChangeEvents)
	}
	return events, false, nil
}

// changeEventsPage is the body of both change event lists.
type changeEventsPage struct {
	ChangeEvents []changeEvent `json:"change_events"`
	More         bool          `json:"more"`
}

type changeEvent struct {
	ID        string   `json:"id"`
	Summary   string   `json:"summary"`
	Timestamp string   `json:"timestamp"`
	Services  []pdRef  `json:"services"`
	Service   *pdRef   `json:"service"` // not in the schema, but some emitters send it
	Links     []pdLink `json:"links"`
}

type pdRef struct {
	ID      string `json:"id"`
	Summary string `json:"summary"`
}

type pdLink struct {
	Href string `json:"href"`
	Text string `json:"text"`
}

// changes converts the page, keeping only serviceID's events when it is set.
// An event whose timestamp does not parse keeps a zero At rather than being
// lost: it still says something changed.
func (pg changeEventsPage) changes(serviceID string) []Change {
	var out []Change
	for _, ev := range pg.ChangeEvents {
		refs := ev.Services
		if ev.Service != nil {
			refs = append([]pdRef{*ev.Service}, refs...)
		}
		svc, ok := pickService(refs, serviceID)
		if !ok {
			continue
		}
		c := Change{
			ID:      sanitize.Line(ev.ID),
			Source:  "pagerduty",
			Service: sanitize.Line(svc),
			Summary: sanitize.Line(ev.Summary),
		}
		if t, err := time.Parse(time.RFC3339, ev.Timestamp); err == nil {
			c.At = t
		}
		for _, l := range ev.Links {
			if l.Href != "" {
				c.URL = sanitize.Line(l.Href)
				break
			}
		}
		out = append(out, c)
	}
	return out
}

// pickService names the event's service (its summary, else its ID) and
// says whether the event belongs to serviceID (always, when that is empty).
func pickService(refs []pdRef, serviceID string) (string, bool) {
	name := func(r pdRef) string {
		if r.Summary != "" {
			return r.Summary
		}
		return r.ID
	}
	if serviceID == "" {
		if len(refs) == 0 {
			return "", true
		}
		return name(refs[0]), true
	}
	for _, r := range refs {
		if r.ID == serviceID {
			return name(r), true
		}
	}
	return "", false
}

// pdError is PagerDuty's error body.
type pdError struct {
	Error *struct {
		Message string   `json:"message"`
		Code    int      `json:"code"`
		Errors  []string `json:"errors"`
	} `json:"error"`
}

func (p PagerDuty) get(ctx context.Context, path string, q url.Values) (changeEventsPage, error) {
	var page changeEventsPage
	base := p.BaseURL
	if base == "" {
		base = DefaultPagerDutyAPI
	}
	u, err := url.Parse(strings.TrimRight(base, "/") + path)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return page, fmt.Errorf("pagerduty: API URL %q is not an absolute URL", p.redact(sanitize.Line(base)))
	}
	u.User = nil
	u.RawQuery = q.Encode()
	shown := "GET " + u.Path
	if u.RawQuery != "" {
		shown += "?" + u.RawQuery
	}
	shown = p.redact(shown)

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return page, fmt.Errorf("pagerduty %s: %s", shown, p.redact(err.Error()))
	}
	req.Header.Set("Authorization", "Token token="+p.Token)
	req.Header.Set("Accept", "application/vnd.pagerduty+json;version=2")
	client := p.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return page, fmt.Errorf("pagerduty %s: %w", shown, ctxErr)
		}
		return page, fmt.Errorf("pagerduty %s: %s", shown, p.redact(err.Error()))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPDBody+1))
	if err != nil {
		return page, fmt.Errorf("pagerduty %s: read body: %s", shown, p.redact(err.Error()))
	}
	if len(body) > maxPDBody {
		return page, fmt.Errorf("pagerduty %s: response larger than %d bytes", shown, maxPDBody)
	}
	if resp.StatusCode != http.StatusOK {
		return page, fmt.Errorf("pagerduty %s: %s", shown, p.redact(describeError(resp, body)))
	}
	if err := json.Unmarshal(body, &page); err != nil {
		return page, fmt.Errorf("pagerduty %s: bad JSON in response: %v", shown, err)
	}
	return page, nil
}

// describeError turns a non-200 answer into a sentence: the status, then
// PagerDuty's message, code and details when the body is its error object.
func describeError(resp *http.Response, body []byte) string {
	msg := resp.Status
	var e pdError
	if json.Unmarshal(body, &e) == nil && e.Error != nil && e.Error.Message != "" {
		msg += ": " + sanitize.Line(capString(e.Error.Message, 300))
		if e.Error.Code != 0 {
			msg += fmt.Sprintf(" (code %d)", e.Error.Code)
		}
		for i, d := range e.Error.Errors {
			if i == 5 {
				msg += fmt.Sprintf("; and %d more", len(e.Error.Errors)-i)
				break
			}
			msg += "; " + sanitize.Line(capString(d, 200))
		}
	} else if s := sanitize.Line(capString(string(body), 200)); s != "" {
		msg += ": " + s
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		if reset := resp.Header.Get("Ratelimit-Reset"); reset != "" {
			msg += "; rate limited, retry in " + sanitize.Line(capString(reset, 20)) + "s"
		} else if ra := resp.Header.Get("Retry-After"); ra != "" {
			msg += "; rate limited, retry after " + sanitize.Line(capString(ra, 40))
		}
	}
	return msg
}

// redact removes the token from text that might echo it (a server message,
// a transport error).
func (p PagerDuty) redact(s string) string {
	if p.Token == "" {
		return s
	}
	s = strings.ReplaceAll(s, p.Token, "[token]")
	if esc := url.QueryEscape(p.Token); esc != p.Token {
		s = strings.ReplaceAll(s, esc, "[token]")
	}
	return s
}

func capString(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
