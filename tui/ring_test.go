package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"sitrep/sources/demo/pdemulator"
	"sitrep/sources/pagerduty"
	"sitrep/sources/sanitize"
)

// ringIncident is a triggered high-urgency incident assigned to me (U1),
// created a minute after start.
func ringIncident(id string, n uint) pagerduty.Incident {
	return pagerduty.Incident{
		ID: id, Number: n, Title: "payment-gateway 5xx above 5%", Status: pagerduty.StatusTriggered, Urgency: pagerduty.UrgencyHigh,
		Service: pagerduty.Ref{ID: "S1", Name: "payment-gateway"}, Assignees: []pagerduty.Ref{{ID: "U1", Name: "Alice Chen"}},
		CreatedAt: t0.Add(time.Minute),
	}
}

// The decision, refresh by refresh: what was there at start (cached or in
// the first answer) never rings, nor low urgency, another's incident, an
// acknowledged one, or one created before start; a new one of mine rings
// once, however many refreshes list it.
func TestRingDecides(t *testing.T) {
	cached := ringIncident("QCACHED", 1)
	first := ringIncident("QFIRST", 2)
	low := ringIncident("QLOW", 3)
	low.Urgency = pagerduty.UrgencyLow
	other := ringIncident("QOTHER", 4)
	other.Assignees = []pagerduty.Ref{{ID: "U2", Name: "Bob Okafor"}}
	acked := ringIncident("QACK", 5)
	acked.Status = pagerduty.StatusAcknowledged
	old := ringIncident("QOLD", 6)
	old.CreatedAt = t0.Add(-time.Hour) // brought by a wider scope
	fresh := ringIncident("QNEW", 7)
	second := ringIncident("QNEW2", 8)

	r := newRinger(Options{Now: fixedClock, Ring: Ring{Bell: true}, OnCall: fakeOnCall{}, Cached: []pagerduty.Incident{cached}})
	if !r.on {
		t.Fatal("the ring is off with the bell on and an on-call source")
	}
	r.me = "U1"
	ids := func(ins []pagerduty.Incident) string {
		var out []string
		for _, in := range ins {
			out = append(out, in.ID)
		}
		return strings.Join(out, ",")
	}
	steps := []struct {
		what string
		list []pagerduty.Incident
		want string
	}{
		{"the first answer", []pagerduty.Incident{cached, first}, ""},
		{"the same again", []pagerduty.Incident{cached, first}, ""},
		{"low, another's, acknowledged, old", []pagerduty.Incident{cached, first, low, other, acked, old}, ""},
		{"a new one of mine", []pagerduty.Incident{cached, first, fresh, low}, "QNEW"},
		{"it again", []pagerduty.Incident{fresh, cached}, ""},
		{"another new one", []pagerduty.Incident{second, fresh}, "QNEW2"},
		{"both again", []pagerduty.Incident{second, fresh}, ""},
	}
	for _, s := range steps {
		if got := ids(r.due(s.list)); got != s.want {
			t.Errorf("%s: rang for %q, want %q", s.what, got, s.want)
		}
	}

	// Until PagerDuty says who I am nothing rings, and the incident rings
	// at the refresh after it did.
	r = newRinger(Options{Now: fixedClock, Ring: Ring{Desktop: true}, OnCall: fakeOnCall{}})
	r.due(nil)
	if got := ids(r.due([]pagerduty.Incident{fresh})); got != "" {
		t.Errorf("rang for %q before knowing who I am", got)
	}
	r.me = "U1"
	if got := ids(r.due([]pagerduty.Incident{fresh})); got != "QNEW" {
		t.Errorf("once I am known, rang for %q, want QNEW", got)
	}

	// Off: both parts off, or nothing to ask who I am.
	if newRinger(Options{Now: fixedClock, OnCall: fakeOnCall{}}).on || newRinger(Options{Now: fixedClock, Ring: Ring{Bell: true}}).on {
		t.Error("the ring is on with both parts off, or without an on-call source")
	}
}

// What goes to the terminal: the bell, OSC 9, OSC 777 where the terminal
// takes it, tmux's passthrough inside tmux, the bell alone in screen; a
// hostile title arrives without a control character or a ; that would
// cut OSC 777's fields.
func TestRingSequence(t *testing.T) {
	in := ringIncident("Q1", 12)
	in.Title = "\x1b]0;pwned\x07Cron \x1b[31mfailed\x1b[0m; rm -rf\u009b2J\x07 now\x1b]52;c;cm0=\x07"
	n := noticeOf(in, nil)
	for _, f := range []string{n.title, n.body} {
		if f != sanitize.Line(f) || strings.ContainsAny(f, ";\x1b\x07\u009b") {
			t.Fatalf("notice field %q keeps a control character or a ;", f)
		}
	}
	if n.body != "Cron failed, rm -rf now" || n.title != "sitrep: #12 payment-gateway assigned to you" {
		t.Errorf("notice = %+v", n)
	}

	const osc9 = "\x1b]9;sitrep: #12 payment-gateway assigned to you: Cron failed, rm -rf now\x07"
	const osc777 = "\x1b]777;notify;sitrep: #12 payment-gateway assigned to you;Cron failed, rm -rf now\x07"
	cases := []struct {
		what string
		ring Ring
		want string
	}{
		{"bell and desktop", Ring{Bell: true, Desktop: true}, "\a" + osc9},
		{"bell only", Ring{Bell: true}, "\a"},
		{"desktop only", Ring{Desktop: true}, osc9},
		{"OSC 777 terminal", Ring{Bell: true, Desktop: true, Terminal: Terminal{OSC777: true}}, "\a" + osc9 + osc777},
		{"tmux", Ring{Bell: true, Desktop: true, Terminal: Terminal{Tmux: true}},
			"\a\x1bPtmux;" + strings.ReplaceAll(osc9, "\x1b", "\x1b\x1b") + "\x1b\\"},
		{"screen", Ring{Bell: true, Desktop: true, Terminal: Terminal{BellOnly: true}}, "\a"},
	}
	for _, c := range cases {
		if got := ringSequence(c.ring, []notice{n}); got != c.want {
			t.Errorf("%s: %q, want %q", c.what, got, c.want)
		}
	}

	// A secret in a title is masked before it reaches the desktop.
	secrets := &sanitize.Secrets{}
	secrets.Add("s3cr3t-t0ken-value")
	in.Title = "auth failed with s3cr3t-t0ken-value"
	if got := noticeOf(in, secrets).body; strings.Contains(got, "s3cr3t") {
		t.Errorf("the notice shows a secret: %q", got)
	}
}

func TestTerminalFrom(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want Terminal
	}{
		{map[string]string{"TERM": "xterm-256color"}, Terminal{}},
		{map[string]string{"TERM": "foot"}, Terminal{OSC777: true}},
		{map[string]string{"TERM": "rxvt-unicode-256color"}, Terminal{OSC777: true}},
		{map[string]string{"TERM": "xterm-256color", "TERM_PROGRAM": "WezTerm"}, Terminal{OSC777: true}},
		{map[string]string{"TERM": "tmux-256color", "TMUX": "/tmp/tmux-0/default,1,0", "TERM_PROGRAM": "tmux"}, Terminal{Tmux: true}},
		{map[string]string{"TERM": "screen.xterm-256color", "STY": "1.pts-0"}, Terminal{BellOnly: true}},
	}
	for _, c := range cases {
		if got := TerminalFrom(func(k string) string { return c.env[k] }); got != c.want {
			t.Errorf("%v: %+v, want %+v", c.env, got, c.want)
		}
	}
}

// fakeOnCall stands for PagerDuty where only the decision is tested.
type fakeOnCall struct{}

func (fakeOnCall) Me(context.Context) (pagerduty.User, error) {
	return pagerduty.User{Ref: pagerduty.Ref{ID: "U1", Name: "Alice Chen"}}, nil
}

func (f fakeOnCall) OnCallReport(ctx context.Context, now time.Time, ahead time.Duration) (pagerduty.OnCallReport, error) {
	me, _ := f.Me(ctx)
	return pagerduty.OnCallReport{Me: me, Since: now, Until: now.Add(ahead)}, nil
}

// Through the real client and the emulator: the incident there at start
// does not ring; a new high-urgency incident on my service rings once,
// with the bell and the notification, and the status line says so; a
// low-urgency one and the next refreshes ring for nothing.
func TestRingThroughTheEmulator(t *testing.T) {
	pd, feed, id := emulatorFeed(t)
	m := New(feed, Options{Now: time.Now, Scope: pagerduty.ScopeMine, RefreshInterval: time.Hour, PaneRefresh: time.Hour,
		OnCall: feed, Ring: Ring{Bell: true, Desktop: true}})
	m = step(t, m, tea.WindowSizeMsg{Width: 120, Height: 30})
	m = step(t, m, run(t, m.askMeAtStart()))
	if m.ring.me == "" {
		t.Fatalf("the ring does not know who I am: %s", m.lastErr)
	}

	// refresh loads the list from the emulator and returns what the
	// refresh wrote to the terminal.
	refresh := func() string {
		t.Helper()
		next, cmd := m.Update(run(t, m.loadIncidents()))
		m = next.(Model)
		return rawOf(cmd)
	}
	if raw := refresh(); raw != "" {
		t.Fatalf("the incident there at start rang: %q", raw)
	}

	there, err := pd.Incident(id)
	if err != nil {
		t.Fatal(err)
	}
	svc := there.ServiceID
	if _, err := pd.Trigger(pdemulator.TriggerOptions{ServiceID: svc, Title: "payment-gateway p99 above 2 s", Urgency: "low"}); err != nil {
		t.Fatal(err)
	}
	if raw := refresh(); raw != "" {
		t.Errorf("a low-urgency incident rang: %q", raw)
	}

	res, err := pd.Trigger(pdemulator.TriggerOptions{ServiceID: svc, Title: "card vault unreachable \x1b[2J", Urgency: "high"})
	if err != nil {
		t.Fatal(err)
	}
	raw := refresh()
	num := number(pagerduty.Incident{Number: uint(res.IncidentNumber)})
	if !strings.HasPrefix(raw, "\a\x1b]9;sitrep: "+num+" payment-gateway assigned to you: card vault unreachable\x07") {
		t.Errorf("the new incident rang %q, want the bell and its notification", raw)
	}
	if !strings.Contains(plainView(m), "rang for "+num) {
		t.Errorf("the status line does not say it rang:\n%s", plainView(m))
	}
	for i := range 2 {
		if raw := refresh(); raw != "" {
			t.Errorf("refresh %d after rang again: %q", i+1, raw)
		}
	}
}

// rawOf is what a Cmd (and every Cmd it batches) writes to the terminal
// through tea.Raw; other Cmds are not run, since they may wait.
func rawOf(cmd tea.Cmd) string {
	if cmd == nil {
		return ""
	}
	var b strings.Builder
	var walk func(c tea.Cmd)
	walk = func(c tea.Cmd) {
		if c == nil {
			return
		}
		done := make(chan tea.Msg, 1)
		go func() { done <- c() }()
		select {
		case msg := <-done:
			switch msg := msg.(type) {
			case tea.BatchMsg:
				for _, c := range msg {
					walk(c)
				}
			case tea.RawMsg:
				b.WriteString(msg.Msg.(string))
			}
		case <-time.After(200 * time.Millisecond):
			// a timer or a wait: nothing for the terminal
		}
	}
	walk(cmd)
	return b.String()
}

// Not knowing who I am is said, but never in place of the refresh's own
// error: with PagerDuty out of reach, that one names the cause.
func TestRingWhoAmIFailureKeepsTheRefreshError(t *testing.T) {
	m := New(nil, Options{Now: fixedClock})
	m.lastErr = "list incidents: cannot reach PagerDuty"
	nm, _ := m.meKnown(meKnown{err: context.DeadlineExceeded})
	if got := nm.(Model).lastErr; got != "list incidents: cannot reach PagerDuty" {
		t.Errorf("the ring's failure replaced the refresh error: %q", got)
	}
	m.lastErr = ""
	nm, _ = m.meKnown(meKnown{err: context.DeadlineExceeded})
	if got := nm.(Model).lastErr; !strings.HasPrefix(got, "ring: who you are in PagerDuty: ") {
		t.Errorf("the ring's failure is not said: %q", got)
	}
}
