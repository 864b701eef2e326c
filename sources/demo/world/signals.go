package world

import (
	"math"
	"time"

	"sitrep/sources/demo/metricsemu"
)

// scrape is how often the world's exporters are scraped: values move in
// steps of this size, as they do in a real Prometheus.
const scrape = 15 * time.Second

// slot numbers the scrape that t falls in.
func slot(t time.Time, every time.Duration) int64 {
	return int64(math.Floor(float64(t.UnixNano()) / float64(every)))
}

// series is every query the world answers, by its exact text, as a
// function of time. Each reads the fleet under its lock, so a restart
// shows in the next query; none answers for a time still to come.
func (f *fleet) series() map[string]metricsemu.ValueFunc {
	m := map[string]func(time.Time) float64{
		qPaymentErrors: f.paymentErrors,
		qPaymentRate:   func(t time.Time) float64 { return 420 + 25*f.noise("pg-rate", slot(t, scrape)) + 60*f.paymentWedged(t) },
		qPaymentP99: func(t time.Time) float64 {
			return 180 + 15*f.noise("pg-p99", slot(t, scrape)) + f.paymentWedged(t)*(2300+150*f.noise("pg-p99-bad", slot(t, scrape)))
		},
		qDBConns:      f.dbConns,
		qDBConnsAlert: f.dbConns,
		qDBWait: func(t time.Time) float64 {
			return 0.004 + 0.001*f.noise("db-wait", slot(t, scrape)) + f.dbSaturation(t)*(5+1.2*f.noise("db-wait-sat", slot(t, scrape)))
		},
		qCheckoutErrors: f.checkoutErrors,
		qCheckoutDisk:   f.checkoutDisk,
		qEdgeHealth:     f.edgeHealth,
		qEdgeRate:       func(t time.Time) float64 { return 2400 + 120*f.noise("edge-rate", slot(t, scrape)) },
		qQueueDepth:     f.queueDepth,
		qWebhookFails:   f.webhookFailures,
		qAuthP99:        f.authP99,
		qAuthRate:       func(t time.Time) float64 { return 180 + 15*f.noise("auth-rate", slot(t, scrape)) },
		qIndexerLag:     f.indexerLag,
		qIndexerRate:    f.indexerRate,
	}
	out := make(map[string]metricsemu.ValueFunc, len(m))
	for q, fn := range m {
		out[q] = func(t time.Time) float64 {
			if t.After(f.now().Add(time.Second)) {
				return math.NaN()
			}
			f.mu.RLock()
			defer f.mu.RUnlock()
			return fn(t)
		}
	}
	return out
}

// smoothed follows target, which changes only at the given moments
// (sorted), with time constant tau: the way a rate over a window follows
// the counters under it.
func smoothed(t time.Time, changes []time.Time, tau time.Duration, target func(time.Time) float64) float64 {
	if len(changes) == 0 {
		return target(t)
	}
	v := target(changes[0].Add(-time.Nanosecond))
	goal, at := v, time.Time{}
	for _, c := range changes {
		if !at.IsZero() {
			v = goal + (v-goal)*math.Exp(-c.Sub(at).Seconds()/tau.Seconds())
		}
		goal, at = target(c), c
	}
	return goal + (v-goal)*math.Exp(-t.Sub(at).Seconds()/tau.Seconds())
}

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

// The functions below run with f.mu held for reading.

// paymentWedged is the smoothed share of payment-gateway's pods whose
// card-processor pool is stuck: 0 before the wedge, 1 after it, back to 0
// within a minute or two of a restart or rollback.
func (f *fleet) paymentWedged(t time.Time) float64 {
	s := f.services["payment-gateway"]
	return smoothed(t, s.changes(t), 20*time.Second, s.wedgedShare)
}

func (f *fleet) paymentErrors(t time.Time) float64 {
	k := slot(t, scrape)
	v := 0.010 + 0.002*f.noise("pg-5xx", k) + f.paymentWedged(t)*(0.30+0.015*f.noise("pg-5xx-bad", k))
	return math.Max(v, 0)
}

// dbConns is checkout-db's connections in use: a report query takes them
// from 40 minutes before the start until all 200 are held; a restart of
// checkout-db ends it.
func (f *fleet) dbConns(t time.Time) float64 {
	k := slot(t, scrape)
	fill, full := f.start.Add(-dbFillAgo), f.start.Add(-dbFullAgo)
	var v float64
	switch r, restarted := f.services["checkout-db"].lastRestart(t); {
	case restarted && r.After(full):
		v = 70 + 130*math.Exp(-t.Sub(r).Seconds()/45) + 4*f.noise("db-conns", k)
	case t.Before(fill):
		v = 68 + 5*f.noise("db-conns", k)
	case t.Before(full):
		v = 70 + 130*t.Sub(fill).Seconds()/full.Sub(fill).Seconds() + 4*f.noise("db-conns", k)
	default:
		v = 200
	}
	return math.Round(clamp(v, 0, 200))
}

// dbSaturation is 0 with connections to spare and 1 when none are left.
func (f *fleet) dbSaturation(t time.Time) float64 {
	return clamp((f.dbConns(t)-185)/15, 0, 1)
}

func (f *fleet) checkoutErrors(t time.Time) float64 {
	k := slot(t, scrape)
	return math.Max(0.004+0.0015*f.noise("co-5xx", k)+0.06*f.dbSaturation(t)+0.08*f.paymentWedged(t), 0)
}

func (f *fleet) checkoutDisk(t time.Time) float64 {
	from, full := f.start.Add(-3*time.Hour), f.start.Add(-95*time.Minute)
	v := 0.84 + 0.07*clamp(t.Sub(from).Seconds()/full.Sub(from).Seconds(), 0, 1)
	if t.After(full) {
		v += 0.0004 * t.Sub(full).Minutes()
	}
	return clamp(v+0.001*f.noise("co-disk", slot(t, time.Minute)), 0, 0.99)
}

// scriptedFlaps are the moments story.go re-fires the edge check.
var scriptedFlaps = []time.Duration{40 * time.Minute, 35 * time.Minute, 28 * time.Minute, 12 * time.Minute, 4 * time.Minute}

// edgeDown reports whether the eu-west-1 check fails at t: it flaps in
// 90-second spells from 41 minutes before the start, at least whenever
// the story re-fires the alert.
func (f *fleet) edgeDown(t time.Time) bool {
	begin := f.start.Add(-flapAgo)
	if t.Before(begin) {
		return false
	}
	const spell = 90 * time.Second
	k := int64(t.Sub(begin) / spell)
	from := begin.Add(time.Duration(k) * spell)
	for _, ago := range scriptedFlaps {
		if at := f.start.Add(-ago); !at.Before(from) && at.Before(from.Add(spell)) {
			return true
		}
	}
	return f.noise("edge-flap", k) < -0.4
}

func (f *fleet) edgeHealth(t time.Time) float64 {
	if f.edgeDown(t.Truncate(30 * time.Second)) {
		return 0
	}
	return 1
}

// queueDepth is billing-worker's invoice queue: it grows past 1,000 and
// keeps growing slowly with three workers; each worker added drains 60
// jobs a minute.
func (f *fleet) queueDepth(t time.Time) float64 {
	k := slot(t, scrape)
	rise, high := f.start.Add(-queueRiseAgo), f.start.Add(-queueHighAgo)
	if t.Before(rise) {
		return math.Round(150 + 20*f.noise("queue", k))
	}
	if t.Before(high) {
		return math.Round(150 + 1150*t.Sub(rise).Seconds()/high.Sub(rise).Seconds() + 25*f.noise("queue", k))
	}
	s := f.services["billing-worker"]
	drain := func(d float64, workers int, dt time.Duration) float64 {
		return math.Max(90, d+(2-60*float64(workers-3))*dt.Minutes())
	}
	d, at := 1300.0, high
	for _, c := range s.changes(t) {
		if !c.After(high) {
			continue
		}
		d, at = drain(d, len(s.running(at)), c.Sub(at)), c
	}
	d = drain(d, len(s.running(at)), t.Sub(at))
	return math.Round(math.Max(0, d+25*f.noise("queue", k)))
}

func (f *fleet) webhookFailures(t time.Time) float64 {
	k := slot(t, scrape)
	if t.Before(f.start.Add(-webhookAgo)) {
		return math.Max(0, 0.002+0.0008*f.noise("webhook", k))
	}
	return 0.035 + 0.006*f.noise("webhook", k)
}

func (f *fleet) authP99(t time.Time) float64 {
	s := f.services["auth-service"]
	k := slot(t, scrape)
	bad := smoothed(t, s.changes(t), 30*time.Second, s.wedgedShare)
	return 240 + 20*f.noise("auth-p99", k) + bad*(660+60*f.noise("auth-p99-bad", k))
}

// indexerLag grows while search-indexer's writes are rejected and drains
// within minutes of a restart.
func (f *fleet) indexerLag(t time.Time) float64 {
	s := f.services["search-indexer"]
	k := slot(t, scrape)
	lagAt := func(t time.Time) float64 {
		if t.Before(s.wedgedAt) {
			return 35
		}
		m := t.Sub(s.wedgedAt).Minutes()
		return 35 + 40*math.Min(m, 15) + 12*math.Max(m-15, 0)
	}
	v := lagAt(t)
	if r, ok := s.lastRestart(t); ok && r.After(s.wedgedAt) {
		v = 35 + (lagAt(r)-35)*math.Exp(-t.Sub(r).Minutes()/2)
	}
	return math.Round(math.Max(0, v+5*f.noise("indexer-lag", k)))
}

func (f *fleet) indexerRate(t time.Time) float64 {
	s := f.services["search-indexer"]
	bad := smoothed(t, s.changes(t), time.Minute, s.wedgedShare)
	return math.Max(0, 850-730*bad+40*f.noise("indexer-rate", slot(t, scrape)))
}
