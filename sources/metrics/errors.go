package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"sitrep/sources/sanitize"
)

// Error kinds that are not the server's own errorType values (those —
// bad_data, execution, timeout, canceled, server_error, client_error,
// bad_response — are passed through as the server sent them).
const (
	KindDeadline    = "deadline"    // the caller's deadline passed
	KindCanceled    = "cancelled"   // the caller gave up
	KindUnreachable = "unreachable" // no connection could be made
	KindRequest     = "request"     // any other transport failure
	KindResult      = "result"      // the answer is well-formed but not usable
	KindNoData      = "no_data"     // the query matched nothing in the window
)

// ErrNoData is matched (errors.Is) by a QueryError of kind KindNoData.
var ErrNoData = errors.New("no data")

// QueryError is a failed query, worded for the person who must fix it:
// "prometheus http://prom:9090: bad_data: parse error at char 5: … (query "5xx rate")".
type QueryError struct {
	Server string // base URL, without credentials
	Query  string // the query's name, or its PromQL when it has none
	Kind   string // the server's errorType, or one of the Kind constants
	Msg    string // sanitized, one line
	Err    error  // the underlying error, for errors.Is/As
}

func (e *QueryError) Error() string {
	s := fmt.Sprintf("prometheus %s: %s: %s", e.Server, e.Kind, e.Msg)
	if e.Query != "" {
		s += fmt.Sprintf(" (query %q)", e.Query)
	}
	return s
}

func (e *QueryError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrNoData) true for no-data errors.
func (e *QueryError) Is(target error) bool {
	return target == ErrNoData && e.Kind == KindNoData
}

// maxDetail caps how much of a server's error body goes into a message.
const maxDetail = 200

// wrapErr turns an error from the client into a QueryError. budget is the
// time the call had, for "no answer within 5s".
func (c *Client) wrapErr(err error, query string, budget time.Duration) error {
	if err == nil {
		return nil
	}
	qe := &QueryError{Server: c.server, Query: sanitize.Line(query), Err: err}
	var apiErr *v1.Error
	var netErr *net.OpError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		qe.Kind = KindDeadline
		qe.Msg = fmt.Sprintf("no answer within %s", budget.Round(time.Millisecond))
	case errors.Is(err, context.Canceled):
		qe.Kind = KindCanceled
		qe.Msg = "the request was cancelled before the server answered"
	case errors.As(err, &apiErr):
		qe.Kind = string(apiErr.Type)
		qe.Msg = sanitize.Line(apiErr.Msg)
		if d := sanitize.Line(apiErr.Detail); d != "" {
			qe.Msg += ": " + clip(d, maxDetail)
		}
		qe.Msg += hint(apiErr)
	case errors.As(err, &netErr) && netErr.Op == "dial":
		qe.Kind = KindUnreachable
		why := netErr.Err
		var se *os.SyscallError
		if errors.As(why, &se) {
			why = se.Err
		}
		qe.Msg = "cannot connect: " + sanitize.Line(why.Error())
	default:
		qe.Kind = KindRequest
		qe.Msg = sanitize.Line(err.Error())
	}
	return qe
}

// hint adds what to check for the HTTP failures people cause themselves.
func hint(e *v1.Error) string {
	switch {
	case strings.HasSuffix(e.Msg, ": 401"), strings.HasSuffix(e.Msg, ": 403"):
		return " (check the bearer token and headers)"
	case strings.HasSuffix(e.Msg, ": 404"):
		return " (is the URL the server's base, without /api/v1?)"
	case e.Type == v1.ErrBadResponse:
		return " (the answer is not Prometheus API JSON)"
	}
	return ""
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut on a rune boundary.
	for n > 0 && s[n]&0xc0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}
