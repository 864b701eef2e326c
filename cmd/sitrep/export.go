package main

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"sitrep/actions"
	"sitrep/sources/pagerduty"
	"sitrep/sources/sanitize"
	"sitrep/store/journal"
	"sitrep/store/recorder"
)

func newExportCmd(g *globalFlags) *cobra.Command {
	var (
		out   string
		force bool
		js    *journalSetFlags
	)
	cmd := &cobra.Command{
		Use:   "export INCIDENT",
		Short: "Write an incident's post-mortem draft as markdown (stdout, or -o FILE)",
		Long: `export merges the incident's PagerDuty timeline with sitrep's journal into a
post-mortem draft: the facts filled in, the rest marked for the team.

The incident is named by its number (#9 or 9) or its PagerDuty ID
(Q000009). It reads PagerDuty when a token is configured and reachable, and
otherwise works from what the journal kept of the incident.

With --journal repeated, it reads several engineers' journals, or packs
(sitrep journal pack), together: each verified first, a broken one named
and left out (--include-unverified reads it, marked), entries merged by
time, each PagerDuty event once. The Audit section lists each with its
head. Nothing is journaled then.`,
		Args: oneIncident,
		RunE: func(cmd *cobra.Command, args []string) error {
			if js.several() {
				return exportSet(cmd, g, js, args[0], out, force)
			}
			j, err := g.openJournal(false)
			held := errors.Is(err, journal.ErrLocked)
			if held {
				// A running sitrep holds the journal: export from a
				// read-only view; the holder journals the export.
				j, err = g.openJournal(true)
			}
			if err != nil {
				return err
			}
			defer j.Close()
			// Runs an earlier sitrep died during are marked before they
			// are exported, as any start marks them.
			if runs, err := recorder.MarkInterrupted(cmd.Context(), j, startHead(j)); err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "sitrep: %v\n", err)
			} else if n := recorder.InterruptedNotice(runs); n != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "sitrep: %s\n", sanitize.Line(n))
			}

			feed, finder, secrets := exportFeed(cmd, g)
			id, err := resolveIncident(cmd.Context(), args[0], j, finder)
			if err != nil {
				return err
			}
			rec := recorder.New(j, feed, "")
			rec.SetSecrets(secrets)
			exportPast(cmd, g, rec, feed)
			var buf bytes.Buffer
			if err := rec.ExportTo(cmd.Context(), &buf, id); err != nil {
				return err
			}
			where, err := writeExportOut(cmd, out, force, buf.Bytes())
			if err != nil {
				return err
			}
			if held {
				// Through the holder's door (door.go); the export is done
				// either way, and the shell is told when it is not journaled.
				if err := journalExportThroughDoor(cmd.Context(), j.Path(), id, where, buf.Len()); err != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "sitrep: %v\n", err)
				}
				return nil
			}
			return rec.RecordExport(cmd.Context(), id, where, buf.Len())
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to FILE (created 0600; never through a symbolic link) instead of stdout")
	cmd.Flags().BoolVar(&force, "force", false, "replace FILE if it exists")
	js = addJournalSetFlags(cmd, g)
	return withIncidentArg(cmd, g)
}

// exportFeed is PagerDuty for an export, when a token is configured (nil
// otherwise: the journal alone), and the secrets the cockpit hides.
func exportFeed(cmd *cobra.Command, g *globalFlags) (recorder.Feed, incidentFinder, *sanitize.Secrets) {
	var feed recorder.Feed // nil: journal only
	var finder incidentFinder
	secrets := &sanitize.Secrets{}
	if cfg, err := g.settings(cmd); err == nil {
		token, err := cfg.token(cmd.Context())
		if err == nil {
			pd := pagerduty.New(pagerduty.Config{APIURL: cfg.APIURL, Token: token})
			feed, finder = pd, pd
		}
		// The export hides the secrets the cockpit hides.
		cat, _ := actions.Load(catalogueDirs(cfg.actionsDir())...)
		secrets = knownSecrets(&cfg, token, cat)
	}
	return feed, finder, secrets
}

// writeExportOut writes the export to stdout, or to FILE; where is
// "stdout" or the file's absolute path.
func writeExportOut(cmd *cobra.Command, out string, force bool, data []byte) (where string, err error) {
	if out == "" || out == "-" {
		_, err := cmd.OutOrStdout().Write(data)
		return "stdout", err
	}
	if err := recorder.WriteExport(out, data, force); err != nil {
		return "", exportWriteError(out, err)
	}
	where, _ = filepath.Abs(out)
	fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s\n", where)
	return where, nil
}

// exportWriteError says why the export could not be written to file and
// what to do instead.
func exportWriteError(file string, err error) error {
	switch {
	case errors.Is(err, recorder.ErrExportExists):
		return fmt.Errorf("%s already exists: add --force to replace it, or give another path with -o", file)
	case errors.Is(err, recorder.ErrExportSymlink):
		return fmt.Errorf("refusing to write %s: it is a symbolic link, and an export never follows one; give the file it points to, or another path, with -o", file)
	case errors.Is(err, recorder.ErrExportNotRegular):
		return fmt.Errorf("refusing to write %s: it is not a plain file (a directory, device, pipe, or a file with other hard links); give another path with -o", file)
	}
	return fmt.Errorf("write the export to %s: %w; give another path with -o", file, err)
}
