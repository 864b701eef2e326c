package actions

import (
	"context"
	"strings"
	"testing"
)

// routingPD is fakePD that can also reassign to an escalation policy.
type routingPD struct{ *fakePD }

func (r routingPD) ReassignToPolicy(_ context.Context, id, policy string) error {
	return r.log("route " + id + " " + policy)
}

// TestBuiltInRouteReassignsThenNotesWhy: the route operation shows the
// request it sends, reassigns to the policy, and only then adds the note
// that says why; a writer that cannot route says so and adds no note.
func TestBuiltInRouteReassignsThenNotesWhy(t *testing.T) {
	c, _ := Load()
	e, _, pd := testEngine(t, nil)
	e.Catalogue = c
	e.PagerDuty = routingPD{pd}
	params := map[string]string{"escalation_policy_id": "PDB1234", "message": "Routed by sitrep: class database: title matches connection pool"}
	if _, err := e.Prepare(context.Background(), "route", map[string]string{"escalation_policy_id": "Database team", "message": "x"}, prodIncident); err == nil {
		t.Error("route accepted a policy name for an ID")
	}
	p, err := e.Prepare(context.Background(), "route", params, prodIncident)
	if err != nil {
		t.Fatal(err)
	}
	if pv := p.Preview; len(pv.Command) != 1 || pv.Command[0] != "PUT /incidents/PABC123" || !strings.Contains(pv.Body, `"escalation_policy":{"id":"PDB1234","type":"escalation_policy_reference"}`) {
		t.Errorf("preview %+v", pv)
	}
	if err := p.Confirm("payment-gateway"); err != nil {
		t.Fatal(err)
	}
	if res, err := p.Run(context.Background(), nil); err != nil || !res.OK {
		t.Fatalf("run = %+v, %v", res, err)
	}
	got := strings.Join(pd.all(), ";")
	if got != "route PABC123 PDB1234;note PABC123 "+params["message"] {
		t.Errorf("PagerDuty calls = %s", got)
	}

	e2, _, plain := testEngine(t, nil)
	e2.Catalogue = c
	p, err = e2.Prepare(context.Background(), "route", params, prodIncident)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Confirm("payment-gateway"); err != nil {
		t.Fatal(err)
	}
	if res, _ := p.Run(context.Background(), nil); res.OK || !strings.Contains(res.Text, "cannot reassign to an escalation policy") {
		t.Errorf("a writer that cannot route: %+v", res)
	}
	if len(plain.all()) != 0 {
		t.Errorf("a failed route still wrote %v", plain.all())
	}
}
