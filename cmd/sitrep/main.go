// Command sitrep is a terminal incident cockpit for on-call engineers.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/spf13/cobra"

	"sitrep/sources/pagerduty"
	"sitrep/sources/sanitize"
	"sitrep/tui"
)

func main() {
	if err := newRootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "sitrep:", err)
		os.Exit(exitCode(err))
	}
}

// globalFlags are the flags several commands share; addGlobalFlags gives
// each command those it reads.
type globalFlags struct {
	configPath string
	apiURL     string
	scope      string
	refresh    time.Duration
	journal    string
	readOnly   bool
	// arm arms notify-first automation at start (sitrep, sitrep demo).
	arm bool
}

func newRootCmd() *cobra.Command {
	var g globalFlags
	root := &cobra.Command{
		Use:   "sitrep",
		Short: "A terminal incident cockpit for on-call engineers",
		Long: `sitrep shows your active PagerDuty incidents, what changed around them, and
what the safe fix is, and keeps a journal of everything that happened.

The token comes from PAGERDUTY_TOKEN, or token_cmd in the config file.
Try it without an account: sitrep demo`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLive(cmd.Context(), cmd, g)
		},
	}
	root.AddCommand(newDemoCtlCmd(), newDemoCmd(&g), newJournalCmd(&g), newExportCmd(&g), newActionsCmd(&g), newRunCmd(&g), newDoctorCmd(&g), newServicesCmd(&g), newOnCallCmd(&g), newInitCmd(&g), newWatchCmd(&g), newStatsCmd(&g))
	addVersion(root)
	addGlobalFlags(root, &g)
	root.Flags().BoolVar(&g.arm, "arm", false, "arm notify-first automation for this session: an auto: action may run by itself on a new incident, announced on it first with a countdown anyone can veto (ctrl+a toggles)")
	shellConventions(root)
	return root
}

// settings is the config file with the flags laid over it.
func (g globalFlags) settings(cmd *cobra.Command) (config, error) {
	path, named := g.configPath, g.configPath != ""
	if !named {
		p, err := configPath()
		if err != nil {
			return config{}, err
		}
		path = p
	}
	cfg, err := loadConfig(path, named)
	if err != nil {
		return cfg, err
	}
	if g.apiURL != "" {
		if err := checkAPIURL(g.apiURL); err != nil {
			return cfg, usageError(fmt.Errorf("--api-url: %w", err))
		}
		cfg.APIURL = g.apiURL
	}
	if cmd.Flags().Changed("scope") {
		if _, err := pagerduty.ParseScope(g.scope); err != nil {
			return cfg, usageError(fmt.Errorf("--scope: %w", err))
		}
		cfg.Scope = g.scope
	}
	if cmd.Flags().Changed("refresh") {
		if g.refresh < minRefresh {
			return cfg, usageError(fmt.Errorf("--refresh %s is too short: PagerDuty rate-limits the account, use %s or more", g.refresh, minRefresh))
		}
		cfg.RefreshInterval = g.refresh
	}
	return cfg, nil
}

func runLive(ctx context.Context, cmd *cobra.Command, g globalFlags) error {
	env, err := g.environment(cmd)
	if err != nil {
		return err
	}
	defer env.Close()
	scope, _ := pagerduty.ParseScope(env.cfg.Scope)
	opts := env.tuiOptions(scope, g.readOnly)
	opts.OpenURL = openBrowser
	opts.Automation, opts.Arm = env.tuiAutomation(0), g.arm
	opts.StartupCheck = joinChecks(opts.StartupCheck, serviceKeyCheck(env.cfg, env.feed))
	// The door lets `sitrep run` in another shell run through this
	// sitrep, which holds the journal (door.go).
	d, err := openDoor(env, opts.ReadOnly)
	if d != nil {
		defer d.Close() // before env closes: runs in flight are journaled
	}
	opts.StartupCheck = joinChecks(opts.StartupCheck, doorNotice(err, opts.ReadOnly))
	return runTUI(env.feed, opts)
}

// rendererFPS is how often Bubble Tea's renderer wakes to draw a changed
// view. It wakes that often whether or not anything changed, each wake
// costing about five thread wake-ups, so it is most of what an idle
// cockpit costs: 30 instead of the default 60 halves that (BENCHMARKS.md,
// idle CPU), while a keystroke waits at most 33 ms for its frame and
// writes the same bytes. WithFPS is the renderer's only knob (under 1
// means 60); the ticker itself cannot be stopped while nothing changes.
const rendererFPS = 30

// runTUI runs the cockpit until the engineer quits.
func runTUI(feed tui.Feed, opts tui.Options) error {
	p := tea.NewProgram(tui.New(feed, opts), tea.WithFPS(rendererFPS))
	final, err := p.Run()
	if m, ok := final.(tui.Model); ok {
		// A countdown announced on an incident is cancelled and the
		// cancellation announced, not left to look as if it will run.
		for _, f := range m.StopAutomation() {
			fmt.Fprintln(os.Stderr, "sitrep:", sanitize.Line(f))
		}
	}
	if err != nil && !errors.Is(err, tea.ErrProgramKilled) {
		return fmt.Errorf("terminal: %w", err)
	}
	return nil
}

// openBrowser hands a link to the desktop's opener; it returns once the
// opener has started.
func openBrowser(url string) error {
	name := "xdg-open"
	if runtime.GOOS == "darwin" {
		name = "open"
	}
	cmd := exec.Command(name, url)
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait() // reap it; its exit status says nothing useful
	return nil
}
