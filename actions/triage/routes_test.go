package triage

import (
	"strings"
	"testing"
	"time"
)

func TestRoutesAndStormWindowLoad(t *testing.T) {
	c, err := load(t, `
triage:
  storm_window: 15m
  classes:
    database:
      route: {escalation_policy: PDB1234}
    network: {}
`)
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := c.Route("database"); !ok || r.EscalationPolicy != "PDB1234" || r.Class != "database" {
		t.Errorf("database routes to %+v, %v", r, ok)
	}
	if _, ok := c.Route("network"); ok {
		t.Error("network has a route it was not given")
	}
	if c.StormWindow() != 15*time.Minute {
		t.Errorf("storm window %s, want 15m", c.StormWindow())
	}
	if d, _ := Load(Config{}, "", nil); d.StormWindow() != DefaultStormWindow {
		t.Errorf("default storm window %s", d.StormWindow())
	}
}

func TestRouteProblemsNameTheFieldAndTheFix(t *testing.T) {
	for _, tc := range []struct{ name, src, field, want string }{
		{"a window too short", "triage:\n  storm_window: 10s\n", "triage.storm_window", "between 1m and 24h"},
		{"not a duration", "triage:\n  storm_window: soon\n", "triage.storm_window", "write it like 10m"},
		{"a class no rule gives", "triage:\n  classes:\n    databse:\n      route: {escalation_policy: PDB1234}\n", "triage.classes.databse", "no rule gives the class"},
		{"a name, not an ID", "triage:\n  classes:\n    database:\n      route: {escalation_policy: Database team}\n", "triage.classes.database.route.escalation_policy", "not a PagerDuty ID"},
		{"no policy", "triage:\n  classes:\n    database:\n      route: {}\n", "triage.classes.database.route.escalation_policy", "missing escalation_policy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, tc.src)
			ps := Problems(err)
			if len(ps) != 1 || ps[0].Field != tc.field || !strings.Contains(ps[0].Msg, tc.want) || ps[0].Line == 0 {
				t.Fatalf("problems %+v, want one at %s saying %q with a line", ps, tc.field, tc.want)
			}
		})
	}
}
