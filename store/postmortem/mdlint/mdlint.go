// Package mdlint runs markdownlint-cli2 over documents sitrep writes (the
// post-mortem draft, the stats review) for their tests: one place that
// finds the linter and says how to install it.
package mdlint

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Check writes each document (by file name) into a fresh directory and
// runs markdownlint-cli2 over them there with its default rules, so no
// repository config changes them; each problem fails t. Without the
// linter it fails under CI=true and otherwise says so and returns, so a
// caller's other assertions still run.
func Check(t testing.TB, docs map[string]string) {
	t.Helper()
	bin := find()
	if bin == "" {
		msg := "markdownlint-cli2 not found on PATH or in node_modules/.bin; install it with: npm install -g markdownlint-cli2"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Log(msg)
		return
	}
	dir := t.TempDir()
	var files []string
	for name, md := range docs {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(md), 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, name)
	}
	cmd := exec.Command(bin, files...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		t.Errorf("markdownlint-cli2 found problems:\n%s", out)
	case err != nil:
		t.Fatalf("run markdownlint-cli2: %v\n%s", err, out)
	}
}

// find looks on PATH, then in node_modules/.bin of the working directory
// and its parents.
func find() string {
	if p, err := exec.LookPath("markdownlint-cli2"); err == nil {
		return p
	}
	for dir, _ := os.Getwd(); dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
		p := filepath.Join(dir, "node_modules", ".bin", "markdownlint-cli2")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}
