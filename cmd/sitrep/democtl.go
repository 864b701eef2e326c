package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"sitrep/sources/demo/world"
)

// demoCtlPace is the pause between the steps demo-ctl reports, so that a
// restart reads like one in the run view. Tests set it to zero.
var demoCtlPace = 500 * time.Millisecond

// demoCtlTimeout bounds one call to the demo world.
const demoCtlTimeout = 15 * time.Second

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
	cmd.PersistentFlags().StringVar(&stateFile, "state-file", world.DefaultStatePath(), "the running demo's state file")
	cmd.AddCommand(newDemoCtlRestartCmd(&stateFile), newDemoCtlScaleCmd(&stateFile), newDemoCtlStatusCmd(&stateFile))
	return cmd
}

func newDemoCtlRestartCmd(stateFile *string) *cobra.Command {
	var f serviceFlags
	cmd := &cobra.Command{
		Use:   "restart",
		Short: "Restart every pod of a service, one at a time",
		Args:  cobra.NoArgs,
		RunE: onDemo(stateFile, func(ctx context.Context, d world.RunningDemo, out io.Writer) error {
			return d.ReportRestart(ctx, out, world.PaceEvery(demoCtlPace), f.service, f.env)
		}),
	}
	f.register(cmd)
	return cmd
}

func newDemoCtlScaleCmd(stateFile *string) *cobra.Command {
	var (
		f        serviceFlags
		replicas int
	)
	cmd := &cobra.Command{
		Use:   "scale",
		Short: "Set the number of a service's replicas",
		Args:  cobra.NoArgs,
		PreRunE: func(*cobra.Command, []string) error {
			if replicas < 1 || replicas > world.MaxReplicas {
				return fmt.Errorf("--replicas %d: want 1 to %d", replicas, world.MaxReplicas)
			}
			return nil
		},
		RunE: onDemo(stateFile, func(ctx context.Context, d world.RunningDemo, out io.Writer) error {
			return d.ReportScale(ctx, out, world.PaceEvery(demoCtlPace), f.service, f.env, replicas)
		}),
	}
	f.register(cmd)
	cmd.Flags().IntVar(&replicas, "replicas", 0, fmt.Sprintf("the number of replicas wanted, 1 to %d (required)", world.MaxReplicas))
	_ = cmd.MarkFlagRequired("replicas")
	return cmd
}

func newDemoCtlStatusCmd(stateFile *string) *cobra.Command {
	var f serviceFlags
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show a service's pods and health; changes nothing",
		Args:  cobra.NoArgs,
		RunE: onDemo(stateFile, func(ctx context.Context, d world.RunningDemo, out io.Writer) error {
			return d.ReportStatus(ctx, out, f.service, f.env, time.Now())
		}),
	}
	f.register(cmd)
	return cmd
}

// onDemo is a demo-ctl subcommand's RunE: it finds the running demo that
// *stateFile names and gives do one call's time with it.
func onDemo(stateFile *string, do func(ctx context.Context, d world.RunningDemo, out io.Writer) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		d, err := world.LoadRunning(*stateFile)
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(cmd.Context(), demoCtlTimeout)
		defer cancel()
		return do(ctx, d, cmd.OutOrStdout())
	}
}

// serviceFlags are the flags every demo-ctl subcommand takes.
type serviceFlags struct{ service, env string }

func (f *serviceFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.service, "service", "", "the service (required)")
	cmd.Flags().StringVar(&f.env, "env", "", "the environment the service must run in: prod or staging")
	_ = cmd.MarkFlagRequired("service")
}
