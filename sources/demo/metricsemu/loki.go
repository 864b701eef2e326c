package metricsemu

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Loki's defaults and ceiling for a range query.
const (
	lokiDefaultLimit = 100
	lokiMaxLimit     = 5000
	lokiDefaultSince = time.Hour
)

// lokiQueryRange answers GET /loki/api/v1/query_range with a streams
// result. Errors are plain text with status 400, as Loki sends them.
func (e *Emulator) lokiQueryRange(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if p := recover(); p != nil {
			http.Error(w, fmt.Sprintf("metricsemu: a log function panicked: %v", p), http.StatusInternalServerError)
		}
	}()
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "invalid form: "+err.Error(), http.StatusBadRequest)
		return
	}
	sel, filters, err := parseLogQuery(r.Form.Get("query"))
	if err != nil {
		http.Error(w, "parse error: "+err.Error(), http.StatusBadRequest)
		return
	}
	end := e.clock()
	if v := r.Form.Get("end"); v != "" {
		if end, err = parseLokiTime(v); err != nil {
			http.Error(w, "invalid end: "+err.Error(), http.StatusBadRequest)
			return
		}
	}
	start := end.Add(-lokiDefaultSince)
	if v := r.Form.Get("start"); v != "" {
		if start, err = parseLokiTime(v); err != nil {
			http.Error(w, "invalid start: "+err.Error(), http.StatusBadRequest)
			return
		}
	}
	if end.Before(start) {
		http.Error(w, "end timestamp must not be before or equal to start time", http.StatusBadRequest)
		return
	}
	limit := lokiDefaultLimit
	if v := r.Form.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			http.Error(w, fmt.Sprintf("invalid limit %q: want a positive integer", v), http.StatusBadRequest)
			return
		}
		limit = min(n, lokiMaxLimit)
	}
	forward := false
	switch strings.ToLower(r.Form.Get("direction")) {
	case "", "backward":
	case "forward":
		forward = true
	default:
		http.Error(w, fmt.Sprintf("invalid direction %q: want forward or backward", r.Form.Get("direction")), http.StatusBadRequest)
		return
	}

	e.mu.RLock()
	fn := e.logs[normalize(sel)]
	e.mu.RUnlock()
	var lines []LogLine
	if fn != nil {
		selLabels, _ := parseSelector(sel)
		for _, l := range fn(start, end) {
			// Loki's range is [start, end).
			if l.T.Before(start) || !l.T.Before(end) || !keep(l.Line, filters) {
				continue
			}
			if len(l.Labels) == 0 {
				l.Labels = selLabels
			}
			lines = append(lines, l)
		}
	}
	sort.SliceStable(lines, func(i, j int) bool {
		if forward {
			return lines[i].T.Before(lines[j].T)
		}
		return lines[j].T.Before(lines[i].T)
	})
	if len(lines) > limit {
		lines = lines[:limit]
	}
	writeJSON(w, http.StatusOK, streams(lines))
}

// streams groups lines by label set, streams in order of their first line.
func streams(lines []LogLine) []byte {
	type stream struct {
		labels map[string]string
		lines  []LogLine
	}
	var order []string
	byKey := map[string]*stream{}
	for _, l := range lines {
		k := labelKey(l.Labels)
		s, ok := byKey[k]
		if !ok {
			s = &stream{labels: l.Labels}
			byKey[k] = s
			order = append(order, k)
		}
		s.lines = append(s.lines, l)
	}
	var b bytes.Buffer
	b.WriteString(`{"status":"success","data":{"resultType":"streams","result":[`)
	for i, k := range order {
		if i > 0 {
			b.WriteByte(',')
		}
		s := byKey[k]
		b.WriteString(`{"stream":`)
		writeLabels(&b, s.labels)
		b.WriteString(`,"values":[`)
		for j, l := range s.lines {
			if j > 0 {
				b.WriteByte(',')
			}
			line, _ := json.Marshal(l.Line)
			fmt.Fprintf(&b, `["%d",%s]`, l.T.UnixNano(), line)
		}
		b.WriteString(`]}`)
	}
	b.WriteString(`],"stats":{}}}`)
	return b.Bytes()
}

type lineFilter struct {
	contains bool // |= when true, != when false
	text     string
}

func keep(line string, filters []lineFilter) bool {
	for _, f := range filters {
		if strings.Contains(line, f.text) != f.contains {
			return false
		}
	}
	return true
}

// parseLogQuery splits `{app="x"} |= "err" != "debug"` into its selector
// and line filters.
func parseLogQuery(q string) (string, []lineFilter, error) {
	q = strings.TrimSpace(q)
	if !strings.HasPrefix(q, "{") {
		return "", nil, errors.New(`a query starts with a stream selector such as {app="api"}`)
	}
	end, err := selectorEnd(q)
	if err != nil {
		return "", nil, err
	}
	sel, rest := q[:end], strings.TrimSpace(q[end:])
	var filters []lineFilter
	for rest != "" {
		var f lineFilter
		switch {
		case strings.HasPrefix(rest, "|="):
			f.contains = true
		case strings.HasPrefix(rest, "!="):
		default:
			return "", nil, fmt.Errorf("unsupported expression %q: the emulator knows only |= and != line filters", rest)
		}
		rest = strings.TrimSpace(rest[2:])
		text, n, err := quoted(rest)
		if err != nil {
			return "", nil, err
		}
		f.text = text
		filters = append(filters, f)
		rest = strings.TrimSpace(rest[n:])
	}
	return sel, filters, nil
}

// selectorEnd returns the index after the '}' closing the selector that
// starts q, skipping quoted strings.
func selectorEnd(q string) (int, error) {
	inQuote := byte(0)
	for i := 1; i < len(q); i++ {
		c := q[i]
		switch {
		case inQuote != 0:
			if c == '\\' && inQuote == '"' {
				i++
			} else if c == inQuote {
				inQuote = 0
			}
		case c == '"' || c == '`':
			inQuote = c
		case c == '}':
			return i + 1, nil
		}
	}
	return 0, errors.New("stream selector is not closed with }")
}

// quoted reads a "…" or `…` string at the start of s and returns it and
// the bytes it took.
func quoted(s string) (string, int, error) {
	if s == "" {
		return "", 0, errors.New("a line filter needs a quoted string")
	}
	switch s[0] {
	case '`':
		i := strings.IndexByte(s[1:], '`')
		if i < 0 {
			return "", 0, errors.New("unterminated ` string")
		}
		return s[1 : i+1], i + 2, nil
	case '"':
		for i := 1; i < len(s); i++ {
			if s[i] == '\\' {
				i++
				continue
			}
			if s[i] == '"' {
				text, err := strconv.Unquote(s[:i+1])
				if err != nil {
					return "", 0, fmt.Errorf("bad string %s: %v", s[:i+1], err)
				}
				return text, i + 1, nil
			}
		}
		return "", 0, errors.New(`unterminated " string`)
	}
	return "", 0, fmt.Errorf("a line filter needs a quoted string, not %q", s)
}

// parseSelector reads the equality matchers of {k="v", …}; other matchers
// make it fail, and the caller then uses no labels.
func parseSelector(sel string) (map[string]string, error) {
	body := strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(sel), "{"), "}"))
	out := map[string]string{}
	for body != "" {
		eq := strings.IndexByte(body, '=')
		if eq <= 0 {
			return nil, fmt.Errorf("matcher %q has no =", body)
		}
		name := strings.TrimSpace(body[:eq])
		if !isMetricName(name) || strings.HasPrefix(body[eq+1:], "~") {
			return nil, fmt.Errorf("only name=\"value\" matchers are understood")
		}
		rest := strings.TrimSpace(body[eq+1:])
		val, n, err := quoted(rest)
		if err != nil {
			return nil, err
		}
		out[name] = val
		body = strings.TrimSpace(rest[n:])
		body = strings.TrimSpace(strings.TrimPrefix(body, ","))
	}
	return out, nil
}

// parseLokiTime accepts what Loki accepts: Unix nanoseconds, Unix seconds
// with a fraction, or RFC 3339.
func parseLokiTime(s string) (time.Time, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		// Loki takes an integer as nanoseconds; small ones as seconds.
		if n < 1e12 && n > -1e12 {
			return time.Unix(n, 0).UTC(), nil
		}
		return time.Unix(0, n).UTC(), nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) && math.Abs(f) < 1e12 {
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("cannot parse %q as Unix nanoseconds or RFC 3339", s)
}
