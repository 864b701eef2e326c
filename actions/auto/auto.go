// Package auto is sitrep's notify-first automation: the decision which
// armed auto: actions (see actions.Auto) apply to which newly triggered
// incidents, the rate limits on them, and each countdown's life from its
// announcement on the incident to its run, veto or cancellation.
//
// Machine is pure: it does no I/O and reads no clock; its caller (the
// cockpit's Update, or `sitrep watch`'s loop) passes the time in and does
// what it returns (announce, read notes, run the action) through Effects.
//
// Invariants:
//   - nothing runs unless an engineer armed the session, and only on an
//     incident that triggered (or triggered again) after the arming;
//   - every run is announced on the incident first and waits its action's
//     notify_first; a countdown whose announcement failed never runs;
//   - a veto or a cancellation is final for that countdown;
//   - at most one countdown per incident is pending at a time, and an
//     action's pending countdowns count against its limits like its runs.
package auto

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"sitrep/actions"
	"sitrep/sources/pagerduty"
)

// Incident is what the decision needs of an incident.
type Incident struct {
	ID      string
	Number  uint
	Title   string
	Status  string // triggered, acknowledged, resolved
	Service string
	Env     string
	Urgency string
	// CreatedAt is when the incident opened; TriggeredAt when it last
	// became triggered (zero while it is acknowledged or resolved).
	CreatedAt   time.Time
	TriggeredAt time.Time
	// Detailed says Classes and Alerts are filled in; a rule that tests
	// them waits until they are.
	Detailed bool
	Classes  []string
	Alerts   []Alert
}

// Alert is one of the incident's alerts, by the fields auto.when.alert
// may test (actions.AlertFields).
type Alert map[string]string

// State is where a countdown is.
type State string

// A countdown's states: Announced (its note is on its way), Counting
// (announced; runs at RunAt unless vetoed), Running, then one of Ran,
// Failed, Blocked (a guard refused the run), Vetoed or Cancelled.
const (
	Announced State = "announced"
	Counting  State = "counting"
	Running   State = "running"
	Ran       State = "ran"
	Failed    State = "failed"
	Blocked   State = "blocked"
	Vetoed    State = "vetoed"
	Cancelled State = "cancelled"
)

// Pending reports whether the countdown may still run.
func (s State) Pending() bool { return s == Announced || s == Counting }

// Done reports whether the countdown has ended.
func (s State) Done() bool { return !s.Pending() && s != Running }

// How a veto or cancellation came.
const (
	ViaKey      = "key"      // v in a sitrep
	ViaNote     = "note"     // a "veto" note on the incident in PagerDuty
	ViaShutdown = "shutdown" // sitrep stopped during the countdown
	ViaDisarmed = "disarmed" // the engineer disarmed the session
	ViaAnnounce = "announce" // the announcement could not be posted
)

// Countdown is one announced automatic run.
type Countdown struct {
	ID       string // the incident's ID and the action: one per pair at a time
	Action   string
	Incident Incident
	ArmedBy  string
	// AnnouncedAt is when the countdown began, RunAt when it runs.
	AnnouncedAt time.Time
	RunAt       time.Time
	State       State
	// By is who vetoed, or what cancelled; Via how; EndedAt when.
	By      string
	Via     string
	EndedAt time.Time
	// Result is the run's result or why it did not run.
	Result string
}

// Actor is who an automatic run is journaled and announced as.
func Actor(armedBy string) string {
	return "sitrep (armed by " + orWord(armedBy, "an unknown user") + ")"
}

// Announcement is the note that opens the countdown:
// "sitrep will run restart_service on payment-gateway at 03:14 UTC unless
// vetoed — armed by Alice Chen".
func (c Countdown) Announcement() string {
	return fmt.Sprintf("sitrep will run %s on %s at %s unless vetoed — armed by %s. To veto, reply to this incident with a note reading: veto",
		c.Action, c.Incident.Service, c.RunAt.UTC().Format("15:04:05 MST"), orWord(c.ArmedBy, "an unknown user"))
}

// Ending is the note that closes a countdown that did not run.
func (c Countdown) Ending() string {
	switch c.State {
	case Vetoed:
		how := "in sitrep"
		if c.Via == ViaNote {
			how = "by a note on the incident"
		}
		return fmt.Sprintf("sitrep will not run %s on %s: vetoed by %s %s", c.Action, c.Incident.Service, orWord(c.By, "someone"), how)
	case Cancelled:
		return fmt.Sprintf("sitrep will not run %s on %s: cancelled, %s", c.Action, c.Incident.Service, orWord(c.Result, c.Via))
	}
	return ""
}

// Remaining is the time left before the run, never below zero.
func (c Countdown) Remaining(now time.Time) time.Duration {
	return max(0, c.RunAt.Sub(now))
}

// Skip is a match that did not start a countdown, and why.
type Skip struct {
	Incident Incident
	Action   string
	Reason   string
}

// Decision is what Observe found.
type Decision struct {
	// Start are the countdowns begun: announce each, then Announced.
	Start []Countdown
	// Skipped are matches the limits held back.
	Skipped []Skip
	// NeedDetail are incidents a rule may match once their classes and
	// alerts are known: observe them again, Detailed.
	NeedDetail []string
}

// Run is an automatic run that happened, for the limits: from this
// session, or read back from the journal at start.
type Run struct {
	Action   string
	Incident string
	At       time.Time
}

// Machine decides. The zero Machine is disarmed with no rules.
type Machine struct {
	rules   []*actions.Action
	armed   bool
	armedBy string
	armedAt time.Time
	// considered is, per incident, the TriggeredAt already judged.
	considered map[string]time.Time
	countdowns []*Countdown
	runs       []Run
}

// keepEnded is how many ended countdowns Machine remembers for the view.
const keepEnded = 20

// New is a disarmed machine over a catalogue's auto: actions.
func New(cat *actions.Catalogue) *Machine {
	m := &Machine{considered: map[string]time.Time{}}
	if cat == nil {
		return m
	}
	for _, a := range cat.Actions() {
		if a.Auto != nil {
			m.rules = append(m.rules, a)
		}
	}
	return m
}

// Rules are the auto: actions, in catalogue order.
func (m *Machine) Rules() []*actions.Action { return slices.Clone(m.rules) }

// Seed adds earlier runs (read from the journal) to what the limits count.
func (m *Machine) Seed(runs []Run) { m.runs = append(m.runs, runs...) }

// Arm starts automation for the session, as by.
func (m *Machine) Arm(by string, now time.Time) {
	if m.considered == nil {
		m.considered = map[string]time.Time{}
	}
	m.armed, m.armedBy, m.armedAt = true, by, now
}

// Disarm stops automation and cancels every pending countdown.
func (m *Machine) Disarm(now time.Time) []Countdown {
	m.armed = false
	return m.CancelAll("the session was disarmed", ViaDisarmed, now)
}

// Armed reports whether the session is armed, and by whom since when.
func (m *Machine) Armed() (by string, since time.Time, ok bool) {
	return m.armedBy, m.armedAt, m.armed
}

// Observe judges the incidents in view: each one that triggered since
// arming, and not judged for that triggering yet, against every rule.
func (m *Machine) Observe(incidents []Incident, now time.Time) Decision {
	var d Decision
	if !m.armed || len(m.rules) == 0 {
		return d
	}
	// PagerDuty's times have whole seconds: an incident that triggered in
	// the second the session was armed counts as after it.
	since := m.armedAt.Truncate(time.Second)
	for _, in := range incidents {
		if in.Status != "triggered" || in.TriggeredAt.IsZero() || in.TriggeredAt.Before(since) {
			continue
		}
		if t, ok := m.considered[in.ID]; ok && !in.TriggeredAt.After(t) {
			continue
		}
		if m.pendingOn(in.ID) != nil {
			continue
		}
		decided := true
		for _, a := range m.rules {
			ok, wait := Matches(a, in, now)
			if wait {
				decided = false
				continue
			}
			if !ok {
				continue
			}
			if why := m.limited(a, in.ID, now); why != "" {
				d.Skipped = append(d.Skipped, Skip{Incident: in, Action: a.Name, Reason: why})
				continue
			}
			c := &Countdown{
				ID: in.ID + "/" + a.Name, Action: a.Name, Incident: in, ArmedBy: m.armedBy,
				AnnouncedAt: now, RunAt: now.Add(a.Auto.NotifyFirst), State: Announced,
			}
			m.countdowns = append(m.countdowns, c)
			d.Start = append(d.Start, *c)
			decided = true
			break // one countdown per incident at a time
		}
		if decided {
			m.considered[in.ID] = in.TriggeredAt
		} else {
			d.NeedDetail = append(d.NeedDetail, in.ID)
		}
	}
	return d
}

// Matches reports whether a's auto: block applies to in at now, or that
// it cannot tell until in is Detailed (wait).
func Matches(a *actions.Action, in Incident, now time.Time) (ok, wait bool) {
	au := a.Auto
	if au == nil || !a.AppliesTo(in.Service, in.Env) {
		return false, false
	}
	w := au.When
	if !globs(w.Envs, in.Env) || len(w.Services) > 0 && !globs(w.Services, in.Service) {
		return false, false
	}
	if w.Urgency != "" && w.Urgency != in.Urgency {
		return false, false
	}
	if w.MaxAge > 0 && now.Sub(in.CreatedAt) > w.MaxAge {
		return false, false
	}
	if len(w.Classes) == 0 && len(w.Alert) == 0 {
		return true, false
	}
	if !in.Detailed {
		return false, true
	}
	if len(w.Classes) > 0 && !slices.ContainsFunc(in.Classes, func(c string) bool { return slices.Contains(w.Classes, c) }) {
		return false, false
	}
	if len(w.Alert) == 0 {
		return true, false
	}
	for _, al := range in.Alerts {
		all := true
		for field, re := range w.Alert {
			if !re.MatchString(al[field]) {
				all = false
				break
			}
		}
		if all {
			return true, false
		}
	}
	return false, false
}

func globs(list []string, v string) bool {
	for _, p := range list {
		if p == v || p == "*" {
			return true
		}
		if ok, err := path.Match(p, v); err == nil && ok {
			return true
		}
	}
	return false
}

// limited says which limit holds a's next run on incident back, or "".
func (m *Machine) limited(a *actions.Action, incident string, now time.Time) string {
	onIncident, lastHour := 0, 0
	for _, r := range m.runs {
		if r.Action != a.Name {
			continue
		}
		if r.Incident == incident {
			onIncident++
		}
		if now.Sub(r.At) < time.Hour {
			lastHour++
		}
	}
	for _, c := range m.countdowns {
		if c.Action == a.Name && c.State.Pending() {
			lastHour++
			if c.Incident.ID == incident {
				onIncident++
			}
		}
	}
	switch {
	case onIncident >= a.Auto.MaxRunsPerIncident:
		return fmt.Sprintf("max_runs_per_incident: %s already ran %d time(s) on this incident (max %d)", a.Name, onIncident, a.Auto.MaxRunsPerIncident)
	case lastHour >= a.Auto.MaxRunsPerHour:
		return fmt.Sprintf("max_runs_per_hour: %s ran or is counting down %d time(s) in the last hour (max %d)", a.Name, lastHour, a.Auto.MaxRunsPerHour)
	}
	return ""
}

func (m *Machine) pendingOn(incident string) *Countdown {
	for _, c := range m.countdowns {
		if c.Incident.ID == incident && (c.State.Pending() || c.State == Running) {
			return c
		}
	}
	return nil
}

func (m *Machine) find(id string) *Countdown {
	for i := len(m.countdowns) - 1; i >= 0; i-- {
		if m.countdowns[i].ID == id {
			return m.countdowns[i]
		}
	}
	return nil
}

// Get returns the latest countdown with id.
func (m *Machine) Get(id string) (Countdown, bool) {
	if c := m.find(id); c != nil {
		return *c, true
	}
	return Countdown{}, false
}

// AnnounceDone takes the announcement's outcome: posted, the countdown
// counts; failed, it is cancelled, since a run nobody was told of must
// not happen.
func (m *Machine) AnnounceDone(id string, err error, now time.Time) (Countdown, bool) {
	c := m.find(id)
	if c == nil || c.State != Announced {
		return Countdown{}, false
	}
	if err != nil {
		m.end(c, Cancelled, "sitrep", ViaAnnounce, "the announcement could not be posted: "+err.Error(), now)
		return *c, true
	}
	c.State = Counting
	return *c, true
}

// Tick starts the countdowns whose time has come: each returned one is
// Running, and its caller runs the action and calls Finished.
func (m *Machine) Tick(now time.Time) []Countdown {
	var due []Countdown
	for _, c := range m.countdowns {
		if c.State == Counting && !now.Before(c.RunAt) {
			c.State = Running
			m.runs = append(m.runs, Run{Action: c.Action, Incident: c.Incident.ID, At: now})
			due = append(due, *c)
		}
	}
	return due
}

// Finished records how a run ended: ran (the action finished, whatever
// its exit), failed (it could not start), or blocked by a guard.
func (m *Machine) Finished(id string, state State, result string, now time.Time) (Countdown, bool) {
	c := m.find(id)
	if c == nil || c.State != Running {
		return Countdown{}, false
	}
	if state == Blocked {
		// A guard refused it: it did not run, so the limits do not count it.
		m.unrun(c)
	}
	m.end(c, state, "", "", result, now)
	return *c, true
}

// Veto ends a pending countdown by someone's word. It does nothing to one
// that has started running or ended.
func (m *Machine) Veto(id, by, via string, now time.Time) (Countdown, bool) {
	c := m.find(id)
	if c == nil || !c.State.Pending() {
		return Countdown{}, false
	}
	m.end(c, Vetoed, by, via, "", now)
	return *c, true
}

// LateVeto ends a countdown that reached zero but whose action has not
// started: a veto note read in the last look before the run. The limits
// do not count it.
func (m *Machine) LateVeto(id, by, via string, now time.Time) (Countdown, bool) {
	c := m.find(id)
	if c == nil || c.State != Running {
		return Countdown{}, false
	}
	m.unrun(c)
	m.end(c, Vetoed, by, via, "", now)
	return *c, true
}

// unrun takes c's run back out of what the limits count.
func (m *Machine) unrun(c *Countdown) {
	for i := len(m.runs) - 1; i >= 0; i-- {
		if r := m.runs[i]; r.Action == c.Action && r.Incident == c.Incident.ID {
			m.runs = slices.Delete(m.runs, i, i+1)
			return
		}
	}
}

// VetoIncident vetoes the countdown pending on an incident, if any.
func (m *Machine) VetoIncident(incident, by, via string, now time.Time) (Countdown, bool) {
	c := m.pendingOn(incident)
	if c == nil {
		return Countdown{}, false
	}
	return m.Veto(c.ID, by, via, now)
}

// CancelAll cancels every pending countdown (sitrep is stopping, or was
// disarmed), saying why.
func (m *Machine) CancelAll(why, via string, now time.Time) []Countdown {
	var out []Countdown
	for _, c := range m.countdowns {
		if c.State.Pending() {
			m.end(c, Cancelled, "sitrep", via, why, now)
			out = append(out, *c)
		}
	}
	return out
}

func (m *Machine) end(c *Countdown, s State, by, via, result string, now time.Time) {
	c.State, c.By, c.Via, c.Result, c.EndedAt = s, by, via, result, now
	m.prune()
}

// prune forgets the oldest ended countdowns beyond keepEnded.
func (m *Machine) prune() {
	ended := 0
	for _, c := range m.countdowns {
		if c.State.Done() {
			ended++
		}
	}
	for i := 0; ended > keepEnded && i < len(m.countdowns); {
		if m.countdowns[i].State.Done() {
			m.countdowns = slices.Delete(m.countdowns, i, i+1)
			ended--
			continue
		}
		i++
	}
}

// Pending are the countdowns still to run, soonest first.
func (m *Machine) Pending() []Countdown {
	var out []Countdown
	for _, c := range m.countdowns {
		if c.State.Pending() || c.State == Running {
			out = append(out, *c)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].RunAt.Before(out[j].RunAt) })
	return out
}

// Recent are every countdown remembered, latest first.
func (m *Machine) Recent() []Countdown {
	out := make([]Countdown, 0, len(m.countdowns))
	for i := len(m.countdowns) - 1; i >= 0; i-- {
		out = append(out, *m.countdowns[i])
	}
	return out
}

// Note is a note on an incident, as PagerDuty gives it.
type Note struct {
	Content string
	Author  string // the note's PagerDuty author: the only identity that counts
	At      time.Time
}

// IsVeto reports whether a note's text is a veto: its first word is
// "veto", in any case ("veto", "VETO: looking at it").
func IsVeto(content string) bool {
	f := strings.FieldsFunc(strings.TrimSpace(content), func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\n' || r == ':' || r == ',' || r == '.' || r == '!' || r == '-' || r == '—'
	})
	return len(f) > 0 && strings.EqualFold(f[0], "veto")
}

// VetoIn finds the first veto among notes written on c's incident since
// its countdown began (allowing skew for clocks a little apart).
func VetoIn(notes []Note, c Countdown, skew time.Duration) (Note, bool) {
	sorted := slices.Clone(notes)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].At.Before(sorted[j].At) })
	for _, n := range sorted {
		if !n.At.Before(c.AnnouncedAt.Add(-skew)) && IsVeto(n.Content) {
			return n, true
		}
	}
	return Note{}, false
}

func orWord(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// FromIncident is the decision's view of a feed incident in env (its
// service's environment); Detailed ones add alerts and classes.
func FromIncident(in pagerduty.Incident, env string) Incident {
	out := Incident{ID: in.ID, Number: in.Number, Title: in.Title, Status: in.Status, Service: in.Service.Name, Env: env,
		Urgency: in.Urgency, CreatedAt: in.CreatedAt}
	if in.Status == pagerduty.StatusTriggered {
		out.TriggeredAt = in.LastChangeAt
		if out.TriggeredAt.IsZero() {
			out.TriggeredAt = in.CreatedAt
		}
	}
	return out
}

// AlertsOf are an incident's alerts by the fields auto.when.alert tests.
func AlertsOf(alerts []pagerduty.Alert) []Alert {
	out := make([]Alert, 0, len(alerts))
	for _, a := range alerts {
		out = append(out, Alert{"summary": a.Summary, "severity": a.Severity, "source": a.Source})
	}
	return out
}
