package stats

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"sitrep/sources/metrics"
	md "sitrep/store/postmortem"
)

// Markdown renders the report for a review meeting. Text from the journal
// (action, service, step and note names) is escaped as the post-mortem
// export escapes it, and the document passes markdownlint's default rules.
func Markdown(r Report) string {
	var b strings.Builder
	b.WriteString("# Automation review\n\n")
	md.Para(&b, "Window: "+Window(r)+". "+strconv.Itoa(r.Entries)+" journal entries read.")

	b.WriteString("\n## Actions\n\n")
	if len(r.Actions) == 0 {
		md.Para(&b, "No action was previewed or run in the window.")
	} else {
		md.WideTable(&b, "| Action | Runs | By hand | Failed | Timed out | Cancelled | Interrupted | Blocked | Helped | No effect | Worse | Unknown | Median duration |\n"+
			"| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n", func() {
			for _, a := range r.Actions {
				o := a.Outcomes
				md.TableRow(&b, md.Cell(a.Action), itoa(a.Runs), itoa(a.ByHand), itoa(a.Failures), itoa(a.Timeouts), itoa(a.Cancels),
					itoa(a.Interrupted), md.Cell(BlockedText(a.Blocked)), itoa(o.Helped), itoa(o.NoEffect), itoa(o.Worse), itoa(o.Unknown),
					DurationText(a.MedianDurationMS))
			}
		})
		var effects, worse []string
		for _, a := range r.Actions {
			for _, m := range a.Metrics {
				effects = append(effects, md.Inline(a.Action)+": "+md.Inline(MetricText(m)))
			}
			if a.LastWorse != nil {
				worse = append(worse, md.Inline(a.Action)+": "+md.Inline(WorseText(*a.LastWorse)))
			}
		}
		if len(effects) > 0 {
			b.WriteString("\n### Effect on the metrics\n\n")
			md.Para(&b, "The median of each metric before and after the runs that measured it.")
			b.WriteByte('\n')
			for _, e := range effects {
				md.Item(&b, "", e)
			}
		}
		if len(worse) > 0 {
			b.WriteString("\n### Last made things worse\n\n")
			for _, w := range worse {
				md.Item(&b, "", w)
			}
		}
	}

	b.WriteString("\n## Services\n\n")
	if len(r.Services) == 0 {
		md.Para(&b, "No incident in the window.")
	} else {
		md.WideTable(&b, "| Service | Incidents | Classes | Median time to acknowledge | Median time to resolve | Actions that helped |\n"+
			"| --- | --- | --- | --- | --- | --- |\n", func() {
			for _, s := range r.Services {
				md.TableRow(&b, md.Cell(s.Service), itoa(s.Incidents), md.Cell(ClassesText(s.Classes)),
					SecondsText(s.MedianAckSeconds, s.Acknowledged), SecondsText(s.MedianResolveSeconds, s.Resolved), md.Cell(HelpedText(s.Helped)))
			}
		})
	}

	b.WriteString("\n## Automation candidates\n\n")
	if len(r.Candidates) == 0 {
		md.Para(&b, "Nothing repeated often enough to suggest.")
	}
	for _, c := range r.Candidates {
		md.Item(&b, CandidateLabel(c.Kind), md.Inline(CandidateText(c))+" — "+md.Inline(c.Why))
	}

	b.WriteString("\n## Automation that hurt\n\n")
	if len(r.Hurt) == 0 {
		md.Para(&b, "No action made things worse, failed too often or was vetoed.")
	}
	for _, h := range r.Hurt {
		md.Item(&b, "", md.Inline(h.Action)+": "+md.Inline(h.Why))
	}
	return b.String()
}

// The texts below are shared by the terminal table, the markdown and the
// TUI's Stats screen, so the three say the same thing the same way. They
// return raw journal text: the caller sanitizes or escapes for where it
// writes.

// Window is "2026-10-30 21:00 to 2026-11-29 21:00 UTC", or "everything
// to …" without a start.
func Window(r Report) string {
	const layout = "2006-01-02 15:04"
	until := "now"
	if !r.Until.IsZero() {
		until = r.Until.UTC().Format(layout)
	}
	if r.Since.IsZero() {
		return "every entry to " + until + " UTC"
	}
	return r.Since.UTC().Format(layout) + " to " + until + " UTC"
}

// BlockedText is "rate_limit 2, params 1", most first.
func BlockedText(m map[string]int) string { return countsText(m) }

// ClassesText is "deploy regression 4, pool exhaustion 1", most first.
func ClassesText(m map[string]int) string { return countsText(m) }

func countsText(m map[string]int) string {
	type kv struct {
		k string
		n int
	}
	var kvs []kv
	for k, n := range m {
		kvs = append(kvs, kv{k, n})
	}
	sort.Slice(kvs, func(i, j int) bool {
		if kvs[i].n != kvs[j].n {
			return kvs[i].n > kvs[j].n
		}
		return kvs[i].k < kvs[j].k
	})
	parts := make([]string, len(kvs))
	for i, p := range kvs {
		parts[i] = p.k + " " + strconv.Itoa(p.n)
	}
	return strings.Join(parts, ", ")
}

// HelpedText is "restart_service 5, flush_cache 1".
func HelpedText(hs []ActionCount) string {
	parts := make([]string, len(hs))
	for i, h := range hs {
		parts[i] = h.Action + " " + strconv.Itoa(h.Runs)
	}
	return strings.Join(parts, ", ")
}

// DurationText is a run time in milliseconds for people: "4.2s", "" for none.
func DurationText(ms int64) string {
	if ms <= 0 {
		return ""
	}
	d := time.Duration(ms) * time.Millisecond
	if d < time.Minute {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// SecondsText is a median time in seconds for people ("4m30s"), with
// "" when no incident counted (n == 0).
func SecondsText(s float64, n int) string {
	if n == 0 {
		return ""
	}
	return (time.Duration(s * float64(time.Second))).Round(time.Second).String()
}

// MetricText is "5xx rate 0.45 → 0.01 (median of 4 runs)".
func MetricText(m Metric) string {
	return fmt.Sprintf("%s %s → %s (median of %d run%s)", m.Name, metrics.FormatValue(m.Before, m.Unit), metrics.FormatValue(m.After, m.Unit), m.Runs, plural(m.Runs))
}

// WorseText is "on Q1A2B (checkout-db) at 2026-11-01 09:05 UTC".
func WorseText(w Worse) string {
	s := "on " + orText(w.Incident, "an unknown incident")
	if w.Service != "" {
		s += " (" + w.Service + ")"
	}
	return s + " at " + w.At.UTC().Format("2006-01-02 15:04") + " UTC"
}

// CandidateLabel names a candidate's kind for people.
func CandidateLabel(kind string) string {
	switch kind {
	case CandidateStep:
		return "runbook step"
	case CandidateAction:
		return "action"
	case CandidateNote:
		return "repeated note"
	}
	return kind
}

// CandidateText is what to automate: the step (with its runbook), the
// action or the note.
func CandidateText(c Candidate) string {
	if c.Runbook != "" {
		return c.What + " (" + c.Runbook + ")"
	}
	return c.What
}

func itoa(n int) string { return strconv.Itoa(n) }

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
