package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"sitrep/sources/demo/pdemulator"
	"sitrep/sources/pagerduty"
)

// A note written while PagerDuty fails is journaled at once, shown as
// pending, kept across a quit, and delivered exactly once by the next
// sitrep: the real binary in a real terminal against the emulator.
func TestNoteWrittenDuringAnOutageIsDeliveredAfterRestart(t *testing.T) {
	bin := buildSitrep(t)
	pd := pdemulator.New(pdemulator.Options{Token: "t"})
	url, err := pd.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pd.Close() })
	alice, _ := pd.AddUser(pdemulator.User{Name: "Alice Chen", Email: "alice@example.com"})
	if err := pd.SetCurrentUser(alice); err != nil {
		t.Fatal(err)
	}
	ep, _ := pd.AddEscalationPolicy(pdemulator.EscalationPolicy{Name: "Payments", Levels: []pdemulator.EscalationLevel{{UserIDs: []string{alice}}}})
	svc, _ := pd.AddService(pdemulator.Service{Name: "payment-gateway", EscalationPolicyID: ep})
	res, err := pd.Trigger(pdemulator.TriggerOptions{ServiceID: svc, Title: "payment-gateway 5xx rate above 5%"})
	if err != nil {
		t.Fatal(err)
	}
	if err := pd.InjectFault(pdemulator.Fault{Method: "POST", Path: "/incidents/*/notes", Kind: pdemulator.FaultServerError, Times: 100000}); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	journalPath := filepath.Join(dir, "journal.db")
	env, _ := demoEnv(dir)
	env = append(env, "PAGERDUTY_TOKEN=t")
	argv := []string{bin, "--journal", journalPath, "--scope", "all", "--api-url", url}

	term := startTerminal(t, 120, 30, env, argv...)
	term.waitFor("the incident", 30*time.Second, contains("5xx rate above 5%"))
	term.send("n")
	term.waitFor("the note dialog", 10*time.Second, contains("what you saw or did"))
	// A dialog swallows keys typed during its grace period after it opens.
	time.Sleep(time.Second)
	term.send("-l", "rolled back v2.14.0")
	term.send("Enter")
	term.waitFor("the pending note in the header", 20*time.Second, contains("⇡1 pending"))
	term.send("q")
	term.waitFor("sitrep to say the note waits", 30*time.Second, contains("the next sitrep delivers them"))

	feed := pagerduty.New(pagerduty.Config{APIURL: url, Token: "t"})
	countNotes := func() int {
		ns, err := feed.Notes(context.Background(), res.IncidentID)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, x := range ns {
			if x.Content == "rolled back v2.14.0" {
				n++
			}
		}
		return n
	}
	if n := countNotes(); n != 0 {
		t.Fatalf("PagerDuty has the note %d times while it was failing", n)
	}

	pd.ClearFaults()
	again := startTerminal(t, 120, 30, env, argv...)
	again.waitFor("the note delivered after the restart", 60*time.Second, contains("delivered to PagerDuty"))
	if n := countNotes(); n != 1 {
		t.Fatalf("PagerDuty has the note %d times after the restart, want exactly once", n)
	}
	again.send("q")
}
