package logs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"sitrep/sources/health"
	"sitrep/sources/sanitize"
)

// Loki is a log source that asks a Loki (or Loki-compatible) server for the
// newest lines matching a LogQL query, over query_range.
type Loki struct {
	BaseURL  string        // e.g. http://loki:3100; user:password@ in it is sent as basic auth and never shown
	Query    string        // LogQL log query, e.g. {app="payment-gateway"} |= "error"
	Client   *http.Client  // nil means http.DefaultClient
	Header   http.Header   // extra headers, e.g. X-Scope-OrgID or Authorization
	Lookback time.Duration // Fetch's window; zero means DefaultLookback
	Interval time.Duration // Follow's polling interval; zero means DefaultLokiInterval
	Lines    int           // Follow's backlog; 0 means DefaultBacklog
}

// DefaultLookback is how far back Fetch asks Loki to look.
const DefaultLookback = time.Hour

// DefaultLokiInterval is how often Follow asks Loki for new lines.
const DefaultLokiInterval = 5 * time.Second

// maxLokiBody bounds a response body: limit lines of at most a few KiB each.
const maxLokiBody = 64 << 20

// Fetch returns the newest n lines (n < 1: up to MaxFetchLines) from the
// last Lookback, oldest first.
func (l Loki) Fetch(ctx context.Context, n int) ([]Line, error) {
	lookback := l.Lookback
	if lookback <= 0 {
		lookback = DefaultLookback
	}
	end := time.Now()
	lines, _, err := l.QueryRange(ctx, end.Add(-lookback), end, fetchCap(n))
	if len(lines) > fetchCap(n) {
		lines = lines[len(lines)-fetchCap(n):] // multi-line entries
	}
	return lines, err
}

// QueryRange asks for at most limit lines between start and end, newest
// first on the wire (direction=backward, so the limit keeps the newest), and
// returns them oldest first (an entry with several lines gives several
// Lines) together with the newest entry's timestamp in
// nanoseconds (0 if none).
func (l Loki) QueryRange(ctx context.Context, start, end time.Time, limit int) ([]Line, int64, error) {
	return l.query(ctx, start.UnixNano(), end.UnixNano(), limit, "backward")
}

// Follow polls Loki every Interval for lines newer than the newest it has
// seen and appends them to ring, starting with Lines of backlog, until ctx
// ends. A failed poll is retried; a failure is the source's status in the
// ring (Ring.SetStatus, under Label) until a poll succeeds, never a line.
// Follow returns only when ctx ends.
func (l Loki) Follow(ctx context.Context, ring *Ring) error {
	if ring == nil {
		return errNilRing
	}
	interval := l.Interval
	if interval <= 0 {
		interval = DefaultLokiInterval
	}
	backlog := l.Lines
	if backlog == 0 {
		backlog = DefaultBacklog
	}
	lookback := l.Lookback
	if lookback <= 0 {
		lookback = DefaultLookback
	}
	now := time.Now()
	var last int64 // newest timestamp seen, ns
	seenAtLast := map[string]bool{}
	if backlog > 0 {
		lines, newest, err := l.query(ctx, now.Add(-lookback).UnixNano(), now.UnixNano(), backlog, "backward")
		if err != nil {
			ring.SetStatus(health.Failed(l.Label(), err, time.Now()))
		} else {
			ring.SetStatus(health.Ok(l.Label(), time.Now()))
		}
		ring.Append(lines...)
		last, seenAtLast = newest, linesAt(lines, newest)
	}
	if last == 0 {
		last = now.UnixNano()
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("follow loki: %w", context.Cause(ctx))
		case <-tick.C:
		}
		// Start at the newest timestamp already seen, inclusive, so a
		// line logged in the same nanosecond is not lost; the ones
		// already shown are skipped by text.
		lines, newest, err := l.query(ctx, last, time.Now().UnixNano(), MaxFetchLines, "forward")
		if err != nil {
			if ctx.Err() != nil {
				continue
			}
			// The source's status says it fails, from the first
			// failure of a run, until a poll succeeds again.
			if !failing {
				ring.SetStatus(health.Failed(l.Label(), err, time.Now()))
				failing = true
			}
			continue
		}
		if failing {
			ring.SetStatus(health.Ok(l.Label(), time.Now()))
		}
		failing = false
		fresh := lines[:0]
		for _, ln := range lines {
			if ln.T.UnixNano() == last && seenAtLast[ln.Source+"\x00"+ln.Text] {
				continue
			}
			fresh = append(fresh, ln)
		}
		ring.Append(fresh...)
		if newest > last {
			last, seenAtLast = newest, linesAt(lines, newest)
		} else if newest == last {
			for k := range linesAt(lines, newest) {
				seenAtLast[k] = true
			}
		}
	}
}

func linesAt(lines []Line, ns int64) map[string]bool {
	m := map[string]bool{}
	for _, ln := range lines {
		if ln.T.UnixNano() == ns {
			m[ln.Source+"\x00"+ln.Text] = true
		}
	}
	return m
}

// lokiResponse is the query_range answer for a log query.
type lokiResponse struct {
	Status string `json:"status"`
	Data   struct {
		ResultType string `json:"resultType"`
		Result     []struct {
			Stream map[string]string `json:"stream"`
			// Each value is [ns, line] or, with structured metadata,
			// [ns, line, {labels}].
			Values [][]json.RawMessage `json:"values"`
		} `json:"result"`
	} `json:"data"`
	Error string `json:"error"`
}

func (l Loki) query(ctx context.Context, startNS, endNS int64, limit int, direction string) ([]Line, int64, error) {
	base, err := url.Parse(strings.TrimRight(l.BaseURL, "/"))
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, 0, fmt.Errorf("loki: base URL %q is not an absolute http(s) URL", redactURLString(l.BaseURL))
	}
	user := base.User
	base.User = nil
	u := *base
	u.Path = strings.TrimRight(u.Path, "/") + "/loki/api/v1/query_range"
	u.RawPath = ""
	q := url.Values{}
	q.Set("query", l.Query)
	q.Set("start", strconv.FormatInt(startNS, 10))
	q.Set("end", strconv.FormatInt(endNS, 10))
	q.Set("limit", strconv.Itoa(max(limit, 1)))
	q.Set("direction", direction)
	// Messages name the server as configured, without the API's path and
	// query string: the query is the source's label already, and the rest
	// would push the reason itself out of an 80-column status line.
	shown := base.String() // no credentials: base.User was cleared
	u.RawQuery = q.Encode()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, 0, fmt.Errorf("loki %s: %w", shown, err)
	}
	for k, vs := range l.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if user != nil {
		pw, _ := user.Password()
		req.SetBasicAuth(user.Username(), pw)
	}
	req.Header.Set("Accept", "application/json")
	client := l.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its URL may carry the user name; ours does not
		}
		return nil, 0, fmt.Errorf("loki %s: %w", shown, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxLokiBody+1))
	if err != nil {
		return nil, 0, fmt.Errorf("loki %s: read body: %w", shown, err)
	}
	if len(body) > maxLokiBody {
		return nil, 0, fmt.Errorf("loki %s: response larger than %d bytes", shown, maxLokiBody)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("loki %s: %s: %s", shown, sanitize.Line(resp.Status), bodySnippet(body))
	}
	var r lokiResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, 0, fmt.Errorf("loki %s: bad JSON: %v", shown, err)
	}
	if r.Status != "" && r.Status != "success" {
		return nil, 0, fmt.Errorf("loki %s: status %q: %s", shown, sanitize.Line(r.Status), sanitize.Line(capString(r.Error, 300)))
	}
	if r.Data.ResultType != "streams" {
		return nil, 0, fmt.Errorf("loki %s: result type %q, want streams (is the query a log query?)", shown, sanitize.Line(capString(r.Data.ResultType, 40)))
	}
	var out []Line
	var newest int64
	for si, s := range r.Data.Result {
		source := streamLabel(s.Stream)
		labelLevel := NormalizeLevel(firstLabel(s.Stream, "level", "detected_level", "severity", "lvl"))
		for vi, v := range s.Values {
			if len(v) < 2 {
				return nil, 0, fmt.Errorf("loki %s: result[%d].values[%d]: want [ns, line], got %d elements", shown, si, vi, len(v))
			}
			var nsText, text string
			if json.Unmarshal(v[0], &nsText) != nil || json.Unmarshal(v[1], &text) != nil {
				return nil, 0, fmt.Errorf("loki %s: result[%d].values[%d]: want two strings", shown, si, vi)
			}
			ns, err := strconv.ParseInt(nsText, 10, 64)
			if err != nil {
				return nil, 0, fmt.Errorf("loki %s: result[%d].values[%d]: bad timestamp %q", shown, si, vi, sanitize.Line(capString(nsText, 40)))
			}
			newest = max(newest, ns)
			level := labelLevel
			if level == LevelUnknown {
				level = DetectLevel(text)
			}
			out = append(out, splitMessage(capString(text, journalRecordLimit), time.Unix(0, ns), level, source)...)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].T.Before(out[j].T) })
	return out, newest, nil
}

// streamLabel renders stream labels as LogQL does, sorted: {app="x",pod="y"}.
func streamLabel(labels map[string]string) string {
	if len(labels) == 0 {
		return "loki"
	}
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=%q", k, labels[k])
	}
	b.WriteByte('}')
	return sanitize.Line(capString(b.String(), 512))
}

func firstLabel(labels map[string]string, keys ...string) string {
	for _, k := range keys {
		if v, ok := labels[k]; ok {
			return v
		}
	}
	return ""
}

// bodySnippet is the start of an error body, made safe to show.
func bodySnippet(body []byte) string {
	s := sanitize.Line(capString(string(body), 300))
	if s == "" {
		return "(empty body)"
	}
	return s
}

// redactURLString drops user information from a URL for messages.
func redactURLString(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		// Unparseable: show nothing that could be a credential.
		if i := strings.LastIndex(raw, "@"); i >= 0 {
			raw = raw[i+1:]
		}
		return sanitize.Line(capString(raw, 200))
	}
	u.User = nil
	return sanitize.Line(u.String())
}
