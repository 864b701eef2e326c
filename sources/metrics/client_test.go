package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"sitrep/sources/demo/metricsemu"
	"sitrep/sources/metrics"
)

func TestStep(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		span  time.Duration
		width int
		want  time.Duration
	}{
		{"one point per column exactly", 30 * time.Minute, 120, 15 * time.Second},
		{"rounded up to a nice step", 30 * time.Minute, 100, 30 * time.Second},
		{"never below a second", time.Minute, 1000, time.Second},
		{"default pane: 30m before to now", 75 * time.Minute, 80, time.Minute},
		{"a week on a narrow pane", 7 * 24 * time.Hour, 40, 6 * time.Hour},
		{"beyond a day rounds to days", 400 * 24 * time.Hour, 100, 4 * 24 * time.Hour},
		{"zero width is one column", time.Hour, 0, time.Hour},
		{"negative span", -time.Hour, 80, time.Second},
		{"absurd width is capped", time.Hour, 1 << 30, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := metrics.Step(t0, t0.Add(tt.span), tt.width); got != tt.want {
				t.Errorf("Step(%s, %d) = %s, want %s", tt.span, tt.width, got, tt.want)
			}
		})
	}
}

func TestDefaultRange(t *testing.T) {
	start := time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		now      time.Time
		wantFrom time.Time
		wantTo   time.Time
	}{
		{"now after the start", start.Add(time.Hour), start.Add(-30 * time.Minute), start.Add(time.Hour)},
		{"clock behind the incident", start.Add(-time.Hour), start.Add(-30 * time.Minute), start},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, to := metrics.DefaultRange(start, tt.now)
			if !from.Equal(tt.wantFrom) || !to.Equal(tt.wantTo) {
				t.Errorf("DefaultRange = %s–%s, want %s–%s", from, to, tt.wantFrom, tt.wantTo)
			}
		})
	}
}

func TestNewRejectsBadURLs(t *testing.T) {
	tests := []struct {
		url     string
		wantMsg string
	}{
		{"", "want http://host:port"},
		{"prometheus:9090", "want http://host:port"},
		{"ftp://x", "want http://host:port"},
		{"http://", "want http://host:port"},
		{"http://user:s3cret@%zz", "(unparsable URL)"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			_, err := metrics.New(metrics.Config{URL: tt.url})
			if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.wantMsg)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}

// emu starts an emulator with one healthy series and returns it and its URL.
func emu(t *testing.T) (*metricsemu.Emulator, string) {
	t.Helper()
	e := metricsemu.New()
	srv, err := e.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return e, srv.URL
}

func newClient(t *testing.T, cfg metrics.Config) *metrics.Client {
	t.Helper()
	c, err := metrics.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRangeErrors(t *testing.T) {
	e, url := emu(t)
	e.SetFault("bad", metricsemu.Fault{ErrorType: "bad_data", Message: "1:5: parse error: unexpected \x1b[31mend of input"})
	e.SetFault("exec", metricsemu.Fault{Status: 422, ErrorType: "execution", Message: "query processing would load too many samples into memory"})
	e.SetFault("down", metricsemu.Fault{Status: 503})
	e.SetFault("garbage", metricsemu.Fault{Body: "<html>proxy login</html>"})
	e.SetFault("slow", metricsemu.Fault{Delay: time.Minute})
	e.SetSeries("panics", nil, func(time.Time) float64 { panic("storyline bug") })
	e.SetSeries("big", nil, func(time.Time) float64 { return 1 })
	e.SetFault("string", metricsemu.Fault{Body: `{"status":"success","data":{"resultType":"string","result":[1,"x"]}}`})

	// A port that was free a moment ago: nothing listens there.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()

	tests := []struct {
		name      string
		url       string
		promql    string
		timeout   time.Duration
		kind      string
		want      []string
		maxAnswer int64
	}{
		{"parse error", url, "bad", 0, "bad_data", []string{"prometheus " + url + ": bad_data: 1:5: parse error: unexpected end of input", `(query "q")`}, 0},
		{"execution", url, "exec", 0, "execution", []string{"execution: query processing would load too many samples"}, 0},
		{"bare 503", url, "down", 0, "server_error", []string{"server_error: server error: 503: Service Unavailable"}, 0},
		{"not Prometheus JSON", url, "garbage", 0, "bad_response", []string{"bad_response:", "not Prometheus API JSON"}, 0},
		{"wrong base URL", url + "/api/v1", "up", 0, "client_error", []string{"client error: 404", "without /api/v1"}, 0},
		{"deadline", url, "slow", 50 * time.Millisecond, metrics.KindDeadline, []string{"deadline: no answer within"}, 0},
		{"nobody listens", closed, "up", 0, metrics.KindUnreachable, []string{"prometheus " + closed + ": unreachable: cannot connect: connection refused"}, 0},
		{"string result", url, "string", 0, "bad_response", []string{`unexpected value type "string"`}, 0},
		{"server-side panic", url, "panics", 0, "execution", []string{"execution: metricsemu: a series function panicked: storyline bug"}, 0},
		{"answer too large", url, "big", 0, metrics.KindRequest, []string{"the answer is larger than the client accepts; narrow the query or the range (1024 bytes)"}, 1024},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, metrics.Config{URL: tt.url, MaxAnswer: tt.maxAnswer})
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			now := time.Now()
			_, err := c.Range(ctx, metrics.Query{Name: "q", PromQL: tt.promql}, now.Add(-time.Hour), now, 60)
			var qe *metrics.QueryError
			if !errors.As(err, &qe) {
				t.Fatalf("error = %v (%T), want a *QueryError", err, err)
			}
			if qe.Kind != tt.kind {
				t.Errorf("kind = %q, want %q (%v)", qe.Kind, tt.kind, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error = %q\nwant it to contain %q", err, w)
				}
			}
			if strings.ContainsRune(err.Error(), '\x1b') {
				t.Errorf("error carries a terminal escape: %q", err)
			}
		})
	}
}

func TestCallWithoutDeadlineGetsTheDefault(t *testing.T) {
	e, url := emu(t)
	e.SetFault("slow", metricsemu.Fault{Delay: time.Minute})
	c := newClient(t, metrics.Config{URL: url, Timeout: 20 * time.Millisecond})
	_, err := c.Instant(context.Background(), "slow", time.Time{})
	var qe *metrics.QueryError
	if !errors.As(err, &qe) || qe.Kind != metrics.KindDeadline || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want a deadline error", err)
	}
}

func TestRangeValues(t *testing.T) {
	e, url := emu(t)
	t0 := time.Date(2026, 11, 29, 2, 0, 0, 0, time.UTC)
	e.SetSeries("nonfinite", map[string]string{"kind": "x"}, func(at time.Time) float64 {
		switch at.Sub(t0) / time.Minute {
		case 1:
			return math.NaN()
		case 2:
			return math.Inf(1)
		case 3:
			return math.Inf(-1)
		}
		return float64(at.Sub(t0) / time.Minute)
	})
	e.SetSeries("two", map[string]string{"__name__": "req", "code": "500"}, func(time.Time) float64 { return 5 })
	e.SetSeries("two", map[string]string{"__name__": "req", "code": "200"}, func(time.Time) float64 { return 2 })
	c := newClient(t, metrics.Config{URL: url})

	tests := []struct {
		name       string
		promql     string
		wantKeys   []string
		wantPoints [][]float64
		wantSkip   []int
		wantWarn   []string
	}{
		{
			name:       "NaN and infinities become gaps",
			promql:     "nonfinite",
			wantKeys:   []string{`{kind="x"}`},
			wantPoints: [][]float64{{0, 4, 5}},
			wantSkip:   []int{3},
			wantWarn:   []string{`{kind="x"}: 3 NaN or infinite samples left out`},
		},
		{
			name:       "series sorted by label set",
			promql:     "two",
			wantKeys:   []string{`req{code="200"}`, `req{code="500"}`},
			wantPoints: [][]float64{{2, 2, 2, 2, 2, 2}, {5, 5, 5, 5, 5, 5}},
			wantSkip:   []int{0, 0},
		},
		{
			name:     "empty result carries the server's warning",
			promql:   "unknown_metric",
			wantWarn: []string{`metricsemu: nothing is registered for query "unknown_metric"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			res, err := c.Range(ctx, metrics.Query{PromQL: tt.promql}, t0, t0.Add(5*time.Minute), 5)
			if err != nil {
				t.Fatal(err)
			}
			if res.Step != time.Minute {
				t.Errorf("step = %s, want 1m", res.Step)
			}
			if len(res.Series) != len(tt.wantKeys) {
				t.Fatalf("%d series, want %d", len(res.Series), len(tt.wantKeys))
			}
			for i, s := range res.Series {
				if s.Key != tt.wantKeys[i] || s.Skipped != tt.wantSkip[i] {
					t.Errorf("series %d: key %s skipped %d, want %s %d", i, s.Key, s.Skipped, tt.wantKeys[i], tt.wantSkip[i])
				}
				var vals []float64
				for _, p := range s.Points {
					vals = append(vals, p.V)
				}
				if !equalFloats(vals, tt.wantPoints[i]) {
					t.Errorf("series %d values = %v, want %v", i, vals, tt.wantPoints[i])
				}
			}
			if strings.Join(res.Warnings, "\n") != strings.Join(tt.wantWarn, "\n") {
				t.Errorf("warnings = %q, want %q", res.Warnings, tt.wantWarn)
			}
		})
	}
}

func TestRangeRejectsBadArguments(t *testing.T) {
	_, url := emu(t)
	c := newClient(t, metrics.Config{URL: url})
	now := time.Now()
	tests := []struct {
		name       string
		q          metrics.Query
		start, end time.Time
		want       string
	}{
		{"no PromQL", metrics.Query{Name: "5xx"}, now.Add(-time.Hour), now, "has no PromQL"},
		{"end before start", metrics.Query{PromQL: "up"}, now, now.Add(-time.Hour), "ends"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Range(context.Background(), tt.q, tt.start, tt.end, 80)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestAuthHeaders(t *testing.T) {
	e := metricsemu.New()
	e.SetSeries("up", nil, func(time.Time) float64 { return 1 })
	var mu sync.Mutex
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = r.Header.Clone()
		mu.Unlock()
		e.ServeHTTP(w, r)
	}))
	defer srv.Close()
	userURL := strings.Replace(srv.URL, "http://", "http://ops:pw@", 1)

	tests := []struct {
		name string
		cfg  metrics.Config
		want map[string]string
	}{
		{"bearer and tenant", metrics.Config{URL: srv.URL, BearerToken: "tok", Headers: map[string]string{"X-Scope-OrgID": "team-a"}},
			map[string]string{"Authorization": "Bearer tok", "X-Scope-OrgID": "team-a"}},
		{"basic auth from the URL", metrics.Config{URL: userURL}, map[string]string{"Authorization": "Basic b3BzOnB3"}},
		{"nothing", metrics.Config{URL: srv.URL}, map[string]string{"Authorization": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, tt.cfg)
			if strings.Contains(c.Server(), "pw") {
				t.Errorf("Server() shows the password: %s", c.Server())
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			res, err := c.Instant(ctx, "up", time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Series) != 1 || res.Series[0].Points[0].V != 1 {
				t.Fatalf("series = %+v", res.Series)
			}
			mu.Lock()
			defer mu.Unlock()
			for k, v := range tt.want {
				if got.Get(k) != v {
					t.Errorf("%s = %q, want %q", k, got.Get(k), v)
				}
			}
		})
	}
}

func TestWindowNeedsOneSeries(t *testing.T) {
	e, url := emu(t)
	e.SetSeries("split", map[string]string{"pod": "a"}, func(time.Time) float64 { return 1 })
	e.SetSeries("split", map[string]string{"pod": "b"}, func(time.Time) float64 { return 2 })
	e.SetSeries("nan", nil, func(time.Time) float64 { return math.NaN() })
	e.SetSeries("ramp", nil, func(t time.Time) float64 { return float64(t.Unix() % 60) })
	c := newClient(t, metrics.Config{URL: url})
	at := time.Date(2026, 11, 29, 3, 1, 0, 0, time.UTC)
	tests := []struct {
		promql  string
		want    float64
		wantErr string
		noData  bool
	}{
		{promql: "ramp", want: 29.5},
		{promql: "split", wantErr: "returns 2 series; a before/after value needs one (aggregate it with sum() or avg())"},
		{promql: "nan", wantErr: "no finite samples", noData: true},
		{promql: "missing", wantErr: "no series", noData: true},
	}
	for _, tt := range tests {
		t.Run(tt.promql, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			// 59s at a 1s step: 60 samples 0…59 (the minute before at,
			// inclusive of both ends, wraps 1…59 then 0).
			got, err := c.Window(ctx, metrics.Query{Name: tt.promql, PromQL: tt.promql}, at, 59*time.Second)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				if errors.Is(err, metrics.ErrNoData) != tt.noData {
					t.Errorf("errors.Is(ErrNoData) = %v, want %v", !tt.noData, tt.noData)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("mean = %v, want %v", got, tt.want)
			}
		})
	}
}

func equalFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestResultShapesFromCompatibleServers(t *testing.T) {
	e, url := emu(t)
	e.SetFault("vector", metricsemu.Fault{Body: `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":"2"},"value":[1795917600,"2"]},{"metric":{"a":"1"},"value":[1795917600,"NaN"]}]}}`})
	e.SetFault("scalar", metricsemu.Fault{Body: `{"status":"success","data":{"resultType":"scalar","result":[1795917600,"4.5"]}}`})
	e.SetFault("histogram", metricsemu.Fault{Body: `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"lat"},"histograms":[[1795917600,{"count":"1","sum":"2","buckets":[]}]]}]}}`})
	e.SetFault("nodata", metricsemu.Fault{Body: `{"status":"success"}`})
	e.SetFault("warned", metricsemu.Fault{Body: `{"status":"success","data":{"resultType":"matrix","result":[]},"warnings":["partial \u001b[2Jresponse"],"infos":["metric might not be a counter"]}`})
	e.SetFault("proxy", metricsemu.Fault{Status: 502, Body: "<html>" + strings.Repeat("bad gateway ", 100) + "</html>"})
	c := newClient(t, metrics.Config{URL: url})
	at := time.Unix(1795917600, 0).UTC()

	tests := []struct {
		promql   string
		want     string // series as key=values
		wantWarn string
		wantErr  string
	}{
		{promql: "vector", want: `{a="1"}=[] {a="2"}=[2]`, wantWarn: `{a="1"}: 1 NaN or infinite samples left out`},
		{promql: "scalar", want: `{}=[4.5]`},
		{promql: "histogram", want: `lat=[]`, wantWarn: "lat: 1 native histogram samples not charted (chart a quantile or a rate of it)"},
		{promql: "nodata", want: ``},
		{promql: "warned", want: ``, wantWarn: "partial response | info: metric might not be a counter"},
		{promql: "proxy", wantErr: "server_error: server error: 502: <html>bad gateway bad gateway"},
	}
	for _, tt := range tests {
		t.Run(tt.promql, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			res, err := c.Range(ctx, metrics.Query{PromQL: tt.promql}, at.Add(-time.Minute), at, 60)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "…") || len(err.Error()) > 400 {
					t.Fatalf("error = %v, want %q, clipped", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range res.Series {
				var vs []float64
				for _, p := range s.Points {
					vs = append(vs, p.V)
				}
				got = append(got, fmt.Sprintf("%s=%v", s.Key, vs))
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("series %q, want %q", strings.Join(got, " "), tt.want)
			}
			if w := strings.Join(res.Warnings, " | "); w != tt.wantWarn {
				t.Errorf("warnings %q, want %q", w, tt.wantWarn)
			}
		})
	}
}

// TestCredentialsStayWithTheServer: a server that redirects to another host
// must not hand that host the bearer token, custom headers or basic auth;
// a redirect within the server keeps them.
func TestCredentialsStayWithTheServer(t *testing.T) {
	e := metricsemu.New()
	e.SetSeries("up", nil, func(time.Time) float64 { return 1 })
	var mu sync.Mutex
	var elsewhere, home []http.Header
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		elsewhere = append(elsewhere, r.Header.Clone())
		mu.Unlock()
		e.ServeHTTP(w, r)
	}))
	defer other.Close()
	// Another host name for the same loopback port: a different origin.
	otherURL := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		home = append(home, r.Header.Clone())
		mu.Unlock()
		if strings.HasPrefix(r.URL.Path, "/moved") {
			http.Redirect(w, r, strings.TrimPrefix(r.URL.Path, "/moved")+"?"+r.URL.RawQuery, http.StatusTemporaryRedirect)
			return
		}
		http.Redirect(w, r, otherURL+r.URL.Path+"?"+r.URL.RawQuery, http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	userURL := strings.Replace(srv.URL, "http://", "http://ops:pw@", 1)

	for _, base := range []string{userURL, userURL + "/moved"} {
		c := newClient(t, metrics.Config{URL: base, BearerToken: "prom-secret", Headers: map[string]string{"X-Scope-OrgID": "team-a"}})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := c.Instant(ctx, "up", time.Time{})
		cancel()
		if err != nil {
			t.Fatalf("%s: %v", base, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(elsewhere) == 0 {
		t.Fatal("the redirect was not followed")
	}
	for _, h := range elsewhere {
		if a, o := h.Get("Authorization"), h.Get("X-Scope-OrgID"); a != "" || o != "" {
			t.Errorf("another host got Authorization %q, X-Scope-OrgID %q", a, o)
		}
	}
	for _, h := range home {
		if a, o := h.Get("Authorization"), h.Get("X-Scope-OrgID"); a != "Bearer prom-secret" || o != "team-a" {
			t.Errorf("the server got Authorization %q, X-Scope-OrgID %q", a, o)
		}
	}
}
