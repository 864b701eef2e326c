package postmortem

import (
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"sitrep/sources/sanitize"
)

// Text from outside (titles, summaries, notes, names) reaches the export
// only through these functions. Each strips terminal control sequences and
// then escapes everything markdown could read as syntax, so a hostile title
// renders as the characters it contains and nothing more.

// inline returns s as one line of markdown text: control sequences
// stripped, newlines and tabs folded to spaces, and every character that
// could start emphasis, code, a link, HTML, an entity, a table cell or an
// autolink escaped with a backslash. Escapes are backslashes only, never
// HTML entities: the file is read as text as often as it is rendered, and
// "32->16" must read as written there too. Block markers at the start of a
// line (#, -, +, =, >, 1.) are escaped by wrap, which knows where lines
// start.
func inline(s string) string {
	s = strings.ReplaceAll(sanitize.Line(s), nbsp, " ")
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\', '`', '*', '_', '[', ']', '|', '~', '#', '@', '!':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '<':
			// Only a letter, /, ! or ? after it opens HTML or an
			// autolink: "a < b" and "<3" stay as written.
			if i+1 < len(s) && opensTag(s[i+1]) {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		case '&':
			// Only "&name;" and "&#…;" are entities: "AT&T" stays.
			if entityAt(s[i+1:]) {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		case ':':
			// Break GFM autolink literals (https://...): a bare URL in a
			// title must not become a link.
			if strings.HasPrefix(s[i:], "://") {
				b.WriteString(`\:`)
			} else {
				b.WriteByte(c)
			}
		case '.':
			// ... and www.example.com.
			if i >= 3 && strings.EqualFold(s[i-3:i], "www") {
				b.WriteString(`\.`)
			} else {
				b.WriteByte(c)
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func opensTag(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '/' || c == '!' || c == '?'
}

// entityAt reports whether s (what follows an '&') would complete an HTML
// entity or numeric character reference: letters and digits, or # and
// then hex digits, up to a ';'.
func entityAt(s string) bool {
	i := 0
	if i < len(s) && s[i] == '#' {
		i++
		if i < len(s) && (s[i] == 'x' || s[i] == 'X') {
			i++
		}
	}
	start := i
	for i < len(s) && i < 40 && (s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z' || s[i] >= '0' && s[i] <= '9') {
		i++
	}
	return i > start && i < len(s) && s[i] == ';'
}

// cell is inline text for a table cell; an empty cell stays empty.
func cell(s string) string { return clip(inline(s), 400) }

// clip shortens escaped text to about n bytes without cutting an escape.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	// Do not end on the backslash of an escape.
	if n := trailingBackslashes(s[:cut]); n%2 == 1 {
		cut--
	}
	return s[:cut] + "…"
}

func trailingBackslashes(s string) int {
	n := 0
	for n < len(s) && s[len(s)-1-n] == '\\' {
		n++
	}
	return n
}

// wrap writes escaped text as lines of at most width columns (a word
// longer than that gets a line of its own), the first starting with first
// and the rest with rest. A word that would start a line and read as a
// block marker (heading, list item, setext underline, numbered item) is
// escaped.
func wrap(b *strings.Builder, first, rest, text string, width int) {
	words := strings.Fields(text)
	if len(words) == 0 {
		b.WriteString(strings.TrimRight(first, " "))
		b.WriteByte('\n')
		return
	}
	flush := func(line string) {
		b.WriteString(strings.ReplaceAll(line, nbsp, " "))
		b.WriteByte('\n')
	}
	line := first
	lineLen := utf8.RuneCountInString(first)
	atStart := true
	for _, w := range words {
		wl := utf8.RuneCountInString(w)
		if !atStart && lineLen+1+wl > width {
			flush(line)
			line, lineLen, atStart = rest, utf8.RuneCountInString(rest), true
		}
		if atStart {
			w = escapeLineStart(w)
			line += w
			lineLen += utf8.RuneCountInString(w)
			atStart = false
			continue
		}
		line += " " + w
		lineLen += 1 + wl
	}
	flush(line)
}

// escapeLineStart escapes a word that would open a block at a line start.
func escapeLineStart(w string) string {
	switch w[0] {
	case '-', '+', '=', '#', '>':
		if !strings.HasPrefix(w, `\`) {
			return `\` + w
		}
	}
	// 1. or 1) starts an ordered list.
	i := 0
	for i < len(w) && i < 10 && w[i] >= '0' && w[i] <= '9' {
		i++
	}
	if i > 0 && i < len(w) && (w[i] == '.' || w[i] == ')') {
		return w[:i] + `\` + w[i:]
	}
	return w
}

// link returns a markdown autolink for u when it is a plain http(s) URL
// that cannot break out of the angle brackets, and otherwise u as escaped
// text: a javascript: URL from a title or an alert never becomes a link.
func link(u string) string {
	u = sanitize.Line(u)
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" ||
		strings.ContainsAny(u, "<> \"'`\\|") {
		return inline(u)
	}
	return "<" + u + ">"
}

// code returns s as a code span. Only for sitrep's own text (hashes,
// commands): it is not escaped. Its spaces are held as nbsp until wrap
// writes the line, so a span is never split across lines.
func code(s string) string { return "`" + strings.ReplaceAll(s, " ", nbsp) + "`" }

const nbsp = "\uE000" // private use: never survives into the output

// tableRow writes cells as one compact-style table row; an empty cell is
// "| |", as markdownlint's compact style wants.
func tableRow(b *strings.Builder, cells ...string) {
	for _, c := range cells {
		b.WriteString("| ")
		if c != "" {
			b.WriteString(c)
			b.WriteByte(' ')
		}
	}
	b.WriteString("|\n")
}

// yamlString quotes s for the front matter: double-quoted, with
// backslash, quote and anything not printable escaped.
func yamlString(s string) string {
	s = sanitize.Line(s)
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case !unicode.IsPrint(r) || r == utf8.RuneError:
			if r > 0xffff {
				fmt.Fprintf(&b, `\U%08x`, r)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// Inline, Cell, Para, Item, TableRow and WideTable are this package's
// escaping and layout for the other markdown sitrep writes (the stats of
// `sitrep stats --markdown`), so that every document sitrep writes escapes
// outside text the same way and passes the same markdownlint rules.
func Inline(s string) string { return inline(s) }

// Cell is Inline for a table cell.
func Cell(s string) string { return cell(s) }

// Para writes a paragraph of escaped text wrapped to the export's width.
func Para(b *strings.Builder, text string) { para(b, text) }

// Item writes a list item "- label: text" (label is the caller's, text
// escaped), wrapped to the export's width.
func Item(b *strings.Builder, label, text string) { item(b, label, text) }

// TableRow writes escaped cells as one table row.
func TableRow(b *strings.Builder, cells ...string) { tableRow(b, cells...) }

// WideTable writes a table whose rows may be longer than the line-length
// rule allows: head is its header and separator rows, rows writes the rest.
func WideTable(b *strings.Builder, head string, rows func()) { wideTable(b, head, rows) }
