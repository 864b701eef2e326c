package pdemulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// PagerDuty's documented error codes, the ones the emulator can produce.
const (
	codeInternal     = 2000
	codeInvalid      = 2001
	codeAuth         = 2006
	codeRateLimit    = 2020
	codeNotFound     = 2100
	codeNotAllowed   = 2010
	maxBulkIncidents = 250
)

// errorBody is PagerDuty's error envelope. errors is always an array of
// strings: go-pagerduty v1.8.0 only falls back for a bare string, and sitrep
// shows these lines to the engineer.
type errorBody struct {
	Error errorObject `json:"error"`
}

type errorObject struct {
	Message string   `json:"message"`
	Code    int      `json:"code"`
	Errors  []string `json:"errors"`
}

// apiError is an error a handler or world operation returns to be answered
// as PagerDuty would.
type apiError struct {
	status  int
	code    int
	message string
	details []string
}

func (e *apiError) Error() string {
	if len(e.details) > 0 {
		return e.message + ": " + e.details[0]
	}
	return e.message
}

func invalid(detail string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: codeInvalid, message: "Invalid Input Provided", details: []string{detail}}
}

func notFound(detail string) *apiError {
	return &apiError{status: http.StatusNotFound, code: codeNotFound, message: "Not Found", details: []string{detail}}
}

func writeError(w http.ResponseWriter, status, code int, message string, details ...string) {
	if details == nil {
		details = []string{}
	}
	writeJSON(w, status, errorBody{Error: errorObject{Message: message, Code: code, Errors: details}})
}

// writeAPIError answers err; errors that are not apiErrors are the
// emulator's own bugs and surface as PagerDuty's internal error.
func writeAPIError(w http.ResponseWriter, err error) {
	var ae *apiError
	if errors.As(err, &ae) {
		writeError(w, ae.status, ae.code, ae.message, ae.details...)
		return
	}
	writeError(w, http.StatusInternalServerError, codeInternal, "Internal Server Error", err.Error())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, codeInternal, "Internal Server Error", err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(escapeC1(body))
}

// escapeC1 rewrites C1 control characters (U+0080..U+009F), which
// encoding/json leaves raw, as \u escapes. The text is unchanged for a JSON
// reader, but a response dumped to a terminal (curl in the demo) cannot
// smuggle an 8-bit CSI. In UTF-8 these are exactly the byte pairs 0xC2
// 0x80..0x9F, and 0xC2 never appears inside another character, so a byte
// scan is safe; inside JSON they can only occur within strings.
func escapeC1(b []byte) []byte {
	if !bytes.Contains(b, []byte{0xC2}) {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for i := 0; i < len(b); i++ {
		if b[i] == 0xC2 && i+1 < len(b) && b[i+1] >= 0x80 && b[i+1] <= 0x9F {
			out = fmt.Appendf(out, `\u%04x`, b[i+1])
			i++
			continue
		}
		out = append(out, b[i])
	}
	return out
}
