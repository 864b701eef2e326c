package actions

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
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

// varsFileName is the extra-vars file in a run's temp dir; the preview
// names it by where it will be, since the dir exists only while it runs.
const (
	varsFileName    = "extra_vars.yml"
	varsFilePreview = "<run dir>/" + varsFileName
)

// argv is the command line; vars is the extra-vars file, if any.
func (r *AnsibleRunner) argv(vars string, extra ...string) []string {
	argv := []string{r.binary(), "-i", r.Inventory}
	if r.Connection != "" {
		argv = append(argv, "-c", r.Connection)
	}
	if r.Limit != "" {
		argv = append(argv, "--limit", r.Limit)
	}
	if len(r.ExtraVars) > 0 {
		// From a file, never inline: every value there is !unsafe, so
		// Jinja never evaluates what a parameter holds.
		argv = append(argv, "--extra-vars", "@"+vars)
	}
	argv = append(argv, extra...)
	return append(argv, r.Playbook)
}

// extraVarName is what an extra var may be called: an identifier, so a
// key can be neither YAML syntax nor Jinja.
var extraVarName = regexp.MustCompile(`\A[A-Za-z_][A-Za-z0-9_]*\z`)

// extraVarsYAML is the extra-vars file: one "'key': !unsafe 'value'" line
// per variable, sorted. Ansible never templates an !unsafe value, so a
// value such as "{{ lookup('pipe', 'id') }}" reaches the playbook as
// those characters. Keys are quoted so that "yes" or "null" stay strings.
func extraVarsYAML(vars map[string]string) (string, error) {
	var b strings.Builder
	for _, k := range keys(vars) {
		if !extraVarName.MatchString(k) {
			return "", fmt.Errorf("extra var name %q is not an identifier (letters, digits and _)", k)
		}
		v := vars[k]
		if !yamlQuotable(v) {
			return "", fmt.Errorf("extra var %s: value %s holds a line break or a control character", k, displayValue(v))
		}
		fmt.Fprintf(&b, "%s: !unsafe %s\n", yamlQuote(k), yamlQuote(v))
	}
	return b.String(), nil
}

// yamlQuote is s as a YAML single-quoted scalar.
func yamlQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// yamlQuotable reports whether a single-quoted scalar keeps s exactly: it
// holds no line break (YAML folds them) and only characters a YAML stream
// may carry.
func yamlQuotable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, c := range s {
		switch {
		case c == '\t', c >= 0x20 && c <= 0x7e:
		case c >= 0xa0 && c <= 0xd7ff && c != 0x2028 && c != 0x2029:
		case c >= 0xe000 && c <= 0xfffd && c != 0xfeff:
		case c >= 0x10000 && c <= 0x10ffff:
		default:
			return false
		}
	}
	return true
}

// varsList is the extra vars as the preview shows them: key='value'
// pairs, sorted, quoted as in the file.
func (r *AnsibleRunner) varsList() string {
	var parts []string
	for _, k := range keys(r.ExtraVars) {
		parts = append(parts, k+"="+yamlQuote(r.ExtraVars[k]))
	}
	return strings.Join(parts, " ")
}

// Preview implements Runner. The extra vars are shown in Body, as the
// file passes them.
func (r *AnsibleRunner) Preview() Preview {
	return Preview{
		Runner: RunnerAnsible, Command: r.Redactor.redactAll(r.argv(varsFilePreview)), Env: r.EnvNames, Target: r.TargetTxt,
		DryRun: r.Redactor.redactAll(r.argv(varsFilePreview, "--check", "--diff")),
		Body:   r.Redactor.Redact(r.varsList()),
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
	res := r.exec(ctx, nil, []string{"--list-hosts"}, "")
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
	return r.exec(ctx, out, extra, "summary")
}

// exec runs ansible-playbook with extra arguments in a fresh private temp
// dir holding the callback plugin and the extra-vars file.
func (r *AnsibleRunner) exec(ctx context.Context, out func(Chunk), extra []string, summary string) Result {
	if bin := r.binary(); !strings.Contains(bin, "/") {
		if _, err := exec.LookPath(bin); err != nil {
			return Result{ExitCode: -1, Text: "ansible-playbook is not installed (" + AnsibleInstallHint + ")"}
		}
	}
	vars, err := extraVarsYAML(r.ExtraVars)
	if err != nil {
		return Result{ExitCode: -1, Text: r.Redactor.Redact(err.Error())}
	}
	dir, err := os.MkdirTemp("", "sitrep-ansible-")
	if err != nil {
		return Result{ExitCode: -1, Text: "temp dir: " + err.Error()}
	}
	defer os.RemoveAll(dir)
	varsFile := filepath.Join(dir, varsFileName)
	if vars != "" {
		if err := os.WriteFile(varsFile, []byte(vars), 0o600); err != nil {
			return Result{ExitCode: -1, Text: "write extra vars: " + err.Error()}
		}
	}
	argv := r.argv(varsFile, extra...)
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
