package main

import (
	"strings"

	"github.com/spf13/cobra"
)

// globalFlagUse names, per command, the shared flags it reads, so that
// each command offers (in --help and completion) and accepts only the
// flags that change what it does: `journal ls --scope all` is a usage
// error rather than a flag quietly ignored. A runnable command not listed
// gets them all, so a new command works before it is listed here.
var globalFlagUse = map[string][]string{
	"sitrep":                {"config", "api-url", "scope", "refresh", "journal", "read-only"},
	"sitrep demo":           {"scope", "refresh", "journal", "read-only"},
	"sitrep export":         {"config", "api-url", "journal", "read-only"},
	"sitrep run":            {"config", "api-url", "journal", "read-only"},
	"sitrep doctor":         {"config", "api-url", "journal"},
	"sitrep services":       {"config", "api-url"},
	"sitrep oncall":         {"config", "api-url"},
	"sitrep watch":          {"config", "api-url", "scope", "journal"},
	"sitrep init":           {"config"},
	"sitrep actions check":  {"config"},
	"sitrep actions ls":     {"config"},
	"sitrep journal ls":     {"journal"},
	"sitrep journal show":   {"journal"},
	"sitrep journal verify": {"journal"},
	"sitrep journal pack":   {"journal"},
	"sitrep stats":          {"journal"}, // repeatable: journalpack.go
	"sitrep version":        nil,
}

// addGlobalFlags gives each runnable command of the tree the shared flags
// it reads, all bound to g. Command groups and the demo's own demo-ctl
// take none.
func addGlobalFlags(root *cobra.Command, g *globalFlags) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		path := c.CommandPath()
		names, listed := globalFlagUse[path]
		switch {
		case listed:
		case !c.Runnable(), path == "sitrep demo-ctl" || strings.HasPrefix(path, "sitrep demo-ctl "):
			names = nil
		default:
			names = globalFlagUse["sitrep"]
		}
		for _, name := range names {
			defineGlobalFlag(c, g, name)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

func defineGlobalFlag(c *cobra.Command, g *globalFlags, name string) {
	f := c.Flags()
	if f.Lookup(name) != nil {
		// The command's own form of it: export's --journal repeats
		// (journalpack.go).
		return
	}
	switch name {
	case "config":
		f.StringVar(&g.configPath, "config", "", "config file (default $XDG_CONFIG_HOME/sitrep/config.yaml)")
	case "api-url":
		f.StringVar(&g.apiURL, "api-url", "", "PagerDuty REST API URL (default https://api.pagerduty.com)")
	case "scope":
		f.StringVar(&g.scope, "scope", "", "incidents to list: mine, team or all (default mine)")
	case "refresh":
		f.DurationVar(&g.refresh, "refresh", 0, "refresh interval (default 30s)")
	case "journal":
		f.StringVar(&g.journal, "journal", "", "journal file (default $XDG_DATA_HOME/sitrep/journal.db)")
	case "read-only":
		f.BoolVar(&g.readOnly, "read-only", false, "open the journal read-only and change nothing, in PagerDuty or the journal")
	default:
		panic("sitrep: no shared flag " + name) // a typo in globalFlagUse
	}
	registerGlobalFlagCompletion(c, name)
}
