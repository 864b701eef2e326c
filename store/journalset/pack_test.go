package journalset_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sitrep/store/journal"
	"sitrep/store/journalset"
)

func pack(t *testing.T, path, id string) []byte {
	t.Helper()
	j, err := journal.Open(path, journal.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	b, sum, err := journalset.WritePack(context.Background(), j, id, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if sum.Entries == 0 || sum.Links == 0 || sum.Bytes != len(b) {
		t.Errorf("pack summary %+v: want entries, and links for the other incident's", sum)
	}
	return b
}

// TestPackStandsInForItsJournal: Bob packs the incident and hands the
// file over; read beside Alice's journal it gives the same record as his
// journal does, and discloses nothing of his other incident.
func TestPackStandsInForItsJournal(t *testing.T) {
	tm := twoEngineers(t)
	tm.closeAll(t)
	b := pack(t, tm.b, tm.id)
	if bytes.Contains(b, []byte(otherText)) || bytes.Contains(b, []byte("still filling")) {
		t.Error("the pack discloses another incident's entries")
	}
	p := filepath.Join(t.TempDir(), "bob.pack")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}

	fromJournals := openSet(t, journalset.Options{}, tm.a, tm.b)
	fromPack := openSet(t, journalset.Options{}, tm.a, p)
	src := fromPack.Sources()[1]
	if !src.Pack || !src.Verified || !src.Included || src.Origin != tm.b || src.Incident != tm.id {
		t.Fatalf("the pack: %+v; want a verified pack of %s from %s", src, tm.id, tm.b)
	}
	if src.Head != fromJournals.Sources()[1].Head {
		t.Errorf("the pack's head %v is not its journal's %v", src.Head, fromJournals.Sources()[1].Head)
	}
	want, err := fromJournals.Incident(context.Background(), tm.id)
	if err != nil {
		t.Fatal(err)
	}
	got, err := fromPack.Incident(context.Background(), tm.id)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d entries through the pack, %d through the journal", len(got), len(want))
	}
	for i := range want {
		if got[i].Hash != want[i].Hash || got[i].Source != want[i].Source || got[i].Observers != want[i].Observers {
			t.Errorf("entry %d: %+v through the pack, %+v through the journal", i, got[i], want[i])
		}
	}
	md := export(t, fromPack, tm.id)
	if audit := flat(section(md, "## Audit")); !strings.Contains(audit, "Pack "+p) || !strings.Contains(audit, src.Head.Hash.String()) {
		t.Errorf("the Audit section does not list the pack with its head:\n%s", audit)
	}
	if !strings.Contains(section(md, "## Responders"), "Bob Stone") {
		t.Error("Bob is not among the responders through his pack")
	}
}

// TestTamperedPackIsLeftOut: every way of editing a pack by hand is found
// and the pack is named and left out.
func TestTamperedPackIsLeftOut(t *testing.T) {
	tm := twoEngineers(t)
	tm.closeAll(t)
	good := pack(t, tm.b, tm.id)
	lines := strings.SplitAfter(strings.TrimSuffix(string(good), "\n"), "\n")
	firstLink := -1
	for i, l := range lines {
		if strings.HasPrefix(l, `{"link"`) && firstLink < 0 {
			firstLink = i
		}
	}
	if firstLink < 0 {
		t.Fatal("the pack has no link")
	}
	var entryLine int
	for i, l := range lines {
		if strings.Contains(l, "connection refused") {
			entryLine = i
		}
	}
	edit := func(f func([]string) []string) []byte {
		c := append([]string(nil), lines...)
		return []byte(strings.Join(f(c), ""))
	}
	header := func(c []string, f func(map[string]any)) {
		var h map[string]any
		if err := json.Unmarshal([]byte(c[0]), &h); err != nil {
			t.Fatal(err)
		}
		f(h)
		b, _ := json.Marshal(h)
		c[0] = string(b) + "\n"
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"entry text changed", edit(func(c []string) []string {
			c[entryLine] = strings.Replace(c[entryLine], "connection refused", "connection accepted", 1)
			return c
		}), "hash mismatch"},
		{"entry removed", edit(func(c []string) []string {
			return append(c[:entryLine], c[entryLine+1:]...)
		}), "cut short or edited"},
		{"entry removed and the header fixed", edit(func(c []string) []string {
			header(c, func(h map[string]any) { h["entries"] = h["entries"].(float64) - 1 })
			return append(c[:entryLine], c[entryLine+1:]...)
		}), "removed or reordered"},
		{"link changed", edit(func(c []string) []string {
			var l struct {
				Link struct {
					Seq   uint64 `json:"seq"`
					State []byte `json:"state"`
				} `json:"link"`
			}
			if err := json.Unmarshal([]byte(c[firstLink]), &l); err != nil {
				t.Fatal(err)
			}
			l.Link.State[20] ^= 1
			c[firstLink] = `{"link":{"seq":` + jsonNum(l.Link.Seq) + `,"state":"` + base64.StdEncoding.EncodeToString(l.Link.State) + `"}}` + "\n"
			return c
		}), "mismatch"},
		{"head changed", edit(func(c []string) []string {
			header(c, func(h map[string]any) {
				head := h["head"].(map[string]any)
				head["hash"] = strings.Repeat("0", 64)
			})
			return c
		}), "head mismatch"},
		{"cut short", good[:len(good)/2], ""},
		{"not JSON after the header", edit(func(c []string) []string {
			c[1] = "garbage\n"
			return c
		}), "line 2 cannot be read"},
	}
	dir := t.TempDir()
	for i, tc := range tests {
		p := filepath.Join(dir, "pack"+jsonNum(uint64(i)))
		if err := os.WriteFile(p, tc.data, 0o600); err != nil {
			t.Fatal(err)
		}
		s := openSet(t, journalset.Options{}, tm.a, p)
		src := s.Sources()[1]
		if src.Included || src.Verified || !strings.Contains(src.Problem, tc.want) {
			t.Errorf("%s: %+v; want it left out, saying %q", tc.name, src, tc.want)
		}
		if !strings.Contains(src.Status(), p) {
			t.Errorf("%s: the status does not name the pack: %s", tc.name, src.Status())
		}
		es, err := s.Incident(context.Background(), tm.id)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			if e.Source == 1 {
				t.Errorf("%s: an entry of the tampered pack is read: %+v", tc.name, e)
				break
			}
		}
	}
}

func jsonNum(n uint64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestPackRefusesABrokenJournal: a pack proves its entries through the
// chain; a journal whose chain is broken is not packed.
func TestPackRefusesABrokenJournal(t *testing.T) {
	tm := twoEngineers(t)
	tm.closeAll(t)
	flipByte(t, tm.b, []byte("connection refused"))
	j, err := journal.Open(tm.b, journal.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	_, _, err = journalset.WritePack(context.Background(), j, tm.id, time.Now())
	if err == nil || !strings.Contains(err.Error(), "does not verify") || !strings.Contains(err.Error(), tm.b) {
		t.Errorf("packing a broken journal: %v; want a refusal naming it", err)
	}
	_, _, err = journalset.WritePack(context.Background(), mustOpen(t, tm.a), "QNOTHERE", time.Now())
	if err == nil || !strings.Contains(err.Error(), "no entries for this incident") {
		t.Errorf("packing an incident the journal never saw: %v", err)
	}
}

func mustOpen(t *testing.T, p string) *journal.Journal {
	t.Helper()
	j, err := journal.Open(p, journal.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

// FuzzReadPack: whatever a file holds, reading and verifying it never
// panics, and only a pack that verifies is read.
func FuzzReadPack(f *testing.F) {
	f.Add([]byte(`{"sitrep_pack":1,"incident":"Q1","journal":"a","head":{"seq":1,"hash":"` + strings.Repeat("0", 64) + `"},"packed":"2026-01-01T00:00:00Z","entries":0,"links":0}` + "\n"))
	f.Add([]byte(`{"sitrep_pack":1}` + "\n" + `{"link":{"seq":1,"state":"AAAA"}}`))
	f.Add([]byte(`{"sitrep_pack":1,"incident":"Q1"}` + "\n" + `{"entry":{"seq":1,"at":"2026-01-01T00:00:00Z","recorded":"2026-01-01T00:00:00Z","kind":"note","prev":"` + strings.Repeat("0", 64) + `","hash":"` + strings.Repeat("0", 64) + `"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "f.pack")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		pk, err := journalset.ReadPack(p)
		if err != nil {
			var bad *journalset.BadPackError
			if !errors.As(err, &bad) {
				t.Fatalf("a malformed pack is not a BadPackError: %v", err)
			}
			return
		}
		_ = pk.Verify()
	})
}
