package pagerduty

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestResetAfter(t *testing.T) {
	tests := []struct {
		v    string
		want time.Duration
		ok   bool
	}{
		{"2", 2 * time.Second, true},
		{"0.5", 500 * time.Millisecond, true},
		{"", 0, false},
		{"soon", 0, false},
		{"-1", 0, false},
		{"7200", 0, false},
		{"NaN", 0, false},
		{"nan", 0, false},
		{"+Inf", 0, false},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.v != "" {
			h.Set("ratelimit-reset", tt.v)
		}
		if got, ok := resetAfter(h); got != tt.want || ok != tt.ok {
			t.Errorf("resetAfter(%q) = %v, %v; want %v, %v", tt.v, got, ok, tt.want, tt.ok)
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
