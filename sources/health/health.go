// Package health is what an enrichment source says about itself, apart
// from what it says about the service: it answered (ok), it answered with
// nothing recent (no data since …), or it failed (error: reason).
//
// A source's own failure is sitrep's business, never the service's: it is
// carried as a Status beside the data, drawn as the source's status line in
// its pane, and never becomes a log line, a chart or a change.
package health

import (
	"fmt"
	"strings"
	"time"

	"sitrep/sources/sanitize"
)

// State is how a source fared.
type State int

const (
	// OK is a source that answered with data.
	OK State = iota
	// NoData is a source that answered but has nothing recent to say.
	NoData
	// Error is a source that could not answer.
	Error
)

func (s State) String() string {
	switch s {
	case OK:
		return "ok"
	case NoData:
		return "no data"
	case Error:
		return "error"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Status is one source's state at one moment.
type Status struct {
	// Source names the source as the engineer configured it: "loki
	// {app=\"api\"}", "file /var/log/api.log", "git /srv/api".
	Source string
	State  State
	// Since is, for NoData, the time of the last data when it is known;
	// zero when it is not.
	Since time.Time
	// At is when the source was asked.
	At time.Time
	// Reason says why, for NoData and Error: the error's text, or what
	// "no data" means for this source.
	Reason string
}

// Reporter is a value that carries the statuses of the sources behind it.
type Reporter interface {
	SourceStatuses() []Status
}

// Ok is a source that answered.
func Ok(source string, at time.Time) Status {
	return Status{Source: source, State: OK, At: at}
}

// Empty is a source that answered with nothing recent; since is the time
// of its last data, zero when unknown.
func Empty(source string, since, at time.Time, reason string) Status {
	return Status{Source: source, State: NoData, Since: since, At: at, Reason: reason}
}

// Failed is a source that could not answer.
func Failed(source string, err error, at time.Time) Status {
	reason := "failed"
	if err != nil {
		reason = err.Error()
	}
	return Status{Source: source, State: Error, At: at, Reason: reason}
}

// Text is the status as one line of plain text without the source's name:
// "ok", "no data since 14:02 UTC (…)", "error: …". Outside text in it is
// sanitized.
func (s Status) Text() string {
	reason := sanitize.Line(strings.TrimSpace(s.Reason))
	switch s.State {
	case OK:
		return "ok"
	case NoData:
		msg := "no data"
		if !s.Since.IsZero() {
			msg += " since " + clock(s.Since, s.At)
		}
		if reason != "" {
			msg += " (" + reason + ")"
		}
		return msg
	}
	if reason == "" {
		reason = "failed"
	}
	return "error: " + reason
}

// String is the status with its source's name, for notes and logs.
func (s Status) String() string {
	return sanitize.Line(s.Source) + ": " + s.Text()
}

// clock is t as a reader near at wants it: the time of day in UTC, with
// the date when it is another day.
func clock(t, at time.Time) string {
	t = t.UTC()
	if !at.IsZero() && t.Format("2006-01-02") != at.UTC().Format("2006-01-02") {
		return t.Format("Jan 2 15:04 UTC")
	}
	return t.Format("15:04 UTC")
}

// Worst is the most serious state among statuses: Error over NoData over
// OK.
func Worst(statuses []Status) State {
	w := OK
	for _, s := range statuses {
		w = max(w, s.State)
	}
	return w
}
