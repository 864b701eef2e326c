package tui

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"sitrep/sources/pagerduty"
	"sitrep/store/journal"
	"sitrep/store/outbox"
)

// recordingOutbox keeps what the cockpit submits; the tests play the
// worker's snapshots by hand.
type recordingOutbox struct {
	mu      sync.Mutex
	writes  []outbox.Write
	entries []journal.Entry
	ch      chan outbox.Snapshot
}

func (o *recordingOutbox) Submit(_ context.Context, w outbox.Write, e journal.Entry) (outbox.Item, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.writes = append(o.writes, w)
	o.entries = append(o.entries, e)
	return outbox.Item{ID: "ob-1", Write: w, Created: t0}, nil
}

func (o *recordingOutbox) Changes() <-chan outbox.Snapshot { return o.ch }

func withOutbox(t testing.TB, m Model) (Model, *recordingOutbox) {
	t.Helper()
	ob := &recordingOutbox{ch: make(chan outbox.Snapshot, 1)}
	m.opts.Outbox = ob
	return m, ob
}

func selectTab(m Model, name string) Model {
	for m.detail.tab = 0; detailTabs[m.detail.tab] != name; m.detail.tab++ {
	}
	return m
}

// A note is journaled and queued at once, shown as pending in the header
// and the Notes pane until it is delivered.
func TestNoteGoesThroughTheOutboxAndShowsPending(t *testing.T) {
	m, ob := withOutbox(t, loaded(t, fixture(5), 120, 40))
	in, _ := m.list.selected()
	msg := run(t, m.addNote(in, "rolled back v2.14.0", true))
	m = step(t, m, msg)
	if len(ob.writes) != 1 || ob.writes[0].Op != outbox.OpNote || ob.writes[0].Text != "rolled back v2.14.0" || ob.entries[0].Kind != "note" {
		t.Fatalf("submitted %+v / %+v; want the note and its journal entry", ob.writes, ob.entries)
	}
	if v := ansi.Strip(m.View().Content); !strings.Contains(v, "sending it to PagerDuty") {
		t.Fatalf("no word that the note is on its way:\n%s", v)
	}

	item := outbox.Item{ID: "ob-1", Write: ob.writes[0], Created: t0, Attempts: 2, LastErr: "503"}
	m = step(t, m, outboxChanged{snap: outbox.Snapshot{Pending: []outbox.Item{item}}})
	m = selectTab(m, "Notes")
	v := ansi.Strip(m.View().Content)
	for _, want := range []string{"⇡1 pending", "pending: not in PagerDuty yet", "rolled back v2.14.0", "Notes +1"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}

	item.Unconfirmed = true
	m = step(t, m, outboxChanged{snap: outbox.Snapshot{Pending: []outbox.Item{item}}})
	v = ansi.Strip(m.View().Content)
	for _, want := range []string{"(1 not confirmed)", "not confirmed yet"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "fail") {
		t.Errorf("an unconfirmed write is said as a failure:\n%s", v)
	}

	m = step(t, m, outboxChanged{snap: outbox.Snapshot{Settled: []outbox.Settled{{Item: item, Delivered: true, Ref: "N1"}}}})
	v = ansi.Strip(m.View().Content)
	if strings.Contains(v, "pending") || !strings.Contains(v, "delivered to PagerDuty") {
		t.Fatalf("after delivery the view still shows it pending, or says nothing:\n%s", v)
	}
}

// A write PagerDuty will never take is said once, and a refresh does not
// wipe the message before the engineer has seen it.
func TestUndeliverableWriteIsShownUntilAKey(t *testing.T) {
	m, _ := withOutbox(t, loaded(t, fixture(5), 120, 40))
	in, _ := m.list.selected()
	item := outbox.Item{ID: "ob-1", Write: outbox.Write{Incident: in.ID, Label: number(in), Op: outbox.OpAcknowledge}}
	m = step(t, m, outboxChanged{snap: outbox.Snapshot{Settled: []outbox.Settled{{Item: item, Reason: "PagerDuty answered 400 Incident Already Resolved"}}}})
	m = step(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: fixture(5), at: t0})
	v := ansi.Strip(m.View().Content)
	if !strings.Contains(v, "could not be delivered to PagerDuty") {
		t.Fatalf("the failure did not survive a refresh:\n%s", v)
	}
}

// a and R go through the outbox: journaled as asked, not as done.
func TestAcknowledgeGoesThroughTheOutbox(t *testing.T) {
	m, ob := withOutbox(t, loaded(t, fixture(5), 120, 40))
	in, _ := m.list.selected()
	msg := run(t, m.acknowledge(in))
	_ = step(t, m, msg)
	if len(ob.writes) != 1 || ob.writes[0].Op != outbox.OpAcknowledge || ob.writes[0].Incident != in.ID {
		t.Fatalf("submitted %+v; want the acknowledgement of %s", ob.writes, in.ID)
	}
}

// The header says when the journal's disk refuses writes.
func TestHeaderSaysJournalEntriesWaitForTheDisk(t *testing.T) {
	m := loaded(t, fixture(5), 120, 40)
	m = step(t, m, journalBacklog{n: 12, cause: errorString("no space left on device")})
	v := ansi.Strip(m.View().Content)
	if !strings.Contains(v, "journal: 12 waiting for disk") {
		t.Fatalf("header does not count the waiting entries:\n%s", v)
	}
	m = step(t, m, journalBacklog{})
	if v := ansi.Strip(m.View().Content); strings.Contains(v, "waiting for disk") {
		t.Fatalf("still says entries wait after the disk took them:\n%s", v)
	}
}

// BenchmarkModelKeystrokeWithPendingWrites is BenchmarkModelKeystroke with
// 50 writes waiting in the outbox, ten of them on incidents the cursor
// crosses: the outbox must add nothing measurable to a keystroke.
func BenchmarkModelKeystrokeWithPendingWrites(b *testing.B) {
	incidents := fixture(10_000)
	m := loaded(b, incidents, 120, 40)
	for i := range 50 {
		in := incidents[i%10]
		m.pendingWrites = append(m.pendingWrites, outbox.Item{ID: "ob", Write: outbox.Write{Incident: in.ID, Label: "#1", Op: outbox.OpNote, Text: "a note"}, Created: t0})
	}
	m = selectTab(m, "Notes")
	down, up := keyMsg("j"), keyMsg("k")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := down
		if i%2 == 1 {
			k = up
		}
		next, _ := m.Update(k)
		m = next.(Model)
		_ = m.View()
	}
}
