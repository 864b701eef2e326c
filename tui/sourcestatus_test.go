package tui

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"sitrep/sources/enrich"
	"sitrep/sources/health"
	"sitrep/sources/logs"
	"sitrep/sources/pagerduty"
)

// A pane whose sources all answered says so on its status line, taking no
// row from the content; one with a failing source gives each source a line
// of its own, within 80 columns, and the focused pane shows the whole
// reason.
func TestPaneDrawsSourceStatuses(t *testing.T) {
	incidents := fixture(3)
	in := incidents[0]
	m := New(nil, Options{Now: fixedClock, Enricher: nopEnricher{}})
	m = step(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	m = step(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: incidents, at: t0})
	m.enrichment[in.ID] = &enrichState{panes: map[string]paneData{}}
	long := "kubectl: exit status 1: error: You must be logged in to the server (Unauthorized); run kubectl config use-context prod-eu-west-1 and log in again"
	m = step(t, m, enrichArrived{id: in.ID, result: enrich.Result{SourceID: paneLogs, FetchedAt: t0,
		Value: []logs.Line{{T: t0, Level: logs.LevelError, Text: "ERROR card declined upstream", Source: "app.log"}},
		Statuses: []health.Status{
			health.Ok("file /var/log/payment-gateway/app.log", t0),
			health.Failed("command kubectl logs deploy/payment-gateway --tail=300", errors.New(long), t0),
			health.Empty(`loki {app="payment-gateway"}`, t0.Add(-42*time.Minute), t0, ""),
		}}})
	m = step(t, m, enrichArrived{id: in.ID, result: enrich.Result{SourceID: paneDeploys, FetchedAt: t0,
		Statuses: []health.Status{health.Ok("pagerduty change events", t0)}}})
	for detailTabs[m.detail.tab] != "Logs" {
		m = press(t, m, "tab")
	}
	view := plainView(m)
	for i, l := range strings.Split(view, "\n") {
		if w := ansi.StringWidth(l); w > 80 {
			t.Errorf("line %d is %d columns: %q", i, w, l)
		}
	}
	for _, want := range []string{
		"✓ file /var/log/payment-gateway/app.log: ok",
		"✗ command kubectl logs deploy/pay…: error: kubectl: exit status 1: error: You m…",
		`○ loki {app="payment-gateway"}: no data since 02:18 UTC`,
		"03:00:00 ERR ERROR card declined upstream",
	} {
		if !strings.Contains(view, want) {
			t.Errorf("the Logs pane lacks %q:\n%s", want, view)
		}
	}

	m = press(t, m, "enter") // focus the pane: the whole reason
	focused := strings.Join(strings.Fields(plainView(m)), " ")
	if !strings.Contains(focused, "log in again") || !strings.Contains(focused, "command kubectl logs deploy/payment-gateway --tail=300:") {
		t.Errorf("the focused pane does not show the whole reason:\n%s", plainView(m))
	}

	m = press(t, m, "esc", "tab") // Deploys: every source ok, on the status line
	view = plainView(m)
	if !strings.Contains(view, "updated 0s ago · ✓ pagerduty change events ok") {
		t.Errorf("the Deploys pane's ok status is not on its status line:\n%s", view)
	}
}

func TestShortLabel(t *testing.T) {
	tests := []struct{ in, want string }{
		{"file /var/log/payment-gateway/app.log", "file …ent-gateway/app.log"},
		{"command kubectl logs deploy/payment-gateway --tail=300", "command kubectl logs dep…"},
		{"git /srv/api", "git /srv/api"},
	}
	for _, tt := range tests {
		if got := shortLabel(tt.in, 25); got != tt.want {
			t.Errorf("shortLabel(%q, 25) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// A followed stream's word on a source is newer than the last fetch's.
func TestMergeStatuses(t *testing.T) {
	fetched := []health.Status{health.Ok("file a", t0), health.Ok("loki q", t0)}
	followed := []health.Status{health.Failed("file a", errors.New("gone"), t0.Add(time.Second)), health.Ok("command c", t0)}
	got := mergeStatuses(fetched, followed)
	if len(got) != 3 || got[0].State != health.Error || got[1].State != health.OK || got[2].Source != "command c" {
		t.Errorf("merged = %+v", got)
	}
}

// Status lines never overflow, at any width, cut or wrapped.
func TestSourceStatusLinesFit(t *testing.T) {
	s := NewStyles(false)
	statuses := []health.Status{
		health.Ok("file /var/log/payment-gateway/app.log", t0),
		health.Failed("command kubectl logs deploy/payment-gateway --tail=300", errors.New(strings.Repeat("unauthorized ", 30)), t0),
		health.Empty(`loki {app="payment-gateway"}`, t0.Add(-42*time.Minute), t0, "nothing in the last 1h0m0s"),
	}
	for w := 1; w <= 120; w++ {
		for _, full := range []bool{false, true} {
			for _, l := range sourceStatusLines(s, statuses, w, full) {
				if lw := ansi.StringWidth(l); lw > w {
					t.Fatalf("width %d (full %v): a %d-cell line %q", w, full, lw, ansi.Strip(l))
				}
			}
		}
	}
}

// A pin keeps the service's evidence as lines, and the sources that failed
// apart, as sitrep's.
func TestPinKeepsSourceFailuresApart(t *testing.T) {
	rec := &memoryRecorder{}
	incidents := fixture(3)
	in := incidents[0]
	m := New(nil, Options{Now: fixedClock, Recorder: rec, Enricher: nopEnricher{}})
	m = step(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	m = step(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: incidents, at: t0})
	m.enrichment[in.ID] = &enrichState{panes: map[string]paneData{}}
	m = step(t, m, enrichArrived{id: in.ID, result: enrich.Result{SourceID: paneLogs, FetchedAt: t0,
		Value: []logs.Line{{T: t0, Level: logs.LevelError, Text: "ERROR card declined upstream", Source: "app.log"}},
		Statuses: []health.Status{
			health.Ok("file /var/log/app.log", t0),
			health.Failed(`loki {app="pay"}`, errors.New("connection refused"), t0),
		}}})
	for detailTabs[m.detail.tab] != "Logs" {
		m = press(t, m, "tab")
	}
	next, cmd := m.Update(keyMsg("p"))
	m = next.(Model)
	runCmds(t, cmd)
	if len(rec.entries) != 1 {
		t.Fatalf("recorded %+v, want one pin", rec.entries)
	}
	var data struct {
		Lines  []string `json:"lines"`
		Failed []string `json:"sitrep_sources_failed"`
	}
	if err := json.Unmarshal(rec.entries[0].Data, &data); err != nil {
		t.Fatal(err)
	}
	evidence := strings.Join(data.Lines, "\n")
	if strings.Contains(evidence, "loki") || strings.Contains(evidence, "connection refused") || !strings.Contains(evidence, "ERROR card declined upstream") {
		t.Errorf("the pin's evidence:\n%s", evidence)
	}
	if len(data.Failed) != 1 || data.Failed[0] != `loki {app="pay"}: error: connection refused` {
		t.Errorf("the pin's failed sources = %q", data.Failed)
	}
}
