package journal

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Fixture size for BenchmarkOpen and BenchmarkEntriesOfIncident. The
// default keeps `go test -bench` quick; set SITREP_BENCH_JOURNAL_N=1000000
// for the budget's full size.
const benchEnvN = "SITREP_BENCH_JOURNAL_N"

var fixture struct {
	once sync.Once
	dir  string
	path string
	n    int
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fixture.dir != "" {
		os.RemoveAll(fixture.dir)
	}
	os.Exit(code)
}

func benchEntry(i int, incident string) Entry {
	return Entry{
		Incident: incident, Kind: "enrichment", Actor: ActorSitrep,
		At:       t0.Add(time.Duration(i) * time.Second),
		Summary:  "payment-gateway 5xx rate 0.31 (p95 latency 840ms)",
		SourceID: "bench:" + strconv.Itoa(i),
		Data:     []byte(`{"query":"sum(rate(http_requests_total{service=\"payment-gateway\",code=~\"5..\"}[5m]))","value":0.31,"window":"15m"}`),
	}
}

// bigJournal builds, once per process, a journal of n entries whose first
// 100,000 belong to incident PBIG.
func bigJournal(b *testing.B) (string, int) {
	b.Helper()
	fixture.once.Do(func() {
		fixture.n = 100_000
		if s := os.Getenv(benchEnvN); s != "" {
			if n, err := strconv.Atoi(s); err == nil && n > 0 {
				fixture.n = n
			}
		}
		fixture.dir, fixture.err = os.MkdirTemp("", "sitrep-journal-bench-")
		if fixture.err != nil {
			return
		}
		fixture.path = filepath.Join(fixture.dir, "journal.db")
		j, err := Open(fixture.path, Options{})
		if err != nil {
			fixture.err = err
			return
		}
		defer j.Close()
		const batch = 10_000
		es := make([]Entry, 0, batch)
		for i := 0; i < fixture.n; i++ {
			inc := "PBIG"
			if i >= 100_000 {
				inc = "P" + strconv.Itoa(i%997)
			}
			es = append(es, benchEntry(i, inc))
			if len(es) == batch || i == fixture.n-1 {
				if _, err := j.AppendBatch(es); err != nil {
					fixture.err = err
					return
				}
				es = es[:0]
			}
		}
	})
	if fixture.err != nil {
		b.Fatal(fixture.err)
	}
	return fixture.path, fixture.n
}

// BenchmarkAppendDurable is one fsynced Append per op; p99-ms is the budget
// figure (under 5 ms).
func BenchmarkAppendDurable(b *testing.B) {
	j, _ := openTemp(b, Options{Now: time.Now})
	durs := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if _, err := j.Append(benchEntry(i, "P"+strconv.Itoa(i%20))); err != nil {
			b.Fatal(err)
		}
		durs = append(durs, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(durs)
	b.ReportMetric(float64(durs[len(durs)*99/100])/float64(time.Millisecond), "p99-ms")
	b.ReportMetric(float64(durs[len(durs)/2])/float64(time.Millisecond), "p50-ms")
}

// BenchmarkAppendBatch commits 1,000 entries per op; entries/s is the
// budget figure (over 10,000).
func BenchmarkAppendBatch(b *testing.B) {
	j, _ := openTemp(b, Options{Now: time.Now})
	const size = 1000
	batch := make([]Entry, size)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k := range batch {
			batch[k] = benchEntry(i*size+k, "P"+strconv.Itoa(k%20))
		}
		if _, err := j.AppendBatch(batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "entries/s")
}

// BenchmarkOpen opens (and closes) a journal of SITREP_BENCH_JOURNAL_N
// entries and reads its head: it must not depend on N.
func BenchmarkOpen(b *testing.B) {
	path, n := bigJournal(b)
	for _, ro := range []bool{false, true} {
		b.Run(fmt.Sprintf("n=%d/readonly=%v", n, ro), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				j, err := Open(path, Options{ReadOnly: ro})
				if err != nil {
					b.Fatal(err)
				}
				if h, err := j.Head(); err != nil || h.Seq != uint64(n) {
					b.Fatalf("head %d, %v", h.Seq, err)
				}
				j.Close()
			}
		})
	}
}

// BenchmarkEntriesOfIncident reads the 100,000 entries of one incident,
// the journal half of exporting it.
func BenchmarkEntriesOfIncident(b *testing.B) {
	path, _ := bigJournal(b)
	j, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		es, err := j.Entries("PBIG")
		if err != nil || len(es) != 100_000 && len(es) != fixture.n {
			b.Fatalf("%d entries, %v", len(es), err)
		}
	}
}

// BenchmarkVerify walks the whole fixture chain.
func BenchmarkVerify(b *testing.B) {
	path, n := bigJournal(b)
	j, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := j.Verify(context.Background())
		if err != nil || r.Entries != uint64(n) {
			b.Fatalf("%v, %v", r, err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "entries/s")
}

// BenchmarkLoadIncidents loads 1,000 cached incidents, the first frame's
// disk read (budget: well under 50 ms).
func BenchmarkLoadIncidents(b *testing.B) {
	j, _ := openTemp(b, Options{})
	if err := j.SaveIncidents("all", t0, makeIncidents(1000)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		got, _, err := j.LoadIncidents("all")
		if err != nil || len(got) != 1000 {
			b.Fatalf("%d, %v", len(got), err)
		}
	}
}
