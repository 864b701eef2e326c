package recorder

import (
	"context"
	"fmt"
	"sync"
	"time"

	"sitrep/sources/pagerduty"
	"sitrep/store/journal"
	"sitrep/store/postmortem"
)

// What happened last time on a service, for the History pane and the
// export's Related incidents: PagerDuty's resolved incidents of the
// service, each folded with what this journal knows of it (its class, the
// actions run and their outcomes, its notes); and the upstream incidents
// that were open when an incident started, for its Contributing factors.

// HistorySource reads a service's past incidents and their notes;
// pagerduty.HistoryReader is one.
type HistorySource interface {
	Get(ctx context.Context, serviceID string, fresh bool) (pagerduty.History, error)
	Notes(ctx context.Context, incidentID string) ([]pagerduty.Note, error)
}

// UpstreamSource reads a service's dependencies and the incidents on
// them; pagerduty.Client is one.
type UpstreamSource interface {
	Dependencies(ctx context.Context, serviceID string) ([]pagerduty.ServiceRef, error)
	IncidentsBefore(ctx context.Context, serviceIDs []string, at time.Time, lookback time.Duration) ([]pagerduty.Incident, error)
}

// pastSources are what the recorder reads the past from.
type pastSources struct {
	history  HistorySource
	classify func(pagerduty.Incident) string
	upstream UpstreamSource
}

// SetHistory lets the recorder read services' past incidents; classify
// names the class of one the journal never classified (nil: none).
func (r *Recorder) SetHistory(h HistorySource, classify func(pagerduty.Incident) string) {
	r.past.history, r.past.classify = h, classify
}

// SetUpstream lets exports name the upstream incidents open at the start.
func (r *Recorder) SetUpstream(u UpstreamSource) { r.past.upstream = u }

// exportNotes bounds how many past incidents an export reads the notes
// of, and notesAtOnce how many it reads together.
const (
	exportNotes = 20
	notesAtOnce = 4
)

// Past returns the earlier incidents of in's service, newest first, each
// with what the journal knows of it. Their PagerDuty notes are not read
// here (one request each): PastNotes reads one incident's.
func (r *Recorder) Past(ctx context.Context, in pagerduty.Incident, fresh bool) (postmortem.History, error) {
	h := postmortem.History{Service: in.Service.Name}
	if r.past.history == nil {
		return h, fmt.Errorf("no PagerDuty access to read the history")
	}
	ph, err := r.past.history.Get(ctx, in.Service.ID, fresh)
	if err != nil {
		return h, err
	}
	h.Window, h.Capped, h.Limit = ph.Window(), ph.Capped, ph.Limit
	if h.Service == "" {
		h.Service = in.Service.ID
	}
	for _, p := range postmortem.Earlier(ph, in) {
		var entries []journal.Entry
		if r.j != nil { // several journals read together have none
			if entries, err = r.Entries(ctx, p.ID); err != nil {
				return h, fmt.Errorf("read the journal of %s: %w", p.ID, err)
			}
		}
		h.Past = append(h.Past, postmortem.SummarizePast(p, entries, nil, r.past.classify))
	}
	return h, nil
}

// PastNotes reads a past incident's PagerDuty notes.
func (r *Recorder) PastNotes(ctx context.Context, incidentID string) ([]pagerduty.Note, error) {
	if r.past.history == nil {
		return nil, fmt.Errorf("no PagerDuty access to read the notes of %s", incidentID)
	}
	return r.past.history.Notes(ctx, incidentID)
}

// exportHistory is in's history as the export shows it, with the notes
// of the newest past incidents; nil when no history source is set. A
// failure is said in the history, never returned: the export goes on.
func (r *Recorder) exportHistory(ctx context.Context, in pagerduty.Incident) *postmortem.History {
	if r.past.history == nil || in.Service.ID == "" {
		return nil
	}
	h, err := r.Past(ctx, in, false)
	if err != nil {
		h.Err = err.Error()
		h.Past = nil
		return &h
	}
	var wg sync.WaitGroup
	slots := make(chan struct{}, notesAtOnce)
	for i := range h.Past[:min(len(h.Past), exportNotes)] {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			// A past incident's notes are welcome, not required.
			if notes, err := r.past.history.Notes(ctx, h.Past[i].Incident.ID); err == nil {
				h.Past[i] = postmortem.WithNotes(h.Past[i], notes)
			}
		})
	}
	wg.Wait()
	return &h
}

// exportUpstream is the upstream incidents open when in started, or why
// they are unknown ("" and nil when no source is set).
func (r *Recorder) exportUpstream(ctx context.Context, in pagerduty.Incident) ([]pagerduty.Upstream, string) {
	u := r.past.upstream
	if u == nil || in.Service.ID == "" || in.CreatedAt.IsZero() {
		return nil, ""
	}
	deps, err := u.Dependencies(ctx, in.Service.ID)
	if err != nil {
		return nil, err.Error()
	}
	if len(deps) == 0 {
		return nil, ""
	}
	ids := make([]string, len(deps))
	for i, d := range deps {
		ids[i] = d.ID
	}
	seen, err := u.IncidentsBefore(ctx, ids, in.CreatedAt, pagerduty.UpstreamLookback)
	if err != nil {
		return nil, err.Error()
	}
	return pagerduty.UpstreamCausesAt(in, deps, seen), ""
}
