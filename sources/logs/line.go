// Package logs reads recent log lines for the Logs pane: from any command
// whose output is a log (kubectl logs, journalctl, tail), from a file that is
// followed across rotation, from the systemd journal and from Loki.
//
// Every source turns what it reads into Line values whose text has passed
// through sanitize, so nothing this package returns can drive the terminal.
// Follow modes write into a Ring, a bounded buffer the pane snapshots when it
// draws; they run until their context ends, which is how a hidden pane stops
// them. A line carries the time written in it when it has one (LineTime),
// so lines merged from several sources sort by when they were logged.
//
// A log command given a Background runs as one process for all the fetches
// and follows of it, for as long as a follow holds it: the cockpit follows
// the selected incident's sources while its detail is on screen, so a
// command that never ends (kubectl logs -f) stops when the engineer selects
// another incident, covers the detail with a screen or the journal, or
// quits, and at no other time. Its process group is stopped as any
// command's is (SIGTERM, then SIGKILL after the grace).
package logs

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"sitrep/sources/sanitize"
)

// Levels, as Line.Level spells them.
const (
	LevelError   = "error"
	LevelWarn    = "warn"
	LevelInfo    = "info"
	LevelDebug   = "debug"
	LevelUnknown = "unknown"
)

// MaxLineBytes caps the text of one line. A longer line keeps its first
// MaxLineBytes bytes and ends with TruncatedMarker: one runaway line (a
// minified JSON dump, a binary blob) must not eat the ring's memory.
const MaxLineBytes = 8 << 10

// TruncatedMarker ends a line that was cut at MaxLineBytes.
const TruncatedMarker = " …[truncated]"

// StderrSuffix is appended to Line.Source for lines a command wrote to its
// standard error, so the pane can tell them apart from the log itself.
const StderrSuffix = " (stderr)"

// Line is one log line.
type Line struct {
	T      time.Time // when it was logged, or when it was read if the source has no time
	Level  string    // LevelError, LevelWarn, LevelInfo, LevelDebug or LevelUnknown
	Text   string    // sanitized, one line, at most MaxLineBytes plus the marker
	Source string    // where it came from: a command, a file, a unit, a Loki stream
}

// LevelFromPriority maps a syslog/journald priority (0 emerg … 7 debug) to a
// level. Notice (5) counts as info; anything out of range is unknown.
func LevelFromPriority(p int) string {
	switch {
	case p >= 0 && p <= 3:
		return LevelError
	case p == 4:
		return LevelWarn
	case p == 5 || p == 6:
		return LevelInfo
	case p == 7:
		return LevelDebug
	}
	return LevelUnknown
}

// NormalizeLevel maps the many spellings of a level (ERR, Warning, fatal,
// notice, trace, …) to one of the Level constants.
func NormalizeLevel(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "emerg", "emergency", "alert", "crit", "critical", "fatal", "panic", "err", "error", "severe", "dpanic":
		return LevelError
	case "warn", "warning":
		return LevelWarn
	case "info", "information", "informational", "notice":
		return LevelInfo
	case "debug", "dbg", "trace", "verbose", "fine", "finer", "finest":
		return LevelDebug
	}
	return LevelUnknown
}

// jsonLevelKeys are the fields structured loggers put the level in
// (logrus/slog/zap "level", zerolog "level", GCP "severity", pino numeric "level").
var jsonLevelKeys = []string{"level", "severity", "lvl", "loglevel", "log.level", "levelname"}

// levelScanBytes bounds how far into a line DetectLevel looks for a
// level word: the level sits near the start in every common format, and a
// long line must not cost more than a short one.
const levelScanBytes = 256

// DetectLevel guesses a line's level from its text: a JSON object's level
// field, a logfmt level=… pair, a klog prefix (E0612 …), or a level word such
// as ERROR, WARN or [error]. It returns LevelUnknown when nothing matches.
func DetectLevel(text string) string {
	t := strings.TrimLeft(text, " \t")
	if strings.HasPrefix(t, "{") {
		if l, ok := jsonLevel(t); ok {
			return l
		}
	}
	return textLevel(t)
}

// textLevel is DetectLevel without the JSON decoding.
func textLevel(t string) string {
	if len(t) > levelScanBytes {
		t = t[:levelScanBytes]
	}
	if l, ok := logfmtLevel(t); ok {
		return l
	}
	if l, ok := klogLevel(t); ok {
		return l
	}
	return wordLevel(t)
}

func jsonLevel(s string) (string, bool) {
	var obj map[string]json.RawMessage
	if json.Unmarshal([]byte(s), &obj) != nil {
		return "", false
	}
	return jsonObjectLevel(obj)
}

func jsonObjectLevel(obj map[string]json.RawMessage) (string, bool) {
	for _, k := range jsonLevelKeys {
		raw, ok := obj[k]
		if !ok {
			continue
		}
		var str string
		if json.Unmarshal(raw, &str) == nil {
			if l := NormalizeLevel(str); l != LevelUnknown {
				return l, true
			}
			continue
		}
		var n float64
		if json.Unmarshal(raw, &n) == nil {
			if l := pinoLevel(n); l != LevelUnknown {
				return l, true
			}
		}
	}
	return "", false
}

// pinoLevel maps pino/bunyan numeric levels (10 trace … 60 fatal).
func pinoLevel(n float64) string {
	switch {
	case n >= 50:
		return LevelError
	case n >= 40:
		return LevelWarn
	case n >= 30:
		return LevelInfo
	case n >= 10:
		return LevelDebug
	}
	return LevelUnknown
}

// logfmtLevel finds level=, lvl= or severity= (any case, optionally
// quoted), and their JSON form "level": for a JSON line that did not parse
// (one cut at MaxLineBytes, say).
func logfmtLevel(s string) (string, bool) {
	lower := strings.ToLower(s)
	for _, key := range []string{"level=", "lvl=", "severity=", `"level":`, `"severity":`, `"lvl":`} {
		for from := 0; ; {
			i := strings.Index(lower[from:], key)
			if i < 0 {
				break
			}
			i += from
			from = i + len(key)
			if i > 0 && isWordByte(lower[i-1]) {
				continue
			}
			v := takeWord(strings.TrimLeft(lower[from:], " "))
			if l := NormalizeLevel(v); l != LevelUnknown {
				return l, true
			}
		}
	}
	return "", false
}

func takeWord(s string) string {
	s = strings.TrimLeft(s, `"'`)
	end := 0
	for end < len(s) && isWordByte(s[end]) {
		end++
	}
	return s[:end]
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// klogLevel recognises the Kubernetes klog header: Lmmdd hh:mm:ss.uuuuuu.
func klogLevel(s string) (string, bool) {
	if len(s) < 14 || s[5] != ' ' || s[8] != ':' {
		return "", false
	}
	for _, c := range []byte(s[1:5]) {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	switch s[0] {
	case 'E', 'F':
		return LevelError, true
	case 'W':
		return LevelWarn, true
	case 'I':
		return LevelInfo, true
	}
	return "", false
}

// wordLevel returns the level of the first level word: an upper-case word
// (ERROR, WARN, FATAL) anywhere, or any-case word in brackets or before a
// colon ([error], <warn>, error:). A lower-case "error" in running prose
// ("no error found") is not a level.
func wordLevel(s string) string {
	for i := 0; i < len(s); {
		if !isWordByte(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isWordByte(s[j]) {
			j++
		}
		w := s[i:j]
		if len(w) >= 3 && len(w) <= 11 {
			var before, after byte
			if i > 0 {
				before = s[i-1]
			}
			if j < len(s) {
				after = s[j]
			}
			framed := (before == '[' && after == ']') || (before == '<' && after == '>') || (before == '(' && after == ')') || after == ':'
			if w == strings.ToUpper(w) || framed {
				if l := NormalizeLevel(w); l != LevelUnknown {
					return l
				}
			}
		}
		i = j
	}
	return LevelUnknown
}

// continuationGap is how soon after a line with its own time a line
// without one must be read to count as its continuation (the rest of a
// stack trace, a multi-line message) and share its time. Later, the line
// stands alone and keeps the time it was read.
const continuationGap = time.Second

// stamper gives the lines of one stream their level and time. It is not
// safe for concurrent use; each stream has its own.
type stamper struct {
	last     time.Time // the time of the last line that had one
	lastRead time.Time // when that line, or a continuation of it, was read
}

// stamp returns text's level and the time it was logged: the time written
// in it (LineTime), else the time of the line it continues, else read.
// A JSON line is decoded once for both.
func (st *stamper) stamp(text string, read time.Time) (string, time.Time) {
	level, t, ok := levelAndTime(text, read)
	switch {
	case ok:
		st.last, st.lastRead = t, read
	case !st.last.IsZero() && read.Sub(st.lastRead) < continuationGap:
		t, st.lastRead = st.last, read
	default:
		t = read
	}
	return level, t
}

// levelAndTime is DetectLevel and LineTime together, decoding a JSON line
// once.
func levelAndTime(text string, read time.Time) (string, time.Time, bool) {
	s := strings.TrimLeft(text, " \t")
	if strings.HasPrefix(s, "{") {
		var obj map[string]json.RawMessage
		if json.Unmarshal([]byte(s), &obj) == nil {
			t, ok := jsonObjectTime(obj, read)
			if l, found := jsonObjectLevel(obj); found {
				return l, t, ok
			}
			return textLevel(s), t, ok
		}
	}
	t, ok := LineTime(text, read)
	return DetectLevel(text), t, ok
}

// capLine cuts b to MaxLineBytes on a rune boundary and reports whether it
// did.
func capLine(b []byte, limit int) ([]byte, bool) {
	if len(b) <= limit {
		return b, false
	}
	cut := limit
	for cut > 0 && cut > limit-utf8.UTFMax && !utf8.RuneStart(b[cut]) {
		cut--
	}
	return b[:cut], true
}

// cleanText makes raw bytes from outside into drawable one-line text: the
// length is capped, control sequences are stripped, tabs become spaces (the
// pane measures width; a tab has none it can know) and a trailing CR or
// space is dropped.
func cleanText(raw []byte, truncated bool) string {
	raw, cut := capLine(raw, MaxLineBytes)
	truncated = truncated || cut
	raw = bytes.TrimRight(raw, "\r\n")
	s := sanitize.Text(string(raw))
	if strings.ContainsAny(s, "\t\n") {
		s = strings.NewReplacer("\t", "    ", "\n", " ").Replace(s)
	}
	if len(s) > MaxLineBytes {
		// Tabs and the markers that make invisible characters visible
		// are longer than the bytes they stand for.
		b, _ := capLine([]byte(s), MaxLineBytes)
		s, truncated = string(b), true
	}
	s = strings.TrimRight(s, " ")
	if truncated {
		s += TruncatedMarker
	}
	return s
}

// splitMessage turns a message that may hold several lines (a journald
// entry, a Loki line with a stack trace) into Lines sharing time, level and
// source. An empty message still gives one empty line: it was logged.
func splitMessage(msg string, t time.Time, level, source string) []Line {
	parts := strings.Split(strings.TrimRight(msg, "\n"), "\n")
	out := make([]Line, 0, len(parts))
	for _, p := range parts {
		out = append(out, Line{T: t, Level: level, Text: cleanText([]byte(p), false), Source: source})
	}
	return out
}
