// Package metricsemu serves Prometheus- and Loki-compatible query endpoints
// for the demo world and for tests, so that the real Prometheus client and
// a real Loki HTTP request exercise the same code paths as in production.
//
// It does not parse PromQL or LogQL. A query is answered by what was
// registered for it:
//
//   - Metrics: SetSeries registers a series under a query string. A query
//     is looked up by its exact text (runs of white space count as one
//     space). When nothing is registered under that text and the query is a
//     bare metric name ("http_5xx_rate"), every series whose __name__ label
//     is that name answers. Anything else gets an empty result and a warning
//     saying nothing is registered for it.
//   - Logs: SetLogs registers a function under a stream selector
//     ({app="payment-gateway"}). A query is its selector, optionally
//     followed by line filters |= "text" and != "text".
//
// Values come from Go functions of time, which the storyline may swap at
// any moment (SetSeries again); every method is safe for concurrent use.
package metricsemu

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// ValueFunc is a series' value at t. NaN and ±Inf are served as Prometheus
// serves them ("NaN", "+Inf", "-Inf").
type ValueFunc func(t time.Time) float64

// LogLine is one log entry. Labels, when set, are the entry's stream
// labels; when empty the entry belongs to the registered selector's labels.
type LogLine struct {
	T      time.Time
	Line   string
	Labels map[string]string
}

// LogFunc returns the lines of a stream in [from, to], in any order.
type LogFunc func(from, to time.Time) []LogLine

// Fault makes a query fail the way a real server can: with an API error
// (Status 400 or 422 plus ErrorType and Message), a bare HTTP status (e.g.
// 503), a malformed Body, or a Delay before answering. A Delay ends early
// when the client gives up.
type Fault struct {
	Status    int    // HTTP status; zero means 400 when ErrorType is set, else 200
	ErrorType string // bad_data, execution, timeout, …
	Message   string
	Body      string // sent verbatim instead of JSON when set
	Delay     time.Duration
}

type series struct {
	labels map[string]string
	fn     ValueFunc
}

// Emulator holds the registered series and streams. The zero value is not
// usable; call New.
type Emulator struct {
	mu     sync.RWMutex
	series map[string][]series // by normalized query
	faults map[string]Fault    // by normalized query
	logs   map[string]LogFunc  // by normalized selector
	now    func() time.Time
	mux    *http.ServeMux
}

// New returns an empty Emulator.
func New() *Emulator {
	e := &Emulator{
		series: map[string][]series{},
		faults: map[string]Fault{},
		logs:   map[string]LogFunc{},
		now:    time.Now,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v1/query_range", e.queryRange)
	mux.HandleFunc("/api/v1/query", e.query)
	mux.HandleFunc("/loki/api/v1/query_range", e.lokiQueryRange)
	mux.HandleFunc("/-/ready", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ready\n")) })
	e.mux = mux
	return e
}

// SetNow replaces the clock used for queries without a time.
func (e *Emulator) SetNow(now func() time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = now
}

// SetSeries registers (or replaces) the series with these labels under
// query. Put the metric name in labels["__name__"] to have a bare-name
// query find it too. A nil fn removes the series.
func (e *Emulator) SetSeries(query string, labels map[string]string, fn ValueFunc) {
	key := normalize(query)
	lbl := make(map[string]string, len(labels))
	for k, v := range labels {
		lbl[k] = v
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	// Copy on write: lookup hands the old slice to requests in flight.
	old := e.series[key]
	next := make([]series, 0, len(old)+1)
	replaced := false
	for _, s := range old {
		if sameLabels(s.labels, lbl) {
			replaced = true
			if fn != nil {
				next = append(next, series{labels: lbl, fn: fn})
			}
			continue
		}
		next = append(next, s)
	}
	if !replaced && fn != nil {
		next = append(next, series{labels: lbl, fn: fn})
	}
	if len(next) == 0 {
		delete(e.series, key)
		return
	}
	e.series[key] = next
}

// SetFault makes query fail as f says; a zero Fault clears it.
func (e *Emulator) SetFault(query string, f Fault) {
	key := normalize(query)
	e.mu.Lock()
	defer e.mu.Unlock()
	if f == (Fault{}) {
		delete(e.faults, key)
		return
	}
	e.faults[key] = f
}

// SetLogs registers (or, with a nil fn, removes) the stream for selector.
func (e *Emulator) SetLogs(selector string, fn LogFunc) {
	key := normalize(selector)
	e.mu.Lock()
	defer e.mu.Unlock()
	if fn == nil {
		delete(e.logs, key)
		return
	}
	e.logs[key] = fn
}

// ServeHTTP serves the query endpoints.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) { e.mux.ServeHTTP(w, r) }

// Server is an Emulator listening on loopback.
type Server struct {
	URL  string // http://127.0.0.1:PORT
	srv  *http.Server
	done chan struct{}
}

// Start serves e on a free port of 127.0.0.1 until Close.
func (e *Emulator) Start() (*Server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{
		URL:  "http://" + l.Addr().String(),
		srv:  &http.Server{Handler: e, ReadHeaderTimeout: 5 * time.Second},
		done: make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(l)
	}()
	return s, nil
}

// Close stops the server, cutting open requests short.
func (s *Server) Close() error {
	err := s.srv.Close()
	<-s.done
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// lookup returns the series answering query and any fault for it.
func (e *Emulator) lookup(query string) ([]series, Fault, bool) {
	key := normalize(query)
	e.mu.RLock()
	defer e.mu.RUnlock()
	f := e.faults[key]
	if list, ok := e.series[key]; ok {
		return list, f, true
	}
	if !isMetricName(key) {
		return nil, f, false
	}
	var out []series
	for _, list := range e.series {
		for _, s := range list {
			if s.labels["__name__"] == key {
				out = append(out, s)
			}
		}
	}
	return out, f, len(out) > 0
}

func (e *Emulator) clock() time.Time {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.now()
}

// wait honours a fault's delay, ending early when the client leaves.
func wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func normalize(q string) string { return strings.Join(strings.Fields(q), " ") }

func isMetricName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !(r == '_' || r == ':' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func sameLabels(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
