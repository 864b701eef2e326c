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

// OnCallReport is what `sitrep oncall` and the cockpit's on-call screen
// show: who is on call now for the escalation policies of the token
// owner's teams, and the owner's own shifts from Since to Until.
type OnCallReport struct {
	Me       User           `json:"user"`
	Since    time.Time      `json:"since"`
	Until    time.Time      `json:"until"`
	Policies []PolicyOnCall `json:"policies"`
	MyShifts []Shift        `json:"my_shifts"`
}

// PolicyOnCall is one policy of the owner's teams with who is on call for
// it now; Levels is how many levels its rules have, so that a level
// nobody covers shows.
type PolicyOnCall struct {
	Ref
	Levels int     `json:"levels"`
	OnCall []Shift `json:"on_call"`
}

// Uncovered are the levels of the policy that nobody is on call for now.
func (p PolicyOnCall) Uncovered() []int {
	covered := map[int]bool{}
	for _, s := range p.OnCall {
		covered[s.Level] = true
	}
	var out []int
	for level := 1; level <= p.Levels; level++ {
		if !covered[level] {
			out = append(out, level)
		}
	}
	return out
}

// OnCallReport asks PagerDuty: the token's owner and teams, the teams'
// policies, who is on call for them now, and the owner's shifts from now
// to now+ahead. Policies come by name, the owner's shifts by start.
func (c *Client) OnCallReport(ctx context.Context, now time.Time, ahead time.Duration) (OnCallReport, error) {
	now = now.UTC().Truncate(time.Second)
	r := OnCallReport{Since: now, Until: now.Add(ahead), Policies: []PolicyOnCall{}, MyShifts: []Shift{}}
	me, err := c.Me(ctx)
	if err != nil {
		return r, err
	}
	r.Me = me
	teamIDs := make([]string, 0, len(me.Teams))
	for _, t := range me.Teams {
		teamIDs = append(teamIDs, t.ID)
	}
	policies, err := c.PoliciesOfTeams(ctx, teamIDs)
	if err != nil {
		return r, err
	}
	sort.SliceStable(policies, func(i, j int) bool { return policies[i].Name < policies[j].Name })
	if len(policies) > 0 {
		ids := make([]string, len(policies))
		for i, p := range policies {
			ids[i] = p.ID
		}
		shifts, err := c.Shifts(ctx, ShiftQuery{PolicyIDs: ids})
		if err != nil {
			return r, err
		}
		for _, p := range policies {
			po := PolicyOnCall{Ref: p.Ref, Levels: len(p.Rules), OnCall: []Shift{}}
			for _, s := range shifts {
				if s.Policy.ID == p.ID {
					po.OnCall = append(po.OnCall, s)
				}
			}
			r.Policies = append(r.Policies, po)
		}
	}
	mine, err := c.Shifts(ctx, ShiftQuery{UserIDs: []string{me.ID}, Since: r.Since, Until: r.Until})
	if err != nil {
		return r, err
	}
	sort.SliceStable(mine, func(i, j int) bool { return mine[i].Start.Before(mine[j].Start) })
	r.MyShifts = append(r.MyShifts, mine...)
	return r, nil
}

// ShiftTime is a shift's start or end in loc with how far off it is:
// "Mon 30 Nov 09:00 (in 14h05m)"; a time past is the time alone.
func ShiftTime(t, now time.Time, loc *time.Location) string {
	s := t.In(loc).Format("Mon 02 Jan 15:04")
	if d := t.Sub(now); d > 0 {
		return s + " (in " + Countdown(d.Truncate(time.Minute)) + ")"
	}
	return s
}

// ShiftStart is when a shift starts: "now" for one under way.
func ShiftStart(start, now time.Time, loc *time.Location) string {
	if !start.After(now) {
		return "now"
	}
	return ShiftTime(start, now, loc)
}

// ShiftEnd is when a shift ends; an open-ended one (a user a level names
// directly) never does.
func ShiftEnd(end, now time.Time, loc *time.Location) string {
	if end.IsZero() {
		return "no end"
	}
	return ShiftTime(end, now, loc)
}
