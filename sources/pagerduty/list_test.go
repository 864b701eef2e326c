package pagerduty

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"runtime"
	"strconv"
	"testing"
	"time"
	"unsafe"

	pd "github.com/PagerDuty/go-pagerduty"

	"sitrep/sources/demo/pdemulator"
)

// listServer answers GET /incidents with pages of a real emulator page of
// 100 incidents (services, teams, assignees and policies expanded), total
// incidents in all, from memory: what is allocated while listing is the
// client's, not a server's building its answers.
func listServer(tb testing.TB, total int) *Client {
	tb.Helper()
	emu := pdemulator.New(pdemulator.Options{Token: "t"})
	url, err := emu.Start()
	if err != nil {
		tb.Fatal(err)
	}
	defer emu.Close()
	team, _ := emu.AddTeam(pdemulator.Team{Name: "platform"})
	u, _ := emu.AddUser(pdemulator.User{Name: "Ada Lovelace", Email: "ada@example.com", TeamIDs: []string{team}})
	ep, _ := emu.AddEscalationPolicy(pdemulator.EscalationPolicy{Name: "checkout", TeamIDs: []string{team}, Levels: []pdemulator.EscalationLevel{{UserIDs: []string{u}}}})
	svc, err := emu.AddService(pdemulator.Service{Name: "checkout-api", EscalationPolicyID: ep, TeamIDs: []string{team}})
	if err != nil {
		tb.Fatal(err)
	}
	for i := range pageLimit {
		if _, err := emu.Trigger(pdemulator.TriggerOptions{ServiceID: svc, Title: fmt.Sprintf("High error rate on /api/v2/orders (instance %d)", i)}); err != nil {
			tb.Fatal(err)
		}
	}
	q := incidentsQuery(pd.ListIncidentsOptions{Limit: pageLimit, Includes: []string{"assignees", "services", "teams", "escalation_policies", "priorities"}})
	req, _ := http.NewRequest(http.MethodGet, url+"/incidents?"+q.Encode(), nil)
	req.Header.Set("Authorization", "Token token=t")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	var page map[string]json.RawMessage
	err = json.NewDecoder(resp.Body).Decode(&page)
	resp.Body.Close()
	if err != nil || len(page["incidents"]) < 1000 {
		tb.Fatalf("emulator page: %v %.200s", err, page["incidents"])
	}
	more, last := []byte(`{"incidents":`+string(page["incidents"])+`,"limit":100,"more":true}`), []byte(`{"incidents":`+string(page["incidents"])+`,"limit":100,"more":false}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		off, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		w.Header().Set("Content-Type", "application/json")
		if off+pageLimit >= total {
			w.Write(last)
			return
		}
		w.Write(more)
	}))
	tb.Cleanup(srv.Close)
	// 100 pages share one deadline; under the race detector on a busy
	// machine they take longer than the default.
	return New(Config{APIURL: srv.URL, Token: "t", Timeout: 2 * time.Minute})
}

// listViaGoPagerDuty is the list as go-pagerduty reads it, for comparison.
func listViaGoPagerDuty(ctx context.Context, c *Client) ([]Incident, error) {
	opts := pd.ListIncidentsOptions{Limit: pageLimit, Includes: []string{"assignees", "services", "teams", "escalation_policies", "priorities"}}
	var out []Incident
	for page := 0; page < maxPages; page++ {
		opts.Offset = uint(page * pageLimit)
		resp, err := c.api.ListIncidentsWithContext(ctx, opts)
		if err != nil {
			return nil, err
		}
		for _, in := range resp.Incidents {
			out = append(out, fromIncident(in))
		}
		if !resp.More || len(resp.Incidents) == 0 {
			break
		}
	}
	return out, nil
}

// TestListingGarbageIsBounded: a refresh of 10,000 incidents allocates
// about twice the list it returns (some 850 bytes per incident), not the
// pages it read: they are about 3.4 KB per incident on the wire, and
// go-pagerduty's path allocates over 13 KB per incident.
func TestListingGarbageIsBounded(t *testing.T) {
	const n = 10_000
	c := listServer(t, n)
	ctx := context.Background()
	if _, err := c.Incidents(ctx, ScopeAll); err != nil { // warm the connection
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	list, err := c.Incidents(ctx, ScopeAll)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != n {
		t.Fatalf("listed %d incidents, want %d", len(list), n)
	}
	perIncident := (after.TotalAlloc - before.TotalAlloc) / n
	t.Logf("listing %d incidents allocated %d bytes per incident", n, perIncident)
	if perIncident > 1500 {
		t.Errorf("listing allocated %d bytes per incident, want under 1,500: are pages held whole again?", perIncident)
	}
	if list[0].Service.Name != "checkout-api" || unsafe.StringData(list[0].Service.Name) != unsafe.StringData(list[n-1].Service.Name) {
		t.Errorf("service names are not shared across the list: %q", list[0].Service.Name)
	}
}

// BenchmarkListIncidents10k lists 10,000 incidents served from memory,
// streamed and through go-pagerduty: B/op is the garbage of one refresh.
func BenchmarkListIncidents10k(b *testing.B) {
	c := listServer(b, 10_000)
	ctx := context.Background()
	for _, path := range []struct {
		name string
		list func() ([]Incident, error)
	}{
		{"streamed", func() ([]Incident, error) { return c.Incidents(ctx, ScopeAll) }},
		{"go-pagerduty", func() ([]Incident, error) { return listViaGoPagerDuty(ctx, c) }},
	} {
		b.Run(path.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if list, err := path.list(); err != nil || len(list) != 10_000 {
					b.Fatal(len(list), err)
				}
			}
		})
	}
}

// TestListMatchesGoPagerDuty: the streamed list equals go-pagerduty's
// decoding plus fromIncident on a real emulator answer, and on pages
// whose keys come in another order, case or repetition.
func TestListMatchesGoPagerDuty(t *testing.T) {
	c := listServer(t, 1000)
	ctx := context.Background()
	got, err := c.Incidents(ctx, ScopeAll)
	if err != nil {
		t.Fatal(err)
	}
	want, err := listViaGoPagerDuty(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1000 || !reflect.DeepEqual(got, want) {
		t.Errorf("streamed list (%d) differs from go-pagerduty's (%d)", len(got), len(want))
	}
	for _, body := range []string{
		`{"more":true,"incidents":[{"id":"Q1","title":"a"}]}`,
		`{"INCIDENTS":[{"id":"Q1"}],"incidents":[{"id":"Q2","teams":[{"id":"T1","summary":"x"}]},{"id":"Q3"}],"more":false}`,
		`{"incidents":[{"id":"Q1","priority":{"summary":"P1"},"assignments":[{"assignee":{"id":"U1","summary":"a"}},{"assignee":{"id":"U2"}}]},{"id":"Q2","assignments":[{}]}]}`,
		`null`, `{}`, `{"incidents":null,"more":null}`, ` {"incidents":[null,{}]} `,
	} {
		compareDecoders(t, []byte(body))
	}
}

// compareDecoders fails when go-pagerduty decodes body and the streamed
// decoder does not, or decodes it differently.
func compareDecoders(t *testing.T, body []byte) {
	t.Helper()
	var d pageDecoder
	got, more, err := d.decode(bytes.NewReader(body), nil, interner{})
	var resp pd.ListIncidentsResponse
	if json.Unmarshal(body, &resp) != nil {
		return
	}
	if err != nil {
		t.Errorf("from %q: streamed decoding failed (%v), go-pagerduty's did not", body, err)
		return
	}
	var want []Incident
	for _, in := range resp.Incidents {
		want = append(want, fromIncident(in))
	}
	if more != resp.More || !reflect.DeepEqual(got, want) {
		t.Errorf("from %q:\nstreamed     %+v more=%v\ngo-pagerduty %+v more=%v", body, got, more, want, resp.More)
	}
	checkClean(t, body, "Incident", reflect.ValueOf(got))
}

// FuzzListPageMatchesGoPagerDuty: whatever go-pagerduty decodes, the
// streamed decoder decodes the same way; nothing panics either way.
func FuzzListPageMatchesGoPagerDuty(f *testing.F) {
	for _, s := range []string{
		`{"incidents":[{"id":"Q1","incident_number":7,"title":"\u001b]52;c;eA==\u0007disk full","status":"triggered","urgency":"high",` +
			`"created_at":"2026-11-29T03:00:00Z","service":{"id":"S1","summary":"pay\u202ement"},"priority":{"name":"P1\u001b[2J"},` +
			`"assignments":[{"assignee":{"id":"U1","summary":"Eve\u200b"}}],"teams":[{"id":"T1","summary":"\u0085team"}],` +
			`"html_url":"https://x.pagerduty.com/incidents/Q1\u001b[0m","alert_counts":{"all":1,"triggered":1}}],"more":false}`,
		`{"incidents":[{"id":"\u001b[31mQ2","summary":"only a summary","last_status_change_at":"not a time"}]}`,
		`{"incidents":[{},{"priority":null,"assignments":[{}]}]}`, `{"incidents":null}`, `[]`, `{"incidents":[{"title":"\ud800"}]}`,
		`{"incidents":[{"teams":[{"id":"A","summary":"a"},{"id":"B"}]},{"teams":[{"id":"C"}]}],"more":true}`, `{} {}`, `{"incidents":{}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		compareDecoders(t, body)
	})
}

// A truncated or endless answer is an error, never a hang or a panic.
func TestListPageErrors(t *testing.T) {
	for _, body := range []string{`{"incidents":[{"id":"Q1"`, `{"incidents":[1]}`, `{"incidents":"x"}`, `[]`, `{"incidents":[]} x`, ``} {
		var d pageDecoder
		if _, _, err := d.decode(bytes.NewReader([]byte(body)), nil, interner{}); err == nil {
			t.Errorf("%q decoded without error", body)
		}
	}
}
