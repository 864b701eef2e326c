package world

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// Pace is the pause between the steps a report prints, so that a restart
// reads like one in the run view. It returns ctx's error if ctx ends
// first.
type Pace func(ctx context.Context) error

// PaceEvery pauses d between steps; d of zero or less does not pause.
func PaceEvery(d time.Duration) Pace {
	return func(ctx context.Context) error {
		if d <= 0 {
			return ctx.Err()
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// ReportRestart restarts service (which must run in env when env is set)
// and writes to out, step by step, what `demo-ctl restart` shows: every
// pod stopped and started, one at a time.
func (d RunningDemo) ReportRestart(ctx context.Context, out io.Writer, pace Pace, service, env string) error {
	fmt.Fprintf(out, "restarting %s%s…\n", service, envSuffix(env))
	res, err := d.Restart(ctx, service, env)
	if err != nil {
		return d.explain("restart "+service, err)
	}
	n := len(res.Started)
	fmt.Fprintf(out, "rolling restart of %d pods of %s (%s) %s, one at a time\n", n, res.Service, res.Env, res.Status.Version)
	for i := range n {
		if i < len(res.Stopped) {
			if err := pace(ctx); err != nil {
				return err
			}
			fmt.Fprintf(out, "  [%d/%d] %s: draining connections… stopped\n", i+1, n, res.Stopped[i])
		}
		if err := pace(ctx); err != nil {
			return err
		}
		fmt.Fprintf(out, "  [%d/%d] %s: started… ready\n", i+1, n, res.Started[i])
	}
	fmt.Fprintf(out, "done: %d/%d pods ready\n", res.Status.Ready, res.Status.Replicas)
	return nil
}

// ReportScale sets service's replicas and writes to out, step by step,
// what `demo-ctl scale` shows: the pods started or stopped.
func (d RunningDemo) ReportScale(ctx context.Context, out io.Writer, pace Pace, service, env string, replicas int) error {
	fmt.Fprintf(out, "scaling %s%s to %d replicas…\n", service, envSuffix(env), replicas)
	res, err := d.Scale(ctx, service, env, replicas)
	if err != nil {
		return d.explain("scale "+service, err)
	}
	if res.From == res.To {
		fmt.Fprintf(out, "%s (%s) already runs %d replicas: nothing to do\n", res.Service, res.Env, res.To)
		return nil
	}
	fmt.Fprintf(out, "%s (%s): %d → %d replicas\n", res.Service, res.Env, res.From, res.To)
	for _, p := range res.Started {
		if err := pace(ctx); err != nil {
			return err
		}
		fmt.Fprintf(out, "  %s: scheduled… started… ready\n", p)
	}
	for _, p := range res.Stopped {
		if err := pace(ctx); err != nil {
			return err
		}
		fmt.Fprintf(out, "  %s: draining connections… stopped\n", p)
	}
	fmt.Fprintf(out, "done: %d/%d pods ready\n", res.Status.Ready, res.Status.Replicas)
	return nil
}

// ReportStatus writes to out what `demo-ctl status` shows: service's pods,
// their ages at now, and its health. It changes nothing.
func (d RunningDemo) ReportStatus(ctx context.Context, out io.Writer, service, env string, now time.Time) error {
	st, err := d.Status(ctx, service, env)
	if err != nil {
		return d.explain("status of "+service, err)
	}
	writeStatus(out, st, now)
	return nil
}

func writeStatus(out io.Writer, st ServiceStatus, now time.Time) {
	fmt.Fprintf(out, "%s (%s) %s: %d/%d pods ready\n", st.Service, st.Env, st.Version, st.Ready, st.Replicas)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  POD\tVERSION\tREADY\tAGE")
	for _, p := range st.Pods {
		ready := "no"
		if p.Ready {
			ready = "yes"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", p.Name, p.Version, ready, age(now.Sub(p.Started)))
	}
	_ = tw.Flush()
	fmt.Fprintf(out, "health: %s\n", st.Health)
	if st.LastRestart != nil {
		fmt.Fprintf(out, "last restart: %s (%s ago)\n", st.LastRestart.UTC().Format("15:04:05Z"), age(now.Sub(*st.LastRestart)))
	}
}

// age is a duration as kubectl shows one: 42s, 7m12s, 3h4m, 3d.
func age(d time.Duration) string {
	d = max(d, 0).Truncate(time.Second)
	switch {
	case d < time.Minute:
		return d.String()
	case d < time.Hour:
		if s := int(d.Seconds()) % 60; s != 0 {
			return fmt.Sprintf("%dm%ds", int(d.Minutes()), s)
		}
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

func envSuffix(env string) string {
	if env == "" {
		return ""
	}
	return " (" + env + ")"
}
