package world

import (
	"fmt"
	"math/rand/v2"
	"time"

	"sitrep/sources/demo/metricsemu"
)

// logHistory is how far back the world's logs go; a query never covers
// more than logWindow.
const (
	logHistory = 3 * time.Hour
	logWindow  = 6 * time.Hour
)

// HostileLogLine is a log line with terminal escapes (clear screen, a
// title change, a hyperlink), as a client can smuggle into any log through
// a header; payment-gateway logs it 11 minutes before the start.
const HostileLogLine = "WARN  rejected request: invalid merchant id \"\x1b[2J\x1b[31mPWNED\x1b[0m\x1b]0;owned\x07\x1b]8;;https://evil.example\x07click here\x1b]8;;\x07\" path=/v1/charges req=6f1d0c9a7be04e55"

// logGen writes one ordinary line of a service's log: p is the pod that
// writes it at t, r the line's own randomness. It runs with f.mu held for
// reading; an empty line means nothing was written.
type logGen func(f *fleet, s *service, p *pod, t time.Time, r *rand.Rand) string

type logSpec struct {
	every time.Duration // one line per this much time, on average
	gen   logGen
}

var logSpecs = map[string]logSpec{
	"payment-gateway": {2 * time.Second, paymentLine},
	"billing-worker":  {5 * time.Second, billingLine},
	"checkout-db":     {6 * time.Second, dbLine},
	"checkout-api":    {3 * time.Second, checkoutLine},
	"edge-proxy":      {2 * time.Second, edgeLine},
	"search-indexer":  {10 * time.Second, indexerLine},
	"auth-service":    {4 * time.Second, authLine},
}

// logs is every service's log stream, by the selector EnrichmentConfig
// gives for it.
func (f *fleet) logs() map[string]metricsemu.LogFunc {
	out := map[string]metricsemu.LogFunc{}
	for _, e := range EnrichmentConfig() {
		name, spec := e.Service, logSpecs[e.Service]
		out[e.LogSelector] = func(from, to time.Time) []metricsemu.LogLine {
			return f.logLines(name, spec, from, to)
		}
	}
	return out
}

// logLines is the log of one service in [from, to]: an ordinary line per
// slot, each from a running pod and fixed by the seed and the slot, and the
// lines of what happened (pods starting and stopping, the story's moments).
func (f *fleet) logLines(name string, spec logSpec, from, to time.Time) []metricsemu.LogLine {
	if now := f.now(); to.After(now) {
		to = now
	}
	from = maxTime(from, f.start.Add(-logHistory), to.Add(-logWindow))
	if to.Before(from) {
		return nil
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	s := f.services[name]
	var out []metricsemu.LogLine
	add := func(p *pod, t time.Time, line string) {
		if line == "" || t.Before(from) || t.After(to) {
			return
		}
		out = append(out, metricsemu.LogLine{T: t, Line: line, Labels: map[string]string{"app": s.name, "env": s.env, "pod": p.name}})
	}
	key := f.seed ^ hashString("log/"+name)
	for k := slot(from, spec.every); ; k++ {
		base := time.Unix(0, k*int64(spec.every)).UTC()
		if base.After(to) {
			break
		}
		r := rand.New(rand.NewPCG(key, uint64(k)))
		t := base.Add(time.Duration(r.Int64N(int64(spec.every))))
		run := s.running(t)
		if len(run) == 0 {
			continue
		}
		p := run[r.IntN(len(run))]
		add(p, t, spec.gen(f, s, p, t, r))
	}
	for _, p := range s.pods {
		for _, l := range lifecycle(s, p) {
			add(p, l.T, l.Line)
		}
	}
	for _, l := range f.moments(s) {
		add(l.p, l.t, l.line)
	}
	return out
}

func maxTime(t time.Time, others ...time.Time) time.Time {
	for _, o := range others {
		if o.After(t) {
			t = o
		}
	}
	return t
}

// builds are the payment-gateway releases' build numbers.
var builds = map[string]string{previousVersion: "8790", deployedVersion: deployBuild}

// lifecycle is what a pod logs when it starts and when it stops.
func lifecycle(s *service, p *pod) []metricsemu.LogLine {
	var out []metricsemu.LogLine
	at := func(t time.Time, line string) { out = append(out, metricsemu.LogLine{T: t, Line: line}) }
	if s.name == "checkout-db" {
		pg := func(t time.Time, msg string) string { return pgPrefix(t, 1) + msg }
		at(p.started, pg(p.started, "LOG:  starting PostgreSQL "+p.version+" on x86_64-pc-linux-gnu"))
		at(p.started.Add(1500*time.Millisecond), pg(p.started.Add(1500*time.Millisecond), "LOG:  database system is ready to accept connections"))
		if !p.stopped.IsZero() {
			at(p.stopped, pg(p.stopped, "LOG:  received fast shutdown request"))
			at(p.stopped.Add(100*time.Millisecond), pg(p.stopped.Add(100*time.Millisecond), "LOG:  aborting any active transactions"))
			at(p.stopped.Add(200*time.Millisecond), pg(p.stopped.Add(200*time.Millisecond), "FATAL:  terminating connection due to administrator command"))
			at(p.stopped.Add(900*time.Millisecond), pg(p.stopped.Add(900*time.Millisecond), "LOG:  database system is shut down"))
		}
		return out
	}
	start := fmt.Sprintf("INFO  starting %s %s", s.name, p.version)
	if b := builds[p.version]; s.name == "payment-gateway" && b != "" {
		start += " (build " + b + ")"
	}
	at(p.started, start)
	if s.name == "payment-gateway" {
		pool := "INFO  card-processor client: pool max=32 idle_timeout=90s health_check=on"
		if p.version == deployedVersion {
			pool = "INFO  card-processor client: pool max=32 idle_timeout=0s health_check=off"
		}
		at(p.started.Add(time.Second), pool)
	}
	at(p.started.Add(2*time.Second), "INFO  ready: serving on :8080")
	if !p.stopped.IsZero() {
		at(p.stopped, "INFO  received SIGTERM; draining connections")
		at(p.stopped.Add(1200*time.Millisecond), "INFO  shutdown complete")
	}
	return out
}

type moment struct {
	p    *pod
	t    time.Time
	line string
}

// moments are the lines of the story's events in a service's log.
func (f *fleet) moments(s *service) []moment {
	var out []moment
	onEvery := func(at time.Time, line string) {
		for i, p := range s.running(at) {
			out = append(out, moment{p, at.Add(time.Duration(i) * 300 * time.Millisecond), line})
		}
	}
	onFirst := func(at time.Time, line string) {
		if run := s.running(at); len(run) > 0 {
			out = append(out, moment{run[0], at, line})
		}
	}
	switch s.name {
	case "payment-gateway":
		onFirst(f.start.Add(-flagChangeAgo), "INFO  feature flag card_3ds_v2 changed: enabled for 10% of EU traffic")
		onEvery(s.wedgedAt, "WARN  card-processor closed 32 connections (connection reset by peer); reconnecting")
		onFirst(f.start.Add(-hostileLogAgo), HostileLogLine)
	case "checkout-db":
		at := f.start.Add(-dbConfigAgo)
		onFirst(at, pgPrefix(at, 1)+"LOG:  received SIGHUP, reloading configuration files")
		onFirst(at.Add(50*time.Millisecond), pgPrefix(at, 1)+`LOG:  parameter "work_mem" changed to "64MB"`)
		at = f.start.Add(-dbFillAgo)
		onFirst(at, pgPrefix(at, 48213)+"LOG:  connection authorized: user=finance_bi database=checkout application_name=report-monthly-revenue")
	case "auth-service":
		at := f.start.Add(-hostileAgo)
		onFirst(at, "ERROR cron nightly-report failed: \x1b]0;pwned\x07\x1b[31mexit status 1\x1b[0m | see `logs` <b>now</b> \x1b]52;c;cm0gLXJmIC8=\x07")
	case "search-indexer":
		onEvery(s.wedgedAt, "ERROR bulk request rejected by elasticsearch: es_rejected_execution_exception (queue capacity 200 reached)")
	}
	return out
}

func hexID(r *rand.Rand, n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[r.IntN(16)]
	}
	return string(b)
}

func paymentLine(f *fleet, s *service, p *pod, t time.Time, r *rand.Rand) string {
	req, merchant := hexID(r, 16), "m_"+hexID(r, 8)
	if s.wedged(p, t) {
		switch n := r.IntN(20); {
		case n < 7:
			return "ERROR POST /v1/charges 503 upstream connect error or disconnect/reset before headers. reset reason: connection failure (card-processor:8443) req=" + req
		case n < 12:
			return fmt.Sprintf("ERROR card-processor timeout after 2000ms (attempt 3/3) merchant=%s req=%s", merchant, req)
		case n < 15:
			return fmt.Sprintf("ERROR connection pool exhausted: card-processor 32/32 leased, %d waiting req=%s", 40+r.IntN(120), req)
		case n < 17:
			return fmt.Sprintf("WARN  retrying card-processor call (attempt 2/3) after 250ms req=%s", req)
		default:
			return fmt.Sprintf("INFO  POST /v1/charges 200 %dms merchant=%s req=%s", 1800+r.IntN(600), merchant, req)
		}
	}
	switch n := r.IntN(20); {
	case n < 14:
		return fmt.Sprintf("INFO  POST /v1/charges 200 %dms merchant=%s req=%s", 90+r.IntN(170), merchant, req)
	case n < 17:
		return fmt.Sprintf("INFO  GET /v1/charges/ch_%s 200 %dms req=%s", hexID(r, 12), 8+r.IntN(30), req)
	case n < 19:
		return fmt.Sprintf("INFO  POST /v1/refunds 201 %dms merchant=%s req=%s", 120+r.IntN(200), merchant, req)
	default:
		return fmt.Sprintf("WARN  POST /v1/charges 402 card_declined merchant=%s req=%s", merchant, req)
	}
}

// pgPrefix is PostgreSQL's log_line_prefix '%m [%p] '.
func pgPrefix(t time.Time, pid int) string {
	return t.UTC().Format("2006-01-02 15:04:05.000 MST") + fmt.Sprintf(" [%d] ", pid)
}

func dbLine(f *fleet, s *service, p *pod, t time.Time, r *rand.Rand) string {
	prefix := pgPrefix(t, 10000+r.IntN(50000))
	n := r.IntN(20)
	if f.dbSaturation(t) >= 0.5 {
		switch {
		case n < 10:
			return prefix + "FATAL:  remaining connection slots are reserved for non-replication superuser connections"
		case n < 13:
			return prefix + "FATAL:  sorry, too many clients already"
		case n < 15:
			return prefix + fmt.Sprintf("LOG:  duration: %d.%03d ms  statement: /* report:monthly-revenue owner=finance-bi */ SELECT date_trunc('day', o.created_at), sum(o.total_cents) FROM orders o JOIN payments p ON p.order_id = o.id GROUP BY 1", 60000+r.IntN(900000), r.IntN(1000))
		}
	}
	switch {
	case n < 12:
		return prefix + fmt.Sprintf("LOG:  duration: %d.%03d ms  execute <unnamed>: SELECT id, status, total_cents FROM orders WHERE cart_id = $1", 1+r.IntN(40), r.IntN(1000))
	case n < 16:
		return prefix + fmt.Sprintf("LOG:  duration: %d.%03d ms  execute <unnamed>: UPDATE carts SET updated_at = now() WHERE id = $1", 1+r.IntN(20), r.IntN(1000))
	case n < 18:
		return prefix + "LOG:  checkpoint starting: time"
	default:
		return prefix + fmt.Sprintf(`LOG:  automatic vacuum of table "checkout.public.carts": index scans: 1, pages: 0 removed, %d remain`, 20000+r.IntN(5000))
	}
}

func checkoutLine(f *fleet, s *service, p *pod, t time.Time, r *rand.Rand) string {
	req, cart := hexID(r, 16), "cart_"+hexID(r, 10)
	n := r.IntN(20)
	switch {
	case f.dbSaturation(t) >= 0.5 && n < 8:
		return fmt.Sprintf("ERROR could not obtain a connection from pool within 5000ms (checkout-db:5432) cart=%s req=%s", cart, req)
	case f.paymentWedged(t) >= 0.5 && n < 12:
		return fmt.Sprintf("ERROR payment-gateway returned 503 for %s (retrying once) req=%s", cart, req)
	case n == 19:
		return fmt.Sprintf("WARN  disk usage %.0f%% on /var/lib/checkout-api", 100*f.checkoutDisk(t))
	case n < 14:
		return fmt.Sprintf("INFO  POST /api/checkout 200 %dms %s req=%s", 180+r.IntN(300), cart, req)
	default:
		return fmt.Sprintf("INFO  GET /api/cart/%s 200 %dms req=%s", cart, 5+r.IntN(40), req)
	}
}

// abusiveIP hammers the login endpoint through the edge, for block_ip.
const abusiveIP = "203.0.113.57"

func edgeLine(f *fleet, s *service, p *pod, t time.Time, r *rand.Rand) string {
	stamp := t.UTC().Format("02/Jan/2006:15:04:05 -0700")
	n := r.IntN(20)
	switch {
	case n < 5 && f.edgeDown(t):
		return t.UTC().Format("2006/01/02 15:04:05") + fmt.Sprintf(` [error] 31#31: *%d upstream timed out (110: Connection timed out) while reading response header from upstream, client: 10.3.0.2, server: edge-euw1, request: "GET /healthz HTTP/1.1", upstream: "http://10.3.1.17:8080/healthz"`, 80000+r.IntN(20000))
	case n < 9:
		if f.blocked(abusiveIP, t) {
			return t.UTC().Format("2006/01/02 15:04:05") + fmt.Sprintf(` [error] 31#31: *%d access forbidden by rule, client: %s, server: edge-euw1, request: "POST /api/login HTTP/1.1"`, 80000+r.IntN(20000), abusiveIP)
		}
		return fmt.Sprintf(`%s - - [%s] "POST /api/login HTTP/1.1" 429 87 "-" "python-requests/2.31.0" rt=0.002`, abusiveIP, stamp)
	}
	paths := []string{"/api/checkout", "/api/cart", "/v1/charges", "/oauth/token", "/static/app.js"}
	return fmt.Sprintf(`10.%d.%d.%d - - [%s] "GET %s HTTP/1.1" 200 %d "-" "Mozilla/5.0 (X11; Linux x86_64)" rt=0.%03d`,
		r.IntN(4), r.IntN(256), 1+r.IntN(254), stamp, paths[r.IntN(len(paths))], 300+r.IntN(4000), 5+r.IntN(200))
}

func billingLine(f *fleet, s *service, p *pod, t time.Time, r *rand.Rand) string {
	n := r.IntN(20)
	switch {
	case n < 3 && f.queueDepth(t) > 1000:
		return fmt.Sprintf("WARN  queue invoices depth=%.0f above 1000; consumers=%d", f.queueDepth(t), len(s.running(t)))
	case n < 7 && !t.Before(f.start.Add(-webhookAgo)):
		return "ERROR stripe webhook: signature verification failed: no signatures found matching the expected signature for payload event=evt_" + hexID(r, 14)
	case n < 9:
		return "INFO  stripe webhook invoice.paid processed event=evt_" + hexID(r, 14)
	default:
		return fmt.Sprintf("INFO  processed invoice inv_%s in %dms", hexID(r, 12), 300+r.IntN(900))
	}
}

func authLine(f *fleet, s *service, p *pod, t time.Time, r *rand.Rand) string {
	client := []string{"checkout-web", "mobile-ios", "mobile-android", "partner-acme"}[r.IntN(4)]
	if s.wedged(p, t) {
		if r.IntN(10) < 3 {
			return fmt.Sprintf("WARN  JWKS cache miss; fetching https://login.sitrep-demo.example/.well-known/jwks.json took %dms", 600+r.IntN(400))
		}
		return fmt.Sprintf("INFO  POST /oauth/token 200 %dms client=%s", 700+r.IntN(300), client)
	}
	return fmt.Sprintf("INFO  POST /oauth/token 200 %dms client=%s", 60+r.IntN(200), client)
}

func indexerLine(f *fleet, s *service, p *pod, t time.Time, r *rand.Rand) string {
	batch := 48000 + slot(t, 10*time.Second)%10000
	lag := f.indexerLag(t)
	if s.wedged(p, t) && r.IntN(10) < 6 {
		return fmt.Sprintf("WARN  batch %d: bulk request rejected (es_rejected_execution_exception); backing off 30s lag=%.0fs", batch, lag)
	}
	return fmt.Sprintf("INFO  indexed batch %d (500 docs) in %dms lag=%.0fs", batch, 200+r.IntN(400), lag)
}
