package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"sitrep/sources/demo/world"
	"sitrep/sources/pagerduty"
	"sitrep/store/journal"
)

func newDemoCmd(g *globalFlags) *cobra.Command {
	var (
		seed       uint64
		tick       time.Duration
		escalateIn time.Duration
		stateFile  string
		as         string
	)
	// autoNotifyFirst shortens the demo's auto: countdowns, and stuckIn
	// brings the stuck indexer workers forward (both hidden, for tests).
	var autoNotifyFirst, stuckIn time.Duration
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run sitrep on the demo world: a scripted on-call night on loopback, no account needed",
		Long: `demo starts, inside this process and on 127.0.0.1 only, a PagerDuty API
emulator with a scripted storyline (a deploy followed by a 5xx spike, a
database out of connections, a flapping health check, and noise), and opens
sitrep on it. Nothing leaves the machine.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			scope := pagerduty.ScopeAll
			if cmd.Flags().Changed("scope") {
				s, err := pagerduty.ParseScope(g.scope)
				if err != nil {
					return err
				}
				scope = s
			}
			refresh := 5 * time.Second
			if cmd.Flags().Changed("refresh") {
				// The demo is local: it may refresh faster than a real
				// account should, but not in a busy loop.
				if g.refresh < time.Second {
					return fmt.Errorf("--refresh %s is too short for the demo: use 1s or more", g.refresh)
				}
				refresh = g.refresh
			}
			// Absolute, because the demo's actions are handed this path
			// and run in a directory of their own.
			stateFile, err := filepath.Abs(stateFile)
			if err != nil {
				return fmt.Errorf("--state-file: %w", err)
			}
			if as != "" {
				// A second person joins the running demo world.
				return runDemoAs(cmd.OutOrStdout(), g, as, stateFile, scope, refresh)
			}
			w, err := world.Start(world.Options{Seed: seed, Tick: tick, EscalateIn: escalateIn, StuckIn: stuckIn})
			if err != nil {
				return err
			}
			defer w.Close()
			remove, err := w.Publish(stateFile)
			if err != nil {
				return err
			}
			defer remove()
			// Other PagerDuty tools can be pointed at the emulator. One line
			// on stderr, before the cockpit takes the screen; the state file
			// holds the same while the demo runs.
			fmt.Fprintf(cmd.ErrOrStderr(), "sitrep demo: PagerDuty API %s token %s (both in %s)\n", w.PagerDutyURL, w.Token, stateFile)
			env, err := demoEnvironment(g, w, stateFile)
			if err != nil {
				return err
			}
			defer env.Close()
			opts := env.tuiOptions(scope, g.readOnly)
			opts.RefreshInterval = refresh
			opts.Automation, opts.Arm = env.tuiAutomation(autoNotifyFirst), g.arm
			// As the cockpit does: a shell beside the demo runs through it.
			d, doorErr := openDoor(env, opts.ReadOnly)
			opts.StartupCheck = joinChecks(opts.StartupCheck, doorNotice(doorErr, opts.ReadOnly))
			err = runTUI(env.feed, opts)
			if d != nil {
				d.Close()
			}
			path := env.journal.Path()
			fmt.Fprintf(cmd.OutOrStdout(), "The demo's journal is %s\nRead it with: sitrep journal ls --journal %s\n", path, path)
			return err
		},
	}
	cmd.Flags().Uint64Var(&seed, "seed", 1, "storyline seed: the same seed tells the same story")
	cmd.Flags().BoolVar(&g.arm, "arm", false, "arm notify-first automation: the demo's restart_stuck_worker runs by itself on a new stuck search-indexer incident after a countdown (ctrl+a toggles)")
	cmd.Flags().DurationVar(&autoNotifyFirst, "auto-notify-first", 0, "replace the countdown of the demo's auto: actions")
	cmd.Flags().DurationVar(&stuckIn, "stuck-in", 0, "how soon search-indexer's staging workers get stuck (default 3m)")
	// Hidden: tests see a countdown end in seconds.
	_ = cmd.Flags().MarkHidden("auto-notify-first")
	_ = cmd.Flags().MarkHidden("stuck-in")
	cmd.Flags().DurationVar(&tick, "tick", 20*time.Second, "how often the storyline moves on")
	cmd.Flags().DurationVar(&escalateIn, "escalate-in", 0, "how soon checkout-api's unacknowledged incident escalates (default 4m)")
	// Hidden: tests see checkout-api's incident escalate in seconds.
	_ = cmd.Flags().MarkHidden("escalate-in")
	cmd.Flags().StringVar(&as, "as", "", "join the running demo world as another of its people (bob, carmen, dev, erin), with a journal of your own: a second terminal for two-person approvals")
	cmd.Flags().StringVar(&stateFile, "state-file", world.DefaultStatePath(), "write the demo servers' addresses here, for demo-ctl and the demo's actions")
	return cmd
}

// openDemoJournal opens the demo's own journal, fresh for each run: the
// demo world's incident IDs repeat from run to run, and a journal is
// append-only, so last run's entries would shadow this run's. Another demo
// running on it is told apart first, so its journal is never pulled from
// under it; --read-only reads last run's journal as it is.
func openDemoJournal(g *globalFlags) (*journal.Journal, error) {
	if g.journal != "" {
		return journal.Open(g.journal, journal.Options{ReadOnly: g.readOnly})
	}
	path, err := demoJournalPath()
	if err != nil {
		return nil, err
	}
	if g.readOnly {
		return journal.Open(path, journal.Options{ReadOnly: true})
	}
	if old, err := journal.Open(path, journal.Options{}); err != nil {
		if errors.Is(err, journal.ErrLocked) {
			return nil, fmt.Errorf("another sitrep demo is running: %w; quit it, or give this one --journal FILE", err)
		}
		// A damaged or foreign file: a fresh one replaces it below.
	} else {
		old.Close()
	}
	for _, f := range []string{path, path + ".owner"} {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("start a fresh demo journal: %w", err)
		}
	}
	return journal.Open(path, journal.Options{})
}
