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
	"strings"
	"sync"
	"time"

	"sitrep/sources/sanitize"
)

// Transport is the http.RoundTripper under the go-pagerduty client. It is
// where sitrep is polite to PagerDuty: it waits out a rate limit instead of
// hammering, and retries the failures that are worth retrying.
//
//   - A 429 pauses the whole transport, not just the request that earned
//     it, until the reset that ratelimit-reset or Retry-After names (the
//     later of the two when both are present; a backoff when neither is).
//     Every request, retry or not, waits for the pause to end when its
//     deadline allows and otherwise fails at once with a *RateLimitError,
//     without being sent: a request sent during the pause would only earn
//     another 429.
//   - When a response says no requests remain in the window, the next
//     request waits for the reset in the same way.
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
			t.noteRateLimit(resp, attempt)
			if resp.StatusCode == http.StatusTooManyRequests {
				// A rate-limited request was not processed, so even a
				// POST is safe to send again. The pause noteRateLimit set
				// is the wait: waitForWindow at the top of the loop waits
				// it out, or fails at once when the deadline is sooner.
				drain(resp)
				if attempt >= t.MaxRetries {
					return nil, &RateLimitError{RetryIn: t.RetryIn()}
				}
				continue
			}
		}
		wait, retry := t.shouldRetry(resp, err, attempt, retryable)
		if !retry {
			return t.answer(resp, req), err
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			// Waiting would outlive the caller's deadline: hand back what
			// we have so the error is the real one, not "context expired".
			return t.answer(resp, req), err
		}
		if resp != nil {
			drain(resp)
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// answer is resp as the caller gets it: an error answer scrubbed of the
// request's credentials, and every body capped.
func (t *Transport) answer(resp *http.Response, req *http.Request) *http.Response {
	if resp != nil && resp.StatusCode >= 400 {
		scrubEcho(resp, req.Header.Get("Authorization"))
	}
	return t.capBody(resp)
}

func drain(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

// shouldRetry decides whether to try again after a failure other than a
// 429, and after how long.
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
	if resp.StatusCode >= 500 && retryable {
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

// noteRateLimit pauses the transport after a 429, and after an answer
// that says no requests remain in the window, until the reset.
func (t *Transport) noteRateLimit(resp *http.Response, attempt int) {
	reset, ok := resetAfter(resp.Header, t.now())
	if resp.StatusCode != http.StatusTooManyRequests {
		remaining, err := strconv.Atoi(resp.Header.Get("ratelimit-remaining"))
		if err != nil || remaining > 0 || !ok {
			return
		}
	} else if ok {
		// Jitter, so a team of sitreps paused by the same window do not
		// all come back in the same instant.
		reset += jitter(100 * time.Millisecond)
	} else {
		reset = t.backoff(attempt)
	}
	t.pauseFor(reset)
}

func (t *Transport) pauseFor(d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if till := t.clock()().Add(d); till.After(t.pauseTill) {
		t.pauseTill = till
	}
}

func (t *Transport) clock() func() time.Time {
	if t.now == nil {
		return time.Now
	}
	return t.now
}

// RetryIn is how long the transport stays paused by a rate limit; zero
// when it is not paused.
func (t *Transport) RetryIn() time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return max(t.pauseTill.Sub(t.clock()()), 0)
}

// waitForWindow holds a request until the pause ends. Another 429 may
// extend the pause while it waits, so it looks again after each wait.
func (t *Transport) waitForWindow(ctx context.Context) error {
	for {
		wait := t.RetryIn()
		if wait <= 0 {
			return nil
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			return &RateLimitError{RetryIn: wait}
		}
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// maxReset bounds a reset read from an answer: a header asking for more
// than an hour is wrong, and obeying it would silence sitrep for good.
const maxReset = time.Hour

// resetAfter reads how long until a rate-limit window resets: PagerDuty's
// ratelimit-reset (seconds) and the standard Retry-After (seconds or an
// HTTP date), the later when both are present.
func resetAfter(h http.Header, now time.Time) (time.Duration, bool) {
	var (
		best  time.Duration
		found bool
	)
	if v := strings.TrimSpace(h.Get("ratelimit-reset")); v != "" {
		if d, ok := seconds(v); ok {
			best, found = d, true
		}
	}
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		d, ok := seconds(v)
		if !ok {
			if at, err := http.ParseTime(v); err == nil {
				d = at.Sub(now)
				ok = d <= maxReset
				d = max(d, 0)
			}
		}
		if ok && (!found || d > best) {
			best, found = d, true
		}
	}
	return best, found
}

func seconds(v string) (time.Duration, bool) {
	secs, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(secs) || secs < 0 || secs > maxReset.Seconds() {
		return 0, false
	}
	return time.Duration(secs * float64(time.Second)), true
}

// RateLimitError is a request that was not sent, or not answered, because
// PagerDuty is rate limiting sitrep: it will not succeed before RetryIn has
// passed. Callers that retry (the outbox, a refresh) wait that long rather
// than treat it as PagerDuty being down.
type RateLimitError struct {
	RetryIn time.Duration
}

// rateLimitWords begin every RateLimitError's text; the reset follows.
const rateLimitWords = "PagerDuty is rate limiting sitrep; next try"

func (e *RateLimitError) Error() string {
	if e.RetryIn <= 0 {
		return rateLimitWords + " on the next refresh"
	}
	return rateLimitWords + " in " + roughly(e.RetryIn)
}

// roughly is a wait as a person reads it: whole seconds, at least one.
func roughly(d time.Duration) string {
	secs := int64(d.Round(time.Second) / time.Second)
	switch {
	case secs < 1:
		secs = 1
	case secs >= 120:
		return fmt.Sprintf("%dm%02ds", secs/60, secs%60)
	}
	return fmt.Sprintf("%ds", secs)
}

// maxErrorBody is the most of an error answer kept: PagerDuty's error
// objects are a few hundred bytes.
const maxErrorBody = 64 << 10

// scrubEcho masks the request's credentials in an error answer. A proxy
// or server that echoes the Authorization header back would otherwise
// carry the token into an error message, and from there to the screen.
// The answer is cut to maxErrorBody; only its meaning is needed.
func scrubEcho(resp *http.Response, auth string) {
	if resp.Body == nil || resp.Body == http.NoBody {
		return
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
	if auth != "" {
		secrets := &sanitize.Secrets{}
		secrets.Add(auth)
		// "Token token=<t>" or "Bearer <t>": the token on its own too.
		if _, tok, ok := strings.Cut(auth, "token="); ok {
			secrets.Add(tok)
		} else if f := strings.Fields(auth); len(f) > 0 {
			secrets.Add(f[len(f)-1])
		}
		body = []byte(secrets.RedactValues(string(body)))
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Del("Content-Length")
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
