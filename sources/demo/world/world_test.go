package world

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"sitrep/sources/logs"
	"sitrep/sources/metrics"
)

// testClock is a clock the test moves.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var epoch = time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)

func startWorld(t *testing.T, seed uint64) (*World, *testClock) {
	t.Helper()
	clock := &testClock{t: epoch}
	w, err := Start(Options{Seed: seed, Tick: time.Hour, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := w.Close(); err != nil {
			t.Error(err)
		}
	})
	return w, clock
}

func query(t *testing.T, service, name string) metrics.Query {
	t.Helper()
	for _, e := range EnrichmentConfig() {
		if e.Service != service {
			continue
		}
		for _, m := range e.Metrics {
			if m.Name == name {
				return metrics.Query{Name: m.Name, PromQL: m.PromQL, Unit: m.Unit, Threshold: m.Threshold}
			}
		}
	}
	t.Fatalf("no metric %q for %s", name, service)
	return metrics.Query{}
}

func promClient(t *testing.T, w *World) *metrics.Client {
	t.Helper()
	c, err := metrics.New(metrics.Config{URL: w.MetricsURL})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestPaymentErrorsSpikeAfterDeployAndRecoverAfterRestart(t *testing.T) {
	w, clock := startWorld(t, 1)
	prom := promClient(t, w)
	q := query(t, "payment-gateway", "5xx rate")
	start := w.Started()
	mean := func(at time.Time, d time.Duration) float64 {
		t.Helper()
		v, err := prom.Window(ctx(t), q, at, d)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := mean(start.Add(-deployAgo), 10*time.Minute); v < 0.005 || v > 0.015 {
		t.Errorf("5xx rate before the deploy = %.4f, want about 0.01", v)
	}
	if v := mean(start, 5*time.Minute); v < 0.25 {
		t.Errorf("5xx rate after the spike = %.4f, want about 0.3", v)
	}

	clock.advance(time.Minute)
	if err := w.Restart("payment-gateway"); err != nil {
		t.Fatal(err)
	}
	restart := clock.Now()
	clock.advance(3 * time.Minute)
	if v := mean(clock.Now(), time.Minute); v >= 0.05 {
		t.Errorf("5xx rate 2-3 min after the restart = %.4f, want under 0.05", v)
	}
	// The past stays as it was.
	if v := mean(restart, 5*time.Minute); v < 0.25 {
		t.Errorf("5xx rate before the restart, asked after it = %.4f, want about 0.3", v)
	}
	// Nothing is served for a time still to come.
	res, err := prom.Range(ctx(t), q, clock.Now().Add(-time.Minute), clock.Now().Add(10*time.Minute), 60)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Series) != 1 {
		t.Fatalf("series = %d", len(res.Series))
	}
	for _, p := range res.Series[0].Points {
		if p.T.After(clock.Now().Add(time.Second)) {
			t.Fatalf("a point at %s, after the world's now %s", p.T, clock.Now())
		}
	}
	st, err := w.Status("payment-gateway")
	if err != nil || !strings.Contains(st, "3/3 pods ready") || !strings.Contains(st, "healthy: 5xx rate") {
		t.Errorf("status = %q, %v", st, err)
	}
}

func TestEveryEnrichmentQueryAnswers(t *testing.T) {
	w, _ := startWorld(t, 1)
	prom := promClient(t, w)
	for _, e := range EnrichmentConfig() {
		if e.Env != "prod" && e.Env != "staging" {
			t.Errorf("%s: env %q", e.Service, e.Env)
		}
		for _, m := range e.Metrics {
			res, err := prom.Instant(ctx(t), m.PromQL, w.Now())
			if err != nil {
				t.Errorf("%s %s: %v", e.Service, m.Name, err)
				continue
			}
			if len(res.Warnings) > 0 || len(res.Series) != 1 || len(res.Series[0].Points) != 1 || math.IsNaN(res.Series[0].Points[0].V) {
				t.Errorf("%s %s: %+v", e.Service, m.Name, res)
			}
		}
		lines, _, err := logs.Loki{BaseURL: w.MetricsURL, Query: e.LogSelector}.QueryRange(ctx(t), w.Now().Add(-10*time.Minute), w.Now(), 100)
		if err != nil || len(lines) == 0 {
			t.Errorf("%s logs: %d lines, %v", e.Service, len(lines), err)
		}
	}
}

func TestStorySignals(t *testing.T) {
	w, _ := startWorld(t, 3)
	prom := promClient(t, w)
	start := w.Started()
	at := func(service, name string, t0 time.Time) float64 {
		t.Helper()
		v, err := prom.Window(ctx(t), query(t, service, name), t0, 2*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := at("checkout-db", "connections in use", start); v != 200 {
		t.Errorf("checkout-db connections now = %.1f, want 200", v)
	}
	if v := at("checkout-db", "connections in use", start.Add(-50*time.Minute)); v > 100 {
		t.Errorf("checkout-db connections 50 min ago = %.1f", v)
	}
	if v := at("checkout-db", "pool wait (max)", start); v < 1 {
		t.Errorf("checkout-db pool wait now = %.3f", v)
	}
	if v := at("billing-worker", "invoice queue depth", start); v < 1000 {
		t.Errorf("queue depth now = %.0f", v)
	}
	// The edge check flaps: some failures and some passes in the last 40 min.
	res, err := prom.Range(ctx(t), query(t, "edge-proxy", "health check eu-west-1"), start.Add(-40*time.Minute), start, 80)
	if err != nil {
		t.Fatal(err)
	}
	var up, down int
	for _, p := range res.Series[0].Points {
		if p.V == 1 {
			up++
		} else {
			down++
		}
	}
	if up == 0 || down == 0 {
		t.Errorf("edge health check: %d up, %d down: want it flapping", up, down)
	}
}

func TestRestartOfCheckoutDBFreesConnections(t *testing.T) {
	w, clock := startWorld(t, 1)
	if err := w.Restart("checkout-db"); err != nil {
		t.Fatal(err)
	}
	clock.advance(5 * time.Minute)
	v, err := promClient(t, w).Window(ctx(t), query(t, "checkout-db", "connections in use"), clock.Now(), time.Minute)
	if err != nil || v > 100 {
		t.Errorf("connections after restart = %.0f, %v", v, err)
	}
	if ev := w.Events(); len(ev) != 1 || !strings.Contains(ev[0].What, "restarted checkout-db") {
		t.Errorf("events = %+v", ev)
	}
}

func TestScaleDrainsTheQueue(t *testing.T) {
	w, clock := startWorld(t, 1)
	if err := w.Scale("billing-worker", 6); err != nil {
		t.Fatal(err)
	}
	clock.advance(10 * time.Minute)
	v, err := promClient(t, w).Window(ctx(t), query(t, "billing-worker", "invoice queue depth"), clock.Now(), time.Minute)
	if err != nil || v > 500 {
		t.Errorf("queue depth 10 min after scaling to 6 = %.0f, %v", v, err)
	}
	st, _ := w.ServiceStatus("billing-worker")
	if st.Replicas != 6 || len(st.Pods) != 6 {
		t.Errorf("status = %+v", st)
	}
	for _, bad := range []int{0, 21} {
		if err := w.Scale("billing-worker", bad); err == nil {
			t.Errorf("scale to %d accepted", bad)
		}
	}
	if err := w.Restart("no-such-service"); err == nil {
		t.Error("restart of an unknown service accepted")
	}
}

func lokiLines(t *testing.T, w *World, selector string, from, to time.Time) string {
	t.Helper()
	lines, _, err := logs.Loki{BaseURL: w.MetricsURL, Query: selector}.QueryRange(ctx(t), from, to, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l.Text + "\n")
	}
	return b.String()
}

func TestPaymentLogsTellTheStory(t *testing.T) {
	w, clock := startWorld(t, 1)
	sel := `{app="payment-gateway",env="prod"}`
	start := w.Started()
	before := lokiLines(t, w, sel, start.Add(-40*time.Minute), start.Add(-deployAgo).Add(-time.Minute))
	if strings.Contains(before, "ERROR") || !strings.Contains(before, "INFO  POST /v1/charges 200") {
		t.Errorf("logs before the deploy:\n%s", before)
	}
	after := lokiLines(t, w, sel, start.Add(-8*time.Minute), start)
	for _, want := range []string{"ERROR POST /v1/charges 503 upstream connect error", "card-processor timeout", "connection pool exhausted"} {
		if !strings.Contains(after, want) {
			t.Errorf("logs after the spike lack %q", want)
		}
	}
	deploy := lokiLines(t, w, sel, start.Add(-deployAgo), start.Add(-deployAgo).Add(2*time.Minute))
	if !strings.Contains(deploy, "starting payment-gateway v2.14.0 (build 8812)") {
		t.Errorf("logs at the deploy:\n%s", deploy)
	}

	clock.advance(time.Minute)
	if err := w.Restart("payment-gateway"); err != nil {
		t.Fatal(err)
	}
	r := clock.Now()
	clock.advance(3 * time.Minute)
	later := lokiLines(t, w, sel, r, clock.Now())
	if !strings.Contains(later, "received SIGTERM") || !strings.Contains(later, "ready: serving") {
		t.Errorf("logs of the restart:\n%s", later)
	}
	if calm := lokiLines(t, w, sel, r.Add(5*time.Second), clock.Now()); strings.Contains(calm, "ERROR") {
		t.Errorf("errors after the restart:\n%s", calm)
	}
}

func TestLogsCarryAHostileLine(t *testing.T) {
	w, _ := startWorld(t, 1)
	q := url.Values{
		"query": {`{app="payment-gateway",env="prod"}`},
		"start": {strconv.FormatInt(w.Started().Add(-hostileLogAgo).Add(-time.Second).UnixNano(), 10)},
		"end":   {strconv.FormatInt(w.Started().Add(-hostileLogAgo).Add(time.Second).UnixNano(), 10)},
		"limit": {"100"},
	}
	resp, err := http.Get(w.MetricsURL + "/loki/api/v1/query_range?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Data struct {
			Result []struct {
				Values [][2]string `json:"values"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range body.Data.Result {
		for _, v := range s.Values {
			found = found || v[1] == HostileLogLine
		}
	}
	if !found || !strings.Contains(HostileLogLine, "\x1b[2J") {
		t.Errorf("the hostile line is not served raw: %+v", body)
	}
}

func TestLogsAreDeterministic(t *testing.T) {
	w1, _ := startWorld(t, 9)
	w2, _ := startWorld(t, 9)
	sel := `{app="checkout-db",env="prod"}`
	from, to := epoch.Add(-30*time.Minute), epoch
	a, b := lokiLines(t, w1, sel, from, to), lokiLines(t, w2, sel, from, to)
	if a != b || a == "" {
		t.Errorf("two worlds with one seed log differently")
	}
	if !strings.Contains(a, "FATAL:  remaining connection slots are reserved") {
		t.Errorf("checkout-db logs:\n%s", a)
	}
}

func TestControlEndpoint(t *testing.T) {
	w, _ := startWorld(t, 1)
	for _, auth := range []string{"", "Bearer wrong", "Token token=" + w.Token} {
		req, _ := http.NewRequest(http.MethodPost, w.ControlURL+"/restart?service=payment-gateway", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("Authorization %q: status %d, want 401", auth, resp.StatusCode)
		}
	}
	if len(w.Events()) != 0 {
		t.Fatalf("a refused call changed the world: %+v", w.Events())
	}

	c := Control{URL: w.ControlURL, Token: w.Token}
	res, err := c.Restart(ctx(t), "payment-gateway", "prod")
	if err != nil || len(res.Stopped) != 3 || len(res.Started) != 3 || res.Status.Ready != 3 {
		t.Fatalf("restart = %+v, %v", res, err)
	}
	if _, err := c.Restart(ctx(t), "payment-gateway", "staging"); err == nil || !strings.Contains(err.Error(), "runs in prod, not staging") {
		t.Errorf("wrong env: %v", err)
	}
	if _, err := c.Status(ctx(t), "nope", ""); err == nil || !strings.Contains(err.Error(), "no such service") {
		t.Errorf("unknown service: %v", err)
	}
	sc, err := c.Scale(ctx(t), "search-indexer", "staging", 4)
	if err != nil || sc.From != 2 || sc.To != 4 || len(sc.Started) != 2 {
		t.Errorf("scale = %+v, %v", sc, err)
	}
	if _, err := (Control{URL: w.ControlURL, Token: "wrong"}).Status(ctx(t), "payment-gateway", ""); err == nil {
		t.Error("a wrong token was accepted")
	}
}

func TestEdgeBlocksAnIP(t *testing.T) {
	w, _ := startWorld(t, 1)
	post := func(path, body string) (int, map[string]any) {
		t.Helper()
		resp, err := http.Post(w.EdgeURL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var out map[string]any
		_ = json.Unmarshal(b, &out)
		return resp.StatusCode, out
	}
	body := `{"ip": "203.0.113.57", "ttl": "30m", "reason": "abusive traffic", "incident": "PDEMO01"}`
	code, dry := post("/ip-blocks?dry_run=true", body)
	if code != http.StatusOK || dry["would_drop"].(float64) < 1000 || len(w.IPBlocks()) != 0 {
		t.Errorf("dry run: %d %v, blocks %v", code, dry, w.IPBlocks())
	}
	code, got := post("/ip-blocks", body)
	if code != http.StatusCreated || got["ip"] != "203.0.113.57/32" {
		t.Errorf("block: %d %v", code, got)
	}
	if b := w.IPBlocks(); len(b) != 1 || b[0].Incident != "PDEMO01" {
		t.Errorf("blocks = %+v", b)
	}
	if code, _ := post("/ip-blocks", `{"ip": "10.0.0.0/8", "reason": "x"}`); code != http.StatusUnprocessableEntity {
		t.Errorf("a /8 block: status %d", code)
	}
	resp, err := http.Get(w.EdgeURL + "/ip-blocks")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(b), `"203.0.113.57/32"`) {
		t.Errorf("GET /ip-blocks = %s", b)
	}
}

func TestRollbackThroughReleaseConfig(t *testing.T) {
	w, clock := startWorld(t, 1)
	b, err := os.ReadFile(w.ReleaseConfigPath)
	if err != nil || !strings.Contains(string(b), "version = v2.14.0\n") {
		t.Fatalf("release config = %q, %v", b, err)
	}
	clock.advance(time.Minute)
	if err := os.WriteFile(w.ReleaseConfigPath, []byte(releaseConfig("payment-gateway", "prod", previousVersion)), 0o644); err != nil {
		t.Fatal(err)
	}
	w.checkRelease()
	st, _ := w.ServiceStatus("payment-gateway")
	if st.Version != previousVersion || st.Pods[0].Version != previousVersion {
		t.Fatalf("status after rollback = %+v", st)
	}
	clock.advance(3 * time.Minute)
	v, err := promClient(t, w).Window(ctx(t), query(t, "payment-gateway", "5xx rate"), clock.Now(), time.Minute)
	if err != nil || v >= 0.05 {
		t.Errorf("5xx rate after rollback = %.4f, %v", v, err)
	}
	dir := w.ReleaseConfigPath
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("release config left behind: %v", err)
	}
}

func TestChangeEvents(t *testing.T) {
	w, _ := startWorld(t, 1)
	req, _ := http.NewRequest(http.MethodGet, w.PagerDutyURL+"/change_events", nil)
	req.Header.Set("Authorization", "Token token="+w.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		ChangeEvents []struct {
			Summary   string `json:"summary"`
			Timestamp string `json:"timestamp"`
		} `json:"change_events"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range body.ChangeEvents {
		got = append(got, c.Summary)
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{"Deploy payment-gateway v2.14.0", "work_mem", "card_3ds_v2"} {
		if !strings.Contains(all, want) {
			t.Errorf("change events lack %q:\n%s", want, all)
		}
	}
}
