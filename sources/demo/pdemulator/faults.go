package pdemulator

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path"
	"strconv"
	"time"
)

// FaultKind says how an injected fault breaks a response.
type FaultKind int

const (
	// FaultLatency delays the response by Fault.Delay, then serves it
	// normally. The delay ends early when the client gives up or the server
	// closes.
	FaultLatency FaultKind = iota + 1
	// FaultServerError answers Fault.Status (500, 502 or 503; default 503)
	// with PagerDuty's error body.
	FaultServerError
	// FaultRateLimit answers 429 with code 2020 and the rate-limit headers,
	// whether or not Options.RateLimit is on.
	FaultRateLimit
	// FaultTruncated serves the real response but cuts the body off halfway,
	// after promising the full length: the client sees a valid start and an
	// unexpected EOF.
	FaultTruncated
	// FaultMalformedJSON answers 200 with a JSON content type and a body
	// that is not JSON.
	FaultMalformedJSON
	// FaultSlowAnswer does what the request asks at once, then holds the
	// answer back for Fault.Delay: a client whose deadline is shorter
	// gives up on a write that PagerDuty did make.
	FaultSlowAnswer
)

func (k FaultKind) String() string {
	switch k {
	case FaultLatency:
		return "latency"
	case FaultServerError:
		return "server-error"
	case FaultRateLimit:
		return "rate-limit"
	case FaultTruncated:
		return "truncated"
	case FaultMalformedJSON:
		return "malformed-json"
	case FaultSlowAnswer:
		return "slow-answer"
	}
	return "FaultKind(" + strconv.Itoa(int(k)) + ")"
}

// Fault is one injected failure. It applies to requests matching Method
// (empty: any) and Path (an exact path or a path.Match pattern such as
// "/incidents/*/notes"; empty: any), Times times (0 means once). Faults are
// consumed in the order they were injected, and fire before authentication
// and the rate limit, as a failure in front of the API would.
type Fault struct {
	Method string
	Path   string
	Kind   FaultKind
	Times  int
	// Delay is the FaultLatency delay.
	Delay time.Duration
	// Status is the FaultServerError status.
	Status int
	// RetryAfter is the FaultRateLimit ratelimit-reset; 0 means the rate
	// window.
	RetryAfter time.Duration
	// RetryAfterOnly makes a FaultRateLimit answer carry RetryAfter as a
	// Retry-After header (whole seconds) and none of the ratelimit-*
	// headers, as a gateway or proxy in front of PagerDuty answers.
	RetryAfterOnly bool
}

// InjectFault queues a fault.
func (s *Server) InjectFault(f Fault) error {
	switch f.Kind {
	case FaultLatency, FaultSlowAnswer:
		if f.Delay <= 0 {
			return fmt.Errorf("inject %s fault: Delay must be positive", f.Kind)
		}
	case FaultServerError:
		if f.Status == 0 {
			f.Status = http.StatusServiceUnavailable
		}
		if f.Status < 500 || f.Status > 599 {
			return fmt.Errorf("inject %s fault: Status %d is not a 5xx status", f.Kind, f.Status)
		}
	case FaultRateLimit, FaultTruncated, FaultMalformedJSON:
	default:
		return fmt.Errorf("inject fault: unknown kind %v", f.Kind)
	}
	if f.Path != "" {
		if _, err := path.Match(f.Path, "/"); err != nil {
			return fmt.Errorf("inject %s fault: bad path pattern %q: %w", f.Kind, f.Path, err)
		}
	}
	if f.Times <= 0 {
		f.Times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
	return nil
}

// ClearFaults drops every queued fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// PendingFaults reports how many fault applications are still queued.
func (s *Server) PendingFaults() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, f := range s.faults {
		n += f.Times
	}
	return n
}

// takeFault consumes the first queued fault matching the request. Callers
// hold s.mu.
func (s *Server) takeFault(method, p string) *Fault {
	for i, f := range s.faults {
		if f.Method != "" && f.Method != method {
			continue
		}
		if f.Path != "" && f.Path != p {
			if ok, _ := path.Match(f.Path, p); !ok {
				continue
			}
		}
		f.Times--
		taken := *f
		if f.Times == 0 {
			s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
		}
		return &taken
	}
	return nil
}

// applyFault breaks the response as f says. It reports whether it answered
// the request itself; a latency fault lets the request through afterwards.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f *Fault) bool {
	switch f.Kind {
	case FaultLatency:
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-t.C:
			return false
		case <-r.Context().Done():
			return true
		case <-s.done:
			writeError(w, http.StatusServiceUnavailable, codeInternal, "Service Unavailable", "the emulator is shutting down")
			return true
		}
	case FaultServerError:
		writeError(w, f.Status, codeInternal, http.StatusText(f.Status), "injected fault")
	case FaultRateLimit:
		reset := f.RetryAfter
		if reset <= 0 {
			reset = s.opts.RateWindow
		}
		limit := s.opts.RateLimit
		if limit <= 0 {
			limit = 960 // PagerDuty's default REST limit per minute
		}
		if f.RetryAfterOnly {
			w.Header().Set("Retry-After", strconv.Itoa(int((reset+time.Second-1)/time.Second)))
		} else {
			setRateHeaders(w, limit, 0, reset)
		}
		writeError(w, http.StatusTooManyRequests, codeRateLimit, "Rate Limit Exceeded", "injected fault")
	case FaultTruncated:
		rec := httptest.NewRecorder()
		s.serveAPI(rec, r)
		body := rec.Body.Bytes()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body[:len(body)/2])
		// Returning with fewer bytes than promised makes net/http close
		// the connection, which is what a dropped response looks like.
	case FaultSlowAnswer:
		rec := httptest.NewRecorder()
		s.serveAPI(rec, r)
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return true
		case <-s.done:
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	case FaultMalformedJSON:
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"incidents": [{"id": "Q000001", "title": }], "limit": 25,`))
	}
	return true
}
