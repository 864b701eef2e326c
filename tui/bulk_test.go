package tui

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"sitrep/sources/demo/pdemulator"
	"sitrep/sources/pagerduty"
	"sitrep/store/journal"
	"sitrep/store/outbox"
)

func typeText(t testing.TB, m Model, s string) Model {
	t.Helper()
	for _, k := range typed(s) {
		m = step(t, m, k)
	}
	return m
}

func pickedIDs(m Model) map[string]bool {
	out := map[string]bool{}
	for id := range m.picked.ids {
		out[id] = true
	}
	return out
}

// The selection is kept by incident ID: a filter hides rows without
// dropping them, V adds what is shown, and a refresh drops only what left
// the list, saying so.
func TestSelectionSurvivesFilterAndRefresh(t *testing.T) {
	incidents := fixture(10)
	m := loaded(t, incidents, 120, 40)
	first := selectedID(t, m)
	m = press(t, m, "space", "j", "j", "space")
	second := selectedID(t, m)
	if got := pickedIDs(m); len(got) != 2 || !got[first] || !got[second] {
		t.Fatalf("picked %v, want %s and %s", got, first, second)
	}
	if v := plainView(m); !strings.Contains(v, "2 selected") || strings.Count(v, "✓") != 2 {
		t.Fatalf("header or marks do not show the selection:\n%s", v)
	}

	// A filter that hides both: they stay selected; V selects what shows.
	m = press(t, m, "/")
	m = typeText(t, m, "search-indexer")
	m = press(t, m, "enter")
	shown := m.list.len()
	if shown == 0 || shown == len(incidents) {
		t.Fatalf("the filter shows %d of %d", shown, len(incidents))
	}
	m = press(t, m, "V")
	if got := pickedIDs(m); len(got) != 2+shown || !got[first] || !got[second] {
		t.Fatalf("after V with %d shown: %d picked", shown, len(got))
	}
	// V again, with all shown selected, clears the selection.
	m = press(t, m, "V")
	if m.picked.len() != 0 {
		t.Fatalf("V with every shown incident selected left %d selected", m.picked.len())
	}
	m = press(t, m, "esc") // clears the filter
	m = press(t, m, "g", "space", "j", "j", "space")
	if m.picked.len() != 2 {
		t.Fatalf("picked %d", m.picked.len())
	}

	// A refresh without the first: it drops out, and the header says so.
	var next []pagerduty.Incident
	for _, in := range incidents {
		if in.ID != first {
			next = append(next, in)
		}
	}
	m = step(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: next, at: t0})
	if got := pickedIDs(m); len(got) != 1 || !got[second] {
		t.Fatalf("after the refresh picked %v, want only %s", got, second)
	}
	if v := plainView(m); !strings.Contains(strings.Split(v, "\n")[0], "1 selected (1 left the list)") {
		t.Errorf("the header does not say one selected incident left the list:\n%s", v)
	}
	// Said once: the next key takes it away.
	m = press(t, m, "k", "j")
	if v := plainView(m); strings.Contains(v, "left the list") || !strings.Contains(v, "1 selected") {
		t.Errorf("after a key the header still says what left, or lost the selection:\n%s", v)
	}
	// esc with a selection clears it.
	m = press(t, m, "esc")
	if m.picked.len() != 0 || strings.Contains(plainView(m), "selected ") && strings.Contains(plainView(m), "1 selected") {
		t.Errorf("esc left %d selected", m.picked.len())
	}
}

// The preview lists every incident with what happens to it, skips what
// makes no sense with the reason, and asks for the typed count when the
// service is production (no environment known: production).
func TestBulkPreviewListsEverySelectedIncident(t *testing.T) {
	incidents := fixture(6) // statuses: triggered, acknowledged, triggered, …
	m := loaded(t, incidents, 120, 40)
	m = press(t, m, "V", "a")
	b, ok := m.screen.(*bulkScreen)
	if !ok {
		t.Fatalf("a with a selection opened %T", m.screen)
	}
	if len(b.rows) != 6 {
		t.Fatalf("preview lists %d incidents, want 6", len(b.rows))
	}
	v := plainView(m)
	for _, in := range incidents {
		if !strings.Contains(v, fmt.Sprintf("#%d", in.Number)) {
			t.Errorf("#%d is not in the preview:\n%s", in.Number, v)
		}
	}
	acked := 0
	for _, in := range incidents {
		if in.Status == pagerduty.StatusAcknowledged {
			acked++
		}
	}
	if got := strings.Count(v, "skipped: already acknowledged"); got != acked {
		t.Errorf("%d rows skipped as acknowledged, want %d:\n%s", got, acked, v)
	}
	if want := fmt.Sprintf("Type %d to acknowledge", 6-acked); !strings.Contains(v, want) {
		t.Errorf("no typed confirmation %q:\n%s", want, v)
	}
	// Without an outbox the confirmation is refused and nothing changes.
	m = typeText(t, m, fmt.Sprint(6-acked))
	m = press(t, m, "enter")
	if m.screen == nil {
		t.Fatal("the preview closed")
	}
}

func TestBulkSnoozeAsksHowLongAndReadOnlyRefuses(t *testing.T) {
	incidents := fixture(3)
	clk := &clock{t: t0}
	m := New(nil, Options{Now: clk.now})
	m = step(t, m, tea.WindowSizeMsg{Width: 120, Height: 40})
	m = step(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: incidents, at: t0})
	m = press(t, m, "z")
	clk.add(time.Second) // past the hold on keys typed before the screen opened
	b, ok := m.screen.(*bulkScreen)
	if !ok || b.stage != bulkAsking || len(b.rows) != 1 {
		t.Fatalf("z without a selection: %T", m.screen)
	}
	m = typeText(t, m, "2 weeks")
	m = press(t, m, "enter")
	if !strings.Contains(plainView(m), "not a snooze length") {
		t.Errorf("a bad length is not refused:\n%s", plainView(m))
	}
	b.input.SetValue("")
	m = typeText(t, m, "30m")
	m = press(t, m, "enter")
	if b.stage != bulkPreview || b.snooze != 30*time.Minute {
		t.Fatalf("stage %d, snooze %s", b.stage, b.snooze)
	}
	if in := incidents[0]; in.Status == pagerduty.StatusTriggered && !strings.Contains(plainView(m), "PagerDuty snoozes only those") {
		t.Errorf("a triggered incident is not skipped for a snooze:\n%s", plainView(m))
	}

	ro := New(nil, Options{Now: fixedClock, ReadOnly: true})
	ro = step(t, ro, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: incidents, at: t0})
	ro = press(t, ro, "space", "A")
	if ro.screen != nil || !strings.Contains(plainView(ro), "read-only") {
		t.Errorf("A in read-only opened %T:\n%s", ro.screen, plainView(ro))
	}
}

// clock is a settable clock, so the preview's grace period can pass.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// drain runs a Cmd and every Cmd its messages bring, feeding the model,
// except the ones that wait on time or on the outbox.
func drain(t *testing.T, m Model, cmd tea.Cmd) Model {
	t.Helper()
	if cmd == nil {
		return m
	}
	switch msg := cmd().(type) {
	case tea.BatchMsg:
		for _, c := range msg {
			m = drain(t, m, c)
		}
	case bulkConfirmed, bulkQueued:
		next, more := m.Update(msg)
		m = drain(t, next.(Model), more)
	}
	return m
}

// A bulk acknowledgement through the real outbox and the emulator: one
// confirmation, one bulk request, one journal entry per incident; a 5xx
// shows as a retry on every incident of the request, and the incident
// resolved elsewhere fails with PagerDuty's reason and stays selected.
func TestBulkAcknowledgeShowsWhereEachIncidentGotTo(t *testing.T) {
	pd, feed, first := emulatorFeed(t)
	inc, _ := pd.Incident(first)
	ids := []string{first}
	for i := range 3 {
		res, err := pd.Trigger(pdemulator.TriggerOptions{ServiceID: inc.ServiceID, Title: fmt.Sprintf("queue %d backing up", i)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.IncidentID)
	}
	j, err := journal.Open(filepath.Join(t.TempDir(), "journal.db"), journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	ob, err := outbox.Open(j, feed, func(_ context.Context, e journal.Entry) error { _, err := j.Append(e); return err })
	if err != nil {
		t.Fatal(err)
	}
	ob.MinBackoff, ob.MaxBackoff = 50*time.Millisecond, 200*time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { ob.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	clk := &clock{t: time.Now()}
	m := New(feed, Options{Now: clk.now, Outbox: ob})
	m = step(t, m, tea.WindowSizeMsg{Width: 140, Height: 40})
	m = step(t, m, run(t, m.loadIncidents()))
	if m.list.len() != 4 {
		t.Fatalf("listed %d incidents", m.list.len())
	}
	// Resolved elsewhere after the list was read.
	if err := pd.Resolve(ids[2], inc.AssigneeIDs[0]); err != nil {
		t.Fatal(err)
	}
	// PagerDuty fails the first attempt (the request and the transport's
	// three retries).
	if err := pd.InjectFault(pdemulator.Fault{Method: http.MethodPut, Path: "/incidents", Kind: pdemulator.FaultServerError, Status: 503, Times: 4}); err != nil {
		t.Fatal(err)
	}
	pd.ResetRequests()

	m = press(t, m, "V", "a")
	b := m.screen.(*bulkScreen)
	clk.add(time.Second)
	m = typeText(t, m, "4")
	next, cmd := m.Update(keyMsg("enter"))
	m = drain(t, next.(Model), cmd)
	if b.stage != bulkSubmitted {
		t.Fatalf("not submitted: %s", plainView(m))
	}

	sawRetry := false
	deadline := time.After(30 * time.Second)
	for settled := false; !settled; {
		select {
		case snap := <-ob.Changes():
			m = step(t, m, outboxChanged{snap: snap})
			if strings.Contains(plainView(m), "retrying: attempt 1") {
				sawRetry = true
			}
			settled = len(snap.Settled) > 0
		case <-deadline:
			t.Fatalf("the bulk write never settled:\n%s", plainView(m))
		}
	}
	if !sawRetry {
		t.Error("the 503 never showed as a retry on the incidents")
	}
	v := plainView(m)
	if got := strings.Count(v, "✓ acknowledged"); got != 3 {
		t.Errorf("%d rows acknowledged, want 3:\n%s", got, v)
	}
	if !strings.Contains(v, "✗ failed:") || !strings.Contains(v, "resolved") {
		t.Errorf("the incident resolved elsewhere does not say it failed and why:\n%s", v)
	}
	if got := pickedIDs(m); len(got) != 1 || !got[ids[2]] {
		t.Errorf("after the run picked %v, want only the failed %s", got, ids[2])
	}
	puts := 0
	for _, r := range pd.Requests() {
		if r.Method == http.MethodPut && r.Path == "/incidents" && r.Status < 300 {
			puts++
		}
	}
	if puts != 1 {
		t.Errorf("%d successful PUT /incidents, want 1 (after the 503s, and the 400 that named the resolved incident)", puts)
	}
	for _, id := range ids {
		es, err := j.Entries(id)
		if err != nil {
			t.Fatal(err)
		}
		ops := 0
		for _, e := range es {
			if e.Kind == "operation" && strings.Contains(e.Summary, b.run) {
				ops++
			}
		}
		if ops != 1 {
			t.Errorf("%s has %d operation entries naming %s, want 1", id, ops, b.run)
		}
	}
}
