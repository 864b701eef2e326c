package stats

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"sitrep/actions"
)

// markdownlint finds markdownlint-cli2, or skips (fails under CI=true), as
// the post-mortem export's test does.
func markdownlint(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("markdownlint-cli2"); err == nil {
		return p
	}
	for dir, _ := os.Getwd(); dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
		p := filepath.Join(dir, "node_modules", ".bin", "markdownlint-cli2")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	msg := "markdownlint-cli2 not found on PATH or in node_modules/.bin; install it with: npm install -g markdownlint-cli2"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// hostileFixture is the fixture with names a hostile journal could hold.
func hostileFixture() *script {
	s := fixture()
	evil := "x | y *bold* <script>alert(1)</script> [link](https://evil.example) \x1b]0;owned\x07 # heading"
	s.seen("EVIL", evil, t0)
	for i := range 3 {
		id := "EVIL" + string(rune('A'+i))
		s.seen(id, evil, t0)
		s.tick(id, evil, "- "+evil, true, t0)
		s.note(id, "1. "+evil, t0)
		s.runAction(id, "act_"+evil, evil, t0, actions.StepFinished, "worse", 10, actions.MetricChange{Name: evil, Before: 1, After: 2})
	}
	return s
}

func TestMarkdownlint(t *testing.T) {
	lint := markdownlint(t)
	dir := t.TempDir()
	until := t0.Add(30 * 24 * time.Hour)
	var files []string
	for name, s := range map[string]*script{"fixture": fixture(), "hostile": hostileFixture(), "empty": {}} {
		rep, err := Compute(s.seq(), Options{Since: t0.Add(-time.Hour), Until: until})
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name+".md")
		if err := os.WriteFile(p, []byte(Markdown(rep)), 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, filepath.Base(p))
	}
	cmd := exec.Command(lint, files...)
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

func TestMarkdownSaysWhatTheFiguresSay(t *testing.T) {
	rep, err := Compute(fixture().seq(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := Markdown(rep)
	for _, want := range []string{
		"| flush\\_cache | 5 | 5 | 2 | 1 | 1 | 0 | rate\\_limit 2 | 0 | 1 | 1 | 3 | 400ms |",
		"| restart\\_service | 5 | 5 | 0 | 0 | 0 | 0 | refuse\\_resolved 1 | 5 | 0 | 0 | 0 | 3s |",
		"| payment-gateway | 5 | deploy regression 4 | 5m0s | 25m0s | restart\\_service 5 |",
		"- runbook step: Check the load balancer's health page (Payments 5xx) — ticked by\n  hand in 4 incidents (suggested from 3)",
		"restart\\_service: 5xx rate 0.45 → 0.01 (median of 4 runs)",
		"flush\\_cache: on DB1 (checkout-db) at 2026-11-01 09:05 UTC",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("markdown lacks %q:\n%s", want, got)
		}
	}
	hostile, _ := Compute(hostileFixture().seq(), Options{})
	h := Markdown(hostile)
	for _, bad := range []*regexp.Regexp{regexp.MustCompile("\x1b|\x07"), regexp.MustCompile(`[^\\]<script`),
		regexp.MustCompile(`[^\\]\]\(https`), regexp.MustCompile(`[^\\]\| y`), regexp.MustCompile(`[^\\]\*bold`)} {
		if bad.MatchString(h) {
			t.Errorf("hostile markdown holds %q:\n%s", bad, h)
		}
	}
}
