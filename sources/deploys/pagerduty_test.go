package deploys

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const testToken = "u+Sup3rS3cretT0ken"

// A related_change_events answer shaped as PagerDuty's published example,
// with a hostile summary and a correlation reason.
const relatedBody = `{
  "change_events": [
    {
      "summary": "Deploy payment-gateway v2.4.1 \u001b]52;c;cm0gLXJmIC8K\u0007\u001b[31m(canary)\u001b[0m",
      "id": "01BBYA6PEVW6A852BUO6QYUE7O",
      "timestamp": "2026-11-29T01:42:58Z",
      "type": "change_event",
      "source": "acme-build-pipeline",
      "integration": {"id": "PEYSGVF", "type": "inbound_integration_reference"},
      "services": [{"id": "PSVC001", "type": "service_reference", "summary": "payment-gateway"}],
      "custom_details": {"build_state": "passed", "build_number": "2"},
      "links": [{"href": "https://ci.example.com/build/2", "text": "View build"}],
      "correlation_reason": {"reason": "related_service"}
    },
    {
      "summary": "Config change: pool size 20 -> 10",
      "id": "01BBYA6PDIXPL8KO1HPIUL9CZN",
      "timestamp": "2026-11-29T00:12:00Z",
      "type": "change_event",
      "services": [{"id": "PSVC002", "type": "service_reference"}],
      "links": [],
      "correlation_reason": {"reason": "most_recent"}
    }
  ],
  "limit": null, "offset": null, "total": null, "more": false
}`

type pdCall struct {
	path, auth, accept string
	query              map[string][]string
}

func pdServer(t *testing.T, handler func(w http.ResponseWriter, r *http.Request)) (*httptest.Server, func() []pdCall) {
	t.Helper()
	var mu sync.Mutex
	var calls []pdCall
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls = append(calls, pdCall{r.URL.Path, r.Header.Get("Authorization"), r.Header.Get("Accept"), r.URL.Query()})
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		handler(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []pdCall { mu.Lock(); defer mu.Unlock(); return append([]pdCall(nil), calls...) }
}

func TestPagerDutyRelatedChanges(t *testing.T) {
	srv, calls := pdServer(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, relatedBody) })
	pd := PagerDuty{Client: srv.Client(), BaseURL: srv.URL, Token: testToken}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got, err := pd.RelatedChanges(ctx, "Q1NC1D3NT")
	if err != nil {
		t.Fatal(err)
	}
	want := []Change{
		{ID: "01BBYA6PEVW6A852BUO6QYUE7O", Source: "pagerduty", Service: "payment-gateway",
			Summary: "Deploy payment-gateway v2.4.1 (canary)", At: time.Date(2026, 11, 29, 1, 42, 58, 0, time.UTC), URL: "https://ci.example.com/build/2"},
		{ID: "01BBYA6PDIXPL8KO1HPIUL9CZN", Source: "pagerduty", Service: "PSVC002",
			Summary: "Config change: pool size 20 -> 10", At: time.Date(2026, 11, 29, 0, 12, 0, 0, time.UTC)},
	}
	assertChanges(t, got, want)
	c := calls()[0]
	if c.path != "/incidents/Q1NC1D3NT/related_change_events" || c.auth != "Token token="+testToken ||
		c.accept != "application/vnd.pagerduty+json;version=2" {
		t.Errorf("request = %+v", c)
	}
}

func assertChanges(t *testing.T, got, want []Change) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d changes %+v, want %d", len(got), got, len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.ID != w.ID || g.Source != w.Source || g.Service != w.Service || g.Summary != w.Summary || !g.At.Equal(w.At) || g.URL != w.URL {
			t.Errorf("change %d = %+v\nwant       %+v", i, g, w)
		}
	}
}

func TestPagerDutyListChanges(t *testing.T) {
	page := func(more bool, evs ...string) string {
		return fmt.Sprintf(`{"change_events":[%s],"limit":100,"offset":0,"more":%v,"total":null}`, strings.Join(evs, ","), more)
	}
	ev := func(id, svc, ts string) string {
		return fmt.Sprintf(`{"id":%q,"summary":"deploy %s","timestamp":%q,"type":"change_event","services":[{"id":%q,"type":"service_reference","summary":"svc-%s"}],"links":[{"href":"https://ci/%s","text":"x"}]}`,
			id, id, ts, svc, svc, id)
	}
	srv, calls := pdServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("offset") {
		case "0":
			fmt.Fprint(w, page(true, ev("A", "PSVC001", "2026-11-29T01:00:00Z"), ev("B", "POTHER", "2026-11-29T01:10:00Z")))
		case "2":
			fmt.Fprint(w, page(false, ev("C", "PSVC001", "2026-11-29T01:20:00Z")))
		default:
			t.Errorf("unexpected offset %q", r.URL.Query().Get("offset"))
			w.WriteHeader(http.StatusBadRequest)
		}
	})
	pd := PagerDuty{Client: srv.Client(), BaseURL: srv.URL + "/", Token: testToken}
	since := time.Date(2026, 11, 29, 2, 0, 0, 0, time.FixedZone("CET", 3600)) // 01:00Z
	until := since.Add(time.Hour)
	tests := []struct {
		name    string
		service string
		wantIDs string
	}{
		{"all services", "", "A B C"},
		{"one service, filtered here", "PSVC001", "A C"},
		{"unknown service", "PNONE", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			got, err := pd.ListChanges(ctx, since, until, tt.service)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, c := range got {
				ids = append(ids, c.ID)
				if c.Source != "pagerduty" || c.Service != "svc-"+map[string]string{"A": "PSVC001", "B": "POTHER", "C": "PSVC001"}[c.ID] || c.URL != "https://ci/"+c.ID {
					t.Errorf("change %+v", c)
				}
			}
			if strings.Join(ids, " ") != tt.wantIDs {
				t.Errorf("ids = %q, want %q", ids, tt.wantIDs)
			}
		})
	}
	c := calls()[0]
	if c.path != "/change_events" || c.query["since"][0] != "2026-11-29T01:00:00Z" || c.query["until"][0] != "2026-11-29T02:00:00Z" || c.query["limit"][0] != "100" {
		t.Errorf("request = %+v", c)
	}
}

func TestPagerDutyMaxPages(t *testing.T) {
	n := 0
	srv, _ := pdServer(t, func(w http.ResponseWriter, r *http.Request) {
		n++
		fmt.Fprintf(w, `{"change_events":[{"id":"E%d","summary":"s","timestamp":"2026-11-29T01:00:00Z"}],"more":true}`, n)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got, err := PagerDuty{Client: srv.Client(), BaseURL: srv.URL, MaxPages: 3}.ListChanges(ctx, time.Time{}, time.Time{}, "")
	if err != nil || len(got) != 3 || n != 3 {
		t.Errorf("got %d changes from %d requests, err %v; want 3 from 3", len(got), n, err)
	}
}

func TestPagerDutyErrors(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		header  map[string]string
		body    string
		wantErr []string
	}{
		{name: "401 error object", status: 401,
			body:    `{"error":{"message":"Invalid Credentials","code":2006,"errors":["The token ` + testToken + ` is not valid"]}}`,
			wantErr: []string{"401 Unauthorized: Invalid Credentials (code 2006); The token [token] is not valid", "GET /incidents/PXYZ/related_change_events"}},
		{name: "400 argument error", status: 400,
			body:    `{"error":{"message":"Invalid Input Provided","code":2001,"errors":["Since must be a UTC time"]}}`,
			wantErr: []string{"Invalid Input Provided (code 2001); Since must be a UTC time"}},
		{name: "404 not found", status: 404, body: `{"error":{"message":"Not Found","code":2100}}`,
			wantErr: []string{"404 Not Found: Not Found (code 2100)"}},
		{name: "429 with reset", status: 429, header: map[string]string{"ratelimit-reset": "17"},
			body:    `{"error":{"message":"Rate Limit Exceeded","code":2020}}`,
			wantErr: []string{"Rate Limit Exceeded", "retry in 17s"}},
		{name: "502 html", status: 502, body: "<html>\x1b[2J bad gateway</html>", wantErr: []string{"502 Bad Gateway: <html> bad gateway</html>"}},
		{name: "malformed body", status: 200, body: `{"change_events":[{"id":`, wantErr: []string{"bad JSON in response"}},
		{name: "wrong shape", status: 200, body: `{"change_events":{"id":"x"}}`, wantErr: []string{"bad JSON in response"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := pdServer(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			})
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, err := PagerDuty{Client: srv.Client(), BaseURL: srv.URL, Token: testToken}.RelatedChanges(ctx, "PXYZ")
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			assertNoSecret(t, err)
		})
	}
}

func assertNoSecret(t *testing.T, err error) {
	t.Helper()
	for _, s := range []string{testToken, "S3cret", "\x1b"} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error %q contains %q", err, s)
		}
	}
}

func TestPagerDutyTransportErrors(t *testing.T) {
	tests := []struct {
		name    string
		base    string
		ctx     func() (context.Context, context.CancelFunc)
		wantErr string
		wantIs  error
	}{
		{name: "connection refused", base: "http://127.0.0.1:1", wantErr: "pagerduty GET /change_events"},
		{name: "not a URL", base: "api.pagerduty.com", wantErr: "is not an absolute URL"},
		{name: "token in a bad URL", base: "http://x/" + testToken + "\x7f", wantErr: "[token]"},
		{name: "cancelled", base: "http://127.0.0.1:1", ctx: func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}, wantIs: context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			if tt.ctx != nil {
				ctx, cancel = tt.ctx()
			}
			defer cancel()
			_, err := PagerDuty{Token: testToken, BaseURL: tt.base}.ListChanges(ctx, time.Time{}, time.Time{}, "")
			if err == nil {
				t.Fatal("no error")
			}
			if tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v is not %v", err, tt.wantIs)
			}
			assertNoSecret(t, err)
		})
	}
}

// The published schema's own example responses parse into the changes they
// describe. The schema lives in ../shared beside the repository; without
// it the test skips.
func TestPagerDutySchemaExamples(t *testing.T) {
	path := filepath.Join("..", "..", "..", "shared", "pagerduty", "rest-openapiv3.json")
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("%s absent", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	// Path items also hold plain strings (description), so only "get"
	// is decoded.
	var spec struct {
		Paths map[string]struct {
			Get struct {
				Responses map[string]struct {
					Content map[string]struct {
						Examples map[string]struct {
							Value json.RawMessage `json:"value"`
						} `json:"examples"`
					} `json:"content"`
				} `json:"responses"`
			} `json:"get"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path    string
		call    func(PagerDuty, context.Context) ([]Change, error)
		wantIDs string
	}{
		{"/change_events", func(p PagerDuty, ctx context.Context) ([]Change, error) {
			return p.ListChanges(ctx, time.Time{}, time.Time{}, "PEYSGRV")
		}, "01BBYA6PEVW6A852BUO6QYUE7O 01BBYA6PDIXPL8KO1HPIUL9CZN"},
		{"/incidents/{id}/related_change_events", func(p PagerDuty, ctx context.Context) ([]Change, error) {
			return p.RelatedChanges(ctx, "PINC")
		}, "01BBYA6PEVW6A852BUO6QYUE7O 01BBYA6PDIXPL8KO1HPIUL9CZN"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			ex := spec.Paths[tt.path].Get.Responses["200"].Content["application/json"].Examples["response"].Value
			if len(ex) == 0 {
				t.Fatalf("no example response for GET %s in the schema", tt.path)
			}
			srv, _ := pdServer(t, func(w http.ResponseWriter, r *http.Request) { w.Write(ex) })
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			got, err := tt.call(PagerDuty{Client: srv.Client(), BaseURL: srv.URL, Token: testToken}, ctx)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, c := range got {
				ids = append(ids, c.ID)
				if c.At.IsZero() || c.Summary == "" || c.Service != "PEYSGRV" || !strings.HasPrefix(c.URL, "https://acme.pagerduty.dev/build/") {
					t.Errorf("change %+v", c)
				}
			}
			if strings.Join(ids, " ") != tt.wantIDs {
				t.Errorf("ids = %q, want %q", ids, tt.wantIDs)
			}
		})
	}
}
