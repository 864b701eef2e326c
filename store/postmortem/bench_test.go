package postmortem

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"testing"
	"time"

	"sitrep/actions"
	"sitrep/store/journal"
)

// bigEntries is an incident with n journal entries: mostly notes, status
// changes and enrichment snapshots, with an action run every 100 entries.
func bigEntries(n int) []journal.Entry {
	es := make([]journal.Entry, 0, n)
	kinds := []string{"note", "enrichment", "status.assign", "pin", "seen"}
	for i := 0; len(es) < n; i++ {
		at := start.Add(time.Duration(i) * time.Second)
		if i%100 == 0 {
			rec := actions.Record{RunID: fmt.Sprintf("run-%d", i), Action: "restart_service", Target: "payment-gateway", Env: "prod",
				Result: "exit 0", DurationMS: 1200, Outcome: "no effect", Effect: []actions.MetricChange{{Name: "5xx rate", Before: 0.3, After: 0.29}}}
			for _, step := range []string{actions.StepConfirmed, actions.StepFinished, actions.StepOutcome} {
				rec.Step = step
				d, _ := json.Marshal(rec)
				es = append(es, journal.Entry{At: at, Incident: "PBIG", Kind: "action." + step, Actor: "Ana Ops", Summary: "restart_service " + step, Data: d})
			}
			continue
		}
		es = append(es, journal.Entry{
			At: at, Incident: "PBIG", Kind: kinds[i%len(kinds)], Actor: "Ana Ops",
			Summary:  fmt.Sprintf("observation %d: 5xx ratio 0.%02d on payment-gateway | pods <2.14.0>", i, i%100),
			SourceID: fmt.Sprintf("bench:%d", i),
			Data:     []byte(`{"value":0.31}`),
		})
	}
	return es[:n]
}

// BenchmarkExport100k is the budget figure: export of an incident with
// 100,000 journal entries, from opening the journal to the last byte of
// markdown (under 1 s).
func BenchmarkExport100k(b *testing.B) {
	const n = 100_000
	path := filepath.Join(b.TempDir(), "journal.db")
	j, err := journal.Open(path, journal.Options{})
	if err != nil {
		b.Fatal(err)
	}
	es := bigEntries(n)
	for i := 0; i < n; i += 10_000 {
		if _, err := j.AppendBatch(es[i:min(n, i+10_000)]); err != nil {
			b.Fatal(err)
		}
	}
	j.Close()
	base := paymentGateway(b)
	base.Detail.Incident.ID = "PBIG"
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j, err := journal.Open(path, journal.Options{ReadOnly: true})
		if err != nil {
			b.Fatal(err)
		}
		entries, err := j.Entries("PBIG")
		if err != nil || len(entries) != n {
			b.Fatalf("%d entries, %v", len(entries), err)
		}
		head, err := j.Head()
		if err != nil {
			b.Fatal(err)
		}
		j.Close()
		in := base
		in.Entries = entries
		in.Audit = AuditFor(entries, head)
		if err := Render(io.Discard, in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRender100k is the rendering alone.
func BenchmarkRender100k(b *testing.B) {
	in := paymentGateway(b)
	in.Entries = bigEntries(100_000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := Render(io.Discard, in); err != nil {
			b.Fatal(err)
		}
	}
}
