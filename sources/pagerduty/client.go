// Package pagerduty is sitrep's incident feed: a narrow client over
// go-pagerduty for exactly what the cockpit needs, returning sitrep's own
// flattened types with every outside string sanitized.
package pagerduty

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	pd "github.com/PagerDuty/go-pagerduty"

	"sitrep/sources/sanitize"
	"sitrep/sources/ttlcache"
)

// DefaultAPIURL is PagerDuty's REST API.
const DefaultAPIURL = "https://api.pagerduty.com"

const (
	pageLimit = 100
	// maxPages bounds paging: PagerDuty's classic pagination stops at an
	// offset of 10,000, so more pages could never be served anyway.
	maxPages = 100
	// DefaultTimeout is the deadline of one call when the caller's context
	// has none shorter.
	DefaultTimeout = 10 * time.Second
)

// Config says where and how to reach PagerDuty.
type Config struct {
	APIURL  string        // default DefaultAPIURL
	Token   string        // REST API token
	Timeout time.Duration // per call; default DefaultTimeout
	// Transport is the HTTP transport under the retry and rate-limit
	// layer; nil means http.DefaultTransport.
	Transport http.RoundTripper
	// OnCallLifetime is how long who is on call for an escalation policy
	// is kept (never past the end of a shift); zero means
	// DefaultOnCallLifetime, negative keeps nothing.
	OnCallLifetime time.Duration
	// Now is the clock of the caches; nil means time.Now.
	Now func() time.Time
}

// Client is the incident feed. It is safe for concurrent use.
type Client struct {
	api     *pd.Client
	http    *http.Client
	baseURL string
	token   string
	timeout time.Duration

	mu sync.Mutex
	me User // the token's owner, once known; writes need its email as From

	now            func() time.Time
	onCallLifetime time.Duration
	onCalls        *ttlcache.Cache[string, []OnCall] // by escalation policy

	lastList listSize // how long the last incident list was (list.go)
}

// User is the PagerDuty user sitrep acts as.
type User struct {
	Ref
	Email   string `json:"email"`
	Teams   []Ref  `json:"teams,omitempty"`
	HTMLURL string `json:"html_url,omitempty"`
}

// New returns a Client. It makes no request.
func New(cfg Config) *Client {
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	httpClient := &http.Client{Transport: NewTransport(cfg.Transport)}
	base := strings.TrimRight(cfg.APIURL, "/")
	api := pd.NewClient(cfg.Token, pd.WithAPIEndpoint(base))
	api.HTTPClient = httpClient
	c := &Client{api: api, http: httpClient, baseURL: base, token: cfg.Token, timeout: cfg.Timeout, now: cfg.Now, onCallLifetime: cfg.OnCallLifetime}
	if c.now == nil {
		c.now = time.Now
	}
	if c.onCallLifetime == 0 {
		c.onCallLifetime = DefaultOnCallLifetime
	}
	if c.onCallLifetime > 0 {
		c.onCalls = ttlcache.New[string, []OnCall](maxCachedPolicies, c.now)
	}
	return c
}

// HTTPClient is the client's HTTP client, with its retry and rate-limit
// transport, for other sources that read the same API (change events).
func (c *Client) HTTPClient() *http.Client { return c.http }

// BaseURL is the API's base URL.
func (c *Client) BaseURL() string { return c.baseURL }

func (c *Client) withDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, c.timeout)
}

// Me returns the token's owner, asking PagerDuty once.
func (c *Client) Me(ctx context.Context) (User, error) {
	c.mu.Lock()
	me := c.me
	c.mu.Unlock()
	if me.ID != "" {
		return me, nil
	}
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	u, err := c.api.GetCurrentUserWithContext(ctx, pd.GetCurrentUserOptions{})
	if err != nil {
		return User{}, describe(ctx, "get current user", err)
	}
	if u.ID == "" || u.Email == "" {
		return User{}, errors.New("get current user: PagerDuty's answer has no user id or email")
	}
	me = User{Ref: Ref{ID: u.ID, Name: sanitize.Line(u.Name)}, Email: u.Email, HTMLURL: u.HTMLURL}
	for _, t := range u.Teams {
		me.Teams = append(me.Teams, Ref{ID: t.ID, Name: sanitize.Line(firstNonEmpty(t.Name, t.Summary))})
	}
	c.mu.Lock()
	c.me = me
	c.mu.Unlock()
	return me, nil
}

// Scope says whose incidents to list.
type Scope int

// Scopes, in the order the s key cycles through them.
const (
	ScopeMine Scope = iota
	ScopeTeam
	ScopeAll
)

func (s Scope) String() string {
	switch s {
	case ScopeMine:
		return "Mine"
	case ScopeTeam:
		return "Team"
	default:
		return "All"
	}
}

// ParseScope reads "mine", "team" or "all".
func ParseScope(s string) (Scope, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "mine", "":
		return ScopeMine, nil
	case "team", "teams":
		return ScopeTeam, nil
	case "all":
		return ScopeAll, nil
	}
	return 0, fmt.Errorf("unknown scope %q: use mine, team or all", s)
}

// Incidents lists the open (triggered and acknowledged) incidents in scope.
// It is one request per 100 incidents: everything the list shows comes in
// the list response itself, which is streamed (see list.go).
func (c *Client) Incidents(ctx context.Context, scope Scope) ([]Incident, error) {
	opts := pd.ListIncidentsOptions{
		Limit:    pageLimit,
		Statuses: []string{StatusTriggered, StatusAcknowledged},
		SortBy:   "created_at:desc",
		Includes: []string{"assignees", "services", "teams", "escalation_policies", "priorities"},
	}
	if scope != ScopeAll {
		me, err := c.Me(ctx)
		if err != nil {
			return nil, err
		}
		if scope == ScopeMine {
			opts.UserIDs = []string{me.ID}
		} else {
			if len(me.Teams) == 0 {
				return nil, fmt.Errorf("scope Team: %s is on no team in PagerDuty; use scope Mine or All", me.Name)
			}
			for _, t := range me.Teams {
				opts.TeamIDs = append(opts.TeamIDs, t.ID)
			}
		}
	}
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	return c.listIncidents(ctx, opts)
}

func (c *Client) alerts(ctx context.Context, id string) ([]Alert, error) {
	var out []Alert
	opts := pd.ListIncidentAlertsOptions{Limit: pageLimit}
	for page := 0; page < maxPages; page++ {
		opts.Offset = uint(page * pageLimit)
		resp, err := c.api.ListIncidentAlertsWithContext(ctx, id, opts)
		if err != nil {
			return nil, describe(ctx, "list alerts of "+id, err)
		}
		for _, a := range resp.Alerts {
			out = append(out, fromAlert(a))
		}
		if !resp.More || len(resp.Alerts) == 0 {
			break
		}
	}
	return out, nil
}

// LogEntries reads an incident's whole PagerDuty timeline.
func (c *Client) LogEntries(ctx context.Context, id string) ([]LogEntry, error) {
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	return c.logEntries(ctx, id)
}

func (c *Client) logEntries(ctx context.Context, id string) ([]LogEntry, error) {
	var out []LogEntry
	opts := pd.ListIncidentLogEntriesOptions{Limit: pageLimit, IsOverview: false}
	for page := 0; page < maxPages; page++ {
		opts.Offset = uint(page * pageLimit)
		resp, err := c.api.ListIncidentLogEntriesWithContext(ctx, id, opts)
		if err != nil {
			return nil, describe(ctx, "list log entries of "+id, err)
		}
		for _, e := range resp.LogEntries {
			out = append(out, fromLogEntry(e))
		}
		if !resp.More || len(resp.LogEntries) == 0 {
			break
		}
	}
	return out, nil
}

func (c *Client) notes(ctx context.Context, id string) ([]Note, error) {
	ns, err := c.api.ListIncidentNotesWithContext(ctx, id)
	if err != nil {
		return nil, describe(ctx, "list notes of "+id, err)
	}
	out := make([]Note, 0, len(ns))
	for _, n := range ns {
		out = append(out, fromNote(n))
	}
	return out, nil
}

// Acknowledge acknowledges an incident as the token's owner.
func (c *Client) Acknowledge(ctx context.Context, id string) error {
	return c.manage(ctx, "acknowledge "+id, pd.ManageIncidentsOptions{ID: id, Status: StatusAcknowledged})
}

// Resolve resolves an incident as the token's owner.
func (c *Client) Resolve(ctx context.Context, id string) error {
	return c.manage(ctx, "resolve "+id, pd.ManageIncidentsOptions{ID: id, Status: StatusResolved})
}

// Reassign assigns an incident to one user.
func (c *Client) Reassign(ctx context.Context, id, userID string) error {
	return c.manage(ctx, "reassign "+id, pd.ManageIncidentsOptions{ID: id, Assignments: []pd.Assignee{{Assignee: pd.APIObject{ID: userID, Type: "user_reference"}}}})
}

// Escalate moves an incident to an escalation level of its current policy,
// without resetting the policy.
func (c *Client) Escalate(ctx context.Context, id string, level uint) error {
	if level == 0 {
		return errors.New("escalate: the level starts at 1")
	}
	return c.manage(ctx, fmt.Sprintf("escalate %s to level %d", id, level), pd.ManageIncidentsOptions{ID: id, EscalationLevel: level})
}

func (c *Client) manage(ctx context.Context, what string, opt pd.ManageIncidentsOptions) error {
	me, err := c.Me(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	if _, err := c.api.ManageIncidentsWithContext(ctx, me.Email, []pd.ManageIncidentsOptions{opt}); err != nil {
		return describe(ctx, what, err)
	}
	return nil
}

// AddNote adds a note to an incident as the token's owner. PagerDuty
// requires the From header here, which go-pagerduty v1.8.0 does not send,
// so this is a raw request.
func (c *Client) AddNote(ctx context.Context, id, content string) (Note, error) {
	body, _ := json.Marshal(map[string]any{"note": map[string]string{"content": content}})
	var resp struct {
		Note pd.IncidentNote `json:"note"`
	}
	if err := c.raw(ctx, "add note to "+id, http.MethodPost, "/incidents/"+url.PathEscape(id)+"/notes", body, &resp); err != nil {
		return Note{}, err
	}
	return fromNote(resp.Note), nil
}

// Snooze snoozes an acknowledged incident. go-pagerduty v1.8.0 sends no
// From header on snooze, which PagerDuty requires, so this is a raw request.
func (c *Client) Snooze(ctx context.Context, id string, d time.Duration) error {
	if d < time.Minute {
		return fmt.Errorf("snooze %s: %s is too short; snooze for a minute or more", id, d)
	}
	body, _ := json.Marshal(map[string]any{"duration": int(d.Seconds())})
	return c.raw(ctx, "snooze "+id, http.MethodPost, "/incidents/"+url.PathEscape(id)+"/snooze", body, nil)
}

// Merge merges source incidents into target.
func (c *Client) Merge(ctx context.Context, target string, sources []string) error {
	me, err := c.Me(ctx)
	if err != nil {
		return fmt.Errorf("merge into %s: %w", target, err)
	}
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	var opts []pd.MergeIncidentsOptions
	for _, s := range sources {
		opts = append(opts, pd.MergeIncidentsOptions{ID: s, Type: "incident_reference"})
	}
	if _, err := c.api.MergeIncidentsWithContext(ctx, me.Email, target, opts); err != nil {
		return describe(ctx, "merge into "+target, err)
	}
	return nil
}

// raw sends a request go-pagerduty cannot make right, decoding the JSON
// answer into out when out is not nil.
func (c *Client) raw(ctx context.Context, what, method, path string, body []byte, out any) error {
	me, err := c.Me(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, c.baseURL+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	req.Header.Set("Authorization", "Token token="+c.token)
	req.Header.Set("Accept", "application/vnd.pagerduty+json;version=2")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("From", me.Email)
	resp, err := c.http.Do(req)
	if err != nil {
		return describe(ctx, what, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("%s: read answer: %w", what, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		var e pd.APIError
		if json.Unmarshal(data, &e) != nil || !e.APIError.Valid {
			return &Error{Msg: fmt.Sprintf("%s: PagerDuty answered %s", what, sanitize.Line(resp.Status)), Err: pd.APIError{StatusCode: resp.StatusCode}}
		}
		e.StatusCode = resp.StatusCode
		return describe(ctx, what, e)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s: PagerDuty's answer is not the JSON expected: %w", what, err)
		}
	}
	return nil
}

// describe turns a go-pagerduty error into one line a person can act on.
func describe(ctx context.Context, what string, err error) error {
	if rl, ok := rateLimited(err); ok {
		return &Error{Msg: what + ": " + rl.Error(), Err: rl}
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		// go-pagerduty flattens the cause into text; put it back so callers
		// can tell a deadline from a failure.
		return &Error{Msg: fmt.Sprintf("%s: no answer in time (%v)", what, ctxErr), Err: ctxErr}
	}
	var apiErr pd.APIError
	if errors.As(err, &apiErr) {
		msg := fmt.Sprintf("%s: PagerDuty answered %d", what, apiErr.StatusCode)
		if apiErr.APIError.Valid {
			o := apiErr.APIError.ErrorObject
			msg += fmt.Sprintf(" %s (code %d)", sanitize.Line(o.Message), o.Code)
			if len(o.Errors) > 0 {
				msg += ": " + sanitize.Line(strings.Join(o.Errors, "; "))
			}
		}
		if apiErr.StatusCode == http.StatusUnauthorized {
			msg += "; check the API token (PAGERDUTY_TOKEN or token_cmd)"
		}
		return &Error{Msg: msg, Err: err}
	}
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &syntaxErr) || errors.As(err, &typeErr) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &Error{Msg: fmt.Sprintf("%s: PagerDuty's answer is not the JSON expected (%v)", what, err), Err: err}
	}
	return &Error{Msg: fmt.Sprintf("%s: %s", what, sanitize.Line(networkError(err.Error()))), Err: err}
}

// rateLimited finds the transport's RateLimitError in err. go-pagerduty
// flattens transport errors into text, so there it is read back from the
// words RateLimitError wrote; a bare 429 (from a transport that is not
// ours) is a rate limit with no known reset.
func rateLimited(err error) (*RateLimitError, bool) {
	var rl *RateLimitError
	if errors.As(err, &rl) {
		return rl, true
	}
	var apiErr pd.APIError
	if errors.As(err, &apiErr) && apiErr.RateLimited() {
		return &RateLimitError{}, true
	}
	m := flattenedRateLimit.FindStringSubmatch(err.Error())
	if m == nil {
		return nil, false
	}
	mins, _ := strconv.Atoi(m[1])
	secs, _ := strconv.Atoi(m[2])
	return &RateLimitError{RetryIn: time.Duration(mins)*time.Minute + time.Duration(secs)*time.Second}, true
}

var flattenedRateLimit = regexp.MustCompile(`^error calling the API endpoint: .*: ` + regexp.QuoteMeta(rateLimitWords) + `(?: in (?:(\d+)m)?(\d+)s| on the next refresh)$`)

// go-pagerduty flattens transport failures into `error calling the API
// endpoint: Get "https://…?long=query": dial tcp …: connection refused`.
var flattenedURLError = regexp.MustCompile(`^error calling the API endpoint: [A-Za-z]+ "([^"]*)": (.*)$`)

// networkError keeps what a person needs from such a message: which host
// could not be reached, and why.
func networkError(msg string) string {
	m := flattenedURLError.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	host := m[1]
	if u, err := url.Parse(m[1]); err == nil && u.Host != "" {
		host = u.Host
	}
	return fmt.Sprintf("cannot reach PagerDuty at %s: %s", host, m[2])
}

// Error is a failed call, with a message for the person at the keyboard.
type Error struct {
	Msg string
	Err error
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Err }
