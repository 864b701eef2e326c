package journal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

var t0 = time.Date(2026, 11, 29, 3, 4, 5, 600, time.UTC)

// clock is a fixed, stepping clock for Options.Now.
func clock() func() time.Time {
	var mu sync.Mutex
	n := 0
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		n++
		return t0.Add(time.Duration(n) * time.Second)
	}
}

func openTemp(t testing.TB, opts Options) (*Journal, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sitrep", "journal.db")
	if opts.Now == nil {
		opts.Now = clock()
	}
	j, err := Open(path, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { _ = j.Close() })
	return j, path
}

func mustAppend(t testing.TB, j *Journal, e Entry) Entry {
	t.Helper()
	got, err := j.Append(e)
	if err != nil {
		t.Fatalf("Append(%+v): %v", e, err)
	}
	return got
}

func mustVerify(t testing.TB, j *Journal) Report {
	t.Helper()
	r, err := j.Verify(context.Background())
	if err != nil || !r.OK {
		t.Fatalf("Verify = %v, %v; want ok", r, err)
	}
	return r
}

func TestDefaultPath(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	tests := []struct {
		name, xdg, want string
	}{
		{"xdg set", filepath.Join(home, "data"), filepath.Join(home, "data", "sitrep", "journal.db")},
		{"xdg unset", "", filepath.Join(home, ".local", "share", "sitrep", "journal.db")},
		{"xdg relative is ignored", "rel/data", filepath.Join(home, ".local", "share", "sitrep", "journal.db")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("XDG_DATA_HOME", tt.xdg)
			got, err := DefaultPath()
			if err != nil || got != tt.want {
				t.Errorf("DefaultPath() = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestOpenCreatesPrivateFiles(t *testing.T) {
	j, path := openTemp(t, Options{})
	for _, c := range []struct {
		path string
		want os.FileMode
	}{{filepath.Dir(path), 0o700}, {path, 0o600}, {ownerPath(path), 0o600}} {
		fi, err := os.Stat(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != c.want {
			t.Errorf("%s mode = %o, want %o", filepath.Base(c.path), got, c.want)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(ownerPath(path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("owner sidecar left behind after Close: %v", err)
	}
	if err := j.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if _, err := j.Append(Entry{Kind: "note"}); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close = %v, want ErrClosed", err)
	}
}

func TestAppendChains(t *testing.T) {
	j, _ := openTemp(t, Options{})
	at := time.Date(2026, 11, 29, 2, 0, 0, 0, time.FixedZone("CET", 3600))
	in := []Entry{
		{Incident: "P1", Kind: "seen", Actor: "sitrep", Summary: "seen", At: at},
		{Incident: "P1", Kind: "status.acknowledge", Actor: "Ana", Summary: "ack\nnowledged\x1b[31m", Data: json.RawMessage(`{ "a" : 1 }`)},
		{Kind: "export", Summary: "no incident"},
	}
	var prev Hash
	for i, e := range in {
		got := mustAppend(t, j, e)
		if got.Seq != uint64(i+1) {
			t.Errorf("entry %d: Seq = %d", i, got.Seq)
		}
		if got.Prev != prev {
			t.Errorf("entry %d: Prev = %s, want %s", i, got.Prev, prev)
		}
		if got.Hash != got.ComputeHash() || got.Hash.IsZero() {
			t.Errorf("entry %d: Hash %s does not match content", i, got.Hash)
		}
		if got.Recorded.IsZero() || got.Recorded.Location() != time.UTC {
			t.Errorf("entry %d: Recorded = %v", i, got.Recorded)
		}
		stored, ok, err := j.Get(got.Seq)
		if err != nil || !ok {
			t.Fatalf("Get(%d) = %v, %v", got.Seq, ok, err)
		}
		if stored.Hash != got.Hash || stored.Summary != got.Summary || string(stored.Data) != string(got.Data) {
			t.Errorf("Get(%d) = %+v, want %+v", got.Seq, stored, got)
		}
		prev = got.Hash
	}
	first, _, _ := j.Get(1)
	if !first.At.Equal(at) || first.At.Location() != time.UTC {
		t.Errorf("At = %v, want %v in UTC", first.At, at)
	}
	second, _, _ := j.Get(2)
	if second.Summary != "ack nowledged" {
		t.Errorf("Summary = %q, want one sanitised line", second.Summary)
	}
	if string(second.Data) != `{"a":1}` {
		t.Errorf("Data = %s, want compact JSON", second.Data)
	}
	if !second.At.Equal(second.Recorded) {
		t.Errorf("zero At = %v, want Recorded %v", second.At, second.Recorded)
	}
	h, err := j.Head()
	if err != nil || h.Seq != 3 || h.Hash != prev {
		t.Errorf("Head = %+v, %v; want seq 3 hash %s", h, err, prev)
	}
	mustVerify(t, j)
}

// TestCanonicalIsStable pins the canonical encoding: if this hash changes,
// every existing journal stops verifying, so it needs a new schema.
func TestCanonicalIsStable(t *testing.T) {
	e := Entry{
		Seq: 7, At: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), Recorded: time.Date(2026, 1, 2, 3, 4, 6, 0, time.UTC),
		Incident: "PABC", Kind: "note", Actor: "Ana", Summary: "hello", Data: json.RawMessage(`{"x":1}`),
		SourceID: "pd:note:N1", Prev: Hash{1, 2, 3},
	}
	const want = "65d37c64215a5a24282241ea9bc425dc9454bc9234ecc483f51024db984d74e5"
	got := e.ComputeHash().String()
	if got != want {
		t.Errorf("canonical hash = %s, want %s", got, want)
	}
	// Length prefixes: moving a byte between fields changes the hash.
	f := e
	f.Actor, f.Summary = "An", "ahello"
	if f.ComputeHash() == e.ComputeHash() {
		t.Error("fields are not length-prefixed: shifted bytes hash the same")
	}
	d, err := decode(e.encode())
	if err != nil {
		t.Fatal(err)
	}
	if d.ComputeHash() != e.ComputeHash() {
		t.Errorf("decode(encode(e)) = %+v, want %+v", d, e)
	}
}

func TestAppendRefusesInvalid(t *testing.T) {
	j, _ := openTemp(t, Options{})
	tests := []struct {
		name string
		e    Entry
	}{
		{"empty kind", Entry{}},
		{"kind with space", Entry{Kind: "status ack"}},
		{"kind upper case", Entry{Kind: "Note"}},
		{"data not JSON", Entry{Kind: "note", Data: json.RawMessage(`{"a":`)}},
		{"incident too long", Entry{Kind: "note", Incident: strings.Repeat("P", MaxIncident+1)}},
		{"source ID not UTF-8", Entry{Kind: "note", SourceID: "pd:\xff"}},
		{"year 10000", Entry{Kind: "note", At: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := j.Append(tt.e); !errors.Is(err, ErrInvalidEntry) {
				t.Errorf("Append = %v, want ErrInvalidEntry", err)
			}
		})
	}
	if h, _ := j.Head(); h.Seq != 0 {
		t.Errorf("refused entries were written: head %d", h.Seq)
	}
}

func TestDataIsBounded(t *testing.T) {
	j, _ := openTemp(t, Options{})
	big := func(s string) json.RawMessage {
		b, _ := json.Marshal(map[string]string{"output": s})
		return b
	}
	tests := []struct {
		name      string
		data      json.RawMessage
		truncated bool
	}{
		{"small", big("ok"), false},
		{"exactly at the cap", big(strings.Repeat("a", MaxData-len(`{"output":""}`))), false},
		{"over the cap", big(strings.Repeat("a", MaxData)), true},
		{"control bytes that grow when escaped", big(strings.Repeat("\x01\x02é", MaxData/2)), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := mustAppend(t, j, Entry{Kind: "enrichment", Data: tt.data})
			if len(e.Data) > MaxData || !json.Valid(e.Data) {
				t.Fatalf("stored data is %d bytes, valid %v", len(e.Data), json.Valid(e.Data))
			}
			var m struct {
				Truncated     bool   `json:"truncated"`
				OriginalBytes int    `json:"original_bytes"`
				Head          string `json:"head"`
			}
			_ = json.Unmarshal(e.Data, &m)
			if m.Truncated != tt.truncated {
				t.Fatalf("truncated = %v, want %v", m.Truncated, tt.truncated)
			}
			if tt.truncated && (m.OriginalBytes != len(tt.data) || m.Head == "" || !strings.HasPrefix(string(tt.data), m.Head[:8])) {
				t.Errorf("marker = %d bytes, head %.20q; want %d and the data's start", m.OriginalBytes, m.Head, len(tt.data))
			}
		})
	}
	mustVerify(t, j)
}

func TestSourceIDDeduplicates(t *testing.T) {
	j, path := openTemp(t, Options{})
	first := mustAppend(t, j, Entry{Incident: "P1", Kind: "status.acknowledge", SourceID: "pd:log:R1", Summary: "ack"})
	again, err := j.Append(Entry{Incident: "P1", Kind: "status.acknowledge", SourceID: "pd:log:R1", Summary: "ack again"})
	if !errors.Is(err, ErrDuplicate) || again.Seq != first.Seq || again.Summary != "ack" {
		t.Fatalf("second Append = %+v, %v; want the first entry and ErrDuplicate", again, err)
	}
	res, err := j.AppendBatch([]Entry{
		{Incident: "P1", Kind: "note", SourceID: "pd:log:R2"},
		{Incident: "P1", Kind: "note", SourceID: "pd:log:R1"},
		{Incident: "P1", Kind: "note", SourceID: "pd:log:R2"},
		{Incident: "P1", Kind: "note"},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantDup := []bool{false, true, true, false}
	wantSeq := []uint64{2, 1, 2, 3}
	for i, r := range res {
		if r.Duplicate != wantDup[i] || r.Entry.Seq != wantSeq[i] {
			t.Errorf("batch[%d] = dup %v seq %d; want dup %v seq %d", i, r.Duplicate, r.Entry.Seq, wantDup[i], wantSeq[i])
		}
	}
	// Across restarts too.
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j2, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer j2.Close()
	if _, err := j2.Append(Entry{Incident: "P1", Kind: "note", SourceID: "pd:log:R2"}); !errors.Is(err, ErrDuplicate) {
		t.Errorf("Append after reopen = %v, want ErrDuplicate", err)
	}
	if es, _ := j2.Entries("P1"); len(es) != 3 {
		t.Errorf("Entries = %d, want 3", len(es))
	}
}

func TestIndexes(t *testing.T) {
	j, _ := openTemp(t, Options{})
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var batch []Entry
	for i := range 30 {
		batch = append(batch, Entry{Incident: fmt.Sprintf("P%d", i%3), Kind: "note", At: base.Add(time.Duration(i) * time.Minute)})
	}
	batch = append(batch, Entry{Kind: "export"}, Entry{Incident: "P0", Kind: "note", At: base.Add(-time.Hour)})
	if _, err := j.AppendBatch(batch); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		id          string
		n           int
		first, last time.Time
	}{
		{"P0", 11, base.Add(-time.Hour), base.Add(27 * time.Minute)},
		{"P1", 10, base.Add(time.Minute), base.Add(28 * time.Minute)},
		{"P2", 10, base.Add(2 * time.Minute), base.Add(29 * time.Minute)},
		{"P9", 0, time.Time{}, time.Time{}},
	}
	sums, err := j.Incidents()
	if err != nil {
		t.Fatal(err)
	}
	if len(sums) != 3 || sums[0].ID != "P2" {
		t.Errorf("Incidents = %+v, want 3, most recent (P2) first", sums)
	}
	byID := map[string]IncidentSummary{}
	for _, s := range sums {
		byID[s.ID] = s
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			es, err := j.Entries(tt.id)
			if err != nil || len(es) != tt.n {
				t.Fatalf("Entries = %d, %v; want %d", len(es), err, tt.n)
			}
			for i, e := range es {
				if e.Incident != tt.id || i > 0 && e.Seq <= es[i-1].Seq {
					t.Errorf("entry %d = %s seq %d: wrong incident or order", i, e.Incident, e.Seq)
				}
			}
			s := byID[tt.id]
			if s.Entries != uint64(tt.n) || !s.First.Equal(tt.first) || !s.Last.Equal(tt.last) {
				t.Errorf("summary = %+v, want %d %v..%v", s, tt.n, tt.first, tt.last)
			}
		})
	}
}

func TestConcurrentAppends(t *testing.T) {
	j, _ := openTemp(t, Options{})
	const workers, each = 8, 25
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if _, err := j.Append(Entry{Incident: fmt.Sprintf("P%d", w), Kind: "note", SourceID: fmt.Sprintf("w%d:%d", w, i)}); err != nil {
					t.Error(err)
				}
			}
		}()
		wg.Add(1)
		go func() { // readers alongside
			defer wg.Done()
			for range each {
				if _, err := j.Entries(fmt.Sprintf("P%d", w)); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if r := mustVerify(t, j); r.Entries != workers*each {
		t.Errorf("Verify saw %d entries, want %d", r.Entries, workers*each)
	}
}

func TestWriter(t *testing.T) {
	j, _ := openTemp(t, Options{})
	var mu sync.Mutex
	var failed []error
	w := NewWriter(j, 0, func(_ []Entry, err error) {
		mu.Lock()
		failed = append(failed, err)
		mu.Unlock()
	})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				if err := w.Append(Entry{Incident: "P1", Kind: "enrichment", SourceID: fmt.Sprintf("%d/%d", g, i)}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if err := w.Append(Entry{Kind: "Bad Kind"}); err != nil { // refused at commit, not here
		t.Fatal(err)
	}
	_ = w.Append(Entry{Incident: "P1", Kind: "note"})
	w.Flush()
	if es, _ := j.Entries("P1"); len(es) != 201 {
		t.Errorf("after Flush: %d entries, want 201", len(es))
	}
	w.Close()
	if err := w.Append(Entry{Kind: "note"}); !errors.Is(err, ErrWriterClosed) {
		t.Errorf("Append after Close = %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(failed) != 1 || !errors.Is(failed[0], ErrInvalidEntry) {
		t.Errorf("onError got %v, want one ErrInvalidEntry", failed)
	}
	mustVerify(t, j)
}

func TestWriterQueueBound(t *testing.T) {
	j, _ := openTemp(t, Options{})
	w := NewWriter(j, 1, nil)
	defer w.Close()
	// Fill faster than a commit can finish: at least one must be refused
	// or all accepted; the bound must never be exceeded.
	refused := 0
	for range 1000 {
		if err := w.Append(Entry{Kind: "note"}); errors.Is(err, ErrQueueFull) {
			refused++
		}
	}
	w.Flush()
	h, _ := j.Head()
	if h.Seq+uint64(refused) != 1000 {
		t.Errorf("written %d + refused %d != 1000", h.Seq, refused)
	}
}

func TestReadOnlyMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	w, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, w, Entry{Incident: "P1", Kind: "note"})
	if err := w.SaveIncidents("mine", t0, nil); err != nil {
		t.Fatal(err)
	}
	w.Close()

	r, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	r2, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("second reader: %v", err)
	}
	r2.Close()
	writes := []struct {
		name string
		do   func() error
	}{
		{"Append", func() error { _, err := r.Append(Entry{Kind: "note"}); return err }},
		{"AppendBatch", func() error { _, err := r.AppendBatch([]Entry{{Kind: "note"}}); return err }},
		{"SaveIncidents", func() error { return r.SaveIncidents("mine", t0, nil) }},
	}
	for _, tt := range writes {
		if err := tt.do(); !errors.Is(err, ErrReadOnly) {
			t.Errorf("%s = %v, want ErrReadOnly", tt.name, err)
		}
	}
	if es, err := r.Entries("P1"); err != nil || len(es) != 1 {
		t.Errorf("Entries = %d, %v", len(es), err)
	}
	mustVerify(t, r)

	missing := filepath.Join(t.TempDir(), "none.db")
	if _, err := Open(missing, Options{ReadOnly: true}); !errors.Is(err, ErrNotExist) {
		t.Errorf("read-only open of a missing file = %v, want ErrNotExist", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Error("read-only open created the file")
	}
}

func TestSecondOpenGetsAClearMessage(t *testing.T) {
	pid := fmt.Sprintf("pid %d", os.Getpid())
	tests := []struct {
		name          string
		first, second bool // ReadOnly
		wantInMessage []string
	}{
		{"writer then writer", false, false, []string{pid, "writing", "--read-only"}},
		{"reader then writer", true, false, []string{pid, "reading", "--read-only"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "journal.db")
			seed, err := Open(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			seed.Close()
			a, err := Open(path, Options{ReadOnly: tt.first})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			b, err := Open(path, Options{ReadOnly: tt.second, LockTimeout: 50 * time.Millisecond})
			if err == nil {
				b.Close()
				t.Fatal("second open succeeded")
			}
			if !errors.Is(err, ErrLocked) {
				t.Fatalf("err = %v, want ErrLocked", err)
			}
			for _, w := range append(tt.wantInMessage, path) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestReaderBesideAWriterReadsASnapshot: --read-only works while another
// sitrep writes, on a copy, and never stops the writer.
func TestReaderBesideAWriterReadsASnapshot(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	w, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.Append(Entry{Incident: "P1", Kind: "note", Summary: "before"}); err != nil {
		t.Fatal(err)
	}
	r, err := Open(path, Options{ReadOnly: true, LockTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatalf("a reader beside a writer: %v", err)
	}
	if !r.Snapshot() {
		t.Error("the reader did not say it reads a snapshot")
	}
	if _, err := w.Append(Entry{Incident: "P1", Kind: "note", Summary: "after"}); err != nil {
		t.Fatalf("the writer was stopped by the reader: %v", err)
	}
	es, err := r.Entries("P1")
	if err != nil || len(es) != 1 || es[0].Summary != "before" {
		t.Errorf("snapshot entries = %+v, %v; want the one written before it", es, err)
	}
	if rep, err := r.Verify(context.Background()); err != nil || !rep.OK {
		t.Errorf("verify on the snapshot: %v %v", rep, err)
	}
	if _, err := r.Append(Entry{Incident: "P1", Kind: "note"}); !errors.Is(err, ErrReadOnly) {
		t.Errorf("a snapshot accepted a write: %v", err)
	}
	r.Close()
	if _, err := os.Stat(r.snapshot); !errors.Is(err, os.ErrNotExist) {
		t.Error("the snapshot file is left behind")
	}
}

func TestNewerSchemaIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	j, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	j.Close()
	rewrite(t, path, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keySchema, []byte{0, 0, 0, 9})
	})
	for _, ro := range []bool{false, true} {
		_, err := Open(path, Options{ReadOnly: ro})
		want := fmt.Sprintf("journal %s was written by a newer sitrep (schema 9); upgrade sitrep or use --journal to pick another file", path)
		if !errors.Is(err, ErrNewerSchema) || !strings.Contains(err.Error(), want) {
			t.Errorf("ReadOnly=%v: Open = %v, want %q", ro, err, want)
		}
	}
}

func TestForeignBoltFileIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("x")); return err })
	db.Close()
	if _, err := Open(path, Options{}); err == nil || !strings.Contains(err.Error(), "not a sitrep journal") {
		t.Errorf("Open = %v, want 'not a sitrep journal'", err)
	}
}

func TestIncidentCache(t *testing.T) {
	j, _ := openTemp(t, Options{})
	in := makeIncidents(3)
	if err := j.SaveIncidents("mine", t0, in); err != nil {
		t.Fatal(err)
	}
	if err := j.SaveIncidents("all", t0.Add(time.Hour), makeIncidents(5)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		scope string
		n     int
		at    time.Time
	}{
		{"mine", 3, t0.Truncate(0)},
		{"all", 5, t0.Add(time.Hour)},
		{"teams", 0, time.Time{}},
	}
	for _, tt := range tests {
		got, at, err := j.LoadIncidents(tt.scope)
		if err != nil || len(got) != tt.n || !at.Equal(tt.at) {
			t.Errorf("LoadIncidents(%s) = %d, %v, %v; want %d at %v", tt.scope, len(got), at, err, tt.n, tt.at)
		}
	}
	got, _, _ := j.LoadIncidents("mine")
	if got[1].Title != in[1].Title || !got[1].CreatedAt.Equal(in[1].CreatedAt) || got[1].Service != in[1].Service {
		t.Errorf("round trip: got %+v, want %+v", got[1], in[1])
	}
	if err := j.SaveIncidents("", t0, in); err == nil {
		t.Error("empty scope accepted")
	}
}

// rewrite opens the journal file with bbolt directly, as a tamperer would.
func rewrite(t testing.TB, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
}

// TestLockMessageFromSidecar covers systems without /proc/locks: the
// writer's sidecar alone names it.
func TestLockMessageFromSidecar(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		owner   string // sidecar content; "" for none
		want    []string
		notWant string
	}{
		{"live owner", fmt.Sprintf(`{"pid":%d,"since":"2026-11-29T02:00:00Z","command":"sitrep"}`, os.Getpid()),
			[]string{fmt.Sprintf("sitrep (pid %d, writing since 2026-11-29T02:00:00Z)", os.Getpid()), "--read-only"}, ""},
		{"no sidecar", "", []string{"another process", "--read-only"}, "pid"},
		{"garbage sidecar", "{not json", []string{"another process"}, "pid"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprintf("j%d.db", i))
			writeFile(t, path, nil) // exists, unlocked: /proc/locks has nothing on it
			if tt.owner != "" {
				writeFile(t, ownerPath(path), []byte(tt.owner))
			}
			err := lockedError(path, false)
			if !errors.Is(err, ErrLocked) {
				t.Fatalf("err = %v", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q lacks %q", err, w)
				}
			}
			if tt.notWant != "" && strings.Contains(err.Error(), tt.notWant) {
				t.Errorf("%q contains %q", err, tt.notWant)
			}
		})
	}
}
