package promtest

import "time"

// Spike is a known storyline for tests: a service's 5xx rate sits at a
// baseline, jumps for a while and recovers. Its samples lie inside one
// two-hour TSDB block that closed hours ago, so backfilling never overlaps
// the server's head block.
type Spike struct {
	Series    Series
	Interval  time.Duration // between samples
	SpikeFrom time.Time     // first sample of the spike
	SpikeTo   time.Time     // first sample after it
}

// Values of the Spike storyline.
const (
	SpikeMetric   = "http_5xx_rate"
	SpikeBaseline = 0.01
	SpikeHigh     = 0.31
)

// NewSpike lays out an hour of samples every 15s, starting 15 minutes into
// the two-hour block that ended two hours before now's block began: a
// baseline with a small, known wobble, 15 minutes of spike from minute 30,
// then the baseline again.
func NewSpike(now time.Time) Spike {
	const block = 2 * time.Hour
	start := now.UTC().Truncate(block).Add(-2*block + 15*time.Minute)
	sp := Spike{
		Interval:  15 * time.Second,
		SpikeFrom: start.Add(30 * time.Minute),
		SpikeTo:   start.Add(45 * time.Minute),
		Series: Series{
			Metric: SpikeMetric,
			Labels: map[string]string{"service": "payment-gateway", "env": "prod"},
		},
	}
	for i := 0; i <= 240; i++ {
		t := start.Add(time.Duration(i) * sp.Interval)
		v := SpikeBaseline + float64(i%4)/1000
		if !t.Before(sp.SpikeFrom) && t.Before(sp.SpikeTo) {
			v = SpikeHigh + float64(i%3)/100
		}
		sp.Series.Samples = append(sp.Series.Samples, Sample{T: t, V: v})
	}
	return sp
}
