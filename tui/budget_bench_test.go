package tui

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"sitrep/sources/logs"
)

// BenchmarkLiveHeapWith10kIncidents reports the live heap (after a GC) of
// a model holding 10,000 incidents. It is not the process's resident
// memory, which also holds the garbage of a load, the runtime and the
// binary: the RSS budget is cmd/sitrep's BenchmarkProcessRSS10kIncidents.
func BenchmarkLiveHeapWith10kIncidents(b *testing.B) {
	var m Model
	for b.Loop() {
		m = Model{}
		var before runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		m = loaded(b, fixture(10_000), 120, 40)
		_ = m.View()
		var after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-min(before.HeapAlloc, after.HeapAlloc))/(1<<20), "heap-MB")
	}
	runtime.KeepAlive(m)
}

// BenchmarkFrameUnderLogStream is one frame of the logs pane (the tick that
// takes the ring's newest lines in time order, and the view) while a
// source writes 10,000 lines a second into the ring.
func BenchmarkFrameUnderLogStream(b *testing.B) {
	m := loaded(b, fixture(20), 120, 40)
	in, _ := m.list.selected()
	for m.detail.tab = 0; detailTabs[m.detail.tab] != "Logs"; m.detail.tab++ {
	}
	ring := logs.NewRing(followRing)
	f := &follow{id: in.ID, gen: 1, ring: ring, cancel: func() {}}
	m.following, m.followGen = f, 1
	// The stream runs for as long as it is wanted: an enricher, the
	// incident asked for, and the pane following so every frame takes
	// the newest lines.
	m.opts.Enricher, m.streamFor, m.logs.follow = nopEnricher{}, in.ID, true

	var stop atomic.Bool
	done := make(chan struct{})
	go func() { // 10,000 lines per second, in 10 ms batches of 100
		defer close(done)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		n := 0
		for !stop.Load() {
			<-t.C
			batch := make([]logs.Line, 100)
			for i := range batch {
				n++
				batch[i] = logs.Line{T: time.Now(), Level: []string{logs.LevelInfo, logs.LevelError}[n%2], Text: fmt.Sprintf("POST /v1/charges 503 upstream connect error req=%08x", n), Source: "pod-1"}
			}
			ring.Append(batch...)
		}
	}()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		next, _ := m.Update(f.snapshot())
		m = next.(Model)
		_ = m.View()
	}
	b.StopTimer()
	stop.Store(true)
	<-done
}
