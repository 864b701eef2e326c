package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sitrep/sources/demo/world"
	"sitrep/sources/metrics/promtest"
	"sitrep/store/journal"
)

// doctorRow finds the printed row of a check about subject (with what was
// found, when a long subject put it on the next line), and its fix.
func doctorRow(t *testing.T, out, check, subject string) (row, fix string) {
	t.Helper()
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		f := strings.Fields(l)
		if len(f) < 3 || !strings.HasPrefix(l[len(f[0])+1:], check+" ") || !strings.Contains(l, subject) {
			continue
		}
		row = l
		for _, next := range lines[i+1:] {
			if !strings.HasPrefix(next, " ") {
				break
			}
			if s := strings.TrimSpace(next); strings.HasPrefix(s, "fix: ") {
				fix = strings.TrimPrefix(s, "fix: ")
			} else {
				row += " " + s
			}
		}
		return row, fix
	}
	t.Fatalf("no %s row for %q in:\n%s", check, subject, out)
	return "", ""
}

func writeDoctorConfig(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// lineOf is the 1-based line of the first line of body containing s.
func lineOf(t *testing.T, body, s string) int {
	t.Helper()
	for i, l := range strings.Split(body, "\n") {
		if strings.Contains(l, s) {
			return i + 1
		}
	}
	t.Fatalf("%q is not in the config", s)
	return 0
}

func TestDoctorPassesOnTheDemo(t *testing.T) {
	_, state := startDemoWorld(t)
	journal := filepath.Join(t.TempDir(), "journal.db")
	out, err := runRoot(t, "doctor", "--demo", "--state-file", state, "--journal", journal)
	if err != nil {
		t.Fatalf("doctor --demo: %v\n%s", err, out)
	}
	if strings.Contains(out, "✗") || !strings.Contains(out, " 0 failed") {
		t.Errorf("doctor --demo found problems:\n%s", out)
	}
	for _, s := range world.EnrichmentConfig() {
		if row, _ := doctorRow(t, out, "service key", s.Service); !strings.HasPrefix(row, "✓") {
			t.Errorf("demo service key row: %s", row)
		}
	}
	for _, want := range []string{"✓ token", "✓ prometheus", "✓ metric", "✓ loki", "✓ actions", "✓ journal"} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor --demo has no %q row:\n%s", want, out)
		}
	}
}

func TestDoctorWithoutARunningDemo(t *testing.T) {
	out, err := runRoot(t, "doctor", "--demo", "--state-file", filepath.Join(t.TempDir(), "none.json"))
	if !errors.Is(err, world.ErrNoDemo) || !strings.Contains(err.Error(), "sitrep demo") {
		t.Errorf("doctor --demo with no demo = %v\n%s", err, out)
	}
}

// TestDoctorNamesSetupMistakes is the case: one wrong service key,
// a dead Prometheus URL and a missing log file, against a real PagerDuty
// emulator, through the real binary.
func TestDoctorNamesSetupMistakes(t *testing.T) {
	bin := buildSitrep(t)
	w, err := world.Start(world.Options{Seed: 1, Tick: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	dir := t.TempDir()
	missing := filepath.Join(dir, "payment-gateway.log")
	dead := "http://" + deadAddress(t)
	body := fmt.Sprintf(`api_url: %s
prometheus:
  url: %s
services:
  payment-gatway:
    env: prod
    metrics:
      - {name: 5xx rate, query: 'sum(rate(http_requests_total{code=~"5.."}[5m]))'}
    logs:
      - file: %s
`, w.PagerDutyURL, dead, missing)
	cfg := writeDoctorConfig(t, body)

	cmd := exec.Command(bin, "doctor", "--config", cfg, "--journal", filepath.Join(dir, "journal.db"), "--timeout", "20s")
	cmd.Env = append(os.Environ(), "PAGERDUTY_TOKEN="+w.Token, "HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	outb, err := cmd.CombinedOutput()
	out := string(outb)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() == 0 {
		t.Fatalf("doctor exited %v, want non-zero:\n%s", err, out)
	}

	row, fix := doctorRow(t, out, "service key", "payment-gatway")
	if !strings.HasPrefix(row, "✗") || !strings.Contains(row, "matches no PagerDuty service") || !strings.Contains(row, "nearest: payment-gateway (") {
		t.Errorf("wrong key's row: %s", row)
	}
	if want := fmt.Sprintf("rename the key at %s:%d to payment-gateway", cfg, lineOf(t, body, "payment-gatway:")); !strings.Contains(fix, want) {
		t.Errorf("wrong key's fix %q, want it to say %q", fix, want)
	}

	row, fix = doctorRow(t, out, "prometheus", dead)
	if !strings.HasPrefix(row, "✗") || !strings.Contains(row, "connection refused") {
		t.Errorf("dead Prometheus row: %s", row)
	}
	if want := fmt.Sprintf("check prometheus.url at %s:%d", cfg, lineOf(t, body, "url: "+dead)); !strings.Contains(fix, want) {
		t.Errorf("dead Prometheus fix %q, want it to say %q", fix, want)
	}
	if row, _ := doctorRow(t, out, "metric", "payment-gatway: 5xx rate"); !strings.HasPrefix(row, "✗") || !strings.Contains(row, "Prometheus does not answer") {
		t.Errorf("a query against the dead Prometheus: %s", row)
	}

	row, fix = doctorRow(t, out, "log file", missing)
	if !strings.HasPrefix(row, "✗") || !strings.Contains(row, "no such file") {
		t.Errorf("missing log file row: %s", row)
	}
	if want := fmt.Sprintf("check the path at %s:%d", cfg, lineOf(t, body, "file: ")); !strings.Contains(fix, want) {
		t.Errorf("missing log file fix %q, want it to say %q", fix, want)
	}

	if row, _ := doctorRow(t, out, "token", "PAGERDUTY_TOKEN"); !strings.HasPrefix(row, "✓") || !strings.Contains(row, "Alice Chen") {
		t.Errorf("token row: %s", row)
	}
	if !strings.Contains(out, "3 failed") && !strings.Contains(out, "4 failed") {
		t.Errorf("summary does not count the failures:\n%s", out)
	}
}

// TestDoctorLiveRows checks the rows against a real Prometheus: a query
// that returns series names their labels, a quiet one is a warning, a
// broken one a failure; a readable log file, a log command and a git
// repository pass.
func TestDoctorLiveRows(t *testing.T) {
	gitPath := needTool(t, "git", "apt-get install -y git")
	spike := promtest.NewSpike(time.Now())
	prom := promtest.Start(t, spike.Series)
	w, err := world.Start(world.Options{Seed: 1, Tick: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	t.Setenv("PAGERDUTY_TOKEN", w.Token)
	t.Setenv("SITREP_DOCTOR_UNSET_TOKEN", "")

	dir := t.TempDir()
	logFile := filepath.Join(dir, "app.log")
	if err := os.WriteFile(logFile, []byte("2026-01-01T00:00:00Z error: boom\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	repo := filepath.Join(dir, "repo")
	for _, args := range [][]string{
		{"init", "-q", repo},
		{"-C", repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "first"},
		{"-C", repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "tag", "-a", "v1.0.0", "-m", "v1.0.0"},
	} {
		if out, err := exec.Command(gitPath, args...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	history := filepath.Join(dir, "deploy-history")
	script := "#!/bin/sh\necho '{\"id\": \"d1\", \"summary\": \"deploy v2.14.0\", \"at\": \"2026-01-01T00:00:00Z\"}'\n"
	if err := os.WriteFile(history, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf(`api_url: %s
prometheus: {url: %q}
services:
  payment-gateway:
    env: prod
    metrics:
      - {name: 5xx rate, query: 'last_over_time(%s[1d])'}
      - {name: quiet, query: '%s{service="nothing-here"}'}
      - {name: broken, query: 'sum(rate(%s[5m]'}
    logs:
      - file: %s
      - command: [echo, "hello from the log"]
      - command: [false]
    deploys:
      - git: {repo: %s}
      - command: [%s]
`, w.PagerDutyURL, prom.URL, promtest.SpikeMetric, promtest.SpikeMetric, promtest.SpikeMetric, logFile, repo, history)
	cfg := writeDoctorConfig(t, body)
	out, err := runRoot(t, "doctor", "--config", cfg, "--journal", filepath.Join(dir, "journal.db"), "--timeout", "30s")
	if !errors.Is(err, errDoctorFailed) {
		t.Fatalf("doctor = %v, want it to fail on the broken query:\n%s", err, out)
	}
	checks := []struct{ check, subject, glyph, says string }{
		{"service key", "payment-gateway", "✓", "PagerDuty service payment-gateway"},
		{"prometheus", prom.URL, "✓", "answers"},
		{"metric", "payment-gateway: 5xx rate", "✓", `1 series now: http_5xx_rate{env="prod", service="payment-gateway"}`},
		{"metric", "payment-gateway: quiet", "⚠", "no series now"},
		{"metric", "payment-gateway: broken", "✗", "parse error"},
		{"log file", logFile, "✓", "readable"},
		{"log command", "echo hello from the log", "✓", "prints log lines"},
		{"git", repo, "✓", "1 tag in the last 30 days"},
		{"deploy command", history, "✓", "1 change"},
		{"log command", "false", "✗", "exit status 1"},
		{"journal", "journal.db", "✓", "not created yet"},
	}
	for _, c := range checks {
		row, _ := doctorRow(t, out, c.check, c.subject)
		if !strings.HasPrefix(row, c.glyph) || !strings.Contains(row, c.says) {
			t.Errorf("%s %s row = %q, want %s and %q", c.check, c.subject, row, c.glyph, c.says)
		}
	}

	// --json says the same.
	out, _ = runRoot(t, "doctor", "--config", cfg, "--journal", filepath.Join(dir, "journal.db"), "--timeout", "30s", "--json")
	var rep struct {
		OK     bool
		Checks []struct{ Status, Check, Subject, Found, Fix string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	if rep.OK || len(rep.Checks) < len(checks) || rep.Checks[1].Check != "token" || rep.Checks[1].Status != "ok" {
		t.Errorf("--json = %+v", rep)
	}
}

// TestDoctorJournalRows checks the journal row for a healthy journal, one
// another process holds, one whose chain was altered, and unusable files.
func TestDoctorJournalRows(t *testing.T) {
	seed := func(t *testing.T, path string) {
		t.Helper()
		j, err := journal.Open(path, journal.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer j.Close()
		for _, s := range []string{"one", "two", "three"} {
			if _, err := j.Append(journal.Entry{Incident: "P1", Kind: "note", Summary: s}); err != nil {
				t.Fatal(err)
			}
		}
	}
	cases := []struct {
		name        string
		prepare     func(t *testing.T, path string)
		glyph, says string
		fix         string
	}{
		{"healthy", seed, "✓", "writable; chain intact, 3 entries", ""},
		{"held", func(t *testing.T, path string) {
			seed(t, path)
			j, err := journal.Open(path, journal.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { j.Close() })
		}, "⚠", "chain intact, 3 entries; held by", ""},
		{"altered", func(t *testing.T, path string) {
			seed(t, path)
			tamper(t, path, "two", "TWO")
		}, "✗", "BROKEN at seq 2", "mv {path} {path}.broken"},
		{"empty", func(t *testing.T, path string) { writeBytes(t, path, nil) }, "✗", "empty (0 bytes)", "mv {path} {path}.empty"},
		{"directory", func(t *testing.T, path string) {
			if err := os.Mkdir(path, 0o700); err != nil {
				t.Fatal(err)
			}
		}, "✗", "a directory", "mv {path} {path}.dir"},
		{"damaged", func(t *testing.T, path string) {
			writeBytes(t, path, []byte(strings.Repeat("not a journal\n", 2000)))
		}, "✗", "damaged: it does not start like a journal", "mv {path} {path}.damaged"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Setenv("PAGERDUTY_TOKEN", "")
			path := filepath.Join(dir, "journal.db")
			c.prepare(t, path)
			cfg := writeDoctorConfig(t, "refresh_interval: 30s\n")
			out, _ := runRoot(t, "doctor", "--config", cfg, "--journal", path)
			row, fix := doctorRow(t, out, "journal", path)
			if !strings.HasPrefix(row, c.glyph) || !strings.Contains(row, c.says) {
				t.Errorf("journal row = %q, want %s and %q", row, c.glyph, c.says)
			}
			if want := strings.ReplaceAll(c.fix, "{path}", path); !strings.Contains(fix, want) {
				t.Errorf("journal fix = %q, want %q", fix, want)
			}
		})
	}
}

// TestDoctorEnvironmentRows checks the variables the catalogue and the
// endpoints name: a missing secret header or bearer token is a failure, a
// missing pass-through variable or Slack webhook a warning.
func TestDoctorEnvironmentRows(t *testing.T) {
	dir := t.TempDir()
	catalogue := `actions:
  - name: restart
    explain: Restarts the service.
    params:
      service: {pattern: '[a-z0-9-]+', from: service}
    runner: exec
    exec: {argv: [echo, "restart {{.service}}"], env: [KUBECONFIG_FOR_DOCTOR_TEST]}
    risk: low
    announce: {pagerduty: false, slack_webhook_env: SLACK_FOR_DOCTOR_TEST}
  - name: block
    explain: Blocks an address.
    params:
      ip: {pattern: '[0-9.]+'}
    runner: http
    http:
      method: post
      url: "https://edge.example.com/blocks"
      secret_headers:
        Authorization: {env: EDGE_TOKEN_FOR_DOCTOR_TEST, prefix: "Bearer "}
      body: '{{.ip}}'
    risk: medium
    announce: {pagerduty: false}
`
	if err := os.WriteFile(filepath.Join(dir, "actions.yaml"), []byte(catalogue), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := writeDoctorConfig(t, fmt.Sprintf("actions: {dir: %s}\nprometheus: {url: 'http://%s', bearer_token_env: PROM_TOKEN_FOR_DOCTOR_TEST}\n", dir, deadAddress(t)))
	for _, v := range []string{"KUBECONFIG_FOR_DOCTOR_TEST", "SLACK_FOR_DOCTOR_TEST", "EDGE_TOKEN_FOR_DOCTOR_TEST", "PROM_TOKEN_FOR_DOCTOR_TEST"} {
		t.Setenv(v, "")
	}
	out, _ := runRoot(t, "doctor", "--config", cfg, "--journal", filepath.Join(dir, "journal.db"))
	if row, _ := doctorRow(t, out, "actions", dir); !strings.HasPrefix(row, "✓") || !strings.Contains(row, "2 actions") {
		t.Errorf("actions row: %s", row)
	}
	want := []struct{ name, glyph, says string }{
		{"EDGE_TOKEN_FOR_DOCTOR_TEST", "✗", "not set: action block fails: its Authorization header has no value"},
		{"KUBECONFIG_FOR_DOCTOR_TEST", "⚠", "not set: action restart runs without it"},
		{"PROM_TOKEN_FOR_DOCTOR_TEST", "✗", "not set: sitrep refuses to start (prometheus.bearer_token_env names it)"},
		{"SLACK_FOR_DOCTOR_TEST", "⚠", "not set: action restart is not announced to Slack"},
	}
	for _, w := range want {
		row, fix := doctorRow(t, out, "environment", w.name)
		if !strings.HasPrefix(row, w.glyph) || !strings.Contains(row, w.says) || !strings.Contains(fix, "export "+w.name+"=") {
			t.Errorf("%s: row %q fix %q, want %s %q", w.name, row, fix, w.glyph, w.says)
		}
	}
	t.Setenv("EDGE_TOKEN_FOR_DOCTOR_TEST", "secret-value")
	out, _ = runRoot(t, "doctor", "--config", cfg, "--journal", filepath.Join(dir, "journal.db"))
	if row, _ := doctorRow(t, out, "environment", "EDGE_TOKEN_FOR_DOCTOR_TEST"); !strings.HasPrefix(row, "✓") || strings.Contains(out, "secret-value") {
		t.Errorf("a set variable: %s\n%s", row, out)
	}
}

func TestDoctorConfigThatDoesNotLoad(t *testing.T) {
	cfg := writeDoctorConfig(t, "refresh_interval: 30s\nservices:\n  payment-gateway:\n    env: prdo\n")
	out, err := runRoot(t, "doctor", "--config", cfg)
	if !errors.Is(err, errDoctorFailed) {
		t.Fatalf("doctor = %v\n%s", err, out)
	}
	row, fix := doctorRow(t, out, "config", cfg)
	if !strings.HasPrefix(row, "✗") || !strings.Contains(row, cfg+":4:") || !strings.Contains(row, `"prdo" is not an environment`) || fix == "" {
		t.Errorf("config row %q, fix %q", row, fix)
	}
	if strings.Contains(out, "token") {
		t.Errorf("checks ran against a config that did not load:\n%s", out)
	}
}

func TestDoctorDemoThatHasExited(t *testing.T) {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(t.TempDir(), "demo.json")
	if err := (world.State{PagerDutyURL: "http://" + deadAddress(t), Token: "x", PID: cmd.Process.Pid}).WriteFile(state); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"doctor", "services"} {
		out, err := runRoot(t, c, "--demo", "--state-file", state)
		if !errors.Is(err, world.ErrNoDemo) || !strings.Contains(err.Error(), "has exited") {
			t.Errorf("%s --demo with a dead demo = %v\n%s", c, err, out)
		}
	}
}

// TestDoctorDeadlines gives doctor a Prometheus that accepts connections
// and never answers and a log command that never ends: each row reports
// its deadline instead of holding the run up.
func TestDoctorDeadlines(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		var held []net.Conn // open, never answered
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	t.Cleanup(func() { l.Close(); <-done })
	cfg := writeDoctorConfig(t, fmt.Sprintf(`prometheus: {url: "http://%s"}
services:
  default:
    metrics:
      - {name: up, query: up}
    logs:
      - command: [sleep, "600"]
`, l.Addr()))
	out, err := runRoot(t, "doctor", "--config", cfg, "--journal", filepath.Join(t.TempDir(), "j.db"), "--timeout", "2s")
	if !errors.Is(err, errDoctorFailed) {
		t.Fatalf("doctor = %v\n%s", err, out)
	}
	if row, _ := doctorRow(t, out, "prometheus", l.Addr().String()); !strings.HasPrefix(row, "✗") {
		t.Errorf("a Prometheus that never answers: %s", row)
	}
	if row, _ := doctorRow(t, out, "log command", "sleep 600"); !strings.HasPrefix(row, "⚠") || !strings.Contains(row, "printed nothing before the deadline") {
		t.Errorf("a log command that never ends: %s", row)
	}
}

func TestDoctorSanitizes(t *testing.T) {
	t.Setenv("PAGERDUTY_TOKEN", "")
	cfg := writeDoctorConfig(t, "services:\n  \"pay\\e]0;owned\\a-svc\":\n    logs:\n      - file: \"/tmp/no\\e[2Jsuch.log\"\n")
	for _, args := range [][]string{{}, {"--json"}} {
		out, _ := runRoot(t, append([]string{"doctor", "--config", cfg, "--journal", filepath.Join(t.TempDir(), "j.db")}, args...)...)
		if strings.ContainsAny(out, "\x1b\x07") || strings.Contains(out, `\u001b`) || strings.Contains(out, `\u0007`) {
			t.Errorf("doctor %v printed control characters:\n%q", args, out)
		}
		if !strings.Contains(out, "-svc") || !strings.Contains(out, "such.log") {
			t.Errorf("doctor %v lost the rows:\n%s", args, out)
		}
	}
}

// TestDoctorJournaldRows reads a real journal file, made with
// systemd-journal-remote: a unit with entries passes, one without warns.
func TestDoctorJournaldRows(t *testing.T) {
	needTool(t, "journalctl", "apt-get install -y --no-install-recommends systemd")
	remote := ""
	for _, p := range []string{"/lib/systemd/systemd-journal-remote", "/usr/lib/systemd/systemd-journal-remote"} {
		if _, err := os.Stat(p); err == nil {
			remote = p
		}
	}
	if remote == "" {
		needTool(t, "systemd-journal-remote", "apt-get install -y --no-install-recommends systemd-journal-remote")
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "test.journal")
	var export strings.Builder
	for i := range 3 {
		fmt.Fprintf(&export, "__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=0123456789abcdef0123456789abcdef\n_SYSTEMD_UNIT=payment-gateway.service\nMESSAGE=request %d failed\nPRIORITY=3\n\n",
			time.Now().Add(-time.Minute).UnixMicro()+int64(i), 1000+i, i)
	}
	cmd := exec.Command(remote, "--output="+file, "--split-mode=none", "-")
	cmd.Stdin = strings.NewReader(export.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("systemd-journal-remote: %v\n%s", err, out)
	}
	cfg := writeDoctorConfig(t, fmt.Sprintf(`services:
  default:
    logs:
      - journald: {unit: payment-gateway.service, file: %q}
      - journald: {unit: payment-gatway.service, file: %q}
`, file, file))
	t.Setenv("PAGERDUTY_TOKEN", "")
	out, _ := runRoot(t, "doctor", "--config", cfg, "--journal", filepath.Join(dir, "j.db"))
	if row, _ := doctorRow(t, out, "journald", "unit payment-gateway.service"); !strings.HasPrefix(row, "✓") || !strings.Contains(row, "newest entry") {
		t.Errorf("a unit with entries: %s\n%s", row, out)
	}
	if row, fix := doctorRow(t, out, "journald", "unit payment-gatway.service"); !strings.HasPrefix(row, "⚠") || !strings.Contains(row, "no entries") || !strings.Contains(fix, cfg+":5") {
		t.Errorf("a unit without entries: %s / %s", row, fix)
	}
}

func TestAge(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Second: "0s", 42 * time.Second: "42s", 7*time.Minute + 12*time.Second: "7m12s", 7*time.Minute + 10*time.Second: "7m10s",
		5 * time.Minute: "5m", 3*time.Hour + 4*time.Minute: "3h4m", 72 * time.Hour: "3d",
	} {
		if got := age(d); got != want {
			t.Errorf("age(%s) = %q, want %q", d, got, want)
		}
	}
}
