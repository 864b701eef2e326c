package actions

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

//go:embed ansible/callback_plugins/sitrep_json.py
var ansibleCallback []byte

// AnsibleInstallHint is how to get ansible-playbook on Debian.
const AnsibleInstallHint = "apt-get update && apt-get install -y --no-install-recommends ansible-core"

// AnsibleSummary is the machine-readable result of a playbook run, from
// sitrep's stdout callback plugin.
type AnsibleSummary struct {
	Hosts     map[string]HostCounts `json:"hosts"`
	Diffs     []AnsibleDiff         `json:"diffs"`
	CheckMode bool                  `json:"check_mode"`
}

// HostCounts are one host's task results.
type HostCounts struct {
	OK          int `json:"ok"`
	Changed     int `json:"changed"`
	Failed      int `json:"failed"`
	Skipped     int `json:"skipped"`
	Unreachable int `json:"unreachable"`
}

// AnsibleDiff is one task's diff on one host.
type AnsibleDiff struct {
	Host string `json:"host"`
	Task string `json:"task"`
	Diff string `json:"diff"`
}

// Text is the summary in one line per host, then the diffs.
func (s *AnsibleSummary) Text() string {
	if s == nil {
		return ""
	}
	var b strings.Builder
	for _, h := range keys(s.Hosts) {
		c := s.Hosts[h]
		fmt.Fprintf(&b, "%s: ok=%d changed=%d failed=%d skipped=%d unreachable=%d\n", h, c.OK, c.Changed, c.Failed, c.Skipped, c.Unreachable)
	}
	for _, d := range s.Diffs {
		fmt.Fprintf(&b, "--- %s: %s\n%s", d.Host, d.Task, d.Diff)
	}
	return b.String()
}

// AnsibleRunner runs ansible-playbook; its dry run is --check --diff.
type AnsibleRunner struct {
	Playbook   string
	Inventory  string
	Connection string
	Limit      string
	ExtraVars  map[string]string
	Env        []string // NAME=value
	EnvNames   []string
	Timeout    time.Duration
	Redactor   *Redactor
	TargetTxt  string
	// Binary is the ansible-playbook to run; empty means from PATH.
	Binary string
}

func (r *AnsibleRunner) binary() string {
	if r.Binary != "" {
		return r.Binary
	}
	return "ansible-playbook"
}

func (r *AnsibleRunner) argv(extra ...string) []string {
	argv := []string{r.binary(), "-i", r.Inventory}
	if r.Connection != "" {
		argv = append(argv, "-c", r.Connection)
	}
	if r.Limit != "" {
		argv = append(argv, "--limit", r.Limit)
	}
	if len(r.ExtraVars) > 0 {
		// One JSON argument: values cannot split into other variables.
		b, _ := json.Marshal(r.ExtraVars)
		argv = append(argv, "--extra-vars", string(b))
	}
	argv = append(argv, extra...)
	return append(argv, r.Playbook)
}

// Preview implements Runner.
func (r *AnsibleRunner) Preview() Preview {
	return Preview{
		Runner: RunnerAnsible, Command: r.Redactor.redactAll(r.argv()), Env: r.EnvNames, Target: r.TargetTxt,
		DryRun: r.Redactor.redactAll(r.argv("--check", "--diff")),
	}
}

// HasDryRun implements Runner.
func (r *AnsibleRunner) HasDryRun() bool { return true }

// DryRun implements Runner: ansible-playbook --check --diff.
func (r *AnsibleRunner) DryRun(ctx context.Context, out func(Chunk)) Result {
	return r.run(ctx, out, "--check", "--diff")
}

// Run implements Runner.
func (r *AnsibleRunner) Run(ctx context.Context, out func(Chunk)) Result {
	return r.run(ctx, out, "--diff")
}

// ListHosts returns the hosts the playbook would touch (--list-hosts),
// the blast radius.
func (r *AnsibleRunner) ListHosts(ctx context.Context) ([]string, error) {
	res := r.exec(ctx, nil, r.argv("--list-hosts"), "")
	if !res.OK {
		return nil, fmt.Errorf("ansible-playbook --list-hosts: %s: %s", res.Text, lastLines(res.Output, 5))
	}
	return parseListHosts(res.Output), nil
}

// parseListHosts reads the host lines under each "hosts (N):" header.
func parseListHosts(out string) []string {
	seen := map[string]bool{}
	in := false
	for _, line := range strings.Split(out, "\n") {
		t := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(t, "pattern:") || strings.HasPrefix(t, "play #"):
			in = false
		case strings.HasPrefix(t, "hosts (") && strings.HasSuffix(t, "):"):
			in = true
		case in && t != "":
			seen[t] = true
		}
	}
	hosts := keys(seen)
	sort.Strings(hosts)
	return hosts
}

func (r *AnsibleRunner) run(ctx context.Context, out func(Chunk), extra ...string) Result {
	return r.exec(ctx, out, r.argv(extra...), "summary")
}

func (r *AnsibleRunner) exec(ctx context.Context, out func(Chunk), argv []string, summary string) Result {
	if _, err := exec.LookPath(argv[0]); err != nil && !strings.Contains(argv[0], "/") {
		return Result{ExitCode: -1, Text: "ansible-playbook is not installed (" + AnsibleInstallHint + ")"}
	}
	dir, err := os.MkdirTemp("", "sitrep-ansible-")
	if err != nil {
		return Result{ExitCode: -1, Text: "temp dir: " + err.Error()}
	}
	defer os.RemoveAll(dir)
	plugins := filepath.Join(dir, "callback_plugins")
	if err := os.MkdirAll(plugins, 0o700); err != nil {
		return Result{ExitCode: -1, Text: "temp dir: " + err.Error()}
	}
	if err := os.WriteFile(filepath.Join(plugins, "sitrep_json.py"), ansibleCallback, 0o600); err != nil {
		return Result{ExitCode: -1, Text: "write callback plugin: " + err.Error()}
	}
	sumFile := filepath.Join(dir, "summary.json")
	env := append([]string{}, r.Env...)
	env = append(env,
		"ANSIBLE_CALLBACK_PLUGINS="+plugins,
		"ANSIBLE_STDOUT_CALLBACK=sitrep_json",
		"ANSIBLE_LOAD_CALLBACK_PLUGINS=1",
		"ANSIBLE_NOCOLOR=1",
		"ANSIBLE_FORCE_COLOR=0",
		"ANSIBLE_RETRY_FILES_ENABLED=0",
		"ANSIBLE_HOST_KEY_CHECKING=0",
		"ANSIBLE_LOCAL_TEMP="+filepath.Join(dir, "tmp"),
		"ANSIBLE_REMOTE_TEMP="+filepath.Join(dir, "remote"),
		"ANSIBLE_PYTHON_INTERPRETER=auto_silent",
		"ANSIBLE_DEPRECATION_WARNINGS=0",
		"LC_ALL=C.UTF-8",
		"SITREP_ANSIBLE_SUMMARY="+sumFile,
	)
	res := runProc(ctx, proc{argv: argv, env: env, timeout: r.Timeout}, r.Redactor, out)
	if summary != "" {
		if b, err := os.ReadFile(sumFile); err == nil {
			var s AnsibleSummary
			if json.Unmarshal(b, &s) == nil {
				for i := range s.Diffs {
					s.Diffs[i].Diff = r.Redactor.Redact(s.Diffs[i].Diff)
				}
				res.Summary = &s
			}
		}
	}
	return res
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
