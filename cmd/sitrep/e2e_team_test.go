package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"sitrep/sources/demo/pdemulator"
	"sitrep/sources/pagerduty"
	"sitrep/store/journal"
	"sitrep/store/recorder"
)

// An incident two engineers worked on, each with their own sitrep and
// journal, against one PagerDuty (the emulator through the real client):
// Alice acknowledged it and journaled a note; Bob pinned evidence,
// resolved it, and went on to another incident. Through the real binary,
// Bob packs the incident, and the post-mortem owner exports it from
// Alice's journal (her cockpit still running) and Bob's pack: each event
// once, in order, both responders, both heads in the Audit section. A
// tampered journal in the set is named and left out.
func TestTeamExportEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("drives the real binary")
	}
	bin := buildSitrep(t)
	dir := t.TempDir()
	env, _ := demoEnv(dir)
	id, alice, bobPath := teamJournals(t, dir)
	defer alice.Close() // Alice's sitrep is still running: it holds her journal

	run := func(wantOK bool, args ...string) (stdout, stderr string) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(append(os.Environ(), env...), "PAGERDUTY_TOKEN=")
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		if (err == nil) != wantOK {
			t.Fatalf("sitrep %s: %v, want ok %v\n%s%s", strings.Join(args, " "), err, wantOK, o.String(), e.String())
		}
		return o.String(), e.String()
	}

	pack := filepath.Join(dir, "bob.pack")
	_, stderr := run(true, "journal", "pack", id, "-o", pack, "--journal", bobPath)
	if !strings.Contains(stderr, "wrote "+pack) {
		t.Errorf("journal pack says: %s", stderr)
	}
	if b, _ := os.ReadFile(pack); bytes.Contains(b, []byte("disk filling")) || bytes.Contains(b, []byte("still filling")) {
		t.Error("the pack discloses Bob's other incident")
	}
	if _, stderr := run(false, "journal", "pack", id, "-o", pack, "--journal", bobPath); !strings.Contains(stderr, "add --force") {
		t.Errorf("packing over an existing file: %s", stderr)
	}
	link := filepath.Join(dir, "link.pack")
	if err := os.Symlink(filepath.Join(dir, "elsewhere"), link); err != nil {
		t.Fatal(err)
	}
	if _, stderr := run(false, "journal", "pack", id, "-o", link, "--force", "--journal", bobPath); !strings.Contains(stderr, "symbolic link") {
		t.Errorf("packing through a symbolic link: %s", stderr)
	}

	if _, stderr := run(false, "journal", "pack", id, "-o", bobPath, "--force", "--journal", bobPath); !strings.Contains(stderr, "over the journal") {
		t.Errorf("packing over the journal itself: %s", stderr)
	}

	alicePath := alice.Path()
	md, stderr := run(true, "export", id, "--journal", alicePath, "--journal", pack)
	for _, p := range []string{alicePath, pack} {
		if !strings.Contains(stderr, p+": verified") {
			t.Errorf("export does not say %s verified:\n%s", p, stderr)
		}
	}
	for _, once := range []string{"Acknowledged by Alice Chen", "Resolved by Bob Stone", "rolled back v2.14.0", "connection refused from payments-db"} {
		if n := strings.Count(md, once); n != 1 {
			t.Errorf("%q is in the export %d times, want once", once, n)
		}
	}
	timeline := md[strings.Index(md, "## Timeline"):]
	if a, r := strings.Index(timeline, "Acknowledged by Alice Chen"), strings.Index(timeline, "Resolved by Bob Stone"); a < 0 || r < a {
		t.Error("the timeline has the resolution before the acknowledgement")
	}
	responders := md[strings.Index(md, "## Responders"):strings.Index(md, "## Timeline")]
	if !strings.Contains(responders, "Alice Chen") || !strings.Contains(responders, "Bob Stone") {
		t.Errorf("the export does not name both responders:\n%s", responders)
	}
	audit := strings.Join(strings.Fields(strings.ReplaceAll(md[strings.Index(md, "## Audit"):], "\\", "")), " ")
	head, err := alice.Head()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(audit, "Journal "+alicePath+": verified") || !strings.Contains(audit, head.Hash.String()) || !strings.Contains(audit, "Pack "+pack) {
		t.Errorf("the Audit section does not list Alice's journal with its head and Bob's pack:\n%s", audit)
	}

	// The team's review: stats over both journals counts what both
	// observed from PagerDuty once.
	entries := func(args ...string) int {
		t.Helper()
		out, _ := run(true, append([]string{"stats", "--since", "all", "--json"}, args...)...)
		var rep struct {
			Entries int `json:"entries"`
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("stats --json: %v\n%s", err, out)
		}
		return rep.Entries
	}
	both, mine, his := entries("--journal", alicePath, "--journal", bobPath), entries("--journal", alicePath), entries("--journal", bobPath)
	if shared := sharedObservations(t, alice, bobPath); shared == 0 || both != mine+his-shared {
		t.Errorf("stats over both journals counts %d entries; Alice's has %d, Bob's %d, %d observed by both: want %d",
			both, mine, his, shared, mine+his-shared)
	}

	// A copy of Bob's journal with one byte changed.
	b, err := os.ReadFile(bobPath)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, []byte("connection refused"))
	if i < 0 {
		t.Fatal("Bob's pin is not in his journal file")
	}
	b[i] = 'C'
	tampered := filepath.Join(dir, "tampered.db")
	if err := os.WriteFile(tampered, b, 0o600); err != nil {
		t.Fatal(err)
	}
	md, stderr = run(true, "export", id, "--journal", alicePath, "--journal", tampered)
	if !strings.Contains(stderr, tampered+": NOT VERIFIED, left out") || !strings.Contains(stderr, "hash mismatch") {
		t.Errorf("export does not name the tampered journal:\n%s", stderr)
	}
	if strings.Contains(md, "onnection refused") || !strings.Contains(md, "Acknowledged by Alice Chen") {
		t.Error("the export reads the tampered journal, or not Alice's")
	}
	md, _ = run(true, "export", id, "--journal", alicePath, "--journal", tampered, "--include-unverified")
	if !strings.Contains(md, "Connection refused") || !strings.Contains(strings.Join(strings.Fields(md), " "), "NOT VERIFIED, included as asked") {
		t.Error("--include-unverified does not read the tampered journal, marked")
	}
	if _, stderr := run(false, "export", id, "--journal", alicePath, "--journal", filepath.Join(dir, "nope.db")); !strings.Contains(stderr, "nope.db: no such file") {
		t.Errorf("a missing journal: %s", stderr)
	}
}

// sharedObservations counts the PagerDuty events both journals hold.
func sharedObservations(t *testing.T, alice *journal.Journal, bobPath string) int {
	t.Helper()
	ids := func(j *journal.Journal) map[string]bool {
		out := map[string]bool{}
		if err := j.Each(context.Background(), 1, func(e journal.Entry) error {
			if strings.HasPrefix(e.SourceID, "pd:") || strings.HasPrefix(e.SourceID, "seen:") {
				out[e.SourceID] = true
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	bob, err := journal.Open(bobPath, journal.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Close()
	a, b := ids(alice), ids(bob)
	n := 0
	for id := range a {
		if b[id] {
			n++
		}
	}
	return n
}

// teamJournals writes Alice's and Bob's journals; Alice's stays open, as
// her running cockpit would hold it.
func teamJournals(t *testing.T, dir string) (id string, alice *journal.Journal, bobPath string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var mu sync.Mutex
	now := time.Now().Add(-time.Hour).Truncate(time.Second)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	step := func() time.Time { mu.Lock(); defer mu.Unlock(); now = now.Add(time.Minute); return now }
	pd := pdemulator.New(pdemulator.Options{Token: "t", Clock: clock})
	url, err := pd.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer pd.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	a, _ := pd.AddUser(pdemulator.User{Name: "Alice Chen", Email: "alice@example.com"})
	b, _ := pd.AddUser(pdemulator.User{Name: "Bob Stone", Email: "bob@example.com"})
	ep, _ := pd.AddEscalationPolicy(pdemulator.EscalationPolicy{Name: "Payments", Levels: []pdemulator.EscalationLevel{{UserIDs: []string{a, b}}}})
	svc, _ := pd.AddService(pdemulator.Service{Name: "payment-gateway", EscalationPolicyID: ep})
	res, err := pd.Trigger(pdemulator.TriggerOptions{ServiceID: svc, Title: "5xx rate above 5%"})
	must(err)
	other, err := pd.Trigger(pdemulator.TriggerOptions{ServiceID: svc, Title: "disk filling on batch-1"})
	must(err)
	client := func(user string) *pagerduty.Client {
		must(pd.SetCurrentUser(user))
		c := pagerduty.New(pagerduty.Config{APIURL: url, Token: "t"})
		_, err := c.Me(ctx)
		must(err)
		return c
	}
	fa, fb := client(a), client(b)
	ja, err := journal.Open(filepath.Join(dir, "alice.db"), journal.Options{})
	must(err)
	bobPath = filepath.Join(dir, "bob.db")
	jb, err := journal.Open(bobPath, journal.Options{})
	must(err)
	defer jb.Close()
	ra, rb := recorder.New(ja, fa, ""), recorder.New(jb, fb, "")
	for _, r := range []*recorder.Recorder{ra, rb} {
		in, err := fa.Incidents(ctx, pagerduty.ScopeAll)
		must(err)
		must(r.Refreshed(ctx, pagerduty.ScopeAll, in, clock()))
	}
	step()
	must(fa.Acknowledge(ctx, res.IncidentID))
	must(ra.Record(ctx, journal.Entry{At: step(), Incident: res.IncidentID, Kind: "note", Summary: "rolled back v2.14.0"}))
	must(rb.Record(ctx, journal.Entry{At: step(), Incident: res.IncidentID, Kind: "pin", Summary: "pinned Logs: connection refused from payments-db"}))
	step()
	must(fb.Resolve(ctx, res.IncidentID))
	for _, x := range []struct {
		rec  *recorder.Recorder
		feed *pagerduty.Client
	}{{ra, fa}, {rb, fb}} {
		d, err := x.feed.Detail(ctx, res.IncidentID)
		must(err)
		must(x.rec.DetailSeen(ctx, d))
	}
	must(rb.Record(ctx, journal.Entry{At: step(), Incident: other.IncidentID, Kind: "note", Summary: "still filling"}))
	return res.IncidentID, ja, bobPath
}
