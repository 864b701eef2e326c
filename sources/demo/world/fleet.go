package world

import (
	"fmt"
	"hash/fnv"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// The storyline's moments, as durations before the world's start. story.go
// writes the same night into PagerDuty; the metrics and logs tell it too.
const (
	dbConfigAgo   = 118 * time.Minute // checkout-db max_connections raised (config push)
	flagChangeAgo = 100 * time.Minute // payment-gateway feature flag, unrelated
	queueRiseAgo  = 85 * time.Minute  // billing-worker's queue starts to grow
	queueHighAgo  = 60 * time.Minute  // … and passes 1,000 (alert at -70 min: above 1,000 for 10 min)
	indexerAgo    = 70 * time.Minute  // search-indexer's bulk writes start to be rejected
	flapAgo       = 41 * time.Minute  // edge-proxy's eu-west-1 health check starts to flap
	dbFillAgo     = 40 * time.Minute  // a report query starts taking checkout-db's connections
	dbFullAgo     = 25 * time.Minute  // … and holds all 200
	authSlowAgo   = 35 * time.Minute  // auth-service's token endpoint slows down
	hostileAgo    = 16 * time.Minute
	deployAgo     = 14 * time.Minute // payment-gateway v2.14.0 rolls out
	hostileLogAgo = 11 * time.Minute
	wedgeAgo      = 10 * time.Minute // card-processor resets its connections; v2.14.0's pool never recovers
	webhookAgo    = 6 * time.Minute  // Stripe webhook signatures start failing
)

// The payment-gateway releases of the story.
const (
	previousVersion = "v2.13.4"
	deployedVersion = "v2.14.0"
	deployBuild     = "8812"
)

// pod is one instance of a service. A restart stops every pod and starts
// fresh ones; nothing is ever removed, so the metrics and logs of the past
// stay what they were.
type pod struct {
	name    string
	version string
	started time.Time
	stopped time.Time // zero: running
}

func (p *pod) runningAt(t time.Time) bool {
	return !t.Before(p.started) && (p.stopped.IsZero() || t.Before(p.stopped))
}

// service is one of the world's services and the history of its pods.
type service struct {
	name, env string
	stateful  bool   // pods keep their names across restarts (checkout-db-0)
	version   string // what new pods run
	// wedgedAt, when set, is the moment the service's pods went bad: a
	// pod started before it (and, with wedgedVersion, running that
	// version) misbehaves from then on until it is replaced.
	wedgedAt      time.Time
	wedgedVersion string

	pods       []*pod // every pod ever, oldest first
	generation int    // rollouts so far; names the replica set
	restarts   []time.Time
	scales     []time.Time
	rollbacks  []time.Time
}

// fleet is the world's services. Metrics and logs read it under mu; the
// controls change it under mu.
type fleet struct {
	mu       sync.RWMutex
	seed     uint64
	start    time.Time        // the world's start: the story's "now"
	now      func() time.Time // the world's clock
	services map[string]*service
	blocks   []IPBlock // the demo edge's block list
}

type fleetSpec struct {
	name, env, version string
	replicas           int
	stateful           bool
}

// fleetSpecs are the services as they run, in the order of cast.go.
var fleetSpecs = []fleetSpec{
	{"payment-gateway", "prod", deployedVersion, 3, false},
	{"billing-worker", "prod", "v5.2.1", 3, false},
	{"checkout-db", "prod", "15.8", 1, true},
	{"checkout-api", "prod", "v3.8.0", 4, false},
	{"edge-proxy", "prod", "v1.27.2", 6, false},
	{"search-indexer", "staging", "v0.19.3", 2, false},
	{"auth-service", "prod", "v4.1.0", 3, false},
}

func newFleet(seed uint64, start time.Time, now func() time.Time) *fleet {
	f := &fleet{seed: seed, start: start, now: now, services: map[string]*service{}}
	longAgo := start.Add(-3 * 24 * time.Hour)
	for _, spec := range fleetSpecs {
		s := &service{name: spec.name, env: spec.env, stateful: spec.stateful, version: spec.version}
		f.services[spec.name] = s
		if spec.name == "payment-gateway" {
			// The old release ran for days; the deploy replaced its pods
			// one at a time, 20 s apart.
			s.version = previousVersion
			f.startPods(s, spec.replicas, longAgo)
			deploy := start.Add(-deployAgo)
			s.version = deployedVersion
			s.generation++
			old := s.running(deploy)
			for i, p := range old {
				at := deploy.Add(time.Duration(i) * 20 * time.Second)
				p.stopped = at
				f.startPods(s, 1, at)
			}
			s.wedgedAt, s.wedgedVersion = start.Add(-wedgeAgo), deployedVersion
			continue
		}
		f.startPods(s, spec.replicas, longAgo)
	}
	f.services["auth-service"].wedgedAt = start.Add(-authSlowAgo)
	f.services["search-indexer"].wedgedAt = start.Add(-indexerAgo)
	return f
}

// startPods starts n pods of s's current version and generation at t.
// The caller holds mu (or owns f alone).
func (f *fleet) startPods(s *service, n int, t time.Time) {
	for range n {
		s.pods = append(s.pods, &pod{name: f.podName(s), version: s.version, started: t})
	}
}

// podName is a name like Kubernetes gives: the replica set's hash (from the
// generation) and a random suffix, or an ordinal for a stateful service.
func (f *fleet) podName(s *service) string {
	if s.stateful {
		used := map[string]bool{}
		for _, p := range s.pods {
			if p.stopped.IsZero() {
				used[p.name] = true
			}
		}
		for i := 0; ; i++ {
			name := fmt.Sprintf("%s-%d", s.name, i)
			if !used[name] {
				return name
			}
		}
	}
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	word := func(key string, n int) string {
		h := mix(f.seed ^ hashString(key))
		var b strings.Builder
		for range n {
			b.WriteByte(alphabet[h%uint64(len(alphabet))])
			h = mix(h)
		}
		return b.String()
	}
	rs := word(fmt.Sprintf("%s/rs/%d", s.name, s.generation), 10)
	return s.name + "-" + rs + "-" + word(fmt.Sprintf("%s/pod/%d", s.name, len(s.pods)), 5)
}

// running is s's pods running at t, oldest first.
func (s *service) running(t time.Time) []*pod {
	var out []*pod
	for _, p := range s.pods {
		if p.runningAt(t) {
			out = append(out, p)
		}
	}
	return out
}

// wedged reports whether p misbehaves at t.
func (s *service) wedged(p *pod, t time.Time) bool {
	return !s.wedgedAt.IsZero() && !t.Before(s.wedgedAt) && p.started.Before(s.wedgedAt) &&
		(s.wedgedVersion == "" || p.version == s.wedgedVersion)
}

// wedgedShare is the share of s's running pods that misbehave at t.
func (s *service) wedgedShare(t time.Time) float64 {
	run := s.running(t)
	if len(run) == 0 {
		return 0
	}
	bad := 0
	for _, p := range run {
		if s.wedged(p, t) {
			bad++
		}
	}
	return float64(bad) / float64(len(run))
}

// changes is every moment up to t at which s's pods or their health
// changed, sorted.
func (s *service) changes(t time.Time) []time.Time {
	var out []time.Time
	add := func(c time.Time) {
		if !c.IsZero() && !c.After(t) {
			out = append(out, c)
		}
	}
	add(s.wedgedAt)
	for _, p := range s.pods {
		add(p.started)
		add(p.stopped)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return slices.Compact(out)
}

// lastRestart is s's latest restart (or rollback) at or before t.
func (s *service) lastRestart(t time.Time) (time.Time, bool) {
	var last time.Time
	for _, r := range append(slices.Clone(s.restarts), s.rollbacks...) {
		if !r.After(t) && r.After(last) {
			last = r
		}
	}
	return last, !last.IsZero()
}

// restart replaces every running pod of s at t with a fresh one.
func (f *fleet) restart(s *service, t time.Time) int {
	old := s.running(t)
	for _, p := range old {
		p.stopped = t
	}
	s.generation++
	f.startPods(s, len(old), t)
	s.restarts = append(s.restarts, t)
	return len(old)
}

// scale starts or stops pods of s at t so that n run.
func (f *fleet) scale(s *service, n int, t time.Time) {
	run := s.running(t)
	switch {
	case n > len(run):
		f.startPods(s, n-len(run), t)
	case n < len(run):
		for _, p := range run[n:] { // the newest go first
			p.stopped = t
		}
	}
	s.scales = append(s.scales, t)
}

// rollback replaces the running pods of s with pods of version at t.
func (f *fleet) rollback(s *service, version string, t time.Time) {
	old := s.running(t)
	for _, p := range old {
		p.stopped = t
	}
	s.version = version
	s.generation++
	f.startPods(s, len(old), t)
	s.rollbacks = append(s.rollbacks, t)
}

// mix is splitmix64's finalizer: a cheap, well-spread hash of x.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func hashString(s string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	return h.Sum64()
}

// noise is a value in [-1, 1) fixed by the seed, a key and a slot number:
// the same world gives the same wiggles.
func (f *fleet) noise(key string, slot int64) float64 {
	h := mix(f.seed ^ hashString(key) ^ mix(uint64(slot)))
	return float64(h>>11)/float64(1<<53)*2 - 1
}
