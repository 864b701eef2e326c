package world

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Errors of the world's controls; the control endpoint answers them with
// 404 and 409.
var (
	ErrUnknownService = errors.New("no such service in the demo world")
	ErrWrongEnv       = errors.New("the service does not run in that environment")
)

// MaxReplicas caps Scale, as the demo catalogue's scale_up does.
const MaxReplicas = 20

// PodStatus is one running pod.
type PodStatus struct {
	Name    string    `json:"name"`
	Version string    `json:"version"`
	Ready   bool      `json:"ready"`
	Started time.Time `json:"started"`
}

// ServiceStatus is what `demo-ctl status` shows for a service.
type ServiceStatus struct {
	Service     string      `json:"service"`
	Env         string      `json:"env"`
	Version     string      `json:"version"`
	Replicas    int         `json:"replicas"`
	Ready       int         `json:"ready"`
	Pods        []PodStatus `json:"pods"`
	Health      string      `json:"health"` // "healthy: 5xx rate 1.1%" or "degraded: …"
	Restarts    int         `json:"restarts"`
	LastRestart *time.Time  `json:"last_restart,omitempty"`
}

// RestartResult is what a restart did: every pod replaced.
type RestartResult struct {
	Service string        `json:"service"`
	Env     string        `json:"env"`
	Stopped []string      `json:"stopped"`
	Started []string      `json:"started"`
	Status  ServiceStatus `json:"status"`
}

// ScaleResult is what a scale did.
type ScaleResult struct {
	Service string        `json:"service"`
	Env     string        `json:"env"`
	From    int           `json:"from"`
	To      int           `json:"to"`
	Started []string      `json:"started,omitempty"`
	Stopped []string      `json:"stopped,omitempty"`
	Status  ServiceStatus `json:"status"`
}

// Event is something the world's controls did, for the curious and for
// tests.
type Event struct {
	At   time.Time
	What string
}

// lookup finds a service; a non-empty env must be the one it runs in.
// The caller holds f.mu.
func (f *fleet) lookup(name, env string) (*service, error) {
	s := f.services[name]
	if s == nil {
		known := make([]string, 0, len(f.services))
		for n := range f.services {
			known = append(known, n)
		}
		sort.Strings(known)
		return nil, fmt.Errorf("%w: %q (known: %s)", ErrUnknownService, name, strings.Join(known, ", "))
	}
	if env != "" && env != s.env {
		return nil, fmt.Errorf("%w: %s runs in %s, not %s", ErrWrongEnv, name, s.env, env)
	}
	return s, nil
}

// Restart replaces every pod of service. A restart of payment-gateway
// clears its stuck card-processor pool, so its 5xx rate falls back to
// about 1% within a minute or two; a restart of checkout-db ends the
// report query that holds its connections.
func (w *World) Restart(service string) error {
	_, err := w.RestartIn(service, "")
	return err
}

// RestartIn is Restart, refused unless the service runs in env (when env
// is not empty).
func (w *World) RestartIn(service, env string) (RestartResult, error) {
	f := w.fleet
	f.mu.Lock()
	s, err := f.lookup(service, env)
	if err != nil {
		f.mu.Unlock()
		return RestartResult{}, err
	}
	now := f.now()
	res := RestartResult{Service: s.name, Env: s.env}
	for _, p := range s.running(now) {
		res.Stopped = append(res.Stopped, p.name)
	}
	f.restart(s, now)
	for _, p := range s.running(now) {
		res.Started = append(res.Started, p.name)
	}
	f.mu.Unlock()
	w.notef("restarted %s (%d pods)", service, len(res.Started))
	res.Status, _ = w.ServiceStatus(service)
	return res, nil
}

// Scale sets the number of service's pods (1 to MaxReplicas).
func (w *World) Scale(service string, replicas int) error {
	_, err := w.ScaleIn(service, "", replicas)
	return err
}

// ScaleIn is Scale, refused unless the service runs in env (when env is
// not empty).
func (w *World) ScaleIn(service, env string, replicas int) (ScaleResult, error) {
	if replicas < 1 || replicas > MaxReplicas {
		return ScaleResult{}, fmt.Errorf("replicas %d: want 1 to %d", replicas, MaxReplicas)
	}
	f := w.fleet
	f.mu.Lock()
	s, err := f.lookup(service, env)
	if err != nil {
		f.mu.Unlock()
		return ScaleResult{}, err
	}
	now := f.now()
	before := s.running(now)
	res := ScaleResult{Service: s.name, Env: s.env, From: len(before), To: replicas}
	f.scale(s, replicas, now)
	after := s.running(now)
	was := map[string]bool{}
	for _, p := range before {
		was[p.name] = true
	}
	is := map[string]bool{}
	for _, p := range after {
		is[p.name] = true
		if !was[p.name] {
			res.Started = append(res.Started, p.name)
		}
	}
	for _, p := range before {
		if !is[p.name] {
			res.Stopped = append(res.Stopped, p.name)
		}
	}
	f.mu.Unlock()
	w.notef("scaled %s from %d to %d pods", service, res.From, res.To)
	res.Status, _ = w.ServiceStatus(service)
	return res, nil
}

// Status is a one-line summary of service: its pods and its health.
func (w *World) Status(service string) (string, error) {
	st, err := w.ServiceStatus(service)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s (%s) %s: %d/%d pods ready; %s", st.Service, st.Env, st.Version, st.Ready, st.Replicas, st.Health), nil
}

// ServiceStatus is service's pods and health now.
func (w *World) ServiceStatus(service string) (ServiceStatus, error) {
	return w.statusIn(service, "")
}

func (w *World) statusIn(service, env string) (ServiceStatus, error) {
	f := w.fleet
	f.mu.RLock()
	s, err := f.lookup(service, env)
	if err != nil {
		f.mu.RUnlock()
		return ServiceStatus{}, err
	}
	now := f.now()
	st := ServiceStatus{Service: s.name, Env: s.env, Version: s.version, Restarts: len(s.restarts)}
	for _, p := range s.running(now) {
		st.Pods = append(st.Pods, PodStatus{Name: p.name, Version: p.version, Ready: true, Started: p.started})
		st.Replicas++
		st.Ready++
	}
	if r, ok := s.lastRestart(now); ok {
		st.LastRestart = &r
	}
	f.mu.RUnlock()
	st.Health = w.health(service, now)
	return st, nil
}

// health judges a service by its metrics' thresholds, as its dashboard
// would. It takes the fleet's lock through the series functions.
func (w *World) health(service string, at time.Time) string {
	var good, bad []string
	for _, e := range EnrichmentConfig() {
		if e.Service != service {
			continue
		}
		for _, m := range e.Metrics {
			fn := w.signals[m.PromQL]
			if fn == nil || m.Threshold == nil {
				continue
			}
			v := fn(at)
			text := m.Name + " " + formatValue(v, m.Unit)
			if v > *m.Threshold {
				bad = append(bad, fmt.Sprintf("%s (threshold %s)", text, formatValue(*m.Threshold, m.Unit)))
			} else {
				good = append(good, text)
			}
		}
	}
	if service == "edge-proxy" {
		w.fleet.mu.RLock()
		down := w.fleet.edgeDown(at)
		w.fleet.mu.RUnlock()
		if down {
			bad = append(bad, "health check eu-west-1 failing")
		} else {
			good = append(good, "health check eu-west-1 passing")
		}
	}
	if len(bad) > 0 {
		return "degraded: " + strings.Join(bad, ", ")
	}
	if len(good) == 0 {
		return "healthy"
	}
	return "healthy: " + strings.Join(good, ", ")
}

// formatValue shows a ratio as a percentage and anything else with its
// unit.
func formatValue(v float64, unit string) string {
	switch unit {
	case "":
		return fmt.Sprintf("%.1f%%", 100*v)
	case "ms", "conns", "jobs":
		return fmt.Sprintf("%.0f %s", v, unit)
	}
	return fmt.Sprintf("%.1f %s", v, unit)
}

// Events is what the world's controls have done, oldest first.
func (w *World) Events() []Event {
	w.eventsMu.Lock()
	defer w.eventsMu.Unlock()
	return append([]Event(nil), w.events...)
}

func (w *World) notef(format string, args ...any) {
	e := Event{At: w.fleet.now(), What: fmt.Sprintf(format, args...)}
	w.eventsMu.Lock()
	w.events = append(w.events, e)
	w.eventsMu.Unlock()
}
