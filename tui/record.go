package tui

import (
	"context"
	"encoding/json"
	"time"

	tea "charm.land/bubbletea/v2"

	"sitrep/sources/pagerduty"
	"sitrep/store/journal"
	"sitrep/store/outbox"
)

// Messages from the journal.
type (
	// journalFailed is a journal write or read that failed; it is shown,
	// and the cockpit carries on.
	journalFailed struct{ err error }
	// journalRead answers J.
	journalRead struct {
		id      string
		entries []journal.Entry
		err     error
	}
	// exported answers x.
	exported struct {
		incident string
		path     string
		err      error
	}
	// noteRecorded reports a note written to the journal (and PagerDuty).
	noteRecorded struct {
		incident  string
		id        string
		pagerduty bool
		err       error
	}
)

// journalCmd runs a journal write in the background and reports only a
// failure.
func (m *Model) journalCmd(f func(ctx context.Context, r Recorder) error) tea.Cmd {
	r := m.opts.Recorder
	if r == nil {
		return nil
	}
	ctx, cancel := m.callContext()
	return func() tea.Msg {
		defer cancel()
		if err := f(ctx, r); err != nil {
			return journalFailed{err: err}
		}
		return nil
	}
}

func (m *Model) recordRefresh(scope pagerduty.Scope, incidents []pagerduty.Incident, at time.Time) tea.Cmd {
	return m.journalCmd(func(ctx context.Context, r Recorder) error {
		return r.Refreshed(ctx, scope, incidents, at)
	})
}

func (m *Model) recordDetail(d pagerduty.Detail) tea.Cmd {
	return m.journalCmd(func(ctx context.Context, r Recorder) error { return r.DetailSeen(ctx, d) })
}

func (m *Model) record(e journal.Entry) tea.Cmd {
	if e.At.IsZero() {
		e.At = m.opts.Now()
	}
	return m.journalCmd(func(ctx context.Context, r Recorder) error { return r.Record(ctx, e) })
}

func (m *Model) readJournal(id string) tea.Cmd {
	r := m.opts.Recorder
	ctx, cancel := m.callContext()
	return func() tea.Msg {
		defer cancel()
		es, err := r.Entries(ctx, id)
		return journalRead{id: id, entries: es, err: err}
	}
}

func (m *Model) export(in pagerduty.Incident) tea.Cmd {
	r := m.opts.Recorder
	// An export reads PagerDuty and the whole journal of the incident: give
	// it longer than one call.
	ctx, cancel := context.WithTimeout(context.Background(), 3*m.opts.CallTimeout)
	return func() tea.Msg {
		defer cancel()
		path, err := r.Export(ctx, in.ID)
		return exported{incident: number(in), path: path, err: err}
	}
}

// addNote journals a note and, when the engineer chose it, posts it to
// PagerDuty first, so the journal says whether the team can see it.
func (m *Model) addNote(in pagerduty.Incident, text string, toPagerDuty bool) tea.Cmd {
	if toPagerDuty && m.opts.Outbox != nil {
		// Journaled now, delivered when PagerDuty takes it.
		return m.submit(outbox.Write{Incident: in.ID, Label: number(in), Op: outbox.OpNote, Text: text},
			journal.Entry{Incident: in.ID, Kind: "note", Summary: text, Data: mustJSON(map[string]any{"text": text, "pagerduty": true})})
	}
	feed, r, now := m.feed, m.opts.Recorder, m.opts.Now
	ctx, cancel := m.callContext()
	return func() tea.Msg {
		defer cancel()
		data := map[string]any{"text": text, "pagerduty": toPagerDuty}
		if toPagerDuty {
			n, err := feed.AddNote(ctx, in.ID, text)
			if err != nil {
				return noteRecorded{incident: number(in), id: in.ID, pagerduty: true, err: err}
			}
			data["pagerduty_note_id"] = n.ID
		}
		if r != nil {
			raw, _ := json.Marshal(data)
			e := journal.Entry{At: now(), Incident: in.ID, Kind: "note", Summary: text, Data: raw}
			if err := r.Record(ctx, e); err != nil {
				return noteRecorded{incident: number(in), id: in.ID, pagerduty: toPagerDuty, err: err}
			}
		}
		return noteRecorded{incident: number(in), id: in.ID, pagerduty: toPagerDuty}
	}
}
