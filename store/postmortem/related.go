package postmortem

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"sitrep/actions"
	"sitrep/sources/pagerduty"
	"sitrep/store/journal"
)

// What happened last time: a service's earlier incidents, each with its
// class, how long it lasted, what was run on it and with what outcome,
// and the last word written on it. The History pane and the export's
// Related incidents draw the same summary.

// History is a service's earlier incidents, newest first, or why they
// are not known.
type History struct {
	// Service is the service's name.
	Service string
	// Window is how far back PagerDuty was asked.
	Window time.Duration
	Past   []Past
	// Capped says there were more than Limit in the window.
	Capped bool
	Limit  int
	// Err says why the history is unavailable; the rest is then empty.
	Err string
}

// Past is one earlier incident and what is known of it.
type Past struct {
	Incident pagerduty.Incident
	// Class is the class the journal gave it when it was worked, or what
	// the triage rules make of what PagerDuty holds of it now; "" when
	// neither says.
	Class string
	// ClassFrom is "journal" or "rules".
	ClassFrom string
	// Runs are the actions run on it, from the journal, oldest first.
	Runs []PastRun
	// LastNote is the latest note on it, PagerDuty's or the journal's;
	// nil when none is known.
	LastNote *PastNote
}

// PastRun is an action run on a past incident.
type PastRun struct {
	At      time.Time
	Action  string
	Target  string
	Env     string
	Result  string // exit 0, HTTP 200, failed…
	Outcome string // helped, no effect, worse, unknown, or "" when nobody said
}

// PastNote is a note on a past incident.
type PastNote struct {
	At   time.Time
	By   string
	Text string
	// From is "PagerDuty" or "journal".
	From string
}

// Duration is how long the incident lasted: from its start to its
// resolution (zero when either is unknown).
func (p Past) Duration() time.Duration {
	r := pagerduty.Resolved(p.Incident)
	if r.IsZero() || p.Incident.CreatedAt.IsZero() {
		return 0
	}
	return r.Sub(p.Incident.CreatedAt)
}

// RunText is a run as one line: "restart_service on payment-gateway
// (prod): exit 0 — helped".
func (r PastRun) RunText() string {
	text := r.Action
	if r.Target != "" {
		text += " on " + r.Target
	}
	if r.Env != "" {
		text += " (" + r.Env + ")"
	}
	if r.Result != "" {
		text += ": " + r.Result
	}
	outcome := r.Outcome
	if outcome == "" {
		outcome = "outcome not recorded"
	}
	return text + " — " + outcome
}

// SummarizePast folds what is known of a past incident: its journal
// entries (in any order), its PagerDuty notes, and classify for when the
// journal names no class (nil: none).
func SummarizePast(in pagerduty.Incident, entries []journal.Entry, notes []pagerduty.Note, classify func(pagerduty.Incident) string) Past {
	p := Past{Incident: in}
	if t := latestTriage(entries); t.Class != "" {
		p.Class, p.ClassFrom = t.Class, "journal"
	} else if classify != nil {
		if c := classify(in); c != "" {
			p.Class, p.ClassFrom = c, "rules"
		}
	}
	for _, r := range buildRuns(entries) {
		if !ran(r) {
			continue
		}
		p.Runs = append(p.Runs, PastRun{At: r.start, Action: r.rec.Action, Target: r.rec.Target, Env: r.rec.Env, Result: r.rec.Result, Outcome: r.rec.Outcome})
	}
	for _, e := range entries {
		if e.Kind == KindNote {
			p.LastNote = laterNote(p.LastNote, &PastNote{At: e.At, By: e.Actor, Text: noteText(e), From: "journal"})
		}
	}
	return WithNotes(p, notes)
}

// WithNotes takes PagerDuty's notes of p into its last note.
func WithNotes(p Past, notes []pagerduty.Note) Past {
	for _, n := range notes {
		p.LastNote = laterNote(p.LastNote, &PastNote{At: n.At, By: n.User.Name, Text: n.Content, From: "PagerDuty"})
	}
	return p
}

// laterNote is the later of two notes; on a tie (the journal's note
// delivered to PagerDuty) PagerDuty's, which names its author as the team
// sees it.
func laterNote(cur, n *PastNote) *PastNote {
	if strings.TrimSpace(n.Text) == "" {
		return cur
	}
	if cur == nil || n.At.After(cur.At) || (n.At.Equal(cur.At) && n.From == "PagerDuty") {
		return n
	}
	return cur
}

// noteText is a journaled note's text: its data's content when it has
// one, else its summary.
func noteText(e journal.Entry) string {
	var d struct {
		Content string `json:"content"`
		Text    string `json:"text"`
	}
	if json.Unmarshal(e.Data, &d) == nil {
		if d.Content != "" {
			return d.Content
		}
		if d.Text != "" {
			return d.Text
		}
	}
	return e.Summary
}

// ran says a run got as far as running: a preview, or a run blocked or
// cancelled before it started, fixed nothing.
func ran(r run) bool {
	return slices.Contains(r.steps, actions.StepStarted) || r.rec.Result != "" || r.rec.Outcome != ""
}

// PastHeadline is a past incident as one line: "#13 [FIRING] 5xx ratio
// above 5% — 2026-11-26 22:02 UTC, 18m, deploy regression".
func PastHeadline(p Past) string {
	in := p.Incident
	var about []string
	about = append(about, in.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"))
	if d := p.Duration(); d > 0 {
		about = append(about, "lasted "+pagerduty.FormatDuration(d))
	}
	if p.Class != "" {
		about = append(about, p.Class)
	} else {
		about = append(about, "unclassified")
	}
	return fmt.Sprintf("#%d %s — %s", in.Number, in.Title, strings.Join(about, ", "))
}

// Earlier keeps the incidents of h that came before in: the history of
// in's service as it stood when in started (in itself left out).
func Earlier(h pagerduty.History, in pagerduty.Incident) []pagerduty.Incident {
	var out []pagerduty.Incident
	for _, p := range h.Incidents {
		if p.ID == in.ID || (!in.CreatedAt.IsZero() && !p.CreatedAt.Before(in.CreatedAt)) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// history writes the service's earlier incidents and what fixed them, or
// why they are unknown; it says whether the section is done (nothing else
// related to list).
func (f *facts) history(b *strings.Builder) bool {
	h := f.in.History
	if h == nil {
		return false
	}
	service := orText(inline(h.Service), "this service")
	window := pagerduty.FormatWindow(h.Window)
	switch {
	case h.Err != "":
		para(b, "History unavailable: "+inline(h.Err)+".")
	case len(h.Past) == 0:
		para(b, fmt.Sprintf("No earlier incidents resolved on %s in the %s before the export.", service, window))
	default:
		intro := fmt.Sprintf("Earlier incidents resolved on %s in the %s before the export, newest first", service, window)
		if h.Capped {
			intro += fmt.Sprintf(" (the newest %d; there were more)", h.Limit)
		}
		para(b, intro+":")
		b.WriteByte('\n')
		for _, p := range h.Past {
			in := p.Incident
			var about []string
			about = append(about, inline(in.ID), utc(in.CreatedAt))
			if d := p.Duration(); d > 0 {
				about = append(about, "lasted "+d.Round(time.Second).String())
			}
			if p.Class != "" {
				about = append(about, "class "+inline(p.Class))
			}
			text := fmt.Sprintf("\\#%d %s (%s)", in.Number, orText(inline(in.Title), "untitled"), strings.Join(dedupe(about), ", "))
			if in.HTMLURL != "" {
				text += " " + link(in.HTMLURL)
			}
			item(b, "", text)
			if len(p.Runs) == 0 {
				wrap(b, "  - ", "    ", "Actions: none journaled here.", width)
			}
			for _, r := range p.Runs {
				wrap(b, "  - ", "    ", "Ran "+inline(r.RunText()), width)
			}
			if n := p.LastNote; n != nil {
				who := strings.Join(dedupe([]string{inline(n.By), n.From, utc(n.At)}), ", ")
				wrap(b, "  - ", "    ", "Last note ("+who+"): "+inline(n.Text), width)
			}
		}
	}
	if len(f.in.Related) == 0 {
		return true
	}
	b.WriteByte('\n')
	para(b, "Other incidents worth a look:")
	b.WriteByte('\n')
	return false
}
