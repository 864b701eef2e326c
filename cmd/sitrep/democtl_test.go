package main

import (
	"bytes"
	"context"
	"errors"
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
	remove, err := w.Publish(state)
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

// TestDemoCtlFlags: demo-ctl's flags reach the world (the reports
// themselves are tested in sources/demo/world), and a bad --replicas is
// refused before any demo is looked for.
func TestDemoCtlFlags(t *testing.T) {
	w, state := startDemoWorld(t)
	out, err := runDemoCtl(t, "restart", "--service=payment-gateway", "--env=prod", "--state-file="+state)
	if err != nil || !strings.Contains(out, "restarting payment-gateway (prod)…\n") || !strings.Contains(out, "done: 3/3 pods ready\n") {
		t.Fatalf("restart: %v\n%s", err, out)
	}
	if st, _ := w.ServiceStatus("payment-gateway"); st.Restarts != 1 {
		t.Errorf("restarts = %d, want 1", st.Restarts)
	}
	out, err = runDemoCtl(t, "scale", "--service=billing-worker", "--env=prod", "--replicas=6", "--state-file="+state)
	if err != nil || !strings.Contains(out, "billing-worker (prod): 3 → 6 replicas\n") || !strings.Contains(out, "done: 6/6 pods ready\n") {
		t.Fatalf("scale: %v\n%s", err, out)
	}
	if st, _ := w.ServiceStatus("billing-worker"); st.Replicas != 6 {
		t.Errorf("replicas = %d, want 6", st.Replicas)
	}
	out, err = runDemoCtl(t, "status", "--service=payment-gateway", "--env=prod", "--state-file="+state)
	if err != nil || !strings.Contains(out, "payment-gateway (prod) v2.14.0: 3/3 pods ready\n") {
		t.Errorf("status: %v\n%s", err, out)
	}
	if _, err := runDemoCtl(t, "restart", "--service=payment-gateway", "--env=staging", "--state-file="+state); err == nil || !strings.Contains(err.Error(), "payment-gateway runs in prod, not staging") {
		t.Errorf("restart in the wrong environment: %v", err)
	}
	if _, err := runDemoCtl(t, "scale", "--service=billing-worker", "--replicas=25", "--state-file="+state); err == nil || !strings.Contains(err.Error(), "want 1 to 20") {
		t.Errorf("scale to 25: %v", err)
	}
	missing := filepath.Join(t.TempDir(), "none.json")
	if _, err := runDemoCtl(t, "scale", "--service=billing-worker", "--replicas=0", "--state-file="+missing); err == nil || !strings.Contains(err.Error(), "--replicas 0: want 1 to 20") {
		t.Errorf("scale to 0 without a demo: %v", err)
	}
}

func TestDemoCtlWithoutADemo(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none.json")
	_, err := runDemoCtl(t, "restart", "--service=payment-gateway", "--env=prod", "--state-file="+missing)
	if !errors.Is(err, world.ErrNoDemo) || !strings.Contains(err.Error(), "no demo is running: "+missing+" does not exist; start one with: sitrep demo") {
		t.Errorf("err = %v", err)
	}

	// A state file left by a demo that has exited.
	w, state := startDemoWorld(t)
	w.Close()
	_, err = runDemoCtl(t, "status", "--service=payment-gateway", "--state-file="+state)
	if !errors.Is(err, world.ErrNoDemo) || !strings.Contains(err.Error(), "does not answer") {
		t.Errorf("err = %v", err)
	}
	if exitCode(err) == 0 {
		t.Error("exit code 0 without a demo")
	}
}

// TestDemoCtlDefaultStateFile: demo-ctl without --state-file finds the
// file the demo wrote in $XDG_STATE_HOME.
func TestDemoCtlDefaultStateFile(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	w, _ := startDemoWorld(t)
	remove, err := w.Publish(world.DefaultStatePath())
	if err != nil {
		t.Fatal(err)
	}
	defer remove()
	if out, err := runDemoCtl(t, "status", "--service=checkout-db"); err != nil || !strings.Contains(out, "checkout-db (prod) 15.8: 1/1 pods ready") {
		t.Errorf("status with the default state file: %v\n%s", err, out)
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
