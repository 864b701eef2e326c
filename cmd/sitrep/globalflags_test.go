package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

var sharedFlags = []string{"config", "api-url", "scope", "refresh", "journal", "read-only"}

// TestGlobalFlagsOnlyWhereTheyMatter: each command offers the shared flags
// it reads and no other, and refuses one it would ignore.
func TestGlobalFlagsOnlyWhereTheyMatter(t *testing.T) {
	root := newRootCmd()
	for path, want := range globalFlagUse {
		c, rest, err := root.Find(strings.Fields(path)[1:])
		if err != nil || len(rest) > 0 || c.CommandPath() != path {
			t.Errorf("globalFlagUse names %q, which is not a command (found %q)", path, c.CommandPath())
			continue
		}
		for _, name := range sharedFlags {
			has := c.Flags().Lookup(name) != nil || c.InheritedFlags().Lookup(name) != nil
			if has != slices.Contains(want, name) {
				t.Errorf("%s: has --%s = %v, want %v", path, name, has, !has)
			}
		}
	}
	// Groups and the demo's internal demo-ctl take none.
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if _, listed := globalFlagUse[c.CommandPath()]; !listed {
			for _, name := range sharedFlags {
				if c.Flags().Lookup(name) != nil {
					t.Errorf("%s has --%s", c.CommandPath(), name)
				}
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)

	for _, tc := range []struct {
		args []string
		flag string
	}{
		{[]string{"journal", "ls", "--scope", "all"}, "--scope"},
		{[]string{"actions", "check", "--journal", "x.db"}, "--journal"},
		{[]string{"services", "--read-only"}, "--read-only"},
		{[]string{"demo", "--api-url", "http://127.0.0.1:1"}, "--api-url"},
	} {
		_, err := runRoot(t, tc.args...)
		if err == nil || exitCode(err) != statusUsage || !strings.Contains(err.Error(), "unknown flag: "+tc.flag) {
			t.Errorf("sitrep %s: %v (exit %d), want an unknown flag", strings.Join(tc.args, " "), err, exitCode(err))
		}
	}
	out, err := runRoot(t, "journal", "show", "--help")
	if err != nil || strings.Contains(out, "--scope") || strings.Contains(out, "--api-url") || !strings.Contains(out, "--journal") {
		t.Errorf("sitrep journal show --help: %v\n%s", err, out)
	}
}
