package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/spf13/cobra"

	"sitrep/sources/sanitize"
	"sitrep/store/journal"
	"sitrep/store/stats"
)

// `sitrep stats`: the journal read back across incidents, for a review of
// the team's automation.

const statsHelp = `stats reads the journal back across incidents over a window (--since, 30
days by default) and prints:

  actions      per action: runs, runs by hand, failures, timeouts, cancels,
               blocked attempts by guard rule, outcomes (helped / no effect /
               worse / unknown), median duration, the median of each metric
               before and after, and the last run that made things worse
  services     per service: incidents, their triage classes, the median time
               to acknowledge and to resolve, the actions that helped there
  candidates   what to automate next, each with why: a runbook step ticked by
               hand in 3 or more incidents; an action run by hand 5 or more
               times that helped every time and never failed; the same note
               written in 3 or more incidents
  hurt         actions that made things worse, failed or timed out in more
               than 25% of 4 or more runs, or whose armed runs were vetoed

It reads the journal read-only, and works while a cockpit holds it (it reads
a snapshot). On a terminal each line fits its width; piped, nothing is cut.

--markdown prints the same as a document for a review meeting.

--json prints one JSON object with these fields:
  since, until          the window, RFC 3339, UTC (since is the zero time
                        with --since all)
  entries               journal entries in the window
  actions[]             action, runs (started), by_hand (confirmed by a
                        person), failures, timeouts, cancels, interrupted,
                        blocked (object: guard rule -> attempts that never
                        ran), vetoed, outcomes {helped, no_effect, worse,
                        unknown (includes runs never judged)},
                        median_duration_ms, metrics[] {name, unit, runs,
                        before, after (medians)}, last_worse {at, incident,
                        service} or null
  services[]            service, incidents, classes (object: class ->
                        incidents), acknowledged, median_ack_seconds,
                        resolved, median_resolve_seconds, helped[] {action,
                        runs}
  candidates[]          kind (runbook_step, action, note), what, runbook (for
                        a step), incidents, times, why
  hurt[]                action, runs, worse, failures (failed or timed out),
                        failure_rate (0 to 1), vetoed, why`

func newStatsCmd(g *globalFlags) *cobra.Command {
	var (
		since              string
		asJSON, asMarkdown bool
		js                 *journalSetFlags
	)
	cmd := &cobra.Command{
		Use:   "stats [--since 30d] [--markdown | --json]",
		Short: "Review the automation: per action and service figures, what to automate next, what hurt",
		Long:  statsHelp,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if asJSON && asMarkdown {
				return usageError(errors.New("--json and --markdown: choose one"))
			}
			window, err := parseSince(since)
			if err != nil {
				return usageError(err)
			}
			now := time.Now().UTC()
			opts := stats.Options{Until: now}
			if window > 0 {
				opts.Since = now.Add(-window)
			}
			rep, err := statsReport(cmd.Context(), g, js, cmd.ErrOrStderr(), opts)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			switch {
			case asJSON:
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			case asMarkdown:
				_, err := io.WriteString(w, stats.Markdown(rep))
				return err
			}
			return statsTable(w, rep, terminalWidth(w))
		},
	}
	cmd.Flags().StringVar(&since, "since", "30d", "the window: how far back, as 30d, 2w, 12h or 90m, or all")
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object (fields in --help)")
	cmd.Flags().BoolVar(&asMarkdown, "markdown", false, "a markdown document for a review meeting")
	js = addJournalSetFlags(cmd, g)
	return cmd
}

// parseSince reads --since: Nd, Nw, a Go duration (12h, 90m), or all
// (0: every entry).
func parseSince(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	bad := fmt.Errorf("--since %q: want how far back, as 30d, 2w, 12h or 90m, or all", s)
	switch {
	case s == "all":
		return 0, nil
	case s == "":
		return 0, bad
	}
	unit := time.Duration(0)
	switch s[len(s)-1] {
	case 'd':
		unit = 24 * time.Hour
	case 'w':
		unit = 7 * 24 * time.Hour
	}
	var d time.Duration
	if unit > 0 {
		n, err := strconv.Atoi(s[:len(s)-1])
		if err != nil || n <= 0 || n > 100*365 {
			return 0, bad
		}
		d = time.Duration(n) * unit
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil || d <= 0 {
			return 0, bad
		}
	}
	return d, nil
}

// statsReport computes the figures over the entries statsEntries gives.
func statsReport(ctx context.Context, g *globalFlags, js *journalSetFlags, stderr io.Writer, opts stats.Options) (stats.Report, error) {
	entries, done, err := statsEntries(ctx, g, js, stderr)
	if err != nil {
		return stats.Report{}, err
	}
	defer done()
	return stats.Compute(entries, opts)
}

// statsEntries is where the figures come from: the one journal, read-only
// (a snapshot while a cockpit writes it), or with --journal repeated
// several journals and packs, each verified first and each PagerDuty
// event once (journalpack.go). done releases what it opened.
func statsEntries(ctx context.Context, g *globalFlags, js *journalSetFlags, stderr io.Writer) (entries iter.Seq2[journal.Entry, error], done func(), err error) {
	if js != nil && js.several() {
		set, err := js.open(ctx, g, stderr)
		if err != nil {
			return nil, nil, err
		}
		return set.Seq(ctx), func() { set.Close() }, nil
	}
	j, err := g.openJournal(true)
	if err != nil {
		return nil, nil, err
	}
	path := j.Path()
	seq := stats.FromJournal(ctx, j)
	return func(yield func(journal.Entry, error) bool) {
		for e, err := range seq {
			if err != nil {
				err = fmt.Errorf("read %s: %w", path, err)
			}
			if !yield(e, err) {
				return
			}
		}
	}, func() { j.Close() }, nil
}

// statsCellMax bounds a name in the table, so one long name does not push
// every column off a terminal.
const statsCellMax = 40

// statsTable prints the report as aligned tables; a width > 0 cuts each
// line to it.
func statsTable(w io.Writer, rep stats.Report, width int) error {
	var b strings.Builder
	line := func(s string) { b.WriteString(s + "\n") }
	line("Window: " + stats.Window(rep) + " · " + strconv.Itoa(rep.Entries) + " entries")

	line("")
	line("ACTIONS")
	if len(rep.Actions) == 0 {
		line("  none previewed or run in the window")
	} else {
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		// The outcomes share a column, so that the table keeps the
		// median and the blocks within 80 columns.
		fmt.Fprintln(tw, "action\truns\tby hand\tfailed\ttimeout\tcancel\th/n/w/u\tmedian\tblocked")
		for _, a := range rep.Actions {
			o := a.Outcomes
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d/%d/%d/%d\t%s\t%s\n", statsCell(a.Action), a.Runs, a.ByHand, a.Failures, a.Timeouts,
				a.Cancels, o.Helped, o.NoEffect, o.Worse, o.Unknown, orDash(stats.DurationText(a.MedianDurationMS)), orDash(statsCell(stats.BlockedText(a.Blocked))))
		}
		tw.Flush()
		line("  h/n/w/u: the outcomes given, helped / no effect / worse / unknown or not given")
		for _, a := range rep.Actions {
			for _, m := range a.Metrics {
				line("  " + statsText(a.Action+": "+stats.MetricText(m)))
			}
			if a.LastWorse != nil {
				line("  " + statsText(a.Action+" last made things worse "+stats.WorseText(*a.LastWorse)))
			}
		}
	}

	line("")
	line("SERVICES")
	if len(rep.Services) == 0 {
		line("  no incident in the window")
	} else {
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "service\tincidents\tto ack\tto resolve\tclasses\thelped there")
		for _, s := range rep.Services {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", statsCell(s.Service), s.Incidents,
				orDash(stats.SecondsText(s.MedianAckSeconds, s.Acknowledged)), orDash(stats.SecondsText(s.MedianResolveSeconds, s.Resolved)),
				orDash(statsCell(stats.ClassesText(s.Classes))), orDash(statsCell(stats.HelpedText(s.Helped))))
		}
		tw.Flush()
	}

	line("")
	line("AUTOMATION CANDIDATES")
	if len(rep.Candidates) == 0 {
		line("  nothing repeated often enough to suggest")
	}
	for _, c := range rep.Candidates {
		line("  " + stats.CandidateLabel(c.Kind) + ": " + statsText(stats.CandidateText(c)) + " — " + statsText(c.Why))
	}

	line("")
	line("AUTOMATION THAT HURT")
	if len(rep.Hurt) == 0 {
		line("  none made things worse, failed too often or was vetoed")
	}
	for _, h := range rep.Hurt {
		line("  " + statsText(h.Action) + ": " + statsText(h.Why))
	}

	out := b.String()
	if width > 0 {
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		for i, l := range lines {
			lines[i] = ansi.Truncate(l, width, "…")
		}
		out = strings.Join(lines, "\n") + "\n"
	}
	_, err := io.WriteString(w, out)
	return err
}

// statsText is journal text made safe for a terminal: one line, no
// control sequences.
func statsText(s string) string { return sanitize.Line(s) }

// statsCell is statsText cut to statsCellMax, for a column.
func statsCell(s string) string {
	return ansi.Truncate(statsText(s), statsCellMax, "…")
}

// journalStats is the Stats screen's source (S): the cockpit's own
// journal, read in one read transaction while the cockpit keeps writing.
type journalStats struct{ j *journal.Journal }

func (s journalStats) Stats(ctx context.Context, opts stats.Options) (stats.Report, error) {
	rep, err := stats.Compute(stats.FromJournal(ctx, s.j), opts)
	if err != nil {
		return rep, fmt.Errorf("read %s: %w", s.j.Path(), err)
	}
	return rep, nil
}
