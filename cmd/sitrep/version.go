package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// addVersion gives the root --version and the `version` command, which
// print the same text: what a bug report needs to name the build.
func addVersion(root *cobra.Command) {
	text := versionText(debug.ReadBuildInfo())
	root.Version = text
	root.SetVersionTemplate("{{.Version}}")
	// Declared here so that cobra does not take -v for it.
	root.Flags().Bool("version", false, "print sitrep's version and build information")
	root.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "Print sitrep's version, the commit it was built from, and the Go version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprint(cmd.OutOrStdout(), text)
			return err
		},
	})
}

// versionText is the module version and the VCS revision, time and
// modified flag the Go toolchain stamped into the binary. A binary built
// outside a checkout (or with -buildvcs=false) has no revision, and says
// so rather than printing an empty field.
func versionText(bi *debug.BuildInfo, ok bool) string {
	var b strings.Builder
	version := "(devel)"
	settings := map[string]string{}
	if ok && bi != nil {
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			settings[s.Key] = s.Value
		}
	}
	fmt.Fprintf(&b, "sitrep %s\n", version)
	if rev := settings["vcs.revision"]; rev != "" {
		if settings["vcs.modified"] == "true" {
			rev += " (modified: built with uncommitted changes)"
		}
		fmt.Fprintf(&b, "revision: %s\n", rev)
		if t := settings["vcs.time"]; t != "" {
			fmt.Fprintf(&b, "time:     %s\n", t)
		}
	} else {
		b.WriteString("revision: unknown (built without version control information)\n")
	}
	goVersion := runtime.Version()
	if ok && bi != nil && bi.GoVersion != "" {
		goVersion = bi.GoVersion
	}
	fmt.Fprintf(&b, "go:       %s %s/%s\n", goVersion, runtime.GOOS, runtime.GOARCH)
	return b.String()
}
