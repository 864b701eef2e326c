package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

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
	cmd.AddCommand(newJournalLsCmd(g), withIncidentArg(newJournalShowCmd(g), g), newJournalPackCmd(g))
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
