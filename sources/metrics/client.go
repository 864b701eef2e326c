// Package metrics reads a service's metrics from any server that speaks the
// Prometheus HTTP query API (Prometheus, VictoriaMetrics, Thanos, Mimir and
// the demo world's emulator), through the official Prometheus client.
//
// It answers three questions the cockpit asks: what did this metric do
// around the incident (Range), what is it now (Instant), and did the action
// help (Window, BeforeAfter).
package metrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
)

// DefaultTimeout bounds a call whose context carries no deadline of its own,
// so that no query to the outside world can hang the caller.
const DefaultTimeout = 10 * time.Second

// Config says where the server is and how to authenticate.
type Config struct {
	// URL is the server's base URL, e.g. http://prometheus:9090 or
	// https://mimir.example.com/prometheus. Userinfo in it is used for basic
	// auth and never shown in messages.
	URL string
	// BearerToken, when set, is sent as "Authorization: Bearer …".
	BearerToken string
	// Headers are added to every request (e.g. X-Scope-OrgID for Mimir).
	Headers map[string]string
	// Transport carries the requests; nil means the client's default.
	Transport http.RoundTripper
	// Timeout bounds a call whose context has no deadline; zero means
	// DefaultTimeout.
	Timeout time.Duration
	// MaxAnswer caps an answer's size in bytes; zero means DefaultMaxAnswer.
	MaxAnswer int64
}

// Client queries one server. It is safe for concurrent use.
type Client struct {
	api     v1.API
	server  string // base URL without userinfo, for messages
	timeout time.Duration
	now     func() time.Time
}

// New builds a Client for cfg.URL. It does not contact the server.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		// url.Error repeats the URL, password and all: keep only why.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("metrics server URL %q: %w", redact(cfg.URL), err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("metrics server URL %q: want http://host:port or https://host:port", redact(cfg.URL))
	}
	rt := cfg.Transport
	if rt == nil {
		rt = api.DefaultRoundTripper
	}
	hdr := make(http.Header, len(cfg.Headers)+1)
	for k, v := range cfg.Headers {
		hdr.Set(k, v)
	}
	if cfg.BearerToken != "" {
		hdr.Set("Authorization", "Bearer "+cfg.BearerToken)
	}
	var user *url.Userinfo
	if u.User != nil {
		user = u.User
		u.User = nil
	}
	if len(hdr) > 0 || user != nil {
		rt = &authTransport{next: rt, header: hdr, user: user, scheme: u.Scheme, host: u.Host}
	}
	maxAnswer := cfg.MaxAnswer
	if maxAnswer <= 0 {
		maxAnswer = DefaultMaxAnswer
	}
	rt = limitTransport{next: rt, max: maxAnswer}
	c, err := api.NewClient(api.Config{Address: u.String(), RoundTripper: rt})
	if err != nil {
		return nil, fmt.Errorf("metrics server URL %q: %w", u.String(), err)
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &Client{api: v1.NewAPI(c), server: u.String(), timeout: timeout, now: time.Now}, nil
}

// Server is the base URL queries go to, without credentials.
func (c *Client) Server() string { return c.server }

// withDeadline keeps the caller's deadline, or sets the client's default
// when there is none.
func (c *Client) withDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, c.timeout)
}

// authTransport adds the configured headers and basic auth to each request
// to the configured server. A redirect elsewhere (another host or port, or
// from https to http) is followed without them: the credentials are the
// server's, not whoever it points at.
type authTransport struct {
	next         http.RoundTripper
	header       http.Header
	user         *url.Userinfo
	scheme, host string // the configured server's
}

func (t *authTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if !strings.EqualFold(r.URL.Scheme, t.scheme) || !strings.EqualFold(r.URL.Host, t.host) {
		return t.next.RoundTrip(r)
	}
	r = r.Clone(r.Context())
	for k, vs := range t.header {
		r.Header[k] = append([]string(nil), vs...)
	}
	if t.user != nil && r.Header.Get("Authorization") == "" {
		pw, _ := t.user.Password()
		r.SetBasicAuth(t.user.Username(), pw)
	}
	return t.next.RoundTrip(r)
}

// DefaultMaxAnswer caps the body read from the server: the client reads
// whole answers into memory, and a runaway query must not take the cockpit
// down.
const DefaultMaxAnswer = 64 << 20

// ErrAnswerTooLarge is the read error for an answer over the cap.
var ErrAnswerTooLarge = errors.New("the answer is larger than the client accepts; narrow the query or the range")

type limitTransport struct {
	next http.RoundTripper
	max  int64
}

func (t limitTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	if err != nil || resp.Body == nil {
		return resp, err
	}
	resp.Body = &limitedBody{ReadCloser: resp.Body, left: t.max, max: t.max}
	return resp, nil
}

type limitedBody struct {
	io.ReadCloser
	left, max int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, fmt.Errorf("%w (%d bytes)", ErrAnswerTooLarge, b.max)
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
}

// redact drops userinfo from a URL-ish string for messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		if err != nil {
			return "(unparsable URL)"
		}
		return raw
	}
	u.User = nil
	return u.String()
}
