package catalogue

import (
	"slices"
	"testing"

	"sitrep/actions"
)

// load installs the catalogue under dir and loads it, as `sitrep demo` does.
func load(dir string) (*actions.Catalogue, []actions.Problem, error) {
	root, err := Install(dir)
	if err != nil {
		return nil, nil, err
	}
	c, probs := actions.Load(root)
	return c, probs, nil
}

func TestDemoCatalogueLoadsClean(t *testing.T) {
	c, probs, err := load(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range probs {
		t.Errorf("problem: %s", p)
	}
	// The demo's own actions; the built-in operations it does not replace
	// are offered besides.
	want := []string{"block_ip", "check_health", "escalate", "reassign", "restart_service", "restart_stuck_worker", "rollback_deploy", "scale_up", "snooze"}
	var got []string
	for _, a := range c.Actions() {
		if !a.BuiltIn {
			got = append(got, a.Name)
		}
	}
	slices.Sort(got)
	if u := c.Unrunnable(); len(u) > 0 {
		t.Errorf("the guards never allow: %v", u)
	}
	if len(got) != len(want) {
		t.Fatalf("actions = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("actions = %v, want %v", got, want)
		}
	}
	rbs := c.RunbooksFor("payment-gateway")
	if len(rbs) != 1 {
		t.Fatalf("runbooks for payment-gateway = %d, want 1", len(rbs))
	}
	rb := rbs[0]
	if rb.Title != "payment-gateway 5xx spike" {
		t.Errorf("title = %q", rb.Title)
	}
	if n := len(rb.Steps()); n != 5 {
		t.Errorf("manual steps = %d, want 5", n)
	}
	var acts []string
	for _, b := range rb.Blocks {
		if b.Kind == actions.BlockAction {
			if b.Action == nil {
				t.Errorf("action block at line %d is unresolved", b.Line)
				continue
			}
			acts = append(acts, b.Action.Name)
		}
	}
	if len(acts) != 3 || acts[0] != "restart_service" || acts[1] != "check_health" || acts[2] != "rollback_deploy" {
		t.Errorf("runbook actions = %v", acts)
	}
	// The 6 built-ins the demo does not replace are offered everywhere.
	if len(c.For("payment-gateway", "prod")) != 8+6 {
		t.Errorf("For(payment-gateway, prod) = %d actions, want 14", len(c.For("payment-gateway", "prod")))
	}
	if len(c.For("search", "prod")) != 6+6 {
		t.Errorf("For(search, prod) = %d actions, want 12 (rollback_deploy and check_health are payment-gateway's only)", len(c.For("search", "prod")))
	}
}
