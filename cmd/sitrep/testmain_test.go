package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	stop := privateTmux()
	code := m.Run()
	stop()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// privateTmux gives the end-to-end tests a tmux server of their own, kept
// alive from start to end by a session that does nothing. Each test
// kills its own session when it ends; on a shared server the last kill
// made the server exit, and the next test's new-session could reach it
// while it was going ("server exited unexpectedly"). Its own socket
// directory also keeps the tests off the engineer's tmux and theirs off
// ours.
func privateTmux() (stop func()) {
	if _, err := exec.LookPath("tmux"); err != nil {
		return func() {} // the tests that need it say so
	}
	dir, err := os.MkdirTemp("", "tmx")
	if err != nil {
		return func() {}
	}
	os.Setenv("TMUX_TMPDIR", dir)
	os.Unsetenv("TMUX") // inside tmux, commands would go to that server
	exec.Command("tmux", "new-session", "-d", "-s", "keeper", "sleep 86400").Run()
	return func() {
		exec.Command("tmux", "kill-server").Run()
		os.RemoveAll(dir)
	}
}
