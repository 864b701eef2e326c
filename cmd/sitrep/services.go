package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"sitrep/sources/demo/world"
	"sitrep/sources/pagerduty"
	"sitrep/sources/sanitize"
)

// `sitrep services` lists the account's services and teams, so that the
// config's services: keys can be written as PagerDuty spells them.

func newServicesCmd(g *globalFlags) *cobra.Command {
	var (
		asJSON    bool
		demoMode  bool
		stateFile string
	)
	cmd := &cobra.Command{
		Use:   "services",
		Short: "List PagerDuty's services and teams: the names and IDs services: keys may use",
		Long: `services lists the account's services (name, ID, escalation policy, teams) and
its teams. A services: key in the config must be a service's exact name or
its ID; the CONFIG column shows which key, if any, names each service.

With --demo it lists the running demo world's.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var (
				feed *pagerduty.Client
				cfg  *config
			)
			if demoMode {
				st, err := readDemoStateFile(stateFile)
				if err != nil {
					return err
				}
				feed = pagerduty.New(pagerduty.Config{APIURL: st.PagerDutyURL, Token: st.Token})
				cfg = demoConfigAt(st.MetricsURL)
			} else {
				c, err := g.settings(cmd)
				if err != nil {
					return err
				}
				token, err := c.token(cmd.Context())
				if err != nil {
					return err
				}
				feed = pagerduty.New(pagerduty.Config{APIURL: c.APIURL, Token: token})
				cfg = &c
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
			defer cancel()
			svcs, err := feed.Services(ctx)
			if err != nil {
				return err
			}
			teams, err := feed.Teams(ctx)
			if err != nil {
				return err
			}
			sort.SliceStable(svcs, func(a, b int) bool { return svcs[a].Name < svcs[b].Name })
			sort.SliceStable(teams, func(a, b int) bool { return teams[a].Name < teams[b].Name })
			if asJSON {
				return writeServicesJSON(cmd.OutOrStdout(), svcs, teams, cfg)
			}
			return writeServices(cmd.OutOrStdout(), svcs, teams, cfg)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&demoMode, "demo", false, "list the running demo world's services")
	cmd.Flags().StringVar(&stateFile, "state-file", world.DefaultStatePath(), "with --demo: the running demo's state file")
	return cmd
}

// readDemoStateFile reads a running demo's state file, or says how to
// start one.
func readDemoStateFile(path string) (world.State, error) {
	var st world.State
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return st, fmt.Errorf("%w (%s is not there): start one with sitrep demo, and run this in another terminal", world.ErrNoDemo, path)
	}
	if err != nil {
		return st, fmt.Errorf("read the demo's state: %w", err)
	}
	if err := json.Unmarshal(b, &st); err != nil || st.PagerDutyURL == "" {
		return st, fmt.Errorf("%s is not a demo state file; start a demo with sitrep demo", path)
	}
	if st.PID > 0 && !demoAlive(st.PID) {
		return st, fmt.Errorf("%w: the demo that wrote %s (pid %d) has exited; start one with sitrep demo", world.ErrNoDemo, path, st.PID)
	}
	return st, nil
}

// demoAlive reports whether the process that wrote a demo state file is
// still there: a demo killed outright leaves its state file behind.
func demoAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	return !errors.Is(p.Signal(syscall.Signal(0)), os.ErrProcessDone)
}

// configKey is the services: key that names s, if any.
func configKey(cfg *config, s pagerduty.Service) string {
	if _, ok := cfg.Services[s.Name]; ok {
		return s.Name
	}
	if _, ok := cfg.Services[s.ID]; ok {
		return s.ID
	}
	return ""
}

func writeServices(w io.Writer, svcs []pagerduty.Service, teams []pagerduty.Team, cfg *config) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tID\tESCALATION POLICY\tTEAMS\tCONFIG")
	for _, s := range svcs {
		names := make([]string, len(s.Teams))
		for i, t := range s.Teams {
			names[i] = t.Name
		}
		key := configKey(cfg, s)
		if key != "" {
			key = "✓ " + key
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", cell(s.Name), cell(s.ID), cell(s.EscalationPolicy.Name), cell(strings.Join(names, ", ")), cell(key))
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "TEAM\tID")
	for _, t := range teams {
		fmt.Fprintf(tw, "%s\t%s\n", cell(t.Name), cell(t.ID))
	}
	return tw.Flush()
}

// cell is a table cell: one sanitized line without the tabs that would
// break the alignment, and a dash when empty.
func cell(s string) string {
	s = strings.ReplaceAll(sanitize.Line(s), "\t", " ")
	if s == "" {
		return "—"
	}
	return s
}

func writeServicesJSON(w io.Writer, svcs []pagerduty.Service, teams []pagerduty.Team, cfg *config) error {
	type service struct {
		pagerduty.Service
		ConfigKey string `json:"config_key,omitempty"`
	}
	out := struct {
		Services []service        `json:"services"`
		Teams    []pagerduty.Team `json:"teams"`
	}{Services: []service{}, Teams: teams}
	if out.Teams == nil {
		out.Teams = []pagerduty.Team{}
	}
	for _, s := range svcs {
		out.Services = append(out.Services, service{s, configKey(cfg, s)})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// serviceKeyCheck is the cockpit's start-up check: the doctor's service-key
// rows in one line, so that a key PagerDuty does not know shows before its
// empty panes are noticed.
func serviceKeyCheck(cfg *config, feed *pagerduty.Client) func(context.Context) (string, error) {
	var keys []string
	for k := range cfg.Services {
		if k != "default" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return func(ctx context.Context) (string, error) {
		if len(keys) == 0 {
			return "", nil
		}
		svcs, err := feed.Services(ctx)
		if err != nil {
			// PagerDuty out of reach is named by the refresh already;
			// doctor checks the keys when it answers.
			return "", nil
		}
		type mismatch struct{ key, near string }
		var bad []mismatch
		for _, k := range keys {
			if _, ok := matchService(svcs, k); ok {
				continue
			}
			m := mismatch{key: fmt.Sprintf("%q", k)}
			if near := nearestServices(svcs, k, 1); len(near) > 0 {
				m.near = " (nearest: " + strings.Fields(near[0])[0] + ")"
			}
			bad = append(bad, m)
		}
		switch len(bad) {
		case 0:
			return "", nil
		case 1:
			// What to run comes first: at 80 columns the tail is cut.
			return "services: " + bad[0].key + " names no PagerDuty service; run sitrep doctor" + bad[0].near, nil
		}
		keys := make([]string, len(bad))
		for i, b := range bad {
			keys[i] = b.key + b.near
		}
		return fmt.Sprintf("services: %d keys name no PagerDuty service; run sitrep doctor (%s)", len(bad), strings.Join(keys, ", ")), nil
	}
}
