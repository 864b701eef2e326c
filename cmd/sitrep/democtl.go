package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"sitrep/sources/demo/world"
)

// defaultDemoStatePath is where `sitrep demo` writes its state file and
// where demo-ctl looks for it without --state-file: sitrep/demo.json in
// $XDG_STATE_HOME, by default ~/.local/state; without a home, a per-user
// name in the temporary directory. The demo's own actions run demo-ctl
// with an environment of PATH, HOME and LANG only (see actions.Engine), so
// they do not rely on this default: the demo hands them the path it wrote
// as --state-file (the state_file caller parameter).
func defaultDemoStatePath() string {
	if dir := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(dir) {
		return filepath.Join(dir, "sitrep", "demo.json")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "state", "sitrep", "demo.json")
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("sitrep-demo-%d.json", os.Getuid()))
}

// publishDemoState writes w's addresses to path for demo-ctl and tests, and
// returns the function that removes the file again, unless another demo
// has since written its own there.
func publishDemoState(path string, w *world.World) (remove func(), err error) {
	st := demoState{
		PagerDutyURL: w.PagerDutyURL, Token: w.Token, PID: os.Getpid(),
		ControlURL: w.ControlURL, MetricsURL: w.MetricsURL, EdgeURL: w.EdgeURL, ReleaseConfig: w.ReleaseConfigPath,
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("write demo state: %w", err)
	}
	if err := writeDemoState(path, st); err != nil {
		return nil, err
	}
	return func() {
		var now demoState
		if b, err := os.ReadFile(path); err == nil && json.Unmarshal(b, &now) == nil && now.Token == st.Token {
			_ = os.Remove(path)
		}
	}, nil
}

// demoCtlPace is the pause between the steps demo-ctl reports, so that a
// restart reads like one in the run view. Tests set it to zero.
var demoCtlPace = 500 * time.Millisecond

// demoCtlTimeout bounds one call to the demo world.
const demoCtlTimeout = 15 * time.Second

// errNoDemo is the error of every demo-ctl call made without a running
// demo.
var errNoDemo = errors.New("no demo is running")

func newDemoCtlCmd() *cobra.Command {
	var stateFile string
	cmd := &cobra.Command{
		Use:   "demo-ctl",
		Short: "Restart, scale or inspect a service of the running demo world",
		Long: `demo-ctl drives the world of a running 'sitrep demo': the demo's actions
(restart_service, scale_up, check_health) run it as a real process. It finds
the demo through the state file that 'sitrep demo' writes.`,
		Hidden:        true,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmd.PersistentFlags().StringVar(&stateFile, "state-file", defaultDemoStatePath(), "the running demo's state file")
	world := func() (demoWorld, error) { return loadDemoControl(stateFile) }
	cmd.AddCommand(newDemoCtlRestartCmd(world), newDemoCtlScaleCmd(world), newDemoCtlStatusCmd(world))
	return cmd
}

// demoWorld is the running demo that a state file names.
type demoWorld struct {
	world.Control
	stateFile string
	pid       int
}

// explain turns a failed call into what the person at the terminal needs:
// a demo that has exited is "no demo is running".
func (w demoWorld) explain(what string, err error) error {
	if errors.Is(err, world.ErrUnreachable) {
		return fmt.Errorf("%w: the demo that wrote %s (pid %d) does not answer; start one with: sitrep demo (%v)", errNoDemo, w.stateFile, w.pid, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// serviceFlags are the flags every demo-ctl subcommand takes.
type serviceFlags struct{ service, env string }

func (f *serviceFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.service, "service", "", "the service (required)")
	cmd.Flags().StringVar(&f.env, "env", "", "the environment the service must run in: prod or staging")
	_ = cmd.MarkFlagRequired("service")
}

func newDemoCtlRestartCmd(find func() (demoWorld, error)) *cobra.Command {
	var f serviceFlags
	cmd := &cobra.Command{
		Use:   "restart",
		Short: "Restart every pod of a service, one at a time",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := find()
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), demoCtlTimeout)
			defer cancel()
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "restarting %s%s…\n", f.service, envSuffix(f.env))
			res, err := c.Restart(ctx, f.service, f.env)
			if err != nil {
				return c.explain("restart "+f.service, err)
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
		},
	}
	f.register(cmd)
	return cmd
}

func newDemoCtlScaleCmd(find func() (demoWorld, error)) *cobra.Command {
	var (
		f        serviceFlags
		replicas int
	)
	cmd := &cobra.Command{
		Use:   "scale",
		Short: "Set the number of a service's replicas",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if replicas < 1 || replicas > world.MaxReplicas {
				return fmt.Errorf("--replicas %d: want 1 to %d", replicas, world.MaxReplicas)
			}
			c, err := find()
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), demoCtlTimeout)
			defer cancel()
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "scaling %s%s to %d replicas…\n", f.service, envSuffix(f.env), replicas)
			res, err := c.Scale(ctx, f.service, f.env, replicas)
			if err != nil {
				return c.explain("scale "+f.service, err)
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
		},
	}
	f.register(cmd)
	cmd.Flags().IntVar(&replicas, "replicas", 0, fmt.Sprintf("the number of replicas wanted, 1 to %d (required)", world.MaxReplicas))
	_ = cmd.MarkFlagRequired("replicas")
	return cmd
}

func newDemoCtlStatusCmd(find func() (demoWorld, error)) *cobra.Command {
	var f serviceFlags
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show a service's pods and health; changes nothing",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := find()
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), demoCtlTimeout)
			defer cancel()
			st, err := c.Status(ctx, f.service, f.env)
			if err != nil {
				return c.explain("status of "+f.service, err)
			}
			printDemoStatus(cmd.OutOrStdout(), st, time.Now())
			return nil
		},
	}
	f.register(cmd)
	return cmd
}

func printDemoStatus(out io.Writer, st world.ServiceStatus, now time.Time) {
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

// pace waits demoCtlPace, or less if ctx ends.
func pace(ctx context.Context) error {
	if demoCtlPace <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(demoCtlPace)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// loadDemoControl reads the running demo's state file.
func loadDemoControl(path string) (demoWorld, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return demoWorld{}, fmt.Errorf("%w: %s does not exist; start one with: sitrep demo", errNoDemo, path)
	}
	if err != nil {
		return demoWorld{}, fmt.Errorf("read the demo's state file: %w", err)
	}
	var st demoState
	if err := json.Unmarshal(b, &st); err != nil {
		return demoWorld{}, fmt.Errorf("the demo's state file %s is not valid JSON: %w", path, err)
	}
	if st.ControlURL == "" || st.Token == "" {
		return demoWorld{}, fmt.Errorf("the demo's state file %s has no control URL: an older sitrep wrote it; restart the demo", path)
	}
	return demoWorld{Control: world.Control{URL: st.ControlURL, Token: st.Token}, stateFile: path, pid: st.PID}, nil
}
