package tui

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"sitrep/sources/enrich"
	"sitrep/sources/logs"
	"sitrep/sources/pagerduty"
	"sitrep/store/journal"
)

// When a refresh drops the selected incident, the cursor rests on another
// one the engineer never chose: nothing may change it until they move.
func TestSelectedIncidentLeavingTheListBlocksActions(t *testing.T) {
	incidents := fixture(5)
	m := loaded(t, incidents, 120, 40)
	gone := incidents[0].ID
	m = step(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: incidents[1:], at: t0})
	if !strings.Contains(m.status, "left the list") {
		t.Errorf("status = %q, want it to say the incident left", m.status)
	}
	for _, k := range []string{"a", "R", "n", "!", "p"} {
		next, cmd := m.Update(keyMsg(k))
		m = next.(Model)
		if cmd != nil || m.dialog != nil || m.screen != nil {
			t.Fatalf("%s acted on %s right after %s left the list", k, selectedID(t, m), gone)
		}
	}
	m = press(t, m, "j", "k")
	next, cmd := m.Update(keyMsg("a"))
	m = next.(Model)
	if cmd == nil {
		t.Error("after moving, a does nothing")
	}
}

// followEnricher streams nothing, but remembers whether its stream runs.
type followEnricher struct {
	nopEnricher
	mu      sync.Mutex
	running int
}

func (f *followEnricher) Follow(ctx context.Context, _ pagerduty.Incident, _ *logs.Ring) error {
	f.mu.Lock()
	f.running++
	f.mu.Unlock()
	<-ctx.Done()
	f.mu.Lock()
	f.running--
	f.mu.Unlock()
	return nil
}

func (f *followEnricher) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.running
}

func waitCount(t *testing.T, f *followEnricher, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for f.count() != want {
		if time.Now().After(deadline) {
			t.Fatalf("%d log streams running, want %d", f.count(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A log stream runs only while its incident's detail is on screen.
func TestFollowStopsWhenThePaneIsCoveredAndOnQuit(t *testing.T) {
	for _, cover := range []string{"J", "q"} {
		t.Run(cover, func(t *testing.T) {
			fe := &followEnricher{}
			m := New(nil, Options{Now: fixedClock, Recorder: &memoryRecorder{}, Enricher: fe})
			m = step(t, m, tea.WindowSizeMsg{Width: 120, Height: 40})
			m = step(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: fixture(3), at: t0})
			var cmds []tea.Cmd
			for detailTabs[m.detail.tab] != "Logs" {
				next, cmd := m.Update(keyMsg("tab"))
				m = next.(Model)
				cmds = append(cmds, cmd)
			}
			startFollowCmds(tea.Batch(cmds...))
			waitCount(t, fe, 1)
			m = press(t, m, cover)
			waitCount(t, fe, 0)
		})
	}
}

// startFollowCmds runs the stream's command in the background, as Bubble
// Tea would.
func startFollowCmds(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() {
		msg := cmd()
		if b, ok := msg.(tea.BatchMsg); ok {
			for _, c := range b {
				startFollowCmds(c)
			}
		}
	}()
}

// A pin from J's screen keeps J's incident's logs, whatever the list has
// selected meanwhile.
func TestPinFromJournalKeepsThatIncidentsLogs(t *testing.T) {
	rec := &memoryRecorder{}
	incidents := fixture(3)
	m := New(nil, Options{Now: fixedClock, Recorder: rec, Enricher: nopEnricher{}})
	m = step(t, m, tea.WindowSizeMsg{Width: 120, Height: 40})
	m = step(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: incidents, at: t0})
	a, b := incidents[0], incidents[1]
	for _, in := range []pagerduty.Incident{a, b} {
		m.enrichment[in.ID] = &enrichState{panes: map[string]paneData{}}
		m = step(t, m, enrichArrived{id: in.ID, result: enrich.Result{SourceID: paneLogs, FetchedAt: t0,
			Value: []logs.Line{{T: t0, Level: logs.LevelError, Text: "line of " + in.ID}}}})
	}
	for detailTabs[m.detail.tab] != "Logs" {
		m = press(t, m, "tab")
	}
	m.screen = &journalScreen{incident: a} // J on a
	m.list.move(1, m.listHeight())         // the list moves on to b
	next, cmd := m.Update(keyMsg("p"))
	m = next.(Model)
	runCmds(t, cmd)
	if len(rec.entries) == 0 {
		t.Fatal("nothing pinned")
	}
	pin := rec.entries[len(rec.entries)-1]
	if pin.Incident != a.ID || !strings.Contains(string(pin.Data), "line of "+a.ID) || strings.Contains(string(pin.Data), "line of "+b.ID) {
		var d any
		_ = json.Unmarshal(pin.Data, &d)
		t.Errorf("pin for %s holds %v", pin.Incident, d)
	}
}

// Scrolling a short detail past its end does not store a scroll that k
// must first unwind.
func TestDetailScrollStopsAtTheEnd(t *testing.T) {
	m := loaded(t, fixture(3), 80, 24)
	m = press(t, m, "enter")
	for range 40 {
		m = press(t, m, "j")
	}
	if m.detail.scroll > 5 {
		t.Errorf("scroll = %d after 40 j on a short overview", m.detail.scroll)
	}
}

// Sources that differ only at their end (the pods of one service) stay
// distinguishable in the narrow source column.
func TestLogSourcesStayDistinguishable(t *testing.T) {
	var lines []logs.Line
	for i, pod := range []string{"payment-gateway-d5dgzzjrpj-jd9kh", "payment-gateway-d5dgzzjrpj-wq572"} {
		lines = append(lines, logs.Line{T: t0.Add(time.Duration(i) * time.Second), Level: logs.LevelError,
			Text: "upstream connect error", Source: `{app="payment-gateway",pod="` + pod + `"}`})
	}
	out := ansi.Strip(logsView{}.view(NewStyles(true), lines, 80, 4, t0))
	for _, tail := range []string{"jd9kh", "wq572"} {
		if !strings.Contains(out, tail) {
			t.Errorf("the source column lost %q:\n%s", tail, out)
		}
	}
}

// At 80 columns the journal keeps room for the summary.
func TestJournalScreenReadableAt80(t *testing.T) {
	in := fixture(1)[0]
	j := &journalScreen{incident: in, entries: []journal.Entry{{At: t0, Kind: "status.acknowledge", Actor: "Alice Chen", Summary: "Acknowledged by Alice Chen."}}}
	out := ansi.Strip(j.view(NewStyles(true), 80, 6))
	assertFits(t, out, 80, 6)
	if !strings.Contains(out, "Acknowledged by Alice Chen.") {
		t.Errorf("the summary is cut at 80 columns:\n%s", out)
	}
}
