package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
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
			r, err := readOnCall(ctx, feed, time.Now(), time.Duration(days)*24*time.Hour)
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

// onCallReport is everything the command shows.
type onCallReport struct {
	Me       pagerduty.User    `json:"user"`
	Since    time.Time         `json:"since"`
	Until    time.Time         `json:"until"`
	Policies []policyOnCall    `json:"policies"`
	MyShifts []pagerduty.Shift `json:"my_shifts"`
}

// policyOnCall is one policy of the engineer's teams with who is on call
// for it now; Levels is how many levels its rules have, so that a level
// nobody covers shows.
type policyOnCall struct {
	pagerduty.Ref
	Levels int               `json:"levels"`
	OnCall []pagerduty.Shift `json:"on_call"`
}

// readOnCall asks PagerDuty: the token's owner and teams, the teams'
// policies, who is on call for them now, and the owner's shifts from now
// to now+ahead.
func readOnCall(ctx context.Context, feed *pagerduty.Client, now time.Time, ahead time.Duration) (onCallReport, error) {
	now = now.UTC().Truncate(time.Second)
	r := onCallReport{Since: now, Until: now.Add(ahead), Policies: []policyOnCall{}, MyShifts: []pagerduty.Shift{}}
	me, err := feed.Me(ctx)
	if err != nil {
		return r, err
	}
	r.Me = me
	teamIDs := make([]string, 0, len(me.Teams))
	for _, t := range me.Teams {
		teamIDs = append(teamIDs, t.ID)
	}
	policies, err := feed.PoliciesOfTeams(ctx, teamIDs)
	if err != nil {
		return r, err
	}
	sort.SliceStable(policies, func(i, j int) bool { return policies[i].Name < policies[j].Name })
	if len(policies) > 0 {
		ids := make([]string, len(policies))
		for i, p := range policies {
			ids[i] = p.ID
		}
		shifts, err := feed.Shifts(ctx, pagerduty.ShiftQuery{PolicyIDs: ids})
		if err != nil {
			return r, err
		}
		for _, p := range policies {
			po := policyOnCall{Ref: p.Ref, Levels: len(p.Rules), OnCall: []pagerduty.Shift{}}
			for _, s := range shifts {
				if s.Policy.ID == p.ID {
					po.OnCall = append(po.OnCall, s)
				}
			}
			r.Policies = append(r.Policies, po)
		}
	}
	mine, err := feed.Shifts(ctx, pagerduty.ShiftQuery{UserIDs: []string{me.ID}, Since: r.Since, Until: r.Until})
	if err != nil {
		return r, err
	}
	sort.SliceStable(mine, func(i, j int) bool { return mine[i].Start.Before(mine[j].Start) })
	r.MyShifts = append(r.MyShifts, mine...)
	return r, nil
}

func writeOnCall(w io.Writer, r onCallReport, now time.Time) error {
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
			covered := map[int]bool{}
			for _, s := range p.OnCall {
				covered[s.Level] = true
				fmt.Fprintf(tw, "%s\tL%d\t%s\t%s\n", cell(p.Name), s.Level, cell(s.User.Name), cell(shiftEnd(s.End, now)))
			}
			for level := 1; level <= p.Levels; level++ {
				if !covered[level] {
					fmt.Fprintf(tw, "%s\tL%d\t%s\t%s\n", cell(p.Name), level, "nobody on call", "—")
				}
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
		from := "now"
		if s.Start.After(now) {
			from = shiftTime(s.Start, now)
		}
		fmt.Fprintf(tw, "%s\tL%d\t%s\t%s\n", cell(s.Policy.Name), s.Level, cell(from), cell(shiftEnd(s.End, now)))
	}
	return tw.Flush()
}

// shiftEnd is when a shift ends; an open-ended one never does.
func shiftEnd(end, now time.Time) string {
	if end.IsZero() {
		return "no end"
	}
	return shiftTime(end, now)
}

// shiftTime is a time in the local zone with how far off it is:
// "Mon 30 Nov 09:00 (in 14h05m)".
func shiftTime(t, now time.Time) string {
	s := t.Local().Format("Mon 02 Jan 15:04")
	if d := t.Sub(now); d > 0 {
		return s + " (in " + pagerduty.Countdown(d.Truncate(time.Minute)) + ")"
	}
	return s
}

func writeOnCallJSON(w io.Writer, r onCallReport) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
