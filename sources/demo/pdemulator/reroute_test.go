package pdemulator

import (
	"net/http"
	"strings"
	"testing"
)

// TestReassignToAnotherPolicy: an update naming another escalation policy
// hands the incident to that policy's first level, triggered again, and
// the log says which policy it went to; the incident then escalates by
// the new policy's rules.
func TestReassignToAnotherPolicy(t *testing.T) {
	f := newFixture(t, Options{})
	res := f.trigger(t, TriggerOptions{Title: "orders-db replication lag"})
	path := "/incidents/" + res.IncidentID
	from := map[string]string{"From": bobEmail}
	if r := f.do(t, "PUT", path, `{"incident":{"type":"incident_reference","status":"acknowledged"}}`, from); r.status != http.StatusOK {
		t.Fatalf("acknowledge: %d %s", r.status, r.body)
	}
	r := f.do(t, "PUT", path, `{"incident":{"type":"incident_reference","escalation_policy":{"id":"`+f.dbEP+`","type":"escalation_policy_reference"}}}`, from)
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	got, _ := r.json(t)["incident"].(map[string]any)
	ep, _ := got["escalation_policy"].(map[string]any)
	if a := assigneeIDs(got); ep["id"] != f.dbEP || len(a) != 1 || a[0] != f.carol || got["status"] != "triggered" {
		t.Errorf("policy %v assignees %v status %v, want Database, carol, triggered", ep["id"], a, got["status"])
	}
	found := false
	for _, e := range f.logEntries(t, res.IncidentID) {
		if e.Type == "assign_log_entry" && strings.Contains(e.Summary, "Reassigned to escalation policy Database by") && strings.Contains(e.Summary, "Carol") {
			found = true
		}
	}
	if !found {
		t.Errorf("no log entry says the incident went to the Database policy: %+v", f.logEntries(t, res.IncidentID))
	}
	if id, ok := f.srv.EscalationPolicyID("Database"); !ok || id != f.dbEP {
		t.Errorf("EscalationPolicyID(Database) = %q, %v", id, ok)
	}
	if _, ok := f.srv.EscalationPolicyID("Nobody"); ok {
		t.Error("found a policy that does not exist")
	}
}
