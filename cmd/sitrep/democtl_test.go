package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"sitrep/actions"
	"sitrep/sources/demo/world"
	"sitrep/sources/pagerduty"
)

// startDemoWorld starts a world in this process and writes its state file
// as `sitrep demo` does.
func startDemoWorld(t *testing.T) (*world.World, string) {
	t.Helper()
	old := demoCtlPace
	demoCtlPace = 0
	t.Cleanup(func() { demoCtlPace = old })
	w, err := world.Start(world.Options{Seed: 1, Tick: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	state := filepath.Join(t.TempDir(), "state", "sitrep-demo.json")
	remove, err := publishDemoState(state, w)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(remove)
	return w, state
}

func runDemoCtl(t *testing.T, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := newDemoCtlCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	return out.String(), err
}

func TestDemoCtlRestart(t *testing.T) {
	w, state := startDemoWorld(t)
	out, err := runDemoCtl(t, "restart", "--service=payment-gateway", "--env=prod", "--state-file="+state)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{
		"restarting payment-gateway (prod)…\n",
		"rolling restart of 3 pods of payment-gateway (prod) v2.14.0, one at a time\n",
		"[1/3] payment-gateway-", ": draining connections… stopped\n", "[3/3] ", ": started… ready\n",
		"done: 3/3 pods ready\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	st, err := w.ServiceStatus("payment-gateway")
	if err != nil || st.Restarts != 1 || st.LastRestart == nil {
		t.Errorf("the world did not restart payment-gateway: %+v %v", st, err)
	}
}

func TestDemoCtlScaleAndStatus(t *testing.T) {
	w, state := startDemoWorld(t)
	out, err := runDemoCtl(t, "scale", "--service=billing-worker", "--env=prod", "--replicas=6", "--state-file="+state)
	if err != nil || !strings.Contains(out, "billing-worker (prod): 3 → 6 replicas\n") || !strings.Contains(out, "done: 6/6 pods ready\n") {
		t.Fatalf("scale: %v\n%s", err, out)
	}
	if st, _ := w.ServiceStatus("billing-worker"); st.Replicas != 6 {
		t.Errorf("replicas = %d, want 6", st.Replicas)
	}
	out, err = runDemoCtl(t, "status", "--service=payment-gateway", "--env=prod", "--state-file="+state)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"payment-gateway (prod) v2.14.0: 3/3 pods ready\n", "POD", "VERSION", "health: degraded: 5xx rate"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	if _, err := runDemoCtl(t, "scale", "--service=billing-worker", "--replicas=25", "--state-file="+state); err == nil || !strings.Contains(err.Error(), "want 1 to 20") {
		t.Errorf("scale to 25: %v", err)
	}
}

func TestDemoCtlRefusesTheWrongEnvironment(t *testing.T) {
	w, state := startDemoWorld(t)
	_, err := runDemoCtl(t, "restart", "--service=payment-gateway", "--env=staging", "--state-file="+state)
	if err == nil || !strings.Contains(err.Error(), "payment-gateway runs in prod, not staging") {
		t.Errorf("err = %v", err)
	}
	if _, err := runDemoCtl(t, "restart", "--service=nope", "--state-file="+state); err == nil || !strings.Contains(err.Error(), "no such service") {
		t.Errorf("unknown service: %v", err)
	}
	if st, _ := w.ServiceStatus("payment-gateway"); st.Restarts != 0 {
		t.Error("a refused restart changed the world")
	}
}

func TestDemoCtlWithoutADemo(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none.json")
	_, err := runDemoCtl(t, "restart", "--service=payment-gateway", "--env=prod", "--state-file="+missing)
	if !errors.Is(err, errNoDemo) || !strings.Contains(err.Error(), "no demo is running: "+missing+" does not exist; start one with: sitrep demo") {
		t.Errorf("err = %v", err)
	}

	// A state file left by a demo that has exited.
	w, state := startDemoWorld(t)
	w.Close()
	_, err = runDemoCtl(t, "status", "--service=payment-gateway", "--state-file="+state)
	if !errors.Is(err, errNoDemo) || !strings.Contains(err.Error(), "does not answer") {
		t.Errorf("err = %v", err)
	}
	if exitCode(err) == 0 {
		t.Error("exit code 0 without a demo")
	}
}

// TestDefaultDemoStatePath: the state file follows $XDG_STATE_HOME, by
// default ~/.local/state, and demo-ctl without --state-file finds the file
// the demo wrote there.
func TestDefaultDemoStatePath(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	if got, want := defaultDemoStatePath(), filepath.Join(state, "sitrep", "demo.json"); got != want {
		t.Errorf("with XDG_STATE_HOME the state file is %s, want %s", got, want)
	}
	t.Setenv("XDG_STATE_HOME", "relative/dir") // ignored, as the XDG spec says
	if got, want := defaultDemoStatePath(), filepath.Join(home, ".local", "state", "sitrep", "demo.json"); got != want {
		t.Errorf("with a relative XDG_STATE_HOME the state file is %s, want %s", got, want)
	}
	t.Setenv("XDG_STATE_HOME", state)

	w, _ := startDemoWorld(t)
	remove, err := publishDemoState(defaultDemoStatePath(), w)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := runDemoCtl(t, "status", "--service=checkout-db"); err != nil || !strings.Contains(out, "checkout-db (prod) 15.8: 1/1 pods ready") {
		t.Errorf("status with the default state file: %v\n%s", err, out)
	}
	remove()
	if _, err := os.Stat(defaultDemoStatePath()); !os.IsNotExist(err) {
		t.Errorf("state file left behind: %v", err)
	}
}

// TestDemoActionsFindTheStateFile: the demo hands its state file to its
// own actions, which run demo-ctl with only PATH, HOME and LANG and so
// would not see $XDG_STATE_HOME or --state-file otherwise.
func TestDemoActionsFindTheStateFile(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	w, _ := startDemoWorld(t)
	custom := filepath.Join(t.TempDir(), "my state", "demo.json")
	env, err := demoEnvironment(&globalFlags{}, w, custom)
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	acts := env.tuiOptions(0, false).Actions
	for _, name := range []string{"restart_service", "scale_up"} {
		in := pagerduty.Incident{ID: "PDEMO", Number: 1, Status: pagerduty.StatusTriggered, Service: pagerduty.Ref{Name: "payment-gateway"}}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		plan, err := acts.Prepare(ctx, name, nil, in)
		cancel()
		if err != nil {
			t.Fatalf("prepare %s: %v", name, err)
		}
		r, ok := plan.Runner().(*actions.ExecRunner)
		if !ok || !slices.Contains(r.Argv, "--state-file="+custom) {
			t.Errorf("%s runs %v, without --state-file=%s", name, plan.Runner(), custom)
		}
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
