package world

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// noPace reports without pausing.
var noPace = PaceEvery(0)

func reportCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestReportRestart(t *testing.T) {
	w, state := startPublished(t)
	var out strings.Builder
	if err := loadRunning(t, state).ReportRestart(reportCtx(t), &out, noPace, "payment-gateway", "prod"); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{
		"restarting payment-gateway (prod)…\n",
		"rolling restart of 3 pods of payment-gateway (prod) v2.14.0, one at a time\n",
		"[1/3] payment-gateway-", ": draining connections… stopped\n", "[3/3] ", ": started… ready\n",
		"done: 3/3 pods ready\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	st, err := w.ServiceStatus("payment-gateway")
	if err != nil || st.Restarts != 1 || st.LastRestart == nil {
		t.Errorf("the world did not restart payment-gateway: %+v %v", st, err)
	}
}

func TestReportScaleAndStatus(t *testing.T) {
	w, state := startPublished(t)
	d := loadRunning(t, state)
	var out strings.Builder
	err := d.ReportScale(reportCtx(t), &out, noPace, "billing-worker", "prod", 6)
	if err != nil || !strings.Contains(out.String(), "billing-worker (prod): 3 → 6 replicas\n") || !strings.Contains(out.String(), "done: 6/6 pods ready\n") {
		t.Fatalf("scale: %v\n%s", err, out.String())
	}
	if st, _ := w.ServiceStatus("billing-worker"); st.Replicas != 6 {
		t.Errorf("replicas = %d, want 6", st.Replicas)
	}
	out.Reset()
	if err := d.ReportScale(reportCtx(t), &out, noPace, "billing-worker", "", 6); err != nil || !strings.Contains(out.String(), "billing-worker (prod) already runs 6 replicas: nothing to do\n") {
		t.Errorf("scale to the same: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := d.ReportStatus(reportCtx(t), &out, "payment-gateway", "prod", time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"payment-gateway (prod) v2.14.0: 3/3 pods ready\n", "POD", "VERSION", "health: degraded: 5xx rate"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status lacks %q:\n%s", want, out.String())
		}
	}
}

func TestReportRefusesTheWrongEnvironment(t *testing.T) {
	w, state := startPublished(t)
	d := loadRunning(t, state)
	var out strings.Builder
	err := d.ReportRestart(reportCtx(t), &out, noPace, "payment-gateway", "staging")
	if err == nil || !strings.Contains(err.Error(), "payment-gateway runs in prod, not staging") {
		t.Errorf("err = %v", err)
	}
	if err := d.ReportRestart(reportCtx(t), &out, noPace, "nope", ""); err == nil || !strings.Contains(err.Error(), "no such service") {
		t.Errorf("unknown service: %v", err)
	}
	if st, _ := w.ServiceStatus("payment-gateway"); st.Restarts != 0 {
		t.Error("a refused restart changed the world")
	}
}

// TestReportOfADemoThatHasExited: a state file left by a demo that has
// exited is "no demo is running", naming the file and the pid.
func TestReportOfADemoThatHasExited(t *testing.T) {
	w, state := startPublished(t)
	d := loadRunning(t, state)
	w.Close()
	var out strings.Builder
	err := d.ReportStatus(reportCtx(t), &out, "payment-gateway", "", time.Now())
	if !errors.Is(err, ErrNoDemo) || !strings.Contains(err.Error(), "does not answer") || !strings.Contains(err.Error(), state) {
		t.Errorf("err = %v", err)
	}
}

// TestReportPaces: every step waits for the pace, and a context that ends
// stops the report there.
func TestReportPaces(t *testing.T) {
	_, state := startPublished(t)
	d := loadRunning(t, state)
	steps := 0
	counting := func(ctx context.Context) error { steps++; return ctx.Err() }
	var out strings.Builder
	if err := d.ReportRestart(reportCtx(t), &out, counting, "payment-gateway", ""); err != nil {
		t.Fatal(err)
	}
	if steps != 6 {
		t.Errorf("a restart of 3 pods paced %d steps, want 6 (a stop and a start each)", steps)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopAfterOne := func(context.Context) error { cancel(); return context.Canceled }
	out.Reset()
	if err := d.ReportScale(ctx, &out, stopAfterOne, "billing-worker", "", 5); !errors.Is(err, context.Canceled) || strings.Contains(out.String(), "done:") {
		t.Errorf("a cancelled scale: %v\n%s", err, out.String())
	}
	start := time.Now()
	if err := PaceEvery(time.Hour)(ctx); !errors.Is(err, context.Canceled) || time.Since(start) > time.Second {
		t.Errorf("PaceEvery on an ended context = %v after %s", err, time.Since(start))
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
