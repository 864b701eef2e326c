// Package demo holds nothing itself: beneath it is everything that exists
// only to simulate the outside world for `sitrep demo` and the tests, so
// that the rest of sources/ means "reads the outside world" and a reader
// can tell demo code from product code by its path.
//
//   - world: the scripted on-call night, its services and their controls
//   - pdemulator: PagerDuty's REST API v2
//   - metricsemu: Prometheus- and Loki-compatible endpoints
//   - catalogue: the demo's actions, playbook and runbook
package demo
