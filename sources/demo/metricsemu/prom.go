package metricsemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// maxPoints is Prometheus's limit on points per series in a range query.
const maxPoints = 11000

// maxForm caps a POSTed form.
const maxForm = 1 << 20

func (e *Emulator) queryRange(w http.ResponseWriter, r *http.Request) {
	defer contain(w)
	if !form(w, r) {
		return
	}
	q := r.Form.Get("query")
	start, err := parseTime(r.Form.Get("start"))
	if err != nil {
		apiError(w, http.StatusBadRequest, "bad_data", fmt.Sprintf(`invalid parameter "start": %v`, err))
		return
	}
	end, err := parseTime(r.Form.Get("end"))
	if err != nil {
		apiError(w, http.StatusBadRequest, "bad_data", fmt.Sprintf(`invalid parameter "end": %v`, err))
		return
	}
	if end.Before(start) {
		apiError(w, http.StatusBadRequest, "bad_data", `invalid parameter "end": end timestamp must not be before start time`)
		return
	}
	step, err := parseDuration(r.Form.Get("step"))
	if err != nil {
		apiError(w, http.StatusBadRequest, "bad_data", fmt.Sprintf(`invalid parameter "step": %v`, err))
		return
	}
	if step <= 0 {
		apiError(w, http.StatusBadRequest, "bad_data", "zero or negative query resolution step widths are not accepted. Try a positive integer")
		return
	}
	if end.Sub(start)/step >= maxPoints {
		apiError(w, http.StatusBadRequest, "bad_data", "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)")
		return
	}
	list, warnings, ok := e.answer(w, r, q)
	if !ok {
		return
	}
	var b bytes.Buffer
	b.WriteString(`{"status":"success","data":{"resultType":"matrix","result":[`)
	for i, s := range list {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"metric":`)
		writeLabels(&b, s.labels)
		b.WriteString(`,"values":[`)
		n := 0
		for t := start; !t.After(end); t = t.Add(step) {
			if n > 0 {
				b.WriteByte(',')
			}
			writePair(&b, t, s.fn(t))
			n++
		}
		b.WriteString(`]}`)
	}
	b.WriteString(`]}`)
	writeWarnings(&b, warnings)
	b.WriteByte('}')
	writeJSON(w, http.StatusOK, b.Bytes())
}

func (e *Emulator) query(w http.ResponseWriter, r *http.Request) {
	defer contain(w)
	if !form(w, r) {
		return
	}
	q := r.Form.Get("query")
	at := e.clock()
	if v := r.Form.Get("time"); v != "" {
		t, err := parseTime(v)
		if err != nil {
			apiError(w, http.StatusBadRequest, "bad_data", fmt.Sprintf(`invalid parameter "time": %v`, err))
			return
		}
		at = t
	}
	list, warnings, ok := e.answer(w, r, q)
	if !ok {
		return
	}
	var b bytes.Buffer
	b.WriteString(`{"status":"success","data":{"resultType":"vector","result":[`)
	for i, s := range list {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"metric":`)
		writeLabels(&b, s.labels)
		b.WriteString(`,"value":`)
		writePair(&b, at, s.fn(at))
		b.WriteByte('}')
	}
	b.WriteString(`]}`)
	writeWarnings(&b, warnings)
	b.WriteByte('}')
	writeJSON(w, http.StatusOK, b.Bytes())
}

// answer finds the series for q, or writes the error or fault response
// and reports false.
func (e *Emulator) answer(w http.ResponseWriter, r *http.Request, q string) ([]series, []string, bool) {
	if strings.TrimSpace(q) == "" {
		apiError(w, http.StatusBadRequest, "bad_data", `invalid parameter "query": unknown position: parse error: no expression found in input`)
		return nil, nil, false
	}
	list, f, found := e.lookup(q)
	if f != (Fault{}) {
		if !wait(r.Context(), f.Delay) {
			return nil, nil, false
		}
		switch {
		case f.Body != "":
			status := f.Status
			if status == 0 {
				status = http.StatusOK
			}
			writeJSON(w, status, []byte(f.Body))
			return nil, nil, false
		case f.ErrorType != "":
			status := f.Status
			if status == 0 {
				status = http.StatusBadRequest
			}
			apiError(w, status, f.ErrorType, f.Message)
			return nil, nil, false
		case f.Status != 0:
			http.Error(w, http.StatusText(f.Status), f.Status)
			return nil, nil, false
		}
	}
	if !found {
		return nil, []string{fmt.Sprintf("metricsemu: nothing is registered for query %q", normalize(q))}, true
	}
	// Bare-name matches come from a map: give them a stable order.
	sorted := append([]series(nil), list...)
	sort.SliceStable(sorted, func(i, j int) bool { return labelKey(sorted[i].labels) < labelKey(sorted[j].labels) })
	return sorted, nil, true
}

// contain answers a panicking storyline function with an execution error
// instead of a dropped connection. Answers are built in a buffer before any
// byte is written, so the error response is still possible.
func contain(w http.ResponseWriter) {
	if p := recover(); p != nil {
		apiError(w, http.StatusUnprocessableEntity, "execution", fmt.Sprintf("metricsemu: a series function panicked: %v", p))
	}
}

func form(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		apiError(w, http.StatusMethodNotAllowed, "bad_data", "method not allowed")
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		apiError(w, http.StatusBadRequest, "bad_data", fmt.Sprintf("error parsing form values: %v", err))
		return false
	}
	return true
}

func apiError(w http.ResponseWriter, status int, typ, msg string) {
	body, _ := json.Marshal(struct {
		Status    string `json:"status"`
		ErrorType string `json:"errorType"`
		Error     string `json:"error"`
	}{"error", typ, msg})
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeWarnings(b *bytes.Buffer, warnings []string) {
	if len(warnings) == 0 {
		return
	}
	ws, _ := json.Marshal(warnings)
	b.WriteString(`,"warnings":`)
	b.Write(ws)
}

func writeLabels(b *bytes.Buffer, labels map[string]string) {
	if len(labels) == 0 {
		b.WriteString("{}")
		return
	}
	// encoding/json sorts map keys and escapes as JSON requires.
	l, _ := json.Marshal(labels)
	b.Write(l)
}

// writePair writes [unix seconds, "value"] as Prometheus does.
func writePair(b *bytes.Buffer, t time.Time, v float64) {
	b.WriteByte('[')
	b.WriteString(strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', -1, 64))
	b.WriteString(`,"`)
	b.WriteString(formatValue(v))
	b.WriteString(`"]`)
}

func formatValue(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// parseTime accepts what Prometheus accepts: Unix seconds (with a
// fraction) or RFC 3339.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, fmt.Errorf("cannot parse %q to a valid timestamp", s)
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e12 {
			return time.Time{}, fmt.Errorf("cannot parse %q to a valid timestamp", s)
		}
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(math.Round(frac*1e3))*int64(time.Millisecond)).UTC(), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("cannot parse %q to a valid timestamp", s)
}

// parseDuration accepts seconds (with a fraction) or a Go/Prometheus
// duration such as 15s or 1m.
func parseDuration(s string) (time.Duration, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e9 {
			return 0, fmt.Errorf("cannot parse %q to a valid duration", s)
		}
		return time.Duration(f * float64(time.Second)), nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return d, nil
	}
	return 0, fmt.Errorf("cannot parse %q to a valid duration", s)
}

func labelKey(l map[string]string) string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte(0)
		b.WriteString(l[k])
		b.WriteByte(0)
	}
	return b.String()
}
