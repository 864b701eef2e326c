package postmortem

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"sitrep/actions"
	"sitrep/sources/deploys"
	"sitrep/sources/metrics"
	"sitrep/store/journal"
)

// run is one action run, folded from its journal steps.
type run struct {
	id        string
	start     time.Time
	outcomeAt time.Time
	rec       actions.Record // later steps' non-empty fields win
	steps     []string
}

// buildRuns groups action.* entries by RunID, in order of first step.
func buildRuns(entries []journal.Entry) []run {
	byID := map[string]int{}
	var runs []run
	sorted := make([]journal.Entry, 0, 16)
	for _, e := range entries {
		if strings.HasPrefix(e.Kind, kindAction) {
			sorted = append(sorted, e)
		}
	}
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Seq < sorted[j].Seq })
	for _, e := range sorted {
		rec, ok := decodeRecord(e)
		if !ok {
			continue
		}
		id := rec.RunID
		if id == "" {
			id = fmt.Sprintf("seq-%d", e.Seq)
		}
		i, seen := byID[id]
		if !seen {
			i = len(runs)
			byID[id] = i
			runs = append(runs, run{id: id, start: e.At})
		}
		r := &runs[i]
		if e.At.Before(r.start) {
			r.start = e.At
		}
		merge(&r.rec, rec)
		step := orText(rec.Step, strings.TrimPrefix(e.Kind, kindAction))
		r.steps = append(r.steps, step)
		if rec.Outcome != "" && r.outcomeAt.IsZero() {
			r.outcomeAt = e.At
		}
	}
	sort.SliceStable(runs, func(i, j int) bool { return runs[i].start.Before(runs[j].start) })
	return runs
}

// merge copies rec's set fields over into dst.
func merge(dst *actions.Record, rec actions.Record) {
	str := func(d *string, s string) {
		if s != "" {
			*d = s
		}
	}
	str(&dst.RunID, rec.RunID)
	str(&dst.Step, rec.Step)
	str(&dst.Action, rec.Action)
	str(&dst.Title, rec.Title)
	str(&dst.Runner, rec.Runner)
	str(&dst.Target, rec.Target)
	str(&dst.Env, rec.Env)
	str(&dst.DryRun, rec.DryRun)
	if rec.Verdict != "" {
		// A verdict comes with its blocking rule, or with none: an
		// allowed verdict clears an earlier block (journals written
		// before previews settled hold "blocked by dry_run" first).
		dst.Verdict, dst.BlockedBy = rec.Verdict, rec.BlockedBy
	}
	str(&dst.BlockedBy, rec.BlockedBy)
	str(&dst.ConfirmedBy, rec.ConfirmedBy)
	str(&dst.ApprovedBy, rec.ApprovedBy)
	str(&dst.ApprovalRequest, rec.ApprovalRequest)
	if rec.ApprovedAt != nil {
		dst.ApprovedAt = rec.ApprovedAt
	}
	str(&dst.Result, rec.Result)
	str(&dst.Outcome, rec.Outcome)
	if rec.DryRunOK != nil {
		dst.DryRunOK = rec.DryRunOK
	}
	if rec.ExitCode != nil {
		dst.ExitCode = rec.ExitCode
	}
	if rec.DurationMS != 0 {
		dst.DurationMS = rec.DurationMS
	}
	if len(rec.Effect) > 0 {
		dst.Effect = rec.Effect
	}
}

// ran reports whether the run started: anything after the confirmation
// that only a started run records.
func (r run) ran() bool {
	for _, s := range r.steps {
		switch s {
		case actions.StepStarted, actions.StepOutput, actions.StepFinished, actions.StepFailed,
			actions.StepTimedOut, actions.StepCancelled, actions.StepInterrupted, actions.StepOutcome, actions.StepEffect:
			return true
		}
	}
	return false
}

func (r run) has(step string) bool {
	for _, s := range r.steps {
		if s == step {
			return true
		}
	}
	return false
}

// whyNotRun says, for a run that never started, where it stopped.
func (r run) whyNotRun() string {
	rec := r.rec
	blocked := "blocked"
	if rec.BlockedBy != "" {
		blocked = "blocked by " + orText(strings.TrimPrefix(rec.Verdict, "blocked: "), rec.BlockedBy)
	}
	switch {
	case r.has(actions.StepBlocked) && !r.has(actions.StepPreviewed):
		return "refused before the preview, " + blocked
	case r.has(actions.StepBlocked) && r.has(actions.StepConfirmed):
		return "confirmed, then " + blocked
	case r.has(actions.StepBlocked):
		return "refused at confirmation, " + blocked
	case r.has(actions.StepConfirmed):
		return "confirmed, but its preview was closed before it started"
	case rec.DryRunOK != nil && !*rec.DryRunOK && strings.HasPrefix(rec.DryRun, "cancelled"):
		return "preview closed while its dry run ran"
	case rec.BlockedBy != "":
		return blocked
	case rec.DryRunOK != nil && !*rec.DryRunOK:
		return "previewed, not confirmed; its dry run failed: " + firstLine(rec.DryRun)
	}
	return "previewed, not confirmed"
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

// attempt is one or more runs that stopped short the same way.
type attempt struct {
	first, last time.Time
	action      string
	target      string
	why         string
	times       int
}

// attempts folds the runs that never started, in order of first time;
// the same action stopped the same way again is one line.
func (f *facts) attempts() []attempt {
	var out []attempt
	at := map[string]int{}
	for _, r := range f.runs {
		if r.ran() {
			continue
		}
		a := attempt{first: r.start, last: r.start, action: orText(r.rec.Action, r.rec.Title),
			target: strings.Join(nonEmpty(r.rec.Target, r.rec.Env), " in "), why: r.whyNotRun(), times: 1}
		key := a.action + "\x00" + a.target + "\x00" + a.why
		if i, ok := at[key]; ok {
			out[i].times++
			out[i].last = r.start
			continue
		}
		at[key] = len(out)
		out = append(out, a)
	}
	return out
}

func (f *facts) actionsSection(b *strings.Builder) {
	heading(b, "## Actions taken")
	var ran []run
	for _, r := range f.runs {
		if r.ran() {
			ran = append(ran, r)
		}
	}
	tried := f.attempts()
	switch {
	case len(ran) == 0 && len(tried) == 0:
		para(b, "No actions were taken through sitrep during this incident.")
		return
	case len(ran) == 0:
		para(b, "No action was run through sitrep during this incident.")
	default:
		para(b, fmt.Sprintf("%d action run(s) through sitrep, one row each.", len(ran)))
		b.WriteByte('\n')
		f.runsTable(b, ran)
	}
	if len(tried) == 0 {
		return
	}
	b.WriteByte('\n')
	heading(b, "### Attempts")
	para(b, "Actions previewed or refused that did not run, and why:")
	b.WriteByte('\n')
	for _, a := range tried {
		text := utc(a.first) + " " + inline(a.action)
		if a.target != "" {
			text += " on " + inline(a.target)
		}
		text += ": " + inline(a.why)
		if a.times > 1 {
			text += fmt.Sprintf(" (%d times, the last at %s)", a.times, utc(a.last))
		}
		item(b, "", text)
	}
}

func (f *facts) runsTable(b *strings.Builder, runs []run) {
	wideTable(b, "| Time (UTC) | Action | Target | Dry run | Guard | Confirmed by | Result | Duration | Outcome | Effect |\n"+
		"| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n", func() {
		for _, r := range runs {
			rec := r.rec
			cells := []string{
				r.start.UTC().Format(dayTime),
				cell(orText(rec.Action, rec.Title)),
				cell(strings.Join(nonEmpty(rec.Target, rec.Env), " in ")),
				cell(dryRun(rec)),
				cell(verdict(rec)),
				cell(confirmedBy(rec)),
				cell(result(rec, r.steps)),
				duration(rec.DurationMS),
				cell(rec.Outcome),
				cell(effect(rec.Effect)),
			}
			tableRow(b, cells...)
		}
	})
}

// confirmedBy is who confirmed the run and, when it needed a second
// person, who approved it and when (the approval note's PagerDuty author).
func confirmedBy(r actions.Record) string {
	if r.ApprovedBy == "" {
		return r.ConfirmedBy
	}
	s := "approved by " + r.ApprovedBy
	if r.ApprovedAt != nil {
		s += " at " + r.ApprovedAt.UTC().Format(dayTime)
	}
	if r.ApprovalRequest != "" {
		s += " (request " + r.ApprovalRequest + ")"
	}
	return strings.Join(nonEmpty(r.ConfirmedBy, s), "; ")
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

func dryRun(r actions.Record) string {
	switch {
	case r.DryRunOK == nil:
		// Without a dry run, DryRun holds the preview's note on why,
		// written for the screen it was shown on.
		return "none"
	case *r.DryRunOK:
		return strings.Join(nonEmpty("ok", r.DryRun), ": ")
	default:
		return strings.Join(nonEmpty("failed", r.DryRun), ": ")
	}
}

func verdict(r actions.Record) string {
	if r.BlockedBy != "" {
		return strings.Join(nonEmpty(orText(r.Verdict, "blocked"), "rule "+r.BlockedBy), ", ")
	}
	return r.Verdict
}

func result(r actions.Record, steps []string) string {
	res := r.Result
	if len(steps) > 0 && steps[len(steps)-1] == actions.StepInterrupted {
		// Marked at the next start: whatever the run said before it
		// went, its end is unknown.
		return actions.ResultInterrupted
	}
	if res == "" && r.ExitCode != nil {
		res = "exit " + strconv.Itoa(*r.ExitCode)
	}
	if res == "" && len(steps) > 0 {
		res = steps[len(steps)-1] // how far it got
	}
	return res
}

func duration(ms int64) string {
	if ms <= 0 {
		return ""
	}
	return (time.Duration(ms) * time.Millisecond).Round(time.Millisecond).String()
}

// effect reads "5xx rate 0.31 → 0.01; p95 latency 840ms → 120ms; queue:
// no data (after it: no series in 03:02:00–03:04:00)": a metric that could
// not be compared says which window had no data and why.
func effect(ms []actions.MetricChange) string {
	var parts []string
	for _, m := range ms {
		if m.NoData != "" {
			parts = append(parts, fmt.Sprintf("%s: no data (%s)", m.Name, m.NoData))
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %s → %s", m.Name, metrics.FormatValue(m.Before, m.Unit), metrics.FormatValue(m.After, m.Unit)))
	}
	return strings.Join(parts, "; ")
}

// contributingChanges keeps the changes before start (within window when
// set), nearest first.
func contributingChanges(cs []deploys.Change, start time.Time, window time.Duration) []deploys.Change {
	var out []deploys.Change
	for _, c := range cs {
		if c.At.IsZero() || start.IsZero() || c.At.After(start) {
			continue
		}
		if window > 0 && start.Sub(c.At) > window {
			continue
		}
		out = append(out, c)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.After(out[j].At) })
	return out
}
