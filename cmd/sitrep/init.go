package main

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"sitrep/actions"
	"sitrep/sources/sanitize"
)

// The files `sitrep init` writes: a starting point that `sitrep doctor`
// and `sitrep actions check` pass as written, commented so the engineer
// edits from there.
//
//go:embed initfiles/config.yaml initfiles/actions.yaml initfiles/runbooks/high-error-rate.md
var initFiles embed.FS

const (
	initRunbook       = "runbooks/high-error-rate.md"
	initExampleAction = "health_check" // the first action to dry-run: it needs nothing installed
)

// runbookUses finds the catalogue actions a runbook places with {use=NAME}.
var runbookUses = regexp.MustCompile(`\{use=([A-Za-z0-9_-]+)\}`)

func newInitCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "init",
		Short: "Write a commented config.yaml, an actions.yaml and an example runbook to start from",
		Long: `init writes, into the config directory (the directory of --config, by
default $XDG_CONFIG_HOME/sitrep), a commented config.yaml, an actions.yaml with
example actions and a runbook that uses them: sitrep doctor and sitrep actions
check pass on them as written, and you edit from there.

It never overwrites: a file that exists is left as it is, and init says so. It
never writes through a symbolic link. Files are private to you (0600).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, named := g.configPath, g.configPath != ""
			if !named {
				p, err := configPath()
				if err != nil {
					return err
				}
				path = p
			}
			return initConfig(cmd.OutOrStdout(), path, named)
		},
	}
}

// initOutcome is what init did with one file.
type initOutcome int

const (
	initWrote   initOutcome = iota
	initExists              // a file (or a link to one) is there: left as it is
	initRefused             // something sitrep cannot write or leave there safely
	initSkipped             // not written, for a reason given
)

// initConfig writes the starting files for the config file at path. It
// reports each file on w and fails only when a file could not be written
// and is not there either.
func initConfig(w io.Writer, path string, named bool) error {
	path, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	dir := filepath.Dir(path)
	catDir, note := initCatalogueDir(path)
	for _, d := range []string{dir, catDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("init: create %s: %w", d, err)
		}
	}

	var rows []initRow
	report := func(p string, o initOutcome, why string) {
		rows = append(rows, initRow{path: p, outcome: o, why: why})
	}

	o, why := writeInitFile(path, "initfiles/config.yaml")
	if o == initWrote {
		why = "every setting commented out: uncomment and edit what you use"
	}
	report(path, o, why)

	actionsPath := filepath.Join(catDir, "actions.yaml")
	if yml := filepath.Join(catDir, "actions.yml"); anythingAt(yml) {
		report(actionsPath, initSkipped, "actions.yml is there, and sitrep reads that one")
	} else {
		o, why := writeInitFile(actionsPath, "initfiles/actions.yaml")
		if o == initWrote {
			why = "example actions: health_check, rollout_status, restart_deployment"
		}
		report(actionsPath, o, why)
	}

	rbPath := filepath.Join(catDir, filepath.FromSlash(initRunbook))
	if missing := initRunbookMissing(catDir); len(missing) > 0 && !anythingAt(rbPath) {
		// Written beside a catalogue that lacks its actions, the example
		// would make sitrep actions check fail on a catalogue that passed.
		report(rbPath, initSkipped, "it uses "+strings.Join(missing, ", ")+", which "+filepath.Join(catDir, "actions.yaml")+" does not define")
	} else {
		o, why := initRefused, ""
		if err := os.MkdirAll(filepath.Dir(rbPath), 0o700); err != nil {
			why = err.Error()
		} else if o, why = writeInitFile(rbPath, "initfiles/"+initRunbook); o == initWrote {
			why = "an example runbook that uses those actions"
		}
		report(rbPath, o, why)
	}

	if failures := printInitRows(w, dir, note, rows); len(failures) > 0 {
		return fmt.Errorf("init: %d file(s) not written: %s", len(failures), strings.Join(failures, "; "))
	}
	printNextSteps(w, path, named)
	return nil
}

// initCatalogueDir is where actions.yaml and runbooks/ go: beside the
// config file, or where an existing config's actions.dir says, since that
// is where sitrep will read them.
func initCatalogueDir(path string) (dir, note string) {
	dir = filepath.Dir(path)
	if _, err := os.Stat(path); err != nil {
		return dir, ""
	}
	cfg, err := loadConfig(path, true)
	if err != nil {
		return dir, "the existing config does not load, so the catalogue goes beside it; sitrep doctor shows why: " + err.Error()
	}
	if cfg.Actions.Dir == "" {
		return dir, ""
	}
	return cfg.actionsDir(), "actions.dir in " + path + " names " + cfg.actionsDir() + ": the catalogue goes there"
}

// initRunbookMissing lists the actions the example runbook uses that the
// catalogue at dir (once init has written what it writes) lacks.
func initRunbookMissing(dir string) []string {
	body, err := initFiles.ReadFile("initfiles/" + initRunbook)
	if err != nil {
		return []string{err.Error()}
	}
	cat, _ := actions.Load(catalogueDirs(dir)...)
	var missing []string
	for _, m := range runbookUses.FindAllStringSubmatch(string(body), -1) {
		if _, ok := cat.Lookup(m[1]); !ok {
			missing = append(missing, m[1])
		}
	}
	return missing
}

// writeInitFile writes the embedded file name at path, never over anything
// and never through a link: the content goes to a private temporary file
// in the same directory, which is then linked into place. A link fails if
// anything, even a dangling symbolic link, took the name meanwhile, so
// there is no moment when sitrep could replace a file it did not write.
func writeInitFile(path, name string) (initOutcome, string) {
	if o, why, taken := initTaken(path); taken {
		return o, why
	}
	data, err := initFiles.ReadFile(name)
	if err != nil {
		return initRefused, err.Error()
	}
	dir := filepath.Dir(path)
	// CreateTemp makes the file 0600, with O_EXCL.
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".init-*")
	if err != nil {
		return initRefused, err.Error()
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return initRefused, "write: " + err.Error()
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return initRefused, "write: " + err.Error()
	}
	if err := tmp.Close(); err != nil {
		return initRefused, "write: " + err.Error()
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		// Taken meanwhile (EEXIST), or a filesystem without hard links,
		// where rename is the fallback: it would replace a name that
		// appeared since this check, the one window left there.
		if o, why, taken := initTaken(path); taken {
			return o, why
		}
		if err := os.Rename(tmp.Name(), path); err != nil {
			return initRefused, err.Error()
		}
	}
	initSyncDir(dir)
	return initWrote, ""
}

// initTaken reports whether something is at path already, and what init
// says about it.
func initTaken(path string) (initOutcome, string, bool) {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return 0, "", false
	case err != nil:
		return initRefused, err.Error(), true
	case fi.Mode()&fs.ModeSymlink != 0:
		target, _ := os.Readlink(path)
		if st, err := os.Stat(path); err == nil && st.Mode().IsRegular() {
			return initExists, "a symbolic link to " + target + ", left as it is (init never writes through a link)", true
		}
		return initRefused, "a symbolic link to " + target + ", which is not a file; init never writes through a link: remove the link, or create " + target + " yourself", true
	case fi.IsDir():
		return initRefused, "a directory is in the way", true
	default:
		return initExists, "left as it is", true
	}
}

func anythingAt(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// initSyncDir makes a new name in dir durable; a failure only loses that.
func initSyncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// initRow is one file's line in init's report.
type initRow struct {
	path    string
	outcome initOutcome
	why     string
}

var initLabels = map[initOutcome]string{initWrote: "wrote", initExists: "exists", initRefused: "refused", initSkipped: "skipped"}

// printInitRows prints what init did with each file, named relative to
// dir where it can be, and returns the refusals.
func printInitRows(w io.Writer, dir, note string, rows []initRow) (failures []string) {
	fmt.Fprintf(w, "sitrep init: %s\n", sanitize.Line(dir))
	if note != "" {
		fmt.Fprintf(w, "  (%s)\n", sanitize.Line(note))
	}
	names := make([]string, len(rows))
	width, wrote := 0, 0
	for i, r := range rows {
		names[i] = r.path
		if rel, err := filepath.Rel(dir, r.path); err == nil && !strings.HasPrefix(rel, "..") {
			names[i] = rel
		}
		names[i] = sanitize.Line(names[i])
		width = max(width, len(names[i]))
		if r.outcome == initWrote {
			wrote++
		}
	}
	for i, r := range rows {
		fmt.Fprintf(w, "  %-8s %-*s  %s\n", initLabels[r.outcome], width, names[i], sanitize.Line(r.why))
		if r.outcome == initRefused {
			failures = append(failures, names[i]+": "+sanitize.Line(r.why))
		}
	}
	if wrote == 0 {
		fmt.Fprintln(w, "Nothing written: each file is there already or was refused.")
	}
	return failures
}

// printNextSteps says what to do with the files, with --config when the
// config is not the one sitrep reads by default.
func printNextSteps(w io.Writer, path string, named bool) {
	flag, cfg := "", filepath.Base(path)
	if named {
		flag = " --config " + quoteArgv([]string{sanitize.Line(path)})
	}
	steps := []struct{ n, do, why string }{
		{"1.", "export PAGERDUTY_TOKEN=...", "a PagerDuty user's REST API token (My Profile → User Settings →\nAPI Access), or set token_cmd in " + cfg},
		{"2.", "edit " + cfg, "your services: their env, metrics, logs and deploys"},
		{"", "edit actions.yaml", "the health endpoint's URL, the Kubernetes namespace"},
		{"3.", "sitrep doctor" + flag, "checks the token, the config, the catalogue and the journal"},
		{"4.", "sitrep actions check" + flag, "validates actions.yaml and the runbooks"},
		{"5.", "sitrep run " + initExampleAction + " --incident 9 --dry-run" + flag, "previews an action on incident #9 (numbers are in the cockpit\nand in sitrep journal ls); nothing runs"},
	}
	const col = 32
	fmt.Fprintln(w, "\nNext:")
	for _, s := range steps {
		line := fmt.Sprintf("  %-3s%s", s.n, s.do)
		why := strings.Split(s.why, "\n")
		if len(line) < col {
			fmt.Fprintf(w, "%-*s %s\n", col, line, why[0])
			why = why[1:]
		} else {
			fmt.Fprintln(w, line)
		}
		for _, l := range why {
			fmt.Fprintf(w, "%-*s %s\n", col, "", l)
		}
	}
}
