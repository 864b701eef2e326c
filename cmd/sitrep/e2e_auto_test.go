package main

import (
	"context"
	"strings"
	"testing"
	"time"

	pd "github.com/PagerDuty/go-pagerduty"

	"sitrep/sources/demo/world"
)

// Notify-first automation through the real binary: `sitrep demo --arm`
// says ARMED, and when search-indexer's staging workers get stuck it
// announces restart_stuck_worker on the incident, counts down in a banner
// and runs it; the second stuck incident's countdown is vetoed by Bob's
// note in PagerDuty, and sitrep does not run it. The demo's stuck workers
// and its countdown are brought forward (hidden demo flags).
func TestArmedDemoAnnouncesCountsDownRunsAndHonoursAVeto(t *testing.T) {
	bin := buildSitrep(t)
	dir := t.TempDir()
	env, state := demoEnv(dir)
	term := startTerminal(t, 130, 40, env, bin, "demo", "--seed", "5", "--refresh", "1s", "--arm", "--stuck-in", "4s", "--auto-notify-first", "10s")
	st := readDemoState(t, state)
	term.waitFor("ARMED in the header", 15*time.Second, func(s string) bool {
		first, _, _ := strings.Cut(s, "\n")
		return strings.Contains(first, "ARMED")
	})

	// The banner first says it is announcing (the note on its way), then
	// counts down with the veto key: wait for the countdown, however long
	// a busy machine takes to post the note.
	term.waitFor("the countdown banner offering the veto", 30*time.Second, func(s string) bool {
		return strings.Contains(s, "sitrep will run restart_stuck_worker on search-indexer (") && strings.Contains(s, "unless vetoed — v veto")
	})

	// Bob vetoes the second stuck incident's countdown from PagerDuty.
	bob := pd.NewClient(st.Users["bob"], pd.WithAPIEndpoint(st.PagerDutyURL))
	alice := pd.NewClient(st.Token, pd.WithAPIEndpoint(st.PagerDutyURL))
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	stuck := func() []pd.Incident {
		t.Helper()
		list, err := alice.ListIncidentsWithContext(ctx, pd.ListIncidentsOptions{Limit: 100, Statuses: []string{"triggered", "acknowledged", "resolved"}})
		if err != nil {
			t.Fatal(err)
		}
		var out []pd.Incident
		for _, in := range list.Incidents {
			if in.Title == world.StuckTitle {
				out = append(out, in)
			}
		}
		return out
	}
	announced := func(id string) bool {
		notes, err := alice.ListIncidentNotesWithContext(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range notes {
			if strings.HasPrefix(n.Content, "sitrep will run restart_stuck_worker") {
				return true
			}
		}
		return false
	}
	var first, second pd.Incident
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if s := stuck(); len(s) == 2 {
			first, second = s[0], s[1]
			if first.IncidentNumber > second.IncidentNumber {
				first, second = second, first
			}
			if announced(second.ID) {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no second stuck incident announced; stuck incidents: %+v", stuck())
		}
	}
	if _, err := bob.CreateIncidentNoteWithContext(ctx, second.ID, pd.IncidentNote{Content: "veto"}); err != nil {
		t.Fatal(err)
	}

	term.waitFor("the first run", 30*time.Second, contains("ran restart_stuck_worker on search-indexer: exit 0"))
	screen := term.waitFor("the banner to go", 15*time.Second, func(s string) bool {
		return !strings.Contains(s, "sitrep will run restart_stuck_worker")
	})
	if first, _, _ := strings.Cut(screen, "\n"); !strings.Contains(first, "ARMED") {
		t.Errorf("the header no longer says ARMED:\n%s", screen)
	}

	lastNote := func(id string) string {
		notes, err := alice.ListIncidentNotesWithContext(ctx, id)
		if err != nil || len(notes) == 0 {
			t.Fatalf("notes of %s: %v %v", id, notes, err)
		}
		return notes[len(notes)-1].Content
	}
	var vetoNote string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if vetoNote = lastNote(second.ID); strings.Contains(vetoNote, "vetoed by Bob") {
			break
		}
	}
	if !strings.Contains(vetoNote, "sitrep will not run restart_stuck_worker on search-indexer: vetoed by Bob") {
		t.Errorf("the veto was not announced on #%d: %q", second.IncidentNumber, vetoNote)
	}
	notes, err := alice.ListIncidentNotesWithContext(ctx, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ran bool
	for _, n := range notes {
		ran = ran || strings.Contains(n.Content, "restart_stuck_worker on search-indexer (staging) by sitrep (armed by Alice Chen): exit 0")
	}
	if !ran {
		t.Errorf("no run announced on #%d: %+v", first.IncidentNumber, notes)
	}
	notes, _ = alice.ListIncidentNotesWithContext(ctx, second.ID)
	for _, n := range notes {
		if strings.Contains(n.Content, "by sitrep (armed by") {
			t.Errorf("the vetoed countdown ran on #%d: %q", second.IncidentNumber, n.Content)
		}
	}
	term.send("q")
}
