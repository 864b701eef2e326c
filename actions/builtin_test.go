package actions

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestBuiltInsOfferedWithoutYAML(t *testing.T) {
	c, probs := Load()
	if len(probs) > 0 {
		t.Fatalf("an empty catalogue has problems: %v", probs)
	}
	want := "add_responder,escalate,merge,reassign,route,set_priority,set_urgency,snooze,status_update"
	if got := strings.Join(c.Names(), ","); got != want {
		t.Fatalf("names = %s, want %s", got, want)
	}
	if got := len(c.ForIncident(prodIncident)); got != 9 {
		t.Errorf("a prod incident is offered %d actions, want the 9 built-ins", got)
	}
	for _, a := range c.Actions() {
		if !a.BuiltIn || a.Runner != RunnerPagerDuty || a.Explain == "" || a.Source.File != BuiltInSource {
			t.Errorf("%s: %+v", a.Name, a)
		}
		for _, p := range a.Params {
			if p.Pattern == "" || (p.re == nil && p.lazyRE == nil) {
				t.Errorf("%s.%s has no pattern", a.Name, p.Name)
			}
			if p.HasDef && !p.Match(p.Default) {
				t.Errorf("%s.%s: default %q does not match %q", a.Name, p.Name, p.Default, p.Pattern)
			}
		}
	}
	// Patterns are anchored: a value with more after it is refused.
	e, _, pd := testEngine(t, nil)
	e.Catalogue = c
	if _, err := e.Prepare(context.Background(), "set_urgency", map[string]string{"urgency": "low; drop"}, prodIncident); err == nil {
		t.Error("set_urgency accepted a value its pattern only begins")
	}
	p, err := e.Prepare(context.Background(), "set_urgency", map[string]string{"urgency": "low"}, prodIncident)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Confirm("payment-gateway"); err != nil {
		t.Fatal(err)
	}
	if res, err := p.Run(context.Background(), nil); err != nil || !res.OK {
		t.Fatalf("run = %+v, %v", res, err)
	}
	if got := strings.Join(pd.all(), ";"); !strings.Contains(got, "urgency PABC123 low") {
		t.Errorf("PagerDuty calls = %s", got)
	}
}

func TestCatalogueOverridesBuiltIn(t *testing.T) {
	c, probs := Load(filepath.Join("..", "sources", "demo", "catalogue", "catalogue"))
	if len(probs) > 0 {
		t.Fatalf("demo catalogue: %v", probs)
	}
	a := mustLookup(t, c, "snooze")
	if a.BuiltIn || !strings.HasSuffix(a.Source.File, "pagerduty.yaml") {
		t.Errorf("snooze comes from %s, want the demo's pagerduty.yaml", a.Source)
	}
	if !mustLookup(t, c, "merge").BuiltIn {
		t.Error("merge is not the built-in")
	}
	n := 0
	for _, x := range c.Actions() {
		if x.Name == "snooze" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("snooze is listed %d times", n)
	}
}

func TestRequireDryRunDoesNotBlockPagerDuty(t *testing.T) {
	c, _ := Load(filepath.Join(tdata, "guarded"))
	e, _, _ := testEngine(t, nil)
	e.Catalogue = c
	for _, name := range []string{"page_team", "escalate"} {
		p, err := e.Prepare(context.Background(), name, nil, prodIncident)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !p.Verdict.Allowed {
			t.Errorf("%s is blocked: %s", name, p.Verdict)
		}
		if !strings.Contains(p.Verdict.Explain(), "ok      dry_run — require_dry_run does not apply: PagerDuty writes have no dry run by nature") {
			t.Errorf("%s: the guards do not say why no dry run is needed:\n%s", name, p.Verdict.Explain())
		}
		if !strings.Contains(p.Preview.DryRunNote, "no dry run") {
			t.Errorf("%s: preview note = %q", name, p.Preview.DryRunNote)
		}
	}
	// An exec action without a dry run is still blocked.
	p, err := e.Prepare(context.Background(), "restart_no_dry", nil, prodIncident)
	if err != nil {
		t.Fatal(err)
	}
	if p.Verdict.Allowed || p.Verdict.BlockedBy != RuleDryRun {
		t.Errorf("restart_no_dry: %s", p.Verdict)
	}
}

func TestCheckReportsNeverAllowed(t *testing.T) {
	dir := filepath.Join(tdata, "guarded")
	file := filepath.Join(dir, "actions.yaml")
	cat, loadProbs := Load(dir)
	if len(loadProbs) > 0 {
		t.Fatalf("Load reports %v; never-allowed actions load, for the preview to explain", loadProbs)
	}
	if _, ok := cat.Lookup("restart_no_dry"); !ok {
		t.Error("a never-allowed action was left out of the catalogue")
	}
	var got []string
	for _, p := range Check(dir) {
		got = append(got, p.String())
	}
	want := []string{
		file + ":3:3: action restart_no_dry: the guards never allow it in prod: require_dry_run is true and it has no dry run; give it a dry run",
		file + ":21:9: action no_hosts: the guards never allow it in staging: max_hosts is 0",
		file + ":38:9: action closed_window: the guards never allow it in qa: every time window is empty",
	}
	if len(got) != len(want) {
		t.Fatalf("Check = %d problems, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	slices.Sort(got)
	slices.Sort(want)
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %d = %q\nwant prefix %q", i, got[i], want[i])
		}
	}
}

func TestCheckNoCascade(t *testing.T) {
	dir := filepath.Join(tdata, "cascade")
	rb := filepath.Join(dir, "runbooks", "uses.md")
	var got []string
	for _, p := range Check(dir) {
		got = append(got, p.String())
	}
	want := []string{
		filepath.Join(dir, "actions.yaml") + `:4:13: action restart_service: unknown runner "ssh"`,
		rb + `:12:1: action restart_servce: runbook uses an action that is not defined (did you mean "restart_service"?)`,
		rb + `:17:31: action bad_attr: unknown fence attribute "colour"`,
	}
	if len(got) != len(want) {
		t.Fatalf("Check = %d problems, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %d = %q\nwant prefix %q", i, got[i], want[i])
		}
	}
	cat, _ := Load(dir)
	if cat.Defined() != 2 || len(cat.Runbooks()) != 1 {
		t.Errorf("checked %d definitions and %d runbooks, want 2 and 1", cat.Defined(), len(cat.Runbooks()))
	}
}

func TestChangesNothing(t *testing.T) {
	dir := filepath.Join(tdata, "readonly")
	file := filepath.Join(dir, "actions.yaml")
	var got []string
	for _, p := range Check(dir) {
		got = append(got, p.String())
	}
	want := []string{
		file + ":18:14: action post_stats: claims changes: nothing, but runner http sends POST",
		file + ":25:14: action exec_stats: claims changes: nothing, but runner exec runs a program",
		file + ":32:14: action pd_stats: claims changes: nothing, but runner pagerduty writes to the incident",
		file + ":39:14: action maybe: unknown changes \"little\"",
	}
	if len(got) != len(want) {
		t.Fatalf("Check = %d problems, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %d = %q\nwant prefix %q", i, got[i], want[i])
		}
	}

	var hits []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits = append(hits, r.Method+" "+r.URL.Path)
		_, _ = w.Write([]byte("active=12 idle=0\n"))
	}))
	defer srv.Close()
	c, _ := Load(dir)
	e, rec, _ := testEngine(t, nil)
	e.Catalogue = c
	e.Caller = map[string]string{"base": srv.URL}
	e.HTTPClient = srv.Client()
	p, err := e.Prepare(context.Background(), "pool_stats", nil, prodIncident)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Verdict.Allowed || p.Verdict.Confirm != ConfirmNone {
		t.Fatalf("in production a read-only diagnostic needs %q: %s", p.Verdict.Confirm, p.Verdict)
	}
	if !strings.Contains(p.Verdict.Explain(), "no confirmation needed: it changes nothing") {
		t.Errorf("the guards do not say why:\n%s", p.Verdict.Explain())
	}
	res, err := p.Run(context.Background(), nil)
	if err != nil || !res.OK {
		t.Fatalf("run without confirmation = %+v, %v", res, err)
	}
	if strings.Join(hits, ";") != "GET /pool" {
		t.Errorf("requests = %v", hits)
	}
	if s := rec.steps(); !strings.Contains(s, "previewed") || !strings.HasSuffix(s, "started,output,finished") {
		t.Errorf("journaled steps = %s", s)
	}

	// The claim is checked when the plan is prepared too, whoever built
	// the action.
	a := mustLookup(t, c, "pool_stats")
	a.HTTP.Method = "DELETE"
	if _, err := e.Prepare(context.Background(), "pool_stats", nil, prodIncident); err == nil || !strings.Contains(err.Error(), "claims changes: nothing, but runner http sends DELETE") {
		t.Errorf("a DELETE under changes: nothing was prepared: %v", err)
	}
}

func TestRunbookUsesBuiltIn(t *testing.T) {
	dir := t.TempDir()
	md := "# Tell the team\n\nPost where things stand.\n\n```sh {use=status_update}\n```\n"
	if err := os.MkdirAll(filepath.Join(dir, "runbooks"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "runbooks", "tell.md"), []byte(md), 0o644); err != nil {
		t.Fatal(err)
	}
	c, probs := Load(dir)
	if len(probs) > 0 {
		t.Fatalf("problems: %v", probs)
	}
	blocks := c.Runbooks()[0].Blocks
	var used *Action
	for _, b := range blocks {
		if b.Kind == BlockAction {
			used = b.Action
		}
	}
	if used == nil || used.Name != "status_update" || !used.BuiltIn {
		t.Errorf("the runbook's block uses %+v, want the built-in status_update", used)
	}
}
