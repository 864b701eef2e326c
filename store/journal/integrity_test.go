package journal

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"sitrep/sources/pagerduty"
)

func makeIncidents(n int) []pagerduty.Incident {
	out := make([]pagerduty.Incident, n)
	for i := range out {
		out[i] = pagerduty.Incident{
			ID: fmt.Sprintf("Q%06d", i), Number: uint(1000 + i),
			Title:  fmt.Sprintf("[FIRING:1] HighErrorRate payment-gateway 5xx above 5%% for 5m (instance %d)", i),
			Status: pagerduty.StatusTriggered, Urgency: pagerduty.UrgencyHigh, Priority: "P1",
			Service:          pagerduty.Ref{ID: "PSVC01", Name: "payment-gateway"},
			Teams:            []pagerduty.Ref{{ID: "PT1", Name: "Payments"}},
			Assignees:        []pagerduty.Ref{{ID: "PU1", Name: "Ana Ops"}},
			EscalationPolicy: pagerduty.Ref{ID: "PEP1", Name: "Payments primary"},
			CreatedAt:        t0.Add(time.Duration(i) * time.Minute), LastChangeAt: t0.Add(time.Duration(i) * time.Minute),
			HTMLURL:     fmt.Sprintf("https://example.pagerduty.com/incidents/Q%06d", i),
			AlertCounts: pagerduty.Counts{All: 2, Triggered: 1, Resolved: 1},
		}
	}
	return out
}

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

// seeded returns a closed journal with n entries for incident P1.
func seeded(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "journal.db")
	j, err := Open(path, Options{Now: clock()})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		mustAppend(t, j, Entry{Incident: "P1", Kind: "note", Summary: fmt.Sprintf("note %d", i), Data: []byte(`{"n":` + strconv.Itoa(i) + `}`)})
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestTamperIsDetected rewrites the file with bbolt directly, as someone
// editing the record would, and checks Verify names the altered entry.
func TestTamperIsDetected(t *testing.T) {
	edit := func(seq uint64, rehash bool, change func(*Entry)) func(*bolt.Tx) error {
		return func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketEntries)
			e, err := decode(b.Get(seqKey(seq)))
			if err != nil {
				return err
			}
			change(&e)
			if rehash {
				e.Hash = e.ComputeHash()
			}
			return b.Put(seqKey(seq), e.encode())
		}
	}
	tests := []struct {
		name    string
		tamper  func(*bolt.Tx) error
		badSeq  uint64
		problem Problem
	}{
		{"data changed", edit(5, false, func(e *Entry) { e.Data = []byte(`{"n":999}`) }), 5, ProblemHash},
		{"summary changed and rehashed", edit(5, true, func(e *Entry) { e.Summary = "nothing happened" }), 6, ProblemPrev},
		{"last entry rehashed", edit(10, true, func(e *Entry) { e.Actor = "mallory" }), 10, ProblemHead},
		{"time moved", edit(3, false, func(e *Entry) { e.At = e.At.Add(-time.Hour) }), 3, ProblemHash},
		{"entry deleted", func(tx *bolt.Tx) error { return tx.Bucket(bucketEntries).Delete(seqKey(4)) }, 4, ProblemGap},
		{"last entry deleted", func(tx *bolt.Tx) error { return tx.Bucket(bucketEntries).Delete(seqKey(10)) }, 10, ProblemGap},
		{"bytes garbled", func(tx *bolt.Tx) error { return tx.Bucket(bucketEntries).Put(seqKey(7), []byte("garbage")) }, 7, ProblemUndecodable},
		{"moved to another key", func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketEntries)
			return b.Put(seqKey(8), append([]byte(nil), b.Get(seqKey(9))...))
		}, 8, ProblemKey},
		{"hidden from the incident", func(tx *bolt.Tx) error {
			return tx.Bucket(bucketIncidents).Bucket([]byte("P1")).Delete(seqKey(2))
		}, 2, ProblemIndex},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := seeded(t, 10)
			rewrite(t, path, tt.tamper)
			j, err := Open(path, Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer j.Close()
			r, err := j.Verify(context.Background())
			if !errors.Is(err, ErrBroken) || r.OK {
				t.Fatalf("Verify = %v, %v; want ErrBroken", r, err)
			}
			if r.BadSeq != tt.badSeq || r.Problem != tt.problem {
				t.Errorf("Verify found seq %d %q (%s); want seq %d %q", r.BadSeq, r.Problem, r.Detail, tt.badSeq, tt.problem)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("seq %d", tt.badSeq)) {
				t.Errorf("error %q does not name seq %d", err, tt.badSeq)
			}
		})
	}
}

// TestDamagedFile damages the file below bbolt and checks that every way
// in gives an error naming the file, never a panic or a crash.
func TestDamagedFile(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, path string)
	}{
		{"not a database", func(t *testing.T, path string) {
			writeFile(t, path, []byte(strings.Repeat("not a bolt file\n", 1000)))
		}},
		{"truncated to one page", func(t *testing.T, path string) { truncate(t, path, 4096) }},
		{"truncated in the middle", func(t *testing.T, path string) { truncate(t, path, usedSize(t, path)/2) }},
		{"meta pages zeroed", func(t *testing.T, path string) { overwrite(t, path, 0, make([]byte, 8192)) }},
		{"data pages zeroed", func(t *testing.T, path string) { overwrite(t, path, 4*4096, make([]byte, size(t, path)-4*4096)) }},
		{"data pages random", func(t *testing.T, path string) {
			r := rand.New(rand.NewPCG(1, 2))
			b := make([]byte, size(t, path)-2*4096)
			for i := range b {
				b[i] = byte(r.Uint32())
			}
			overwrite(t, path, 2*4096, b)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := seeded(t, 300)
			tt.damage(t, path)
			for _, ro := range []bool{true, false} {
				err := tryEverything(path, ro)
				if err == nil {
					t.Errorf("ReadOnly=%v: damage went unnoticed", ro)
					continue
				}
				if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrBroken) {
					t.Errorf("ReadOnly=%v: error %q is not ErrCorrupt or ErrBroken", ro, err)
				}
				if !strings.Contains(err.Error(), path) {
					t.Errorf("ReadOnly=%v: error %q does not name the file", ro, err)
				}
			}
		})
	}
}

// tryEverything opens the journal and reads all of it, returning the first
// error; a panic fails the test by escaping.
func tryEverything(path string, readOnly bool) error {
	j, err := Open(path, Options{ReadOnly: readOnly, LockTimeout: time.Second})
	if err != nil {
		return err
	}
	defer j.Close()
	if _, err := j.Verify(context.Background()); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if _, err := j.Entries("P1"); err != nil {
		return err
	}
	if _, err := j.Incidents(); err != nil {
		return err
	}
	if !readOnly {
		if _, err := j.Append(Entry{Incident: "P1", Kind: "note"}); err != nil {
			return err
		}
	}
	return nil
}

func size(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// usedSize is the part of the file bbolt uses; the rest is preallocated.
func usedSize(t *testing.T, path string) int64 {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int64
	_ = db.View(func(tx *bolt.Tx) error { n = tx.Size(); return nil })
	return n
}

func truncate(t *testing.T, path string, n int64) {
	t.Helper()
	if err := os.Truncate(path, n); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func overwrite(t *testing.T, path string, off int64, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

const helperEnv = "SITREP_JOURNAL_HELPER_PATH"

// TestHelperAppender is not a test: TestCrashLosesAtMostOneEntry runs the
// test binary again with helperEnv set, and this appends until killed,
// printing each Seq once its commit has returned.
func TestHelperAppender(t *testing.T) {
	path := os.Getenv(helperEnv)
	if path == "" {
		t.Skip("helper process for TestCrashLosesAtMostOneEntry")
	}
	j, err := Open(path, Options{LockTimeout: 5 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	w := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		data := fmt.Sprintf(`{"i":%d,"pad":%q}`, i, strings.Repeat("x", i%3000))
		e, err := j.Append(Entry{Incident: fmt.Sprintf("P%d", i%4), Kind: "enrichment", SourceID: fmt.Sprintf("helper:%d:%d", os.Getpid(), i), Data: []byte(data)})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		fmt.Fprintln(w, e.Seq)
		w.Flush()
	}
}

// TestCrashLosesAtMostOneEntry kills an appending process with SIGKILL at
// random moments, 20 times, and checks after each kill that the journal
// opens, verifies, and holds every entry whose commit had returned.
func TestCrashLosesAtMostOneEntry(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 20 processes")
	}
	path := filepath.Join(t.TempDir(), "journal.db")
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	var committed uint64
	for round := range 20 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperAppender$", "-test.count=1")
		cmd.Env = append(os.Environ(), helperEnv+"="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		killAfter := 1 + r.IntN(150)
		sc := bufio.NewScanner(out)
		var last uint64
		for n := 0; n < killAfter && sc.Scan(); n++ {
			seq, err := strconv.ParseUint(sc.Text(), 10, 64)
			if err != nil {
				t.Fatalf("round %d: helper printed %q", round, sc.Text())
			}
			last = seq
		}
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		if last == 0 {
			t.Fatalf("round %d: helper committed nothing: %s", round, stderr.String())
		}
		committed = last

		j, err := Open(path, Options{})
		if err != nil {
			t.Fatalf("round %d: open after kill: %v", round, err)
		}
		rep, err := j.Verify(context.Background())
		if err != nil || !rep.OK {
			j.Close()
			t.Fatalf("round %d: Verify after kill = %v, %v", round, rep, err)
		}
		if rep.Head.Seq < committed {
			t.Errorf("round %d: head %d, but the helper saw %d committed", round, rep.Head.Seq, committed)
		}
		if _, ok, err := j.Get(committed); !ok || err != nil {
			t.Errorf("round %d: committed entry %d missing: %v", round, committed, err)
		}
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFileShrinksUnderneath truncates the file while a reader has it
// mapped: reads then touch pages past the end of the file, which is a
// SIGBUS that would kill the process unless turned into an error.
func TestFileShrinksUnderneath(t *testing.T) {
	path := seeded(t, 2000)
	j, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	truncate(t, path, 3*4096)
	_, verr := j.Verify(context.Background())
	_, eerr := j.Entries("P1")
	for _, err := range []error{verr, eerr} {
		if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrBroken) {
			t.Errorf("read of a shrunk file = %v, want ErrCorrupt or ErrBroken", err)
		}
	}
}

// FuzzDecode feeds arbitrary bytes to the entry decoder: it must return an
// error or an entry that survives a round trip, and never panic.
func FuzzDecode(f *testing.F) {
	e := Entry{Seq: 3, At: t0, Recorded: t0, Incident: "P1", Kind: "note", Summary: "s", Data: []byte(`{"a":1}`)}
	e.Hash = e.ComputeHash()
	f.Add(e.encode())
	f.Add([]byte{1})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := decode(b)
		if err != nil {
			return
		}
		again, err := decode(d.encode())
		if err != nil {
			t.Fatalf("re-encoded entry does not decode: %v", err)
		}
		if again.ComputeHash() != d.ComputeHash() || again.Hash != d.Hash {
			t.Errorf("entry changed in a round trip: %+v != %+v", again, d)
		}
	})
}

func TestVerifyEdges(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		n       int
		ctx     context.Context
		wantErr error
		want    Report
	}{
		{"empty journal", 0, context.Background(), nil, Report{OK: true}},
		{"one entry", 1, context.Background(), nil, Report{OK: true, Entries: 1, First: 1, Last: 1}},
		{"cancelled", 5, cancelled, context.Canceled, Report{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, err := Open(seeded(t, tt.n), Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer j.Close()
			r, err := j.Verify(tt.ctx)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify err = %v, want %v", err, tt.wantErr)
			}
			r.Head = Head{}
			if r != tt.want {
				t.Errorf("Verify = %+v, want %+v", r, tt.want)
			}
		})
	}
}
