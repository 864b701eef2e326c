package pagerduty

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	pd "github.com/PagerDuty/go-pagerduty"

	"sitrep/sources/sanitize"
)

// MaxBulk is the most incidents PagerDuty's bulk update (PUT /incidents)
// takes in one request.
const MaxBulk = 250

// BulkChange is what one bulk update does to every incident it names:
// set a status (acknowledged or resolved) or assign a user.
type BulkChange struct {
	Status     string // StatusAcknowledged or StatusResolved
	AssigneeID string // the user to assign
}

// String names the change for messages: "acknowledge", "reassign to PX".
func (c BulkChange) String() string {
	switch {
	case c.AssigneeID != "":
		return "reassign to " + c.AssigneeID
	case c.Status == StatusAcknowledged:
		return "acknowledge"
	case c.Status == StatusResolved:
		return "resolve"
	}
	return "change nothing"
}

func (c BulkChange) validate() error {
	switch {
	case c.AssigneeID != "" && c.Status != "":
		return errors.New("bulk update: a change either sets a status or assigns a user, not both")
	case c.AssigneeID != "":
		return nil
	case c.Status == StatusAcknowledged, c.Status == StatusResolved:
		return nil
	}
	return fmt.Errorf("bulk update: status %q is not acknowledged or resolved, and no user is assigned", c.Status)
}

func (c BulkChange) option(id string) pd.ManageIncidentsOptions {
	o := pd.ManageIncidentsOptions{ID: id, Status: c.Status}
	if c.AssigneeID != "" {
		o.Assignments = []pd.Assignee{{Assignee: pd.APIObject{ID: c.AssigneeID, Type: "user_reference"}}}
	}
	return o
}

// BulkResult says where each incident of a bulk update got to.
type BulkResult struct {
	// Updated are the incidents PagerDuty changed.
	Updated []string
	// Refused are the incidents PagerDuty refused, with its reason.
	Refused map[string]string
	// Requests is how many PUT /incidents were sent.
	Requests int
}

// Chunks splits ids into runs of at most n, in order.
func Chunks(ids []string, n int) [][]string {
	if n <= 0 {
		n = MaxBulk
	}
	var out [][]string
	for len(ids) > 0 {
		k := min(n, len(ids))
		out = append(out, ids[:k:k])
		ids = ids[k:]
	}
	return out
}

// Bulk applies change to every incident in ids, MaxBulk to a request.
// PagerDuty checks a whole request before it changes anything, so when it
// refuses an incident the request names (resolved elsewhere, gone), that
// incident is set aside with PagerDuty's reason and the others are sent
// again. An error that names no incident of the request (a 5xx, a rate
// limit, no answer in time) stops the update: the result holds what the
// requests before it did, and the error says why the rest did not happen.
func (c *Client) Bulk(ctx context.Context, change BulkChange, ids []string) (BulkResult, error) {
	res := BulkResult{Refused: map[string]string{}}
	if err := change.validate(); err != nil {
		return res, err
	}
	me, err := c.Me(ctx)
	if err != nil {
		return res, fmt.Errorf("bulk %s: %w", change, err)
	}
	ids = unique(ids)
	for _, chunk := range Chunks(ids, MaxBulk) {
		if err := c.bulkChunk(ctx, me.Email, change, chunk, &res); err != nil {
			return res, err
		}
	}
	return res, nil
}

// bulkChunk sends one request's incidents, again without each one
// PagerDuty refuses by name.
func (c *Client) bulkChunk(ctx context.Context, from string, change BulkChange, chunk []string, res *BulkResult) error {
	left := append([]string(nil), chunk...)
	for len(left) > 0 {
		opts := make([]pd.ManageIncidentsOptions, len(left))
		for i, id := range left {
			opts[i] = change.option(id)
		}
		what := fmt.Sprintf("bulk %s of %d incidents", change, len(left))
		rctx, cancel := c.withDeadline(ctx)
		_, err := c.api.ManageIncidentsWithContext(rctx, from, opts)
		res.Requests++
		if err == nil {
			cancel()
			res.Updated = append(res.Updated, left...)
			return nil
		}
		err = describe(rctx, what, err)
		cancel()
		i, why := refusedIncident(err, left)
		if i < 0 {
			return err
		}
		if change.Status == StatusResolved && alreadyResolved.MatchString(why) {
			// It is where it was asked to be (an earlier attempt whose
			// answer was lost may have resolved it).
			res.Updated = append(res.Updated, left[i])
		} else {
			res.Refused[left[i]] = why
		}
		left = append(left[:i:i], left[i+1:]...)
	}
	return nil
}

var (
	itemIndex       = regexp.MustCompile(`\bincidents\[(\d+)\]`)
	alreadyResolved = regexp.MustCompile(`(?i)already resolved`)
)

// refusedIncident finds the incident of ids that PagerDuty's refusal names
// (by its index in the request or by its ID) and PagerDuty's reason; -1
// when the refusal is not about one incident.
func refusedIncident(err error, ids []string) (int, string) {
	if !Permanent(err) {
		return -1, ""
	}
	var apiErr pd.APIError
	if !errors.As(err, &apiErr) || !apiErr.APIError.Valid {
		return -1, ""
	}
	for _, detail := range apiErr.APIError.ErrorObject.Errors {
		why := sanitize.Line(detail)
		if m := itemIndex.FindStringSubmatch(detail); m != nil {
			if i, err := strconv.Atoi(m[1]); err == nil && i < len(ids) {
				return i, why
			}
		}
		for i, id := range ids {
			if containsWord(detail, id) {
				return i, why
			}
		}
	}
	return -1, ""
}

// containsWord reports whether id appears in s not as part of a longer
// word.
func containsWord(s, id string) bool {
	for from := 0; ; {
		k := strings.Index(s[from:], id)
		if k < 0 {
			return false
		}
		start, end := from+k, from+k+len(id)
		if (start == 0 || !isWordByte(s[start-1])) && (end == len(s) || !isWordByte(s[end])) {
			return true
		}
		from = end
	}
}

func isWordByte(b byte) bool {
	return b == '_' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

func unique(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// Users looks people up in PagerDuty's user directory by name or email
// (PagerDuty's query), at most 25 of them.
func (c *Client) Users(ctx context.Context, query string) ([]User, error) {
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	resp, err := c.api.ListUsersWithContext(ctx, pd.ListUsersOptions{Query: query, Limit: 25})
	if err != nil {
		return nil, describe(ctx, fmt.Sprintf("look up %q in the user directory", query), err)
	}
	out := make([]User, 0, len(resp.Users))
	for _, u := range resp.Users {
		out = append(out, User{Ref: Ref{ID: u.ID, Name: sanitize.Line(u.Name)}, Email: sanitize.Line(u.Email), HTMLURL: u.HTMLURL})
	}
	return out, nil
}
