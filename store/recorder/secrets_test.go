package recorder_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"sitrep/sources/sanitize"
	"sitrep/store/journal"
	"sitrep/store/recorder"
)

const echoed = "echo-Token-91ab"

// An entry that quotes an error quoting a server's answer (the token it
// echoed, escape sequences) is journaled without either, and an export
// hides the token even where the journal kept it from before it was known.
func TestJournalAndExportHoldNoSecret(t *testing.T) {
	_, feed, j, id := setup(t)
	ctx := context.Background()
	// Journaled before sitrep knew the secret: the export still hides it.
	if _, err := j.Append(journal.Entry{Incident: id, Kind: "note", Actor: "sitrep", Summary: "older: token " + echoed}); err != nil {
		t.Fatal(err)
	}
	rec := recorder.New(j, feed, filepath.Join(t.TempDir(), "exports"))
	secrets := &sanitize.Secrets{}
	secrets.Add(echoed)
	rec.SetSecrets(secrets)

	hostile := "add note to " + id + ": proxy answered 502: Authorization: Token token=" + echoed + " \x1b]0;pwned\x07\x1b]52;c;cHduZWQ=\x07"
	data, _ := json.Marshal(map[string]any{"error": hostile, "attempts": 3, "tried": []string{echoed}})
	if err := rec.Record(ctx, journal.Entry{Incident: id, Kind: "note.failed", Summary: "note not delivered: " + hostile, Data: data}); err != nil {
		t.Fatal(err)
	}
	entries, err := rec.Entries(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	last := entries[len(entries)-1]
	if strings.Contains(last.Summary, echoed) || strings.ContainsAny(last.Summary, "\x1b\x07") {
		t.Errorf("journaled summary %q holds the token or an escape", last.Summary)
	}
	if !strings.HasPrefix(last.Summary, "note not delivered: add note to "+id) {
		t.Errorf("summary %q lost its words", last.Summary)
	}
	if strings.Contains(string(last.Data), echoed) || !json.Valid(last.Data) {
		t.Errorf("journaled data %s holds the token or is not JSON", last.Data)
	}
	var got struct{ Attempts int }
	if json.Unmarshal(last.Data, &got) != nil || got.Attempts != 3 {
		t.Errorf("data %s lost its values", last.Data)
	}

	var doc bytes.Buffer
	if err := rec.ExportTo(ctx, &doc, id); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(doc.String(), echoed) {
		t.Errorf("the export holds the token:\n%s", doc.String())
	}
	if !strings.Contains(doc.String(), "[redacted]") {
		t.Errorf("the export does not say what it hid")
	}
}
