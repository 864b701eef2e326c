package main

import (
	"strings"
	"testing"
	"time"
)

// TestJournalScreenEndToEnd drives J at 80×24 through the real binary: a
// long note reads in full in the list (two lines an entry, not cut at the
// summary column), enter opens it with its time, kind, actor, data and
// delivery to PagerDuty, and esc goes back to the list with the cursor on
// it, then closes the journal.
func TestJournalScreenEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("drives the real binary")
	}
	bin := buildSitrep(t)
	dir := t.TempDir()
	env, state := demoEnv(dir)
	term := startTerminal(t, 80, 24, env, bin, "demo", "--seed", "5", "--refresh", "2s")
	readDemoState(t, state)
	term.waitFor("the incident list", 15*time.Second, contains("payment-gateway 5xx rate"))
	pause := func() { time.Sleep(600 * time.Millisecond) } // past the grace period of what just opened

	const text = "pool exhausted after the deploy, restarting pods one at a time"
	term.send("n")
	term.waitFor("the note dialog", 5*time.Second, contains("Note on #"))
	pause()
	term.send(text, "Enter")
	term.waitFor("the note journaled", 10*time.Second, func(s string) bool {
		return !strings.Contains(s, "Note on #") && strings.Contains(s, "note on #")
	})

	term.send("J")
	list := term.waitFor("the journal with the note", 10*time.Second, func(s string) bool {
		return strings.Contains(s, "Journal of #") && strings.Contains(s, "note · ")
	})
	// The note's summary, wrapped under its line of time, kind and actor,
	// ends on screen.
	if !strings.Contains(list, "restarting pods one at a time") {
		t.Errorf("at 80 columns J cuts the note's summary:\n%s", list)
	}
	for _, l := range strings.Split(list, "\n") {
		if w := len([]rune(strings.TrimRight(l, " "))); w > 80 {
			t.Errorf("a line is %d cells wide at 80 columns: %q", w, l)
		}
	}
	if !strings.Contains(list, "enter open entry") {
		t.Errorf("the help bar on J does not offer enter:\n%s", list)
	}
	pause()

	// The cursor onto the note: the outbox's delivery may have been
	// journaled after it.
	term.send("G")
	onNote := func(s string) bool {
		for _, l := range strings.Split(s, "\n") {
			if strings.HasPrefix(l, "▌") {
				return strings.Contains(l, " note · ")
			}
		}
		return false
	}
	for range 20 {
		time.Sleep(150 * time.Millisecond)
		if onNote(term.screen()) {
			break
		}
		term.send("k")
	}
	list = term.waitFor("the cursor on the note", 5*time.Second, onNote)
	where := lastLine(list, "entry ")

	term.send("Enter")
	entry := term.waitFor("the note opened", 5*time.Second, contains("kind       note"))
	for _, want := range []string{"when       ", "UTC, T+", "from the incident's start", "summary    " + text[:40], "Data", "text: pool exhausted", "delivery   "} {
		if !strings.Contains(entry, want) {
			t.Errorf("the opened note lacks %q:\n%s", want, entry)
		}
	}
	if !strings.Contains(entry, "pending: waiting to be delivered") && !strings.Contains(entry, "delivered to PagerDuty at") {
		t.Errorf("the opened note does not say where its PagerDuty write got to:\n%s", entry)
	}
	if strings.Contains(entry, `{"`) {
		t.Errorf("the opened note shows raw JSON:\n%s", entry)
	}

	term.send("Escape")
	back := term.waitFor("the list again", 5*time.Second, contains("kind · actor"))
	if !onNote(back) || lastLine(back, "entry ") != where {
		t.Errorf("esc did not return to the list with the cursor on the note (%q before):\n%s", where, back)
	}
	term.send("Escape")
	term.waitFor("the journal closed", 5*time.Second, func(s string) bool { return !strings.Contains(s, "Journal of #") })
}

// lastLine is the last line of the screen that starts with prefix.
func lastLine(screen, prefix string) string {
	var found string
	for _, l := range strings.Split(screen, "\n") {
		if strings.HasPrefix(l, prefix) {
			found = strings.TrimRight(l, " ")
		}
	}
	return found
}
