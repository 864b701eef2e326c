package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"sitrep/actions"
	"sitrep/sources/demo/catalogue"
	"sitrep/sources/demo/world"
	"sitrep/sources/pagerduty"
	"sitrep/store/journal"
)

// runDemoAs is `sitrep demo --as bob`: a second cockpit on the demo world
// that another terminal runs, as another of its people. It reads the
// running demo's state file for the world's addresses and that person's
// own PagerDuty token, so the notes it writes are that person's, and keeps
// a journal of its own.
func runDemoAs(out io.Writer, g *globalFlags, as, stateFile string, scope pagerduty.Scope, refresh time.Duration) error {
	st, err := world.ReadState(stateFile)
	if err != nil {
		return err
	}
	tok, ok := st.Users[as]
	if !ok {
		names := make([]string, 0, len(st.Users))
		for n := range st.Users {
			names = append(names, n)
		}
		slices.Sort(names)
		if len(names) == 0 {
			return fmt.Errorf("--as %s: the demo's state file %s names no people: an older sitrep wrote it; restart the demo", as, stateFile)
		}
		return fmt.Errorf("--as %s: the demo world has no such person; choose one of %s", as, strings.Join(names, ", "))
	}
	cfg := demoConfigAt(st.MetricsURL)
	if err := cfg.validate(); err != nil {
		return err
	}
	j, err := openDemoJournalAs(g, as)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "sitrep-demo-actions-")
	if err != nil {
		j.Close()
		return fmt.Errorf("demo catalogue: %w", err)
	}
	root, err := catalogue.Install(dir)
	var problems []actions.Problem
	var cat *actions.Catalogue
	if err == nil {
		cat, problems = actions.Load(root)
	}
	if err != nil || len(problems) > 0 {
		j.Close()
		os.RemoveAll(dir)
		return fmt.Errorf("demo catalogue: %v %v", err, problems)
	}
	self, err := os.Executable()
	if err != nil {
		j.Close()
		os.RemoveAll(dir)
		return fmt.Errorf("demo catalogue: find sitrep's own binary for demo-ctl: %w", err)
	}
	feed := pagerduty.New(pagerduty.Config{APIURL: st.PagerDutyURL, Token: tok})
	env, err := assemble(cfg, tok, feed, j, cat, catalogue.Caller(self, st.EdgeURL, st.ReleaseConfig, stateFile), g.readOnly)
	if err != nil {
		os.RemoveAll(dir)
		return err
	}
	env.closers = append(env.closers, func() { os.RemoveAll(dir) })
	defer env.Close()
	opts := env.tuiOptions(scope, g.readOnly)
	opts.RefreshInterval = refresh
	// Automation too: v in a teammate's sitrep vetoes a countdown another
	// sitrep announced (a veto note), and --arm arms this one.
	opts.Automation, opts.Arm = env.tuiAutomation(0), g.arm
	err = runTUI(env.feed, opts)
	fmt.Fprintf(out, "%s's demo journal is %s\n", as, env.journal.Path())
	return err
}

// openDemoJournalAs opens a fresh journal for a person joining the demo,
// beside the demo's own: each cockpit keeps its own, as each engineer
// does.
func openDemoJournalAs(g *globalFlags, as string) (*journal.Journal, error) {
	if g.journal != "" {
		return journal.Open(g.journal, journal.Options{ReadOnly: g.readOnly})
	}
	main, err := demoJournalPath()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(filepath.Dir(main), "demo-journal-"+as+".db")
	if g.readOnly {
		return journal.Open(path, journal.Options{ReadOnly: true})
	}
	if old, err := journal.Open(path, journal.Options{}); err != nil {
		if errors.Is(err, journal.ErrLocked) {
			return nil, fmt.Errorf("another sitrep demo --as %s is running: %w; quit it, or give this one --journal FILE", as, err)
		}
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

// usesApproval says whether any guard of cat can ask for a second
// person's approval: only then does the cockpit look for pending ones.
func usesApproval(cat *actions.Catalogue) bool {
	if cat == nil {
		return false
	}
	for _, g := range cat.EnvGuards {
		if g.Approval != nil && g.Approval.Required {
			return true
		}
	}
	for _, a := range cat.Actions() {
		if a.Guards.Approval != nil && a.Guards.Approval.Required {
			return true
		}
	}
	return false
}
