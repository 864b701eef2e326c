package pagerduty

import (
	"context"
	"errors"
	"net/http"

	pd "github.com/PagerDuty/go-pagerduty"
)

// The reads a write's delivery needs to find out whether PagerDuty already
// has it: a note whose POST timed out may have been stored, and an
// acknowledgement may already show on the incident.

// Notes reads an incident's notes.
func (c *Client) Notes(ctx context.Context, id string) ([]Note, error) {
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	return c.notes(ctx, id)
}

// Incident reads one incident.
func (c *Client) Incident(ctx context.Context, id string) (Incident, error) {
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	in, err := c.api.GetIncidentWithContext(ctx, id)
	if err != nil {
		return Incident{}, describe(ctx, "get incident "+id, err)
	}
	return fromIncident(*in), nil
}

// StatusOf is the HTTP status PagerDuty answered a failed request with, or
// 0 when the request got no answer (a network error, a deadline).
func StatusOf(err error) int {
	var apiErr pd.APIError
	if errors.As(err, &apiErr) {
		return apiErr.StatusCode
	}
	var ptr *pd.APIError
	if errors.As(err, &ptr) && ptr != nil {
		return ptr.StatusCode
	}
	return 0
}

// Permanent reports whether PagerDuty refused a write in a way that asking
// again will not change: the request itself is wrong or not allowed (400,
// 403, 404, 409, 422…). A 401 (the token), a 429 and a 5xx may pass later.
func Permanent(err error) bool {
	s := StatusOf(err)
	return s >= 400 && s < 500 && s != http.StatusUnauthorized && s != http.StatusTooManyRequests && s != http.StatusRequestTimeout
}
