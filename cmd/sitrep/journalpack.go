package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"sitrep/sources/sanitize"
	"sitrep/store/journal"
	"sitrep/store/journalset"
	"sitrep/store/recorder"
)

// journalSetFlags are the flags of a command that reads several journals
// and packs together: --journal, repeated, and --include-unverified.
type journalSetFlags struct {
	paths             []string
	includeUnverified bool
}

// journalList is a repeatable --journal. The first also sets the shared
// journal flag, so what reads one journal (completion, the own-journal
// path of a command) reads that one.
type journalList struct {
	paths *[]string
	first *string
}

func (l journalList) String() string { return strings.Join(*l.paths, ",") }
func (l journalList) Type() string   { return "file" }

func (l journalList) Set(v string) error {
	if v == "" {
		return errors.New("empty path: give a journal file or a pack")
	}
	*l.paths = append(*l.paths, v)
	if len(*l.paths) == 1 {
		*l.first = v
	}
	return nil
}

// addJournalSetFlags gives cmd a repeatable --journal and
// --include-unverified.
func addJournalSetFlags(cmd *cobra.Command, g *globalFlags) *journalSetFlags {
	js := &journalSetFlags{}
	cmd.Flags().Var(journalList{paths: &js.paths, first: &g.journal}, "journal",
		"journal file or pack to read; repeat it to read several together, each verified first (default $XDG_DATA_HOME/sitrep/journal.db)")
	cmd.Flags().BoolVar(&js.includeUnverified, "include-unverified", false,
		"read a journal or pack whose chain does not verify, marked as such in the output, instead of leaving it out")
	return js
}

// several reports whether the command reads a set rather than the one own
// journal: more than one --journal, a pack, or unverified ones asked for.
func (js *journalSetFlags) several() bool {
	if len(js.paths) > 1 || js.includeUnverified {
		return true
	}
	return len(js.paths) == 1 && isPackFile(js.paths[0])
}

func isPackFile(p string) bool {
	pack, _ := journalset.IsPack(p)
	return pack
}

// open opens the set (the own journal when no --journal was given) and
// tells stderr what was read, naming each journal or pack left out. A
// command that reads whole journals (stats) reads the set with Each.
func (js *journalSetFlags) open(ctx context.Context, g *globalFlags, stderr io.Writer) (*journalset.Set, error) {
	paths := js.paths
	if len(paths) == 0 {
		p, err := g.journalPath()
		if err != nil {
			return nil, err
		}
		paths = []string{p}
	}
	set, err := journalset.Open(ctx, paths, journalset.Options{IncludeUnverified: js.includeUnverified})
	if err != nil {
		return nil, err
	}
	for _, src := range set.Sources() {
		fmt.Fprintf(stderr, "sitrep: %s\n", sanitize.Line(src.Status()))
	}
	return set, nil
}

// exportSet is `sitrep export` over several journals and packs: read-only,
// nothing is journaled.
func exportSet(cmd *cobra.Command, g *globalFlags, js *journalSetFlags, arg, out string, force bool) error {
	ctx := cmd.Context()
	feed, finder, secrets := exportFeed(cmd, g)
	id, err := resolveIncidentInSet(ctx, arg, js, g, finder)
	if err != nil {
		return err
	}
	set, err := js.open(ctx, g, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	defer set.Close()
	es, err := set.Incident(ctx, id)
	if err != nil {
		return fmt.Errorf("export %s: %w", id, err)
	}
	rec := recorder.New(nil, feed, "")
	rec.SetSecrets(secrets)
	exportPast(cmd, g, rec, feed)
	var buf strings.Builder
	if err := rec.ExportEntriesTo(ctx, &buf, id, journalset.Journal(es), set.Audit(es)); err != nil {
		return err
	}
	_, err = writeExportOut(cmd, out, force, []byte(buf.String()))
	return err
}

// resolveIncidentInSet names the incident: a PagerDuty ID as it is, a
// number through the first journal given (or the own one), then PagerDuty.
func resolveIncidentInSet(ctx context.Context, arg string, js *journalSetFlags, g *globalFlags, finder incidentFinder) (string, error) {
	if ref, err := parseIncidentRef(arg); err != nil {
		return "", usageError(err)
	} else if ref.id != "" {
		return ref.id, nil
	}
	path, err := g.journalPath()
	if len(js.paths) > 0 {
		path, err = js.paths[0], nil
	}
	if err != nil {
		return "", err
	}
	if isPackFile(path) {
		return "", usageError(fmt.Errorf("incident %s: a number is looked up in the first --journal, and %s is a pack; give the PagerDuty ID (Q000009), or a journal first", arg, path))
	}
	j, err := journal.Open(path, journal.Options{ReadOnly: true})
	if err != nil {
		return "", err
	}
	defer j.Close()
	return resolveIncident(ctx, arg, j, finder)
}

func newJournalPackCmd(g *globalFlags) *cobra.Command {
	var (
		out   string
		force bool
	)
	cmd := &cobra.Command{
		Use:   "pack INCIDENT -o FILE",
		Short: "Write one incident's entries, with their chain proof, to a file for the post-mortem",
		Long: `pack writes an incident's journal entries, and the proof that they are
this journal's (the hashes that link them to its head), to a small file to
hand to whoever writes the post-mortem. It reads the journal read-only and
refuses one whose chain does not verify.

The owner reads it beside other journals and packs:
  sitrep export INCIDENT --journal mine.db --journal alice.pack

A pack holds no other incident's entries: those stand in it as hashes.`,
		Args: oneIncident,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usageError(errors.New("say where to write the pack with -o FILE"))
			}
			j, err := g.openJournal(true)
			if err != nil {
				return err
			}
			defer j.Close()
			id, err := resolveIncident(cmd.Context(), args[0], j, nil)
			if err != nil {
				return err
			}
			data, sum, err := journalset.WritePack(cmd.Context(), j, id, time.Now())
			if err != nil {
				return err
			}
			if out == "-" {
				_, err := cmd.OutOrStdout().Write(data)
				return err
			}
			if sameFile(out, j.Path()) {
				return fmt.Errorf("refusing to write the pack over the journal %s itself; give another path with -o", j.Path())
			}
			if err := recorder.WriteExport(out, data, force); err != nil {
				return packWriteError(out, err)
			}
			where, _ := filepath.Abs(out)
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s: %d entries of %s and %d links to the head, seq %d %s\n",
				where, sum.Entries, id, sum.Links, sum.Head.Seq, sum.Head.Hash)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to FILE (created 0600; never through a symbolic link), or - for stdout")
	cmd.Flags().BoolVar(&force, "force", false, "replace FILE if it exists")
	return withIncidentArg(cmd, g)
}

// sameFile reports whether a and b name one existing file.
func sameFile(a, b string) bool {
	fa, err := os.Stat(a)
	if err != nil {
		return false
	}
	fb, err := os.Stat(b)
	return err == nil && os.SameFile(fa, fb)
}

// packWriteError says why the pack could not be written and what to do.
func packWriteError(file string, err error) error {
	switch {
	case errors.Is(err, recorder.ErrExportExists):
		return fmt.Errorf("%s already exists: add --force to replace it, or give another path with -o", file)
	case errors.Is(err, recorder.ErrExportSymlink):
		return fmt.Errorf("refusing to write %s: it is a symbolic link, and a pack never follows one; give another path with -o", file)
	case errors.Is(err, recorder.ErrExportNotRegular):
		return fmt.Errorf("refusing to write %s: it is not a plain file; give another path with -o", file)
	}
	return fmt.Errorf("write the pack to %s: %w; give another path with -o", file, err)
}
