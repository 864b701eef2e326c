// Package demo is sitrep's demo world: a PagerDuty emulator on loopback fed
// by a scripted storyline, so `sitrep demo` shows a believable on-call
// night with no account and no network. The real go-pagerduty client talks
// to it over HTTP, so the demo runs the same code as production.
package demo

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"sitrep/sources/pdemulator"
)

// Options shape the demo world.
type Options struct {
	// Seed picks the storyline's noise; the same seed tells the same story.
	Seed uint64
	// Tick is how often the storyline moves on (a new incident, a
	// resolution, a flap); default 20 s.
	Tick time.Duration
}

// World is a running demo world.
type World struct {
	PagerDuty *pdemulator.Server
	// PagerDutyURL and Token are what a client needs to reach it.
	PagerDutyURL string
	Token        string
	// Me is the demo user sitrep acts as.
	Me string

	clock *storyClock
	cast  cast
	story *story

	stop chan struct{}
	done sync.WaitGroup
}

// Start builds the world and starts its storyline.
func Start(opts Options) (*World, error) {
	if opts.Tick <= 0 {
		opts.Tick = 20 * time.Second
	}
	clock := &storyClock{}
	now := time.Now().UTC().Truncate(time.Second)
	clock.set(now.Add(-2 * time.Hour))

	token := randomToken()
	pd := pdemulator.New(pdemulator.Options{Token: token, Clock: clock.Now, WebURL: "https://sitrep-demo.pagerduty.com"})
	w := &World{PagerDuty: pd, Token: token, clock: clock, stop: make(chan struct{})}
	c, err := buildCast(pd)
	if err != nil {
		return nil, fmt.Errorf("demo world: %w", err)
	}
	w.cast, w.Me = c, c.users["alice"]
	w.story = newStory(pd, clock, c, opts.Seed)
	if err := w.story.history(now); err != nil {
		return nil, fmt.Errorf("demo world: %w", err)
	}
	clock.live()

	url, err := pd.Start()
	if err != nil {
		return nil, fmt.Errorf("demo world: start the PagerDuty emulator: %w", err)
	}
	w.PagerDutyURL = url

	w.done.Add(1)
	go w.run(opts.Tick)
	return w, nil
}

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

// Close stops the storyline and the servers.
func (w *World) Close() error {
	select {
	case <-w.stop:
		return nil
	default:
	}
	close(w.stop)
	w.done.Wait()
	return w.PagerDuty.Close()
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
