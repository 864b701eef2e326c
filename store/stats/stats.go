// Package stats reads the journal back across incidents: how each action
// fared (runs, failures, blocked attempts, outcomes, its effect on the
// metrics), how each service's incidents went (time to acknowledge and to
// resolve, their classes, what helped there), which manual work is worth
// automating next, and which automation hurt. Everything is derived from
// entries the journal already records; nothing here writes.
//
// Compute reads entries as a stream (iter.Seq2 of entry and error), so the
// figures of one journal, or of several merged by time, cost memory in
// proportion to the runs and incidents in the window, never to the
// entries: an action's output, the bulk of a journal, is skipped unread.
package stats

import (
	"context"
	"encoding/json"
	"iter"
	"sort"
	"strings"
	"time"

	"sitrep/actions"
	"sitrep/store/journal"
)

// Thresholds of the suggestions. They are deliberately small: a team's
// month holds tens of incidents, not thousands, and a suggestion names its
// counts so the reader can judge it.
const (
	// StepIncidents is how many incidents a runbook step must be ticked
	// by hand in before it is suggested for automation: once is an
	// incident, three times is a routine.
	StepIncidents = 3
	// HandRuns is how many runs by hand an action must have, each of them
	// judged "helped", none worse, none failed, before it is suggested
	// for notify-first automation: fewer is too little evidence to let it
	// run unattended.
	HandRuns = 5
	// NoteIncidents is how many incidents the same note must be written
	// in before it is suggested as a manual step worth a runbook step or
	// an action.
	NoteIncidents = 3
	// HurtFailureRate is the share of an action's runs that failed or
	// timed out above which it is listed as automation that hurt, once it
	// has HurtMinRuns runs: one failure in one run is noise, a quarter of
	// them failing is a pattern.
	HurtFailureRate = 0.25
	HurtMinRuns     = 4
)

// Outcomes of a run, as the engineer gives them on the run view.
const (
	OutcomeHelped   = "helped"
	OutcomeNoEffect = "no effect"
	OutcomeWorse    = "worse"
	OutcomeUnknown  = "unknown"
)

// Kinds of journal entry Compute reads; the rest it counts and skips.
const (
	kindAction      = "action."
	kindSeen        = "seen"
	kindTriage      = "triage"
	kindNote        = "note"
	kindRunbookStep = "runbook.step"
	kindAck         = "status.acknowledge"
	kindResolve     = "status.resolve"
	kindTrigger     = "status.trigger"
	// stepVetoed is the step of an armed (notify-first) run that an
	// engineer vetoed before it started. Journals written before armed
	// automation existed hold none, and the figure is then absent.
	stepVetoed = "vetoed"
)

// Options bound the window.
type Options struct {
	// Since and Until bound the entries read, by when they happened
	// (Entry.At): Since inclusive, Until exclusive. A zero Since reads
	// from the first entry; a zero Until to the last.
	Since, Until time.Time
}

// FromJournal streams every entry of j in Seq order. The read is one
// read transaction: the cockpit may keep writing meanwhile.
func FromJournal(ctx context.Context, j *journal.Journal) iter.Seq2[journal.Entry, error] {
	return func(yield func(journal.Entry, error) bool) {
		stopped := false
		err := j.Each(ctx, 1, func(e journal.Entry) error {
			if !yield(e, nil) {
				stopped = true
				return errStop
			}
			return nil
		})
		if err != nil && !stopped {
			yield(journal.Entry{}, err)
		}
	}
}

type stopError struct{}

func (stopError) Error() string { return "stopped" }

var errStop error = stopError{}

// Compute reads entries and returns the figures of those in the window.
// Entries may come in any order (several journals merged by time, or one
// in Seq order). The first error the sequence yields ends the read and is
// returned with nothing else.
func Compute(entries iter.Seq2[journal.Entry, error], opts Options) (Report, error) {
	a := newAccumulator(opts)
	for e, err := range entries {
		if err != nil {
			return Report{}, err
		}
		a.add(e)
	}
	return a.report(), nil
}

// actionData is the part of an action step's record the figures read:
// decoding it and not actions.Record skips the command, the blast radius
// and the output.
type actionData struct {
	RunID       string                 `json:"run_id"`
	Incident    string                 `json:"incident"`
	Step        string                 `json:"step"`
	Action      string                 `json:"action"`
	Target      string                 `json:"target"`
	Verdict     string                 `json:"verdict"`
	BlockedBy   string                 `json:"blocked_by"`
	ConfirmedBy string                 `json:"confirmed_by"`
	DurationMS  int64                  `json:"duration_ms"`
	Outcome     string                 `json:"outcome"`
	Effect      []actions.MetricChange `json:"effect"`
}

// Run flags: the steps a run reached.
const (
	ranStarted uint16 = 1 << iota
	ranFinished
	ranFailed
	ranTimedOut
	ranCancelled
	ranInterrupted
	ranBlocked
	ranVetoed
	ranConfirmed
)

// run is one action run folded from its steps.
type run struct {
	action, service, incident string
	byHand                    bool // confirmed by a person, not sitrep
	flags                     uint16
	blockedBy                 string // the last verdict's rule, "" when allowed
	durationMS                int64
	outcome                   string
	outcomeAt                 time.Time
	effect                    []actions.MetricChange
}

// incident is what the window shows of one incident.
type incident struct {
	service        string
	runService     string    // the service its runs targeted, when no sighting names one
	created        time.Time // PagerDuty's created_at, or the trigger's time
	ack, resolve   time.Time // the first of each
	class          string    // the last triage class
	classAt        time.Time
	inWindow       bool
	triggeredEntry bool
}

type stepKey struct{ runbook, step string }

type accumulator struct {
	opts      Options
	entries   int
	runs      map[string]*run
	runOrder  []string
	incidents map[string]*incident
	steps     map[stepKey]map[string]bool // incidents a step was ticked in
	notes     map[string]*noteCount
	// scratch is reused for every action entry's data.
	scratch actionData
}

type noteCount struct {
	text      string // the note as first written
	incidents map[string]bool
	times     int
}

func newAccumulator(opts Options) *accumulator {
	return &accumulator{
		opts:      opts,
		runs:      map[string]*run{},
		incidents: map[string]*incident{},
		steps:     map[stepKey]map[string]bool{},
		notes:     map[string]*noteCount{},
	}
}

func (a *accumulator) inWindow(at time.Time) bool {
	if !a.opts.Since.IsZero() && at.Before(a.opts.Since) {
		return false
	}
	if !a.opts.Until.IsZero() && !at.Before(a.opts.Until) {
		return false
	}
	return true
}

func (a *accumulator) incident(id string) *incident {
	in := a.incidents[id]
	if in == nil {
		in = &incident{}
		a.incidents[id] = in
	}
	return in
}

func (a *accumulator) add(e journal.Entry) {
	kind := e.Kind
	// An incident's first sighting, its trigger and its class are read
	// whenever they were written: an incident that began before the
	// window and was worked in it still has a service, a start and a
	// class.
	switch kind {
	case kindSeen:
		if e.Incident == "" {
			break
		}
		var d struct {
			Service struct {
				Name string `json:"name"`
			} `json:"service"`
			CreatedAt time.Time `json:"created_at"`
		}
		if json.Unmarshal(e.Data, &d) == nil {
			in := a.incident(e.Incident)
			if d.Service.Name != "" {
				in.service = d.Service.Name
			}
			if !d.CreatedAt.IsZero() && !in.triggeredEntry {
				in.created = d.CreatedAt
			}
		}
	case kindTrigger:
		if e.Incident != "" {
			in := a.incident(e.Incident)
			in.created, in.triggeredEntry = e.At, true
		}
	case kindTriage:
		if e.Incident != "" {
			var d struct {
				Class string `json:"class"`
			}
			if json.Unmarshal(e.Data, &d) == nil && d.Class != "" {
				in := a.incident(e.Incident)
				if !e.At.Before(in.classAt) {
					in.class, in.classAt = d.Class, e.At
				}
			}
		}
	}
	if !a.inWindow(e.At) {
		return
	}
	a.entries++
	if e.Incident != "" && kind != "listed" {
		a.incident(e.Incident).inWindow = true
	}
	switch {
	case strings.HasPrefix(kind, kindAction):
		a.addAction(e)
	case kind == kindAck:
		if in := a.incident(e.Incident); e.Incident != "" && (in.ack.IsZero() || e.At.Before(in.ack)) {
			in.ack = e.At
		}
	case kind == kindResolve:
		if in := a.incident(e.Incident); e.Incident != "" && (in.resolve.IsZero() || e.At.Before(in.resolve)) {
			in.resolve = e.At
		}
	case kind == kindRunbookStep:
		a.addTick(e)
	case kind == kindNote:
		a.addNote(e)
	}
}

func (a *accumulator) addAction(e journal.Entry) {
	step := e.Kind[len(kindAction):]
	if step == actions.StepOutput {
		// The bulk of a journal, and nothing in it is a figure: a run
		// with output has a started step too.
		return
	}
	if step == actions.StepStarted {
		// A started step repeats the preview's command and explanation:
		// for a run already known, the step is all it says.
		if r := a.runs[runIDOf(e.Data)]; r != nil {
			r.flags |= ranStarted
			return
		}
	}
	d := &a.scratch
	*d = actionData{}
	if len(e.Data) == 0 || json.Unmarshal(e.Data, d) != nil {
		return
	}
	if d.Step != "" {
		step = d.Step
	}
	id := d.RunID
	if id == "" {
		id = "seq:" + e.Incident + ":" + e.At.String()
	}
	r := a.runs[id]
	if r == nil {
		r = &run{}
		a.runs[id] = r
		a.runOrder = append(a.runOrder, id)
	}
	if d.Action != "" {
		r.action = d.Action
	}
	if d.Target != "" {
		r.service = d.Target
	}
	if inc := orText(d.Incident, e.Incident); inc != "" {
		r.incident = inc
		if d.Target != "" {
			a.incident(inc).runService = d.Target
		}
	}
	if d.Verdict != "" {
		// A verdict comes with its blocking rule or with none: an allowed
		// verdict clears an earlier block (see store/postmortem's runs).
		r.blockedBy = d.BlockedBy
	} else if d.BlockedBy != "" {
		r.blockedBy = d.BlockedBy
	}
	if d.ConfirmedBy != "" && d.ConfirmedBy != journal.ActorSitrep {
		r.byHand = true
	}
	if d.DurationMS > 0 {
		r.durationMS = d.DurationMS
	}
	switch step {
	case actions.StepConfirmed:
		r.flags |= ranConfirmed
	case actions.StepBlocked:
		r.flags |= ranBlocked
	case actions.StepStarted:
		r.flags |= ranStarted
	case actions.StepFinished:
		r.flags |= ranStarted | ranFinished
	case actions.StepFailed:
		r.flags |= ranStarted | ranFailed
	case actions.StepTimedOut:
		r.flags |= ranStarted | ranTimedOut
	case actions.StepCancelled:
		r.flags |= ranStarted | ranCancelled
	case actions.StepInterrupted:
		r.flags |= ranStarted | ranInterrupted
	case actions.StepOutcome, actions.StepEffect:
		r.flags |= ranStarted
		if d.Outcome != "" && !e.At.Before(r.outcomeAt) {
			r.outcome, r.outcomeAt = d.Outcome, e.At
		}
		if len(d.Effect) > 0 {
			r.effect = append([]actions.MetricChange(nil), d.Effect...)
		}
	case stepVetoed:
		r.flags |= ranVetoed
	}
}

// runIDOf reads a step's run ID without decoding the rest: a record is
// marshalled from actions.Record, whose first field is run_id. It returns
// "" for anything else, which the caller then decodes.
func runIDOf(data []byte) string {
	const prefix = `{"run_id":"`
	if len(data) < len(prefix) || string(data[:len(prefix)]) != prefix {
		return ""
	}
	rest := data[len(prefix):]
	for i, c := range rest {
		switch c {
		case '"':
			return string(rest[:i])
		case '\\':
			return "" // an escaped ID: let the decoder read it
		}
	}
	return ""
}

func (a *accumulator) addTick(e journal.Entry) {
	var d struct {
		Runbook string `json:"runbook"`
		Checked bool   `json:"checked"`
	}
	if e.Incident == "" || json.Unmarshal(e.Data, &d) != nil || !d.Checked {
		return
	}
	// The summary is "ticked: <the step's text>".
	_, step, ok := strings.Cut(e.Summary, ": ")
	if !ok || strings.TrimSpace(step) == "" {
		return
	}
	k := stepKey{runbook: strings.TrimSpace(d.Runbook), step: strings.TrimSpace(step)}
	set := a.steps[k]
	if set == nil {
		set = map[string]bool{}
		a.steps[k] = set
	}
	set[e.Incident] = true
}

func (a *accumulator) addNote(e journal.Entry) {
	if e.Incident == "" || e.Actor == journal.ActorSitrep {
		return
	}
	key := normaliseNote(e.Summary)
	if key == "" {
		return
	}
	n := a.notes[key]
	if n == nil {
		n = &noteCount{text: strings.TrimSpace(e.Summary), incidents: map[string]bool{}}
		a.notes[key] = n
	}
	n.times++
	n.incidents[e.Incident] = true
}

// normaliseNote makes notes that say the same step the same key: case,
// punctuation, spacing and numbers (counts, times, hosts' numbers) are
// not what makes a step.
func normaliseNote(s string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z' || r > 0x7f && r != 0xa0:
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		case r >= '0' && r <= '9':
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			if !strings.HasSuffix(b.String(), "#") {
				b.WriteByte('#')
			}
		default:
			space = true
		}
	}
	return b.String()
}

func orText(s, or string) string {
	if s != "" {
		return s
	}
	return or
}

// median of xs (sorted in place); 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	sort.Float64s(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}
