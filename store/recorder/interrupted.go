package recorder

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"sitrep/actions"
	"sitrep/store/journal"
)

// Interrupted is an action run that the journal shows started and never
// ended: sitrep died (killed, crashed, its terminal closed) while it ran.
// Its processes died with sitrep; what they had done by then is unknown.
type Interrupted struct {
	RunID    string
	Incident string
	Action   string
	Target   string
	Env      string
	Started  time.Time
}

// String names the run for the engineer.
func (r Interrupted) String() string {
	s := r.Action
	if t := strings.Join(nonEmpty(r.Target, r.Env), " in "); t != "" {
		s += " on " + t
	}
	if r.Incident != "" {
		s += " (incident " + r.Incident + ")"
	}
	if !r.Started.IsZero() {
		s += ", started " + r.Started.UTC().Format("2006-01-02 15:04") + " UTC"
	}
	return s
}

// InterruptedNotice is the one line that tells the engineer about runs
// found interrupted, or "" when there are none. What matters comes first,
// so that the status line still says it at 80 columns.
func InterruptedNotice(runs []Interrupted) string {
	switch len(runs) {
	case 0:
		return ""
	case 1:
		return "Interrupted when sitrep ended, effect unknown: " + runs[0].String()
	default:
		return fmt.Sprintf("%d actions interrupted when sitrep ended, effect unknown: %s, and %d more in the journal", len(runs), runs[0].String(), len(runs)-1)
	}
}

// errPastHead stops a scan at the head it started from.
var errPastHead = errors.New("past the head")

// MarkInterrupted finds the action runs journaled up to and including
// entry upTo as started with no end (finished, failed, timed out,
// cancelled), journals one action.interrupted entry for each, as sitrep,
// and returns them, oldest first.
//
// Call it with the journal open for writing, with upTo the head read
// before this process could start any action: only one sitrep writes a
// journal, so a run up to that head with no end is one that no living
// process is running. Each run is marked once, even if two starts race:
// the entry's SourceID names the run.
func MarkInterrupted(ctx context.Context, j *journal.Journal, upTo uint64) ([]Interrupted, error) {
	if j.ReadOnly() || upTo == 0 {
		return nil, nil
	}
	open := map[string]int{}
	var runs []Interrupted
	var recs []actions.Record
	err := j.Each(ctx, 1, func(e journal.Entry) error {
		if e.Seq > upTo {
			return errPastHead
		}
		step, ok := strings.CutPrefix(e.Kind, "action.")
		if !ok {
			return nil
		}
		var rec actions.Record
		if json.Unmarshal(e.Data, &rec) != nil || rec.RunID == "" {
			return nil
		}
		switch step {
		case actions.StepStarted:
			if _, seen := open[rec.RunID]; !seen {
				open[rec.RunID] = len(runs)
				runs = append(runs, Interrupted{RunID: rec.RunID, Incident: orText(rec.Incident, e.Incident), Action: rec.Action, Target: rec.Target, Env: rec.Env, Started: e.At})
				recs = append(recs, rec)
			}
		case actions.StepFinished, actions.StepFailed, actions.StepTimedOut, actions.StepCancelled,
			actions.StepInterrupted, actions.StepOutcome, actions.StepEffect:
			if i, seen := open[rec.RunID]; seen {
				runs[i].RunID = "" // ended
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errPastHead) {
		return nil, fmt.Errorf("look for interrupted action runs in %s: %w", j.Path(), err)
	}
	var out []Interrupted
	var errs []error
	for i, r := range runs {
		if r.RunID == "" {
			continue
		}
		started := recs[i]
		rec := actions.Record{
			RunID: r.RunID, Incident: r.Incident, Step: actions.StepInterrupted,
			Action: started.Action, Title: started.Title, Runner: started.Runner,
			Target: started.Target, Env: started.Env, Result: actions.ResultInterrupted,
		}
		data, _ := json.Marshal(rec)
		_, err := j.Append(journal.Entry{
			Incident: r.Incident, Kind: "action." + actions.StepInterrupted, Actor: journal.ActorSitrep,
			Summary:  fmt.Sprintf("%s %s on %s (%s): %s — sitrep ended while it ran", rec.Action, rec.Step, rec.Target, rec.Env, actions.ResultInterrupted),
			Data:     data,
			SourceID: "sitrep:interrupted:" + r.RunID,
		})
		switch {
		case errors.Is(err, journal.ErrDuplicate):
			continue // another start marked it first
		case err != nil:
			errs = append(errs, err)
			continue
		}
		out = append(out, r)
	}
	return out, errors.Join(errs...)
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return out
}

func orText(s, alt string) string {
	if s != "" {
		return s
	}
	return alt
}
