package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"sitrep/store/journal"
)

// completionWorld is the journal world with a config and the run tests'
// catalogue beside it.
type completionWorld struct {
	journalWorld
	config string
}

func newCompletionWorld(t *testing.T) completionWorld {
	t.Helper()
	jw := newJournalWorld(t)
	dir := t.TempDir()
	cat, err := os.ReadFile(filepath.Join("testdata", "run", "actions.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "actions.yaml"), cat, 0o600); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(config, []byte("scope: mine\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return completionWorld{jw, config}
}

// completion is what the binary's __complete command answered: the
// candidates as the shell scripts read them ("word\tdescription"), and
// the directive.
type completion struct {
	words     []string // the words alone
	lines     []string // word and description
	directive string
	stdout    string
	stderr    string
	took      time.Duration
}

func (c completion) has(word string) bool { return slices.Contains(c.words, word) }

// complete asks the real binary for the completions of args, the last
// one being the word under the cursor, as the shell scripts do.
func complete(t *testing.T, args ...string) completion {
	t.Helper()
	bin := buildSitrep(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"__complete"}, args...)...)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	err := cmd.Run()
	c := completion{stdout: out.String(), stderr: errOut.String(), took: time.Since(start)}
	if err != nil {
		t.Fatalf("sitrep __complete %q: %v\nstdout: %s\nstderr: %s", args, err, c.stdout, c.stderr)
	}
	lines := strings.Split(strings.TrimRight(c.stdout, "\n"), "\n")
	c.directive = lines[len(lines)-1]
	c.lines = lines[:len(lines)-1]
	for _, l := range c.lines {
		word, _, _ := strings.Cut(l, "\t")
		c.words = append(c.words, word)
	}
	return c
}

// Directives as cobra prints them (":N", N the ShellCompDirective bits).
const (
	dirNoFile         = ":4"
	dirNoSpaceNoFile  = ":6"
	dirNoFileKeepOrdr = ":36"
)

func TestCompletionRunActions(t *testing.T) {
	w := newCompletionWorld(t)
	c := complete(t, "run", "--config", w.config, "")
	for _, want := range []string{"restart_service\tRestart the service", "annotate\tAnnotate the service", "snooze\tSnooze the incident", "set_urgency\tChange the urgency"} {
		if !slices.Contains(c.lines, want) {
			t.Errorf("run <TAB>: no %q in\n%s", want, c.stdout)
		}
	}
	if c.directive != dirNoFile {
		t.Errorf("run <TAB>: directive %s, want %s (no files)", c.directive, dirNoFile)
	}
	c = complete(t, "run", "--config", w.config, "re")
	if !c.has("restart_service") || !c.has("reassign") || c.has("annotate") {
		t.Errorf("run re<TAB>: want restart_service and reassign only, got %q", c.words)
	}
	// One action only: after it, nothing.
	if c := complete(t, "run", "--config", w.config, "annotate", ""); len(c.words) != 0 {
		t.Errorf("run annotate <TAB>: want nothing, got %q", c.words)
	}
}

func TestCompletionRunParams(t *testing.T) {
	w := newCompletionWorld(t)
	c := complete(t, "run", "--config", w.config, "annotate", "--param", "")
	if !slices.Contains(c.lines, "label=\ta short label (required)") || !c.has("service=") {
		t.Errorf("--param <TAB> for annotate: want label= and service=, got\n%s", c.stdout)
	}
	if c.directive != dirNoSpaceNoFile {
		t.Errorf("--param <TAB>: directive %s, want %s (no space after name=)", c.directive, dirNoSpaceNoFile)
	}
	c = complete(t, "run", "--config", w.config, "annotate", "--param", "label=x", "--param", "")
	if c.has("label=") || !c.has("service=") {
		t.Errorf("--param <TAB> after label=x: want service= alone, got %q", c.words)
	}
	// Values where the pattern is a choice.
	c = complete(t, "run", "--config", w.config, "set_urgency", "--incident", "9", "--param", "urgency=")
	if !slices.Equal(c.words, []string{"urgency=high", "urgency=low"}) || c.directive != dirNoFile {
		t.Errorf("--param urgency=<TAB>: want urgency=high, urgency=low and a space after, got %q %s", c.words, c.directive)
	}
	c = complete(t, "run", "--config", w.config, "escalate", "--param", "level=")
	if len(c.words) != 9 || !slices.Contains(c.lines, "level=2\tthe default") {
		t.Errorf("--param level=<TAB>: want level=1 to level=9 with 2 the default, got\n%s", c.stdout)
	}
	c = complete(t, "run", "--config", w.config, "restart_service", "--param", "env=p")
	if !slices.Equal(c.words, []string{"env=prod"}) {
		t.Errorf("--param env=p<TAB>: want env=prod, got %q", c.words)
	}
	// Free text offers no values.
	if c := complete(t, "run", "--config", w.config, "annotate", "--param", "label="); len(c.words) != 0 {
		t.Errorf("--param label=<TAB>: a free-text parameter offers nothing, got %q", c.words)
	}
}

func TestCompletionIncidents(t *testing.T) {
	w := newCompletionWorld(t)
	for _, args := range [][]string{
		{"journal", "show", "--journal", w.path},
		{"export", "--journal", w.path},
		{"run", "--journal", w.path, "--config", w.config, "restart_service", "--incident"},
	} {
		c := complete(t, append(args, "")...)
		// Newest number first; #5 names two incidents, so they go by
		// their IDs; an incident with no number by its ID.
		want := []string{"14", "12", "9", "PTWINA1", "PTWINB2", "3", "2"}
		if !slices.Equal(c.words, want) {
			t.Errorf("%s <TAB>: want %q, got\n%s", strings.Join(args, " "), want, c.stdout)
		}
		if !slices.Contains(c.lines, "9\tCheckout 5xx above 5% (payment-gateway)") {
			t.Errorf("%s <TAB>: #9 without its title and service:\n%s", strings.Join(args, " "), c.stdout)
		}
		if c.directive != dirNoFileKeepOrdr {
			t.Errorf("%s <TAB>: directive %s, want %s", strings.Join(args, " "), c.directive, dirNoFileKeepOrdr)
		}
		if strings.ContainsAny(c.stdout, "\x1b\x07\u202e") {
			t.Errorf("%s <TAB>: a title's control characters reach the shell: %q", strings.Join(args, " "), c.stdout)
		}
		c = complete(t, append(args, "Q")...)
		if !slices.Equal(c.words, []string{"Q000009", "Q000003", "Q000002"}) || !slices.Contains(c.lines, "Q000009\t#9 Checkout 5xx above 5% (payment-gateway)") {
			t.Errorf("%s Q<TAB>: want the Q IDs, #9's described by its number, got\n%s", strings.Join(args, " "), c.stdout)
		}
		if c := complete(t, append(args, "1")...); !slices.Equal(c.words, []string{"14", "12"}) {
			t.Errorf("%s 1<TAB>: want 14 and 12, got %q", strings.Join(args, " "), c.words)
		}
	}
	// One incident is all they take.
	if c := complete(t, "export", "--journal", w.path, "9", ""); len(c.words) != 0 {
		t.Errorf("export 9 <TAB>: want nothing, got %q", c.words)
	}
}

// The cockpit holds the journal while the shell beside it completes: the
// read-only snapshot answers.
func TestCompletionWhileTheJournalIsHeld(t *testing.T) {
	w := newCompletionWorld(t)
	j, err := journal.Open(w.path, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	c := complete(t, "journal", "show", "--journal", w.path, "")
	if !c.has("9") || !c.has("14") {
		t.Errorf("journal show <TAB> while the journal is held: want its incidents, got\n%s\nstderr: %s", c.stdout, c.stderr)
	}
}

func TestCompletionConfirm(t *testing.T) {
	w := newCompletionWorld(t)
	for _, incident := range []string{"9", "Q000009"} {
		c := complete(t, "run", "--journal", w.path, "--config", w.config, "restart_service", "--incident", incident, "--confirm", "")
		if !slices.Equal(c.words, []string{"payment-gateway"}) {
			t.Errorf("--incident %s --confirm <TAB>: want payment-gateway, got\n%s", incident, c.stdout)
		}
	}
	if c := complete(t, "run", "--journal", w.path, "--config", w.config, "restart_service", "--confirm", ""); len(c.words) != 0 {
		t.Errorf("--confirm <TAB> with no incident: want nothing, got %q", c.words)
	}
}

func TestCompletionScopesAndSubcommands(t *testing.T) {
	newCompletionWorld(t)
	c := complete(t, "--scope", "")
	if !slices.Equal(c.words, []string{"mine", "team", "all"}) {
		t.Errorf("--scope <TAB>: want mine, team, all, got\n%s", c.stdout)
	}
	c = complete(t, "journal", "")
	for _, want := range []string{"ls", "show", "verify"} {
		if !c.has(want) {
			t.Errorf("journal <TAB>: no %s in\n%s", want, c.stdout)
		}
	}
}

// A broken config, a missing journal, a config that never finishes
// reading: no candidates, no file names (bash offers files after cobra's
// error directive), no error text, and an answer within the budget.
func TestCompletionFailsQuietly(t *testing.T) {
	w := newCompletionWorld(t)
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken.yaml")
	if err := os.WriteFile(broken, []byte("scope: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "config.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for name, args := range map[string][]string{
		"broken config":          {"run", "--config", broken, ""},
		"broken params":          {"run", "--config", broken, "annotate", "--param", ""},
		"missing journal":        {"journal", "show", "--journal", filepath.Join(dir, "none.db"), ""},
		"journal is a directory": {"export", "--journal", dir, ""},
		"config never ends":      {"run", "--config", fifo, ""},
		"confirm, no journal":    {"run", "--journal", filepath.Join(dir, "none.db"), "--config", w.config, "annotate", "--incident", "9", "--confirm", ""},
	} {
		c := complete(t, args...)
		if len(c.lines) != 0 || c.directive != dirNoFile {
			t.Errorf("%s: want no candidates and no files, got\n%s", name, c.stdout)
		}
		// cobra itself notes the directive on stderr, which the scripts
		// discard; sitrep adds nothing.
		if rest := strings.TrimSpace(strings.Replace(c.stderr, "Completion ended with directive: ShellCompDirectiveNoFileComp", "", 1)); rest != "" {
			t.Errorf("%s: stderr has more than the directive: %q", name, c.stderr)
		}
		if c.took > completionBudget+3*time.Second {
			t.Errorf("%s: took %s, budget %s", name, c.took, completionBudget)
		}
	}
}

func TestPatternChoices(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		want    []string
	}{
		{`high|low`, []string{"high", "low"}},
		{`staging|prod`, []string{"staging", "prod"}},
		{`[1-3]`, []string{"1", "2", "3"}},
		{`(a|b)(x|y)?`, []string{"a", "ax", "ay", "b", "bx", "by"}},
		{`v1|v2|v10`, []string{"v1", "v2", "v10"}},
		{`[a-z0-9-]{1,20}`, nil},
		{`[A-Z0-9]{2,32}`, nil},
		{`.*`, nil},
		{`(?i)yes|no`, nil},
		{`[0-9]{3}`, nil}, // 1000 values: free text, not a choice
		{`(`, nil},
	} {
		got := patternChoices(tc.pattern, maxChoices)
		slices.Sort(got)
		want := slices.Clone(tc.want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("patternChoices(%q) = %q, want %q", tc.pattern, got, want)
		}
	}
}
