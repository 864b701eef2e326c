package pagerduty

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	pd "github.com/PagerDuty/go-pagerduty"

	"sitrep/sources/sanitize"
)

// A look at an incident costs one request per part it shows. What changes
// slowly (who is on call) is kept for a lifetime; what the list already
// holds (the incident itself) is not asked for again while the list's copy
// is young.

const (
	// DefaultOnCallLifetime is how long who is on call for a policy is
	// kept, unless a shift ends sooner.
	DefaultOnCallLifetime = 5 * time.Minute
	// ListedLifetime is how old the list's copy of an incident may be and
	// still stand for it: about one refresh. An older copy (a list drawn
	// from the cache at start, a refresh that keeps failing) is asked for
	// again.
	ListedLifetime = 2 * time.Minute
	// maxCachedPolicies bounds the on-call cache.
	maxCachedPolicies = 256
)

// Part is a part of an incident's detail, each one request (or more, for
// long lists).
type Part uint8

// The parts of a detail, for DetailOptions.Parts.
const (
	PartAlerts Part = 1 << iota
	PartLogEntries
	PartNotes
	PartOnCall

	AllParts = PartAlerts | PartLogEntries | PartNotes | PartOnCall
)

// DetailOptions say what a look at an incident needs.
type DetailOptions struct {
	// Parts are the parts to fetch; zero means AllParts. A part not asked
	// for is left empty in the Detail.
	Parts Part
	// Listed is the incident as the list showed it, read at ListedAt.
	// When it is the incident asked for and younger than ListedLifetime,
	// it is the detail's incident and GET /incidents/{id} is not made: a
	// change PagerDuty makes after it shows in the next list, whose new
	// Version fetches the detail again.
	Listed   Incident
	ListedAt time.Time
	// Fresh asks PagerDuty for everything, the incident too, cached or
	// not, and keeps the answers: a manual refresh.
	Fresh bool
}

// Detail fetches everything the detail view shows for one incident: the
// incident, its alerts, its timeline, its notes and who is on call for it,
// all from PagerDuty now (as a manual refresh does). The requests go out
// together; every error is returned, joined, beside what did arrive.
func (c *Client) Detail(ctx context.Context, id string) (Detail, error) {
	return c.DetailWith(ctx, id, DetailOptions{Fresh: true})
}

// DetailWith fetches the parts of an incident's detail that opts ask for.
// Who is on call comes from the cache while it lives, unless opts.Fresh;
// a failed fetch is returned as an error and forgets what was cached, so
// an old answer is never shown as current after its source failed.
func (c *Client) DetailWith(ctx context.Context, id string, opts DetailOptions) (Detail, error) {
	parts := opts.Parts
	if parts == 0 {
		parts = AllParts
	}
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	var d Detail
	if !opts.Fresh && opts.Listed.ID == id && id != "" && !opts.ListedAt.IsZero() && c.now().Sub(opts.ListedAt) < ListedLifetime {
		d.Incident = opts.Listed
	} else {
		in, err := c.api.GetIncidentWithContext(ctx, id)
		if err != nil {
			return Detail{}, describe(ctx, "get incident "+id, err)
		}
		d.Incident = fromIncident(*in)
	}

	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	run := func(f func() error) {
		wg.Go(func() {
			if err := f(); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	if parts&PartAlerts != 0 {
		run(func() (err error) { d.Alerts, err = c.alerts(ctx, id); return })
	}
	if parts&PartLogEntries != 0 {
		run(func() (err error) { d.LogEntries, err = c.logEntries(ctx, id); return })
	}
	if parts&PartNotes != 0 {
		run(func() (err error) { d.Notes, err = c.notes(ctx, id); return })
	}
	if ep := d.Incident.EscalationPolicy.ID; ep != "" && parts&PartOnCall != 0 {
		run(func() (err error) { d.OnCall, err = c.OnCall(ctx, ep, opts.Fresh); return })
	}
	wg.Wait()
	return d, errors.Join(errs...)
}

// OnCall says who is on call, level by level, for an escalation policy:
// from the cache while its answer lives (DefaultOnCallLifetime, never past
// the end of a shift in it), unless fresh.
func (c *Client) OnCall(ctx context.Context, policyID string, fresh bool) ([]OnCall, error) {
	if !fresh {
		if oc, ok := c.onCalls.Get(policyID); ok {
			return slices.Clone(oc), nil
		}
	}
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	oc, ends, err := c.onCall(ctx, policyID)
	if err != nil {
		c.onCalls.Delete(policyID)
		return nil, err
	}
	expires := c.now().Add(c.onCallLifetime)
	if !ends.IsZero() && ends.Before(expires) {
		expires = ends
	}
	c.onCalls.Put(policyID, oc, expires)
	return slices.Clone(oc), nil
}

// onCall asks PagerDuty who is on call for a policy now, and when the
// first of those shifts ends (zero when none says).
func (c *Client) onCall(ctx context.Context, policyID string) ([]OnCall, time.Time, error) {
	resp, err := c.api.ListOnCallsWithContext(ctx, pd.ListOnCallOptions{Limit: pageLimit, EscalationPolicyIDs: []string{policyID}})
	if err != nil {
		return nil, time.Time{}, describe(ctx, "list on-calls of "+policyID, err)
	}
	var ends time.Time
	out := make([]OnCall, 0, len(resp.OnCalls))
	for _, o := range resp.OnCalls {
		out = append(out, OnCall{Level: int(o.EscalationLevel), User: Ref{ID: sanitize.Line(o.User.ID), Name: sanitize.Line(firstNonEmpty(o.User.Name, o.User.Summary))}})
		if end := parseTime(o.End); !end.IsZero() && (ends.IsZero() || end.Before(ends)) {
			ends = end
		}
	}
	return out, ends, nil
}
