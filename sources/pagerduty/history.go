package pagerduty

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"time"

	"sitrep/sources/ttlcache"
)

// A service's history: the incidents resolved on it over a window, newest
// first, so that the engineer sees what happened last time and what fixed
// it. One request per look (a page of at most MaxHistoryLimit), kept per
// service for a lifetime: the past does not change while an incident is
// worked.

const (
	// DefaultHistoryWindow is how far back the history reaches.
	DefaultHistoryWindow = 30 * 24 * time.Hour
	// DefaultHistoryLimit is how many past incidents a history holds; a
	// window with more says it was capped.
	DefaultHistoryLimit = 20
	// MaxHistoryLimit is one page of PagerDuty's list.
	MaxHistoryLimit = pageLimit
	// DefaultHistoryLifetime is how long a service's history is kept.
	DefaultHistoryLifetime = 10 * time.Minute
	// maxCachedHistories bounds the caches.
	maxCachedHistories = 128
)

// History is a service's resolved incidents over a window.
type History struct {
	ServiceID string    `json:"service_id"`
	Since     time.Time `json:"since"`
	Until     time.Time `json:"until"`
	// Incidents are newest first.
	Incidents []Incident `json:"incidents,omitempty"`
	// Limit is the most Incidents holds; Capped says PagerDuty has more in
	// the window than that.
	Limit  int  `json:"limit"`
	Capped bool `json:"capped,omitempty"`
}

// Window is how far back the history reaches.
func (h History) Window() time.Duration { return h.Until.Sub(h.Since) }

// Resolved is when a resolved incident was resolved: its last status
// change. Zero for an incident not resolved.
func Resolved(in Incident) time.Time {
	if in.Status != StatusResolved || in.LastChangeAt.Before(in.CreatedAt) {
		return time.Time{}
	}
	return in.LastChangeAt
}

// FormatWindow writes a window the way a person says it: 30 days, 36
// hours, 90 minutes.
func FormatWindow(d time.Duration) string {
	switch {
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	case d >= 2*time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%d hours", d/time.Hour)
	case d >= 2*time.Minute:
		return fmt.Sprintf("%d minutes", d/time.Minute)
	}
	return d.String()
}

// FormatDuration writes how long an incident lasted: 40s, 23m, 2h05m.
func FormatDuration(d time.Duration) string { return gap(d) }

// ServiceHistory asks PagerDuty for the incidents resolved on serviceID
// created in [until-window, until), newest first, at most limit (1 to
// MaxHistoryLimit). It is one request.
func (c *Client) ServiceHistory(ctx context.Context, serviceID string, window time.Duration, limit int, until time.Time) (History, error) {
	if serviceID == "" {
		return History{}, fmt.Errorf("list past incidents: the incident names no service")
	}
	if window <= 0 {
		return History{}, fmt.Errorf("list past incidents of %s: the window %s is not positive", serviceID, window)
	}
	limit = min(max(limit, 1), MaxHistoryLimit)
	h := History{ServiceID: serviceID, Since: until.Add(-window).UTC(), Until: until.UTC(), Limit: limit}
	q := url.Values{}
	q.Set("limit", strconv.Itoa(limit))
	q["statuses[]"] = []string{StatusResolved}
	q["service_ids[]"] = []string{serviceID}
	q.Set("since", h.Since.Format(time.RFC3339))
	q.Set("until", h.Until.Format(time.RFC3339))
	q.Set("sort_by", "created_at:desc")
	q["include[]"] = []string{"services"}
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	var d pageDecoder
	names := interner{}
	out := make([]Incident, 0, limit)
	more, err := c.getPage(ctx, q, func(body io.Reader) (bool, error) {
		var more bool
		var err error
		out, more, err = d.decode(body, out, names)
		return more, err
	})
	if err != nil {
		return History{}, describe(ctx, "list past incidents of "+serviceID, err)
	}
	// PagerDuty filters; what it answered is checked all the same, so a
	// history never shows an open incident or another service's.
	out = slices.DeleteFunc(out, func(in Incident) bool {
		return in.Status != StatusResolved || (in.Service.ID != "" && in.Service.ID != serviceID)
	})
	slices.SortStableFunc(out, func(a, b Incident) int { return b.CreatedAt.Compare(a.CreatedAt) })
	if len(out) > limit {
		out, more = out[:limit], true
	}
	h.Incidents, h.Capped = out, more
	return h, nil
}

// HistoryConfig tunes a HistoryReader.
type HistoryConfig struct {
	// Window is how far back to look; zero means DefaultHistoryWindow.
	Window time.Duration
	// Limit is the most past incidents kept; zero means
	// DefaultHistoryLimit, and more than MaxHistoryLimit is
	// MaxHistoryLimit.
	Limit int
	// Lifetime is how long an answer is kept; zero means
	// DefaultHistoryLifetime, negative keeps nothing.
	Lifetime time.Duration
}

// HistoryReader reads services' histories and past incidents' notes,
// keeping each answer for a lifetime. It is safe for concurrent use.
type HistoryReader struct {
	c       *Client
	cfg     HistoryConfig
	history *ttlcache.Cache[string, History]
	notes   *ttlcache.Cache[string, []Note]
}

// NewHistoryReader returns a reader over c.
func NewHistoryReader(c *Client, cfg HistoryConfig) *HistoryReader {
	if cfg.Window <= 0 {
		cfg.Window = DefaultHistoryWindow
	}
	if cfg.Limit <= 0 {
		cfg.Limit = DefaultHistoryLimit
	}
	cfg.Limit = min(cfg.Limit, MaxHistoryLimit)
	if cfg.Lifetime == 0 {
		cfg.Lifetime = DefaultHistoryLifetime
	}
	r := &HistoryReader{c: c, cfg: cfg}
	if cfg.Lifetime > 0 {
		r.history = ttlcache.New[string, History](maxCachedHistories, c.now)
		r.notes = ttlcache.New[string, []Note](maxCachedHistories, c.now)
	}
	return r
}

// Window is how far back the reader looks.
func (r *HistoryReader) Window() time.Duration { return r.cfg.Window }

// Get returns serviceID's history up to now: from the cache while it
// lives, unless fresh. A failed fetch forgets what was kept.
func (r *HistoryReader) Get(ctx context.Context, serviceID string, fresh bool) (History, error) {
	if !fresh {
		if h, ok := r.history.Get(serviceID); ok {
			h.Incidents = slices.Clone(h.Incidents)
			return h, nil
		}
	}
	h, err := r.c.ServiceHistory(ctx, serviceID, r.cfg.Window, r.cfg.Limit, r.c.now())
	if err != nil {
		r.history.Delete(serviceID)
		return History{}, err
	}
	r.history.Put(serviceID, h, r.c.now().Add(r.cfg.Lifetime))
	h.Incidents = slices.Clone(h.Incidents)
	return h, nil
}

// Notes returns a past incident's notes, oldest first, from the cache
// while they live.
func (r *HistoryReader) Notes(ctx context.Context, incidentID string) ([]Note, error) {
	if ns, ok := r.notes.Get(incidentID); ok {
		return slices.Clone(ns), nil
	}
	ns, err := r.c.Notes(ctx, incidentID)
	if err != nil {
		r.notes.Delete(incidentID)
		return nil, err
	}
	r.notes.Put(incidentID, ns, r.c.now().Add(r.cfg.Lifetime))
	return slices.Clone(ns), nil
}

// UpstreamLookback is how long before an incident's start an upstream
// incident may have opened and still be read as its likely cause.
const UpstreamLookback = 24 * time.Hour

// UpstreamCausesAt is UpstreamCauses as of in's start, for a post-mortem
// written after the fact: an upstream incident resolved since still counts
// when it was open when in started.
func UpstreamCausesAt(in Incident, deps []ServiceRef, seen []Incident) []Upstream {
	open := make([]Incident, 0, len(seen))
	for _, o := range seen {
		if o.Status == StatusResolved {
			if !Resolved(o).After(in.CreatedAt) {
				continue
			}
			o.Status = StatusTriggered // open at in's start
		}
		open = append(open, o)
	}
	out := UpstreamCauses(in, deps, open)
	for i := range out {
		for _, o := range seen {
			if o.ID == out[i].Incident.ID {
				out[i].Incident.Status = o.Status
			}
		}
	}
	return out
}

// IncidentsBefore asks PagerDuty for the incidents of any status on
// serviceIDs created in the lookback before at, newest first (one page):
// the candidates for an upstream cause of an incident that started at at.
func (c *Client) IncidentsBefore(ctx context.Context, serviceIDs []string, at time.Time, lookback time.Duration) ([]Incident, error) {
	if len(serviceIDs) == 0 {
		return nil, nil
	}
	q := url.Values{}
	q.Set("limit", strconv.Itoa(pageLimit))
	q["statuses[]"] = []string{StatusTriggered, StatusAcknowledged, StatusResolved}
	q["service_ids[]"] = serviceIDs
	q.Set("since", at.Add(-lookback).UTC().Format(time.RFC3339))
	// until is exclusive: an incident opened in at's second is not before it.
	q.Set("until", at.UTC().Format(time.RFC3339))
	q.Set("sort_by", "created_at:desc")
	q["include[]"] = []string{"services"}
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	var d pageDecoder
	out := make([]Incident, 0, 8)
	_, err := c.getPage(ctx, q, func(body io.Reader) (bool, error) {
		var more bool
		var err error
		out, more, err = d.decode(body, out, interner{})
		return more, err
	})
	if err != nil {
		return nil, describe(ctx, "list incidents upstream", err)
	}
	return out, nil
}
