package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"sitrep/actions"
	"sitrep/sources/demo/catalogue"
	"sitrep/sources/demo/world"
	"sitrep/sources/pagerduty"
	"sitrep/store/journal"
)

// runWorld is a demo world in this process, a config file that points
// sitrep at it (as a real account would be), a journal, and a HOME whose
// state file lets demo-ctl find the world.
type runWorld struct {
	w        *world.World
	home     string
	config   string
	journal  string
	incident pagerduty.Incident // the payment-gateway 5xx incident
}

// startRunWorld starts the world and writes a config whose actions.dir is
// catalogue. The sitrep binary is put first on PATH, for the actions that
// call demo-ctl.
func startRunWorld(t *testing.T, catalogue string) *runWorld {
	t.Helper()
	bin := buildSitrep(t)
	w, err := world.Start(world.Options{Seed: 1, Tick: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })

	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "config"))
	t.Setenv("XDG_DATA_HOME", filepath.Join(home, "data"))
	t.Setenv("PAGERDUTY_TOKEN", w.Token)
	t.Setenv("PATH", filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	remove, err := w.Publish(world.DefaultStatePath())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(remove)

	abs, err := filepath.Abs(catalogue)
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(home, "sitrep.yaml")
	body := "api_url: " + w.PagerDutyURL + "\nactions: {dir: " + strconv.Quote(abs) + "}\nservices:\n  payment-gateway: {env: prod}\n"
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	rw := &runWorld{w: w, home: home, config: cfg, journal: filepath.Join(home, "journal.db")}
	rw.incident = paymentIncident(t, w)
	return rw
}

// paymentIncident finds the payment-gateway 5xx incident through the real
// client.
func paymentIncident(t *testing.T, w *world.World) pagerduty.Incident {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	feed := pagerduty.New(pagerduty.Config{APIURL: w.PagerDutyURL, Token: w.Token})
	list, err := feed.Incidents(ctx, pagerduty.ScopeAll)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range list {
		if in.Service.Name == "payment-gateway" && strings.Contains(in.Title, "5xx") {
			return in
		}
	}
	t.Fatalf("the demo world has no payment-gateway 5xx incident: %+v", list)
	return pagerduty.Incident{}
}

// run calls runAction as `sitrep run` does, with its output in a buffer.
func (rw *runWorld) run(t *testing.T, name string, given map[string]string, dryRun bool, confirm string, interactive bool, stdin string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := &cobra.Command{Use: "run"}
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetContext(ctx)
	g := &globalFlags{configPath: rw.config, journal: rw.journal}
	err := runAction(cmd, g, name, rw.incident.ID, given, dryRun, confirm, interactive, strings.NewReader(stdin))
	return out.String(), err
}

func (rw *runWorld) restarts(t *testing.T) int {
	t.Helper()
	st, err := rw.w.ServiceStatus("payment-gateway")
	if err != nil {
		t.Fatal(err)
	}
	return st.Restarts
}

// entries reads the incident's journal after the run.
func (rw *runWorld) entries(t *testing.T) []journal.Entry {
	t.Helper()
	j, err := journal.Open(rw.journal, journal.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	es, err := j.Entries(rw.incident.ID)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func kinds(es []journal.Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Kind)
	}
	return out
}

func TestRunDryRunRunsNothing(t *testing.T) {
	rw := startRunWorld(t, filepath.Join("testdata", "run"))
	out, err := rw.run(t, "restart_service", nil, true, "", false, "")
	if err != nil {
		t.Fatalf("run --dry-run: %v\n%s", err, out)
	}
	for _, want := range []string{
		"Restart the service (restart_service) — risk medium\n",
		"target:  payment-gateway (prod), incident " + rw.incident.ID + "\n",
		"runs:    sitrep demo-ctl restart --service=payment-gateway --env=prod\n",
		"touches: payment-gateway (limit at most 5 hosts)\n",
		"\nthis action has no dry run: ",
		"guards: allowed (confirm: typed)\n",
		"ok      rate_limit — restart_service ran 0 times on payment-gateway in the last 30m (max 2)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the preview lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "-- run --") || strings.Contains(out, "pods ready") {
		t.Errorf("--dry-run ran the action:\n%s", out)
	}
	if n := rw.restarts(t); n != 0 {
		t.Errorf("--dry-run restarted payment-gateway %d times", n)
	}
	k := strings.Join(kinds(rw.entries(t)), " ")
	if !strings.Contains(k, "action.previewed") || strings.Contains(k, "action.started") {
		t.Errorf("journal after --dry-run: %s", k)
	}
}

func TestRunNeedsTheConfirmation(t *testing.T) {
	rw := startRunWorld(t, filepath.Join("testdata", "run"))

	// No terminal and no --confirm: refused, naming the flag to give.
	out, err := rw.run(t, "restart_service", nil, false, "", false, "")
	if err == nil || !strings.Contains(err.Error(), "give --confirm payment-gateway to run restart_service") {
		t.Errorf("without --confirm: err = %v\n%s", err, out)
	}
	// The wrong name: refused.
	out, err = rw.run(t, "restart_service", nil, false, "wrong", false, "")
	if err == nil || !strings.Contains(err.Error(), `confirmation refused: type the service's name "payment-gateway"`) {
		t.Errorf("--confirm wrong: err = %v\n%s", err, out)
	}
	// At a terminal, a wrong answer to the prompt: refused too.
	out, err = rw.run(t, "restart_service", nil, false, "", true, "payment\n")
	if !strings.Contains(out, `Type "payment-gateway" to run restart_service in prod: `) {
		t.Errorf("no prompt for the service's name:\n%s", out)
	}
	if err == nil || !strings.Contains(err.Error(), "confirmation refused") {
		t.Errorf("a wrong typed answer: err = %v", err)
	}
	if strings.Contains(out, "-- run --") {
		t.Errorf("an unconfirmed run ran:\n%s", out)
	}
	if n := rw.restarts(t); n != 0 {
		t.Errorf("unconfirmed runs restarted payment-gateway %d times", n)
	}
	for _, e := range rw.entries(t) {
		if e.Kind == "action.confirmed" || e.Kind == "action.started" {
			t.Errorf("journal has %s after refused confirmations: %s", e.Kind, e.Summary)
		}
	}
}

func TestRunConfirmedRestartsTheService(t *testing.T) {
	rw := startRunWorld(t, filepath.Join("testdata", "run"))
	out, err := rw.run(t, "restart_service", nil, false, "payment-gateway", false, "")
	if err != nil {
		t.Fatalf("run --confirm payment-gateway: %v\n%s", err, out)
	}
	for _, want := range []string{"-- run --\n", "rolling restart of 3 pods of payment-gateway (prod)", "done: 3/3 pods ready\n", "-- exit 0 in "} {
		if !strings.Contains(out, want) {
			t.Errorf("the run's output lacks %q:\n%s", want, out)
		}
	}
	if n := rw.restarts(t); n != 1 {
		t.Errorf("payment-gateway restarted %d times, want 1", n)
	}

	// The journal has every step for the incident, with the record's data.
	es := rw.entries(t)
	byKind := map[string]actions.Record{}
	for _, e := range es {
		var rec actions.Record
		if strings.HasPrefix(e.Kind, "action.") {
			if err := json.Unmarshal(e.Data, &rec); err != nil {
				t.Fatalf("%s: data %q: %v", e.Kind, e.Data, err)
			}
			byKind[e.Kind] = rec
		}
	}
	wantArgv := []string{"sitrep", "demo-ctl", "restart", "--service=payment-gateway", "--env=prod"}
	for _, kind := range []string{"action.previewed", "action.confirmed", "action.started", "action.finished"} {
		rec, ok := byKind[kind]
		if !ok {
			t.Errorf("the journal lacks %s: %v", kind, kinds(es))
			continue
		}
		if rec.Incident != rw.incident.ID || rec.Action != "restart_service" || rec.Target != "payment-gateway" || rec.Env != "prod" {
			t.Errorf("%s record = %+v", kind, rec)
		}
	}
	if rec := byKind["action.started"]; strings.Join(rec.Command, "\x00") != strings.Join(wantArgv, "\x00") || rec.ConfirmedBy != "Alice Chen" {
		t.Errorf("action.started: command %q confirmed by %q", rec.Command, rec.ConfirmedBy)
	}
	if rec := byKind["action.confirmed"]; rec.ConfirmedBy != "Alice Chen" {
		t.Errorf("action.confirmed: confirmed by %q, want the token's owner", rec.ConfirmedBy)
	}
	if rec := byKind["action.finished"]; rec.Result != "exit 0" || rec.ExitCode == nil || *rec.ExitCode != 0 {
		t.Errorf("action.finished: result %q exit %v", rec.Result, rec.ExitCode)
	}
	if rec := byKind["action.output"]; !strings.Contains(rec.Output, "done: 3/3 pods ready") {
		t.Errorf("action.output: %q", rec.Output)
	}
}

// hostile values for a parameter with a pattern: none may reach a process.
var hostile = []string{
	"; rm -rf /",
	"$(id)",
	"`id`",
	"ok\nrm -rf /",
	"../../etc/passwd",
	strings.Repeat("a", 10<<10),
}

func TestRunRefusesHostileParams(t *testing.T) {
	rw := startRunWorld(t, filepath.Join("testdata", "run"))
	canary := filepath.Join(rw.home, "canary")
	recorder := filepath.Join(t.TempDir(), "sitrep-test-recorder")
	script := "#!/bin/sh\nprintf '%s\\n' \"$@\" >>\"$HOME/canary\"\n"
	if err := os.WriteFile(recorder, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", filepath.Dir(recorder)+string(os.PathListSeparator)+os.Getenv("PATH"))

	for _, v := range hostile {
		out, err := rw.run(t, "annotate", map[string]string{"label": v}, false, "payment-gateway", false, "")
		var pe *actions.ParamError
		if !errors.As(err, &pe) {
			t.Errorf("label=%.40q: err = %v, want a refused parameter\n%s", v, err, out)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, "refused parameter label=") || !strings.Contains(msg, "^([a-z0-9-]{1,20})$") {
			t.Errorf("label=%.40q: the refusal does not name the parameter and its pattern: %v", v, err)
		}
		if len(err.Error()) > 300 {
			t.Errorf("label=%.40q: the refusal is %d bytes long", v, len(err.Error()))
		}
		if strings.Contains(out, "-- run --") {
			t.Errorf("label=%.40q ran:\n%s", v, out)
		}
	}
	if _, err := os.Stat(canary); !errors.Is(err, os.ErrNotExist) {
		b, _ := os.ReadFile(canary)
		t.Fatalf("a refused run reached the recorder: %v %q", err, b)
	}
	// A parameter sitrep supplies cannot be given on the command line.
	if _, err := rw.run(t, "annotate", map[string]string{"service": "checkout-db", "label": "x"}, false, "payment-gateway", false, ""); err == nil {
		t.Error("--param service=… replaced the incident's service")
	}

	// The canary can fail: a good label does reach the recorder, as one
	// element of argv.
	out, err := rw.run(t, "annotate", map[string]string{"label": "spike-2"}, false, "payment-gateway", false, "")
	if err != nil {
		t.Fatalf("label=spike-2: %v\n%s", err, out)
	}
	b, err := os.ReadFile(canary)
	if err != nil || string(b) != "--service=payment-gateway\n--label=spike-2\n" {
		t.Errorf("the recorder got %q (%v)", b, err)
	}
}

func TestRunBlockedByTheRateLimit(t *testing.T) {
	rw := startRunWorld(t, filepath.Join("testdata", "run"))
	for i := range 2 {
		if out, err := rw.run(t, "restart_service", nil, false, "payment-gateway", false, ""); err != nil {
			t.Fatalf("run %d: %v\n%s", i+1, err, out)
		}
	}
	out, err := rw.run(t, "restart_service", nil, false, "payment-gateway", false, "")
	var be *actions.BlockedError
	if !errors.As(err, &be) || be.Verdict.BlockedBy != actions.RuleRateLimit {
		t.Fatalf("third run: err = %v, want blocked by %s\n%s", err, actions.RuleRateLimit, out)
	}
	if !strings.Contains(err.Error(), "blocked: rate_limit — restart_service ran 2 times on payment-gateway in the last 30m (max 2); free again at ") {
		t.Errorf("the error does not explain the rule: %v", err)
	}
	if !strings.Contains(out, "BLOCKED rate_limit") {
		t.Errorf("the preview does not show the blocking rule:\n%s", out)
	}
	if n := rw.restarts(t); n != 2 {
		t.Errorf("payment-gateway restarted %d times, want 2", n)
	}
	if code := exitCode(err); code == 0 {
		t.Error("a blocked run exits 0")
	}
}

func TestRunBlockedOnAResolvedIncident(t *testing.T) {
	rw := startRunWorld(t, filepath.Join("testdata", "run"))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	feed := pagerduty.New(pagerduty.Config{APIURL: rw.w.PagerDutyURL, Token: rw.w.Token})
	if err := feed.Resolve(ctx, rw.incident.ID); err != nil {
		t.Fatal(err)
	}
	out, err := rw.run(t, "restart_service", nil, false, "payment-gateway", false, "")
	var be *actions.BlockedError
	if !errors.As(err, &be) || be.Verdict.BlockedBy != actions.RuleResolved {
		t.Fatalf("err = %v, want blocked by %s\n%s", err, actions.RuleResolved, out)
	}
	if !strings.Contains(err.Error(), "incident_resolved — the incident is resolved") {
		t.Errorf("err = %v", err)
	}
	if n := rw.restarts(t); n != 0 {
		t.Errorf("a blocked run restarted payment-gateway %d times", n)
	}
}

// TestRunDemoCatalogue runs the real binary, `sitrep run`, on the demo's
// own catalogue against a running demo world.
func TestRunDemoCatalogue(t *testing.T) {
	rw := startRunWorld(t, filepath.Join("testdata", "run"))
	dir, err := catalogue.Install(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	body := "api_url: " + rw.w.PagerDutyURL + "\nactions: {dir: " + strconv.Quote(dir) + "}\nservices:\n  payment-gateway: {env: prod}\n"
	if err := os.WriteFile(rw.config, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(buildSitrep(t), "run", "restart_service", "--incident", rw.incident.ID, "--confirm", "payment-gateway", "--config", rw.config, "--journal", rw.journal)
	cmd.Stdin = nil
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "done: 3/3 pods ready") {
		t.Fatalf("sitrep run restart_service: %v\n%s", err, out)
	}
	if n := rw.restarts(t); n != 1 {
		t.Errorf("payment-gateway restarted %d times, want 1", n)
	}
}

// TestRunKubectlArgv runs a kubectl action against a fake kubectl first on
// PATH: what kubectl receives is the rendered argv, element by element,
// and the server-side dry run comes first.
func TestRunKubectlArgv(t *testing.T) {
	rw := startRunWorld(t, filepath.Join("testdata", "kubectl"))
	script, err := os.ReadFile(filepath.Join("testdata", "kubectl", "fake-kubectl.sh"))
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "kubectl"), script, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	calls := filepath.Join(rw.home, "kubectl-calls")

	// A hostile namespace never reaches kubectl, not even its dry run.
	if out, err := rw.run(t, "rollout_restart", map[string]string{"namespace": "payments; kubectl delete ns payments"}, false, "payment-gateway", false, ""); err == nil ||
		!strings.Contains(err.Error(), "refused parameter namespace=") {
		t.Errorf("hostile namespace: %v\n%s", err, out)
	}
	if _, err := os.Stat(calls); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("kubectl ran for a refused namespace: %v", err)
	}

	out, err := rw.run(t, "rollout_restart", map[string]string{"namespace": "payments-prod"}, false, "payment-gateway", false, "")
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	want := []string{"kubectl", "rollout", "restart", "deployment/payment-gateway", "-n", "payments-prod"}
	for _, line := range []string{
		"runs:    " + strings.Join(want, " ") + "\n",
		"-- dry run --\ndeployment.apps/payment-gateway restarted\n",
		"-- run --\ndeployment.apps/payment-gateway restarted\n",
	} {
		if !strings.Contains(out, line) {
			t.Errorf("the output lacks %q:\n%s", line, out)
		}
	}

	b, err := os.ReadFile(calls)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimPrefix(strings.TrimSuffix(string(b), "\n"), "--call--\n"), "\n--call--\n")
	if len(got) != 2 {
		t.Fatalf("kubectl was called %d times, want the dry run and the run:\n%s", len(got), b)
	}
	dry := append(want[1:len(want):len(want)], "--dry-run=server")
	equalArgv(t, "the dry run", strings.Split(got[0], "\n"), dry)
	equalArgv(t, "the run", strings.Split(got[1], "\n"), want[1:])

	// The journal's record of the run is the same argv.
	for _, e := range rw.entries(t) {
		if e.Kind != "action.started" {
			continue
		}
		var rec actions.Record
		if err := json.Unmarshal(e.Data, &rec); err != nil {
			t.Fatal(err)
		}
		equalArgv(t, "the journaled command", rec.Command, want)
	}
}

func equalArgv(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: argv %q, want %q", what, got, want)
		return
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%s: argv[%d] = %q, want %q (argv %q)", what, i, got[i], want[i], got)
		}
	}
}
