package tui

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"sitrep/sources/enrich"
	"sitrep/sources/logs"
	"sitrep/sources/pagerduty"
)

// commandEnricher is the enricher of a service whose log is a command,
// run through a logs.Background as cmd/sitrep runs it.
type commandEnricher struct {
	cmd logs.Command
}

func (e *commandEnricher) Fetch(ctx context.Context, _ pagerduty.Incident) <-chan enrich.Result {
	ch := make(chan enrich.Result, 1)
	go func() {
		defer close(ch)
		lines, err := e.cmd.Fetch(ctx, 300)
		ch <- enrich.Result{SourceID: paneLogs, Value: lines, Err: err, FetchedAt: time.Now()}
	}()
	return ch
}

func (e *commandEnricher) Follow(ctx context.Context, _ pagerduty.Incident, ring *logs.Ring) error {
	err := e.cmd.Follow(ctx, ring)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

func (e *commandEnricher) Forget(pagerduty.Incident) {}

// quietFeed answers the detail fetches a selection schedules with nothing.
type quietFeed struct{}

func (quietFeed) Incidents(context.Context, pagerduty.Scope) ([]pagerduty.Incident, error) {
	return nil, nil
}
func (quietFeed) DetailWith(context.Context, string, pagerduty.DetailOptions) (pagerduty.Detail, error) {
	return pagerduty.Detail{}, errors.New("no detail in this test")
}
func (quietFeed) Acknowledge(context.Context, string) error { return nil }
func (quietFeed) Resolve(context.Context, string) error     { return nil }
func (quietFeed) AddNote(context.Context, string, string) (pagerduty.Note, error) {
	return pagerduty.Note{}, nil
}

// pump runs a model as Bubble Tea would: every Cmd in a goroutine, every
// message back through Update, on the test's goroutine.
type pump struct {
	t    *testing.T
	m    Model
	msgs chan tea.Msg
}

func newPump(t *testing.T, m Model) *pump {
	return &pump{t: t, m: m, msgs: make(chan tea.Msg, 256)}
}

func (p *pump) run(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() {
		switch msg := cmd().(type) {
		case nil:
		case tea.BatchMsg:
			for _, c := range msg {
				p.run(c)
			}
		default:
			p.msgs <- msg
		}
	}()
}

func (p *pump) send(msg tea.Msg) {
	next, cmd := p.m.Update(msg)
	p.m = next.(Model)
	p.run(cmd)
}

// until delivers messages until cond holds; the bound only keeps a broken
// build from hanging.
func (p *pump) until(what string, cond func() bool) {
	p.t.Helper()
	deadline := time.After(30 * time.Second)
	for !cond() {
		select {
		case msg := <-p.msgs:
			p.send(msg)
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			p.t.Fatalf("gave up waiting for %s:\n%s", what, p.m.render())
		}
	}
}

// A log command that never ends shows its lines in the paused pane (it
// runs in the background while the incident is selected), and selecting
// another incident stops it.
func TestLogCommandShowsWhilePausedAndStopsWithTheSelection(t *testing.T) {
	script := filepath.Join(t.TempDir(), "ticker")
	body := "#!/bin/sh\necho \"pid $$\"\ni=0\nwhile :; do echo \"tick $i\"; i=$((i+1)); sleep 0.1; done\n"
	if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	ce := &commandEnricher{cmd: logs.Command{Argv: []string{script}, Background: &logs.Background{}, Grace: 100 * time.Millisecond}}
	// No pane refresh during the test: it would let the paused view take
	// new lines, which is right, but not what is checked here.
	p := newPump(t, New(quietFeed{}, Options{Now: fixedClock, Recorder: &memoryRecorder{}, Enricher: ce, PaneRefresh: time.Hour}))
	p.send(tea.WindowSizeMsg{Width: 120, Height: 40})
	p.send(incidentsLoaded{scope: pagerduty.ScopeMine, incidents: fixture(3), at: t0})
	for detailTabs[p.m.detail.tab] != "Logs" {
		p.send(keyMsg("tab"))
	}
	if p.m.logs.follow {
		t.Fatal("the pane follows by default; this test is about a paused pane")
	}
	// The lines come from the background stream, not from a fetch that
	// waited out its deadline.
	p.until("the command's lines in the paused pane", func() bool {
		return len(p.m.followed) > 0 && strings.Contains(p.m.render(), "tick 3")
	})
	if !strings.Contains(p.m.render(), "paused") {
		t.Errorf("the pane does not say it is paused:\n%s", p.m.render())
	}

	// The pid line is the first the script prints; it is in the stream's
	// lines, whether or not the pane still shows it.
	pid := 0
	for _, l := range p.m.followed {
		if rest, ok := strings.CutPrefix(l.Text, "pid "); ok {
			pid, _ = strconv.Atoi(rest)
		}
	}
	if pid == 0 || !processAlive(pid) {
		t.Fatalf("no running script (pid %d)", pid)
	}

	// Paused, the view holds still while the stream goes on.
	p.until("the stream to settle", func() bool { return p.m.following != nil && p.m.following.ticks > followSettle })
	shown, frame := p.m.followedN, p.m.following.ticks
	p.until("two more frames", func() bool { return p.m.following.ticks >= frame+2 })
	if p.m.followedN != shown {
		t.Errorf("the paused view took new lines (%d → %d) without a refresh", shown, p.m.followedN)
	}
	// f follows: the view takes the newest lines again.
	p.send(keyMsg("f"))
	p.until("the followed view to move on", func() bool { return p.m.followedN > shown })

	p.send(keyMsg("j"))
	p.until("the script to be gone", func() bool { return !processAlive(pid) })
}

// processAlive says whether pid runs (and is not a zombie).
func processAlive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && !strings.HasPrefix(strings.TrimSpace(s[i+1:]), "Z")
}

// A stream with nothing new costs no frames: once the view shows its
// newest lines, the next frame comes when a line arrives, not every
// logsFrame.
func TestQuietLogStreamDeliversNoFramesUntilALineArrives(t *testing.T) {
	dir := t.TempDir()
	script, flag := filepath.Join(dir, "quiet"), filepath.Join(dir, "go")
	body := "#!/bin/sh\necho first\necho second\nwhile [ ! -e '" + flag + "' ]; do sleep 0.05; done\necho late\nexec sleep 1000\n"
	if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	ce := &commandEnricher{cmd: logs.Command{Argv: []string{script}, Background: &logs.Background{}, Grace: 100 * time.Millisecond}}
	p := newPump(t, New(quietFeed{}, Options{Now: fixedClock, Recorder: &memoryRecorder{}, Enricher: ce, PaneRefresh: time.Hour}))
	p.send(tea.WindowSizeMsg{Width: 120, Height: 40})
	p.send(incidentsLoaded{scope: pagerduty.ScopeMine, incidents: fixture(3), at: t0})
	for detailTabs[p.m.detail.tab] != "Logs" {
		p.send(keyMsg("tab"))
	}
	p.send(keyMsg("f"))
	if !p.m.logs.follow {
		t.Fatal("f did not make the pane follow")
	}
	p.until("both lines on screen and the stream settled", func() bool {
		return p.m.following != nil && p.m.following.ticks > followSettle && strings.Contains(p.m.render(), "second")
	})

	frames := 0
	window := time.After(4 * logsFrame)
quiet:
	for {
		select {
		case msg := <-p.msgs:
			if _, ok := msg.(logsTicked); ok {
				frames++
			}
			p.send(msg)
		case <-window:
			break quiet
		}
	}
	// One frame may have been on its way when the view caught up.
	if frames > 1 {
		t.Errorf("a stream with nothing new delivered %d frames in %v", frames, 4*logsFrame)
	}

	if err := os.WriteFile(flag, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	p.until("the line that arrived after the quiet", func() bool { return strings.Contains(p.m.render(), "late") })
	p.send(keyMsg("j"))
}
