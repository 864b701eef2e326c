package pagerduty

import (
	"context"
	"sort"
	"time"

	pd "github.com/PagerDuty/go-pagerduty"

	"sitrep/sources/sanitize"
)

// Who is on call, beyond the one policy an incident names: the shifts of
// several policies, or of one person over the coming days.

// Shift is one on-call entry: a user on call at one level of a policy,
// through a schedule or directly, from Start to End. A zero Start or End
// is open-ended (a user a level names directly is always on call).
type Shift struct {
	Policy   Ref       `json:"escalation_policy"`
	Level    int       `json:"level"`
	User     Ref       `json:"user"`
	Schedule Ref       `json:"schedule,omitzero"`
	Start    time.Time `json:"start,omitzero"`
	End      time.Time `json:"end,omitzero"`
}

// ShiftQuery says which shifts to list. Empty lists match everything; a
// zero Since asks who is on call now (and Until is ignored).
type ShiftQuery struct {
	PolicyIDs    []string
	UserIDs      []string
	Since, Until time.Time
}

// Shifts lists the on-call entries a query matches (GET /oncalls), one
// request per 100, ordered by policy name, level, start and user.
func (c *Client) Shifts(ctx context.Context, q ShiftQuery) ([]Shift, error) {
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	opts := pd.ListOnCallOptions{Limit: pageLimit, EscalationPolicyIDs: q.PolicyIDs, UserIDs: q.UserIDs}
	if !q.Since.IsZero() {
		opts.Since = q.Since.UTC().Format(time.RFC3339)
		if !q.Until.IsZero() {
			opts.Until = q.Until.UTC().Format(time.RFC3339)
		}
	}
	var out []Shift
	for page := 0; page < maxPages; page++ {
		opts.Offset = uint(page * pageLimit)
		resp, err := c.api.ListOnCallsWithContext(ctx, opts)
		if err != nil {
			return nil, describe(ctx, "list on-calls", err)
		}
		for _, o := range resp.OnCalls {
			out = append(out, Shift{
				Policy:   Ref{ID: sanitize.Line(o.EscalationPolicy.ID), Name: sanitize.Line(firstNonEmpty(o.EscalationPolicy.Name, o.EscalationPolicy.Summary))},
				Level:    int(min(o.EscalationLevel, 1000)),
				User:     Ref{ID: sanitize.Line(o.User.ID), Name: sanitize.Line(firstNonEmpty(o.User.Name, o.User.Summary))},
				Schedule: Ref{ID: sanitize.Line(o.Schedule.ID), Name: sanitize.Line(firstNonEmpty(o.Schedule.Name, o.Schedule.Summary))},
				Start:    parseTime(o.Start),
				End:      parseTime(o.End),
			})
		}
		if !resp.More || len(resp.OnCalls) == 0 {
			break
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Policy.Name != b.Policy.Name {
			return a.Policy.Name < b.Policy.Name
		}
		if a.Level != b.Level {
			return a.Level < b.Level
		}
		if !a.Start.Equal(b.Start) {
			return a.Start.Before(b.Start)
		}
		return a.User.Name < b.User.Name
	})
	return out, nil
}

// PoliciesOfTeams lists the escalation policies of the given teams, with
// their rules, one request per 100.
func (c *Client) PoliciesOfTeams(ctx context.Context, teamIDs []string) ([]EscalationPolicy, error) {
	if len(teamIDs) == 0 {
		return nil, nil
	}
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	opts := pd.ListEscalationPoliciesOptions{Limit: pageLimit, TeamIDs: teamIDs}
	var out []EscalationPolicy
	for page := 0; page < maxPages; page++ {
		opts.Offset = uint(page * pageLimit)
		resp, err := c.api.ListEscalationPoliciesWithContext(ctx, opts)
		if err != nil {
			return nil, describe(ctx, "list escalation policies", err)
		}
		for _, ep := range resp.EscalationPolicies {
			out = append(out, fromPolicy(ep))
		}
		if !resp.More || len(resp.EscalationPolicies) == 0 {
			break
		}
	}
	return out, nil
}
