package pdemulator

import (
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PagerDuty/go-pagerduty"
)

func assignedTo(t *testing.T, f *fixture, id string) []string {
	t.Helper()
	in, err := f.client.GetIncidentWithContext(ctx(t), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range in.Assignments {
		out = append(out, a.Assignee.ID)
	}
	return out
}

// escalations lists an incident's escalate log entries, oldest first.
func escalations(t *testing.T, f *fixture, id string) []pagerduty.LogEntry {
	t.Helper()
	var out []pagerduty.LogEntry
	for _, e := range f.logEntries(t, id) {
		if e.Type == "escalate_log_entry" {
			out = append(out, e)
		}
	}
	return out
}

func TestAutoEscalationFollowsTheRulesDelays(t *testing.T) {
	f := newFixture(t, Options{AutoEscalate: true})
	in := f.trigger(t, TriggerOptions{Title: "nobody answers"})
	if got := assignedTo(t, f, in.IncidentID); !slices.Equal(got, []string{f.alice}) {
		t.Fatalf("assigned at the trigger to %v, want level 1 (alice)", got)
	}

	// The payments policy's levels wait 30 minutes each (the default).
	f.clock.Advance(30*time.Minute - time.Second)
	if got := assignedTo(t, f, in.IncidentID); !slices.Equal(got, []string{f.alice}) {
		t.Fatalf("a second before the delay ran out: %v", got)
	}
	f.clock.Advance(time.Second)
	if got := assignedTo(t, f, in.IncidentID); !slices.Equal(got, []string{f.bob}) {
		t.Fatalf("when the delay ran out: %v, want level 2 (bob)", got)
	}
	// Looking late changes nothing about when it happened: two levels at
	// once, each dated when its delay ran out.
	f.clock.Advance(2 * time.Hour)
	info, err := f.srv.Incident(in.IncidentID)
	if err != nil || info.Level != 3 || !slices.Equal(info.AssigneeIDs, []string{f.carol}) {
		t.Fatalf("two hours later: level %d, %v (%v); want level 3 (carol), where a policy without loops stops", info.Level, info.AssigneeIDs, err)
	}
	es := escalations(t, f, in.IncidentID)
	if len(es) != 2 {
		t.Fatalf("%d escalate log entries, want 2", len(es))
	}
	for i, e := range es {
		want := formatTime(epoch.Add(time.Duration(i+1) * 30 * time.Minute))
		if e.CreatedAt != want || e.Channel.Type != "timeout" || !strings.Contains(e.Summary, "level "+string(rune('2'+i))) || len(e.Assignees) != 1 {
			t.Errorf("escalation %d: %s %q through %s assignees %v, want at %s through timeout", i+1, e.CreatedAt, e.Summary, e.Channel.Type, e.Assignees, want)
		}
	}
}

func TestAutoEscalationCountsFromTheLastAssignment(t *testing.T) {
	f := newFixture(t, Options{AutoEscalate: true})
	in := f.trigger(t, TriggerOptions{Title: "reassigned"})
	f.clock.Advance(20 * time.Minute)
	if err := f.srv.Reassign(in.IncidentID, f.alice, f.alice); err != nil {
		t.Fatal(err)
	}
	// 30 minutes from the trigger, but only 10 from the reassignment.
	f.clock.Advance(10 * time.Minute)
	if got := assignedTo(t, f, in.IncidentID); !slices.Equal(got, []string{f.alice}) {
		t.Fatalf("escalated 10 minutes after a reassignment: %v", got)
	}
	f.clock.Advance(20 * time.Minute)
	if got := assignedTo(t, f, in.IncidentID); !slices.Equal(got, []string{f.bob}) {
		t.Fatalf("30 minutes after the reassignment: %v, want bob", got)
	}
}

func TestAcknowledgedIncidentsDoNotEscalateUntilUnacknowledged(t *testing.T) {
	f := newFixture(t, Options{AutoEscalate: true})
	in := f.trigger(t, TriggerOptions{Title: "acked"})
	if err := f.srv.Acknowledge(in.IncidentID, f.alice); err != nil {
		t.Fatal(err)
	}
	if err := f.srv.Snooze(in.IncidentID, f.alice, time.Hour); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Hour + 29*time.Minute)
	if info, _ := f.srv.Incident(in.IncidentID); info.Status != "triggered" || info.Level != 1 {
		t.Fatalf("after the snooze: %s at level %d, want triggered at level 1", info.Status, info.Level)
	}
	// The countdown restarted when the snooze ran out.
	f.clock.Advance(time.Minute)
	if info, _ := f.srv.Incident(in.IncidentID); info.Level != 2 {
		t.Fatalf("30 minutes after the snooze ran out: level %d, want 2", info.Level)
	}
	if es := escalations(t, f, in.IncidentID); len(es) != 1 || es[0].CreatedAt != formatTime(epoch.Add(90*time.Minute)) {
		t.Errorf("escalations: %+v", es)
	}
}

func TestAutoEscalationLoopsAndIsOffByDefault(t *testing.T) {
	f := newFixture(t, Options{AutoEscalate: true})
	ep, err := f.srv.AddEscalationPolicy(EscalationPolicy{Name: "Looping", NumLoops: 1,
		Levels: []EscalationLevel{{DelayMinutes: 5, UserIDs: []string{f.alice}}, {DelayMinutes: 10, UserIDs: []string{f.bob}}}})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := f.srv.AddService(Service{Name: "looper", EscalationPolicyID: ep})
	if err != nil {
		t.Fatal(err)
	}
	in := f.trigger(t, TriggerOptions{ServiceID: svc, Title: "loops"})
	f.clock.Advance(time.Hour)
	var got []string
	for _, e := range escalations(t, f, in.IncidentID) {
		got = append(got, e.CreatedAt+" "+e.Assignees[0].ID)
	}
	want := []string{
		formatTime(epoch.Add(5*time.Minute)) + " " + f.bob,
		formatTime(epoch.Add(15*time.Minute)) + " " + f.alice, // the one loop
		formatTime(epoch.Add(20*time.Minute)) + " " + f.bob,
	}
	if !slices.Equal(got, want) {
		t.Errorf("escalations:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	off := newFixture(t, Options{})
	still := off.trigger(t, TriggerOptions{Title: "stays"})
	off.clock.Advance(3 * time.Hour)
	if info, _ := off.srv.Incident(still.IncidentID); info.Level != 1 || !slices.Equal(info.AssigneeIDs, []string{off.alice}) {
		t.Errorf("without AutoEscalate the incident moved: level %d, %v", info.Level, info.AssigneeIDs)
	}
}

func TestOnCallsEarliest(t *testing.T) {
	f := newFixture(t, Options{})
	// Alice's primary shifts: the fixture's (epoch-1h..+12h), then two more.
	for _, day := range []int{1, 2} {
		start := epoch.Add(time.Duration(day) * 24 * time.Hour)
		if err := f.srv.AddOnCall(OnCall{UserID: f.alice, EscalationPolicyID: f.paymentsEP, Level: 1, ScheduleID: f.primary, Start: start, End: start.Add(12 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	list := func(earliest bool) []string {
		resp, err := f.client.ListOnCallsWithContext(ctx(t), pagerduty.ListOnCallOptions{UserIDs: []string{f.alice},
			Since: formatTime(epoch.Add(13 * time.Hour)), Until: formatTime(epoch.Add(7 * 24 * time.Hour)), Earliest: earliest})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, oc := range resp.OnCalls {
			out = append(out, oc.Start)
		}
		return out
	}
	if got := list(false); len(got) != 2 {
		t.Errorf("Alice's shifts in the coming week: %v, want the two after this one", got)
	}
	if got := list(true); !slices.Equal(got, []string{formatTime(epoch.Add(24 * time.Hour))}) {
		t.Errorf("Alice's next shift (earliest=true): %v, want tomorrow's", got)
	}
	if r := f.do(t, "GET", "/oncalls?earliest=maybe", "", nil); r.status != 400 || !strings.Contains(string(r.body), "earliest") {
		t.Errorf("earliest=maybe: %d %s", r.status, r.body)
	}
}

func TestServiceDependencies(t *testing.T) {
	doc := loadSchema(t)
	f := newFixture(t, Options{})
	id, err := f.srv.AddServiceDependency(f.payments, f.database)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][2]string{{f.payments, f.database}, {f.payments, f.payments}, {f.payments, "PNOPE"}, {"PNOPE", f.database}} {
		if _, err := f.srv.AddServiceDependency(bad[0], bad[1]); err == nil {
			t.Errorf("AddServiceDependency(%s, %s) accepted", bad[0], bad[1])
		}
	}
	// Both ends see the relationship; the client reads the schema's shape.
	for _, svc := range []string{f.payments, f.database} {
		deps, err := f.client.ListTechnicalServiceDependenciesWithContext(ctx(t), svc)
		if err != nil {
			t.Fatal(err)
		}
		if len(deps.Relationships) != 1 {
			t.Fatalf("dependencies of %s: %d", svc, len(deps.Relationships))
		}
		r := deps.Relationships[0]
		if r.ID != id || r.Type != "service_dependency" || r.DependentService.ID != f.payments || r.SupportingService.ID != f.database ||
			r.DependentService.Type != "technical_service_reference" {
			t.Errorf("relationship of %s: %+v %+v %+v", svc, r, r.DependentService, r.SupportingService)
		}
		req := httptest.NewRequest("GET", "/service_dependencies/technical_services/"+svc, nil)
		req.Header.Set("Authorization", "Token token="+testToken)
		rec := httptest.NewRecorder()
		f.srv.Handler().ServeHTTP(rec, req)
		validate(t, doc, "GET", "/service_dependencies/technical_services/{id}", req, rec)
	}
	if r := f.do(t, "GET", "/service_dependencies/technical_services/PNOPE", "", nil); r.status != 404 || !strings.Contains(r.errorOf(t).Message, "Not Found") {
		t.Errorf("unknown service: %d %s", r.status, r.body)
	}
	if r := f.do(t, "POST", "/service_dependencies/technical_services/"+f.payments, "{}", nil); r.status != 404 {
		t.Errorf("POST: %d %s", r.status, r.body)
	}
}
