package tui

import (
	"time"

	"sitrep/sources/pagerduty"
)

// Messages are named for what happened. They carry data, never a pointer
// into the model.

// incidentsLoaded is a finished list refresh.
type incidentsLoaded struct {
	scope     pagerduty.Scope
	incidents []pagerduty.Incident
	at        time.Time
}

// incidentsFailed is a refresh that failed; the last data stays on screen.
type incidentsFailed struct {
	scope pagerduty.Scope
	err   error
	at    time.Time
}

// detailLoaded answers a detail fetch for one incident.
type detailLoaded struct {
	id     string
	detail pagerduty.Detail
	// parts are the parts fetched; replace says they are all the detail
	// holds now (a new version, a manual refresh) rather than parts to
	// merge into it.
	parts   pagerduty.Part
	replace bool
	err     error
	at      time.Time
}

// detailDue fires when the cursor has rested on an incident long enough
// to be worth fetching its detail.
type detailDue struct{ id string }

// refreshDue is the refresh timer; gen drops timers made stale by a manual
// refresh.
type refreshDue struct{ gen int }

// operationDone reports an acknowledge, resolve or note.
type operationDone struct {
	op       string // "acknowledged", "resolved", "noted"
	incident string // "#123"
	id       string
	err      error
}

// urlOpened reports the browser launch.
type urlOpened struct {
	url string
	err error
}
