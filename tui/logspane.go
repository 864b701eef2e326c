package tui

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"charm.land/bubbles/v2/key"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"sitrep/sources/logs"
	"sitrep/sources/sanitize"
)

// logsView is the Logs pane's state: what it keeps and where it looks.
// The zero value shows every level, unfiltered, paused at the newest line.
type logsView struct {
	// filter keeps the lines whose text contains it, in any case.
	filter string
	// errorsOnly keeps only error lines. Warnings are left out on purpose:
	// at the moment of hunting the error they are the noise around it.
	errorsOnly bool
	// follow pins the view to the newest line as lines arrive.
	follow bool
	// scroll is how many matching lines lie below the view, newer than its
	// last line. Following, it is zero.
	scroll int
}

// toggleFollow follows the newest line, or stops where the view is.
func (v *logsView) toggleFollow() {
	v.follow = !v.follow
	if v.follow {
		v.scroll = 0
	}
}

// toggleErrors shows only error lines, or every level again. The view
// goes back to the newest line: the old position means nothing under
// another filter.
func (v *logsView) toggleErrors() {
	v.errorsOnly = !v.errorsOnly
	v.scroll = 0
}

// logsFilterShown says whether esc clears the logs filter: the engineer is
// in the Logs pane (where / set it) and a filter is set.
func (m *Model) logsFilterShown() bool {
	return m.detail.focused && detailTabs[m.detail.tab] == "Logs" && m.logs.filter != ""
}

// setFilter keeps only lines containing f (case-insensitive); "" keeps all.
func (v *logsView) setFilter(f string) {
	v.filter = sanitize.Line(f)
	v.scroll = 0
}

// scrollBy moves the view n matching lines: n > 0 toward the newest (j,
// down), n < 0 back in time (k, up). Scrolling back stops following, or
// the next line to arrive would pull the view away from what is being
// read; following resumes with toggleFollow. The view clamps a scroll past
// the oldest line; clampScroll does it here.
func (v *logsView) scrollBy(n int) {
	v.scroll = max(0, v.scroll-n)
	if n < 0 {
		v.follow = false
	}
}

// clampScroll keeps scroll within what a pane of height rows can show,
// so that j answers at once after k was held past the oldest line. It
// costs a pass over lines: call it on a key, not per frame.
func (v *logsView) clampScroll(lines []logs.Line, height int) {
	body := max(1, height-1)
	m := v.matcher()
	n := 0
	for i := range lines {
		if m.match(&lines[i]) {
			n++
		}
	}
	v.scroll = clampInt(v.scroll, 0, max(0, n-body))
}

// lineMatcher is the filter of one frame, prepared once.
type lineMatcher struct {
	errorsOnly bool
	lower      string // the filter, lower-cased
	fold       foldFinder
	ascii      bool
}

func (v logsView) matcher() lineMatcher {
	lower := strings.ToLower(v.filter)
	m := lineMatcher{errorsOnly: v.errorsOnly, lower: lower, ascii: isASCII(lower)}
	if m.ascii {
		m.fold = newFoldFinder(lower)
	}
	return m
}

func (m *lineMatcher) match(l *logs.Line) bool {
	if m.errorsOnly && l.Level != logs.LevelError {
		return false
	}
	if m.lower == "" {
		return true
	}
	if m.ascii {
		return m.fold.in(l.Text)
	}
	return strings.Contains(strings.ToLower(l.Text), m.lower)
}

// view draws a status line and the matching lines that fit, newest at the
// bottom, into width×height cells. It walks lines from the newest and
// stops when the screen is full, so a frame costs O(rows), not O(lines),
// unless the view is scrolled far back or the filter is rare.
func (v logsView) view(s Styles, lines []logs.Line, width, height int, now time.Time) string {
	if height <= 0 || width <= 0 {
		return ""
	}
	body := height - 1
	shown, atTop := v.visible(lines, body)

	sources := countSources(lines)
	out := make([]string, 0, height)
	out = append(out, v.status(s, sources, len(lines), len(shown), lastTime(lines), atTop, width, now))
	if len(shown) == 0 && body > 0 {
		out = append(out, s.Dim.Render(fit(v.emptyMessage(len(lines)), width)))
		return padLines(strings.Join(out, "\n"), width, height)
	}
	srcW, cut := 0, 0
	if sources > 1 {
		cut = sharedSourcePrefix(lines, shown)
		for _, i := range shown {
			srcW = max(srcW, lipgloss.Width(shortSource(lines[i].Source, cut)))
		}
		srcW = min(srcW, 16, width/5)
	}
	ws := newLevelWraps(s)
	for _, i := range shown {
		out = append(out, ws.line(&lines[i], tailFit(shortSource(lines[i].Source, cut), srcW), srcW, width))
	}
	// The log lines are width cells already: only the status line and
	// the rows below the last line need padding, which spares measuring
	// every line again.
	out[0] = padLines(out[0], width, 1)
	blank := strings.Repeat(" ", width)
	for len(out) < height {
		out = append(out, blank)
	}
	return strings.Join(out, "\n")
}

// visible is the indices of the lines a view with body rows of lines
// shows, oldest first, and whether the scroll went past the oldest match.
// A pin keeps exactly these.
func (v logsView) visible(lines []logs.Line, body int) (shown []int, atTop bool) {
	body = max(0, body)
	skip := v.scroll
	if v.follow {
		skip = 0
	}
	m := v.matcher()
	shown = make([]int, 0, body)
	// oldest holds the last body matches met on the way back: the page to
	// show when the scroll goes past the oldest line.
	oldest := make([]int, body)
	matches := 0
	for i := len(lines) - 1; i >= 0 && len(shown) < body; i-- {
		if !m.match(&lines[i]) {
			continue
		}
		if body > 0 {
			oldest[matches%body] = i
		}
		matches++
		if matches > skip {
			shown = append(shown, i)
		}
	}
	if len(shown) < body && skip > 0 && matches > len(shown) {
		// Scrolled past the oldest match: show the oldest page.
		n := min(matches, body)
		shown = shown[:0]
		for k := range n {
			shown = append(shown, oldest[(matches-1-k)%body])
		}
		slicesReverse(shown)
		atTop = true
	}
	slicesReverse(shown) // oldest first
	return shown, atTop
}

func lastTime(lines []logs.Line) time.Time {
	if len(lines) == 0 {
		return time.Time{}
	}
	return lines[len(lines)-1].T
}

func slicesReverse(a []int) {
	for i, j := 0, len(a)-1; i < j; i, j = i+1, j-1 {
		a[i], a[j] = a[j], a[i]
	}
}

func (v logsView) emptyMessage(total int) string {
	switch {
	case total == 0:
		return "No log lines yet."
	case v.filter != "" && v.errorsOnly:
		return fmt.Sprintf("No error line contains %q (e shows every level).", v.filter)
	case v.filter != "":
		return fmt.Sprintf("No line contains %q.", v.filter)
	case v.errorsOnly:
		return fmt.Sprintf("No error lines in the last %d (e shows every level).", total)
	}
	return "No log lines."
}

// status is the pane's first line: following or paused, sources, lines
// shown of those held, the filter, and the age of the newest line.
func (v logsView) status(s Styles, sources, total, shown int, newest time.Time, atTop bool, width int, now time.Time) string {
	var parts []string
	if v.follow {
		parts = append(parts, s.OK.Render("● following"))
	} else {
		parts = append(parts, s.Warn.Render("‖ paused"))
	}
	if sources == 1 {
		parts = append(parts, "1 source")
	} else if sources > 1 {
		parts = append(parts, fmt.Sprintf("%d sources", sources))
	}
	parts = append(parts, fmt.Sprintf("%d/%d lines", shown, total))
	if v.filter != "" {
		parts = append(parts, fmt.Sprintf("filter %q", v.filter))
	}
	if v.errorsOnly {
		parts = append(parts, s.Error.Render("errors only"))
	}
	switch {
	case atTop:
		parts = append(parts, "at the oldest")
	case !v.follow && v.scroll > 0:
		parts = append(parts, fmt.Sprintf("%d newer below", v.scroll))
	}
	if total > 0 && !newest.IsZero() {
		parts = append(parts, s.Dim.Render("newest "+age(now, newest)+" ago"))
	}
	return truncate(strings.Join(parts, s.Dim.Render(" · ")), width)
}

// sharedSourcePrefix is how much the sources of the shown lines share at
// their start, cut back to a whole label or path segment: the source column
// is narrow, and {app="payment-gateway",pod="pay-2c1"} and its siblings
// differ only in their pod.
func sharedSourcePrefix(lines []logs.Line, shown []int) int {
	if len(shown) == 0 {
		return 0
	}
	prefix := lines[shown[0]].Source
	for _, i := range shown[1:] {
		src := lines[i].Source
		n := 0
		for n < len(prefix) && n < len(src) && prefix[n] == src[n] {
			n++
		}
		prefix = prefix[:n]
		if prefix == "" {
			return 0
		}
	}
	return strings.LastIndexAny(prefix, ",/{") + 1
}

// shortSource is a source without the prefix its siblings share.
func shortSource(src string, cut int) string {
	if cut <= 0 || cut >= len(src) {
		return src
	}
	return strings.TrimSuffix(strings.TrimSuffix(src[cut:], "}"), `"`)
}

// tailFit keeps the end of a source too wide for its column: sibling
// sources (pods, files) differ at their end.
func tailFit(src string, w int) string {
	r := []rune(src)
	if w <= 1 || len(r) <= w {
		return src
	}
	return "…" + string(r[len(r)-(w-1):])
}

// countSources counts the distinct sources of lines. Lines come in runs
// from the same source, so comparing with the previous line settles
// almost every line without a lookup.
func countSources(lines []logs.Line) int {
	var seen []string
	last := "\x00"
	for i := range lines {
		src := lines[i].Source
		if src == last {
			continue
		}
		last = src
		if src != "" && !containsString(seen, src) {
			seen = append(seen, src)
		}
	}
	return len(seen)
}

func containsString(a []string, s string) bool {
	for _, x := range a {
		if x == s {
			return true
		}
	}
	return false
}

// styleWrap is a style split around its text: what Render writes before and
// after. A frame renders each style once and wraps its lines by
// concatenation; Render per line costs more than the rest of the frame.
type styleWrap struct{ pre, post string }

func wrapOf(st lipgloss.Style) styleWrap {
	r := st.Render("x")
	i := strings.IndexByte(r, 'x')
	if i < 0 {
		return styleWrap{}
	}
	return styleWrap{r[:i], r[i+1:]}
}

func (w styleWrap) of(s string) string { return w.pre + s + w.post }

// levelWraps are the wraps of one frame's log lines.
type levelWraps struct {
	dim                     styleWrap
	err, warn, debug, plain styleWrap
}

func newLevelWraps(s Styles) levelWraps {
	return levelWraps{dim: wrapOf(s.Dim), err: wrapOf(s.Error), warn: wrapOf(s.Warn), debug: wrapOf(s.Dim)}
}

// line is one log line: time, level, the source when there are several,
// and the text cut (never wrapped) to the width. Errors and warnings are
// coloured whole, debug is dimmed, info keeps the terminal's colour; the
// level's tag says it without colour.
func (ws levelWraps) line(l *logs.Line, source string, srcW, width int) string {
	when := "--:--:--"
	if !l.T.IsZero() {
		when = l.T.UTC().Format("15:04:05")
	}
	tag, w := "···", ws.dim
	textWrap := ws.plain
	switch l.Level {
	case logs.LevelError:
		tag, w, textWrap = "ERR", ws.err, ws.err
	case logs.LevelWarn:
		tag, w, textWrap = "WRN", ws.warn, ws.warn
	case logs.LevelInfo:
		tag, w = "INF", ws.plain
	case logs.LevelDebug:
		tag, w, textWrap = "DBG", ws.debug, ws.debug
	}
	head := ws.dim.of(when) + " " + w.of(tag) + " "
	used := 8 + 1 + 3 + 1
	if srcW > 0 {
		head += ws.dim.of(fitPlain(sanitize.Line(source), srcW)) + " "
		used += srcW + 1
	}
	avail := width - used
	if avail <= 0 {
		return padLines(head, width, 1)
	}
	text := cutPlain(sanitize.Line(precut(l.Text, avail)), avail)
	tw := len(text)
	if !isASCII(text) {
		tw = ansi.StringWidth(text)
	}
	return head + textWrap.of(text) + strings.Repeat(" ", max(0, avail-tw))
}

// cutPlain cuts unstyled text to w cells with an ellipsis; ASCII, the
// common case, is cut by bytes without measuring graphemes.
func cutPlain(s string, w int) string {
	if !isASCII(s) {
		return truncate(s, w)
	}
	if len(s) <= w {
		return s
	}
	if w <= 0 {
		return ""
	}
	return s[:w-1] + "…"
}

// fitPlain is fit with cutPlain's fast path.
func fitPlain(s string, w int) string {
	if !isASCII(s) {
		return fit(s, w)
	}
	if len(s) > w {
		return cutPlain(s, w)
	}
	return s + strings.Repeat(" ", w-len(s))
}

// precut bounds the text measured for a line of w cells: a log line may
// be 8 KB, and only its start is drawn. Every cell takes at least one
// byte, and few runes take more than four.
func precut(s string, w int) string {
	limit := 4*w + 64
	if len(s) <= limit {
		return s
	}
	for limit > 0 && !utf8.RuneStart(s[limit]) {
		limit--
	}
	return s[:limit] + "…"
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// containsFoldASCII reports whether s contains sub, a lower-case ASCII
// string, ignoring ASCII case.
func containsFoldASCII(s, sub string) bool {
	f := newFoldFinder(sub)
	return f.in(s)
}

// foldFinder finds a lower-case ASCII string in any case without
// allocating. It looks for one anchor byte of the string with IndexByte
// (in both cases for a letter) and compares the rest only there. The
// anchor is the byte likely to be rarest in log text — punctuation or a
// digit before a letter, a rare letter before a common one — so a filter
// such as "user=42" costs a few probes a line, not one per "u".
type foldFinder struct {
	sub       string
	at        int  // the anchor's index in sub
	lo, upper byte // the anchor in both cases; equal for a non-letter
}

// letterRank orders letters from rare to common in English text.
const letterRank = "qjzxkvbpygfwmucldrhsnioate"

func newFoldFinder(sub string) foldFinder {
	f := foldFinder{sub: sub}
	best := 1 << 10
	for i := 0; i < len(sub); i++ {
		c := sub[i]
		rank := strings.IndexByte(letterRank, c)
		if rank < 0 {
			rank = -1 // not a letter: one case to look for, and rarer
			if c == ' ' {
				rank = len(letterRank)
			}
		}
		if rank < best {
			best, f.at = rank, i
		}
	}
	if len(sub) > 0 {
		f.lo = sub[f.at]
		f.upper = f.lo
		if f.lo >= 'a' && f.lo <= 'z' {
			f.upper = f.lo - 'a' + 'A'
		}
	}
	return f
}

func (f *foldFinder) in(s string) bool {
	n := len(f.sub)
	if n == 0 {
		return true
	}
	// Candidates j for the anchor lie in [at, len(s)-n+at]. lo and up are
	// the next positions of the anchor in each case from i; -1 when there
	// is none, -2 before the first search. Each is searched again only
	// once passed, so a line costs two scans at most.
	first, last := f.at, len(s)-n+f.at
	lo, up := -2, -2
	if f.upper == f.lo {
		up = -1
	}
	next := func(pos, from int, b byte) int {
		if pos >= from || pos == -1 {
			return pos
		}
		if k := strings.IndexByte(s[from:last+1], b); k >= 0 {
			return from + k
		}
		return -1
	}
	for i := first; i <= last; {
		lo, up = next(lo, i, f.lo), next(up, i, f.upper)
		j := lo
		if up >= 0 && (j < 0 || up < j) {
			j = up
		}
		if j < 0 {
			return false
		}
		if hasPrefixFoldASCII(s[j-f.at:], f.sub) {
			return true
		}
		i = j + 1
	}
	return false
}

func hasPrefixFoldASCII(s, lower string) bool {
	if len(s) < len(lower) {
		return false
	}
	for i := 0; i < len(lower); i++ {
		b := s[i]
		if b >= 'A' && b <= 'Z' {
			b += 'a' - 'A'
		}
		if b != lower[i] {
			return false
		}
	}
	return true
}

// logsKeyMap is the logs pane's keys, on top of the list's while the Logs
// tab shows: f and e always, / and scrolling once the detail is open
// (enter), where the list's / and j/k are the list's.
type logsKeyMap struct {
	Follow, ErrorsOnly, Filter, Down, Up key.Binding
}

func newLogsKeyMap(detailOpen bool) logsKeyMap {
	k := logsKeyMap{
		Follow:     key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "follow logs")),
		ErrorsOnly: key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "errors only")),
		Filter:     key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter logs")),
		Down:       key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("j/↓", "newer lines")),
		Up:         key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("k/↑", "older lines (pauses)")),
	}
	for _, b := range []*key.Binding{&k.Filter, &k.Down, &k.Up} {
		b.SetEnabled(detailOpen)
	}
	return k
}

func (k logsKeyMap) bindings() []key.Binding {
	return []key.Binding{k.Follow, k.ErrorsOnly, k.Filter, k.Down, k.Up}
}
