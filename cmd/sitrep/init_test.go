package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// sitrepCmd runs the real binary with the test's environment and returns
// its combined output and exit status.
func sitrepCmd(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(buildSitrep(t), args...)
	cmd.Stdin = nil
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case errors.As(err, &ee):
		return string(out), ee.ExitCode()
	default:
		t.Fatalf("sitrep %s: %v\n%s", strings.Join(args, " "), err, out)
		return "", -1
	}
}

// TestInitStartsAWorkingCockpit is the new user's path: sitrep init into
// an empty config directory, then doctor, actions check and dry runs of
// the example actions, all through the real binary against the demo's
// PagerDuty emulator.
func TestInitStartsAWorkingCockpit(t *testing.T) {
	rw := startRunWorld(t, filepath.Join("testdata", "run"))
	dir := filepath.Join(rw.home, "config", "sitrep") // $XDG_CONFIG_HOME/sitrep

	out, code := sitrepCmd(t, "init")
	if code != 0 {
		t.Fatalf("sitrep init: exit %d\n%s", code, out)
	}
	for _, name := range []string{"config.yaml", "actions.yaml", "runbooks/high-error-rate.md"} {
		if !strings.Contains(out, "wrote    "+name) {
			t.Errorf("init does not say it wrote %s:\n%s", name, out)
		}
		fi, err := os.Lstat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != 0o600 {
			t.Errorf("%s: mode %v, want -rw-------", name, fi.Mode())
		}
	}
	for _, d := range []string{dir, filepath.Join(dir, "runbooks")} {
		if fi, err := os.Stat(d); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v %v, want a 0700 directory", d, fi.Mode(), err)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*init-*")); len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
	for _, step := range []string{"export PAGERDUTY_TOKEN=", "sitrep doctor", "sitrep actions check", "sitrep run health_check --incident 9 --dry-run"} {
		if !strings.Contains(out, step) {
			t.Errorf("the next steps lack %q:\n%s", step, out)
		}
	}

	// doctor reads the default config; with the emulator as PagerDuty,
	// every row passes.
	out, code = sitrepCmd(t, "doctor", "--json", "--api-url", rw.w.PagerDutyURL, "--journal", rw.journal)
	var report struct {
		OK     bool `json:"ok"`
		Checks []struct {
			Status, Check, Subject, Found string
		} `json:"checks"`
	}
	if err := json.Unmarshal([]byte(out), &report); err != nil {
		t.Fatalf("sitrep doctor --json: %v\n%s", err, out)
	}
	if code != 0 || !report.OK {
		t.Errorf("sitrep doctor: exit %d, ok %v\n%s", code, report.OK, out)
	}
	seen := map[string]bool{}
	for _, r := range report.Checks {
		seen[r.Check] = true
		if r.Status != "ok" {
			t.Errorf("doctor: %s %s: %s: %s", r.Check, r.Subject, r.Status, r.Found)
		}
	}
	for _, check := range []string{"config", "token", "actions", "journal"} {
		if !seen[check] {
			t.Errorf("doctor has no %s row:\n%s", check, out)
		}
	}

	out, code = sitrepCmd(t, "actions", "check")
	if code != 0 || !strings.Contains(out, "ok: "+dir+" (checked 3 actions, 1 runbook") {
		t.Errorf("sitrep actions check: exit %d\n%s", code, out)
	}

	// The read-only health check: its preview is the exact request, and a
	// dry run sends nothing.
	incident := strconv.Itoa(int(rw.incident.Number))
	out, code = sitrepCmd(t, "run", "health_check", "--incident", incident, "--dry-run", "--api-url", rw.w.PagerDutyURL, "--journal", rw.journal)
	if code != 0 || !strings.Contains(out, "GET https://gateway.example.internal/payment-gateway/healthz") || !strings.Contains(out, "no dry run") {
		t.Errorf("sitrep run health_check --dry-run: exit %d\n%s", code, out)
	}

	// The restart's dry run is kubectl's server-side one, and only that
	// runs (kubectl here is a stand-in that records its arguments).
	script, err := os.ReadFile(filepath.Join("testdata", "kubectl", "fake-kubectl.sh"))
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "kubectl"), script, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, code = sitrepCmd(t, "run", "restart_deployment", "--incident", "#"+incident, "--dry-run", "--api-url", rw.w.PagerDutyURL, "--journal", rw.journal)
	if code != 0 || !strings.Contains(out, "-- dry run --\ndeployment.apps/payment-gateway restarted") {
		t.Errorf("sitrep run restart_deployment --dry-run: exit %d\n%s", code, out)
	}
	calls, err := os.ReadFile(filepath.Join(rw.home, "kubectl-calls"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(calls), "--call--"); got != 1 || !strings.Contains(string(calls), "--dry-run=server") {
		t.Errorf("kubectl was called %d times, want only the dry run:\n%s", got, calls)
	}
}

// TestInitLeavesWhatExists: a second init changes nothing and says which
// files are there.
func TestInitLeavesWhatExists(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "sitrep", "sitrep.yaml")
	if out, code := sitrepCmd(t, "init", "--config", cfg); code != 0 {
		t.Fatalf("first init: exit %d\n%s", code, out)
	}
	edited := []byte("scope: team\n")
	if err := os.WriteFile(cfg, edited, 0o600); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, filepath.Dir(cfg))

	out, code := sitrepCmd(t, "init", "--config", cfg)
	if code != 0 {
		t.Fatalf("second init: exit %d\n%s", code, out)
	}
	for _, name := range []string{"sitrep.yaml", "actions.yaml", "runbooks/high-error-rate.md"} {
		if !strings.Contains(out, "exists   "+name) {
			t.Errorf("the second init does not say %s exists:\n%s", name, out)
		}
	}
	if strings.Contains(out, "wrote") || !strings.Contains(out, "Nothing written") {
		t.Errorf("the second init claims to have written something:\n%s", out)
	}
	// The next steps name the config it was given.
	if !strings.Contains(out, "sitrep doctor --config "+cfg) {
		t.Errorf("the next steps do not pass --config:\n%s", out)
	}
	after := snapshot(t, filepath.Dir(cfg))
	if len(after) != len(before) {
		t.Errorf("files before %v, after %v", keysOf(before), keysOf(after))
	}
	for name, b := range before {
		if !bytes.Equal(after[name], b) {
			t.Errorf("%s changed", name)
		}
	}
	if !bytes.Equal(before["sitrep.yaml"], edited) {
		t.Errorf("the edited config was replaced")
	}
}

// TestInitNeverWritesThroughALink: a link in place of a file is left as it
// is, and nothing is written where it points.
func TestInitNeverWritesThroughALink(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "conf")
	if err := os.MkdirAll(conf, 0o700); err != nil {
		t.Fatal(err)
	}
	// A dangling link: writing through it would create a file elsewhere.
	elsewhere := filepath.Join(dir, "elsewhere", "config.yaml")
	if err := os.Symlink(elsewhere, filepath.Join(conf, "config.yaml")); err != nil {
		t.Fatal(err)
	}
	// A link to a file (a dotfiles checkout): the file stays as it was.
	mine := filepath.Join(dir, "dotfiles-actions.yaml")
	if err := os.WriteFile(mine, []byte("actions: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(mine, filepath.Join(conf, "actions.yaml")); err != nil {
		t.Fatal(err)
	}

	out, code := sitrepCmd(t, "init", "--config", filepath.Join(conf, "config.yaml"))
	if code != 1 || !strings.Contains(out, "refused  config.yaml") || !strings.Contains(out, "symbolic link to "+elsewhere) {
		t.Errorf("init over a dangling link: exit %d, want 1 and the link refused\n%s", code, out)
	}
	if _, err := os.Lstat(filepath.Dir(elsewhere)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("init created %s through the link: %v", filepath.Dir(elsewhere), err)
	}
	if fi, err := os.Lstat(filepath.Join(conf, "config.yaml")); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v %v", fi.Mode(), err)
	}
	if b, _ := os.ReadFile(mine); string(b) != "actions: []\n" {
		t.Errorf("the linked actions file changed: %q", b)
	}
	if !strings.Contains(out, "exists   actions.yaml") {
		t.Errorf("init does not say the linked actions.yaml exists:\n%s", out)
	}
	// That catalogue lacks the runbook's actions, so no runbook joins it.
	if !strings.Contains(out, "skipped  runbooks/high-error-rate.md  it uses health_check") {
		t.Errorf("the runbook was not skipped beside a catalogue without its actions:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(conf, "runbooks")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("runbooks/ was created: %v", err)
	}
}

// TestInitConfigExamplesAreReal: the config as written loads, and so does
// every example in it once uncommented, so the examples cannot drift from
// the fields sitrep reads.
func TestInitConfigExamplesAreReal(t *testing.T) {
	body, err := initFiles.ReadFile("initfiles/config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	asWritten := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(asWritten, body, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadConfig(asWritten, true); err != nil {
		t.Errorf("the config as init writes it: %v", err)
	}

	// "## " is prose; "# " is a setting to uncomment.
	var lines []string
	for _, l := range strings.Split(string(body), "\n") {
		switch {
		case strings.HasPrefix(l, "##"):
		case strings.HasPrefix(l, "# "):
			lines = append(lines, l[2:])
		case strings.HasPrefix(l, "#"):
			t.Errorf("line %q: start prose with ## and settings with # ", l)
		default:
			lines = append(lines, l)
		}
	}
	uncommented := filepath.Join(dir, "uncommented.yaml")
	if err := os.WriteFile(uncommented, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(uncommented, true)
	if err != nil {
		t.Fatalf("the config's examples, uncommented: %v", err)
	}
	s := cfg.Services["payment-gateway"]
	if cfg.Prometheus.URL == "" || len(cfg.TokenCmd) == 0 || len(s.Metrics) == 0 || len(s.Logs) != 4 || len(s.Deploys) != 3 || cfg.Actions.Dir == "" {
		t.Errorf("the uncommented examples lack a section: %+v", cfg)
	}
}

// snapshot reads every file under dir, by its path relative to dir.
func snapshot(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func keysOf(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
