package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"sitrep/sources/demo/world"
	"sitrep/sources/deploys"
	"sitrep/sources/enrich"
	"sitrep/sources/health"
	"sitrep/sources/logs"
	"sitrep/sources/pagerduty"
)

// enrichWorld is a demo world and a config file that points the
// enrichment at its metrics, Loki and PagerDuty endpoints, as an engineer
// would configure a real service.
type enrichWorld struct {
	w        *world.World
	incident pagerduty.Incident
}

func startEnrichWorld(t *testing.T) *enrichWorld {
	t.Helper()
	w, err := world.Start(world.Options{Seed: 1, Tick: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	t.Setenv("PAGERDUTY_TOKEN", w.Token)
	return &enrichWorld{w: w, incident: paymentIncident(t, w)}
}

// configYAML writes config.yaml for the payment-gateway service from the
// demo's own enrichment settings; logs replaces its log sources when set.
func (ew *enrichWorld) configYAML(prometheusURL, timeout string, logsYAML []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "api_url: %s\nprometheus: {url: %q}\nloki: {url: %q}\n", ew.w.PagerDutyURL, prometheusURL, ew.w.MetricsURL)
	if timeout != "" {
		fmt.Fprintf(&b, "enrichment: {timeout: %s}\n", timeout)
	}
	b.WriteString("services:\n  payment-gateway:\n    env: prod\n    metrics:\n")
	for _, s := range world.EnrichmentConfig() {
		if s.Service != "payment-gateway" {
			continue
		}
		for _, m := range s.Metrics {
			fmt.Fprintf(&b, "      - name: %q\n        query: %s\n", m.Name, strconv.Quote(m.PromQL))
			if m.Unit != "" {
				fmt.Fprintf(&b, "        unit: %q\n", m.Unit)
			}
			if m.Threshold != nil {
				fmt.Fprintf(&b, "        threshold: %g\n", *m.Threshold)
			}
		}
		b.WriteString("    logs:\n")
		if logsYAML == nil {
			logsYAML = []string{"loki: " + strconv.Quote(s.LogSelector)}
		}
		for _, l := range logsYAML {
			fmt.Fprintf(&b, "      - %s\n", l)
		}
	}
	b.WriteString("    deploys:\n      - pagerduty: true\n")
	return b.String()
}

// environment loads the config through the flags, as every command does.
func (ew *enrichWorld) environment(t *testing.T, yaml string) *environment {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	g := globalFlags{configPath: path, journal: filepath.Join(dir, "journal.db")}
	cmd := &cobra.Command{}
	cmd.SetContext(context.Background())
	env, err := g.environment(cmd)
	if err != nil {
		t.Fatalf("environment from\n%s\n: %v", yaml, err)
	}
	t.Cleanup(env.Close)
	return env
}

// fetchAll collects every result of one Fetch by source.
func fetchAll(t *testing.T, e *enricher, in pagerduty.Incident) map[string]enrich.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	got := map[string]enrich.Result{}
	for r := range e.Fetch(ctx, in) {
		if _, dup := got[r.SourceID]; dup {
			t.Errorf("source %s delivered twice", r.SourceID)
		}
		got[r.SourceID] = r
	}
	return got
}

func checkMetrics(t *testing.T, r enrich.Result) {
	t.Helper()
	if r.Err != nil {
		t.Errorf("metrics: %v", r.Err)
		return
	}
	charts, ok := r.Value.(enrich.Charts)
	if !ok {
		t.Errorf("metrics delivered %T, want enrich.Charts", r.Value)
		return
	}
	if len(charts.Results) != 3 {
		t.Fatalf("metrics: %d charts, want 3 (5xx rate, requests, p99 latency)", len(charts.Results))
	}
	for i, err := range charts.Errs {
		if err != nil {
			t.Errorf("chart %d: %v", i, err)
		}
	}
	five := charts.Results[0]
	if five.Query.Name != "5xx rate" || five.Query.Threshold == nil || *five.Query.Threshold != 0.05 {
		t.Errorf("first chart = %+v, want the 5xx rate with its 0.05 threshold", five.Query)
	}
	peak := 0.0
	for _, s := range five.Series {
		for _, p := range s.Points {
			peak = max(peak, p.V)
		}
	}
	if peak <= 0.05 {
		t.Errorf("the 5xx rate never crosses its 0.05 threshold (peak %g): %+v", peak, five.Series)
	}
}

func checkLogs(t *testing.T, r enrich.Result) {
	t.Helper()
	if r.Err != nil {
		t.Errorf("logs: %v", r.Err)
		return
	}
	lines, ok := r.Value.([]logs.Line)
	if !ok {
		t.Errorf("logs delivered %T, want []logs.Line", r.Value)
		return
	}
	for _, l := range lines {
		if l.Level == logs.LevelError && strings.Contains(l.Text, "ERROR") && l.Source != "sitrep" {
			return
		}
	}
	t.Errorf("no ERROR line among %d log lines: %+v", len(lines), lines)
}

func checkDeploys(t *testing.T, r enrich.Result) {
	t.Helper()
	if r.Err != nil {
		t.Errorf("deploys: %v", r.Err)
		return
	}
	fs, ok := r.Value.([]deploys.Flagged)
	if !ok {
		t.Errorf("deploys delivered %T, want []deploys.Flagged", r.Value)
		return
	}
	n := 0
	for _, f := range fs {
		if strings.Contains(f.Summary, "Deploy payment-gateway v2.14.0") {
			n++
			if !f.Likely || f.Offset >= 0 {
				t.Errorf("the v2.14.0 deploy is not flagged as a likely cause: %+v", f)
			}
		}
	}
	if n != 1 {
		t.Errorf("the v2.14.0 deploy is listed %d times, want once: %+v", n, fs)
	}
}

func TestEnricherFetchesEachSource(t *testing.T) {
	ew := startEnrichWorld(t)
	env := ew.environment(t, ew.configYAML(ew.w.MetricsURL, "", nil))
	got := fetchAll(t, env.enricher, ew.incident)
	if len(got) != 3 {
		t.Errorf("results from %d sources, want metrics, logs and deploys: %v", len(got), got)
	}
	checkMetrics(t, got["metrics"])
	checkLogs(t, got["logs"])
	checkDeploys(t, got["deploys"])

	// The export's contributing changes: the same deploy, once.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	changes, err := env.enricher.Around(ctx, ew.incident)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range changes {
		if strings.Contains(c.Summary, "Deploy payment-gateway v2.14.0") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("Around lists the v2.14.0 deploy %d times, want once: %+v", n, changes)
	}
}

// deadAddress is a loopback address nothing listens on: a listener
// opened and closed again.
func deadAddress(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestEnricherDeadPrometheus(t *testing.T) {
	ew := startEnrichWorld(t)
	addr := deadAddress(t)
	env := ew.environment(t, ew.configYAML("http://"+addr, "", nil))
	got := fetchAll(t, env.enricher, ew.incident)
	m, ok := got["metrics"]
	if !ok || m.Err == nil {
		t.Fatalf("metrics from a dead server: %+v", m)
	}
	if !strings.Contains(m.Err.Error(), addr) {
		t.Errorf("the metrics error does not name %s: %v", addr, m.Err)
	}
	checkLogs(t, got["logs"])
	checkDeploys(t, got["deploys"])
}

func TestEnricherHangingLogCommand(t *testing.T) {
	sleep := needTool(t, "sleep", "apt-get install -y coreutils")
	ew := startEnrichWorld(t)
	// A timeout that cuts the hanging command but leaves the loopback
	// sources (three queries, two PagerDuty calls) plenty of room.
	env := ew.environment(t, ew.configYAML(ew.w.MetricsURL, "1500ms", []string{fmt.Sprintf("command: [%q, \"60\"]", sleep)}))
	got := fetchAll(t, env.enricher, ew.incident)
	l, ok := got["logs"]
	if !ok || l.Err == nil {
		t.Fatalf("logs from a hanging command: %+v", l)
	}
	// Cut at the deadline: by the fan-out (naming the logs source and the
	// 1.5s) or by the logs source itself (naming the command).
	var de *enrich.DeadlineError
	switch {
	case errors.As(l.Err, &de):
		if de.SourceID != "logs" || de.After != 1500*time.Millisecond {
			t.Errorf("the logs deadline names %s after %s", de.SourceID, de.After)
		}
	case errors.Is(l.Err, context.DeadlineExceeded):
		if !strings.Contains(l.Err.Error(), "sleep") {
			t.Errorf("the logs error does not name the command: %v", l.Err)
		}
	default:
		t.Errorf("the logs error is not the deadline: %v", l.Err)
	}
	checkMetrics(t, got["metrics"])
	checkDeploys(t, got["deploys"])
}

// TestEnricherHangingLogCommandKeepsOtherLogs is one hanging log source
// beside a working one: the working one's lines still arrive, and the
// hanging one's failure is its status, never a line among them.
func TestEnricherHangingLogCommandKeepsOtherLogs(t *testing.T) {
	sleep := needTool(t, "sleep", "apt-get install -y coreutils")
	ew := startEnrichWorld(t)
	var selector string
	for _, s := range world.EnrichmentConfig() {
		if s.Service == "payment-gateway" {
			selector = s.LogSelector
		}
	}
	env := ew.environment(t, ew.configYAML(ew.w.MetricsURL, "1500ms", []string{
		"loki: " + strconv.Quote(selector),
		fmt.Sprintf("command: [%q, \"60\"]", sleep),
	}))
	got := fetchAll(t, env.enricher, ew.incident)
	checkLogs(t, got["logs"])
	lines, _ := got["logs"].Value.([]logs.Line)
	for _, l := range lines {
		if strings.Contains(l.Text, "sleep") || l.Source == "sitrep" {
			t.Errorf("the hanging command's failure is a log line: %+v", l)
		}
	}
	st := got["logs"].Statuses
	if len(st) != 2 || st[0].State != health.OK || st[1].State != health.Error ||
		!strings.HasPrefix(st[1].Source, "command sleep") || !strings.Contains(st[1].Reason, "still running at its deadline") {
		t.Errorf("statuses = %+v, want loki ok and the sleep command's error", st)
	}
}
