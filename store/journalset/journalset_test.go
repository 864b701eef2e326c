package journalset_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"sitrep/sources/demo/pdemulator"
	"sitrep/sources/pagerduty"
	"sitrep/store/journal"
	"sitrep/store/journalset"
	"sitrep/store/postmortem/mdlint"
	"sitrep/store/recorder"
)

// team is one incident that Alice and Bob worked on, each with their own
// sitrep and journal, against one PagerDuty (the emulator, through the
// real client): Alice acknowledged it and wrote a note in her journal; Bob
// added a note in PagerDuty, pinned evidence and resolved it. Both sitreps
// journaled PagerDuty's timeline, so both journals hold the same log
// entries.
type team struct {
	id         string
	a, b       string // journal paths
	ja, jb     *journal.Journal
	otherIncid string
}

const (
	aliceNote = "rolled back v2.14.0"
	bobPin    = "pinned Logs: connection refused from payments-db"
	otherText = "a note about another incident entirely"
)

func twoEngineers(t *testing.T) *team {
	t.Helper()
	ctx := context.Background()
	// PagerDuty's clock moves a minute at each step, so the record has
	// one order to be in; the engineers' own entries take its time too.
	var mu sync.Mutex
	now := time.Now().Add(-time.Hour).Truncate(time.Second)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	step := func() time.Time { mu.Lock(); defer mu.Unlock(); now = now.Add(time.Minute); return now }
	pd := pdemulator.New(pdemulator.Options{Token: "t", Clock: clock})
	url, err := pd.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pd.Close() })
	alice, _ := pd.AddUser(pdemulator.User{Name: "Alice Chen", Email: "alice@example.com"})
	bob, _ := pd.AddUser(pdemulator.User{Name: "Bob Stone", Email: "bob@example.com"})
	ep, _ := pd.AddEscalationPolicy(pdemulator.EscalationPolicy{Name: "Payments", Levels: []pdemulator.EscalationLevel{{UserIDs: []string{alice, bob}}}})
	svc, _ := pd.AddService(pdemulator.Service{Name: "payment-gateway", EscalationPolicyID: ep})
	res, err := pd.Trigger(pdemulator.TriggerOptions{ServiceID: svc, Title: "5xx rate above 5%"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := pd.Trigger(pdemulator.TriggerOptions{ServiceID: svc, Title: "disk filling on batch-1"})
	if err != nil {
		t.Fatal(err)
	}
	// Each client learns who it acts as once, when it first asks.
	feed := func(user string) *pagerduty.Client {
		if err := pd.SetCurrentUser(user); err != nil {
			t.Fatal(err)
		}
		c := pagerduty.New(pagerduty.Config{APIURL: url, Token: "t"})
		if _, err := c.Me(ctx); err != nil {
			t.Fatal(err)
		}
		return c
	}
	fa, fb := feed(alice), feed(bob)
	dir := t.TempDir()
	tm := &team{id: res.IncidentID, a: filepath.Join(dir, "alice.db"), b: filepath.Join(dir, "bob.db"), otherIncid: other.IncidentID}
	open := func(p string) *journal.Journal {
		j, err := journal.Open(p, journal.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { j.Close() })
		return j
	}
	tm.ja, tm.jb = open(tm.a), open(tm.b)
	ra, rb := recorder.New(tm.ja, fa, ""), recorder.New(tm.jb, fb, "")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []struct {
		rec  *recorder.Recorder
		feed *pagerduty.Client
	}{{ra, fa}, {rb, fb}} {
		in, err := r.feed.Incidents(ctx, pagerduty.ScopeAll)
		must(err)
		must(r.rec.Refreshed(ctx, pagerduty.ScopeAll, in, time.Now()))
	}
	step()
	must(fa.Acknowledge(ctx, tm.id))
	must(ra.Record(ctx, journal.Entry{At: step(), Incident: tm.id, Kind: "note", Summary: aliceNote}))
	step()
	_, err = fb.AddNote(ctx, tm.id, "replica caught up")
	must(err)
	must(rb.Record(ctx, journal.Entry{At: step(), Incident: tm.id, Kind: "pin", Summary: bobPin}))
	must(rb.Record(ctx, journal.Entry{At: step(), Incident: tm.otherIncid, Kind: "note", Summary: otherText}))
	step()
	must(fb.Resolve(ctx, tm.id))
	for _, r := range []struct {
		rec  *recorder.Recorder
		feed *pagerduty.Client
	}{{ra, fa}, {rb, fb}} {
		d, err := r.feed.Detail(ctx, tm.id)
		must(err)
		must(r.rec.DetailSeen(ctx, d))
	}
	// Bob looks at something else afterwards: his journal goes on.
	must(rb.Record(ctx, journal.Entry{Incident: tm.otherIncid, Kind: "note", Summary: "still filling"}))
	return tm
}

// closeAll closes both journals, as when their sitreps have exited.
func (tm *team) closeAll(t *testing.T) {
	t.Helper()
	for _, j := range []*journal.Journal{tm.ja, tm.jb} {
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func openSet(t *testing.T, opts journalset.Options, paths ...string) *journalset.Set {
	t.Helper()
	s, err := journalset.Open(context.Background(), paths, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func export(t *testing.T, s *journalset.Set, id string) string {
	t.Helper()
	es, err := s.Incident(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	// No PagerDuty: the draft comes from the journals alone.
	if err := recorder.New(nil, nil, "").ExportEntriesTo(context.Background(), &buf, id, journalset.Journal(es), s.Audit(es)); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestTwoJournalsMergeEachEventOnce(t *testing.T) {
	tm := twoEngineers(t)
	tm.closeAll(t)
	s := openSet(t, journalset.Options{}, tm.a, tm.b)
	for _, src := range s.Sources() {
		if !src.Verified || !src.Included || src.Head.Seq == 0 {
			t.Errorf("source %+v: want verified, included, with a head", src)
		}
	}
	es, err := s.Incident(context.Background(), tm.id)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	logs, shared := 0, 0
	for i, e := range es {
		if i > 0 && e.At.Before(es[i-1].At) {
			t.Errorf("entry %d (%s at %s) comes before the one above it (%s)", i, e.Kind, e.At, es[i-1].At)
		}
		if e.Incident != tm.id {
			t.Errorf("entry of incident %s in %s's record", e.Incident, tm.id)
		}
		if e.SourceID != "" {
			count[e.SourceID]++
		}
		if strings.HasPrefix(e.SourceID, "pd:log:") {
			logs++
			if e.Observers == 2 {
				shared++
			}
		}
	}
	for id, n := range count {
		if n > 1 {
			t.Errorf("%s is in the merged record %d times, want once", id, n)
		}
	}
	// trigger, acknowledge, annotate, resolve at least, all seen by both.
	if logs < 4 || shared != logs {
		t.Errorf("%d PagerDuty log entries, %d of them seen by both journals; want at least 4, all shared", logs, shared)
	}
	actorOf := map[string]string{}
	for _, e := range es {
		actorOf[e.Summary] = e.Actor
	}
	if actorOf[aliceNote] != "Alice Chen" || actorOf[bobPin] != "Bob Stone" {
		t.Errorf("each engineer's own entries keep their actor: note by %q, pin by %q", actorOf[aliceNote], actorOf[bobPin])
	}

	md := export(t, s, tm.id)
	if n := strings.Count(md, "Acknowledged by Alice Chen"); n != 1 {
		t.Errorf("the acknowledgement is in the export %d times, want once", n)
	}
	if n := strings.Count(md, "Resolved by Bob Stone"); n != 1 {
		t.Errorf("the resolution is in the export %d times, want once", n)
	}
	responders := section(md, "## Responders")
	for _, who := range []string{"Alice Chen", "Bob Stone"} {
		if !strings.Contains(responders, who) {
			t.Errorf("the responders lack %s:\n%s", who, responders)
		}
	}
	timeline := section(md, "## Timeline")
	if strings.Index(timeline, "Acknowledged by Alice Chen") > strings.Index(timeline, "Resolved by Bob Stone") ||
		!strings.Contains(timeline, aliceNote) || !strings.Contains(timeline, "connection refused") {
		t.Errorf("the timeline is out of order or lacks an engineer's entries:\n%s", timeline)
	}
	if strings.Contains(md, otherText) {
		t.Error("another incident's note is in the export")
	}
	audit := section(md, "## Audit")
	for _, src := range s.Sources() {
		if !strings.Contains(audit, src.Head.Hash.String()) || !strings.Contains(flat(audit), filepath.Base(src.Path)) {
			t.Errorf("the Audit section does not list %s with its head %s:\n%s", src.Path, src.Head.Hash, audit)
		}
	}
	mdlint.Check(t, map[string]string{"export.md": md})
}

// TestTamperedJournalIsNamedAndLeftOut: a byte flipped in one entry of
// Bob's journal: the set names it and reads Alice's alone, unless asked
// to include it, and then says it did not verify.
func TestTamperedJournalIsNamedAndLeftOut(t *testing.T) {
	tm := twoEngineers(t)
	tm.closeAll(t)
	flipByte(t, tm.b, []byte("connection refused"))

	s := openSet(t, journalset.Options{}, tm.a, tm.b)
	src := s.Sources()[1]
	if src.Included || src.Verified || !strings.Contains(src.Problem, "hash mismatch") {
		t.Fatalf("the tampered journal: %+v; want it left out for a hash mismatch", src)
	}
	if !strings.Contains(src.Status(), tm.b) || !strings.Contains(src.Status(), "left out") {
		t.Errorf("its status does not name it: %s", src.Status())
	}
	md := export(t, s, tm.id)
	if strings.Contains(md, "connection") || strings.Contains(md, "Bob Stone: pinned") {
		t.Error("the tampered journal's entries are in the export")
	}
	if !strings.Contains(md, "Acknowledged by Alice Chen") {
		t.Error("Alice's journal is not in the export")
	}
	if audit := flat(section(md, "## Audit")); !strings.Contains(audit, "NOT VERIFIED, left out") || !strings.Contains(audit, "hash mismatch") {
		t.Errorf("the Audit section does not name the tampered journal:\n%s", audit)
	}
	mdlint.Check(t, map[string]string{"export.md": md})

	s = openSet(t, journalset.Options{IncludeUnverified: true}, tm.a, tm.b)
	src = s.Sources()[1]
	if !src.Included || src.Verified {
		t.Fatalf("with IncludeUnverified: %+v; want it included and marked unverified", src)
	}
	md = export(t, s, tm.id)
	if !strings.Contains(md, "onnection refused") && !strings.Contains(md, "connection refuse") {
		t.Error("the included journal's entries are not in the export")
	}
	if audit := flat(section(md, "## Audit")); !strings.Contains(audit, "NOT VERIFIED, included as asked") {
		t.Errorf("the Audit section does not mark the included journal:\n%s", audit)
	}

	_, err := journalset.Open(context.Background(), []string{tm.b}, journalset.Options{})
	if !errors.Is(err, journalset.ErrNoneUsable) || !strings.Contains(err.Error(), tm.b) || !strings.Contains(err.Error(), "--include-unverified") {
		t.Errorf("a set of one tampered journal: %v; want it named, with the flag that reads it anyway", err)
	}
}

// TestHeldJournalIsRead: a journal whose sitrep is still running is read
// from a snapshot, without waiting for it and without stopping it.
func TestHeldJournalIsRead(t *testing.T) {
	tm := twoEngineers(t)
	s := openSet(t, journalset.Options{LockTimeout: 50 * time.Millisecond}, tm.a, tm.b)
	for _, src := range s.Sources() {
		if !src.Snapshot || !src.Verified {
			t.Errorf("%s: snapshot %v verified %v; want a verified snapshot", src.Path, src.Snapshot, src.Verified)
		}
	}
	if _, err := tm.jb.Append(journal.Entry{Incident: tm.id, Kind: "note", Summary: "the writer goes on"}); err != nil {
		t.Errorf("the writer was stopped by the reader: %v", err)
	}
}

// TestEachStreamsEveryEntryOnce: the stream over whole journals (a team's
// review) keeps each PagerDuty event once and every engineer's own.
func TestEachStreamsEveryEntryOnce(t *testing.T) {
	tm := twoEngineers(t)
	tm.closeAll(t)
	s := openSet(t, journalset.Options{}, tm.a, tm.b)
	seen := map[string]int{}
	notes := 0
	if err := s.Each(context.Background(), func(e journalset.Entry) error {
		if e.SourceID != "" {
			seen[e.SourceID]++
		}
		if e.Kind == "note" {
			notes++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for id, n := range seen {
		if n > 1 {
			t.Errorf("%s streamed %d times", id, n)
		}
	}
	if notes != 3 { // Alice's, and Bob's two on the other incident
		t.Errorf("%d notes streamed, want 3", notes)
	}
}

func TestBadPaths(t *testing.T) {
	tm := twoEngineers(t)
	tm.closeAll(t)
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, []byte("not a journal at all, just some text long enough"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "same.db")
	if err := os.Symlink(tm.a, link); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		paths []string
		want  []string
	}{
		{"missing", []string{tm.a, filepath.Join(dir, "nope.db")}, []string{"nope.db", "no such file"}},
		{"directory", []string{dir}, []string{dir, "is a directory"}},
		{"same file twice", []string{tm.a, link}, []string{"same.db", "given twice"}},
		{"none", nil, []string{"no journal given"}},
	}
	for _, tc := range tests {
		_, err := journalset.Open(context.Background(), tc.paths, journalset.Options{})
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v; want it to say %q", tc.name, err, w)
			}
		}
	}
	// Text that is not a journal: left out as damaged, named.
	_, err := journalset.Open(context.Background(), []string{text}, journalset.Options{IncludeUnverified: true})
	if err == nil || !strings.Contains(err.Error(), text) {
		t.Errorf("a text file as a journal: %v; want it named", err)
	}
	_, err = journalset.Open(context.Background(), []string{text}, journalset.Options{})
	if err == nil || strings.Contains(err.Error(), "--include-unverified") {
		t.Errorf("a damaged file: %v; want no offer to read what cannot be read", err)
	}
	if os.Getuid() != 0 { // root reads anything
		locked := filepath.Join(dir, "locked.db")
		b, _ := os.ReadFile(tm.b)
		if err := os.WriteFile(locked, b, 0o000); err != nil {
			t.Fatal(err)
		}
		_, err := journalset.Open(context.Background(), []string{tm.a, locked}, journalset.Options{})
		if err == nil || !strings.Contains(err.Error(), "locked.db") || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("an unreadable journal: %v; want it named with the reason", err)
		}
	}
}

// flipByte changes one byte of the first place marker occurs in the file.
func flipByte(t *testing.T, path string, marker []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, marker)
	if i < 0 {
		t.Fatalf("%q is not in %s", marker, path)
	}
	b[i] ^= 0x20 // "c" becomes "C"
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// section returns a markdown section, from its heading to the next.
func section(md, heading string) string {
	i := strings.Index(md, heading+"\n")
	if i < 0 {
		return ""
	}
	rest := md[i+len(heading):]
	if j := strings.Index(rest, "\n## "); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// flat joins wrapped lines and undoes markdown escapes, to search text.
func flat(s string) string {
	s = strings.ReplaceAll(s, "\\", "")
	return strings.Join(strings.Fields(s), " ")
}
