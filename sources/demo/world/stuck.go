package world

import (
	"fmt"
	"time"

	"sitrep/sources/demo/pdemulator"
)

// StuckTitle is the title of the incident search-indexer's watchdog opens
// when the staging workers stop finishing jobs: what the demo's armed
// restart_stuck_worker answers.
const StuckTitle = "search-indexer workers stuck: no job finished for 10 min"

// defaultStuckIn is when the workers first get stuck, after the start.
const defaultStuckIn = 3 * time.Minute

// stuckWorkers opens a stuck-workers incident after first, and another,
// new one, after twice as long: one countdown to watch run and one to
// veto.
func (w *World) stuckWorkers(first time.Duration) {
	defer w.done.Done()
	if first <= 0 {
		first = defaultStuckIn
	}
	t := time.NewTimer(first)
	defer t.Stop()
	for n := 1; n <= 2; n++ {
		select {
		case <-w.stop:
			return
		case <-t.C:
			w.story.stuck(n)
			t.Reset(first)
		}
	}
}

// stuck opens the n-th stuck-workers incident on search-indexer (staging).
func (s *story) stuck(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	res, err := s.pd.Trigger(pdemulator.TriggerOptions{ServiceID: s.cast.services["search-indexer"], Title: StuckTitle, Urgency: "low",
		DedupKey: fmt.Sprintf("indexer-stuck-%d", n),
		Alert:    pdemulator.AlertDetails{Severity: "warning", Source: "indexer-watchdog", Component: "search-indexer"}})
	if err == nil && !res.Deduplicated {
		s.Incidents[fmt.Sprintf("stuck-%d", n)] = res.IncidentID
	}
}
