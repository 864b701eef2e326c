package tui

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"

	"sitrep/sources/sanitize"
)

// markdown draws a runbook's prose in the terminal: CommonMark parsed by
// goldmark's core parser, wrapped to a width and styled in the terminal's
// own palette, as Styles is, so it reads on light and dark backgrounds.
// It keeps the marks (#, **, *, `) so that a terminal without colour or
// italics still shows what was emphasised. Code is drawn as written,
// without highlighting, and GFM tables are laid out in columns.
//
// It is built on the parser alone, without goldmark's extension package
// or a highlighter: those build their tables and regular expressions when
// the program starts, and every sitrep start (and every action the
// supervisor re-executes) would pay for them before its first frame.
type markdown struct {
	width  int
	blocks parser.Parser // the whole of CommonMark
	cells  parser.Parser // paragraphs only: a table cell is inline text
	styles map[mdAttr]ansi.Style
}

// mdMinWidth is the narrowest a nested block (a list item, a quote) is
// laid out in; deeper nesting stops indenting, and the line is cut.
const mdMinWidth = 8

// newMarkdown returns the renderer for one width.
func newMarkdown(width int) *markdown {
	return &markdown{
		width: max(2, width),
		blocks: parser.NewParser(
			parser.WithBlockParsers(parser.DefaultBlockParsers()...),
			parser.WithInlineParsers(parser.DefaultInlineParsers()...),
			parser.WithParagraphTransformers(parser.DefaultParagraphTransformers()...),
		),
		cells: parser.NewParser(
			parser.WithBlockParsers(util.Prioritized(parser.NewParagraphParser(), 100)),
			parser.WithInlineParsers(parser.DefaultInlineParsers()...),
		),
		styles: map[mdAttr]ansi.Style{},
	}
}

// mdAttr is how a piece of text is drawn. It is comparable, so runs of
// equally drawn words share one escape sequence.
type mdAttr struct {
	bold, italic, underline bool
	fg                      mdColour
}

// mdColour is a colour of the terminal's palette, as Styles uses them
// (yellow for warnings, blue for dialogs).
type mdColour uint8

const (
	mdOwnColour mdColour = iota // the terminal's foreground
	mdYellow
	mdCyan
	mdBlue
)

var mdPalette = map[mdColour]ansi.BasicColor{mdYellow: ansi.Yellow, mdCyan: ansi.Cyan, mdBlue: ansi.Blue}

var (
	mdStrong    = mdAttr{bold: true}
	mdEmph      = mdAttr{italic: true}
	mdHeading   = mdAttr{bold: true}
	mdH1        = mdAttr{bold: true, underline: true}
	mdCode      = mdAttr{fg: mdYellow}
	mdCodeBlock = mdAttr{fg: mdCyan}
	mdLinkText  = mdAttr{bold: true}
	mdLinkURL   = mdAttr{fg: mdBlue, underline: true}
)

// with is a drawn inside b: both apply, b's colour first.
func (a mdAttr) with(b mdAttr) mdAttr {
	out := mdAttr{bold: a.bold || b.bold, italic: a.italic || b.italic, underline: a.underline || b.underline, fg: a.fg}
	if b.fg != mdOwnColour {
		out.fg = b.fg
	}
	return out
}

// draw wraps s in one escape sequence for a. (A lipgloss style would
// draw an underlined run rune by rune.)
func (md *markdown) draw(a mdAttr, s string) string {
	if a == (mdAttr{}) || s == "" {
		return s
	}
	st, ok := md.styles[a]
	if !ok {
		if a.bold {
			st = st.Bold()
		}
		if a.italic {
			st = st.Italic(true)
		}
		if a.underline {
			st = st.Underline(true)
		}
		if c, ok := mdPalette[a.fg]; ok {
			st = st.ForegroundColor(c)
		}
		md.styles[a] = st
	}
	return st.Styled(s)
}

// render returns src's lines, each at most md.width cells. Text from the
// source is passed through sanitize after every unescaping, so neither an
// escape sequence nor a character reference such as &#27; reaches the
// terminal.
func (md *markdown) render(src string) []string {
	source := []byte(src)
	doc := md.blocks.Parse(text.NewReader(source))
	r := &mdRender{md: md, src: source}
	lines := r.children(doc, md.width, false)
	for i, l := range lines {
		if ansi.StringWidth(l) > md.width {
			lines[i] = ansi.Truncate(l, md.width, "…")
		}
	}
	return lines
}

// mdRender is one rendering of one source.
type mdRender struct {
	md  *markdown
	src []byte
}

// children renders n's blocks one after another, a blank line between
// them unless tight (the items of a tight list).
func (r *mdRender) children(n ast.Node, width int, tight bool) []string {
	var out []string
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		lines := r.block(c, width, tight)
		if len(lines) == 0 {
			continue
		}
		if len(out) > 0 && !tight {
			out = append(out, "")
		}
		out = append(out, lines...)
	}
	return out
}

func (r *mdRender) block(n ast.Node, width int, tight bool) []string {
	switch n := n.(type) {
	case *ast.Paragraph:
		if rows := tableRows(r.rawLines(n)); rows != nil {
			return r.table(rows, width)
		}
		return r.wrap(r.inlines(n, mdAttr{}), width)
	case *ast.TextBlock:
		return r.wrap(r.inlines(n, mdAttr{}), width)
	case *ast.Heading:
		at := mdHeading
		if n.Level == 1 {
			at = mdH1
		}
		b := &mdInline{}
		b.word(strings.Repeat("#", n.Level), at)
		b.space = true
		r.inline(b, n, at)
		return r.wrap(b.pieces, width)
	case *ast.ThematicBreak:
		return []string{strings.Repeat("-", min(width, 8))}
	case *ast.CodeBlock, *ast.FencedCodeBlock:
		return r.code(r.rawLines(n), width)
	case *ast.HTMLBlock:
		lines := r.rawLines(n)
		if n.HasClosure() {
			lines = append(lines, strings.TrimRight(string(n.ClosureLine.Value(r.src)), "\r\n"))
		}
		var out []string
		for _, l := range lines {
			out = append(out, hardWrap(sanitize.Line(l), width)...)
		}
		return out
	case *ast.Blockquote:
		inner := nestedWidth(width, 2)
		var out []string
		for _, l := range r.children(n, inner, false) {
			out = append(out, strings.TrimRight("| "+l, " "))
		}
		return out
	case *ast.List:
		return r.list(n, width)
	}
	if n.Type() == ast.TypeBlock && n.FirstChild() == nil && n.Lines().Len() > 0 {
		return r.code(r.rawLines(n), width)
	}
	return r.children(n, width, tight)
}

// list draws each item after its marker, its other lines indented under
// the item's first word.
func (r *mdRender) list(n *ast.List, width int) []string {
	var out []string
	num := n.Start
	for item := n.FirstChild(); item != nil; item = item.NextSibling() {
		marker := "• "
		if n.IsOrdered() {
			marker = fmt.Sprintf("%d. ", num)
			num++
		}
		mw := ansi.StringWidth(marker)
		lines := r.children(item, nestedWidth(width, mw), n.IsTight)
		if len(lines) == 0 {
			lines = []string{""}
		}
		if len(out) > 0 && !n.IsTight {
			out = append(out, "")
		}
		for i, l := range lines {
			switch {
			case i == 0:
				out = append(out, strings.TrimRight(marker+l, " "))
			case l == "":
				out = append(out, "")
			default:
				out = append(out, strings.Repeat(" ", mw)+l)
			}
		}
	}
	return out
}

// nestedWidth is the width inside an indent, never below mdMinWidth
// (render cuts what then overflows).
func nestedWidth(width, indent int) int {
	return max(width-indent, min(width, mdMinWidth))
}

// code draws a code block's lines as written, indented by two, a line
// too long for the width broken onto the next.
func (r *mdRender) code(lines []string, width int) []string {
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	inner := nestedWidth(width, 2)
	var out []string
	for _, l := range lines {
		l = strings.ReplaceAll(sanitize.Text(strings.TrimRight(l, "\r\n")), "\n", " ")
		l = strings.TrimRight(strings.ReplaceAll(l, "\t", "    "), " ")
		if l == "" {
			out = append(out, "")
			continue
		}
		for _, piece := range hardWrap(l, inner) {
			out = append(out, "  "+r.md.draw(mdCodeBlock, piece))
		}
	}
	return out
}

// rawLines is a block's source lines, without their line endings.
func (r *mdRender) rawLines(n ast.Node) []string {
	segs := n.Lines()
	out := make([]string, 0, segs.Len())
	for i := range segs.Len() {
		seg := segs.At(i)
		out = append(out, strings.TrimRight(string(seg.Value(r.src)), "\r\n"))
	}
	return out
}

// mdPiece is a word (or part of one) with how it is drawn.
type mdPiece struct {
	text  string
	at    mdAttr
	space bool // a space separates it from the piece before
	brk   bool // a hard line break comes before it
}

// mdInline collects a block's pieces.
type mdInline struct {
	pieces     []mdPiece
	space, brk bool // pending before the next piece
}

// word adds one word, sanitized: references and escapes were resolved
// after the source was cleaned.
func (b *mdInline) word(w string, at mdAttr) {
	w = sanitize.Line(w)
	if w == "" {
		return
	}
	b.pieces = append(b.pieces, mdPiece{text: w, at: at, space: b.space && len(b.pieces) > 0, brk: b.brk && len(b.pieces) > 0})
	b.space, b.brk = false, false
}

// text adds the words of s; a space before, between or after them is
// kept as a separation.
func (b *mdInline) text(s string, at mdAttr) {
	for s != "" {
		if s[0] == ' ' {
			b.space = true
			s = s[1:]
			continue
		}
		i := strings.IndexByte(s, ' ')
		if i < 0 {
			i = len(s)
		}
		b.word(s[:i], at)
		s = s[i:]
	}
}

func (r *mdRender) inlines(n ast.Node, at mdAttr) []mdPiece {
	b := &mdInline{}
	r.inline(b, n, at)
	return b.pieces
}

// inline adds n's inline children to b, drawn as at (and what they add).
func (r *mdRender) inline(b *mdInline, n ast.Node, at mdAttr) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Text:
			v := c.Segment.Value(r.src)
			if !c.IsRaw() {
				v = unescape(v)
			}
			b.text(string(v), at)
			switch {
			case c.HardLineBreak():
				b.brk = true
			case c.SoftLineBreak():
				b.space = true
			}
		case *ast.String:
			v := c.Value
			if !c.IsRaw() && !c.IsCode() {
				v = unescape(v)
			}
			b.text(string(v), at)
		case *ast.CodeSpan:
			var sb strings.Builder
			for t := c.FirstChild(); t != nil; t = t.NextSibling() {
				switch t := t.(type) {
				case *ast.Text:
					sb.Write(t.Segment.Value(r.src))
				case *ast.String:
					sb.Write(t.Value)
				}
			}
			words := strings.Fields(sanitize.Line(sb.String()))
			if len(words) == 0 {
				continue
			}
			words[0] = "`" + words[0]
			words[len(words)-1] += "`"
			for i, w := range words {
				if i > 0 {
					b.space = true
				}
				b.word(w, at.with(mdCode))
			}
		case *ast.Emphasis:
			mark, inner := "*", mdEmph
			if c.Level >= 2 {
				mark, inner = "**", mdStrong
			}
			r.marked(b, c, at.with(inner), mark)
		case *ast.Link:
			first := len(b.pieces)
			r.inline(b, c, at.with(mdLinkText))
			r.linkURL(b, first, string(unescape(c.Destination)), at)
		case *ast.Image:
			b.word("image:", at)
			b.space = true
			first := len(b.pieces)
			r.inline(b, c, at)
			r.linkURL(b, first, string(unescape(c.Destination)), at)
		case *ast.AutoLink:
			b.word(string(c.Label(r.src)), at.with(mdLinkURL))
		case *ast.RawHTML:
			for i := range c.Segments.Len() {
				seg := c.Segments.At(i)
				b.text(strings.ReplaceAll(string(seg.Value(r.src)), "\n", " "), at)
			}
		default:
			r.inline(b, c, at)
		}
	}
}

// marked adds n's children between marks (** or *), glued to the first
// and the last word.
func (r *mdRender) marked(b *mdInline, n ast.Node, at mdAttr, mark string) {
	first := len(b.pieces)
	r.inline(b, n, at)
	if len(b.pieces) == first {
		return
	}
	b.pieces[first].text = mark + b.pieces[first].text
	b.pieces[len(b.pieces)-1].text += mark
}

// linkURL adds a link's address after its text, unless the text says it
// already.
func (r *mdRender) linkURL(b *mdInline, first int, dest string, at mdAttr) {
	dest = sanitize.Line(dest)
	if dest == "" {
		return
	}
	words := make([]string, 0, len(b.pieces)-first)
	for _, p := range b.pieces[first:] {
		words = append(words, p.text)
	}
	if label := strings.Join(words, " "); label == dest || "mailto:"+label == dest {
		return
	}
	b.space = true
	b.word(dest, at.with(mdLinkURL))
}

// unescape resolves backslash escapes and character references, as an
// HTML renderer would.
func unescape(v []byte) []byte {
	return util.ResolveEntityNames(util.ResolveNumericReferences(util.UnescapePunctuations(v)))
}

// wrap breaks pieces into lines of at most width cells: at spaces, and
// inside a word only when the word alone is wider than the line.
func (r *mdRender) wrap(pieces []mdPiece, width int) []string {
	var lines [][]mdPiece
	var cur []mdPiece
	curW := 0
	flush := func() {
		lines = append(lines, cur)
		cur, curW = nil, 0
	}
	for i := 0; i < len(pieces); {
		// A unit is the pieces with no space between them: one word.
		j := i + 1
		for j < len(pieces) && !pieces[j].space && !pieces[j].brk {
			j++
		}
		unit := slices.Clone(pieces[i:j])
		i = j
		if unit[0].brk {
			flush()
		}
		uw := 0
		for _, p := range unit {
			uw += ansi.StringWidth(p.text)
		}
		sep := 0
		if len(cur) > 0 && unit[0].space {
			sep = 1
		}
		unit[0].space = sep > 0
		switch {
		case curW+sep+uw <= width:
			cur, curW = append(cur, unit...), curW+sep+uw
			continue
		case uw <= width:
			flush()
			unit[0].space = false
			cur, curW = append(cur, unit...), uw
			continue
		}
		// Wider than a line: fill this line, then whole lines.
		for _, p := range unit {
			for p.text != "" {
				room := width - curW
				if len(cur) > 0 && p.space {
					room--
				}
				head := cutCells(p.text, room)
				if head == "" {
					if len(cur) == 0 {
						head = firstCluster(p.text) // wider than the line: render cuts it
					} else {
						flush()
						p.space = false
						continue
					}
				}
				piece := mdPiece{text: head, at: p.at, space: p.space && len(cur) > 0}
				cur, curW = append(cur, piece), curW+ansi.StringWidth(head)
				if piece.space {
					curW++
				}
				p.text, p.space = p.text[len(head):], false
				if p.text != "" {
					flush()
				}
			}
		}
	}
	if len(cur) > 0 {
		flush()
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = r.line(l)
	}
	return out
}

// line draws one line's pieces, a run of equally drawn words in one
// escape sequence.
func (r *mdRender) line(pieces []mdPiece) string {
	var sb strings.Builder
	for i := 0; i < len(pieces); {
		at := pieces[i].at
		if i > 0 && pieces[i].space {
			sb.WriteByte(' ')
		}
		var run strings.Builder
		run.WriteString(pieces[i].text)
		j := i + 1
		for j < len(pieces) && pieces[j].at == at {
			if pieces[j].space {
				run.WriteByte(' ')
			}
			run.WriteString(pieces[j].text)
			j++
		}
		sb.WriteString(r.md.draw(at, run.String()))
		i = j
	}
	return sb.String()
}

// cutCells is the longest start of s at most w cells wide, whole
// grapheme clusters only. It reads no further than it cuts.
func cutCells(s string, w int) string {
	n, used := 0, 0
	for n < len(s) {
		cluster, cw := ansi.FirstGraphemeCluster(s[n:], ansi.GraphemeWidth)
		if cluster == "" || used+cw > w {
			break
		}
		used, n = used+cw, n+len(cluster)
	}
	return s[:n]
}

// firstCluster is s's first grapheme cluster, however wide.
func firstCluster(s string) string {
	cluster, _ := ansi.FirstGraphemeCluster(s, ansi.GraphemeWidth)
	if cluster == "" {
		_, size := utf8.DecodeRuneInString(s)
		return s[:size]
	}
	return cluster
}

// hardWrap breaks plain text at width cells, whatever it breaks.
func hardWrap(s string, width int) []string {
	if s == "" {
		return []string{""}
	}
	var out []string
	for s != "" {
		head := cutCells(s, width)
		if head == "" {
			head = firstCluster(s) // wider than the line: render cuts it
		}
		out = append(out, head)
		s = s[len(head):]
	}
	return out
}

// tableRows reads a paragraph as a GFM table: a header row, a delimiter
// row (---, :--, --:, with as many cells) and body rows. It returns nil
// for any other paragraph.
func tableRows(lines []string) [][]string {
	if len(lines) < 2 || !strings.Contains(lines[0], "|") {
		return nil
	}
	head, delim := splitRow(lines[0]), splitRow(lines[1])
	if len(head) != len(delim) {
		return nil
	}
	for _, d := range delim {
		d = strings.TrimSuffix(strings.TrimPrefix(d, ":"), ":")
		if d == "" || strings.Trim(d, "-") != "" {
			return nil
		}
	}
	rows := [][]string{head}
	for _, l := range lines[2:] {
		cells := splitRow(l)
		row := make([]string, len(head))
		copy(row, cells)
		rows = append(rows, row)
	}
	return rows
}

// splitRow splits a table row at its unescaped pipes, without the outer
// ones. A cell keeps its escapes: its inline parse resolves them.
func splitRow(line string) []string {
	line = strings.TrimSpace(line)
	line = strings.TrimPrefix(line, "|")
	if strings.HasSuffix(line, "|") && !strings.HasSuffix(line, `\|`) {
		line = line[:len(line)-1]
	}
	var cells []string
	start := 0
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\\':
			i++
		case '|':
			cells = append(cells, strings.TrimSpace(line[start:i]))
			start = i + 1
		}
	}
	return append(cells, strings.TrimSpace(line[start:]))
}

// table lays rows out in columns: each as wide as its widest cell, the
// widest narrowed (and their cells wrapped) until the table fits.
func (r *mdRender) table(rows [][]string, width int) []string {
	const sep = " | "
	cells := make([][][]mdPiece, len(rows))
	natural := make([]int, len(rows[0]))
	for i, row := range rows {
		cells[i] = make([][]mdPiece, len(row))
		for c, cell := range row {
			at := mdAttr{}
			if i == 0 {
				at = mdStrong
			}
			cells[i][c] = r.cell(cell, at)
			w := 0
			for k, p := range cells[i][c] {
				w += ansi.StringWidth(p.text)
				if k > 0 && p.space {
					w++
				}
			}
			natural[c] = max(natural[c], w, 1)
		}
	}
	colW := fitColumns(natural, width-len(sep)*(len(natural)-1))
	var out []string
	for i, row := range cells {
		wrapped := make([][]string, len(row))
		height := 1
		for c, pieces := range row {
			wrapped[c] = r.wrap(pieces, colW[c])
			height = max(height, len(wrapped[c]))
		}
		for k := range height {
			parts := make([]string, len(row))
			for c := range row {
				var l string
				if k < len(wrapped[c]) {
					l = wrapped[c][k]
				}
				parts[c] = l + strings.Repeat(" ", max(0, colW[c]-ansi.StringWidth(l)))
			}
			out = append(out, strings.TrimRight(strings.Join(parts, sep), " "))
		}
		if i == 0 {
			dashes := make([]string, len(colW))
			for c, w := range colW {
				dashes[c] = strings.Repeat("-", w)
			}
			out = append(out, strings.Join(dashes, "-|-"))
		}
	}
	return out
}

// cell is a table cell's inline text as pieces.
func (r *mdRender) cell(src string, at mdAttr) []mdPiece {
	source := []byte(src)
	doc := r.md.cells.Parse(text.NewReader(source))
	sub := &mdRender{md: r.md, src: source}
	b := &mdInline{}
	for n := doc.FirstChild(); n != nil; n = n.NextSibling() {
		b.space = len(b.pieces) > 0
		sub.inline(b, n, at)
	}
	return b.pieces
}

// fitColumns narrows the widest columns until their sum is at most room
// (or every column is down to a few cells: render then cuts the lines).
func fitColumns(natural []int, room int) []int {
	out := slices.Clone(natural)
	total := 0
	for _, w := range natural {
		total += w
	}
	if total <= room {
		return out
	}
	const least = 3
	// The largest cap that fits: columns wider than it are cut to it.
	fits := func(limit int) bool {
		sum := 0
		for _, w := range natural {
			sum += min(w, limit)
		}
		return sum <= room
	}
	limit := sort.Search(slices.Max(natural)+1, func(c int) bool { return !fits(c) }) - 1
	limit = max(limit, least)
	for i, w := range out {
		out[i] = min(w, limit)
	}
	return out
}
