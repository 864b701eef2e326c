package postmortem

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"sitrep/store/journal"
	"sitrep/store/postmortem/mdlint"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func render(t testing.TB, in Input) string {
	t.Helper()
	var b bytes.Buffer
	if err := Render(&b, in); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func scenarios(t testing.TB) map[string]Input {
	t.Helper()
	return map[string]Input{
		"payment_gateway": paymentGateway(t),
		"attempts":        withAttempts(t),
		"pins":            withPins(t),
		"hostile":         hostile(t),
		"quiet":           quiet(),
		"empty":           {},
		"history":         withHistory(t),
		"history_unknown": historyUnavailable(),
	}
}

func TestGolden(t *testing.T) {
	for name, in := range scenarios(t) {
		t.Run(name, func(t *testing.T) {
			got := render(t, in)
			path := filepath.Join("testdata", "postmortem_"+name+".golden.md")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from the rendering; run go test ./store/postmortem -update and review the diff.\ngot:\n%s", path, got)
			}
		})
	}
}

// TestMarkdownlint renders every scenario and runs markdownlint-cli2 with
// its default rules over the files.
func TestMarkdownlint(t *testing.T) {
	docs := map[string]string{}
	for name, in := range scenarios(t) {
		docs[name+".md"] = render(t, in)
	}
	mdlint.Check(t, docs)
}

// TestHostileTextStaysText checks the hostile scenario's strings arrive
// inert: no control bytes, no HTML, no links or code spans of theirs.
func TestHostileTextStaysText(t *testing.T) {
	got := render(t, hostile(t))
	tests := []struct {
		name string
		bad  *regexp.Regexp
	}{
		{"escape byte", regexp.MustCompile("\x1b")},
		{"BEL", regexp.MustCompile("\x07")},
		{"html tag", regexp.MustCompile(`(^|[^\\])<(script|img|b)\b`)},
		{"html entity", regexp.MustCompile(`(^|[^\\])&(lt|gt|amp|#x?[0-9a-fA-F]+);`)},
		{"html comment", regexp.MustCompile(`<!-- comment`)},
		{"link syntax", regexp.MustCompile(`[^\\]\]\(`)},
		{"bare evil URL", regexp.MustCompile(`https?://evil`)},
		{"bare www", regexp.MustCompile(`www\.evil`)},
		{"bare email", regexp.MustCompile(`[^\\]@evil`)},
		{"code fence", regexp.MustCompile("(?m)^\\s*```")},
		{"their code span", regexp.MustCompile("[^\\\\]`rm")},
		{"front matter injection", regexp.MustCompile(`(?m)^urgency: low`)},
		{"unescaped heading", regexp.MustCompile(`(?m)^#+ [^A-Z]`)},
		{"unescaped list item", regexp.MustCompile(`(?m)^\s*([-+*]|\d+[.)]) (\[ \]|eve|[-+] )`)},
		{"setext underline or rule", regexp.MustCompile(`(?m)^(---|===|==)`)},
		{"block quote", regexp.MustCompile(`(?m)^\s*>`)},
		{"unescaped pipe in a cell", regexp.MustCompile(`line two \| cell`)},
		{"unescaped emphasis", regexp.MustCompile(`[^\\]\*bold`)},
	}
	body := got[strings.Index(got[4:], "---")+8:]
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if loc := tt.bad.FindStringIndex(body); loc != nil {
				t.Errorf("export matches %s: ...%s...", tt.bad, body[max(0, loc[0]-60):min(len(body), loc[1]+60)])
			}
		})
	}
}

func TestTimelineMergedOrderedUnique(t *testing.T) {
	for name, in := range scenarios(t) {
		t.Run(name, func(t *testing.T) {
			rows := newFacts(in).timeline
			seen := map[string]bool{}
			for i, r := range rows {
				k := r.At.String() + "|" + r.Text
				if seen[k] {
					t.Errorf("row %d duplicates %q at %v", i, r.Text, r.At)
				}
				seen[k] = true
				if i > 0 && r.At.Before(rows[i-1].At) {
					t.Errorf("row %d (%v) is before row %d (%v)", i, r.At, i-1, rows[i-1].At)
				}
			}
		})
	}
	rows := newFacts(paymentGateway(t)).timeline
	var acks, notes, begins int
	var sources []string
	for _, r := range rows {
		switch {
		case r.Text == "Acknowledged by Ana Ops":
			acks++
			sources = append(sources, r.Source)
		case strings.HasPrefix(r.Text, "Note: Errors started"):
			notes++
		case r.Text == markBegins:
			begins++
		}
	}
	if acks != 1 || notes != 1 || begins != 1 {
		t.Errorf("acknowledgements %d, notes %d, begins %d; want 1 each", acks, notes, begins)
	}
	if len(sources) == 1 && sources[0] != srcBoth {
		t.Errorf("merged row's source = %q, want %q", sources[0], srcBoth)
	}
	if rows[0].Text != "HighErrorRate: 5xx ratio 0.31" && rows[0].Text != markBegins && rows[0].At.After(start) {
		t.Errorf("first row %+v", rows[0])
	}
}

// TestTimelineMatchesWithoutIDs covers what sitrep journals before
// PagerDuty's log entry exists: an acknowledgement and a note it sent
// itself, with no PagerDuty id. They are the same events as PagerDuty's
// log entry and note near them in time, and appear once.
func TestTimelineMatchesWithoutIDs(t *testing.T) {
	in := paymentGateway(t)
	for i := range in.Entries {
		switch in.Entries[i].Kind {
		case "status.acknowledge":
			in.Entries[i].SourceID, in.Entries[i].At = "", at(3, 58)
		case "note":
			in.Entries[i].SourceID, in.Entries[i].At = "", at(8, 59)
		}
	}
	// A second acknowledgement far from PagerDuty's, and a different note:
	// both are events of their own.
	in.Entries = append(in.Entries,
		journal.Entry{Seq: 200, At: at(30, 0), Incident: "Q1PAY", Kind: "status.acknowledge", Actor: "Ana Ops", Summary: "Acknowledged again"},
		journal.Entry{Seq: 201, At: at(9, 0), Incident: "Q1PAY", Kind: "note", Actor: "Ben Backend", Summary: "Another note"})
	rows := newFacts(in).timeline
	count := map[string]int{}
	for _, r := range rows {
		count[r.Text]++
		if r.Text == "Acknowledged by Ana Ops" && r.Source != srcBoth {
			t.Errorf("acknowledgement source = %q, want %q", r.Source, srcBoth)
		}
	}
	for text, want := range map[string]int{
		"Acknowledged by Ana Ops": 1,
		"Acknowledged":            0,
		"Note: Errors started right after the 2.14.0 rollout": 1,
		"Errors started right after the 2.14.0 rollout":       0,
		"Acknowledged again":                                  1,
		"Another note":                                        1,
	} {
		if count[text] != want {
			t.Errorf("%q appears %d times, want %d", text, count[text], want)
		}
	}
}

func TestFacts(t *testing.T) {
	tests := []struct {
		name string
		in   Input
		want []string
	}{
		{"payment gateway", paymentGateway(t), []string{
			`acknowledged: "2026-11-28T02:17:00Z"`,
			`mitigated: "2026-11-28T02:37:00Z"`,
			`resolved: "2026-11-28T02:54:00Z"`,
			`time_to_acknowledge: "4m0s"`,
			`time_to_resolve: "41m0s"`,
			"  - \"Ana Ops\"\n  - \"Ben Backend\"\n",
			"| restart\\_service | payment-gateway in prod | ok: 3 hosts would restart | allowed | Ana Ops | exit 0 | 59s | helped | 5xx rate 0.31 → 0.01; p95 latency 840 ms → 120 ms |",
			"payment-gateway 2.14.0 rolled out\n  (payment-gateway, from pagerduty); nearest to the start",
			"config: raise pool size to 64",
			"Observed at 2026-11-28 02:20:30 UTC by Ana Ops: 5xx ratio 0.31",
			"seq 100 to 111",
			"`sitrep journal verify`",
			"| **INCIDENT BEGINS** |",
			"| **MITIGATED** |",
		}},
		{"quiet", quiet(), []string{
			"acknowledged: null",
			"responders: []",
			"No actions were taken through sitrep during this incident.",
			"Not resolved at the time of this export.",
			"No changes were recorded before the start.",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := render(t, tt.in)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("export lacks %q", w)
				}
			}
		})
	}
	got := render(t, paymentGateway(t))
	for _, bad := range []string{"after the start: not a cause", "ledger 1.2.0", "metrics snapshot", "PLAY RECAP"} {
		if strings.Contains(got, bad) {
			t.Errorf("export contains %q, which it should leave out", bad)
		}
	}
	order := []string{"## Summary", "## Impact", "## Detection", "## Responders", "## Timeline", "## Actions taken",
		"## Contributing factors", "## Resolution", "## Lessons", "## Action items", "## Related incidents", "## Supporting data", "## Audit"}
	last := -1
	for _, h := range order {
		i := strings.Index(got, "\n"+h+"\n")
		if i < last {
			t.Errorf("section %q is out of order or missing", h)
		}
		last = i
	}
}

func TestEscaping(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "payment-gateway 5xx", "payment-gateway 5xx"},
		{"pipe", "a | b", `a \| b`},
		{"html", "<b>&</b>", `\<b>&\</b>`},
		{"arrow", "pool 32->16, a < b, <3", "pool 32->16, a < b, <3"},
		{"entity", "&amp; &#x3C; &#60; AT&T R&D", `\&amp; \&\#x3C; \&\#60; AT&T R&D`},
		{"autolink", "<https://x.example>", `\<https\://x.example>`},
		{"backtick", "`x`", "\\`x\\`"},
		{"link", "[x](javascript:y)", `\[x\](javascript:y)`},
		{"url", "see https://x.example", `see https\://x.example`},
		{"emphasis", "*a* _b_", `\*a\* \_b\_`},
		{"control", "a\x1b[31mb\x1b]52;c;eA==\x07c", "abc"},
		{"newline", "a\nb", "a b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := inline(tt.in); got != tt.want {
				t.Errorf("inline(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	starts := []struct{ in, want string }{
		{"# x", `\# x`}, {"- x", `\- x`}, {"+ x", `\+ x`}, {"12. x", `12\. x`}, {"3) x", `3\) x`}, {"=== x", `\=== x`}, {"ok x", "ok x"},
	}
	for _, tt := range starts {
		var b strings.Builder
		wrap(&b, "", "", tt.in, 80)
		if got := strings.TrimSuffix(b.String(), "\n"); got != tt.want {
			t.Errorf("wrap(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	yamls := []struct{ in, want string }{
		{`a "b" \c`, `"a \"b\" \\c"`}, {"a\nb: c", `"a b: c"`}, {"x\u2028y", `"x\u2028y"`},
	}
	for _, tt := range yamls {
		if got := yamlString(tt.in); got != tt.want {
			t.Errorf("yamlString(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
