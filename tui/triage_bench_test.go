package tui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"sitrep/actions/triage"
	"sitrep/sources/pagerduty"
)

// badgeTitles give the list every built-in class, and rows with none.
var badgeTitles = []string{
	"checkout-db connection pool exhausted (200/200 in use)",
	"Health check failing: edge-proxy eu-west-1 /healthz",
	"Disk usage 91% on /var/lib/checkout-api (checkout-api-2)",
	"TLS certificate for api.sitrep-demo.example expires in 6 days",
	"Stripe webhook signature failures above 2%",
	"Search reindex job took 2x longer than usual",
	"Login failures above baseline for tenant acme-eu",
}

// classifiedList is a 120×40 cockpit listing 10,000 incidents, each
// classified by the built-in rules through the cockpit's own path (the
// Cmd a refresh starts, and its answer taken in), so the list draws badges.
func classifiedList(b *testing.B) (Model, tea.Cmd) {
	b.Helper()
	incidents := fixture(10_000)
	for i := range incidents {
		incidents[i].Title = badgeTitles[i%len(badgeTitles)]
	}
	m := New(nil, Options{Now: fixedClock, Triage: triage.New(triage.DefaultRules())})
	m = step(b, m, tea.WindowSizeMsg{Width: 120, Height: 40})
	next, _ := m.Update(incidentsLoaded{scope: pagerduty.ScopeMine, incidents: incidents, at: t0})
	m = next.(Model)
	// Update started the classification among its other Cmds (timers);
	// start it again alone.
	m.triage = map[string]triageState{}
	return m, m.triageAfter(incidentsLoaded{})
}

// BenchmarkModelClassify10000 is the classification a refresh of 10,000
// incidents starts: the Cmd classifying them all (off the update loop, in
// a goroutine of Bubble Tea's) and Update taking its answer in. It runs
// again only for incidents whose evidence changed.
func BenchmarkModelClassify10000(b *testing.B) {
	m, classify := classifiedList(b)
	if classify == nil {
		b.Fatal("a refresh started no classification")
	}
	b.ReportAllocs()
	for b.Loop() {
		msg := classify()
		next, _ := m.Update(msg)
		_ = next
	}
}

// BenchmarkModelKeystrokeWithBadges is BenchmarkModelKeystroke with every
// one of 10,000 incidents classified: j or k, Update and View, the list's
// rows drawn with their triage badges.
func BenchmarkModelKeystrokeWithBadges(b *testing.B) {
	m, classify := classifiedList(b)
	next, _ := m.Update(classify())
	m = next.(Model)
	if frame := ansi.Strip(m.View().Content); !strings.Contains(frame, " db ") || !strings.Contains(frame, " net ") {
		b.Fatalf("the list draws no badges:\n%s", frame)
	}
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
