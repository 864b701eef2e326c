package deploys

import (
	"slices"
	"time"
)

// Flagged is a change placed relative to an incident's start.
type Flagged struct {
	Change
	// Likely is set for changes inside the window before the start: the
	// suspects.
	Likely bool
	// Offset is At minus the incident start: negative before it.
	Offset time.Duration
}

// LikelyCause orders changes around an incident that started at start.
// Changes at or before start and no more than window before it are flagged
// Likely and come first, nearest first. Then come the changes after the
// start (earliest first), listed so the responder sees them, never flagged;
// then older changes outside the window, nearest first; then changes with
// no time. A change reported twice (same source and ID, as when the
// related and listed PagerDuty events overlap) is kept once.
func LikelyCause(changes []Change, start time.Time, window time.Duration) []Flagged {
	const (
		likely = iota
		after
		older
		undated
	)
	group := func(f Flagged) int {
		switch {
		case f.At.IsZero():
			return undated
		case f.Offset > 0:
			return after
		case f.Likely:
			return likely
		}
		return older
	}
	type key struct{ source, id string }
	seen := map[key]bool{}
	out := make([]Flagged, 0, len(changes))
	for _, c := range changes {
		if c.ID != "" {
			k := key{c.Source, c.ID}
			if seen[k] {
				continue
			}
			seen[k] = true
		}
		f := Flagged{Change: c}
		if !c.At.IsZero() {
			f.Offset = c.At.Sub(start)
			f.Likely = window > 0 && f.Offset <= 0 && -f.Offset <= window
		}
		out = append(out, f)
	}
	slices.SortStableFunc(out, func(a, b Flagged) int {
		ga, gb := group(a), group(b)
		if ga != gb {
			return ga - gb
		}
		// Nearest to the start first, in every group.
		da, db := abs(a.Offset), abs(b.Offset)
		switch {
		case da < db:
			return -1
		case da > db:
			return 1
		}
		return 0
	})
	return out
}

func abs(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
