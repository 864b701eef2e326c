package logs

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"sitrep/sources/health"
)

// A query_range answer as Loki 3 gives it: two streams, newest first within
// each (direction=backward), one value with structured metadata.
const lokiStreamsBody = `{
  "status": "success",
  "data": {
    "resultType": "streams",
    "result": [
      {
        "stream": {"app": "payment-gateway", "pod": "pay-7f9", "level": "error"},
        "values": [
          ["1795917605000000000", "payment failed: upstream timeout\n\tat charge()"],
          ["1795917603000000000", "\u001b]52;c;cm0gLXJmIC8K\u0007\u001b[31mcard declined\u001b[0m", {"trace_id": "abc"}]
        ]
      },
      {
        "stream": {"app": "payment-gateway", "pod": "pay-2c1"},
        "values": [
          ["1795917604000000000", "level=warn msg=\"pool at 90%\""],
          ["1795917600000000000", "GET /healthz 200"]
        ]
      }
    ],
    "stats": {"summary": {"bytesProcessedPerSecond": 1000}}
  }
}`

type lokiCall struct {
	path, query, start, end, limit, direction string
	user, pass                                string
	orgID                                     string
}

func lokiServer(t *testing.T, status int, body string) (*httptest.Server, *[]lokiCall) {
	t.Helper()
	var mu sync.Mutex
	var calls []lokiCall
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		u, p, _ := r.BasicAuth()
		mu.Lock()
		calls = append(calls, lokiCall{r.URL.Path, q.Get("query"), q.Get("start"), q.Get("end"), q.Get("limit"), q.Get("direction"), u, p, r.Header.Get("X-Scope-OrgID")})
		mu.Unlock()
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestLokiQueryRange(t *testing.T) {
	srv, calls := lokiServer(t, http.StatusOK, lokiStreamsBody)
	withCreds := strings.Replace(srv.URL, "http://", "http://ops:s3cret@", 1)
	l := Loki{BaseURL: withCreds + "/", Query: `{app="payment-gateway"}`, Header: http.Header{"X-Scope-OrgID": {"tenant-1"}}}
	start, end := time.Unix(1795917000, 0), time.Unix(1795917900, 5)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	lines, newest, err := l.QueryRange(ctx, start, end, 50)
	if err != nil {
		t.Fatal(err)
	}
	if newest != 1795917605000000000 {
		t.Errorf("newest = %d", newest)
	}
	want := []Line{
		{T: time.Unix(1795917600, 0), Level: LevelUnknown, Text: "GET /healthz 200", Source: `{app="payment-gateway",pod="pay-2c1"}`},
		{T: time.Unix(1795917603, 0), Level: LevelError, Text: "card declined", Source: `{app="payment-gateway",level="error",pod="pay-7f9"}`},
		{T: time.Unix(1795917604, 0), Level: LevelWarn, Text: `level=warn msg="pool at 90%"`, Source: `{app="payment-gateway",pod="pay-2c1"}`},
		{T: time.Unix(1795917605, 0), Level: LevelError, Text: "payment failed: upstream timeout", Source: `{app="payment-gateway",level="error",pod="pay-7f9"}`},
		{T: time.Unix(1795917605, 0), Level: LevelError, Text: "    at charge()", Source: `{app="payment-gateway",level="error",pod="pay-7f9"}`},
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines %q, want %d", len(lines), texts(lines), len(want))
	}
	for i := range want {
		if !lines[i].T.Equal(want[i].T) || lines[i].Level != want[i].Level || lines[i].Text != want[i].Text || lines[i].Source != want[i].Source {
			t.Errorf("line %d = %+v\nwant     %+v", i, lines[i], want[i])
		}
	}
	c := (*calls)[0]
	wantCall := lokiCall{"/loki/api/v1/query_range", `{app="payment-gateway"}`, strconv.FormatInt(start.UnixNano(), 10),
		strconv.FormatInt(end.UnixNano(), 10), "50", "backward", "ops", "s3cret", "tenant-1"}
	if c != wantCall {
		t.Errorf("request = %+v\nwant      %+v", c, wantCall)
	}
}

func TestLokiErrors(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		base    string // overrides the server's URL
		wantErr []string
	}{
		{name: "400 with Loki's text body", status: 400, body: "parse error at line 1, col 2: syntax error: unexpected IDENTIFIER\n",
			wantErr: []string{"400 Bad Request", "parse error at line 1, col 2", "loki http://127.0.0.1:", ": 400 Bad Request"}},
		{name: "500 empty body", status: 500, body: "", wantErr: []string{"500 Internal Server Error", "(empty body)"}},
		{name: "hostile error body sanitized", status: 502, body: "\x1b]52;c;cm0gLXJmIC8K\x07bad gateway", wantErr: []string{"502 Bad Gateway: bad gateway"}},
		{name: "malformed JSON", status: 200, body: `{"status":"success","data":{"resultType":"streams","result":[`, wantErr: []string{"bad JSON"}},
		{name: "matrix for a metric query", status: 200, body: `{"status":"success","data":{"resultType":"matrix","result":[]}}`, wantErr: []string{`result type "matrix"`}},
		{name: "error status in body", status: 200, body: `{"status":"error","error":"max entries limit"}`, wantErr: []string{`status "error": max entries limit`}},
		{name: "value too short", status: 200, body: `{"status":"success","data":{"resultType":"streams","result":[{"stream":{},"values":[["1"]]}]}}`, wantErr: []string{"result[0].values[0]: want [ns, line]"}},
		{name: "bad timestamp", status: 200, body: `{"status":"success","data":{"resultType":"streams","result":[{"stream":{},"values":[["soon","x"]]}]}}`, wantErr: []string{`bad timestamp "soon"`}},
		{name: "numbers not strings", status: 200, body: `{"status":"success","data":{"resultType":"streams","result":[{"stream":{},"values":[[1,2]]}]}}`, wantErr: []string{"want two strings"}},
		{name: "relative base URL", base: "loki:3100", wantErr: []string{"not an absolute http(s) URL"}},
		{name: "connection refused", base: "http://ops:s3cret@127.0.0.1:1", wantErr: []string{"loki http://127.0.0.1:1: dial tcp 127.0.0.1:1: connect: connection refused"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := lokiServer(t, tt.status, tt.body)
			base := strings.Replace(srv.URL, "http://", "http://ops:s3cret@", 1)
			if tt.base != "" {
				base = tt.base
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, err := Loki{BaseURL: base, Query: `{app="x"}`}.Fetch(ctx, 10)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			for _, secret := range []string{"s3cret", "ops:", "\x1b"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q contains %q", err, secret)
				}
			}
		})
	}
}

// Follow polls forward from the newest line it has, without repeating a
// line or losing one logged in the same nanosecond.
func TestLokiFollow(t *testing.T) {
	bodies := []string{
		// The backlog.
		`{"status":"success","data":{"resultType":"streams","result":[{"stream":{"app":"a"},"values":[["200","second"],["100","first"]]}]}}`,
		// First poll: repeats the line at 200 (start is inclusive), adds one at 200 and one later.
		`{"status":"success","data":{"resultType":"streams","result":[{"stream":{"app":"a"},"values":[["200","second"],["200","same ns"],["300","third"]]}]}}`,
		// A failing poll is reported once and retried.
		"!",
		"!",
		`{"status":"success","data":{"resultType":"streams","result":[{"stream":{"app":"a"},"values":[["300","third"],["400","fourth"]]}]}}`,
	}
	var mu sync.Mutex
	var starts, directions []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		i := len(starts)
		starts = append(starts, r.URL.Query().Get("start"))
		directions = append(directions, r.URL.Query().Get("direction"))
		mu.Unlock()
		if i >= len(bodies) {
			fmt.Fprint(w, `{"status":"success","data":{"resultType":"streams","result":[]}}`)
			return
		}
		if bodies[i] == "!" {
			http.Error(w, "too many outstanding requests", http.StatusTooManyRequests)
			return
		}
		fmt.Fprint(w, bodies[i])
	}))
	defer srv.Close()

	ring := NewRing(100)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		errc <- Loki{BaseURL: srv.URL, Query: `{app="a"}`, Interval: time.Millisecond}.Follow(ctx, ring)
	}()
	eventually(t, "the fourth line", func() bool { return hasText(ring.Snapshot(), "fourth") })
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Follow = %v, want context.Canceled", err)
	}
	// The 429 was the source's status for a while, never a line; the
	// poll after it succeeded and made it ok again.
	var got []string
	for _, l := range ring.Snapshot() {
		got = append(got, l.Text)
	}
	want := "first|second|same ns|third|fourth"
	if st := ring.Statuses(); len(st) != 1 || st[0].State != health.OK || st[0].Source != `loki {app="a"}` {
		t.Errorf("statuses after recovery = %+v, want loki ok", st)
	}
	if strings.Join(got, "|") != want {
		t.Errorf("lines = %q, want %s", got, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if directions[0] != "backward" || directions[1] != "forward" || starts[1] != "200" || starts[4] != "300" {
		t.Errorf("starts %v, directions %v", starts, directions)
	}
}

// statusLine answers every request with a status line of its own text.
type statusLine string

func (s statusLine) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 502, Status: string(s), Header: http.Header{},
		Body: http.NoBody, Request: r}, nil
}

// TestLokiStatusIsSanitized: the reason phrase is the server's text, and
// may carry control sequences like any other.
func TestLokiStatusIsSanitized(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := &http.Client{Transport: statusLine("502 \x1b]52;c;cm0gLXJmIC8K\x07\x1b[2JBad Gateway")}
	_, err := Loki{BaseURL: "http://loki.invalid", Query: `{app="x"}`, Client: c}.Fetch(ctx, 10)
	if err == nil || strings.ContainsAny(err.Error(), "\x1b\x07") || !strings.Contains(err.Error(), "502") {
		t.Errorf("error %q: want the status without control characters", err)
	}
}
