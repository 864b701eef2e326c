package tui

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"sitrep/sources/pagerduty"
	"sitrep/sources/sanitize"
)

const tuiToken = "pd-Tui-Token-4242"

// hostileFeed fails every call with an error that quotes a proxy's
// answer: the Authorization header it was sent, and escape sequences.
type hostileFeed struct{}

func (hostileFeed) err() error {
	return errors.New("list incidents: proxy answered 502: Authorization: Token token=" + tuiToken +
		" \x1b]0;pwned\x07\x1b]52;c;cHduZWQ=\x07 (also " + tuiToken + ")")
}
func (f hostileFeed) Incidents(context.Context, pagerduty.Scope) ([]pagerduty.Incident, error) {
	return nil, f.err()
}
func (f hostileFeed) DetailWith(context.Context, string, pagerduty.DetailOptions) (pagerduty.Detail, error) {
	return pagerduty.Detail{}, f.err()
}
func (f hostileFeed) Acknowledge(context.Context, string) error { return f.err() }
func (f hostileFeed) Resolve(context.Context, string) error     { return f.err() }
func (f hostileFeed) AddNote(context.Context, string, string) (pagerduty.Note, error) {
	return pagerduty.Note{}, f.err()
}

func secretsOf(values ...string) *sanitize.Secrets {
	s := &sanitize.Secrets{}
	for _, v := range values {
		s.Add(v)
	}
	return s
}

// assertClean fails when a drawn frame carries the token or a sequence
// that is not styling (OSC: titles, clipboard; BEL).
func assertClean(t *testing.T, where, frame string) {
	t.Helper()
	if strings.Contains(frame, tuiToken) {
		t.Errorf("%s shows the token:\n%s", where, frame)
	}
	if strings.Contains(frame, "\x1b]") || strings.Contains(frame, "\x07") || strings.Contains(frame, "pwned") {
		t.Errorf("%s carries an outside escape sequence: %q", where, frame)
	}
}

func runCmd(t *testing.T, m Model, cmd tea.Cmd) Model {
	t.Helper()
	return step(t, m, cmd())
}

func TestErrorsOnScreenAreSanitizedAndRedacted(t *testing.T) {
	m := New(hostileFeed{}, Options{Now: fixedClock, Secrets: secretsOf(tuiToken)})
	m = step(t, m, tea.WindowSizeMsg{Width: 160, Height: 30})
	m = runCmd(t, m, m.loadIncidents())
	if m.lastErr == "" {
		t.Fatal("the failed refresh shows no error")
	}
	assertClean(t, "the error line", m.lastErr)
	assertClean(t, "the screen", m.View().Content)

	// The detail pane's error comes by another path.
	m = step(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: fixture(1), at: t0})
	m = runCmd(t, m, m.loadDetail(fixture(1)[0].ID, pagerduty.DetailOptions{}, true))
	assertClean(t, "the detail error", m.details[fixture(1)[0].ID].err)
	assertClean(t, "the screen with the detail", m.View().Content)
}

// Whatever path a secret takes into the model, the frame masks it.
func TestFramesMaskKnownSecrets(t *testing.T) {
	in := fixture(1)
	in[0].Title = "deploy failed: curl -H 'X-Key: " + tuiToken + "'"
	m := New(nil, Options{Now: fixedClock, Secrets: secretsOf(tuiToken)})
	m = step(t, m, tea.WindowSizeMsg{Width: 160, Height: 30})
	m = step(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: in, at: t0})
	frame := m.View().Content
	assertClean(t, "the list", frame)
	if !strings.Contains(frame, "deploy failed") {
		t.Errorf("the title is gone altogether:\n%s", frame)
	}
}

// The whole path with the real client: a proxy in front of PagerDuty
// that answers 500 echoing the Authorization header between escapes.
func TestEchoingProxyNeverReachesTheScreen(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		echo := "\x1b]0;pwned\x07\x1b]52;c;cHduZWQ=\x07 rejected Authorization: " + r.Header.Get("Authorization")
		body, _ := json.Marshal(map[string]any{"error": map[string]any{"message": echo, "code": 2001}})
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	feed := pagerduty.New(pagerduty.Config{APIURL: srv.URL, Token: tuiToken, Timeout: 30 * time.Second})
	m := New(feed, Options{Now: fixedClock, CallTimeout: 30 * time.Second, Secrets: secretsOf(tuiToken)})
	m = step(t, m, tea.WindowSizeMsg{Width: 200, Height: 30})
	m = runCmd(t, m, m.loadIncidents())
	if !strings.Contains(m.lastErr, "500") {
		t.Fatalf("lastErr = %q, want PagerDuty's 500", m.lastErr)
	}
	assertClean(t, "the error line", m.lastErr)
	assertClean(t, "the screen", m.View().Content)
}
