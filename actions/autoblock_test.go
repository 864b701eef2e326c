package actions

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// loadYAMLText loads one actions.yaml written from text.
func loadYAMLText(t *testing.T, text string) (*Catalogue, []Problem, string) {
	t.Helper()
	dir := t.TempDir()
	f := filepath.Join(dir, "actions.yaml")
	if err := os.WriteFile(f, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	c, probs := Load(dir)
	return c, probs, f
}

const autoAction = `
  - name: restart_worker
    explain: Restarts the worker; safe because it drains first.
    applies: {envs: [staging, prod]}
    runner: exec
    exec: {argv: [echo, restart]}
    risk: medium
    auto:
      when:
        envs: [%s]
        services: [search-*]
        classes: [capacity]
        alert: {source: "^indexer", summary: reindex}
        max_age: 10m
        urgency: low
      notify_first: 20s
      max_runs_per_incident: 2
`

func TestAutoBlockLoads(t *testing.T) {
	c, probs, _ := loadYAMLText(t, "actions:"+strings.Replace(autoAction, "%s", "staging", 1))
	for _, p := range probs {
		t.Errorf("unexpected problem: %s", p)
	}
	a := mustLookup(t, c, "restart_worker")
	au := a.Auto
	if au == nil {
		t.Fatal("no auto block")
	}
	if au.NotifyFirst != 20*time.Second || au.MaxRunsPerIncident != 2 || au.MaxRunsPerHour != DefaultAutoMaxRunsPerHour {
		t.Errorf("auto = %+v", au)
	}
	w := au.When
	if strings.Join(w.Envs, ",") != "staging" || strings.Join(w.Services, ",") != "search-*" || strings.Join(w.Classes, ",") != "capacity" ||
		w.MaxAge != 10*time.Minute || w.Urgency != "low" || len(w.Alert) != 2 || !w.Alert["summary"].MatchString("a reindex b") {
		t.Errorf("when = %+v", w)
	}
	if au.Source.Line != 9 {
		t.Errorf("auto's place = %s, want line 9", au.Source)
	}
}

func TestAutoBlockRefusedInProduction(t *testing.T) {
	_, probs, f := loadYAMLText(t, "actions:"+strings.Replace(autoAction, "%s", "prod", 1))
	if len(probs) != 1 {
		t.Fatalf("problems = %v, want one", probs)
	}
	p := probs[0]
	if p.File != f || p.Line != 9 || p.Action != "restart_worker" {
		t.Errorf("problem at %s (%s), want %s:9", p.Pos, p.Action, f)
	}
	for _, want := range []string{"production", "allow_auto: true under guards: prod:", "auto.when.envs"} {
		if !strings.Contains(p.Msg, want) {
			t.Errorf("problem %q does not say %q", p.Msg, want)
		}
	}

	// Said explicitly, production allows it; "*" alone does not.
	for _, tt := range []struct {
		guards string
		ok     bool
	}{
		{"guards:\n  prod: {allow_auto: true}\n", true},
		{"guards:\n  \"*\": {allow_auto: true}\n", false},
		{"guards:\n  staging: {allow_auto: false}\n  prod: {allow_auto: true}\n", true},
	} {
		c, probs, _ := loadYAMLText(t, tt.guards+"actions:"+strings.Replace(autoAction, "%s", "prod", 1))
		if ok := len(probs) == 0; ok != tt.ok {
			t.Errorf("%q: problems %v, want ok=%v", tt.guards, probs, tt.ok)
		}
		if _, found := c.Lookup("restart_worker"); found != tt.ok {
			t.Errorf("%q: action in the catalogue = %v, want %v", tt.guards, found, tt.ok)
		}
	}
	_, probs, _ = loadYAMLText(t, "guards:\n  staging: {allow_auto: false}\nactions:"+strings.Replace(autoAction, "%s", "staging", 1))
	if len(probs) != 1 || !strings.Contains(probs[0].Msg, "allow_auto: false") {
		t.Errorf("staging with allow_auto: false: problems %v", probs)
	}
}

func TestAutoBlockProblems(t *testing.T) {
	base := "actions:\n  - name: w\n    explain: x\n    runner: exec\n    exec: {argv: [echo]}\n    risk: low\n"
	tests := []struct {
		name, yaml, want string
		line             int
	}{
		{"no envs", "    auto: {notify_first: 1m}\n", "auto.when.envs is missing", 7},
		{"no countdown", "    auto: {when: {envs: [staging]}}\n", "auto: needs notify_first", 7},
		{"short countdown", "    auto: {when: {envs: [staging]}, notify_first: 1s}\n", "from 10s to 1h", 7},
		{"env not offered", "    applies: {envs: [prod]}\n    auto: {when: {envs: [staging]}, notify_first: 1m}\n", "not offered", 8},
		{"bad urgency", "    auto: {when: {envs: [staging], urgency: urgent}, notify_first: 1m}\n", "want high or low", 7},
		{"bad alert field", "    auto: {when: {envs: [staging], alert: {colour: red}}, notify_first: 1m}\n", "unknown alert field", 7},
		{"unknown key", "    auto: {when: {envs: [staging]}, notify_first: 1m, every: 2}\n", "every", 7},
		{"allow_auto on the action", "    guards: {allow_auto: true}\n", "environment's guard", 7},
		{"old notify_first", "    notify_first: true\n", "announce: {before: true}", 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, probs, _ := loadYAMLText(t, base+tt.yaml)
			if len(probs) == 0 {
				t.Fatal("no problem")
			}
			if !strings.Contains(probs[0].Msg, tt.want) || probs[0].Line != tt.line {
				t.Errorf("problem %s, want line %d saying %q", probs[0], tt.line, tt.want)
			}
		})
	}
}

func TestAnnounceBefore(t *testing.T) {
	c, probs, _ := loadYAMLText(t, "actions:\n  - name: w\n    explain: x\n    runner: exec\n    exec: {argv: [echo]}\n    risk: low\n    announce: {before: true}\n")
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	if a := mustLookup(t, c, "w"); !a.Announce.Before || !a.Announce.PagerDuty {
		t.Errorf("announce = %+v", a.Announce)
	}
	rb, probs := ParseRunbook("r.md", "# R\n\nEchoes.\n\n```sh {name=e risk=low notify_first=true}\necho\n```\n")
	_ = rb
	if len(probs) == 0 || !strings.Contains(probs[0].Msg, "announce_before=true") {
		t.Errorf("a fence's notify_first: problems %v", probs)
	}
}
