package tui

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"sitrep/actions"
	"sitrep/sources/pagerduty"
	"sitrep/store/journal"
	"sitrep/store/outbox"
)

// journalFixture is an incident's journal as sitrep writes it: a status
// change, a pin of log lines, a note waiting in the outbox, a blocked
// preview and a finished run with its output and effect.
func journalFixture(in pagerduty.Incident) []journal.Entry {
	at := func(d time.Duration) time.Time { return in.CreatedAt.Add(d) }
	exit := 0
	ok := true
	finished, _ := json.Marshal(actions.Record{
		RunID: "run-1", Incident: in.ID, Step: actions.StepFinished, Action: "restart_service", Runner: "exec",
		Target: "payment-gateway", Env: "prod", Command: []string{"sitrep", "demo-ctl", "restart", "payment-gateway"},
		DryRun: "would restart 3 pods", DryRunOK: &ok, Verdict: "allowed", ConfirmedBy: "Alice Chen",
		Result: "exit 0", ExitCode: &exit, DurationMS: 2630,
		Output:  "stopping payment-gateway\npods ready: 3/3\n",
		Outcome: "helped",
		Effect:  []actions.MetricChange{{Name: "5xx rate", Unit: "%", Before: 0.31, After: 0.05, At: at(9 * time.Minute)}},
	})
	blocked, _ := json.Marshal(actions.Record{
		RunID: "run-0", Incident: in.ID, Step: actions.StepBlocked, Action: "flush_cache", Target: "payment-gateway",
		Env: "prod", Verdict: "blocked: at most 1 run per 10m", BlockedBy: "rate_limit",
	})
	return []journal.Entry{
		{Seq: 1, At: at(time.Minute), Recorded: at(time.Minute), Incident: in.ID, Kind: "status.acknowledge", Actor: "Alice Chen",
			Summary: "Acknowledged by Alice Chen."},
		{Seq: 2, At: at(2 * time.Minute), Recorded: at(2 * time.Minute), Incident: in.ID, Kind: "pin", Actor: "Alice Chen",
			Summary: "pinned Logs: ERROR upstream 502 from payment-gateway-d5dgzzjrpj-jd9kh after 30s waiting for a connection from the pool",
			Data:    mustJSON(map[string]any{"observed": true, "pane": "Logs", "lines": []string{"ERROR upstream 502", "ERROR upstream 503"}})},
		{Seq: 3, At: at(3 * time.Minute), Recorded: at(3 * time.Minute), Incident: in.ID, Kind: "note", Actor: "Alice Chen",
			Summary: "restarting the gateway, pool exhausted",
			Data:    mustJSON(map[string]any{"text": "restarting the gateway, pool exhausted", "pagerduty": true, outbox.DataKey: "ob-1"})},
		{Seq: 4, At: at(4 * time.Minute), Recorded: at(4 * time.Minute), Incident: in.ID, Kind: "action.blocked", Actor: "sitrep",
			Summary: "flush_cache blocked on payment-gateway (prod): blocked by rate_limit", Data: blocked},
		{Seq: 5, At: at(8 * time.Minute), Recorded: at(8*time.Minute + 3*time.Second), Incident: in.ID, Kind: "action.finished", Actor: "Alice Chen",
			Summary: "restart_service finished on payment-gateway (prod): exit 0", Data: finished},
	}
}

// openJournal is a model at w×h with J open on the first incident and
// its journal read.
func openJournal(t *testing.T, w, h int, entries func(pagerduty.Incident) []journal.Entry, pending ...string) (Model, pagerduty.Incident) {
	t.Helper()
	incidents := fixture(3)
	now := t0
	m := New(nil, Options{Now: func() time.Time { return now }, Recorder: &memoryRecorder{}})
	m = step(t, m, tea.WindowSizeMsg{Width: w, Height: h})
	m = step(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: incidents, at: t0.Add(-4 * time.Second)})
	in, _ := m.list.selected()
	m = press(t, m, "J")
	if m.shownJournal() == nil {
		t.Fatal("J did not open the journal")
	}
	if len(pending) > 0 {
		m.shownJournal().pending = map[string]bool{}
	}
	for _, id := range pending {
		m.shownJournal().pending[id] = true
	}
	m = step(t, m, journalRead{id: in.ID, entries: entries(in)})
	now = now.Add(time.Second) // past the grace period of what J opened
	return m, in
}

// enter opens the entry under the cursor with everything it holds, read
// as text rather than JSON; esc goes back with the cursor where it was.
func TestJournalEntryOpensWithItsDataAndEscReturns(t *testing.T) {
	m, in := openJournal(t, 80, 50, journalFixture)
	m = press(t, m, "G", "enter")
	got := plainView(m)
	assertFits(t, got, 80, 50)
	for _, want := range []string{
		"Entry 5 of 5 · journal of #1000",
		"when       " + in.CreatedAt.Add(8*time.Minute).UTC().Format("2006-01-02 15:04:05") + " UTC, T+8m00s from the incident's start",
		"journaled  " + in.CreatedAt.Add(8*time.Minute+3*time.Second).UTC().Format("2006-01-02 15:04:05") + " UTC",
		"kind       action.finished",
		"actor      Alice Chen",
		"summary    restart_service finished on payment-gateway (prod): exit 0",
		"command: [sitrep, demo-ctl, restart, payment-gateway]",
		"output: |", "    stopping payment-gateway", "    pods ready: 3/3",
		"effect:", "- name: 5xx rate", "before: 0.31", "after: 0.05",
		"esc back to the list",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the opened entry lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, `{"`) {
		t.Errorf("the entry shows raw JSON:\n%s", got)
	}
	m = press(t, m, "esc")
	if m.shownJournal() == nil || m.shownJournal().open != nil || m.shownJournal().cursor != 4 {
		t.Fatalf("esc from the entry: journal %v, want the list with the cursor on entry 5", m.shownJournal())
	}
	if got := plainView(m); !strings.Contains(got, "▌") || !strings.Contains(got, "entry 5 of 5") {
		t.Errorf("back on the list the cursor is not on the entry:\n%s", got)
	}
	m = press(t, m, "k", "k", "enter")
	got = plainView(m)
	for _, want := range []string{"kind       note", "delivery", "text: restarting the gateway, pool exhausted"} {
		if !strings.Contains(got, want) {
			t.Errorf("the note's entry lacks %q:\n%s", want, got)
		}
	}
	m = press(t, m, "esc", "esc")
	if m.shownJournal() != nil {
		t.Error("esc on the list did not close the journal")
	}
}

// A blocked action says which rule blocked it; a pin shows its lines.
func TestJournalEntryShowsWhyBlockedAndPinnedLines(t *testing.T) {
	m, _ := openJournal(t, 80, 24, journalFixture)
	m = press(t, m, "j", "enter")
	if got := plainView(m); !strings.Contains(got, "lines: [ERROR upstream 502, ERROR upstream 503]") || !strings.Contains(got, "pane: Logs") {
		t.Errorf("the pin lacks its lines:\n%s", got)
	}
	m = press(t, m, "esc", "j", "j", "enter")
	got := plainView(m)
	for _, want := range []string{"blocked_by: rate_limit", "verdict: blocked: at most 1 run per 10m"} {
		if !strings.Contains(got, want) {
			t.Errorf("the blocked preview lacks %q:\n%s", want, got)
		}
	}
}

// Where a note's PagerDuty write got to: waiting, delivered, or refused.
func TestJournalEntryDeliveryState(t *testing.T) {
	pendingNote := func(in pagerduty.Incident) []journal.Entry { return journalFixture(in)[2:3] }
	m, _ := openJournal(t, 80, 24, pendingNote, "ob-1")
	m = press(t, m, "enter")
	if got := plainView(m); !strings.Contains(got, "pending: waiting to be delivered to PagerDuty") {
		t.Errorf("a waiting note does not say so:\n%s", got)
	}
	for kind, want := range map[string]string{
		outbox.KindDelivered: "delivered to PagerDuty at",
		outbox.KindFailed:    "failed: PagerDuty did not take it (incident is resolved)",
	} {
		settled := func(in pagerduty.Incident) []journal.Entry {
			es := journalFixture(in)[2:3]
			return append(es, journal.Entry{Seq: 9, At: es[0].At.Add(time.Second), Incident: in.ID, Kind: kind, Actor: "sitrep",
				Summary: "note settled", Data: mustJSON(map[string]any{outbox.DataKey: "ob-1", "reason": "incident is resolved", "attempts": 1})})
		}
		m, _ := openJournal(t, 80, 24, settled)
		m = press(t, m, "enter")
		if got := plainView(m); !strings.Contains(got, want) {
			t.Errorf("%s: the note's delivery lacks %q:\n%s", kind, want, got)
		}
	}
}

// Text from outside reaches the screen without its control sequences, in
// the list and in the opened entry.
func TestJournalEntrySanitized(t *testing.T) {
	hostile := func(in pagerduty.Incident) []journal.Entry {
		return []journal.Entry{{Seq: 1, At: in.CreatedAt, Incident: in.ID, Kind: "note", Actor: "Mallory\x1b]0;owned\x07",
			Summary: "hello\x1b[2J world",
			Data:    json.RawMessage(`{"text":"line one\n\u001b[31mred\u001b[0m\n\u001b]8;;http://evil\u0007link","k\u001b[2Jey":"v"}`)}}
	}
	m, _ := openJournal(t, 80, 24, hostile)
	for _, screen := range []string{"list", "entry"} {
		raw := m.render()
		for _, bad := range []string{"\x1b]", "\x1b[2J", "\x1b[31m", "\x07"} {
			if strings.Contains(raw, bad) {
				t.Errorf("%s: the screen carries %q from the entry", screen, bad)
			}
		}
		m = press(t, m, "enter")
	}
	if got := plainView(m); !strings.Contains(got, "red") || !strings.Contains(got, "hello") {
		t.Errorf("sanitizing lost the text itself:\n%s", got)
	}
}

// A long entry scrolls with j/k and pgup/pgdn and shows its last line at
// G; nothing overflows 80×24.
func TestJournalEntryScrolls(t *testing.T) {
	long := func(in pagerduty.Incident) []journal.Entry {
		var out strings.Builder
		for i := range 100 {
			fmt.Fprintf(&out, "output line %03d\n", i)
		}
		return []journal.Entry{{Seq: 1, At: in.CreatedAt, Incident: in.ID, Kind: "action.output", Actor: "sitrep",
			Summary: "restart_service output", Data: mustJSON(map[string]any{"output": out.String()})}}
	}
	m, _ := openJournal(t, 80, 24, long)
	m = press(t, m, "enter")
	if got := plainView(m); strings.Contains(got, "output line 050") || !strings.Contains(got, "output line 000") {
		t.Fatalf("the entry does not start at its top:\n%s", got)
	}
	m = press(t, m, "pgdown", "pgdown")
	got := plainView(m)
	assertFits(t, got, 80, 24)
	if strings.Contains(got, "output line 000") || !strings.Contains(got, "output line 030") {
		t.Errorf("two pages down:\n%s", got)
	}
	m = press(t, m, "G")
	if got := plainView(m); !strings.Contains(got, "output line 099") || !strings.Contains(got, "lines 90–109 of 109") {
		t.Errorf("G does not reach the last line:\n%s", got)
	}
	m = press(t, m, "pgup", "k", "g")
	if got := plainView(m); !strings.Contains(got, "kind       action.output") {
		t.Errorf("g does not return to the top:\n%s", got)
	}
}

// At 80 columns every summary reads in full (up to three lines), and the
// cursor stays on screen as it moves through a journal longer than it.
func TestJournalListTwoLinesAt80(t *testing.T) {
	many := func(in pagerduty.Incident) []journal.Entry {
		var es []journal.Entry
		for i := range 40 {
			es = append(es, journal.Entry{Seq: uint64(i + 1), At: in.CreatedAt.Add(time.Duration(i) * time.Minute), Incident: in.ID,
				Kind: "action.finished", Actor: "Alice Chen",
				Summary: fmt.Sprintf("restart_service finished on payment-gateway (prod): exit 0 after 2,630 ms, run %02d", i)})
		}
		return es
	}
	m, _ := openJournal(t, 80, 24, many)
	got := plainView(m)
	assertFits(t, got, 80, 24)
	if !strings.Contains(got, "   restart_service finished on payment-gateway (prod): exit 0 after 2,630 ms,") || !strings.Contains(got, "   run 00") {
		t.Errorf("at 80 columns the summary is cut:\n%s", got)
	}
	for range 25 {
		m = press(t, m, "j")
		got := plainView(m)
		assertFits(t, got, 80, 24)
		want := fmt.Sprintf("run %02d", m.shownJournal().cursor)
		if line := lineWith(got, "▌"); line == "" || !strings.Contains(got, want) {
			t.Fatalf("cursor %d is off screen:\n%s", m.shownJournal().cursor, got)
		}
	}
	m = press(t, m, "G")
	if got := plainView(m); !strings.Contains(got, "run 39") || !strings.Contains(got, "entry 40 of 40") {
		t.Errorf("G does not show the last entry:\n%s", got)
	}
	m = press(t, m, "pgup")
	if m.shownJournal().cursor >= 39 || m.shownJournal().cursor < 39-12 {
		t.Errorf("pgup moved the cursor to %d", m.shownJournal().cursor)
	}
}

func lineWith(screen, sub string) string {
	for _, l := range strings.Split(screen, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}

// A new entry that lands before the cursor in time (a pin, read again)
// does not move the cursor off the entry it was on.
func TestJournalCursorKeepsItsEntryOnReread(t *testing.T) {
	m, in := openJournal(t, 120, 40, journalFixture)
	m = press(t, m, "j", "j", "j") // action.blocked, seq 4
	es := append(journalFixture(in), journal.Entry{Seq: 6, At: in.CreatedAt.Add(30 * time.Second), Incident: in.ID, Kind: "pin", Summary: "early"})
	m = step(t, m, journalRead{id: in.ID, entries: es})
	if e := m.shownJournal().entries[m.shownJournal().cursor]; e.Seq != 4 {
		t.Errorf("after a re-read the cursor is on seq %d, want 4", e.Seq)
	}
}

// The help bar and ? show J's keys, not the main screen's.
func TestJournalHelpShowsItsKeys(t *testing.T) {
	m, _ := openJournal(t, 120, 40, journalFixture)
	if got := plainView(m); !strings.Contains(got, "enter open entry") || strings.Contains(got, "a acknowledge") {
		t.Errorf("the help bar on J:\n%s", got)
	}
	m = press(t, m, "?")
	got := plainView(m)
	for _, want := range []string{"open entry", "page down", "close the journal", "pin as evidence"} {
		if !strings.Contains(got, want) {
			t.Errorf("? on J lacks %q:\n%s", want, got)
		}
	}
}

// Golden views of J: the list at 80 columns (two lines an entry) and 120
// (one line), and an opened entry at 80.
func TestJournalGoldenViews(t *testing.T) {
	for _, size := range []struct{ w, h int }{{80, 24}, {120, 40}} {
		m, _ := openJournal(t, size.w, size.h, journalFixture)
		name := fmt.Sprintf("journal_%dx%d", size.w, size.h)
		t.Run(name, func(t *testing.T) {
			got := plainView(m)
			assertFits(t, got, size.w, size.h)
			golden(t, "view_"+name, got)
		})
		m = press(t, m, "G", "enter")
		name = fmt.Sprintf("journal_entry_%dx%d", size.w, size.h)
		t.Run(name, func(t *testing.T) {
			got := plainView(m)
			assertFits(t, got, size.w, size.h)
			golden(t, "view_"+name, got)
		})
	}
}
