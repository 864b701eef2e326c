package tui

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"sitrep/sources/enrich"
	"sitrep/sources/logs"
	"sitrep/sources/pagerduty"
)

// A pin of the Logs pane keeps exactly the lines the pane shows: with
// "errors only" on, the error lines on screen, not the last 50 lines held.
func TestPinOfLogsKeepsTheLinesShown(t *testing.T) {
	for _, size := range []struct{ w, h int }{{80, 24}, {120, 40}} {
		t.Run(fmt.Sprintf("%dx%d", size.w, size.h), func(t *testing.T) {
			rec := &memoryRecorder{}
			incidents := fixture(3)
			m := New(nil, Options{Now: fixedClock, Recorder: rec, Enricher: nopEnricher{}})
			m = step(t, m, tea.WindowSizeMsg{Width: size.w, Height: size.h})
			m = step(t, m, incidentsLoaded{scope: pagerduty.ScopeMine, incidents: incidents, at: t0})
			in := incidents[0]
			// 200 lines, one in ten an error: the last 50 held are mostly
			// info lines.
			var lines []logs.Line
			for i := range 200 {
				l := logs.Line{T: t0.Add(time.Duration(i-200) * time.Second), Level: logs.LevelInfo, Source: "app", Text: fmt.Sprintf("request %d served", i)}
				if i%10 == 3 {
					l.Level, l.Text = logs.LevelError, fmt.Sprintf("upstream timeout %d", i)
				}
				lines = append(lines, l)
			}
			m.enrichment[in.ID] = &enrichState{panes: map[string]paneData{}}
			m = step(t, m, enrichArrived{id: in.ID, result: enrich.Result{SourceID: paneLogs, FetchedAt: t0, Value: lines}})
			for detailTabs[m.detail.tab] != "Logs" {
				m = press(t, m, "tab")
			}
			m = press(t, m, "e")
			screen := ansi.Strip(m.render())
			var onScreen []string
			for _, row := range strings.Split(screen, "\n") {
				row = strings.TrimRight(row, " ")
				for _, l := range lines {
					if strings.HasSuffix(row, " "+l.Text) {
						onScreen = append(onScreen, l.Text)
					}
				}
			}
			if len(onScreen) == 0 {
				t.Fatalf("no log line on screen:\n%s", screen)
			}

			next, cmd := m.Update(keyMsg("p"))
			m = next.(Model)
			runCmds(t, cmd)
			if len(rec.entries) != 1 || rec.entries[0].Kind != "pin" {
				t.Fatalf("recorded %+v, want one pin", rec.entries)
			}
			e := rec.entries[0]
			var data struct {
				Facts []struct {
					At    time.Time `json:"at"`
					Level string    `json:"level"`
					Text  string    `json:"text"`
				} `json:"facts"`
			}
			if err := json.Unmarshal(e.Data, &data); err != nil {
				t.Fatalf("pin data = %s (%v)", e.Data, err)
			}
			var kept []string
			for _, f := range data.Facts {
				if f.Level != logs.LevelError {
					t.Errorf("the pin keeps a %s line under errors only: %q", f.Level, f.Text)
				}
				kept = append(kept, f.Text)
			}
			if strings.Join(kept, "\n") != strings.Join(onScreen, "\n") {
				t.Errorf("the pin keeps\n%s\nbut the pane shows\n%s\nscreen:\n%s", strings.Join(kept, "\n"), strings.Join(onScreen, "\n"), screen)
			}
			if !strings.Contains(e.Summary, fmt.Sprintf("%d error lines shown", len(onScreen))) {
				t.Errorf("pin summary = %q", e.Summary)
			}
		})
	}
}
