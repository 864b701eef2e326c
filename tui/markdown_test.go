package tui

import (
	"os/exec"
	"strings"
	"testing"
	"unicode"

	"github.com/charmbracelet/x/ansi"
)

func plainLines(lines []string) string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = ansi.Strip(l)
	}
	return strings.Join(out, "\n")
}

func TestMarkdownRenders(t *testing.T) {
	tests := []struct {
		name, src string
		width     int
		want      string
	}{
		{"paragraph wraps at spaces", "A restart drains each instance and reopens its pool.", 20,
			"A restart drains\neach instance and\nreopens its pool."},
		{"headings keep their marks", "# One\n\n## Two\n\nSetext\n---", 40, "# One\n\n## Two\n\n## Setext"},
		{"emphasis and code spans keep their marks", "Check *now* the **pool** with `pg_stat`.", 60,
			"Check *now* the **pool** with `pg_stat`."},
		{"a link shows its address", "See [the dashboard](https://grafana.example/d/1) first.", 80,
			"See the dashboard https://grafana.example/d/1 first."},
		{"a link that is its address shows it once", "<https://status.example>", 80, "https://status.example"},
		{"items hang under their first word", "- one two three four five\n- six\n  - nested", 14,
			"• one two\n  three four\n  five\n• six\n  • nested"},
		{"ordered lists count from their start", "3. three\n4. four", 20, "3. three\n4. four"},
		{"loose lists keep their blank lines", "- one\n\n- two", 20, "• one\n\n• two"},
		{"code is drawn as written", "```sh\nkubectl  get pods\n\tindented\n```", 40,
			"  kubectl  get pods\n      indented"},
		{"a long code line breaks, it is not cut", "    0123456789abcdef", 10, "  01234567\n  89abcdef"},
		{"quotes", "> Careful: this restarts\n> every pod.", 20, "| Careful: this\n| restarts every\n| pod."},
		{"hard line breaks", "first\\\nsecond", 40, "first\nsecond"},
		{"a thematic break", "above\n\n***\n\nbelow", 40, "above\n\n--------\n\nbelow"},
		{"a word wider than the line breaks", "https://example.com/a/very/long/path", 12,
			"https://exam\nple.com/a/ve\nry/long/path"},
		{"wide characters count two cells", "決済 決済 決済", 9, "決済 決済\n決済"},
		{"references resolve", "a &amp; b &#x263A; \\*", 40, "a & b ☺ *"},
		{"a table", "| Service | Owner |\n|---|:-:|\n| payment-gateway | payments |\n| orders | `checkout` |", 40,
			"Service         | Owner\n----------------|-----------\npayment-gateway | payments\norders          | `checkout`"},
		{"a table narrows its widest column", "| a | b |\n|---|---|\n| x | one two three four |", 12,
			"a | b\n--|---------\nx | one two\n  | three\n  | four"},
		{"a pipe that is not a table", "a | b\nc | d", 40, "a | b c | d"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := newMarkdown(tt.width).render(tt.src)
			if plain := plainLines(got); plain != tt.want {
				t.Errorf("render at %d:\n%s\nwant:\n%s", tt.width, plain, tt.want)
			}
			for _, l := range got {
				if w := ansi.StringWidth(l); w > tt.width {
					t.Errorf("line %q is %d cells, wider than %d", ansi.Strip(l), w, tt.width)
				}
			}
		})
	}
}

// The styles are the terminal's own palette: one escape sequence per run
// of equally drawn words.
func TestMarkdownStyles(t *testing.T) {
	got := strings.Join(newMarkdown(80).render("# Title\n\n## Look first\n\nRun `kubectl`, see [docs](https://d.example).\n\n    code"), "\n")
	for _, want := range []string{
		"\x1b[1;4m# Title\x1b[m",            // a first-level heading: bold, underlined
		"\x1b[1m## Look first\x1b[m",        // the others: bold
		"\x1b[33m`kubectl`\x1b[m",           // a code span: yellow
		"\x1b[1mdocs\x1b[m",                 // link text: bold
		"\x1b[4;34mhttps://d.example\x1b[m", // its address: blue, underlined
		"  \x1b[36mcode\x1b[m",              // a code block: cyan
	} {
		if !strings.Contains(got, want) {
			t.Errorf("rendered text lacks %q:\n%q", want, got)
		}
	}
}

// Character references and escapes are resolved after the source was
// sanitized, so what they produce is sanitized again.
func TestMarkdownSanitizesWhatReferencesMake(t *testing.T) {
	src := "a &#27;[2J b &#x1b;]0;owned&#7; c &#x9b;31m d \\\x1b[31m [x](&#27;[2J) `&#27;` e\u202egnp"
	for _, l := range newMarkdown(80).render(src) {
		plain := ansi.Strip(l)
		for _, r := range plain {
			if unicode.IsControl(r) || r == '\u202e' {
				t.Errorf("rendered line holds %U: %q", r, l)
			}
		}
		if strings.Contains(l, "\x1b]") || strings.Contains(l, "\x1b[2J") {
			t.Errorf("rendered line holds an escape sequence: %q", l)
		}
	}
}

// The runbook renderer must not bring a highlighter (or goldmark's
// extensions) back into the binary: their package initialisation is paid
// by every start of sitrep, before its first frame.
func TestMarkdownPullsNoHighlighter(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list the package's dependencies")
	}
	out, err := exec.Command(goTool, "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, heavy := range []string{"github.com/alecthomas/chroma", "charm.land/glamour", "github.com/yuin/goldmark/extension", "github.com/microcosm-cc/bluemonday"} {
			if strings.HasPrefix(dep, heavy) {
				t.Errorf("sitrep/tui depends on %s", dep)
			}
		}
	}
}

func FuzzMarkdown(f *testing.F) {
	for _, seed := range []string{
		"# T\n\nSome *text* with `code` and [a link](http://x).\n\n- a\n  - b\n\n1. c\n\n> q\n\n```\nx\n```",
		"| a | b |\n|---|---|\n| 1 | 2 |",
		"&#27;[31m \\| <b>html</b>\n\n<div>\nblock\n</div>",
		"> > > > > > > > > > deep\n\n- - - - - - - - - - x",
		"決済決済決済決済決済決済 👩‍🚒👩‍🚒👩‍🚒",
	} {
		f.Add(seed, 20)
	}
	f.Fuzz(func(t *testing.T, src string, width int) {
		width = 1 + abs(width)%120
		md := newMarkdown(width)
		for _, l := range md.render(src) {
			if w := ansi.StringWidth(l); w > md.width {
				t.Fatalf("line %q is %d cells, wider than %d", l, w, md.width)
			}
			for _, r := range ansi.Strip(l) {
				if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
					t.Fatalf("line %q holds %U", l, r)
				}
			}
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
