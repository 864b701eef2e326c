package world

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startPublished starts a world on the wall clock and writes its state
// file as `sitrep demo` does.
func startPublished(t *testing.T) (*World, string) {
	t.Helper()
	w, err := Start(Options{Seed: 1, Tick: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	state := filepath.Join(t.TempDir(), "state", "sitrep-demo.json")
	remove, err := w.Publish(state)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(remove)
	return w, state
}

// loadRunning is LoadRunning of a state file the test knows is good.
func loadRunning(t *testing.T, state string) RunningDemo {
	t.Helper()
	d, err := LoadRunning(state)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestPublishAndLoadRunning(t *testing.T) {
	w, state := startPublished(t)
	d := loadRunning(t, state)
	if d.URL != w.ControlURL || d.Token != w.Token || d.StateFile != state || d.PID != os.Getpid() {
		t.Errorf("LoadRunning = %+v, want the control URL %s, the token, %s and pid %d", d, w.ControlURL, state, os.Getpid())
	}
	if fi, err := os.Stat(state); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("state file: %v %v, want mode 0600", fi, err)
	}
}

// TestPublishLeavesAnotherDemosStateFile: a demo that exits after a second
// one has written the same state file does not remove the second's.
func TestPublishLeavesAnotherDemosStateFile(t *testing.T) {
	first, state := startPublished(t)
	second, err := Start(Options{Seed: 2, Tick: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	removeFirst, err := first.Publish(state)
	if err != nil {
		t.Fatal(err)
	}
	removeSecond, err := second.Publish(state)
	if err != nil {
		t.Fatal(err)
	}
	removeFirst()
	if d := loadRunning(t, state); d.Token != second.Token {
		t.Errorf("the state file names token %q, want the second demo's", d.Token)
	}
	removeSecond()
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Errorf("state file left behind: %v", err)
	}
}

// TestDefaultStatePath: the state file follows $XDG_STATE_HOME, by
// default ~/.local/state, and a demo published there is found there.
func TestDefaultStatePath(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	if got, want := DefaultStatePath(), filepath.Join(state, "sitrep", "demo.json"); got != want {
		t.Errorf("with XDG_STATE_HOME the state file is %s, want %s", got, want)
	}
	t.Setenv("XDG_STATE_HOME", "relative/dir") // ignored, as the XDG spec says
	if got, want := DefaultStatePath(), filepath.Join(home, ".local", "state", "sitrep", "demo.json"); got != want {
		t.Errorf("with a relative XDG_STATE_HOME the state file is %s, want %s", got, want)
	}
	t.Setenv("XDG_STATE_HOME", state)

	w, _ := startPublished(t)
	remove, err := w.Publish(DefaultStatePath())
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := loadRunning(t, DefaultStatePath()).ReportStatus(ctx, &out, "checkout-db", "", time.Now()); err != nil || !strings.Contains(out.String(), "checkout-db (prod) 15.8: 1/1 pods ready") {
		t.Errorf("status with the default state file: %v\n%s", err, out.String())
	}
	remove()
	if _, err := os.Stat(DefaultStatePath()); !os.IsNotExist(err) {
		t.Errorf("state file left behind: %v", err)
	}
}

func TestLoadRunningWithoutADemo(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "none.json")
	_, err := LoadRunning(missing)
	if !errors.Is(err, ErrNoDemo) || !strings.Contains(err.Error(), "no demo is running: "+missing+" does not exist; start one with: sitrep demo") {
		t.Errorf("err = %v", err)
	}
	for name, body := range map[string]string{
		"broken.json": `{"pagerduty_url": `,
		"older.json":  `{"pagerduty_url":"http://127.0.0.1:1","token":"x","pid":1}`,
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := LoadRunning(path)
		if err == nil || errors.Is(err, ErrNoDemo) || !strings.Contains(err.Error(), "the demo's state file "+path) {
			t.Errorf("%s: err = %v, want one naming the file", name, err)
		}
	}
}
