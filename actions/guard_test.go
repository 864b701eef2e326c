package actions

import (
	"strings"
	"testing"
	"time"
)

func ptr[T any](v T) *T { return &v }

func TestEvaluateMatrix(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	weekdays := []TimeWindow{{Days: [7]bool{false, true, true, true, true, true, false}, From: 8 * 60, To: 18 * 60, Zone: paris, Text: "mon-fri 08:00–18:00 Europe/Paris"}}
	overnight := []TimeWindow{{Days: [7]bool{true, true, true, true, true, true, true}, From: 22 * 60, To: 6 * 60, Zone: time.UTC, Text: "daily 22:00–06:00 UTC"}}
	// Sunday 29 Nov 2026, 03:12 UTC (04:12 in Paris).
	sunNight := time.Date(2026, 11, 29, 3, 12, 0, 0, time.UTC)
	// Monday 30 Nov 2026, 10:00 UTC (11:00 in Paris).
	monDay := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	twoRuns := func(action, service string, since time.Time) ([]time.Time, error) {
		return []time.Time{sunNight.Add(-20 * time.Minute), sunNight.Add(-10 * time.Minute), sunNight.Add(-2 * time.Hour)}, nil
	}
	tests := []struct {
		name        string
		in          GuardInput
		wantBlocked string // "" means allowed
		wantConfirm string
		wantText    string // substring of the verdict line
	}{
		{"nothing configured, staging", GuardInput{Env: "staging", Risk: RiskLow}, "", ConfirmYesNo, "allowed (confirm: yes/no)"},
		{"prod raises to typed", GuardInput{Env: "prod", Risk: RiskLow}, "", ConfirmTyped, "confirm: typed"},
		{"production raises to typed", GuardInput{Env: "production", Risk: RiskLow, Config: GuardConfig{Confirm: ConfirmNone}}, "", ConfirmTyped, ""},
		{"live raises to typed", GuardInput{Env: "live", Risk: RiskLow, Config: GuardConfig{Confirm: ConfirmNone}}, "", ConfirmTyped, ""},
		{"high risk raises to typed", GuardInput{Env: "staging", Risk: RiskHigh}, "", ConfirmTyped, ""},
		{"none in staging", GuardInput{Env: "staging", Risk: RiskLow, Config: GuardConfig{Confirm: ConfirmNone}}, "", ConfirmNone, ""},
		{"read only", GuardInput{Env: "staging", ReadOnly: true}, RuleReadOnly, ConfirmYesNo, "blocked: read_only — sitrep is in read-only mode"},
		{"resolved incident", GuardInput{Env: "staging", IncidentStatus: "resolved"}, RuleResolved, ConfirmYesNo, "blocked: incident_resolved — the incident is resolved"},
		{"resolved allowed when configured", GuardInput{Env: "staging", IncidentStatus: "resolved", Config: GuardConfig{RefuseResolved: ptr(false)}}, "", ConfirmYesNo, ""},
		{"outside time window", GuardInput{Env: "staging", Now: sunNight, Config: GuardConfig{Windows: weekdays}}, RuleTimeWindow, ConfirmYesNo, "blocked: time_window — now (Sun 04:12 CET) is outside the allowed windows: mon-fri 08:00–18:00 Europe/Paris"},
		{"inside time window", GuardInput{Env: "staging", Now: monDay, Config: GuardConfig{Windows: weekdays}}, "", ConfirmYesNo, ""},
		{"overnight window after midnight", GuardInput{Env: "staging", Now: sunNight, Config: GuardConfig{Windows: overnight}}, "", ConfirmYesNo, ""},
		{"overnight window in the day", GuardInput{Env: "staging", Now: monDay, Config: GuardConfig{Windows: overnight}}, RuleTimeWindow, ConfirmYesNo, ""},
		{"too many hosts", GuardInput{Env: "prod", Hosts: 6, Config: GuardConfig{MaxHosts: ptr(5)}}, RuleBlastRadius, ConfirmTyped, "blocked: blast_radius — 6 hosts targeted; at most 5 allowed"},
		{"hosts at the limit", GuardInput{Env: "prod", Hosts: 5, Config: GuardConfig{MaxHosts: ptr(5)}}, "", ConfirmTyped, ""},
		{"too much of the fleet", GuardInput{Env: "prod", Hosts: 3, Fleet: 10, Config: GuardConfig{MaxPercent: ptr(25.0)}}, RuleBlastRadius, ConfirmTyped, "3 of 10 hosts targeted (30%); at most 25% allowed"},
		{"within the fleet share", GuardInput{Env: "prod", Hosts: 2, Fleet: 10, Config: GuardConfig{MaxPercent: ptr(25.0)}}, "", ConfirmTyped, ""},
		{"unknown fleet, many hosts", GuardInput{Env: "prod", Hosts: 3, Config: GuardConfig{MaxPercent: ptr(25.0)}}, RuleBlastRadius, ConfirmTyped, "fleet's size is unknown"},
		{"rate limited", GuardInput{Action: "restart_service", Service: "payment-gateway", Env: "prod", Now: sunNight, History: twoRuns,
			Config: GuardConfig{RateLimit: &RateLimit{Max: 2, Window: 30 * time.Minute}}}, RuleRateLimit, ConfirmTyped,
			"blocked: rate_limit — restart_service ran 2 times on payment-gateway in the last 30m (max 2); free again at 03:22 UTC"},
		{"rate limit not reached", GuardInput{Action: "restart_service", Service: "payment-gateway", Env: "prod", Now: sunNight, History: twoRuns,
			Config: GuardConfig{RateLimit: &RateLimit{Max: 3, Window: 30 * time.Minute}}}, "", ConfirmTyped, ""},
		{"dry run required, none exists", GuardInput{Env: "staging", Config: GuardConfig{RequireDryRun: ptr(true)}}, RuleDryRun, ConfirmYesNo, "this action has no dry run"},
		{"dry run required, not run", GuardInput{Env: "staging", HasDryRun: true, Config: GuardConfig{RequireDryRun: ptr(true)}}, RuleDryRun, ConfirmYesNo, "run the dry run"},
		{"dry run required, failed", GuardInput{Env: "staging", HasDryRun: true, DryRunOK: ptr(false), Config: GuardConfig{RequireDryRun: ptr(true)}}, RuleDryRun, ConfirmYesNo, "the dry run failed"},
		{"dry run required, passed", GuardInput{Env: "staging", HasDryRun: true, DryRunOK: ptr(true), Config: GuardConfig{RequireDryRun: ptr(true)}}, "", ConfirmYesNo, ""},
		{"first blocking rule wins", GuardInput{Env: "prod", ReadOnly: true, Hosts: 9, Config: GuardConfig{MaxHosts: ptr(1)}}, RuleReadOnly, ConfirmTyped, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.in.Now.IsZero() {
				tt.in.Now = monDay
			}
			v := Evaluate(tt.in)
			if v.Allowed != (tt.wantBlocked == "") || v.BlockedBy != tt.wantBlocked {
				t.Errorf("allowed=%v blockedBy=%q, want blocked by %q\n%s", v.Allowed, v.BlockedBy, tt.wantBlocked, v.Explain())
			}
			if v.Confirm != tt.wantConfirm {
				t.Errorf("confirm = %q, want %q", v.Confirm, tt.wantConfirm)
			}
			if !strings.Contains(v.String(), tt.wantText) && !strings.Contains(v.Explain(), tt.wantText) {
				t.Errorf("verdict %q does not say %q", v.String(), tt.wantText)
			}
			if len(v.Rules) != 7 {
				t.Errorf("%d rules judged, want all 7:\n%s", len(v.Rules), v.Explain())
			}
		})
	}
}

func TestGuardConfigFromYAML(t *testing.T) {
	tests := []struct {
		days    string
		want    [7]bool
		wantErr bool
	}{
		{"mon-fri", [7]bool{false, true, true, true, true, true, false}, false},
		{"sat,sun", [7]bool{true, false, false, false, false, false, true}, false},
		{"fri-mon", [7]bool{true, true, false, false, false, true, true}, false},
		{"", [7]bool{true, true, true, true, true, true, true}, false},
		{"funday", [7]bool{}, true},
	}
	for _, tt := range tests {
		got, err := parseDays(tt.days)
		if (err != nil) != tt.wantErr || (!tt.wantErr && got != tt.want) {
			t.Errorf("parseDays(%q) = %v, %v", tt.days, got, err)
		}
	}
}

// Guards under a quoted "*" (YAML needs the quotes) apply to every
// environment: the key is the name, not the name with its quotes.
func TestGuardsUnderQuotedStarApply(t *testing.T) {
	c, probs, _ := loadYAMLText(t, `guards:
  "*": {max_hosts: 3}
  'prod': {max_hosts: 1}
actions:
  - name: restart
    explain: Restarts.
    runner: exec
    exec: {argv: [echo, restart]}
    risk: low
`)
	if len(probs) != 0 {
		t.Fatalf("problems: %v", probs)
	}
	a, ok := c.Lookup("restart")
	if !ok {
		t.Fatal("restart not loaded")
	}
	for env, want := range map[string]int{"staging": 3, "prod": 1} {
		g := c.Guards(a, env)
		if g.MaxHosts == nil || *g.MaxHosts != want {
			t.Errorf("guards in %s: max_hosts %v, want %d", env, g.MaxHosts, want)
		}
	}
}
