package metricsemu_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"sitrep/sources/demo/metricsemu"
	"sitrep/sources/metrics"
)

var deploy = time.Date(2026, 11, 29, 2, 0, 0, 0, time.UTC)

// storyline: a 5xx rate at 0.01 that jumps to 0.31 five minutes after the
// deploy.
func storyline(t time.Time) float64 {
	if t.Before(deploy.Add(5 * time.Minute)) {
		return 0.01
	}
	return 0.31
}

func start(t *testing.T, e *metricsemu.Emulator) string {
	t.Helper()
	srv, err := e.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	})
	return srv.URL
}

func client(t *testing.T, url string) *metrics.Client {
	t.Helper()
	c, err := metrics.New(metrics.Config{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const rate5xx = `sum(rate(http_requests_total{service="payment-gateway",code=~"5.."}[1m]))`

func TestRangeThroughPrometheusClient(t *testing.T) {
	e := metricsemu.New()
	e.SetSeries(rate5xx, nil, storyline)
	e.SetSeries("whatever", map[string]string{"__name__": "http_5xx_rate", "service": "payment-gateway"}, storyline)
	e.SetSeries("other", map[string]string{"__name__": "http_5xx_rate", "service": "checkout"}, func(time.Time) float64 { return 0 })
	c := client(t, start(t, e))

	tests := []struct {
		name     string
		promql   string
		wantKeys []string
		want     []float64 // values of the first series
	}{
		{"exact query", rate5xx, []string{"{}"}, []float64{0.01, 0.01, 0.01, 0.01, 0.01, 0.31, 0.31, 0.31, 0.31, 0.31}},
		{"white space does not matter", "  " + rate5xx + "\n\t", []string{"{}"}, []float64{0.01, 0.01, 0.01, 0.01, 0.01, 0.31, 0.31, 0.31, 0.31, 0.31}},
		{"bare metric name", "http_5xx_rate", []string{`http_5xx_rate{service="checkout"}`, `http_5xx_rate{service="payment-gateway"}`}, []float64{0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
		{"unregistered query", "rate(x[1m])", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			res, err := c.Range(ctx, metrics.Query{PromQL: tt.promql}, deploy, deploy.Add(9*time.Minute), 9)
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, s := range res.Series {
				keys = append(keys, s.Key)
			}
			if fmt.Sprint(keys) != fmt.Sprint(tt.wantKeys) {
				t.Fatalf("series %v, want %v", keys, tt.wantKeys)
			}
			if len(res.Series) == 0 {
				if len(res.Warnings) != 1 {
					t.Errorf("warnings = %q, want one naming the query", res.Warnings)
				}
				return
			}
			pts := res.Series[0].Points
			if len(pts) != len(tt.want) {
				t.Fatalf("%d points, want %d", len(pts), len(tt.want))
			}
			for i, p := range pts {
				if !p.T.Equal(deploy.Add(time.Duration(i)*time.Minute)) || p.V != tt.want[i] {
					t.Errorf("point %d = %s %v, want %s %v", i, p.T, p.V, deploy.Add(time.Duration(i)*time.Minute), tt.want[i])
				}
			}
		})
	}
}

func TestStorylineChangesWhileServing(t *testing.T) {
	e := metricsemu.New()
	e.SetSeries(rate5xx, nil, storyline)
	c := client(t, start(t, e))
	at := deploy.Add(10 * time.Minute)

	value := func() float64 {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		res, err := c.Instant(ctx, rate5xx, at)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Series) != 1 || len(res.Series[0].Points) != 1 {
			t.Fatalf("series = %+v", res.Series)
		}
		if p := res.Series[0].Points[0]; !p.T.Equal(at) {
			t.Fatalf("point at %s, want %s", p.T, at)
		}
		return res.Series[0].Points[0].V
	}
	if v := value(); v != 0.31 {
		t.Fatalf("before the restart: %v, want 0.31", v)
	}

	// Readers and the storyline race; -race checks the locking.
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for range 20 {
				e.SetSeries(rate5xx, nil, func(time.Time) float64 { return float64(i) })
			}
		})
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			for range 10 {
				if _, err := c.Instant(ctx, rate5xx, at); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()

	// The restart: the error rate recovers.
	e.SetSeries(rate5xx, nil, func(time.Time) float64 { return 0.01 })
	if v := value(); v != 0.01 {
		t.Fatalf("after the restart: %v, want 0.01", v)
	}
	e.SetSeries(rate5xx, nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := c.Instant(ctx, rate5xx, at)
	if err != nil || len(res.Series) != 0 {
		t.Fatalf("after removal: %+v %v, want no series", res.Series, err)
	}
}

// apiReply is the Prometheus API envelope.
type apiReply struct {
	Status    string          `json:"status"`
	ErrorType string          `json:"errorType"`
	Error     string          `json:"error"`
	Data      json.RawMessage `json:"data"`
}

func get(t *testing.T, rawURL string) (int, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

func TestPrometheusAPIOverGET(t *testing.T) {
	e := metricsemu.New()
	e.SetSeries("up", map[string]string{"job": "api"}, func(time.Time) float64 { return 1 })
	base := start(t, e)
	s := strconv.FormatInt(deploy.Unix(), 10)
	tests := []struct {
		name       string
		path       string
		params     url.Values
		wantStatus int
		wantType   string
		wantBody   string
	}{
		{"range over GET", "/api/v1/query_range", url.Values{"query": {"up"}, "start": {s}, "end": {s + ".5"}, "step": {"0.25"}}, 200, "",
			`{"resultType":"matrix","result":[{"metric":{"job":"api"},"values":[[1795917600,"1"],[1795917600.25,"1"],[1795917600.5,"1"]]}]}`},
		{"RFC 3339 and duration step", "/api/v1/query_range", url.Values{"query": {"up"}, "start": {"2026-11-29T02:00:00Z"}, "end": {"2026-11-29T02:01:00Z"}, "step": {"1m"}}, 200, "",
			`{"resultType":"matrix","result":[{"metric":{"job":"api"},"values":[[1795917600,"1"],[1795917660,"1"]]}]}`},
		{"instant", "/api/v1/query", url.Values{"query": {"up"}, "time": {s}}, 200, "",
			`{"resultType":"vector","result":[{"metric":{"job":"api"},"value":[1795917600,"1"]}]}`},
		{"no query", "/api/v1/query", url.Values{}, 400, "bad_data", ""},
		{"bad start", "/api/v1/query_range", url.Values{"query": {"up"}, "start": {"yesterday"}, "end": {s}, "step": {"15"}}, 400, "bad_data", ""},
		{"end before start", "/api/v1/query_range", url.Values{"query": {"up"}, "start": {s}, "end": {"0"}, "step": {"15"}}, 400, "bad_data", ""},
		{"zero step", "/api/v1/query_range", url.Values{"query": {"up"}, "start": {s}, "end": {s}, "step": {"0"}}, 400, "bad_data", ""},
		{"NaN step", "/api/v1/query_range", url.Values{"query": {"up"}, "start": {s}, "end": {s}, "step": {"NaN"}}, 400, "bad_data", ""},
		{"too many points", "/api/v1/query_range", url.Values{"query": {"up"}, "start": {"0"}, "end": {s}, "step": {"1"}}, 400, "bad_data", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := get(t, base+tt.path+"?"+tt.params.Encode())
			if status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", status, tt.wantStatus, body)
			}
			var r apiReply
			if err := json.Unmarshal(body, &r); err != nil {
				t.Fatalf("not JSON: %v: %s", err, body)
			}
			if tt.wantType != "" {
				if r.Status != "error" || r.ErrorType != tt.wantType || r.Error == "" {
					t.Errorf("reply %s, want an error of type %s", body, tt.wantType)
				}
				return
			}
			if r.Status != "success" || string(r.Data) != tt.wantBody {
				t.Errorf("data = %s\nwant   %s", r.Data, tt.wantBody)
			}
		})
	}
}

// lokiReply is the part of Loki's query_range answer a client reads.
type lokiReply struct {
	Status string `json:"status"`
	Data   struct {
		ResultType string `json:"resultType"`
		Result     []struct {
			Stream map[string]string `json:"stream"`
			Values [][2]string       `json:"values"`
		} `json:"result"`
	} `json:"data"`
}

func TestLokiQueryRange(t *testing.T) {
	e := metricsemu.New()
	sel := `{app="payment-gateway"}`
	e.SetLogs(sel, func(from, to time.Time) []metricsemu.LogLine {
		var out []metricsemu.LogLine
		for i := range 6 {
			l := metricsemu.LogLine{T: deploy.Add(time.Duration(i) * time.Second), Line: fmt.Sprintf("GET /pay %d", 200+100*(i%4))}
			if i == 5 {
				l.Labels = map[string]string{"app": "payment-gateway", "pod": "b"}
			}
			out = append(out, l)
		}
		return out
	})
	base := start(t, e)
	ns := func(d time.Duration) string { return strconv.FormatInt(deploy.Add(d).UnixNano(), 10) }
	type stream struct {
		labels string
		lines  []string
	}
	tests := []struct {
		name       string
		params     url.Values
		wantStatus int
		want       []stream
	}{
		{"backward by default, limit", url.Values{"query": {sel}, "start": {ns(0)}, "end": {ns(time.Minute)}, "limit": {"3"}}, 200,
			[]stream{{`map[app:payment-gateway pod:b]`, []string{"GET /pay 300"}}, {`map[app:payment-gateway]`, []string{"GET /pay 200", "GET /pay 500"}}}},
		{"forward", url.Values{"query": {sel}, "start": {ns(0)}, "end": {ns(time.Minute)}, "limit": {"2"}, "direction": {"forward"}}, 200,
			[]stream{{`map[app:payment-gateway]`, []string{"GET /pay 200", "GET /pay 300"}}}},
		{"end is exclusive", url.Values{"query": {sel}, "start": {ns(time.Second)}, "end": {ns(3 * time.Second)}, "direction": {"FORWARD"}}, 200,
			[]stream{{`map[app:payment-gateway]`, []string{"GET /pay 300", "GET /pay 400"}}}},
		{"line filters", url.Values{"query": {sel + ` |= "pay 5" != "x"`}, "start": {ns(0)}, "end": {ns(time.Minute)}}, 200,
			[]stream{{`map[app:payment-gateway]`, []string{"GET /pay 500"}}}},
		{"unknown stream", url.Values{"query": {`{app="nope"}`}, "start": {ns(0)}, "end": {ns(time.Minute)}}, 200, nil},
		{"not a selector", url.Values{"query": {`rate({app="x"}[1m])`}}, 400, nil},
		{"unsupported pipeline", url.Values{"query": {sel + ` | json`}}, 400, nil},
		{"unterminated filter", url.Values{"query": {sel + ` |= "oops`}}, 400, nil},
		{"bad limit", url.Values{"query": {sel}, "limit": {"-1"}}, 400, nil},
		{"bad direction", url.Values{"query": {sel}, "direction": {"sideways"}}, 400, nil},
		{"bad time", url.Values{"query": {sel}, "start": {"soon"}}, 400, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := get(t, base+"/loki/api/v1/query_range?"+tt.params.Encode())
			if status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", status, tt.wantStatus, body)
			}
			if status != 200 {
				if len(body) == 0 {
					t.Error("an error without a message")
				}
				return
			}
			var r lokiReply
			if err := json.Unmarshal(body, &r); err != nil {
				t.Fatalf("not JSON: %v: %s", err, body)
			}
			if r.Status != "success" || r.Data.ResultType != "streams" {
				t.Fatalf("reply %s", body)
			}
			var got []stream
			for _, s := range r.Data.Result {
				st := stream{labels: fmt.Sprint(s.Stream)}
				for _, v := range s.Values {
					st.lines = append(st.lines, v[1])
				}
				got = append(got, st)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("streams %v\nwant    %v", got, tt.want)
			}
			for _, s := range r.Data.Result {
				for _, v := range s.Values {
					if _, err := strconv.ParseInt(v[0], 10, 64); err != nil {
						t.Errorf("timestamp %q is not Unix nanoseconds", v[0])
					}
				}
			}
		})
	}
}

func TestFaultDelayEndsWhenTheClientLeaves(t *testing.T) {
	e := metricsemu.New()
	e.SetFault("slow", metricsemu.Fault{Delay: time.Hour})
	c := client(t, start(t, e))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := c.Instant(ctx, "slow", time.Time{})
	if err == nil || !strings.Contains(err.Error(), "deadline") {
		t.Fatalf("error = %v, want a deadline error", err)
	}
	// Close (in Cleanup) would hang on an hour-long handler if the delay
	// ignored the client leaving.
	e.SetFault("slow", metricsemu.Fault{})
}

func TestLokiLogFunctionPanicIsAnError(t *testing.T) {
	e := metricsemu.New()
	e.SetLogs(`{app="x"}`, func(time.Time, time.Time) []metricsemu.LogLine { panic("storyline bug") })
	status, body := get(t, start(t, e)+"/loki/api/v1/query_range?"+url.Values{"query": {`{app="x"}`}}.Encode())
	if status != http.StatusInternalServerError || !strings.Contains(string(body), "a log function panicked: storyline bug") {
		t.Fatalf("status %d body %q", status, body)
	}
	e.SetLogs(`{app="x"}`, nil)
	if status, _ := get(t, start(t, e)+"/loki/api/v1/query_range?"+url.Values{"query": {`{app="x"}`}}.Encode()); status != http.StatusOK {
		t.Fatalf("after removing the stream: status %d", status)
	}
}

func TestSetNowIsTheDefaultQueryTime(t *testing.T) {
	e := metricsemu.New()
	e.SetNow(func() time.Time { return deploy.Add(7 * time.Minute) })
	e.SetSeries("rate", nil, storyline)
	status, body := get(t, start(t, e)+"/api/v1/query?query=rate")
	want := `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1795918020,"0.31"]}]}}`
	if status != http.StatusOK || string(body) != want {
		t.Fatalf("status %d body %s\nwant %s", status, body, want)
	}
}
