package pagerduty

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Transport is the http.RoundTripper under the go-pagerduty client. It is
// where sitrep is polite to PagerDuty: it waits out a rate limit instead of
// hammering, and retries the failures that are worth retrying.
//
//   - A 429 is waited out until the reset the ratelimit-reset header names
//     (or a backoff when it names none), as long as the request's deadline
//     allows; otherwise the 429 is returned and surfaces as an error.
//   - When a response says no requests remain in the window, the next
//     request waits for the reset before it is sent.
//   - 5xx answers and network errors are retried with jittered exponential
//     backoff, but only for requests that are safe to repeat: GET, and PUT
//     (PagerDuty's PUTs set a state, so repeating one changes nothing more).
//     A POST (a note) is never sent twice.
type Transport struct {
	Base       http.RoundTripper
	MaxRetries int           // retries after the first attempt
	MinBackoff time.Duration // first retry delay; doubles each time
	MaxBackoff time.Duration
	// MaxBody caps the bytes read from one answer; zero means
	// DefaultMaxBody. go-pagerduty reads whole answers into memory.
	MaxBody int64

	mu        sync.Mutex
	pauseTill time.Time // no request goes out before this
	now       func() time.Time
}

// DefaultMaxBody is the largest answer read from PagerDuty. A page of 100
// incidents is well under a megabyte; this is room, not a target.
const DefaultMaxBody = 32 << 20

// ErrBodyTooLarge is the read error for an answer over MaxBody.
var ErrBodyTooLarge = errors.New("PagerDuty's answer is larger than sitrep accepts")

// NewTransport returns a Transport with sensible defaults over base (or
// http.DefaultTransport).
func NewTransport(base http.RoundTripper) *Transport {
	if base == nil {
		base = http.DefaultTransport
	}
	return &Transport{Base: base, MaxRetries: 3, MinBackoff: 200 * time.Millisecond, MaxBackoff: 5 * time.Second, now: time.Now}
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	body, err := replayableBody(req)
	if err != nil {
		return nil, err
	}
	retryable := req.Method == http.MethodGet || req.Method == http.MethodPut
	for attempt := 0; ; attempt++ {
		if err := t.waitForWindow(ctx); err != nil {
			return nil, err
		}
		try := req.Clone(ctx)
		if body != nil {
			try.Body = io.NopCloser(bytes.NewReader(body))
		}
		resp, err := t.Base.RoundTrip(try)
		if err == nil {
			t.noteRateLimit(resp)
		}
		wait, retry := t.shouldRetry(resp, err, attempt, retryable)
		if !retry {
			return t.capBody(resp), err
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			// Waiting would outlive the caller's deadline: hand back what
			// we have so the error is the real one, not "context expired".
			return t.capBody(resp), err
		}
		if resp != nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// shouldRetry decides whether to try again, and after how long.
func (t *Transport) shouldRetry(resp *http.Response, err error, attempt int, retryable bool) (time.Duration, bool) {
	if attempt >= t.MaxRetries {
		return 0, false
	}
	if err != nil {
		if !retryable || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return 0, false
		}
		var netErr net.Error
		if errors.As(err, &netErr) || errors.Is(err, io.ErrUnexpectedEOF) {
			return t.backoff(attempt), true
		}
		return 0, false
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		// A rate-limited request was not processed, so even a POST is safe
		// to send again.
		if reset, ok := resetAfter(resp.Header); ok {
			return reset + jitter(100*time.Millisecond), true
		}
		return t.backoff(attempt), true
	case resp.StatusCode >= 500 && retryable:
		return t.backoff(attempt), true
	}
	return 0, false
}

func (t *Transport) backoff(attempt int) time.Duration {
	d := t.MinBackoff << attempt
	if d > t.MaxBackoff || d <= 0 {
		d = t.MaxBackoff
	}
	// Full jitter between d/2 and d, so a team of sitreps started by the
	// same page do not retry in step.
	return d/2 + jitter(d/2)
}

func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return rand.N(d)
}

// noteRateLimit remembers an exhausted window so the next request waits
// for its reset instead of earning a 429.
func (t *Transport) noteRateLimit(resp *http.Response) {
	remaining, err := strconv.Atoi(resp.Header.Get("ratelimit-remaining"))
	if err != nil || remaining > 0 {
		return
	}
	reset, ok := resetAfter(resp.Header)
	if !ok {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if till := t.now().Add(reset); till.After(t.pauseTill) {
		t.pauseTill = till
	}
}

func (t *Transport) waitForWindow(ctx context.Context) error {
	t.mu.Lock()
	wait := t.pauseTill.Sub(t.now())
	t.mu.Unlock()
	if wait <= 0 {
		return nil
	}
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
		return fmt.Errorf("PagerDuty rate limit: the window resets in %s, after this request's deadline", wait.Round(time.Second))
	}
	return sleep(ctx, wait)
}

// resetAfter reads ratelimit-reset, which PagerDuty sends as seconds until
// the window resets.
func resetAfter(h http.Header) (time.Duration, bool) {
	v := h.Get("ratelimit-reset")
	if v == "" {
		return 0, false
	}
	secs, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(secs) || secs < 0 || secs > 3600 {
		return 0, false
	}
	return time.Duration(secs * float64(time.Second)), true
}

// capBody makes reading more than MaxBody bytes of resp's body an error
// wrapping ErrBodyTooLarge, rather than memory spent without bound.
func (t *Transport) capBody(resp *http.Response) *http.Response {
	if resp == nil || resp.Body == nil || resp.Body == http.NoBody {
		return resp
	}
	limit := t.MaxBody
	if limit <= 0 {
		limit = DefaultMaxBody
	}
	resp.Body = &cappedBody{ReadCloser: resp.Body, left: limit, limit: limit}
	return resp
}

type cappedBody struct {
	io.ReadCloser
	left, limit int64
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if b.left <= 0 {
		// At the cap: an answer of exactly limit bytes is fine, one more
		// byte is not.
		var one [1]byte
		n, err := b.ReadCloser.Read(one[:])
		if n > 0 {
			return 0, fmt.Errorf("%w (more than %d bytes)", ErrBodyTooLarge, b.limit)
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
}

func replayableBody(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	defer req.Body.Close()
	b, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, fmt.Errorf("read request body: %w", err)
	}
	return b, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
