package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"sitrep/actions"
	"sitrep/sources/pagerduty"
	"sitrep/store/journal"
)

// journalWorld is a real journal holding several incidents, as the cockpit
// leaves it: first sightings, PagerDuty's timeline, notes, pins, an
// action's steps and the incident cache; and a HOME with no config or
// token, so commands work from the journal alone.
type journalWorld struct {
	path string
	t0   time.Time
}

const hostileTitle = "Disk full \x1b[31mred\x1b]0;owned\x07 \u202etxt.exe"

func newJournalWorld(t *testing.T) journalWorld {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "config"))
	t.Setenv("XDG_DATA_HOME", filepath.Join(home, "data"))
	t.Setenv("PAGERDUTY_TOKEN", "")
	path := filepath.Join(home, "journal.db")
	j, err := journal.Open(path, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	t0 := time.Date(2026, 11, 29, 14, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	seen := func(in pagerduty.Incident, m int) journal.Entry {
		data, _ := json.Marshal(in)
		return journal.Entry{At: at(m), Incident: in.ID, Kind: "seen", Actor: journal.ActorSitrep,
			Summary: fmt.Sprintf("first seen: #%d %s", in.Number, in.Title), Data: data, SourceID: "seen:" + in.ID}
	}
	checkout := pagerduty.Incident{ID: "Q000009", Number: 9, Title: "Checkout 5xx above 5%", Status: "triggered", Urgency: "high", Service: pagerduty.Ref{ID: "PS1", Name: "payment-gateway"}}
	pool := pagerduty.Incident{ID: "Q000002", Number: 2, Title: "DB connection pool exhausted", Status: "triggered", Service: pagerduty.Ref{ID: "PS2", Name: "orders-db"}}
	disk := pagerduty.Incident{ID: "Q000003", Number: 3, Title: hostileTitle, Status: "acknowledged", Service: pagerduty.Ref{ID: "PS3", Name: "log-shipper"}}
	twinA := pagerduty.Incident{ID: "PTWINA1", Number: 5, Title: "Twin A", Status: "triggered", Service: pagerduty.Ref{Name: "edge"}}
	twinB := pagerduty.Incident{ID: "PTWINB2", Number: 5, Title: "Twin B", Status: "triggered", Service: pagerduty.Ref{Name: "edge"}}
	exit0 := 0
	finished, _ := json.Marshal(actions.Record{RunID: "r1", Incident: "Q000009", Step: "finished", Action: "restart_service", Runner: "exec",
		Target: "payment-gateway", Env: "prod", Command: []string{"sitrep", "demo-ctl", "restart"}, Result: "exit 0", ExitCode: &exit0,
		DurationMS: 2630, Output: "stopping payment-gateway\n\x1b[2Jpods ready: 3/3\n",
		Effect: []actions.MetricChange{{Name: "5xx rate", Before: 0.31, After: 0.05}}})
	blocked, _ := json.Marshal(actions.Record{RunID: "r0", Incident: "Q000009", Step: "blocked", Action: "scale_pool", Target: "payment-gateway", Env: "prod",
		Verdict: "blocked", BlockedBy: "rate_limit"})
	entries := []journal.Entry{
		seen(checkout, 0),
		seen(pool, 1),
		seen(disk, 2),
		seen(twinA, 3),
		seen(twinB, 3),
		{At: at(10), Incident: "Q000009", Kind: "action.blocked", Actor: journal.ActorSitrep, Summary: "scale_pool blocked on payment-gateway (prod): blocked by rate_limit", Data: blocked},
		{At: at(12), Incident: "Q000009", Kind: "action.finished", Actor: journal.ActorSitrep, Summary: "restart_service finished on payment-gateway (prod): exit 0", Data: finished},
		{At: at(13), Incident: "Q000009", Kind: "pin", Actor: "Ada", Summary: "pinned 2 log lines", Data: json.RawMessage(`{"pane":"logs","lines":["ERROR upstream 502","ERROR upstream 503"]}`)},
		{At: at(20), Incident: "Q000002", Kind: "status.resolve", Actor: "Grace", Summary: "Resolved by Grace.", SourceID: "pd:log:R2"},
		// PagerDuty's acknowledgement of #9, journaled late: it happened
		// before the action, and show puts it there.
		{At: at(5), Incident: "Q000009", Kind: "status.acknowledge", Actor: "Ada", Summary: "Acknowledged by Ada.", SourceID: "pd:log:R9"},
		{At: at(25), Incident: "PNOSEEN", Kind: "note", Actor: "Ada", Summary: "an incident sitrep never listed"},
	}
	for _, e := range entries {
		if _, err := j.Append(e); err != nil {
			t.Fatal(err)
		}
	}
	// The cache: #12 is known only there; #2's status there is older than
	// the journal's resolution.
	cacheAll := []pagerduty.Incident{pool, {ID: "PNOSEEN", Number: 12, Title: "Queue lag", Status: "triggered", Service: pagerduty.Ref{Name: "queue"}},
		{ID: "PCACHED", Number: 14, Title: "Only cached", Status: "triggered", Service: pagerduty.Ref{Name: "queue"}}}
	if err := j.SaveIncidents(pagerduty.ScopeAll.String(), at(15), cacheAll); err != nil {
		t.Fatal(err)
	}
	return journalWorld{path: path, t0: t0}
}

func (jw journalWorld) root(t *testing.T, args ...string) (string, error) {
	t.Helper()
	return runRootSplit(t, append(args, "--journal", jw.path)...)
}

// runRootSplit is runRoot with stdout alone: JSON lines must not mix with
// notices.
func runRootSplit(t *testing.T, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	root := newRootCmd()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetIn(strings.NewReader(""))
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil {
		err = fmt.Errorf("%w\nstderr: %s", err, errOut.String())
	}
	return out.String(), err
}

func TestIncidentNamesAgree(t *testing.T) {
	jw := newJournalWorld(t)
	var first string
	for _, name := range []string{"#9", "9", "Q000009", " #9 "} {
		out, err := jw.root(t, "journal", "show", name)
		if err != nil {
			t.Fatalf("journal show %q: %v", name, err)
		}
		if !strings.Contains(out, "restart_service finished") {
			t.Errorf("journal show %q is not #9's journal:\n%s", name, out)
		}
		if first == "" {
			first = out
		} else if out != first {
			t.Errorf("journal show %q differs from journal show #9:\n%s\n---\n%s", name, out, first)
		}
	}
	// A number only the incident cache knows.
	if out, err := jw.root(t, "journal", "show", "#12"); err != nil || !strings.Contains(out, "an incident sitrep never listed") {
		t.Errorf("journal show #12: %v\n%s", err, out)
	}

	for _, name := range []string{"#9", "9", "Q000009"} {
		out, err := jw.root(t, "export", name)
		if err != nil {
			t.Fatalf("export %q: %v", name, err)
		}
		if !strings.Contains(out, "Checkout 5xx above 5%") || strings.Contains(out, "DB connection pool") {
			t.Errorf("export %q is not #9's post-mortem:\n%s", name, out)
		}
	}
	// Each export is journaled under the incident's ID, never under the
	// name it was given.
	j, err := journal.Open(jw.path, journal.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	sums, err := j.Incidents()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range sums {
		ids = append(ids, s.ID)
	}
	if slices.Contains(ids, "#9") || slices.Contains(ids, "9") {
		t.Errorf("an export was journaled under the name given: incidents %v", ids)
	}
	exports := 0
	es, _ := j.Entries("Q000009")
	for _, e := range es {
		if e.Kind == "export" {
			exports++
		}
	}
	if exports != 3 {
		t.Errorf("Q000009 has %d export entries, want 3", exports)
	}
}

func TestIncidentNameErrors(t *testing.T) {
	jw := newJournalWorld(t)
	cases := []struct {
		arg    string
		status int // a malformed name is a usage error; an unknown one is not
		want   []string
	}{
		{"#77", statusError, []string{"no incident #77", jw.path, "sitrep journal ls"}},
		{"5", statusError, []string{"#5 names 2 incidents", "PTWINA1 (Twin A)", "PTWINB2 (Twin B)", "PagerDuty ID"}},
		{"#x9", statusUsage, []string{`"#x9"`, "number (#9)", "sitrep journal ls"}},
		{"#", statusUsage, []string{"no incident named", "#9 or 9", "Q000009"}},
		{"Q00/../9", statusUsage, []string{"letters and digits", "sitrep journal ls"}},
		{"0", statusUsage, []string{"1 or more"}},
	}
	// An unquoted #9 in a shell is a comment: the command gets nothing.
	for _, cmd := range [][]string{{"journal", "show"}, {"export"}} {
		_, err := jw.root(t, cmd...)
		if err == nil || !strings.Contains(err.Error(), "'#9' quoted") || !strings.Contains(err.Error(), "sitrep journal ls") {
			t.Errorf("sitrep %s with no incident: %v", strings.Join(cmd, " "), err)
		} else if exitCode(err) != statusUsage {
			t.Errorf("sitrep %s with no incident exits %d, want %d", strings.Join(cmd, " "), exitCode(err), statusUsage)
		}
	}
	for _, c := range cases {
		for _, cmd := range [][]string{{"journal", "show", c.arg}, {"export", c.arg}} {
			_, err := jw.root(t, cmd...)
			if err == nil {
				t.Errorf("sitrep %s succeeded", strings.Join(cmd, " "))
				continue
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("sitrep %s: %q does not say %q", strings.Join(cmd, " "), err, w)
				}
			}
			if got := exitCode(err); got != c.status {
				t.Errorf("sitrep %s exits %d, want %d", strings.Join(cmd, " "), got, c.status)
			}
		}
	}
}

func TestJournalLs(t *testing.T) {
	jw := newJournalWorld(t)
	out, err := jw.root(t, "journal", "ls")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 7 { // header and six journaled incidents; #14 is only cached
		t.Fatalf("journal ls printed %d lines, want 7:\n%s", len(lines), out)
	}
	head := lines[0]
	for _, col := range []string{"#", "TITLE", "SERVICE", "STATUS", "ENTRIES", "FIRST (UTC)", "LAST (UTC)", "ID"} {
		if !strings.Contains(head, col) {
			t.Errorf("the header lacks %s: %q", col, head)
		}
	}
	// Every column starts where its header does (in runes: each is one
	// column wide here).
	for _, col := range []string{"TITLE", "SERVICE", "STATUS", "FIRST (UTC)", "LAST (UTC)", "ID"} {
		x := len([]rune(head[:strings.Index(head, col)]))
		for _, l := range lines[1:] {
			r := []rune(l)
			if x >= len(r) || r[x-1] != ' ' || r[x] == ' ' {
				t.Errorf("column %s (at %d) is not aligned in %q", col, x, l)
			}
		}
	}
	row := func(id string) string {
		for _, l := range lines[1:] {
			if strings.HasSuffix(l, " "+id) {
				return l
			}
		}
		t.Fatalf("journal ls has no line for %s:\n%s", id, out)
		return ""
	}
	want := map[string][]string{
		// acknowledged: PagerDuty's timeline is newer than the sighting.
		"Q000009": {"#9", "Checkout 5xx above 5%", "payment-gateway", "acknowledged", " 5 ", "2026-11-29 14:00:00", "2026-11-29 14:13:00"},
		// resolved: the journal's resolution is newer than the cache.
		"Q000002": {"#2", "DB connection pool exhausted", "orders-db", "resolved", " 2 "},
		// number, title and status from the cache alone.
		"PNOSEEN": {"#12", "Queue lag", "queue", "triggered", " 1 "},
		"Q000003": {"#3", "Disk full red", "⟨U+202E⟩txt.exe", "log-shipper"},
	}
	for id, ws := range want {
		l := row(id)
		for _, w := range ws {
			if !strings.Contains(l, w) {
				t.Errorf("%s's line lacks %q: %q", id, w, l)
			}
		}
	}
	if strings.ContainsAny(out, "\x1b\x07\u202e") || strings.Contains(out, "owned") {
		t.Errorf("journal ls drew outside text unsanitized:\n%q", out)
	}
	// Most recently active first.
	if !strings.HasSuffix(lines[1], " PNOSEEN") || !strings.HasSuffix(lines[2], " Q000002") {
		t.Errorf("journal ls is not ordered by last activity:\n%s", out)
	}
}

func TestJournalLsFitsTheTerminal(t *testing.T) {
	jw := newJournalWorld(t)
	j, err := journal.Open(jw.path, journal.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	facts, err := gatherIncidents(context.Background(), j, true)
	if err != nil {
		t.Fatal(err)
	}
	facts = slices.DeleteFunc(facts, func(f incidentFacts) bool { return f.Entries == 0 })
	facts[0].Title = strings.Repeat("a very long title ", 10)
	for _, width := range []int{60, 80, 100, 200} {
		var b bytes.Buffer
		if err := journalLsTable(&b, facts, width); err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
			if w := ansi.StringWidth(l); w > width {
				t.Errorf("at %d columns a line is %d wide: %q", width, w, l)
			}
		}
		if width >= 80 && !strings.Contains(b.String(), "#9") || !strings.Contains(b.String(), "Checkout") {
			t.Errorf("at %d columns the number or title is gone:\n%s", width, b.String())
		}
	}
	// Piped (width 0), nothing is cut.
	var b bytes.Buffer
	if err := journalLsTable(&b, facts, 0); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), facts[0].Title) {
		t.Errorf("piped output cut the title:\n%s", b.String())
	}
}

func TestJournalLsJSON(t *testing.T) {
	jw := newJournalWorld(t)
	out, err := jw.root(t, "journal", "ls", "--json")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 6 {
		t.Fatalf("journal ls --json printed %d lines, want 6:\n%s", len(lines), out)
	}
	byID := map[string]map[string]any{}
	for _, l := range lines {
		var o map[string]any
		if err := json.Unmarshal([]byte(l), &o); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		var keys []string
		for k := range o {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if got := strings.Join(keys, " "); got != "entries first_at id last_at number service status title" {
			t.Errorf("fields %s", got)
		}
		byID[o["id"].(string)] = o
	}
	nine := byID["Q000009"]
	if nine["number"] != 9.0 || nine["title"] != "Checkout 5xx above 5%" || nine["service"] != "payment-gateway" ||
		nine["status"] != "acknowledged" || nine["entries"] != 5.0 || nine["first_at"] != "2026-11-29T14:00:00Z" || nine["last_at"] != "2026-11-29T14:13:00Z" {
		t.Errorf("#9: %v", nine)
	}
	if strings.ContainsAny(byID["Q000003"]["title"].(string), "\x1b\x07\u202e") {
		t.Errorf("the JSON carries control characters: %q", byID["Q000003"]["title"])
	}
}

func TestJournalShowTimeOrderAndData(t *testing.T) {
	jw := newJournalWorld(t)
	out, err := jw.root(t, "journal", "show", "#9")
	if err != nil {
		t.Fatal(err)
	}
	order := []string{"first seen: #9", "Acknowledged by Ada.", "scale_pool blocked", "restart_service finished", "pinned 2 log lines"}
	last := -1
	for _, s := range order {
		i := strings.Index(out, s)
		if i < last {
			t.Errorf("%q is out of time order:\n%s", s, out)
		}
		last = i
	}
	if strings.Contains(out, "pods ready") {
		t.Errorf("without -v, show printed the data:\n%s", out)
	}

	out, err = jw.root(t, "journal", "show", "-v", "9")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"    blocked_by: rate_limit\n",
		"    command: [sitrep, demo-ctl, restart]\n",
		"    output: |\n      stopping payment-gateway\n      pods ready: 3/3\n",
		"    duration_ms: 2630\n",
		"    effect:\n      - name: 5xx rate\n        before: 0.31\n        after: 0.05\n",
		"    lines: [ERROR upstream 502, ERROR upstream 503]\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("show -v lacks %q:\n%s", want, out)
		}
	}
	if strings.ContainsAny(out, "\x1b") {
		t.Errorf("show -v drew an escape sequence:\n%q", out)
	}

	out, err = jw.root(t, "journal", "show", "--json", "Q000009")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 5 {
		t.Fatalf("show --json printed %d lines, want 5:\n%s", len(lines), out)
	}
	var prev time.Time
	for _, l := range lines {
		var o map[string]any
		if err := json.Unmarshal([]byte(l), &o); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		var keys []string
		for k := range o {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if got := strings.Join(keys, " "); got != "actor at data hash incident kind recorded seq source_id summary" {
			t.Errorf("fields %s", got)
		}
		at, err := time.Parse(time.RFC3339, o["at"].(string))
		if err != nil || at.Before(prev) {
			t.Errorf("at %v after %v: %v", o["at"], prev, err)
		}
		prev = at
		if o["kind"] == "action.finished" {
			d := o["data"].(map[string]any)
			if d["output"] != "stopping payment-gateway\npods ready: 3/3\n" || d["duration_ms"] != 2630.0 {
				t.Errorf("the finished entry's data: %v", d)
			}
		}
	}
}

// TestRunIncidentByNumber names the incident by its number to sitrep run,
// with a journal that has never seen it: PagerDuty resolves it.
func TestRunIncidentByNumber(t *testing.T) {
	rw := startRunWorld(t, filepath.Join("testdata", "run"))
	for _, name := range []string{fmt.Sprintf("#%d", rw.incident.Number), fmt.Sprint(rw.incident.Number)} {
		out, err := runRoot(t, "run", "restart_service", "--incident", name, "--dry-run", "--config", rw.config, "--journal", rw.journal)
		if err != nil {
			t.Fatalf("run --incident %s --dry-run: %v\n%s", name, err, out)
		}
		if !strings.Contains(out, "incident "+rw.incident.ID+"\n") {
			t.Errorf("run --incident %s did not target %s:\n%s", name, rw.incident.ID, out)
		}
	}
	for _, e := range rw.entries(t) {
		if e.Incident != rw.incident.ID {
			t.Errorf("an entry is journaled under %q, not %s", e.Incident, rw.incident.ID)
		}
	}
	out, err := runRoot(t, "run", "restart_service", "--incident", "#4242", "--dry-run", "--config", rw.config, "--journal", rw.journal)
	if err == nil {
		t.Fatalf("run --incident #4242 succeeded:\n%s", out)
	}
	for _, want := range []string{"no incident #4242", "PagerDuty's", "open incidents", "incident by number", "sitrep journal ls"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not say %q", err, want)
		}
	}
}

// TestJournalLsInATerminal runs the real binary in an 80-column terminal:
// every incident on one line, the columns that matter kept.
func TestJournalLsInATerminal(t *testing.T) {
	bin := buildSitrep(t)
	jw := newJournalWorld(t)
	term := startTerminal(t, 80, 20, nil, "sh", "-c", bin+" journal ls --journal '"+jw.path+"'; sleep 600")
	screen := term.waitFor("the incident list", 60*time.Second, contains("Queue lag"))
	var lines []string
	for _, l := range strings.Split(screen, "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) != 7 {
		t.Fatalf("want a header and 6 incidents, one line each; the screen shows:\n%s", screen)
	}
	for _, want := range []string{"TITLE", "SERVICE", "STATUS", "ENTRIES", "FIRST (UTC)", "LAST (UTC)"} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("the header lacks %s at 80 columns: %q", want, lines[0])
		}
	}
	row := ""
	for _, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "#9 ") {
			row = l
		}
	}
	for _, want := range []string{"Checkout 5xx", "acknowledged", "11-29 14:00", "11-29 14:13"} {
		if !strings.Contains(row, want) {
			t.Errorf("#9's line lacks %q at 80 columns: %q\n%s", want, row, screen)
		}
	}
}
