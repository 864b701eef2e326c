package actions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"sitrep/sources/pagerduty"
)

// fakePD records the writes it is asked to make.
type fakePD struct {
	mu    sync.Mutex
	calls []string
}

func (f *fakePD) log(s string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
	return nil
}

func (f *fakePD) Reassign(_ context.Context, id, u string) error {
	return f.log("reassign " + id + " " + u)
}
func (f *fakePD) Escalate(_ context.Context, id string, l uint) error {
	return f.log("escalate " + id + " " + string(rune('0'+l)))
}
func (f *fakePD) Snooze(_ context.Context, id string, d time.Duration) error {
	return f.log("snooze " + id + " " + d.String())
}
func (f *fakePD) Merge(_ context.Context, id string, s []string) error {
	return f.log("merge " + id + " " + strings.Join(s, ","))
}
func (f *fakePD) SetUrgency(_ context.Context, id, u string) error {
	return f.log("urgency " + id + " " + u)
}
func (f *fakePD) SetPriority(_ context.Context, id, p string) error {
	return f.log("priority " + id + " " + p)
}
func (f *fakePD) AddResponder(_ context.Context, id, u, m string) error {
	return f.log("responder " + id + " " + u + " " + m)
}
func (f *fakePD) StatusUpdate(_ context.Context, id, m string) error {
	return f.log("status " + id + " " + m)
}
func (f *fakePD) AddNote(_ context.Context, id, c string) error { return f.log("note " + id + " " + c) }

func (f *fakePD) all() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// recorder keeps the records a plan emits.
type recorder struct {
	mu   sync.Mutex
	recs []Record
}

func (r *recorder) add(rec Record) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, rec)
}

func (r *recorder) steps() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var s []string
	for _, rec := range r.recs {
		s = append(s, rec.Step)
	}
	return strings.Join(s, ",")
}

func (r *recorder) json(t *testing.T) string {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	b, err := json.Marshal(r.recs)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func loadPlanFixture(t *testing.T) *Catalogue {
	t.Helper()
	c, probs := Load(filepath.Join(tdata, "plan"))
	if len(probs) > 0 {
		t.Fatalf("fixture problems: %v", probs)
	}
	return c
}

// securityEngine is testEngine over the security fixture.
func securityEngine(t *testing.T, env map[string]string) (*Engine, *recorder) {
	t.Helper()
	e, rec, _ := testEngine(t, env)
	c, probs := Load(filepath.Join(tdata, "security"))
	if len(probs) > 0 {
		t.Fatalf("fixture problems: %v", probs)
	}
	e.Catalogue = c
	return e, rec
}

func testEngine(t *testing.T, env map[string]string) (*Engine, *recorder, *fakePD) {
	t.Helper()
	rec := &recorder{}
	pd := &fakePD{}
	base := map[string]string{"PATH": os.Getenv("PATH"), "HOME": t.TempDir()}
	for k, v := range env {
		base[k] = v
	}
	return &Engine{
		Catalogue: loadPlanFixture(t),
		LookupEnv: func(k string) (string, bool) { v, ok := base[k]; return v, ok },
		User:      "Alice",
		PagerDuty: pd,
		Record:    rec.add,
		Grace:     200 * time.Millisecond,
		Now:       func() time.Time { return time.Date(2026, 11, 29, 3, 12, 0, 0, time.UTC) },
	}, rec, pd
}

var (
	prodIncident    = Target{IncidentID: "PABC123", IncidentNumber: 42, Title: "5xx on payment-gateway", Status: "triggered", Service: "payment-gateway", Env: "prod"}
	stagingIncident = Target{IncidentID: "PABC124", IncidentNumber: 43, Title: "5xx on payment-gateway", Status: "triggered", Service: "payment-gateway", Env: "staging"}
)

func TestHostileValuesNeverRun(t *testing.T) {
	hostile := []string{
		"; rm -rf /", "$(id)", "`id`", "a\nb", "../../etc/passwd", strings.Repeat("a", 10*1024),
		"a\x00b", "x; touch canary", "$(touch canary)", "name with space", "",
	}
	for i, v := range hostile {
		t.Run(fmt.Sprintf("value%d", i), func(t *testing.T) {
			dir := t.TempDir()
			e, rec, _ := testEngine(t, nil)
			e.Caller = map[string]string{"dir": dir}
			p, err := e.Prepare(context.Background(), "touch_canary", map[string]string{"name": v}, stagingIncident)
			if err == nil {
				_, _ = p.Run(context.Background(), nil)
				t.Fatalf("value %q was accepted", displayValue(v))
			}
			var pe *ParamError
			if !errors.As(err, &pe) || pe.Param != "name" || pe.Pattern != "[a-z0-9-]{1,40}" {
				t.Errorf("error = %v, want a ParamError naming the parameter and pattern", err)
			}
			if !strings.Contains(err.Error(), "name") || !strings.Contains(err.Error(), "[a-z0-9-]{1,40}") {
				t.Errorf("message does not name parameter and pattern: %v", err)
			}
			if len(err.Error()) > 400 {
				t.Errorf("message is %d bytes long", len(err.Error()))
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("something ran: %v", entries)
			}
			if rec.steps() != "blocked" {
				t.Errorf("records = %s, want blocked", rec.steps())
			}
		})
	}
	// The same action with a good value does create the canary, so the
	// test above could have failed.
	dir := t.TempDir()
	e, _, _ := testEngine(t, nil)
	e.Caller = map[string]string{"dir": dir}
	p, err := e.Prepare(context.Background(), "touch_canary", map[string]string{"name": "ok-canary"}, stagingIncident)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := p.Run(context.Background(), nil); err != nil || !res.OK {
		t.Fatalf("run = %+v, %v", res, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "ok-canary")); err != nil {
		t.Errorf("control canary missing: %v", err)
	}
}

func TestAcceptedValuesAreNotInterpreted(t *testing.T) {
	dir := t.TempDir()
	for _, v := range []string{
		"$(touch " + dir + "/c1)", "`touch " + dir + "/c2`", "; touch " + dir + "/c3", "| touch " + dir + "/c4", "&& touch " + dir + "/c5",
	} {
		e, _, _ := testEngine(t, nil)
		p, err := e.Prepare(context.Background(), "echo_any", map[string]string{"v": v}, stagingIncident)
		if err != nil {
			t.Fatal(err)
		}
		res, err := p.Run(context.Background(), nil)
		if err != nil || !res.OK {
			t.Fatalf("run: %+v %v", res, err)
		}
		if res.Output != v+"\n" {
			t.Errorf("output = %q, want the value verbatim", res.Output)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a value was executed: %v", entries)
	}
}

func TestUnknownParameterRefused(t *testing.T) {
	tests := []struct {
		action  string
		params  map[string]string
		wantErr string
	}{
		{"restart_service", map[string]string{"srvice": "x"}, `restart_service has no parameter --srvice (did you mean --service?); its parameters: --service, --env`},
		{"touch_canary", map[string]string{"dir": "/tmp"}, "set by sitrep"},
		{"restrat_service", nil, `unknown action "restrat_service" (did you mean "restart_service"?)`},
		{"touch_canary", nil, "missing parameter --name"},
	}
	for _, tt := range tests {
		e, _, _ := testEngine(t, nil)
		e.Caller = map[string]string{"dir": "/tmp"}
		_, err := e.Prepare(context.Background(), tt.action, tt.params, prodIncident)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s %v: err = %v, want %q", tt.action, tt.params, err, tt.wantErr)
		}
	}
}

func TestPlanFlowProduction(t *testing.T) {
	var mu sync.Mutex
	var slackTexts []string
	slackSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m struct{ Text string }
		_ = json.NewDecoder(r.Body).Decode(&m)
		mu.Lock()
		slackTexts = append(slackTexts, m.Text)
		mu.Unlock()
		_, _ = io.WriteString(w, "ok")
	}))
	defer slackSrv.Close()
	e, rec, pd := testEngine(t, map[string]string{"TEST_SLACK_WEBHOOK": slackSrv.URL + "/hook"})
	ctx := context.Background()
	p, err := e.Prepare(ctx, "restart_service", nil, prodIncident)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(p.Preview.Command, "|"); got != "echo|restarting payment-gateway in prod" {
		t.Errorf("argv = %s", got)
	}
	if p.ConfirmLevel() != ConfirmTyped {
		t.Errorf("confirm = %s, want typed in prod", p.ConfirmLevel())
	}
	if !strings.Contains(p.Preview.DryRunNote, "no dry run") {
		t.Errorf("dry run note = %q", p.Preview.DryRunNote)
	}
	if strings.Join(p.Preview.Env, ",") != "" {
		t.Errorf("env names = %v", p.Preview.Env)
	}
	if res := p.DryRun(ctx, nil); res.OK || !strings.Contains(res.Text, "no dry run") {
		t.Errorf("dry run = %+v", res)
	}
	if _, err := p.Run(ctx, nil); err == nil || !strings.Contains(err.Error(), "typed confirmation") {
		t.Errorf("run before confirm: %v", err)
	}
	if err := p.Confirm("yes"); err == nil || !strings.Contains(err.Error(), "payment-gateway") {
		t.Errorf("confirm yes in prod: %v", err)
	}
	if err := p.Confirm("payment-gateway"); err != nil {
		t.Fatal(err)
	}
	c := newCollector()
	res, err := p.Run(ctx, c.add)
	if err != nil || !res.OK || res.Text != "exit 0" {
		t.Fatalf("run = %+v, %v", res, err)
	}
	if c.text("stdout") != "restarting payment-gateway in prod\n" {
		t.Errorf("streamed = %q", c.text("stdout"))
	}
	if _, err := p.Run(ctx, nil); err == nil {
		t.Error("a plan ran twice")
	}
	if got := rec.steps(); got != "previewed,confirmed,started,output,finished" {
		t.Errorf("steps = %s", got)
	}
	want := regexp.MustCompile(`^restart_service on payment-gateway \(prod\) by Alice: exit 0 in [0-9]+\.[0-9] s$`)
	mu.Lock()
	if len(slackTexts) != 1 || !want.MatchString(slackTexts[0]) {
		t.Errorf("slack got %q", slackTexts)
	}
	mu.Unlock()
	calls := pd.all()
	if len(calls) != 1 || !strings.HasPrefix(calls[0], "note PABC123 restart_service on payment-gateway (prod) by Alice: exit 0 in ") {
		t.Errorf("pagerduty calls = %q", calls)
	}
	if len(p.AnnounceErrors) > 0 {
		t.Errorf("announce errors: %v", p.AnnounceErrors)
	}
	rec.mu.Lock()
	fin := rec.recs[len(rec.recs)-1]
	rec.mu.Unlock()
	if fin.ExitCode == nil || *fin.ExitCode != 0 || fin.ConfirmedBy != "" || fin.Result != "exit 0" {
		t.Errorf("finished record = %+v", fin)
	}
	if strings.Contains(rec.json(t), slackSrv.URL) {
		t.Error("the webhook URL reached a record")
	}
}

func TestPlanBlocked(t *testing.T) {
	runs := func(n int) func(string, string, time.Time) ([]time.Time, error) {
		return func(action, service string, since time.Time) ([]time.Time, error) {
			var out []time.Time
			for i := range n {
				out = append(out, time.Date(2026, 11, 29, 2, 50+i*5, 0, 0, time.UTC))
			}
			return out, nil
		}
	}
	unreadable := func(string, string, time.Time) ([]time.Time, error) {
		return nil, errors.New("journal: page 12 is corrupt")
	}
	tests := []struct {
		name      string
		readOnly  bool
		history   func(string, string, time.Time) ([]time.Time, error)
		status    string
		blockedBy string
		verdict   string
	}{
		{"rate limit", false, runs(2), "triggered", RuleRateLimit,
			"blocked: rate_limit — restart_service ran 2 times on payment-gateway in the last 30m (max 2); free again at 03:20 UTC"},
		{"read only", true, nil, "triggered", RuleReadOnly, "blocked: read_only — sitrep is in read-only mode: no action runs"},
		{"resolved", false, nil, "resolved", RuleResolved, "blocked: incident_resolved"},
		{"one earlier run is fine", false, runs(1), "triggered", "", "allowed (confirm: typed)"},
		{"history unreadable", false, unreadable, "triggered", RuleRateLimit,
			"blocked: rate_limit — the runs of restart_service on payment-gateway in the last 30m cannot be counted (journal: page 12 is corrupt), so the limit of 2 cannot be checked; `sitrep doctor` checks the journal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, rec, _ := testEngine(t, nil)
			e.ReadOnly = tt.readOnly
			e.History = tt.history
			inc := prodIncident
			inc.Status = tt.status
			p, err := e.Prepare(context.Background(), "restart_service", nil, inc)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(p.Verdict.String(), tt.verdict) {
				t.Errorf("verdict = %q, want %q", p.Verdict.String(), tt.verdict)
			}
			err = p.Confirm("payment-gateway")
			if tt.blockedBy == "" {
				if err != nil {
					t.Fatalf("confirm: %v", err)
				}
				return
			}
			var be *BlockedError
			if !errors.As(err, &be) || be.Verdict.BlockedBy != tt.blockedBy {
				t.Fatalf("confirm err = %v, want blocked by %s", err, tt.blockedBy)
			}
			if _, err := p.Run(context.Background(), nil); !errors.As(err, &be) {
				t.Errorf("run err = %v", err)
			}
			if got := rec.steps(); got != "previewed,blocked,blocked" {
				t.Errorf("steps = %s", got)
			}
		})
	}
}

func TestPlanTimeoutAndCancel(t *testing.T) {
	tests := []struct {
		name   string
		cancel bool
		step   string
	}{
		{"timeout", false, StepTimedOut},
		{"cancel", true, StepCancelled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, rec, _ := testEngine(t, nil)
			inc := prodIncident
			inc.Env = "staging"
			p, err := e.Prepare(context.Background(), "slow", nil, inc)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			if tt.cancel {
				cancel()
			} else {
				defer cancel()
			}
			res, err := p.Run(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.OK {
				t.Errorf("result = %+v", res)
			}
			if s := rec.steps(); !strings.HasSuffix(s, ","+tt.step) {
				t.Errorf("steps = %s, want to end with %s", s, tt.step)
			}
		})
	}
}

func TestTargetFromIncident(t *testing.T) {
	inc := pagerduty.Incident{ID: "PX1", Number: 9, Title: "t", Status: "acknowledged", Service: pagerduty.Ref{ID: "S1", Name: "payment-gateway"}}
	got := TargetFromIncident(inc, "prod", "availability")
	want := Target{IncidentID: "PX1", IncidentNumber: 9, Title: "t", Status: "acknowledged", Service: "payment-gateway", Env: "prod", Category: "availability"}
	if got != want {
		t.Errorf("TargetFromIncident = %+v, want %+v", got, want)
	}
}

func TestPrepareRefusesWhereNotOffered(t *testing.T) {
	cache := Target{IncidentID: "PC1", Status: "triggered", Service: "cache-eu", Env: "staging"}
	tests := []struct {
		name    string
		target  Target
		given   map[string]string
		allowed bool
	}{
		{"other service", Target{IncidentID: "PD1", Status: "triggered", Service: "payment-db", Env: "prod"}, nil, false},
		{"service overridden", cache, map[string]string{"service": "payment-db"}, false},
		{"env overridden", cache, map[string]string{"env": "prod"}, false},
		{"offered", cache, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			e, rec := securityEngine(t, nil)
			e.Caller = map[string]string{"dir": dir}
			p, err := e.Prepare(context.Background(), "flush_cache", tt.given, tt.target)
			if tt.allowed {
				if err != nil {
					t.Fatal(err)
				}
				if res, err := p.Run(context.Background(), nil); err != nil || !res.OK {
					t.Fatalf("run = %+v, %v", res, err)
				}
				if entries, _ := os.ReadDir(dir); len(entries) != 1 {
					t.Errorf("the control run did not run: %v", entries)
				}
				return
			}
			var be *BlockedError
			if !errors.As(err, &be) || be.Verdict.BlockedBy != RuleApplies || be.Verdict.Allowed {
				t.Fatalf("err = %v, want blocked by %s", err, RuleApplies)
			}
			if msg := err.Error(); !strings.Contains(msg, "cache-*") || !strings.Contains(msg, "staging") {
				t.Errorf("message does not say where the action is offered: %s", msg)
			}
			if p != nil {
				t.Error("a refused action returned a plan")
			}
			rec.mu.Lock()
			if len(rec.recs) != 1 || rec.recs[0].Step != StepBlocked || rec.recs[0].BlockedBy != RuleApplies || !strings.Contains(rec.recs[0].Verdict, "cache-*") {
				t.Errorf("records = %+v", rec.recs)
			}
			rec.mu.Unlock()
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("something ran: %v", entries)
			}
		})
	}
}

func TestPassThroughEnvRedacted(t *testing.T) {
	const plain = "correct-horse-battery-staple"
	e, rec := securityEngine(t, map[string]string{"DB_DSN": "postgres://app:Hunter2pw@db:5432/pay", "PLAIN_SECRET": plain})
	p, err := e.Prepare(context.Background(), "show_env", nil, stagingIncident)
	if err != nil {
		t.Fatal(err)
	}
	c := newCollector()
	res, err := p.Run(context.Background(), c.add)
	if err != nil || !res.OK {
		t.Fatalf("run = %+v, %v", res, err)
	}
	all := res.Output + c.text("") + rec.json(t)
	for _, secret := range []string{"Hunter2pw", plain} {
		if strings.Contains(all, secret) {
			t.Errorf("%s reached the output or the records: %s", secret, all)
		}
	}
	if !strings.Contains(res.Output, Mask) {
		t.Errorf("output = %q", res.Output)
	}
}

func TestDryRunReadOnly(t *testing.T) {
	for _, readOnly := range []bool{true, false} {
		dir := t.TempDir()
		e, _ := securityEngine(t, nil)
		e.Caller = map[string]string{"dir": dir}
		e.ReadOnly = readOnly
		p, err := e.Prepare(context.Background(), "dry_canary", nil, stagingIncident)
		if err != nil {
			t.Fatal(err)
		}
		res := p.DryRun(context.Background(), nil)
		_, statErr := os.Stat(filepath.Join(dir, "dry"))
		if readOnly {
			if res.OK || res.Text != "read-only: no dry run" || statErr == nil {
				t.Errorf("read-only dry run = %+v; canary made: %v", res, statErr == nil)
			}
			if p.Verdict.Allowed || p.Verdict.BlockedBy != RuleReadOnly {
				t.Errorf("verdict = %s", p.Verdict)
			}
			continue
		}
		if !res.OK || statErr != nil {
			t.Errorf("control dry run = %+v, %v", res, statErr)
		}
	}
}

// TestNotifyFirstBounded: the announcement before a run has a deadline
// even when the caller's context has none, as the one after does.
func TestNotifyFirstBounded(t *testing.T) {
	release := make(chan struct{})
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer hung.Close()
	defer close(release)
	old := announceTimeout
	announceTimeout = 50 * time.Millisecond
	defer func() { announceTimeout = old }()
	e, rec := securityEngine(t, map[string]string{"TEST_SLACK_WEBHOOK": hung.URL})
	p, err := e.Prepare(context.Background(), "notify_first", nil, stagingIncident)
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Run(context.Background(), nil)
	if err != nil || !res.OK {
		t.Fatalf("run = %+v, %v", res, err)
	}
	if len(p.AnnounceErrors) != 2 {
		t.Errorf("announce errors = %v, want the one before and the one after", p.AnnounceErrors)
	}
	if got := rec.steps(); got != "previewed,started,output,finished" {
		t.Errorf("steps = %s", got)
	}
}
