package actions

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

func TestWriteList(t *testing.T) {
	c, _ := Load(filepath.Join(tdata, "readonly"))
	var whole bytes.Buffer
	WriteList(&whole, c, 0)
	lines := strings.Split(strings.TrimSuffix(whole.String(), "\n"), "\n")
	if len(lines) != 1+1+9 {
		t.Fatalf("%d lines, want a header, pool_stats and the 9 built-ins:\n%s", len(lines), whole.String())
	}
	// Every column starts where its header's does.
	for _, col := range []string{"RISK", "RUNNER", "OFFERED FOR", "TITLE"} {
		at := strings.Index(lines[0], col)
		for _, l := range lines[1:] {
			if l[at-1] != ' ' || l[at] == ' ' {
				t.Errorf("column %s does not start at %d in %q", col, at, l)
			}
		}
	}
	if !strings.Contains(whole.String(), "pool_stats (changes nothing)") || !strings.Contains(whole.String(), "Post a status update (built in)") {
		t.Errorf("the listing does not mark diagnostics and built-ins:\n%s", whole.String())
	}

	var cut bytes.Buffer
	WriteList(&cut, c, 40)
	for _, l := range strings.Split(strings.TrimSuffix(cut.String(), "\n"), "\n") {
		if w := ansi.StringWidth(l); w > 40 {
			t.Errorf("line %q is %d cells wide, want at most 40", l, w)
		}
	}
}
