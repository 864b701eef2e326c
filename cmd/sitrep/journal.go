package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"sitrep/sources/sanitize"
	"sitrep/store/journal"
)

// journalPath is --journal, or the default under $XDG_DATA_HOME.
func (g globalFlags) journalPath() (string, error) {
	if g.journal != "" {
		return g.journal, nil
	}
	return journal.DefaultPath()
}

// openJournal opens the journal for the cockpit or a headless command.
func (g globalFlags) openJournal(readOnly bool) (*journal.Journal, error) {
	path, err := g.journalPath()
	if err != nil {
		return nil, err
	}
	return journal.Open(path, journal.Options{ReadOnly: readOnly || g.readOnly})
}

// demoJournalPath is the demo's own journal, beside the real one and
// never the same file.
func demoJournalPath() (string, error) {
	p, err := journal.DefaultPath()
	if err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(p), "demo-journal.db"), nil
}

func newJournalCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "journal",
		Short: "Read and verify the journal",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "ls",
		Short: "List journaled incidents with their entry counts and first and last times",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			j, err := g.openJournal(true)
			if err != nil {
				return err
			}
			defer j.Close()
			return journalLs(cmd.OutOrStdout(), j)
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "show INCIDENT_ID",
		Short: "Print an incident's journal",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			j, err := g.openJournal(true)
			if err != nil {
				return err
			}
			defer j.Close()
			return journalShow(cmd.Context(), cmd.OutOrStdout(), j, args[0])
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "verify",
		Short: "Walk the hash chain; exit 0 when intact, else name the first bad entry",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			j, err := g.openJournal(true)
			if err != nil {
				return err
			}
			defer j.Close()
			rep, err := j.Verify(cmd.Context())
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", j.Path(), rep)
			if err != nil {
				return fmt.Errorf("verify %s: %w", j.Path(), err)
			}
			return nil
		},
	})
	return cmd
}

func journalLs(w io.Writer, j *journal.Journal) error {
	sums, err := j.Incidents()
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "INCIDENT\tENTRIES\tFIRST (UTC)\tLAST (UTC)")
	for _, s := range sums {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", sanitize.Line(s.ID), s.Entries, s.First.UTC().Format(time.DateTime), s.Last.UTC().Format(time.DateTime))
	}
	return tw.Flush()
}

func journalShow(ctx context.Context, w io.Writer, j *journal.Journal, id string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tAT (UTC)\tKIND\tACTOR\tSUMMARY")
	n := 0
	err := j.EachOf(ctx, id, func(e journal.Entry) error {
		n++
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", e.Seq, e.At.UTC().Format(time.DateTime), e.Kind, sanitize.Line(e.Actor), sanitize.Line(e.Summary))
		return nil
	})
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("nothing is journaled for incident %q (sitrep journal ls lists what is)", id)
	}
	return tw.Flush()
}

// exitCode maps errors to the process's exit status: verify's broken chain
// is 2, so scripts can tell it from a journal that could not be read.
func exitCode(err error) int {
	if errors.Is(err, journal.ErrBroken) {
		return 2
	}
	return 1
}
