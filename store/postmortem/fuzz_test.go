package postmortem

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/text"

	"sitrep/sources/sanitize"
)

// FuzzExportMarkdown puts one hostile string into every kind of place the
// export writes outside text (the title, an alert, a note, journal
// summaries in the timeline table, a change, a related incident) and parses
// the document as GitHub-flavoured markdown: it must have exactly the
// structure the same export has with a harmless string there — no new
// links, headings, HTML, code, emphasis, list items or table cells — and a
// front matter that decodes to the same keys with the title as sanitized.
// A second pass puts the string into the URL fields: every link the
// document then has goes to an http(s) address.
func FuzzExportMarkdown(f *testing.F) {
	for _, s := range []string{
		"plain title", "", "| a | b |", "# heading", "- [ ] task", "1. item", "> quote", "```\ncode\n```", "<script>x</script>",
		"<!-- c -->", "[x](javascript:alert(1))", "![i](http://evil/x.png)", "https://evil.example", "www.evil.example", "a@evil.example",
		"*b* _i_ ~~s~~", "\\", "\\|", "&amp; &#x3C;", "line\n\n---\n", "===", "  indented", "\ttab", "\u202egnp.exe", "x\u00a0|\u00a0y",
		"\ue000|", "\x1b]8;;https://evil\x1b\\click\x1b]8;;\x1b\\", "<https://evil>", "[a]: https://evil", "a\\\nb", "+ x", "~~~",
		"javascript:alert(1)", "http://ok.example/a b", "https://ok.example/a)b(", "***", "* * *", "|", "&lt;", "[^1]", "www.x.y/z?a=b",
		"pool 32->16", "a < b <3", "<a href=x>", "</b>", "<?php", "<!x>", "a&b;c", "&#60;", "&#X3c;", "R&D", "&", "<",
	} {
		f.Add(s)
	}
	base := withPins(f)
	f.Fuzz(func(t *testing.T, s string) {
		harmless := "harmless words"
		if sanitize.Line(s) == "" {
			harmless = ""
		}
		want := render(t, withText(base, harmless))
		got := render(t, withText(base, s))
		wantFront, wantBody := splitFrontMatter(t, want)
		gotFront, gotBody := splitFrontMatter(t, got)

		if strings.ContainsAny(got, "\x1b\x07\u009b\u009d") || sanitize.Text(got) != got {
			t.Fatalf("export of %q carries control or invisible characters:\n%s", s, got)
		}
		wantCounts, _ := structure(t, wantBody)
		gotCounts, links := structure(t, gotBody)
		if diff := compareCounts(wantCounts, gotCounts); diff != "" {
			t.Fatalf("%q changed the document's structure (%s):\n%s", s, diff, got)
		}
		checkLinks(t, s, links)
		checkTableRows(t, s, gotBody)

		wantMeta, gotMeta := frontMatterMap(t, wantFront), frontMatterMap(t, gotFront)
		if fmt.Sprint(sortedKeys(wantMeta)) != fmt.Sprint(sortedKeys(gotMeta)) {
			t.Fatalf("%q changed the front matter's keys: %v, want %v", s, sortedKeys(gotMeta), sortedKeys(wantMeta))
		}
		if title, _ := gotMeta["title"].(string); title != sanitize.Line(s) {
			t.Fatalf("front matter title = %q, want %q", title, sanitize.Line(s))
		}

		// URL fields: a link is made only to http(s).
		got = render(t, withURL(base, s))
		_, gotBody = splitFrontMatter(t, got)
		gotCounts, links = structure(t, gotBody)
		for _, k := range []string{"RawHTML", "HTMLBlock", "Heading", "TableCell", "Image", "CodeSpan", "FencedCodeBlock"} {
			if gotCounts[k] != wantCounts[k] {
				t.Fatalf("URL %q changed the count of %s nodes from %d to %d:\n%s", s, k, wantCounts[k], gotCounts[k], got)
			}
		}
		checkLinks(t, s, links)
	})
}

// withText returns in with s in every text field the fuzz target covers.
func withText(in Input, s string) Input {
	in.Detail.Incident.Title = s
	in.Detail.Alerts = append(in.Detail.Alerts[:0:0], in.Detail.Alerts...)
	in.Detail.Alerts[1].Summary, in.Detail.Alerts[1].Source = s, s
	in.Detail.Notes = append(in.Detail.Notes[:0:0], in.Detail.Notes...)
	in.Detail.Notes[0].Content = s
	in.Entries = append(in.Entries[:0:0], in.Entries...)
	for i := range in.Entries {
		in.Entries[i].Summary = s
		if in.Entries[i].Kind == KindPin {
			// Every field of a pinned log line and change is outside text.
			in.Entries[i].Data = pinData(s)
		}
	}
	in.Changes = append(in.Changes[:0:0], in.Changes...)
	in.Changes[0].Summary = s
	in.Related = append(in.Related[:0:0], in.Related...)
	in.Related[0].Title = s
	return in
}

// pinData is a Logs pin whose line, and a Deploys pin whose change, say s
// (what of s JSON can hold: the journal's data is JSON).
func pinData(s string) json.RawMessage {
	s = strings.ToValidUTF8(s, "")
	b, _ := json.Marshal(map[string]any{"pane": "Logs", "facts": []map[string]any{
		{"at": start, "level": s, "source": s, "text": s},
		{"at": start, "summary": s, "likely": true},
		{"name": s, "unit": s, "now": 1, "peak": 2},
	}})
	return b
}

// withURL returns in with s as every URL the export may link.
func withURL(in Input, s string) Input {
	in.Detail.Incident.HTMLURL = s
	in.Changes = append(in.Changes[:0:0], in.Changes...)
	in.Changes[0].URL = s
	in.Related = append(in.Related[:0:0], in.Related...)
	in.Related[0].HTMLURL = s
	return in
}

func splitFrontMatter(t *testing.T, doc string) (front, body string) {
	t.Helper()
	if !strings.HasPrefix(doc, "---\n") {
		t.Fatalf("export does not start with front matter:\n%s", doc)
	}
	end := strings.Index(doc[4:], "\n---\n")
	if end < 0 {
		t.Fatalf("front matter does not end:\n%s", doc)
	}
	return doc[4 : 4+end+1], doc[4+end+5:]
}

func frontMatterMap(t *testing.T, front string) map[string]any {
	t.Helper()
	m := map[string]any{}
	if err := yaml.Unmarshal([]byte(front), &m); err != nil {
		t.Fatalf("front matter does not parse: %v\n%s", err, front)
	}
	return m
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var gfm = goldmark.New(goldmark.WithExtensions(extension.GFM))

// structure counts the document's nodes by kind, leaving out the ones
// plain text is made of, and lists its link destinations.
func structure(t *testing.T, body string) (map[string]int, []string) {
	t.Helper()
	src := []byte(body)
	doc := gfm.Parser().Parse(text.NewReader(src))
	counts := map[string]int{}
	var links []string
	err := ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Text, *ast.String:
			return ast.WalkContinue, nil
		case *ast.Link:
			links = append(links, string(n.Destination))
		case *ast.Image:
			links = append(links, string(n.Destination))
		case *ast.AutoLink:
			links = append(links, string(n.URL(src)))
		}
		counts[n.Kind().String()]++
		return ast.WalkContinue, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return counts, links
}

func compareCounts(want, got map[string]int) string {
	var diff []string
	for k := range merged(want, got) {
		if want[k] != got[k] {
			diff = append(diff, fmt.Sprintf("%s %d, want %d", k, got[k], want[k]))
		}
	}
	sort.Strings(diff)
	return strings.Join(diff, "; ")
}

func merged(a, b map[string]int) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// checkTableRows asserts every table row has as many cell separators as
// its table's header. A GFM parser silently drops cells beyond the
// header's, so an injected "|" would lose text rather than add a cell the
// node counts could see.
func checkTableRows(t *testing.T, s, body string) {
	t.Helper()
	header := -1
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, "|") {
			header = -1
			continue
		}
		n := 0
		for i := 0; i < len(line); i++ {
			switch line[i] {
			case '\\':
				i++
			case '|':
				n++
			}
		}
		if header < 0 {
			header = n
		} else if n != header {
			t.Fatalf("%q gave a table row with %d separators under a header with %d: %s", s, n, header, line)
		}
	}
}

func checkLinks(t *testing.T, s string, links []string) {
	t.Helper()
	for _, l := range links {
		u, err := url.Parse(l)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			t.Fatalf("%q produced a link to %q", s, l)
		}
	}
}
