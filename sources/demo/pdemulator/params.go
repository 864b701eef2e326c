package pdemulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	defaultLimit = 25
	maxLimit     = 100
	// maxBody bounds request bodies: the largest legitimate one, a bulk
	// update of 250 incidents, is far below it.
	maxBody = 1 << 20
)

// page is classic offset pagination as PagerDuty echoes it. limit, offset and
// more are always present: go-pagerduty's paging helpers compute the next
// offset from them and loop forever when they are missing.
type page struct {
	Limit  int  `json:"limit"`
	Offset int  `json:"offset"`
	More   bool `json:"more"`
	Total  *int `json:"total,omitempty"`
}

// pageParams reads limit, offset and total.
func pageParams(q url.Values) (limit, offset int, total bool, err error) {
	limit, offset = defaultLimit, 0
	if v := q.Get("limit"); v != "" {
		n, perr := strconv.Atoi(v)
		if perr != nil || n < 0 {
			return 0, 0, false, invalid(fmt.Sprintf("limit must be a non-negative integer, got %q", v))
		}
		if n == 0 {
			n = defaultLimit
		}
		limit = min(n, maxLimit)
	}
	if v := q.Get("offset"); v != "" {
		n, perr := strconv.Atoi(v)
		if perr != nil || n < 0 {
			return 0, 0, false, invalid(fmt.Sprintf("offset must be a non-negative integer, got %q", v))
		}
		offset = n
	}
	total, err = boolParam(q, "total")
	return limit, offset, total, err
}

// paginate cuts [offset, offset+limit) out of n items.
func paginate(n, limit, offset int, total bool) (lo, hi int, p page) {
	lo = min(offset, n)
	hi = min(lo+limit, n)
	p = page{Limit: limit, Offset: offset, More: hi < n}
	if total {
		t := n
		p.Total = &t
	}
	return lo, hi, p
}

func boolParam(q url.Values, name string) (bool, error) {
	v := q.Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, invalid(fmt.Sprintf("%s must be true or false, got %q", name, v))
	}
	return b, nil
}

// arrayParam reads a bracketed array parameter (statuses[]=a&statuses[]=b).
// The bare name is accepted too, as PagerDuty does; comma-separated values
// are split because some clients send them that way.
func arrayParam(q url.Values, name string) []string {
	var out []string
	for _, key := range []string{name + "[]", name} {
		for _, v := range q[key] {
			for _, part := range strings.Split(v, ",") {
				if part = strings.TrimSpace(part); part != "" {
					out = append(out, part)
				}
			}
		}
	}
	return out
}

// enumArrayParam is arrayParam restricted to allowed values.
func enumArrayParam(q url.Values, name string, allowed ...string) ([]string, error) {
	vals := arrayParam(q, name)
	for _, v := range vals {
		if !slices.Contains(allowed, v) {
			return nil, invalid(fmt.Sprintf("%s[] must be one of %s, got %q", name, strings.Join(allowed, ", "), v))
		}
	}
	return vals, nil
}

// timeParam parses an ISO 8601 time parameter; the zero time means absent.
func timeParam(q url.Values, name string) (time.Time, error) {
	v := q.Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := parseTime(v)
	if err != nil {
		return time.Time{}, invalid(fmt.Sprintf("%s must be an ISO 8601 date-time, got %q", name, v))
	}
	return t, nil
}

func parseTime(v string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z07:00", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("not an ISO 8601 time: %q", v)
}

// includes parses include[] against the values an endpoint supports.
func includes(q url.Values, allowed ...string) (map[string]bool, error) {
	vals, err := enumArrayParam(q, "include", allowed...)
	if err != nil {
		return nil, err
	}
	set := make(map[string]bool, len(vals))
	for _, v := range vals {
		set[v] = true
	}
	return set, nil
}

// decodeBody decodes a JSON request body into v and names what is wrong
// when it cannot.
func decodeBody(r *http.Request, v any) error {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return invalid("request body could not be read: " + err.Error())
	}
	if len(data) > maxBody {
		return invalid(fmt.Sprintf("request body exceeds %d bytes", maxBody))
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return invalid("request body is empty; a JSON object is required")
	}
	if err := json.Unmarshal(data, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return invalid(fmt.Sprintf("field %s has the wrong type: expected %s, got JSON %s", te.Field, te.Type, te.Value))
		}
		return invalid("request body is not valid JSON: " + err.Error())
	}
	return nil
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func itoa(n int) string { return strconv.Itoa(n) }
