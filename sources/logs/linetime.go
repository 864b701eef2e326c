package logs

import (
	"encoding/json"
	"math"
	"strings"
	"time"
)

// A line's own time is what the program wrote at its start, so that lines
// merged from several sources sort by when they were logged rather than by
// when sitrep happened to read them (a file's backlog is read all at once;
// kubectl delivers a pod's lines late). The forms recognised are the ones
// services actually write:
//
//	2026-11-29T02:00:00.123Z, 2026-11-29 02:00:00,123 +0100, 2026/11/29 02:00:00
//	                              RFC 3339 / ISO 8601, with T or a space, any
//	                              fraction (dot or comma), Z, an offset or
//	                              UTC/GMT, or no zone (then local time);
//	                              also after "[", a syslog "<34>1 " header, or
//	                              a leading time=, ts= or timestamp= pair
//	Nov 29 02:00:00               syslog (BSD); the year is the one nearest now
//	I1129 02:00:00.123456         klog; the year is the one nearest now
//	{"ts":1764381600.5,...}       JSON time, ts, timestamp or @timestamp: an
//	                              RFC 3339 string, or epoch seconds or
//	                              milliseconds (micro- and nanoseconds too,
//	                              told apart by size)
//
// Everything else keeps the time it was read. The parsers look only at the
// start of a line and never allocate for text, so a stream of 10,000 lines
// a second pays little for it (BenchmarkLineTime).

// minLineYear and maxLineYear bound a time taken from a line: outside them
// the digits were not a time (an ID, a counter), and the read time is kept.
const (
	minLineYear = 1971
	maxLineYear = 9999
)

// LineTime returns the time written in text, read in read's location when
// the text names no zone, and whether it found one. A found time is never
// the zero time.
func LineTime(text string, read time.Time) (time.Time, bool) {
	s := strings.TrimLeft(text, " \t")
	if s == "" {
		return time.Time{}, false
	}
	if s[0] == '{' {
		return jsonTime(s, read)
	}
	return textTime(s, read)
}

// textTime tries the forms of a plain-text line at its start.
func textTime(s string, read time.Time) (time.Time, bool) {
	s = skipSyslogHeader(s)
	if s != "" && s[0] == '[' {
		s = s[1:]
	}
	for _, key := range [...]string{"time=", "ts=", "timestamp=", "t="} {
		if strings.HasPrefix(s, key) {
			s = strings.TrimPrefix(s[len(key):], `"`)
			break
		}
	}
	if len(s) < 14 {
		return time.Time{}, false
	}
	switch c := s[0]; {
	case c >= '0' && c <= '9':
		return isoTime(s, read.Location())
	case c == 'I' || c == 'W' || c == 'E' || c == 'F':
		if t, ok := klogTime(s, read); ok {
			return t, true
		}
	}
	return syslogTime(s, read)
}

// skipSyslogHeader drops an RFC 5424/3164 priority ("<34>") and a version
// ("1 ") so the timestamp after them is at the start.
func skipSyslogHeader(s string) string {
	if len(s) < 3 || s[0] != '<' {
		return s
	}
	i := 1
	for i < len(s) && i <= 4 && isDigit(s[i]) {
		i++
	}
	if i == 1 || i >= len(s) || s[i] != '>' {
		return s
	}
	s = s[i+1:]
	if len(s) >= 2 && isDigit(s[0]) && s[1] == ' ' {
		s = s[2:]
	}
	return s
}

// isoTime parses YYYY-MM-DD[T ]hh:mm:ss[.frac][zone] (or with slashes in
// the date) at the start of s. Without a zone the time is in loc.
func isoTime(s string, loc *time.Location) (time.Time, bool) {
	if len(s) < 19 {
		return time.Time{}, false
	}
	sep := s[4]
	if sep != '-' && sep != '/' || s[7] != sep || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	year, ok1 := digits(s[0:4])
	month, ok2 := digits(s[5:7])
	day, ok3 := digits(s[8:10])
	hour, ok4 := digits(s[11:13])
	minute, ok5 := digits(s[14:16])
	sec, ok6 := digits(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return time.Time{}, false
	}
	rest := s[19:]
	nsec := 0
	if len(rest) >= 2 && (rest[0] == '.' || rest[0] == ',') && isDigit(rest[1]) {
		i := 1
		scale := 100_000_000
		for i < len(rest) && isDigit(rest[i]) {
			nsec += int(rest[i]-'0') * scale
			scale /= 10
			i++
		}
		rest = rest[i:]
	}
	if !validClock(year, month, day, hour, minute, sec) {
		return time.Time{}, false
	}
	off, zoned := zoneOffset(rest)
	if !zoned {
		return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, loc), true
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC).Add(-time.Duration(off) * time.Second)
	return t.In(loc), true
}

// zoneOffset reads a zone right after the time: Z, ±hh:mm, ±hhmm, ±hh, or
// " UTC"/" GMT". It returns the offset east of UTC in seconds.
func zoneOffset(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	switch s[0] {
	case 'Z', 'z':
		return 0, true
	case ' ':
		if strings.HasPrefix(s, " UTC") || strings.HasPrefix(s, " GMT") {
			return 0, true
		}
		if len(s) > 1 && (s[1] == '+' || s[1] == '-') {
			// "2026-11-29 02:00:00 +0100", as Go's time.Time prints.
			return zoneOffset(s[1:])
		}
		return 0, false
	case '+', '-':
	default:
		return 0, false
	}
	sign := 1
	if s[0] == '-' {
		sign = -1
	}
	s = s[1:]
	if len(s) < 2 {
		return 0, false
	}
	h, ok := digits(s[:2])
	if !ok || h > 14 {
		return 0, false
	}
	s = s[2:]
	m := 0
	if len(s) > 0 && s[0] == ':' {
		s = s[1:]
	}
	if len(s) >= 2 && isDigit(s[0]) && isDigit(s[1]) {
		m, _ = digits(s[:2])
		if m > 59 {
			return 0, false
		}
	}
	return sign * (h*3600 + m*60), true
}

// klogTime parses klog's Lmmdd hh:mm:ss.uuuuuu header, in read's location.
func klogTime(s string, read time.Time) (time.Time, bool) {
	if len(s) < 14 || s[5] != ' ' || s[8] != ':' || s[11] != ':' {
		return time.Time{}, false
	}
	month, ok1 := digits(s[1:3])
	day, ok2 := digits(s[3:5])
	hour, ok3 := digits(s[6:8])
	minute, ok4 := digits(s[9:11])
	sec, ok5 := digits(s[12:14])
	if !(ok1 && ok2 && ok3 && ok4 && ok5) {
		return time.Time{}, false
	}
	nsec := fraction(s[14:])
	return nearYear(month, day, hour, minute, sec, nsec, read)
}

var monthAbbr = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// syslogTime parses "Mmm dd hh:mm:ss" (day space- or zero-padded, or one
// digit after one space) at the start of s, in read's location.
func syslogTime(s string, read time.Time) (time.Time, bool) {
	if len(s) < 15 || s[3] != ' ' {
		return time.Time{}, false
	}
	month := 0
	for i, m := range monthAbbr {
		if s[:3] == m {
			month = i + 1
			break
		}
	}
	if month == 0 {
		return time.Time{}, false
	}
	rest := s[4:]
	var day int
	switch {
	case rest[0] == ' ' && isDigit(rest[1]):
		day, rest = int(rest[1]-'0'), rest[2:]
	case isDigit(rest[0]) && isDigit(rest[1]):
		day, _ = digits(rest[:2])
		rest = rest[2:]
	case isDigit(rest[0]) && rest[1] == ' ':
		day, rest = int(rest[0]-'0'), rest[1:]
	default:
		return time.Time{}, false
	}
	if len(rest) < 9 || rest[0] != ' ' || rest[3] != ':' || rest[6] != ':' {
		return time.Time{}, false
	}
	hour, ok1 := digits(rest[1:3])
	minute, ok2 := digits(rest[4:6])
	sec, ok3 := digits(rest[7:9])
	if !(ok1 && ok2 && ok3) {
		return time.Time{}, false
	}
	return nearYear(month, day, hour, minute, sec, fraction(rest[9:]), read)
}

// fraction reads ".ddd…" as nanoseconds; anything else is zero.
func fraction(s string) int {
	if len(s) < 2 || s[0] != '.' {
		return 0
	}
	nsec, scale := 0, 100_000_000
	for i := 1; i < len(s) && isDigit(s[i]); i++ {
		nsec += int(s[i]-'0') * scale
		scale /= 10
	}
	return nsec
}

// nearYear gives a time without a year the year that puts it nearest
// read: a December line read on the 1st of January belongs to the year
// before, and a line a few seconds ahead of a skewed clock to this one.
func nearYear(month, day, hour, minute, sec, nsec int, read time.Time) (time.Time, bool) {
	loc := read.Location()
	var best time.Time
	var bestGap time.Duration
	for _, y := range [...]int{read.Year() - 1, read.Year(), read.Year() + 1} {
		if !validClock(y, month, day, hour, minute, sec) {
			continue // 29 February in a year without it
		}
		t := time.Date(y, time.Month(month), day, hour, minute, sec, nsec, loc)
		gap := t.Sub(read)
		if gap < 0 {
			gap = -gap
		}
		if best.IsZero() || gap < bestGap {
			best, bestGap = t, gap
		}
	}
	return best, !best.IsZero()
}

// validClock rejects what time.Date would quietly normalise (the 31st of
// April, 25 o'clock): such digits were not a time. A leap second (:60) is
// accepted and lands on the next minute.
func validClock(year, month, day, hour, minute, sec int) bool {
	if year < minLineYear || year > maxLineYear || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || sec > 60 {
		return false
	}
	return day <= daysIn(month, year)
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// jsonTimeKeys are the fields structured loggers put the time in (slog,
// logrus and pino "time", zap and zerolog "ts"/"time", "timestamp",
// Elastic's "@timestamp"), in the order they are tried.
var jsonTimeKeys = [...]string{"time", "ts", "timestamp", "@timestamp"}

// jsonTime reads a JSON object's time field. A line that is not a whole
// object (one cut at MaxLineBytes) falls back to the text forms, which
// find nothing at a "{": the read time stands.
func jsonTime(s string, read time.Time) (time.Time, bool) {
	var obj map[string]json.RawMessage
	if json.Unmarshal([]byte(s), &obj) != nil {
		return time.Time{}, false
	}
	return jsonObjectTime(obj, read)
}

func jsonObjectTime(obj map[string]json.RawMessage, read time.Time) (time.Time, bool) {
	for _, k := range jsonTimeKeys {
		raw, ok := obj[k]
		if !ok || len(raw) == 0 {
			continue
		}
		if raw[0] == '"' {
			var str string
			if json.Unmarshal(raw, &str) == nil {
				if t, ok := isoTime(strings.TrimSpace(str), read.Location()); ok {
					return t, true
				}
			}
			continue
		}
		var n float64
		if json.Unmarshal(raw, &n) == nil {
			if t, ok := epochTime(n, read.Location()); ok {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

// epochTime reads a Unix time whose unit is told by its size: seconds
// until the year 5138, then milliseconds, microseconds, nanoseconds.
func epochTime(n float64, loc *time.Location) (time.Time, bool) {
	if math.IsNaN(n) || math.IsInf(n, 0) || n <= 0 {
		return time.Time{}, false
	}
	var t time.Time
	switch {
	case n < 1e11:
		sec, frac := math.Modf(n)
		t = time.Unix(int64(sec), int64(frac*1e9))
	case n < 1e14:
		t = time.UnixMicro(int64(n * 1e3))
	case n < 1e17:
		t = time.UnixMicro(int64(n))
	case n < 9e18:
		t = time.Unix(0, int64(n))
	default:
		return time.Time{}, false
	}
	if y := t.Year(); y < minLineYear || y > maxLineYear {
		return time.Time{}, false
	}
	return t.In(loc), true
}

// digits reads a run of ASCII digits (at most 9) as a number.
func digits(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isDigit(c) {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
