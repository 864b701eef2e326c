//go:build unix

package stats

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"sitrep/actions"
	"sitrep/store/journal"
)

// benchN is the size of BenchmarkCompute's journal. The default keeps
// `go test -bench` quick; SITREP_BENCH_STATS_N=1000000 is the budget's.
const benchN = "SITREP_BENCH_STATS_N"

// benchJournal writes a journal of about n entries shaped like a team's
// month: per incident a sighting, PagerDuty's trigger, acknowledgement
// and resolution, a triage, two ticks, a note, enrichment snapshots and
// action runs with their steps and (the bulk) their output.
func benchJournal(b *testing.B, n int) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "journal.db")
	j, err := journal.Open(path, journal.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	s := &script{}
	output := strings.Repeat("draining connections… ok\n", 80) // 2 KB, as a restart's log
	flush := func() {
		if _, err := j.AppendBatch(s.es); err != nil {
			b.Fatal(err)
		}
		s.es = s.es[:0]
	}
	written := 0
	for inc := 0; written < n; inc++ {
		id := "P" + strconv.Itoa(inc)
		svc := fmt.Sprintf("service-%d", inc%40)
		start := t0.Add(time.Duration(inc) * time.Minute)
		s.seen(id, svc, start)
		s.status(id, "trigger", start)
		s.status(id, "acknowledge", start.Add(3*time.Minute))
		s.add(journal.Entry{At: start.Add(time.Minute), Incident: id, Kind: "triage", Actor: "sitrep", Data: json.RawMessage(`{"class":"deploy regression","why":"a deploy 4m before"}`)})
		s.tick(id, "Restart runbook", "Check the dashboard", true, start.Add(2*time.Minute))
		s.tick(id, "Restart runbook", "Drain the node", inc%3 == 0, start.Add(2*time.Minute))
		s.note(id, "Restarted the worker "+strconv.Itoa(inc%7), start.Add(4*time.Minute))
		for k := range 12 {
			s.add(journal.Entry{At: start.Add(time.Duration(k) * time.Second), Incident: id, Kind: "enrichment", Actor: "sitrep",
				Summary: "5xx rate 0.31", Data: json.RawMessage(`{"query":"sum(rate(http_requests_total{code=~\"5..\"}[5m]))","value":0.31}`)})
		}
		for r := range 3 {
			s.run++
			base := actions.Record{RunID: fmt.Sprintf("run-%d", s.run), Action: fmt.Sprintf("action_%d", r), Target: svc, Env: "prod",
				Verdict: "allowed", Command: []string{"sitrep", "demo-ctl", "restart", "--service=" + svc}}
			at := start.Add(5 * time.Minute)
			for _, step := range []string{actions.StepPreviewed, actions.StepConfirmed, actions.StepStarted} {
				rec := base
				rec.Step, rec.ConfirmedBy = step, "Alice"
				s.step(id, at, rec)
			}
			rec := base
			rec.Step, rec.Output = actions.StepOutput, output
			s.step(id, at, rec)
			rec = base
			rec.Step, rec.DurationMS, rec.Result = actions.StepFinished, 4200, "exit 0"
			s.step(id, at, rec)
			rec = base
			rec.Step, rec.Outcome = actions.StepOutcome, "helped"
			rec.Effect = []actions.MetricChange{{Name: "5xx rate", Before: 0.31, After: 0.01}}
			s.step(id, at.Add(time.Minute), rec)
		}
		s.status(id, "resolve", start.Add(20*time.Minute))
		if len(s.es) >= 5000 {
			written += len(s.es)
			flush()
		}
	}
	return path
}

// BenchmarkCompute is `sitrep stats` over a journal: one read of every
// entry, the figures folded as they stream by. Besides the time it
// reports the CPU time per entry (user and system, from getrusage), which
// a machine shared with other work inflates less than the wall time.
func BenchmarkCompute(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv(benchN)); err == nil && v > 0 {
		n = v
	}
	path := benchJournal(b, n)
	j, err := journal.Open(path, journal.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	head, err := j.Head()
	if err != nil {
		b.Fatal(err)
	}
	var before, after runtime.MemStats
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		runtime.ReadMemStats(&before)
		rep, err := Compute(FromJournal(context.Background(), j), Options{})
		if err != nil {
			b.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		if rep.Entries != int(head.Seq) {
			b.Fatalf("read %d entries of %d", rep.Entries, head.Seq)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(head.Seq), "ns/entry")
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N)/float64(head.Seq), "cpu-ns/entry")
	b.ReportMetric(float64(head.Seq), "entries")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(head.Seq), "B-alloc/entry")
}

// cpuTime is the process's user and system time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
