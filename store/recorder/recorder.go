// Package recorder is the journal's front door: it caches each refresh,
// journals what sitrep observes and what the engineer does, and exports
// post-mortem drafts. Every method does I/O and is called from a tea.Cmd
// or a headless command, never from Update.
//
// Outside store/, the journal is written only through this package, and
// a test (journaldoor_test.go) keeps it so. Who writes, and as whom:
//
//	Refreshed, DetailSeen    PagerDuty's log entries, as their PagerDuty agent (store/observe)
//	Record                   what the engineer does, as the engineer, unless the entry names its actor
//	RecordExport             an export, as the engineer
//	RecordActionStep         an action run's steps, as sitrep; its confirmation and outcome as the engineer
//	AnnouncementEntry,       writes queued for PagerDuty, as sitrep (journaled by the outbox through Record)
//	PagerDutyRequestEntry
//	MarkInterrupted          runs an earlier sitrep died during, as sitrep
//
// Inside store/, the outbox journals where each queued write got to
// (delivered or given up), as sitrep.
package recorder

import (
	"context"
	"errors"
	"sync"
	"time"

	"sitrep/sources/pagerduty"
	"sitrep/sources/sanitize"
	"sitrep/store/journal"
	"sitrep/store/observe"
)

// Feed is what the recorder reads from PagerDuty.
type Feed interface {
	Me(ctx context.Context) (pagerduty.User, error)
	Detail(ctx context.Context, id string) (pagerduty.Detail, error)
	LogEntries(ctx context.Context, id string) ([]pagerduty.LogEntry, error)
}

// Recorder writes the journal for one sitrep process.
type Recorder struct {
	j         *journal.Journal
	feed      Feed
	obs       *observe.Observer
	changes   Changes
	past      pastSources // history.go
	exportDir string
	now       func() time.Time
	secrets   *sanitize.Secrets

	mu          sync.Mutex
	actor       string
	actorFailed time.Time
	cached      map[string]cacheSave // by scope: the list last saved
}

// cacheSave is what the incident cache last got for a scope.
type cacheSave struct {
	digest uint64
	at     time.Time
}

// cacheResave is how often an unchanged list is saved again. Saving
// 10,000 incidents allocates some 35 MB (the encoded list and the
// database's copies of it), which at one refresh in 30 s is most of what
// the process spends between refreshes; an unchanged list need not be
// saved every time. The cache's time then says the list is at most this
// much older than it is, never newer.
const cacheResave = 5 * time.Minute

// New returns a Recorder over an open journal. Exports are written to
// exportDir. feed may be nil (a headless export with no PagerDuty access):
// the recorder then works from the journal alone.
func New(j *journal.Journal, feed Feed, exportDir string) *Recorder {
	r := &Recorder{j: j, feed: feed, exportDir: exportDir, now: time.Now}
	if feed != nil {
		r.obs = observe.New(feed, j)
	}
	return r
}

// Journal is the journal the recorder writes.
func (r *Recorder) Journal() *journal.Journal { return r.j }

// Refreshed caches a refresh's incidents and journals what changed.
func (r *Recorder) Refreshed(ctx context.Context, scope pagerduty.Scope, incidents []pagerduty.Incident, at time.Time) error {
	if r.j.ReadOnly() || r.obs == nil {
		return nil
	}
	return errors.Join(
		r.saveCache(scope.String(), incidents, at),
		r.obs.Incidents(ctx, incidents, at),
	)
}

// saveCache saves a scope's list, unless it is the list saved last, less
// than cacheResave ago.
func (r *Recorder) saveCache(scope string, incidents []pagerduty.Incident, at time.Time) error {
	digest := r.obs.Digest(incidents)
	r.mu.Lock()
	last, ok := r.cached[scope]
	r.mu.Unlock()
	if ok && last.digest == digest && !at.Before(last.at) && at.Sub(last.at) < cacheResave {
		return nil
	}
	if err := r.j.SaveIncidents(scope, at, incidents); err != nil {
		return err
	}
	r.mu.Lock()
	if r.cached == nil {
		r.cached = map[string]cacheSave{}
	}
	r.cached[scope] = cacheSave{digest: digest, at: at}
	r.mu.Unlock()
	return nil
}

// DetailSeen journals an incident's PagerDuty timeline.
func (r *Recorder) DetailSeen(ctx context.Context, d pagerduty.Detail) error {
	if r.j.ReadOnly() || r.obs == nil {
		return nil
	}
	return errors.Join(
		r.obs.Opened(d.Incident, r.now()),
		r.obs.Timeline(d.Incident.ID, d.LogEntries),
	)
}

// touched journals the first sighting of an incident the engineer acts on
// before the act, when this process listed it but has not journaled it
// (see store/observe). The row comes from the incident cache; a failure
// is the caller's to show, and does not keep the act out of the journal.
func (r *Recorder) touched(id string) error {
	if id == "" || r.obs == nil || r.j.ReadOnly() {
		return nil
	}
	if listed, journaled := r.obs.Journaled(id); !listed || journaled {
		return nil
	}
	for _, scope := range []pagerduty.Scope{pagerduty.ScopeMine, pagerduty.ScopeTeam, pagerduty.ScopeAll} {
		list, _, err := r.j.LoadIncidents(scope.String())
		if err != nil {
			continue // a damaged cache: another scope may hold the row
		}
		for _, in := range list {
			if in.ID == id {
				return r.obs.Opened(in, r.now())
			}
		}
	}
	return r.obs.Opened(pagerduty.Incident{ID: id}, r.now())
}

// Record journals one event as the engineer (the PagerDuty user sitrep
// acts as), unless it names its actor. It redacts known secrets first. A
// triage entry naming the class the incident's last one named is not
// written again.
func (r *Recorder) Record(ctx context.Context, e journal.Entry) error {
	if e.Kind == KindTriage {
		// Journaled when the class is new for the incident, not each
		// time the cockpit classifies it again.
		triageMu.Lock()
		defer triageMu.Unlock()
		same, err := r.triageRepeats(ctx, e)
		if err != nil || same {
			return err
		}
	}
	if e.Actor == "" {
		e.Actor = r.actorName(ctx)
	}
	seenErr := r.touched(e.Incident)
	_, err := r.j.Append(r.redact(e))
	return errors.Join(err, seenErr)
}

// Entries reads an incident's journal.
func (r *Recorder) Entries(ctx context.Context, incidentID string) ([]journal.Entry, error) {
	var out []journal.Entry
	err := r.j.EachOf(ctx, incidentID, func(e journal.Entry) error {
		out = append(out, e)
		return nil
	})
	return out, err
}

// actorName is the PagerDuty user sitrep acts as; when PagerDuty cannot
// say (the network is down), the journal says so rather than guess. A
// failure is remembered for a minute, and PagerDuty is asked outside the
// lock, so journaling never queues behind a dead network.
func (r *Recorder) actorName(ctx context.Context) string {
	r.mu.Lock()
	actor, failedAt := r.actor, r.actorFailed
	r.mu.Unlock()
	if actor != "" {
		return actor
	}
	const unknown = "unknown user (PagerDuty unreachable)"
	if r.feed == nil {
		return "unknown user (no PagerDuty access)"
	}
	if !failedAt.IsZero() && r.now().Sub(failedAt) < time.Minute {
		return unknown
	}
	me, err := r.feed.Me(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil || me.Name == "" {
		r.actorFailed = r.now()
		return unknown
	}
	r.actor = me.Name
	return r.actor
}

// Backlog is how many journal entries wait for a disk that refused them,
// and its last refusal.
func (r *Recorder) Backlog() (int, error) { return r.j.Backlog() }
