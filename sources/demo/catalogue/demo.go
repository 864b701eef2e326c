// Package catalogue is the demo world's action catalogue: actions.yaml (with
// the PagerDuty writes included), the rollback playbook and the
// payment-gateway runbook, embedded so `sitrep demo` needs no files.
package catalogue

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

//go:embed catalogue
var files embed.FS

// FS is the catalogue's files, rooted at the catalogue directory.
func FS() fs.FS {
	sub, _ := fs.Sub(files, "catalogue")
	return sub
}

// Install writes the catalogue under dir (ansible-playbook needs its
// playbook on disk) and returns the directory to Load.
func Install(dir string) (string, error) {
	root := filepath.Join(dir, "sitrep-demo-actions")
	err := fs.WalkDir(FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		dst := filepath.Join(root, filepath.FromSlash(p))
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := fs.ReadFile(FS(), p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		return "", fmt.Errorf("install demo catalogue in %s: %w", dir, err)
	}
	return root, nil
}

// Caller returns the values the demo catalogue's "from: caller"
// parameters need: sitrep's own binary (for demo-ctl), the demo edge API's
// base URL, the demo release config file that rollback_deploy rewrites, and
// the running demo's state file, where demo-ctl finds the demo (an action's
// environment does not carry $XDG_STATE_HOME or the demo's --state-file).
func Caller(sitrepBinary, edgeURL, releaseConfig, stateFile string) map[string]string {
	return map[string]string{"sitrep": sitrepBinary, "edge_url": edgeURL, "config_path": releaseConfig, "state_file": stateFile}
}
