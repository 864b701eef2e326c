package pagerduty

import (
	"encoding/json"
	"reflect"
	"testing"

	pd "github.com/PagerDuty/go-pagerduty"

	"sitrep/sources/sanitize"
)

// checkClean walks v and asserts every string in it is already sanitized:
// the TUI, the journal and the export draw these strings as they are, so
// the conversion is the only place an escape sequence or a bidirectional
// override can be stopped. A note's content keeps its newlines; every other
// string is one line.
func checkClean(t *testing.T, body []byte, path string, v reflect.Value) {
	t.Helper()
	switch v.Kind() {
	case reflect.String:
		s := v.String()
		want := sanitize.Line(s)
		if path == ".Content" || len(path) > 8 && path[len(path)-8:] == ".Content" {
			want = sanitize.Text(s)
		}
		if s != want {
			t.Errorf("from %q: %s = %q is not sanitized (want %q)", body, path, s, want)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				checkClean(t, body, path+"."+v.Type().Field(i).Name, v.Field(i))
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			checkClean(t, body, path, v.Index(i))
		}
	}
}

// FuzzDecodeIncidents decodes arbitrary bytes as PagerDuty's list of
// incidents, the way go-pagerduty does, and converts them: every string
// that reaches the rest of sitrep is sanitized, and sorting never panics.
func FuzzDecodeIncidents(f *testing.F) {
	for _, s := range []string{
		`{"incidents":[{"id":"Q1","incident_number":7,"title":"\u001b]52;c;eA==\u0007disk full","status":"triggered","urgency":"high",` +
			`"created_at":"2026-11-29T03:00:00Z","service":{"id":"S1","summary":"pay\u202ement"},"priority":{"name":"P1\u001b[2J"},` +
			`"assignments":[{"assignee":{"id":"U1","summary":"Eve\u200b"}}],"teams":[{"id":"T1","summary":"\u0085team"}],` +
			`"html_url":"https://x.pagerduty.com/incidents/Q1\u001b[0m","alert_counts":{"all":1,"triggered":1}}],"more":false}`,
		`{"incidents":[{"id":"\u001b[31mQ2","summary":"only a summary","last_status_change_at":"not a time"}]}`,
		`{"incidents":[{},{"priority":null,"assignments":[{}]}]}`, `{"incidents":null}`, `[]`, `{"incidents":[{"title":"\ud800"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var resp pd.ListIncidentsResponse
		if json.Unmarshal(body, &resp) != nil {
			return
		}
		out := make([]Incident, 0, len(resp.Incidents))
		for _, in := range resp.Incidents {
			out = append(out, fromIncident(in))
		}
		checkClean(t, body, "Incident", reflect.ValueOf(out))
		Sort(out)
		for _, in := range out {
			if in.LastChangeAt.IsZero() && !in.CreatedAt.IsZero() {
				t.Errorf("from %q: last change unset though created at %s", body, in.CreatedAt)
			}
			_ = in.Version()
		}
	})
}

// FuzzDecodeDetail decodes arbitrary bytes as each of the detail view's
// responses (alerts, log entries, notes) and converts them: every string is
// sanitized and an alert's retries are never negative.
func FuzzDecodeDetail(f *testing.F) {
	for _, s := range []string{
		`{"alerts":[{"id":"A1","summary":"\u001b[2Jdown","status":"triggered","severity":"critical","created_at":"2026-11-29T03:00:00Z",` +
			`"body":{"cef_details":{"source_origin":"db-1\u202e","severity":"error"},"details":{"source":"x"},"occurrences":5}}],` +
			`"log_entries":[{"id":"L1","type":"acknowledge_log_entry","summary":"Acknowledged by \u001b]0;x\u0007Eve","agent":{"id":"U1","summary":"Eve\u2066"},"channel":{"type":"web\u0000"}}],` +
			`"notes":[{"id":"N1","content":"line one\n\u001b[31mline two\u200d","user":{"summary":"Bob"},"created_at":"2026-11-29T03:01:00Z"}]}`,
		`{"alerts":[{"body":{"occurrences":-3}},{"body":{"occurrences":1e300}},{"body":{"cef_details":7,"details":[]}}]}`,
		`{"alerts":[{"body":{"occurrences":"5"}}],"log_entries":[{}],"notes":[{}]}`, `{}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var alerts pd.ListAlertsResponse
		if json.Unmarshal(body, &alerts) == nil {
			for _, a := range alerts.Alerts {
				got := fromAlert(a)
				checkClean(t, body, "Alert", reflect.ValueOf(got))
				if got.Retries < 0 {
					t.Errorf("from %q: %d retries", body, got.Retries)
				}
			}
		}
		var entries pd.ListIncidentLogEntriesResponse
		if json.Unmarshal(body, &entries) == nil {
			for _, e := range entries.LogEntries {
				checkClean(t, body, "LogEntry", reflect.ValueOf(fromLogEntry(e)))
			}
		}
		var notes struct {
			Notes []pd.IncidentNote `json:"notes"`
		}
		if json.Unmarshal(body, &notes) == nil {
			for _, n := range notes.Notes {
				checkClean(t, body, "Note", reflect.ValueOf(fromNote(n)))
			}
		}
	})
}
