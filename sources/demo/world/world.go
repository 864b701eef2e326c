// Package world is sitrep's demo world: a PagerDuty emulator, Prometheus-
// and Loki-compatible endpoints and a small edge and control API, all on
// loopback and fed by a scripted storyline, so `sitrep demo` shows a
// believable on-call night with no account and no network. The real
// go-pagerduty and Prometheus clients talk to it over HTTP, so the demo
// runs the same code as production.
//
// The world's metrics and logs are functions of its services' history
// (which pods ran which release, from when to when), so the controls
// change them from the moment they act and never rewrite the past: a
// restart of payment-gateway brings its 5xx rate back to about 1% within a
// minute or two, and the charts still show the spike before it.
//
// A running demo publishes its addresses in a state file (State), through
// which other processes find it (LoadRunning) and drive its services with
// the reports `sitrep demo-ctl` prints (RunningDemo).
package world

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"sitrep/sources/demo/metricsemu"
	"sitrep/sources/demo/pdemulator"
)

// Options shape the demo world.
type Options struct {
	// Seed picks the storyline's noise; the same seed tells the same story.
	Seed uint64
	// Tick is how often the storyline moves on (a new incident, a
	// resolution, a flap); default 20 s.
	Tick time.Duration
	// Now is the world's clock; nil means the wall clock. Tests pass a
	// clock they move, to see a restart's effect without waiting for it.
	Now func() time.Time
	// EscalateIn is how long after the start checkout-api's
	// unacknowledged incident escalates to Checkout's second level; zero
	// means 4 minutes. Tests shorten it to see the escalation happen.
	EscalateIn time.Duration
	// StuckIn is how long after the start search-indexer's staging
	// workers get stuck, opening an incident (and a second one after as
	// long again) for the demo's armed restart_stuck_worker; zero means 3
	// minutes. Tests shorten it.
	StuckIn time.Duration
}

// World is a running demo world.
type World struct {
	PagerDuty *pdemulator.Server
	// PagerDutyURL and Token are what a client needs to reach it. The
	// token also guards ControlURL.
	PagerDutyURL string
	Token        string
	// Me is the demo user sitrep acts as.
	Me string
	// UserTokens are each demo person's own API token, by short name
	// (alice, bob, …): `sitrep demo --as bob` joins the world as Bob.
	UserTokens map[string]string

	// Metrics answers MetricsURL's queries; MetricsURL is both the
	// Prometheus base URL and the Loki base URL of the world.
	Metrics    *metricsemu.Emulator
	MetricsURL string
	// EdgeURL is the demo edge API (POST /ip-blocks) that block_ip calls.
	EdgeURL string
	// ControlURL is where `sitrep demo-ctl` restarts, scales and asks for
	// the status of services, with Token (see Control).
	ControlURL string
	// ReleaseConfigPath is payment-gateway's release config, which the
	// demo's rollback_deploy rewrites; the world rolls the service to the
	// version it names. It lives in a directory that Close removes.
	ReleaseConfigPath string

	clock   *storyClock
	start   time.Time
	cast    cast
	story   *story
	fleet   *fleet
	signals map[string]metricsemu.ValueFunc

	eventsMu sync.Mutex
	events   []Event

	closers []func() error // in reverse order of starting
	stop    chan struct{}
	done    sync.WaitGroup
}

// Start builds the world and starts its storyline.
func Start(opts Options) (*World, error) {
	if opts.Tick <= 0 {
		opts.Tick = 20 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	upstream := upstreamAgo
	if opts.EscalateIn != 0 {
		first := time.Duration(escalationDelays["checkout"][0]) * time.Minute
		if opts.EscalateIn < 0 || opts.EscalateIn >= first {
			return nil, fmt.Errorf("demo world: escalate-in %s: checkout-api's incident escalates after Checkout's first level (%s) from its start, so it must be between 0 and %s", opts.EscalateIn, first, first)
		}
		upstream = first - opts.EscalateIn
	}
	clock := &storyClock{base: opts.Now}
	now := opts.Now().UTC().Truncate(time.Second)
	clock.set(now.Add(-2 * time.Hour))

	token := randomToken()
	pd := pdemulator.New(pdemulator.Options{Token: token, Clock: clock.Now, WebURL: "https://sitrep-demo.pagerduty.com", AutoEscalate: true})
	w := &World{PagerDuty: pd, Token: token, clock: clock, start: now, stop: make(chan struct{})}
	c, err := buildCast(pd, handoffAfter(now))
	if err != nil {
		return nil, fmt.Errorf("demo world: %w", err)
	}
	w.cast, w.Me = c, c.users["alice"]
	w.UserTokens = map[string]string{}
	for short, id := range c.users {
		tok, err := pd.AddUserToken(id)
		if err != nil {
			return nil, fmt.Errorf("demo world: %w", err)
		}
		w.UserTokens[short] = tok
	}
	w.story = newStory(pd, clock, c, opts.Seed)
	w.story.upstreamAgo = upstream
	if err := w.story.history(now); err != nil {
		return nil, fmt.Errorf("demo world: %w", err)
	}
	clock.live()

	w.fleet = newFleet(opts.Seed, now, clock.Now)
	if err := w.startServers(); err != nil {
		_ = w.closeServers()
		return nil, fmt.Errorf("demo world: %w", err)
	}

	w.done.Add(2)
	go w.run(opts.Tick)
	w.done.Add(1)
	go w.stuckWorkers(opts.StuckIn)
	go w.watchRelease(500 * time.Millisecond)
	return w, nil
}

// startServers starts the PagerDuty emulator, the metrics and logs
// endpoints and the world's API, and writes the release config.
func (w *World) startServers() error {
	url, err := w.PagerDuty.Start()
	if err != nil {
		return fmt.Errorf("start the PagerDuty emulator: %w", err)
	}
	w.PagerDutyURL = url
	w.closers = append(w.closers, w.PagerDuty.Close)

	w.Metrics = metricsemu.New()
	w.Metrics.SetNow(w.clock.Now)
	w.signals = w.fleet.series()
	for q, fn := range w.signals {
		w.Metrics.SetSeries(q, nil, fn)
	}
	for sel, fn := range w.fleet.logs() {
		w.Metrics.SetLogs(sel, fn)
	}
	ms, err := w.Metrics.Start()
	if err != nil {
		return fmt.Errorf("start the metrics endpoint: %w", err)
	}
	w.MetricsURL = ms.URL
	w.closers = append(w.closers, ms.Close)

	api, stop, err := w.serveAPI()
	if err != nil {
		return fmt.Errorf("start the edge and control API: %w", err)
	}
	w.EdgeURL, w.ControlURL = api, api+"/control"
	w.closers = append(w.closers, stop)

	dir, err := os.MkdirTemp("", "sitrep-demo-")
	if err != nil {
		return fmt.Errorf("make the demo's directory: %w", err)
	}
	w.closers = append(w.closers, func() error { return os.RemoveAll(dir) })
	w.ReleaseConfigPath, err = writeReleaseConfig(dir)
	return err
}

func (w *World) closeServers() error {
	var errs []error
	for i := len(w.closers) - 1; i >= 0; i-- {
		errs = append(errs, w.closers[i]())
	}
	w.closers = nil
	return errors.Join(errs...)
}

// Now is the world's clock.
func (w *World) Now() time.Time { return w.clock.Now() }

// Started is the moment the world started: the storyline's "now", from
// which its history counts back (the deploy 14 minutes before it, the 5xx
// incident 9 minutes before it).
func (w *World) Started() time.Time { return w.start }

// run moves the storyline on every tick until Close.
func (w *World) run(tick time.Duration) {
	defer w.done.Done()
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
			w.story.next()
		}
	}
}

// Close stops the storyline and the servers and removes the release
// config's directory.
func (w *World) Close() error {
	select {
	case <-w.stop:
		return nil
	default:
	}
	close(w.stop)
	w.done.Wait()
	return w.closeServers()
}

// randomToken is a fresh API token per run: the emulator listens on
// loopback, but other local users should not be able to drive it.
func randomToken() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "demo-token"
	}
	return "demo-" + hex.EncodeToString(b)
}
