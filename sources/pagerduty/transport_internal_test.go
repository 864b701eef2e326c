package pagerduty

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestResetAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC)
	tests := []struct {
		reset, retryAfter string
		want              time.Duration
		ok                bool
	}{
		{"2", "", 2 * time.Second, true},
		{"0.5", "", 500 * time.Millisecond, true},
		{"", "", 0, false},
		{"soon", "", 0, false},
		{"-1", "", 0, false},
		{"7200", "", 0, false},
		{"NaN", "", 0, false},
		{"nan", "", 0, false},
		{"+Inf", "", 0, false},
		// Retry-After alone: delta seconds, or an HTTP date.
		{"", "20", 20 * time.Second, true},
		{"", now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{"", "Sun, 01 Mar 2026 02:59:00 GMT", 0, true}, // already past: go now
		{"", now.Add(2 * time.Hour).Format(http.TimeFormat), 0, false},
		{"", "tomorrow", 0, false},
		// Both: the later reset wins, and a broken one does not hide the other.
		{"5", "20", 20 * time.Second, true},
		{"30", "20", 30 * time.Second, true},
		{"soon", "20", 20 * time.Second, true},
		{"5", "never", 5 * time.Second, true},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.reset != "" {
			h.Set("ratelimit-reset", tt.reset)
		}
		if tt.retryAfter != "" {
			h.Set("Retry-After", tt.retryAfter)
		}
		if got, ok := resetAfter(h, now); got != tt.want || ok != tt.ok {
			t.Errorf("resetAfter(ratelimit-reset %q, Retry-After %q) = %v, %v; want %v, %v", tt.reset, tt.retryAfter, got, ok, tt.want, tt.ok)
		}
	}
}

func TestRateLimitErrorWords(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{18 * time.Second, "PagerDuty is rate limiting sitrep; next try in 18s"},
		{17*time.Second + 600*time.Millisecond, "PagerDuty is rate limiting sitrep; next try in 18s"},
		{time.Millisecond, "PagerDuty is rate limiting sitrep; next try in 1s"},
		{125 * time.Second, "PagerDuty is rate limiting sitrep; next try in 2m05s"},
		{0, "PagerDuty is rate limiting sitrep; next try on the next refresh"},
	}
	for _, tt := range tests {
		err := &RateLimitError{RetryIn: tt.in}
		if got := err.Error(); got != tt.want {
			t.Errorf("RetryIn %v: %q, want %q", tt.in, got, tt.want)
		}
		// go-pagerduty flattens transport errors into text; describe
		// must still find the rate limit and its reset in it.
		flat := fmt.Errorf("error calling the API endpoint: %v", &url.Error{Op: "Get", URL: "https://api.pagerduty.com/incidents?x=\"y\"", Err: err})
		want := max(tt.in.Round(time.Second), time.Second)
		if tt.in == 0 {
			want = 0
		}
		if rl, ok := rateLimited(flat); !ok || rl.RetryIn != want {
			t.Errorf("rateLimited(%q) = %v, %v; want a rate limit in %v", flat, rl, ok, want)
		}
	}
}

// answer is a RoundTripper that answers every request with body.
type answer struct{ body []byte }

func (a answer) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Header: http.Header{},
		Body: io.NopCloser(bytes.NewReader(a.body)), Request: r}, nil
}

func TestTransportCapsAnswers(t *testing.T) {
	const limit = 1 << 10
	tests := []struct {
		name    string
		size    int
		wantErr bool
	}{
		{"under", limit - 1, false},
		{"exactly", limit, false},
		{"one over", limit + 1, true},
		{"far over", 10 * limit, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := NewTransport(answer{bytes.Repeat([]byte("x"), tt.size)})
			tr.MaxBody = limit
			req, _ := http.NewRequest(http.MethodGet, "http://pd.invalid/incidents", nil)
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if tt.wantErr {
				if !errors.Is(err, ErrBodyTooLarge) || len(b) > limit {
					t.Errorf("read %d bytes, err %v; want at most %d and ErrBodyTooLarge", len(b), err, limit)
				}
				return
			}
			if err != nil || len(b) != tt.size {
				t.Errorf("read %d bytes, err %v; want all %d", len(b), err, tt.size)
			}
		})
	}
	if DefaultMaxBody != 32<<20 {
		t.Errorf("DefaultMaxBody = %d", DefaultMaxBody)
	}
}

// statusOnly answers /users/me, and everything else with a status line
// that carries terminal control sequences.
type statusOnly struct{}

func (statusOnly) RoundTrip(r *http.Request) (*http.Response, error) {
	resp := &http.Response{Header: http.Header{"Content-Type": {"application/json"}}, Request: r}
	if strings.HasSuffix(r.URL.Path, "/users/me") {
		resp.StatusCode, resp.Status = 200, "200 OK"
		resp.Body = io.NopCloser(strings.NewReader(`{"user":{"id":"U1","name":"Alice","email":"a@example.com"}}`))
		return resp, nil
	}
	resp.StatusCode, resp.Status = 418, "418 \x1b]0;owned\x07\x1b[2Jteapot"
	resp.Body = io.NopCloser(strings.NewReader("not json"))
	return resp, nil
}

func TestRawStatusIsSanitized(t *testing.T) {
	c := New(Config{APIURL: "http://pd.invalid", Token: "t", Transport: statusOnly{}})
	err := c.Snooze(t.Context(), "P1", time.Hour)
	if err == nil {
		t.Fatal("a 418 was not an error")
	}
	if strings.ContainsAny(err.Error(), "\x1b\x07") || !strings.Contains(err.Error(), "418") {
		t.Errorf("error %q: want the status without control characters", err)
	}
}

// echoing answers 500 quoting the Authorization header it was sent.
type echoing struct{}

func (echoing) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 500, Status: "500 Internal Server Error", Header: http.Header{},
		Body: io.NopCloser(strings.NewReader("bad credentials: " + r.Header.Get("Authorization"))), Request: r}, nil
}

// An error answer handed back early, because the retry would outlive the
// deadline, is scrubbed of the credentials like any other.
func TestEarlyAnswerIsScrubbed(t *testing.T) {
	tr := NewTransport(echoing{})
	tr.MinBackoff, tr.MaxBackoff = time.Hour, time.Hour
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://pd.invalid/incidents", nil)
	req.Header.Set("Authorization", "Token token=early-Secret-1")
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if strings.Contains(string(b), "early-Secret-1") || !strings.Contains(string(b), "bad credentials") {
		t.Errorf("body %q", b)
	}
}
