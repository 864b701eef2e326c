package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"sitrep/sources/demo/world"
	"sitrep/sources/pagerduty"
)

// `sitrep oncall` says who is on call now for the escalation policies of
// the engineer's teams, at which level and until when, and when the
// engineer's own next shifts are: the question asked before paging
// someone, and before planning the week.

const (
	defaultShiftDays = 14
	maxShiftDays     = 90
	// onCallDeadline bounds the whole command: four kinds of request,
	// each with the client's own per-call deadline, rate-limit waits
	// included.
	onCallDeadline = 60 * time.Second
)

func newOnCallCmd(g *globalFlags) *cobra.Command {
	var (
		asJSON    bool
		days      int
		demoMode  bool
		stateFile string
	)
	cmd := &cobra.Command{
		Use:   "oncall",
		Short: "Who is on call now for your teams' escalation policies, and your next shifts",
		Long: `oncall lists, for each escalation policy of your teams in PagerDuty, who is
on call now at each level and until when (a level that names a user directly
has no end), then your own shifts over the next --days days.

With --demo it asks the running demo world.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if days < 1 || days > maxShiftDays {
				return usageError(fmt.Errorf("--days %d: give 1 to %d", days, maxShiftDays))
			}
			var feed *pagerduty.Client
			if demoMode {
				st, err := readDemoStateFile(stateFile)
				if err != nil {
					return err
				}
				feed = pagerduty.New(pagerduty.Config{APIURL: st.PagerDutyURL, Token: st.Token})
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
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), onCallDeadline)
			defer cancel()
			r, err := feed.OnCallReport(ctx, time.Now(), time.Duration(days)*24*time.Hour)
			if err != nil {
				return err
			}
			if asJSON {
				return writeOnCallJSON(cmd.OutOrStdout(), r)
			}
			return writeOnCall(cmd.OutOrStdout(), r, time.Now())
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().IntVar(&days, "days", defaultShiftDays, "how many days ahead to list your own shifts")
	cmd.Flags().BoolVar(&demoMode, "demo", false, "ask the running demo world")
	cmd.Flags().StringVar(&stateFile, "state-file", world.DefaultStatePath(), "with --demo: the running demo's state file")
	return cmd
}

func writeOnCall(w io.Writer, r pagerduty.OnCallReport, now time.Time) error {
	teams := make([]string, len(r.Me.Teams))
	for i, t := range r.Me.Teams {
		teams[i] = cell(t.Name)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	switch {
	case len(r.Me.Teams) == 0:
		fmt.Fprintf(tw, "%s is on no team in PagerDuty: no team policies to show.\n", cell(r.Me.Name))
	case len(r.Policies) == 0:
		fmt.Fprintf(tw, "The teams of %s (%s) have no escalation policies.\n", cell(r.Me.Name), strings.Join(teams, ", "))
	default:
		fmt.Fprintf(tw, "On call now for the teams of %s (%s):\n", cell(r.Me.Name), strings.Join(teams, ", "))
		fmt.Fprintln(tw, "POLICY\tLEVEL\tWHO\tUNTIL")
		for _, p := range r.Policies {
			for _, s := range p.OnCall {
				fmt.Fprintf(tw, "%s\tL%d\t%s\t%s\n", cell(p.Name), s.Level, cell(s.User.Name), cell(pagerduty.ShiftEnd(s.End, now, time.Local)))
			}
			for _, level := range p.Uncovered() {
				fmt.Fprintf(tw, "%s\tL%d\t%s\t%s\n", cell(p.Name), level, "nobody on call", "—")
			}
		}
	}
	fmt.Fprintln(tw)
	days := int(r.Until.Sub(r.Since).Round(time.Hour) / (24 * time.Hour))
	if len(r.MyShifts) == 0 {
		fmt.Fprintf(tw, "%s has no on-call shifts in the next %d days.\n", cell(r.Me.Name), days)
		return tw.Flush()
	}
	fmt.Fprintf(tw, "Shifts of %s in the next %d days:\n", cell(r.Me.Name), days)
	fmt.Fprintln(tw, "POLICY\tLEVEL\tFROM\tUNTIL")
	for _, s := range r.MyShifts {
		from := pagerduty.ShiftStart(s.Start, now, time.Local)
		fmt.Fprintf(tw, "%s\tL%d\t%s\t%s\n", cell(s.Policy.Name), s.Level, cell(from), cell(pagerduty.ShiftEnd(s.End, now, time.Local)))
	}
	return tw.Flush()
}

func writeOnCallJSON(w io.Writer, r pagerduty.OnCallReport) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
