package pdemulator

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// schemaPath is PagerDuty's published REST schema. The repository and
// shared/ are siblings, and tests run in sources/pdemulator.
const schemaPath = "../../../shared/pagerduty/rest-openapiv3.json"

// checkedPaths are the operations the emulator serves; the rest of the
// 273-path schema is pruned before loading, which also drops the
// event-orchestration responses whose $refs point at requestBodies.
var checkedPaths = []string{
	"/users/me", "/incidents", "/incidents/{id}", "/incidents/{id}/snooze", "/incidents/{id}/merge",
	"/incidents/{id}/notes", "/incidents/{id}/log_entries", "/incidents/{id}/alerts",
	"/incidents/{id}/related_change_events", "/change_events", "/oncalls",
	"/escalation_policies/{id}", "/services", "/teams", "/priorities",
	"/incidents/{id}/responder_requests", "/incidents/{id}/status_updates",
	"/users", "/users/{id}", "/teams/{id}", "/teams/{id}/members", "/services/{id}",
	"/escalation_policies", "/log_entries", "/log_entries/{id}", "/service_dependencies/technical_services/{id}",
}

// unlistedLogEntryTypes are log entry types PagerDuty writes that the
// schema's LogEntry enum and the log_entries oneOf leave out: the entries
// behind POST responder_requests and POST status_updates. Public clients
// switch on both names; the schema documents the endpoints but not their
// log entries.
var unlistedLogEntryTypes = map[string]string{
	"ResponderRequestLogEntry": "responder_request_log_entry",
	"StatusUpdateLogEntry":     "status_update_log_entry",
}

var schemaOnce struct {
	sync.Once
	doc     *openapi3.T
	err     error
	missing bool
}

// loadSchema loads the schema once per test binary: parsing 2.7 MB of it
// takes long enough to matter.
func loadSchema(t *testing.T) *openapi3.T {
	t.Helper()
	schemaOnce.Do(func() {
		raw, err := os.ReadFile(schemaPath)
		if errors.Is(err, fs.ErrNotExist) {
			schemaOnce.missing = true
			return
		}
		if err != nil {
			schemaOnce.err = err
			return
		}
		fixed, err := repairSchema(raw)
		if err != nil {
			schemaOnce.err = err
			return
		}
		loader := openapi3.NewLoader()
		schemaOnce.doc, schemaOnce.err = loader.LoadFromData(fixed)
	})
	if schemaOnce.missing {
		t.Skipf("%s not found; PagerDuty's schema lives in shared/ beside the repository", schemaPath)
	}
	if schemaOnce.err != nil {
		t.Fatalf("loading %s: %v", schemaPath, schemaOnce.err)
	}
	return schemaOnce.doc
}

// repairSchema works around the defects listed in shared/pagerduty/README.md:
// it keeps only the checked paths, turns every oneOf into anyOf (several
// log-entry and alert-grouping oneOfs match more than one branch), lets
// AcknowledgeLogEntry accept the type its base schema requires, and drops
// the change_events since pattern that is the literal text of a format; and
// it adds the log entry types in unlistedLogEntryTypes.
func repairSchema(raw []byte) ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	paths, _ := doc["paths"].(map[string]any)
	kept := map[string]any{}
	for _, p := range checkedPaths {
		if v, ok := paths[p]; ok {
			kept[p] = v
		}
	}
	doc["paths"] = kept
	var walk func(v any)
	walk = func(v any) {
		switch n := v.(type) {
		case map[string]any:
			if one, ok := n["oneOf"]; ok {
				n["anyOf"] = one
				delete(n, "oneOf")
				// A discriminator only makes sense with oneOf.
				delete(n, "discriminator")
			}
			// References into a renamed oneOf must follow it.
			if ref, ok := n["$ref"].(string); ok {
				n["$ref"] = strings.ReplaceAll(ref, "/oneOf/", "/anyOf/")
			}
			if p, ok := n["pattern"].(string); ok && strings.Contains(p, "YYYY") {
				delete(n, "pattern")
			}
			// Wherever the log entry kinds are listed, list the missing ones.
			if branches, ok := n["anyOf"].([]any); ok && slices.ContainsFunc(branches, func(b any) bool {
				m, _ := b.(map[string]any)
				return m["$ref"] == "#/components/schemas/AnnotateLogEntry"
			}) {
				for _, name := range slices.Sorted(maps.Keys(unlistedLogEntryTypes)) {
					branches = append(branches, map[string]any{"$ref": "#/components/schemas/" + name})
				}
				n["anyOf"] = branches
			}
			for _, c := range n {
				walk(c)
			}
		case []any:
			for _, c := range n {
				walk(c)
			}
		}
	}
	walk(doc)
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	ack := schemas["AcknowledgeLogEntry"].(map[string]any)["allOf"].([]any)[1].(map[string]any)
	ack["properties"].(map[string]any)["type"].(map[string]any)["enum"] = []any{"acknowledge_log_entry", "acknowledgement_log_entry"}
	base := schemas["LogEntry"].(map[string]any)["allOf"].([]any)[1].(map[string]any)["properties"].(map[string]any)["type"].(map[string]any)
	for name, typ := range unlistedLogEntryTypes {
		base["enum"] = append(base["enum"].([]any), typ)
		schemas[name] = map[string]any{"allOf": []any{
			map[string]any{"$ref": "#/components/schemas/LogEntry"},
			map[string]any{"type": "object", "properties": map[string]any{"type": map[string]any{"type": "string", "enum": []any{typ}}}},
		}}
	}
	return json.Marshal(doc)
}

// validate checks one emulator response against the schema operation for
// method and the path template.
func validate(t *testing.T, doc *openapi3.T, method, template string, req *http.Request, rec *httptest.ResponseRecorder) {
	t.Helper()
	if err := validateErr(t, doc, method, template, req, rec); err != nil {
		msg := err.Error()
		if len(msg) > 4000 {
			msg = msg[:4000] + "..."
		}
		t.Errorf("%s %s (%d) does not match the schema:\n%s\nbody: %.1500s", method, req.URL, rec.Code, msg, rec.Body.Bytes())
	}
}

func validateErr(t *testing.T, doc *openapi3.T, method, template string, req *http.Request, rec *httptest.ResponseRecorder) error {
	t.Helper()
	item := doc.Paths.Find(template)
	if item == nil {
		t.Fatalf("schema has no path %s", template)
	}
	op := item.GetOperation(method)
	if op == nil {
		t.Fatalf("schema has no %s %s", method, template)
	}
	route := &routers.Route{Spec: doc, Path: template, PathItem: item, Method: method, Operation: op}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, Route: route, Options: opts},
		Status:                 rec.Code,
		Header:                 rec.Header(),
		Body:                   io.NopCloser(bytes.NewReader(rec.Body.Bytes())),
		Options:                opts,
	}
	return openapi3filter.ValidateResponse(context.Background(), in)
}

// The check itself must be able to fail, or the test above proves nothing.
func TestSchemaCheckCatchesBadResponses(t *testing.T) {
	doc := loadSchema(t)
	bad := []struct {
		name, template, body string
		status               int
		method               string // empty: GET
	}{
		{"unknown status", "/incidents/{id}", `{"incident":{"id":"Q1","type":"incident","status":"open"}}`, 200, ""},
		{"urgency enum", "/incidents/{id}", `{"incident":{"id":"Q1","type":"incident","urgency":"urgent"}}`, 200, ""},
		{"log entry type", "/incidents/{id}/log_entries", `{"log_entries":[{"id":"L1","type":"mystery_log_entry"}],"limit":1,"offset":0,"more":false}`, 200, ""},
		{"wrong wrapper", "/incidents/{id}", `{"incidents":{}}`, 200, ""},
		{"error errors not array", "/incidents/{id}", `{"error":{"message":"x","code":2100,"errors":"nope"}}`, 404, ""},
		{"undocumented status", "/incidents/{id}", `{}`, 418, ""},
		{"status update unwrapped", "/incidents/{id}/status_updates", `{"id":"U1","message":"x"}`, 200, "POST"},
		{"status update sent by a service", "/incidents/{id}/status_updates", `{"status_update":{"id":"U1","sender":{"id":"V1","type":"service_reference"}}}`, 200, "POST"},
		{"responder request targets not array", "/incidents/{id}/responder_requests", `{"responder_request":{"responder_request_targets":{}}}`, 200, "POST"},
		{"responder request created", "/incidents/{id}/responder_requests", `{"responder_request":{}}`, 201, "POST"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			method := cmp.Or(tc.method, "GET")
			req := httptest.NewRequest(method, strings.Replace(tc.template, "{id}", "Q1", 1), nil)
			rec := httptest.NewRecorder()
			rec.Header().Set("Content-Type", "application/json")
			rec.WriteHeader(tc.status)
			rec.WriteString(tc.body)
			if err := validateErr(t, doc, method, tc.template, req, rec); err == nil {
				t.Errorf("schema check accepted %s", tc.body)
			}
		})
	}
}

func TestResponsesMatchPublishedSchema(t *testing.T) {
	doc := loadSchema(t)
	f := newFixture(t, Options{RateLimit: 1000})
	s := f.srv

	// A world with every kind of log entry, a merged incident, notes,
	// deduplicated alerts and change events.
	life := f.trigger(t, TriggerOptions{Title: "lifecycle", PriorityID: f.priorities[0], DedupKey: "k1",
		Alert: AlertDetails{Source: "prom", Details: map[string]any{"rate": 0.2}, Links: []Link{{Href: "https://grafana.example.com/d/1", Text: "dash"}}}})
	f.trigger(t, TriggerOptions{Title: "lifecycle", DedupKey: "k1"})
	snoozed := f.trigger(t, TriggerOptions{Title: "snoozed", Urgency: "low"})
	merged := f.trigger(t, TriggerOptions{Title: "duplicate"})
	if _, err := s.AddChangeEvent(ChangeEvent{ServiceID: f.payments, Summary: "deploy", Timestamp: epoch.Add(-10 * time.Minute),
		Links: []Link{{Href: "https://ci.example.com/9"}}, CustomDetails: map[string]any{"sha": "abc"}}); err != nil {
		t.Fatal(err)
	}
	steps := []error{
		s.Acknowledge(life.IncidentID, f.alice),
		s.Escalate(life.IncidentID, f.alice, 2),
		s.Reassign(life.IncidentID, f.bob, f.carol),
		s.Acknowledge(snoozed.IncidentID, f.alice),
		s.Snooze(snoozed.IncidentID, f.alice, time.Hour),
	}
	for i, err := range steps {
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	if _, err := s.AddNote(life.IncidentID, f.alice, "looking \x1b[1m"); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(2 * time.Hour) // the snooze expires: unacknowledge entry

	from := map[string]string{"From": aliceEmail}
	firstLog := f.logEntries(t, life.IncidentID)[0].ID
	mergeTarget := f.trigger(t, TriggerOptions{Title: "merge target"})
	cases := []struct {
		name, method, template, url, body string
		headers                           map[string]string
	}{
		{"current user", "GET", "/users/me", "/users/me", "", nil},
		{"incidents", "GET", "/incidents", "/incidents?date_range=all&total=true", "", nil},
		{"incidents expanded", "GET", "/incidents", "/incidents?include[]=assignees&include[]=services&include[]=teams&include[]=escalation_policies&include[]=priorities&include[]=first_trigger_log_entries&include[]=acknowledgers", "", nil},
		{"incident", "GET", "/incidents/{id}", "/incidents/" + life.IncidentID, "", nil},
		{"log entries", "GET", "/incidents/{id}/log_entries", "/incidents/" + life.IncidentID + "/log_entries?limit=100", "", nil},
		{"log entries of snoozed", "GET", "/incidents/{id}/log_entries", "/incidents/" + snoozed.IncidentID + "/log_entries", "", nil},
		{"alerts", "GET", "/incidents/{id}/alerts", "/incidents/" + life.IncidentID + "/alerts", "", nil},
		{"notes", "GET", "/incidents/{id}/notes", "/incidents/" + life.IncidentID + "/notes", "", nil},
		{"create note", "POST", "/incidents/{id}/notes", "/incidents/" + life.IncidentID + "/notes", `{"note":{"content":"hi"}}`, from},
		{"request responder", "POST", "/incidents/{id}/responder_requests", "/incidents/" + life.IncidentID + "/responder_requests",
			`{"requester_id":"` + f.alice + `","message":"need DB help","responder_request_targets":[{"responder_request_target":{"id":"` + f.carol + `","type":"user_reference"}}]}`, from},
		{"status update", "POST", "/incidents/{id}/status_updates", "/incidents/" + life.IncidentID + "/status_updates", `{"message":"rolled back; watching"}`, from},
		{"status update with email", "POST", "/incidents/{id}/status_updates", "/incidents/" + life.IncidentID + "/status_updates",
			`{"message":"still on fire","subject":"Update","html_message":"<h1>still on fire</h1>"}`, from},
		{"incident with responders", "GET", "/incidents/{id}", "/incidents/" + life.IncidentID, "", nil},
		{"related changes", "GET", "/incidents/{id}/related_change_events", "/incidents/" + life.IncidentID + "/related_change_events", "", nil},
		{"change events", "GET", "/change_events", "/change_events", "", nil},
		{"oncalls", "GET", "/oncalls", "/oncalls", "", nil},
		{"escalation policy", "GET", "/escalation_policies/{id}", "/escalation_policies/" + f.paymentsEP, "", nil},
		{"services", "GET", "/services", "/services", "", nil},
		{"teams", "GET", "/teams", "/teams", "", nil},
		// As sitrep services and sitrep doctor ask.
		{"services paged", "GET", "/services", "/services?limit=100&offset=0", "", nil},
		{"teams paged", "GET", "/teams", "/teams?limit=100&offset=0", "", nil},
		{"priorities", "GET", "/priorities", "/priorities", "", nil},
		// The schema types a reference as a reference even where include[]
		// expands it (teams of users, members' users, a service's policy and
		// teams, a policy's services and teams, a log entry's incident), so
		// the expanded answers are checked through the client instead.
		{"users", "GET", "/users", "/users?total=true", "", nil},
		{"users of a team", "GET", "/users", "/users?team_ids[]=" + f.teamPay + "&include[]=contact_methods&include[]=notification_rules", "", nil},
		{"user", "GET", "/users/{id}", "/users/" + f.bob, "", nil},
		{"team", "GET", "/teams/{id}", "/teams/" + f.teamPay, "", nil},
		{"team members", "GET", "/teams/{id}/members", "/teams/" + f.teamPay + "/members?total=true", "", nil},
		{"service", "GET", "/services/{id}", "/services/" + f.payments, "", nil},
		{"escalation policies", "GET", "/escalation_policies", "/escalation_policies", "", nil},
		{"escalation policies by name", "GET", "/escalation_policies", "/escalation_policies?include[]=targets&sort_by=name:desc", "", nil},
		{"account log entries", "GET", "/log_entries", "/log_entries?limit=100&include[]=channels", "", nil},
		{"account log overview", "GET", "/log_entries", "/log_entries?is_overview=true&team_ids[]=" + f.teamPay, "", nil},
		{"log entry", "GET", "/log_entries/{id}", "/log_entries/" + firstLog, "", nil},
		{"update one", "PUT", "/incidents/{id}", "/incidents/" + life.IncidentID, `{"incident":{"type":"incident_reference","urgency":"low","priority":"P2"}}`, from},
		{"update one over OAuth", "PUT", "/incidents/{id}", "/incidents/" + life.IncidentID, `{"incident":{"type":"incident_reference","escalation_level":1}}`,
			map[string]string{"From": aliceEmail, "Authorization": "Bearer " + testToken}},
		{"error 404 user", "GET", "/users/{id}", "/users/NOPE", "", nil},
		{"error 404 team members", "GET", "/teams/{id}/members", "/teams/NOPE/members", "", nil},
		{"error 404 service", "GET", "/services/{id}", "/services/NOPE", "", nil},
		{"error 400 log entries", "GET", "/log_entries", "/log_entries?since=yesterday", "", nil},
		{"error 401 bearer", "GET", "/users", "/users", "", map[string]string{"Authorization": "Bearer nope"}},
		{"error 404 update one", "PUT", "/incidents/{id}", "/incidents/NOPE", `{"incident":{"type":"incident_reference","status":"acknowledged"}}`, from},
		{"acknowledge", "PUT", "/incidents", "/incidents", `{"incidents":[{"id":"` + snoozed.IncidentID + `","type":"incident_reference","status":"acknowledged"}]}`, from},
		{"snooze", "POST", "/incidents/{id}/snooze", "/incidents/" + snoozed.IncidentID + "/snooze", `{"duration":600}`, from},
		{"merge", "PUT", "/incidents/{id}/merge", "/incidents/" + mergeTarget.IncidentID + "/merge", `{"source_incidents":[{"id":"` + merged.IncidentID + `","type":"incident_reference"}]}`, from},
		{"merged incident", "GET", "/incidents/{id}", "/incidents/" + merged.IncidentID, "", nil},
		{"resolve", "PUT", "/incidents", "/incidents", `{"incidents":[{"id":"` + life.IncidentID + `","type":"incident_reference","status":"resolved"}]}`, from},
		{"status update after resolve", "POST", "/incidents/{id}/status_updates", "/incidents/" + life.IncidentID + "/status_updates", `{"message":"resolved; postmortem Friday"}`, from},
		{"resolved log", "GET", "/incidents/{id}/log_entries", "/incidents/" + life.IncidentID + "/log_entries?limit=100", "", nil},
		{"error 400 responder on resolved", "POST", "/incidents/{id}/responder_requests", "/incidents/" + life.IncidentID + "/responder_requests",
			`{"requester_id":"` + f.alice + `","message":"late","responder_request_targets":[{"responder_request_target":{"id":"` + f.bob + `","type":"user_reference"}}]}`, from},
		{"error 400 status update without From", "POST", "/incidents/{id}/status_updates", "/incidents/" + life.IncidentID + "/status_updates", `{"message":"x"}`, nil},
		{"error 404 responder", "POST", "/incidents/{id}/responder_requests", "/incidents/NOPE/responder_requests",
			`{"requester_id":"` + f.alice + `","message":"x","responder_request_targets":[{"responder_request_target":{"id":"` + f.bob + `","type":"user_reference"}}]}`, from},
		{"error 400", "GET", "/incidents", "/incidents?limit=x", "", nil},
		{"error 401", "GET", "/incidents", "/incidents", "", map[string]string{"Authorization": "Token token=bad"}},
		{"error 404", "GET", "/incidents/{id}", "/incidents/NOPE", "", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			req := httptest.NewRequest(tc.method, tc.url, body)
			req.Header.Set("Authorization", "Token token="+testToken)
			req.Header.Set("Content-Type", "application/json")
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			if rec.Code >= 300 && !strings.HasPrefix(tc.name, "error") {
				t.Fatalf("status %d: %s", rec.Code, rec.Body.Bytes())
			}
			validate(t, doc, tc.method, tc.template, req, rec)
		})
	}

	// A 429, from the rate limiter rather than a fault.
	limited := New(Options{Token: testToken, RateLimit: 1, Clock: f.clock.Now})
	for i := range 2 {
		req := httptest.NewRequest("GET", "/priorities", nil)
		req.Header.Set("Authorization", "Token token="+testToken)
		rec := httptest.NewRecorder()
		limited.Handler().ServeHTTP(rec, req)
		if i == 1 {
			if rec.Code != http.StatusTooManyRequests {
				t.Fatalf("second request: %d", rec.Code)
			}
			validate(t, doc, "GET", "/priorities", req, rec)
		}
	}
}
