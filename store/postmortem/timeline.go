package postmortem

import (
	"encoding/json"
	"sort"
	"strings"
	"time"

	"sitrep/store/journal"
	"sitrep/store/outbox"
)

// row is one line of the timeline.
type row struct {
	At     time.Time
	Source string // ours: PagerDuty, journal, or both
	Who    string // raw; escaped when written
	Text   string // raw, or for a marker our own bold text
	marker bool
	order  int // tie-break at equal times: markers of a start first, others after
	// kind is the journal kind that records the same event (status.acknowledge
	// for an acknowledge_log_entry), and merged whether a journal entry was
	// already folded into this row.
	kind   string
	note   string
	merged bool
}

// matchWindow is how far apart sitrep's record of an action it took
// (acknowledge, resolve, note) and PagerDuty's log of it can be and still
// be the same event. sitrep journals before PagerDuty's log entry exists,
// so it cannot know the log entry's id.
const matchWindow = 2 * time.Minute

// Markers.
const (
	markBegins       = "INCIDENT BEGINS"
	markAcknowledged = "ACKNOWLEDGED"
	markMitigated    = "MITIGATED"
	markResolved     = "RESOLVED"
)

const (
	srcPD      = "PagerDuty"
	srcJournal = "journal"
	srcBoth    = "PagerDuty, journal"
)

// PagerDuty log entry types and what they read as when the summary is
// empty.
var logTypeText = map[string]string{
	"trigger_log_entry":       "Triggered",
	"acknowledge_log_entry":   "Acknowledged",
	"resolve_log_entry":       "Resolved",
	"assign_log_entry":        "Reassigned",
	"escalate_log_entry":      "Escalated",
	"notify_log_entry":        "Notified",
	"annotate_log_entry":      "Note added",
	"snooze_log_entry":        "Snoozed",
	"unacknowledge_log_entry": "Unacknowledged",
}

// buildTimeline merges PagerDuty's log and notes with the journal. A
// journal entry whose SourceID is pd:log:<id> (or pd:note:<id>) records the
// same event as PagerDuty's log entry (note) with that id: it appears once,
// as PagerDuty tells it, sourced to both.
func buildTimeline(in Input, f *facts) []row {
	rows := make([]row, 0, len(in.Detail.LogEntries)+len(in.Detail.Notes)+len(in.Entries)+4)
	index := map[string]int{} // dedup key → row
	addPD := func(key string, r row) {
		if key != "" {
			if _, dup := index[key]; dup {
				return // PagerDuty repeated itself (pages overlap)
			}
			index[key] = len(rows)
		}
		rows = append(rows, r)
	}
	for _, a := range in.Detail.Alerts {
		text := "Alert: " + a.Summary
		if a.Severity != "" {
			text += " (" + a.Severity + ")"
		}
		addPD(keyOf("pd:alert:", a.ID), row{At: a.CreatedAt, Source: srcPD, Who: a.Source, Text: text})
	}
	// PagerDuty logs a note twice: the note, and an annotate log entry
	// that only says "Note added". Keep the note.
	noteAt := map[string]bool{}
	for _, n := range in.Detail.Notes {
		noteAt[n.At.UTC().String()+"|"+n.User.Name] = true
	}
	for _, l := range in.Detail.LogEntries {
		if l.Type == "annotate_log_entry" && noteAt[l.At.UTC().String()+"|"+l.Agent.Name] {
			continue
		}
		text := l.Summary
		if strings.TrimSpace(text) == "" {
			text = logTypeText[l.Type]
		}
		kind := ""
		if verb, ok := strings.CutSuffix(l.Type, "_log_entry"); ok {
			kind = "status." + verb
		}
		addPD(keyOf("pd:log:", l.ID), row{At: l.At, Source: srcPD, Who: l.Agent.Name, Text: text, kind: kind})
	}
	for _, n := range in.Detail.Notes {
		addPD(keyOf("pd:note:", n.ID), row{At: n.At, Source: srcPD, Who: n.User.Name, Text: "Note: " + n.Content,
			kind: KindNote, note: strings.TrimSpace(n.Content)})
	}
	byKind := map[string][]int{}
	for i, r := range rows {
		if r.kind != "" {
			byKind[r.kind] = append(byKind[r.kind], i)
		}
	}
	// sameEvent finds PagerDuty's row for a journal entry that has no
	// PagerDuty id: same kind, nearest in time within matchWindow, not yet
	// taken, and for a note the same text.
	sameEvent := func(e journal.Entry) (int, bool) {
		best, bestD := -1, matchWindow+1
		for _, i := range byKind[e.Kind] {
			r := rows[i]
			if r.merged || e.Kind == KindNote && r.note != strings.TrimSpace(e.Summary) {
				continue
			}
			d := r.At.Sub(e.At)
			if d < 0 {
				d = -d
			}
			if d <= matchWindow && d < bestD {
				best, bestD = i, d
			}
		}
		return best, best >= 0
	}
	delivery := deliveries(in.Entries)
	seenSource := map[string]bool{}
	for _, e := range in.Entries {
		if timelineSkips[e.Kind] || e.Kind == outbox.KindDelivered || e.Kind == outbox.KindFailed {
			continue
		}
		where := ""
		if id := outbox.ItemOf(e); id != "" {
			d, settled := delivery[id]
			if i, ok := index["pd:note:"+d.ref]; ok && settled && d.ref != "" {
				// The note PagerDuty has is this write: show it once.
				rows[i].Source, rows[i].merged = srcBoth, true
				continue
			}
			where = d.text()
		}
		if e.SourceID != "" {
			if i, ok := index[e.SourceID]; ok {
				rows[i].Source, rows[i].merged = srcBoth, true
				continue
			}
			if seenSource[e.SourceID] {
				continue
			}
			seenSource[e.SourceID] = true
		}
		if e.SourceID == "" {
			if i, ok := sameEvent(e); ok {
				rows[i].Source, rows[i].merged = srcBoth, true
				continue
			}
		}
		text := e.Summary
		if strings.TrimSpace(text) == "" {
			text = e.Kind
		}
		if strings.HasPrefix(e.Kind, kindAction) {
			if rec, ok := decodeRecord(e); ok && !strings.Contains(text, rec.Action) {
				text = "Action " + rec.Action + " " + strings.TrimPrefix(e.Kind, kindAction) + ": " + text
			}
		}
		if e.Kind == KindPin && !strings.HasPrefix(strings.ToLower(strings.TrimSpace(text)), "pinned") {
			// The TUI's pins say "pinned Logs: …" themselves.
			text = "Pinned: " + text
		}
		rows = append(rows, row{At: e.At, Source: srcJournal, Who: e.Actor, Text: text + where})
	}
	marks := []struct {
		at    time.Time
		text  string
		order int
	}{
		{f.triggered, markBegins, -1},
		{f.acked.At, markAcknowledged, 1},
		{f.mitigated.At, markMitigated, 2},
		{f.resolved.At, markResolved, 3},
	}
	// PagerDuty's times have whole seconds, the journal's do not: a
	// mitigation journaled at 57.4 s and a resolution PagerDuty logged as
	// 57 s happened in that order. Within one second, a marker never
	// follows the one after it in an incident's life.
	for i := len(marks) - 2; i >= 1; i-- {
		cur, next := &marks[i].at, marks[i+1].at
		if !cur.IsZero() && !next.IsZero() && cur.After(next) && cur.Truncate(time.Second).Equal(next.Truncate(time.Second)) {
			*cur = next
		}
	}
	for _, m := range marks {
		if !m.at.IsZero() {
			rows = append(rows, row{At: m.at, Text: m.text, marker: true, order: m.order})
		}
	}
	for i := range rows {
		rows[i].At = rows[i].At.UTC()
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if !rows[i].At.Equal(rows[j].At) {
			return rows[i].At.Before(rows[j].At)
		}
		return rows[i].order < rows[j].order
	})
	return rows
}

func keyOf(prefix, id string) string {
	if id == "" {
		return ""
	}
	return prefix + id
}

// delivery is where a write sent through the outbox got to.
type delivery struct {
	delivered, failed bool
	ref, reason       string
}

// text says it after the write's own words in the timeline.
func (d delivery) text() string {
	switch {
	case d.delivered:
		return " (delivered to PagerDuty)"
	case d.failed:
		return " (not delivered to PagerDuty: " + d.reason + ")"
	}
	return " (not yet delivered to PagerDuty when this was exported)"
}

// deliveries reads the outbox's settlements from the journal.
func deliveries(entries []journal.Entry) map[string]delivery {
	out := map[string]delivery{}
	for _, e := range entries {
		if e.Kind != outbox.KindDelivered && e.Kind != outbox.KindFailed {
			continue
		}
		var d struct {
			ID     string `json:"outbox"`
			Ref    string `json:"ref"`
			Reason string `json:"reason"`
		}
		if json.Unmarshal(e.Data, &d) != nil || d.ID == "" {
			continue
		}
		out[d.ID] = delivery{delivered: e.Kind == outbox.KindDelivered, failed: e.Kind == outbox.KindFailed, ref: d.Ref, reason: d.Reason}
	}
	return out
}
