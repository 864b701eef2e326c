package pagerduty_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"sitrep/sources/pagerduty"
)

// echoServer stands where PagerDuty should be, as a misconfigured proxy
// might: it answers /users/me, and everything else with status and a body
// that echoes the Authorization header between terminal escape sequences.
func echoServer(t *testing.T, status int, contentType string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		if r.URL.Path == "/users/me" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"user":{"id":"U1","name":"Alice","email":"a@example.com"}}`))
			return
		}
		echo := "\x1b]0;pwned\x07\x1b]52;c;cHduZWQ=\x07rejected Authorization: " + auth + " \x1b[2J"
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		if strings.HasPrefix(contentType, "application/json") {
			body, _ := json.Marshal(map[string]any{"error": map[string]any{
				"message": echo, "code": 2001, "errors": []string{"token " + strings.TrimPrefix(auth, "Token token=") + " \x1b]52;c;eA==\x07"},
			}})
			_, _ = w.Write(body)
			return
		}
		_, _ = w.Write([]byte(echo))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestEchoedTokenAndEscapesNeverReachAnError(t *testing.T) {
	const secret = "pd-Secret-Token-77c1"
	for _, tt := range []struct {
		name        string
		status      int
		contentType string
	}{
		{"500 json", http.StatusInternalServerError, "application/json"},
		{"401 json", http.StatusUnauthorized, "application/json"},
		{"500 text", http.StatusInternalServerError, "text/plain"},
		{"401 text", http.StatusUnauthorized, "text/plain"},
		{"400 json", http.StatusBadRequest, "application/json"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := pagerduty.New(pagerduty.Config{APIURL: echoServer(t, tt.status, tt.contentType), Token: secret, Timeout: 20 * time.Second})
			calls := map[string]func() error{
				"list": func() error { _, err := c.Incidents(context.Background(), pagerduty.ScopeAll); return err },
				"note": func() error { _, err := c.AddNote(context.Background(), "P1", "hello"); return err },
				"ack":  func() error { return c.Acknowledge(context.Background(), "P1") },
			}
			for name, call := range calls {
				err := call()
				if err == nil {
					t.Fatalf("%s: no error", name)
				}
				msg := err.Error()
				if strings.Contains(msg, secret) || strings.ContainsAny(msg, "\x1b\x07") || strings.Contains(msg, "cHduZWQ") {
					t.Errorf("%s: error %q shows the token or escape sequences", name, msg)
				}
				if !strings.Contains(msg, "PagerDuty answered") {
					t.Errorf("%s: error %q does not say PagerDuty answered", name, msg)
				}
			}
		})
	}
}
