package pagerduty

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"time"

	"sitrep/sources/sanitize"
	"sitrep/sources/ttlcache"
)

// A service's technical dependencies, from PagerDuty's service-dependency
// API: an incident open on a service this one relies on, which started
// first, is a likely cause of this one's.

// ServiceRef names a service another depends on. PagerDuty's relationships
// carry only the ID; the name comes from the incidents open on it.
type ServiceRef struct {
	ID string `json:"id"`
}

// Upstream is an open incident on a supporting service that started before
// the incident looked at, and how much earlier.
type Upstream struct {
	Incident Incident      `json:"incident"`
	Earlier  time.Duration `json:"earlier"`
}

// UpstreamCauses returns the open incidents in open on the services in
// deps that started before in, the earliest first. An incident that
// started at the same moment or later is not a cause.
func UpstreamCauses(in Incident, deps []ServiceRef, open []Incident) []Upstream {
	supporting := map[string]bool{}
	for _, d := range deps {
		if d.ID != "" && d.ID != in.Service.ID {
			supporting[d.ID] = true
		}
	}
	var out []Upstream
	for _, o := range open {
		if o.ID == in.ID || o.Status == StatusResolved || !supporting[o.Service.ID] || o.CreatedAt.IsZero() || !o.CreatedAt.Before(in.CreatedAt) {
			continue
		}
		out = append(out, Upstream{Incident: o, Earlier: in.CreatedAt.Sub(o.CreatedAt)})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Earlier > out[j].Earlier })
	return out
}

// FormatUpstream is an upstream incident as Overview shows it:
// "checkout-db #7 started 23m earlier — likely cause".
func FormatUpstream(u Upstream) string {
	name := firstNonEmpty(sanitize.Line(u.Incident.Service.Name), sanitize.Line(u.Incident.Service.ID))
	return fmt.Sprintf("%s #%d started %s earlier — likely cause", name, u.Incident.Number, gap(u.Earlier))
}

// gap writes a gap the way a person says it: 40s, 23m, 2h05m, 3d4h.
func gap(d time.Duration) string {
	s := int64(d / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", max(s, 0))
	case s < 3600:
		return fmt.Sprintf("%dm", s/60)
	case s < 48*3600:
		return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
	}
	return fmt.Sprintf("%dd%dh", s/86400, s%86400/3600)
}

// Dependencies asks PagerDuty for the services serviceID depends on
// (GET /service_dependencies/technical_services/{id}): the supporting side
// of every relationship where it is the dependent one. go-pagerduty v1.8.0
// has no call for technical services, so this is a raw request.
func (c *Client) Dependencies(ctx context.Context, serviceID string) ([]ServiceRef, error) {
	if serviceID == "" {
		return nil, fmt.Errorf("get service dependencies: the incident names no service")
	}
	var resp struct {
		Relationships []struct {
			Supporting struct {
				ID string `json:"id"`
			} `json:"supporting_service"`
			Dependent struct {
				ID string `json:"id"`
			} `json:"dependent_service"`
		} `json:"relationships"`
	}
	what := "get service dependencies of " + serviceID
	if err := c.raw(ctx, what, http.MethodGet, "/service_dependencies/technical_services/"+url.PathEscape(serviceID), nil, &resp); err != nil {
		return nil, err
	}
	var out []ServiceRef
	seen := map[string]bool{}
	for _, r := range resp.Relationships {
		id := sanitize.Line(r.Supporting.ID)
		if r.Dependent.ID != serviceID || id == "" || id == serviceID || seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, ServiceRef{ID: id})
	}
	return out, nil
}

// DefaultDependencyLifetime is how long a service's dependencies are kept:
// they change when someone edits the service graph, rarely mid-incident.
const DefaultDependencyLifetime = 10 * time.Minute

// DependencyReader reads services' dependencies, keeping each answer for a
// lifetime. It is safe for concurrent use.
type DependencyReader struct {
	c        *Client
	lifetime time.Duration
	cache    *ttlcache.Cache[string, []ServiceRef]
}

// NewDependencyReader returns a reader over c keeping answers for lifetime
// (zero means DefaultDependencyLifetime, negative keeps nothing).
func NewDependencyReader(c *Client, lifetime time.Duration) *DependencyReader {
	if lifetime == 0 {
		lifetime = DefaultDependencyLifetime
	}
	r := &DependencyReader{c: c, lifetime: lifetime}
	if lifetime > 0 {
		r.cache = ttlcache.New[string, []ServiceRef](maxCachedPolicies, c.now)
	}
	return r
}

// Get returns the services serviceID depends on: from the cache while it
// lives, unless fresh. A failed fetch forgets what was kept.
func (r *DependencyReader) Get(ctx context.Context, serviceID string, fresh bool) ([]ServiceRef, error) {
	if !fresh {
		if deps, ok := r.cache.Get(serviceID); ok {
			return slices.Clone(deps), nil
		}
	}
	deps, err := r.c.Dependencies(ctx, serviceID)
	if err != nil {
		r.cache.Delete(serviceID)
		return nil, err
	}
	r.cache.Put(serviceID, deps, r.c.now().Add(r.lifetime))
	return slices.Clone(deps), nil
}
