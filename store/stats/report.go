package stats

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Report is the figures of one window. Its JSON field names are stable:
// `sitrep stats --json` prints it, and its help documents each field.
type Report struct {
	// Since and Until are the window; a zero Since is "from the first
	// entry".
	Since time.Time `json:"since"`
	Until time.Time `json:"until"`
	// Entries is how many entries fell in the window.
	Entries int `json:"entries"`
	// Actions, most runs first.
	Actions []Action `json:"actions"`
	// Services, most incidents first.
	Services []Service `json:"services"`
	// Candidates are suggestions of what to automate next.
	Candidates []Candidate `json:"candidates"`
	// Hurt are the actions whose runs made things worse or failed too often.
	Hurt []Hurt `json:"hurt"`
}

// Action is one action's record in the window.
type Action struct {
	Action string `json:"action"`
	// Runs started; ByHand of them confirmed by a person.
	Runs   int `json:"runs"`
	ByHand int `json:"by_hand"`
	// How the runs ended: failed (a non-zero exit, an HTTP error),
	// timed out, cancelled, or cut short by sitrep's own end.
	Failures    int `json:"failures"`
	Timeouts    int `json:"timeouts"`
	Cancels     int `json:"cancels"`
	Interrupted int `json:"interrupted"`
	// Blocked is the attempts that never ran because a guard refused
	// them, by the guard's rule (rate_limit, refuse_resolved, params …).
	Blocked map[string]int `json:"blocked"`
	// Vetoed is the armed (notify-first) runs an engineer vetoed.
	Vetoed int `json:"vetoed"`
	// Outcomes of the runs started.
	Outcomes Outcomes `json:"outcomes"`
	// MedianDurationMS is the median run time of the runs with one.
	MedianDurationMS int64 `json:"median_duration_ms"`
	// Metrics are the median before and after of each metric measured
	// around the runs.
	Metrics []Metric `json:"metrics"`
	// LastWorse is the latest run judged worse, if any.
	LastWorse *Worse `json:"last_worse"`
}

// Outcomes count the runs by the outcome the engineer gave. Unknown holds
// runs judged "unknown" and runs that were never judged (`sitrep run`
// records unknown; a run view closed before the verdict records none).
type Outcomes struct {
	Helped   int `json:"helped"`
	NoEffect int `json:"no_effect"`
	Worse    int `json:"worse"`
	Unknown  int `json:"unknown"`
}

// Metric is one metric's median value before and after an action's runs,
// over the Runs that measured it in both windows.
type Metric struct {
	Name   string  `json:"name"`
	Unit   string  `json:"unit"`
	Runs   int     `json:"runs"`
	Before float64 `json:"before"`
	After  float64 `json:"after"`
}

// Worse is a run judged worse.
type Worse struct {
	At       time.Time `json:"at"`
	Incident string    `json:"incident"`
	Service  string    `json:"service"`
}

// Service is one service's incidents in the window.
type Service struct {
	Service   string `json:"service"`
	Incidents int    `json:"incidents"`
	// Classes count the incidents by their last triage class.
	Classes map[string]int `json:"classes"`
	// Acknowledged and Resolved count the incidents with a known start
	// and an acknowledgement (resolution) in the window; the medians are
	// over those, in seconds, 0 when there are none.
	Acknowledged         int     `json:"acknowledged"`
	MedianAckSeconds     float64 `json:"median_ack_seconds"`
	Resolved             int     `json:"resolved"`
	MedianResolveSeconds float64 `json:"median_resolve_seconds"`
	// Helped are the actions judged to have helped here, most first.
	Helped []ActionCount `json:"helped"`
}

// ActionCount is an action and how many of its runs counted.
type ActionCount struct {
	Action string `json:"action"`
	Runs   int    `json:"runs"`
}

// Kinds of candidate.
const (
	CandidateStep   = "runbook_step" // a runbook step ticked by hand in several incidents
	CandidateAction = "action"       // an action run by hand that always helped
	CandidateNote   = "note"         // the same note written in several incidents
)

// Candidate is a suggestion of what to automate next, with why.
type Candidate struct {
	Kind string `json:"kind"`
	// What is the step's text, the action's name or the note.
	What string `json:"what"`
	// Runbook is the step's runbook, for a runbook step.
	Runbook string `json:"runbook,omitempty"`
	// Incidents is how many incidents it happened in, Times how many
	// times in all.
	Incidents int `json:"incidents"`
	Times     int `json:"times"`
	// Why says what made it a candidate, with the counts.
	Why string `json:"why"`
}

// Hurt is an action that made things worse, failed too often, or whose
// armed runs were vetoed.
type Hurt struct {
	Action      string  `json:"action"`
	Runs        int     `json:"runs"`
	Worse       int     `json:"worse"`
	Failures    int     `json:"failures"` // failed or timed out
	FailureRate float64 `json:"failure_rate"`
	Vetoed      int     `json:"vetoed"`
	Why         string  `json:"why"`
}

func (a *accumulator) report() Report {
	rep := Report{Since: a.opts.Since, Until: a.opts.Until, Entries: a.entries,
		Actions: []Action{}, Services: []Service{}, Candidates: []Candidate{}, Hurt: []Hurt{}}

	type actionAcc struct {
		Action
		durations []float64
		metrics   map[string]*metricAcc
		metricOrd []string
		lastWorse time.Time
	}
	byAction := map[string]*actionAcc{}
	helpedAt := map[string]map[string]int{} // service -> action -> helped runs
	for _, id := range a.runOrder {
		r := a.runs[id]
		name := orText(r.action, "(unnamed)")
		acc := byAction[name]
		if acc == nil {
			acc = &actionAcc{Action: Action{Action: name, Blocked: map[string]int{}, Metrics: []Metric{}}, metrics: map[string]*metricAcc{}}
			byAction[name] = acc
		}
		started := r.flags&ranStarted != 0
		switch {
		case r.flags&ranVetoed != 0 && !started:
			acc.Vetoed++
			continue
		case !started:
			if r.flags&ranBlocked != 0 || r.blockedBy != "" {
				acc.Blocked[orText(r.blockedBy, "unknown rule")]++
			}
			continue
		}
		acc.Runs++
		if r.byHand {
			acc.ByHand++
		}
		switch {
		case r.flags&ranTimedOut != 0:
			acc.Timeouts++
		case r.flags&ranCancelled != 0:
			acc.Cancels++
		case r.flags&ranFailed != 0:
			acc.Failures++
		case r.flags&ranInterrupted != 0:
			acc.Interrupted++
		}
		if r.durationMS > 0 {
			acc.durations = append(acc.durations, float64(r.durationMS))
		}
		switch r.outcome {
		case OutcomeHelped:
			acc.Outcomes.Helped++
			if r.service != "" {
				if helpedAt[r.service] == nil {
					helpedAt[r.service] = map[string]int{}
				}
				helpedAt[r.service][name]++
			}
		case OutcomeNoEffect:
			acc.Outcomes.NoEffect++
		case OutcomeWorse:
			acc.Outcomes.Worse++
			if acc.LastWorse == nil || r.outcomeAt.After(acc.lastWorse) {
				acc.LastWorse = &Worse{At: r.outcomeAt, Incident: r.incident, Service: r.service}
				acc.lastWorse = r.outcomeAt
			}
		default:
			acc.Outcomes.Unknown++
		}
		for _, m := range r.effect {
			if m.NoData != "" || m.Name == "" {
				continue
			}
			ma := acc.metrics[m.Name]
			if ma == nil {
				ma = &metricAcc{unit: m.Unit}
				acc.metrics[m.Name] = ma
				acc.metricOrd = append(acc.metricOrd, m.Name)
			}
			ma.before = append(ma.before, m.Before)
			ma.after = append(ma.after, m.After)
		}
	}
	for _, acc := range byAction {
		acc.MedianDurationMS = int64(median(acc.durations))
		sort.Strings(acc.metricOrd)
		for _, name := range acc.metricOrd {
			ma := acc.metrics[name]
			acc.Metrics = append(acc.Metrics, Metric{Name: name, Unit: ma.unit, Runs: len(ma.before), Before: median(ma.before), After: median(ma.after)})
		}
		rep.Actions = append(rep.Actions, acc.Action)
	}
	sort.Slice(rep.Actions, func(i, j int) bool {
		x, y := rep.Actions[i], rep.Actions[j]
		if x.Runs != y.Runs {
			return x.Runs > y.Runs
		}
		return x.Action < y.Action
	})

	rep.Services = a.services(helpedAt)
	rep.Candidates = append(rep.Candidates, a.stepCandidates()...)
	for _, act := range rep.Actions {
		if c, ok := actionCandidate(act); ok {
			rep.Candidates = append(rep.Candidates, c)
		}
	}
	rep.Candidates = append(rep.Candidates, a.noteCandidates()...)
	for _, act := range rep.Actions {
		if h, ok := hurt(act); ok {
			rep.Hurt = append(rep.Hurt, h)
		}
	}
	return rep
}

type metricAcc struct {
	unit          string
	before, after []float64
}

func (a *accumulator) services(helpedAt map[string]map[string]int) []Service {
	type serviceAcc struct {
		Service
		acks, resolves []float64
	}
	by := map[string]*serviceAcc{}
	for _, in := range a.incidents {
		if !in.inWindow {
			continue
		}
		name := orText(in.service, orText(in.runService, "(unknown service)"))
		s := by[name]
		if s == nil {
			s = &serviceAcc{Service: Service{Service: name, Classes: map[string]int{}, Helped: []ActionCount{}}}
			by[name] = s
		}
		s.Incidents++
		if in.class != "" {
			s.Classes[in.class]++
		}
		if !in.created.IsZero() && !in.ack.IsZero() && !in.ack.Before(in.created) {
			s.acks = append(s.acks, in.ack.Sub(in.created).Seconds())
		}
		if !in.created.IsZero() && !in.resolve.IsZero() && !in.resolve.Before(in.created) {
			s.resolves = append(s.resolves, in.resolve.Sub(in.created).Seconds())
		}
	}
	// A service where an action helped but no incident is known by its
	// service (the runs' target names it) still shows what helped.
	for svc := range helpedAt {
		if by[svc] == nil {
			by[svc] = &serviceAcc{Service: Service{Service: svc, Classes: map[string]int{}, Helped: []ActionCount{}}}
		}
	}
	out := make([]Service, 0, len(by))
	for name, s := range by {
		s.Acknowledged, s.MedianAckSeconds = len(s.acks), median(s.acks)
		s.Resolved, s.MedianResolveSeconds = len(s.resolves), median(s.resolves)
		for action, n := range helpedAt[name] {
			s.Helped = append(s.Helped, ActionCount{Action: action, Runs: n})
		}
		sort.Slice(s.Helped, func(i, j int) bool {
			if s.Helped[i].Runs != s.Helped[j].Runs {
				return s.Helped[i].Runs > s.Helped[j].Runs
			}
			return s.Helped[i].Action < s.Helped[j].Action
		})
		out = append(out, s.Service)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Incidents != out[j].Incidents {
			return out[i].Incidents > out[j].Incidents
		}
		return out[i].Service < out[j].Service
	})
	return out
}

func (a *accumulator) stepCandidates() []Candidate {
	var out []Candidate
	for k, set := range a.steps {
		if len(set) < StepIncidents {
			continue
		}
		out = append(out, Candidate{Kind: CandidateStep, What: k.step, Runbook: k.runbook, Incidents: len(set), Times: len(set),
			Why: fmt.Sprintf("ticked by hand in %d incidents (suggested from %d)", len(set), StepIncidents)})
	}
	sortCandidates(out)
	return out
}

func actionCandidate(act Action) (Candidate, bool) {
	o := act.Outcomes
	if act.ByHand < HandRuns || o.Helped != act.Runs || act.Failures+act.Timeouts+act.Cancels+act.Interrupted > 0 {
		return Candidate{}, false
	}
	return Candidate{Kind: CandidateAction, What: act.Action, Times: act.Runs,
		Why: fmt.Sprintf("run by hand %d times, every run helped, none made things worse or failed (suggested from %d): a candidate for notify-first automation", act.ByHand, HandRuns)}, true
}

func (a *accumulator) noteCandidates() []Candidate {
	var out []Candidate
	for _, n := range a.notes {
		if len(n.incidents) < NoteIncidents {
			continue
		}
		out = append(out, Candidate{Kind: CandidateNote, What: n.text, Incidents: len(n.incidents), Times: n.times,
			Why: fmt.Sprintf("the same note written %d times in %d incidents (suggested from %d): a manual step worth a runbook step or an action", n.times, len(n.incidents), NoteIncidents)})
	}
	sortCandidates(out)
	return out
}

func sortCandidates(cs []Candidate) {
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].Incidents != cs[j].Incidents {
			return cs[i].Incidents > cs[j].Incidents
		}
		if cs[i].What != cs[j].What {
			return cs[i].What < cs[j].What
		}
		return cs[i].Runbook < cs[j].Runbook
	})
}

func hurt(act Action) (Hurt, bool) {
	failed := act.Failures + act.Timeouts
	h := Hurt{Action: act.Action, Runs: act.Runs, Worse: act.Outcomes.Worse, Failures: failed, Vetoed: act.Vetoed}
	if act.Runs > 0 {
		h.FailureRate = float64(failed) / float64(act.Runs)
	}
	var why []string
	if h.Worse > 0 {
		w := fmt.Sprintf("made things worse %d of %d runs", h.Worse, act.Runs)
		if act.LastWorse != nil {
			w += fmt.Sprintf(", the last on %s at %s", orText(act.LastWorse.Incident, "an unknown incident"), act.LastWorse.At.UTC().Format("2006-01-02 15:04"))
		}
		why = append(why, w)
	}
	if act.Runs >= HurtMinRuns && h.FailureRate > HurtFailureRate {
		why = append(why, fmt.Sprintf("failed or timed out %d of %d runs (%.0f%%, above %.0f%%)", failed, act.Runs, 100*h.FailureRate, 100*HurtFailureRate))
	}
	if h.Vetoed > 0 {
		why = append(why, fmt.Sprintf("%d armed run(s) vetoed", h.Vetoed))
	}
	if len(why) == 0 {
		return Hurt{}, false
	}
	h.Why = strings.Join(why, "; ")
	return h, true
}
