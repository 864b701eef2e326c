// Package pdemulator is an in-process emulator of PagerDuty's REST API v2.
//
// It serves the subset of the API that sitrep reads and writes (incidents,
// their log entries, notes, alerts, responder requests and status updates,
// change events, on-calls, services and their technical dependencies, teams,
// priorities, escalation policies and the current user) in PagerDuty's JSON
// shapes, so that the unmodified go-pagerduty client can talk to it over
// loopback HTTP. It also serves the read and write endpoints other
// PagerDuty clients start with (users, teams and their members, single
// services and policies, the account-wide log and the single-incident
// update), and is as strict as PagerDuty about their required fields, so
// a tool pointed at the demo fails here where it would
// fail on PagerDuty. `sitrep demo` builds a scripted world on top of its Go
// API; tests use its fault injection and request log to exercise the
// incident feed's error handling and request budget.
//
// All state lives behind one mutex and every timestamp comes from the
// configured clock, so the same calls against the same clock produce the same
// responses, IDs included.
package pdemulator

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// DefaultWebURL is the base of the html_url links when Options.WebURL is empty.
// It is a plausible PagerDuty account subdomain; nothing ever fetches it.
const DefaultWebURL = "https://example.pagerduty.com"

// Options configure a Server. The zero value is usable: no token is accepted
// until Token is set, though, so tests and the demo always set it.
type Options struct {
	// Token is the token clients must send, as an API token
	// ("Authorization: Token token=<Token>") or as an OAuth access token
	// ("Authorization: Bearer <Token>").
	Token string
	// Clock returns the current time; nil means time.Now. The demo runs a
	// scaled clock and tests a fixed one, so nothing here reads the wall clock.
	Clock func() time.Time
	// RateLimit is the number of authenticated requests allowed per
	// RateWindow; 0 turns rate limiting off.
	RateLimit int
	// RateWindow is the length of a rate-limit window; 0 means one minute,
	// PagerDuty's own window.
	RateWindow time.Duration
	// WebURL is the base of html_url links, such as
	// "https://acme.pagerduty.com"; empty means DefaultWebURL.
	WebURL string
	// RelatedChangeWindow is how long before an incident's creation a change
	// event on the same service counts as related; 0 means one hour, long
	// enough to catch the deploy that usually precedes an error spike.
	RelatedChangeWindow time.Duration
	// AutoEscalate makes triggered incidents escalate by the clock, as
	// PagerDuty does: when the current level's escalation_delay_in_minutes
	// has passed since the incident was last assigned, escalated or
	// unacknowledged, it moves to the next level (back to the first while
	// the policy has loops left) and says so in an escalate log entry
	// dated when the delay ran out. Off by default, so that tests which
	// backdate incidents keep them where they put them.
	AutoEscalate bool
}

// Server is the emulator: a world of users, services and incidents plus the
// HTTP front end that serves it. Create one with New.
type Server struct {
	opts    Options
	handler http.Handler
	// done is closed by Close so that injected latency never outlives the
	// server.
	done      chan struct{}
	closeOnce sync.Once

	mu       sync.Mutex
	world    *world
	faults   []*Fault
	requests []*Request
	rlStart  time.Time
	rlCount  int
	// userTokens are the users' own tokens (usertokens.go): token → user ID.
	userTokens map[string]string

	httpSrv *http.Server
}

// maxRecordedRequests bounds the request log.
const maxRecordedRequests = 100_000

// Request is one HTTP request the emulator received, as recorded for tests.
type Request struct {
	Method   string
	Path     string
	RawQuery string
	// From is the request's From header, the email of the acting user.
	From string
	// Status is the HTTP status the emulator answered with.
	Status int
}

// New returns a Server with an empty world.
func New(opts Options) *Server {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.RateWindow <= 0 {
		opts.RateWindow = time.Minute
	}
	if opts.WebURL == "" {
		opts.WebURL = DefaultWebURL
	}
	opts.WebURL = strings.TrimRight(opts.WebURL, "/")
	if opts.RelatedChangeWindow <= 0 {
		opts.RelatedChangeWindow = time.Hour
	}
	s := &Server{opts: opts, done: make(chan struct{}), world: newWorld()}
	s.world.autoEscalate = opts.AutoEscalate
	s.handler = http.HandlerFunc(s.serveHTTP)
	return s
}

// Handler returns the emulator as an http.Handler, for httptest servers.
func (s *Server) Handler() http.Handler { return s.handler }

// Start listens on a free loopback port and serves the API in the
// background. It returns the base URL to hand to pagerduty.WithAPIEndpoint.
func (s *Server) Start() (string, error) {
	s.mu.Lock()
	if s.httpSrv != nil {
		s.mu.Unlock()
		return "", errors.New("pdemulator: server already started")
	}
	// Loopback only: the emulator has no business being reachable from the
	// network, and its token is a fixture.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.mu.Unlock()
		return "", fmt.Errorf("pdemulator: listen on loopback: %w", err)
	}
	srv := &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	s.httpSrv = srv
	s.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), nil
}

// Close stops a started server and aborts any injected delays. It is safe to
// call more than once and on a server that was never started.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { close(s.done) })
	s.mu.Lock()
	srv := s.httpSrv
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	// Shutdown lets requests in flight finish, but counts a connection the
	// client opened and never used as busy for 5 s: after a short grace,
	// close what is left rather than hold up the demo's exit or a test.
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		return srv.Close()
	}
	return nil
}

// Requests returns a copy of the requests received so far, in order (the
// newest 100,000 at most).
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		out[i] = *r
	}
	return out
}

// ResetRequests forgets the recorded requests, so a test can measure one
// phase (say, a steady-state refresh) on its own.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

func (s *Server) now() time.Time { return s.opts.Clock().UTC() }

// statusRecorder remembers the status written, for the request log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &statusRecorder{ResponseWriter: w}
	s.mu.Lock()
	logged := &Request{
		Method:   r.Method,
		Path:     r.URL.Path,
		RawQuery: r.URL.RawQuery,
		From:     r.Header.Get("From"),
	}
	if len(s.requests) >= maxRecordedRequests {
		// A demo can run for hours; keep the newest half rather than grow
		// without bound.
		s.requests = append(s.requests[:0], s.requests[len(s.requests)/2:]...)
	}
	s.requests = append(s.requests, logged)
	fault := s.takeFault(r.Method, r.URL.Path)
	s.mu.Unlock()

	defer func() {
		s.mu.Lock()
		logged.Status = rec.status
		s.mu.Unlock()
	}()

	if fault != nil {
		if s.applyFault(rec, r, fault) {
			return
		}
	}
	s.serveAPI(rec, r)
}

// serveAPI runs authentication, the rate limit and the router.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	user := s.tokenUser(r.Header.Get("Authorization"))
	r = withTokenUser(r, user)
	if user == "" && !s.authorized(r.Header.Get("Authorization")) {
		writeError(w, http.StatusUnauthorized, codeAuth, "Invalid Credentials",
			"the Authorization header must be \"Token token=<api token>\" or \"Bearer <oauth token>\" with this emulator's token")
		return
	}
	if !s.allowRate(w) {
		return
	}
	s.route(w, r)
}

// authorized reports whether header carries the server's token in either of
// the forms PagerDuty accepts: an API token ("Token token=...") or an OAuth
// access token ("Bearer ..."). The scheme is case-insensitive, as in HTTP.
func (s *Server) authorized(header string) bool {
	if s.opts.Token == "" {
		return false
	}
	scheme, cred, ok := strings.Cut(header, " ")
	if !ok {
		return false
	}
	switch {
	case strings.EqualFold(scheme, "Token"):
		tok, found := strings.CutPrefix(cred, "token=")
		return found && subtle.ConstantTimeCompare([]byte(tok), []byte(s.opts.Token)) == 1
	case strings.EqualFold(scheme, "Bearer"):
		return subtle.ConstantTimeCompare([]byte(cred), []byte(s.opts.Token)) == 1
	}
	return false
}

// allowRate applies the fixed-window rate limit and sets PagerDuty's
// rate-limit headers. It answers 429 itself and reports false when the
// window's budget is spent.
func (s *Server) allowRate(w http.ResponseWriter) bool {
	if s.opts.RateLimit <= 0 {
		return true
	}
	s.mu.Lock()
	now := s.now()
	if s.rlStart.IsZero() || !now.Before(s.rlStart.Add(s.opts.RateWindow)) {
		s.rlStart = now
		s.rlCount = 0
	}
	reset := s.rlStart.Add(s.opts.RateWindow).Sub(now)
	allowed := s.rlCount < s.opts.RateLimit
	if allowed {
		s.rlCount++
	}
	remaining := s.opts.RateLimit - s.rlCount
	s.mu.Unlock()

	setRateHeaders(w, s.opts.RateLimit, remaining, reset)
	if !allowed {
		writeError(w, http.StatusTooManyRequests, codeRateLimit, "Rate Limit Exceeded",
			fmt.Sprintf("more than %d requests in %s", s.opts.RateLimit, s.opts.RateWindow))
		return false
	}
	return true
}

func setRateHeaders(w http.ResponseWriter, limit, remaining int, reset time.Duration) {
	secs := int((reset + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	w.Header().Set("ratelimit-limit", fmt.Sprint(limit))
	w.Header().Set("ratelimit-remaining", fmt.Sprint(max(remaining, 0)))
	w.Header().Set("ratelimit-reset", fmt.Sprint(secs))
}
