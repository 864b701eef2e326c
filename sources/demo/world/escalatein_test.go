package world

import (
	"strings"
	"testing"
	"time"
)

// An escalation sooner than never and later than Checkout's first level
// allows is refused before anything starts, naming the range.
func TestEscalateInOutsideTheFirstLevelIsRefused(t *testing.T) {
	for _, d := range []time.Duration{-time.Second, 6 * time.Minute, time.Hour} {
		w, err := Start(Options{EscalateIn: d})
		if err == nil {
			w.Close()
			t.Fatalf("EscalateIn %s started a world", d)
		}
		if !strings.Contains(err.Error(), "between 0 and 6m0s") {
			t.Errorf("EscalateIn %s: %v, want the allowed range", d, err)
		}
	}
}
