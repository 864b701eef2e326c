// Package promtest runs a real Prometheus server for tests, loaded with
// known samples.
//
// The samples are written as OpenMetrics text, turned into TSDB blocks with
// `promtool tsdb create-blocks-from openmetrics`, and served by
// `prometheus` on a free loopback port. Locally a missing binary skips the
// test with the install command; with CI=true it fails it.
package promtest

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// InstallHint is how to get the binaries on Debian.
const InstallHint = "apt-get install -y --no-install-recommends prometheus"

// readyWithin bounds how long a server may take to load its blocks.
const readyWithin = 60 * time.Second

// Sample is one known value.
type Sample struct {
	T time.Time
	V float64
}

// Series is one metric's label set and its samples. Metric names and label
// names must be valid Prometheus names; samples must be in time order.
type Series struct {
	Metric  string
	Labels  map[string]string
	Samples []Sample
}

// Server is a running Prometheus.
type Server struct {
	URL string // http://127.0.0.1:PORT
	Dir string // its data directory
}

// Start writes series, backfills them and starts Prometheus; the server is
// killed when the test ends.
func Start(t testing.TB, series ...Series) *Server {
	t.Helper()
	prom, promtool := binaries(t)
	dir := t.TempDir()
	om := filepath.Join(dir, "samples.om")
	text, err := OpenMetrics(series)
	if err != nil {
		t.Fatalf("promtest: %v", err)
	}
	if err := os.WriteFile(om, text, 0o600); err != nil {
		t.Fatalf("promtest: write samples: %v", err)
	}
	data := filepath.Join(dir, "data")
	ctx, cancel := context.WithTimeout(context.Background(), readyWithin)
	defer cancel()
	out, err := exec.CommandContext(ctx, promtool, "tsdb", "create-blocks-from", "openmetrics", om, data).CombinedOutput()
	if err != nil {
		t.Fatalf("promtest: promtool tsdb create-blocks-from openmetrics: %v\n%s", err, out)
	}
	cfg := filepath.Join(dir, "prometheus.yml")
	// No scrape jobs: the server only serves the backfilled blocks.
	if err := os.WriteFile(cfg, []byte("global:\n  scrape_interval: 1m\n"), 0o600); err != nil {
		t.Fatalf("promtest: write config: %v", err)
	}
	// A port picked free can be taken before prometheus binds it; try again
	// on another.
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		srv, err := launch(t, prom, cfg, data)
		if err == nil {
			return srv
		}
		lastErr = err
	}
	t.Fatalf("promtest: %v", lastErr)
	return nil
}

func binaries(t testing.TB) (prom, promtool string) {
	t.Helper()
	var missing []string
	prom, err := exec.LookPath("prometheus")
	if err != nil {
		missing = append(missing, "prometheus")
	}
	promtool, err = exec.LookPath("promtool")
	if err != nil {
		missing = append(missing, "promtool")
	}
	if len(missing) > 0 {
		msg := fmt.Sprintf("promtest: %s not on PATH; install with: %s", strings.Join(missing, " and "), InstallHint)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return prom, promtool
}

// launch starts prometheus on a free port and waits until it is ready. On
// failure the process is gone and the error carries its output.
func launch(t testing.TB, prom, cfg, data string) (*Server, error) {
	t.Helper()
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	out := &syncBuffer{}
	cmd := exec.Command(prom,
		"--config.file="+cfg,
		"--storage.tsdb.path="+data,
		"--web.listen-address="+addr,
		// Backfilled samples are hours old; keep them however long the
		// test machine's clock says they are.
		"--storage.tsdb.retention.time=100y",
	)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start prometheus: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}
	srv := &Server{URL: "http://" + addr, Dir: data}
	if err := waitReady(srv.URL, exited); err != nil {
		stop()
		return nil, fmt.Errorf("prometheus on %s: %w\n%s", addr, err, tail(out.String(), 4000))
	}
	t.Cleanup(stop)
	return srv, nil
}

func waitReady(base string, exited <-chan error) error {
	ctx, cancel := context.WithTimeout(context.Background(), readyWithin)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/-/ready", nil)
		if err != nil {
			return err
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-exited:
			return fmt.Errorf("exited before it was ready: %v", err)
		case <-ctx.Done():
			return fmt.Errorf("not ready within %s", readyWithin)
		case <-tick.C:
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free loopback port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// OpenMetrics renders series as OpenMetrics text, each metric family typed
// gauge, ending with "# EOF" as promtool requires.
func OpenMetrics(series []Series) ([]byte, error) {
	families := map[string][]Series{}
	var names []string
	for _, s := range series {
		if !validName(s.Metric) {
			return nil, fmt.Errorf("metric name %q is not a valid Prometheus name", s.Metric)
		}
		for k := range s.Labels {
			if !validName(k) || strings.Contains(k, ":") || strings.HasPrefix(k, "__") {
				return nil, fmt.Errorf("label name %q is not a valid label name", k)
			}
		}
		for i := 1; i < len(s.Samples); i++ {
			if !s.Samples[i].T.After(s.Samples[i-1].T) {
				return nil, fmt.Errorf("%s: samples are not in time order at %d", s.Metric, i)
			}
		}
		if _, ok := families[s.Metric]; !ok {
			names = append(names, s.Metric)
		}
		families[s.Metric] = append(families[s.Metric], s)
	}
	sort.Strings(names)
	var b bytes.Buffer
	for _, name := range names {
		fmt.Fprintf(&b, "# TYPE %s gauge\n", name)
		for _, s := range families[name] {
			ls := labelString(s.Labels)
			for _, smp := range s.Samples {
				fmt.Fprintf(&b, "%s%s %s %s\n", name, ls, formatFloat(smp.V), formatTime(smp.T))
			}
		}
	}
	b.WriteString("# EOF\n")
	return b.Bytes(), nil
}

func labelString(labels map[string]string) string {
	if len(labels) == 0 {
		return ""
	}
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	esc := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	for i, k := range keys {
		parts[i] = k + `="` + esc.Replace(labels[k]) + `"`
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func formatFloat(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// formatTime writes seconds with millisecond precision, what the TSDB keeps.
func formatTime(t time.Time) string {
	ms := t.UnixMilli()
	return strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64)
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		ok := r == '_' || r == ':' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9'
		if !ok {
			return false
		}
	}
	return true
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// syncBuffer collects a process's output while the test may read it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
