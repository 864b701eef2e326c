package world

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// State is what a running demo writes for the processes it starts
// (demo-ctl) and for end-to-end tests: where its servers listen.
type State struct {
	PagerDutyURL string `json:"pagerduty_url"`
	Token        string `json:"token"`
	PID          int    `json:"pid"`
	// ControlURL, MetricsURL (Prometheus and Loki) and EdgeURL are the
	// demo world's other servers; ReleaseConfig is the file that
	// rollback_deploy rewrites.
	ControlURL    string `json:"control_url,omitempty"`
	MetricsURL    string `json:"metrics_url,omitempty"`
	EdgeURL       string `json:"edge_url,omitempty"`
	ReleaseConfig string `json:"release_config,omitempty"`
	// Users are the demo people's own tokens by short name, for
	// `sitrep demo --as bob`.
	Users map[string]string `json:"users,omitempty"`
}

// ReadState reads a running demo's state file.
func ReadState(path string) (State, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return State{}, fmt.Errorf("%w: %s does not exist; start one with: sitrep demo", ErrNoDemo, path)
	}
	if err != nil {
		return State{}, fmt.Errorf("read the demo's state file: %w", err)
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return State{}, fmt.Errorf("the demo's state file %s is not valid JSON: %w", path, err)
	}
	return st, nil
}

// ErrNoDemo is the error of every call made on a running demo when none
// is running.
var ErrNoDemo = errors.New("no demo is running")

// DefaultStatePath is where `sitrep demo` writes its state file and
// where demo-ctl looks for it without --state-file: sitrep/demo.json in
// $XDG_STATE_HOME, by default ~/.local/state; without a home, a per-user
// name in the temporary directory. The demo's own actions run demo-ctl
// with an environment of PATH, HOME and LANG only (see actions.Engine), so
// they do not rely on this default: the demo hands them the path it wrote
// as --state-file (the state_file caller parameter).
func DefaultStatePath() string {
	if dir := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(dir) {
		return filepath.Join(dir, "sitrep", "demo.json")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "state", "sitrep", "demo.json")
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("sitrep-demo-%d.json", os.Getuid()))
}

// Publish writes w's addresses, with this process's ID, to path for
// demo-ctl and tests, and returns the function that removes the file
// again, unless another demo has since written its own there.
func (w *World) Publish(path string) (remove func(), err error) {
	st := State{
		PagerDutyURL: w.PagerDutyURL, Token: w.Token, PID: os.Getpid(),
		ControlURL: w.ControlURL, MetricsURL: w.MetricsURL, EdgeURL: w.EdgeURL, ReleaseConfig: w.ReleaseConfigPath,
		Users: w.UserTokens,
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("write demo state: %w", err)
	}
	if err := st.WriteFile(path); err != nil {
		return nil, err
	}
	return func() {
		var now State
		if b, err := os.ReadFile(path); err == nil && json.Unmarshal(b, &now) == nil && now.Token == st.Token {
			_ = os.Remove(path)
		}
	}, nil
}

// WriteFile writes st to path whole or not at all, so that a reader never
// sees half a state file; path's directory must exist.
func (st State) WriteFile(path string) error {
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("write demo state: %w", err)
	}
	return os.Rename(tmp, path)
}

// RunningDemo is the running demo that a state file names: how to reach
// its controls, and where it was found, for the errors.
type RunningDemo struct {
	Control
	StateFile string
	PID       int
}

// LoadRunning reads the running demo's state file at path. Without one,
// the error is ErrNoDemo.
func LoadRunning(path string) (RunningDemo, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return RunningDemo{}, fmt.Errorf("%w: %s does not exist; start one with: sitrep demo", ErrNoDemo, path)
	}
	if err != nil {
		return RunningDemo{}, fmt.Errorf("read the demo's state file: %w", err)
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return RunningDemo{}, fmt.Errorf("the demo's state file %s is not valid JSON: %w", path, err)
	}
	if st.ControlURL == "" || st.Token == "" {
		return RunningDemo{}, fmt.Errorf("the demo's state file %s has no control URL: an older sitrep wrote it; restart the demo", path)
	}
	return RunningDemo{Control: Control{URL: st.ControlURL, Token: st.Token}, StateFile: path, PID: st.PID}, nil
}

// explain turns a failed call into what the person at the terminal needs:
// a demo that has exited is "no demo is running".
func (d RunningDemo) explain(what string, err error) error {
	if errors.Is(err, ErrUnreachable) {
		return fmt.Errorf("%w: the demo that wrote %s (pid %d) does not answer; start one with: sitrep demo (%v)", ErrNoDemo, d.StateFile, d.PID, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}
