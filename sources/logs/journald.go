package logs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"sitrep/sources/sanitize"
)

// Journald is a log source that reads the systemd journal through
// journalctl -o json: the local journal, or journal files or a directory of
// them (--file, --directory) such as those systemd-journal-remote writes.
type Journald struct {
	Units       []string  // --unit, any of them
	Identifiers []string  // --identifier (SYSLOG_IDENTIFIER), any of them
	Since       time.Time // --since; zero means no bound
	Files       []string  // --file, each a path or glob; empty means the system journal
	Directory   string    // --directory
	Lines       int       // -n for Follow's backlog; 0 means DefaultBacklog, < 0 none
	Journalctl  string    // the program; empty means "journalctl" on PATH
	Source      string    // Line.Source; empty means each entry's unit or identifier
	Grace       time.Duration
}

// journalRecordLimit bounds one JSON record from journalctl. It is well
// above MaxLineBytes because --all prints a long MESSAGE in full (and as a
// byte array, up to five bytes of JSON per byte), and a record cut short
// cannot be parsed; the message is capped once decoded.
const journalRecordLimit = 1 << 20

// Args is the journalctl argv for the newest n entries, with --follow when
// follow is set. n < 1 means no bound when fetching, no backlog when
// following.
//
// journalctl (systemd 252) combines --since and --lines by showing the
// oldest n entries after --since, not the newest. So a fetch reads
// --reverse (newest first, which --lines then bounds correctly) and Fetch
// puts the entries back in order; a follow, where --reverse is refused,
// leaves --since out and Follow drops older entries itself.
func (j Journald) Args(n int, follow bool) []string {
	prog := j.Journalctl
	if prog == "" {
		prog = "journalctl"
	}
	// --all: by default json output turns fields over 4 KiB into null.
	args := []string{prog, "--output=json", "--all", "--no-pager", "--quiet"}
	for _, f := range j.Files {
		args = append(args, "--file="+f)
	}
	if j.Directory != "" {
		args = append(args, "--directory="+j.Directory)
	}
	for _, u := range j.Units {
		args = append(args, "--unit="+u)
	}
	for _, id := range j.Identifiers {
		args = append(args, "--identifier="+id)
	}
	if !j.Since.IsZero() && !follow {
		us := j.Since.UnixMicro()
		args = append(args, fmt.Sprintf("--since=@%d.%06d", us/1e6, us%1e6))
	}
	switch {
	case n > 0:
		args = append(args, "--lines="+strconv.Itoa(n))
	case follow:
		args = append(args, "--lines=0")
	}
	if follow {
		args = append(args, "--follow")
	} else {
		args = append(args, "--reverse")
	}
	return args
}

// Fetch returns the newest n entries (n < 1: up to MaxFetchLines) as
// lines, oldest first; a multi-line message gives several lines.
func (j Journald) Fetch(ctx context.Context, n int) ([]Line, error) {
	n = fetchCap(n)
	var entries [][]Line // newest first, as journalctl --reverse prints them
	kept := 0
	err := j.proc(j.Args(n, false)).run(ctx, j.emitTo(func(lines ...Line) {
		if kept < n {
			entries = append(entries, lines)
			kept += len(lines)
		}
	}))
	var out []Line
	for i := len(entries) - 1; i >= 0; i-- {
		out = append(out, entries[i]...)
	}
	if len(out) > n {
		out = out[len(out)-n:]
	}
	return out, err
}

// Follow runs journalctl --follow, starting with Lines entries of backlog,
// until ctx ends; journalctl's own complaints arrive as stderr lines.
func (j Journald) Follow(ctx context.Context, ring *Ring) error {
	if ring == nil {
		return errNilRing
	}
	n := j.Lines
	if n == 0 {
		n = DefaultBacklog
	}
	return j.proc(j.Args(n, true)).run(ctx, j.emitTo(func(lines ...Line) {
		if !j.Since.IsZero() && len(lines) > 0 && lines[0].T.Before(j.Since) {
			return
		}
		ring.Append(lines...)
	}))
}

func (j Journald) proc(argv []string) proc {
	return proc{argv: argv, grace: j.Grace, limit: journalRecordLimit}
}

// emitTo parses journalctl's output and hands each entry's lines (or a line
// describing a problem) to add.
func (j Journald) emitTo(add func(...Line)) func(stream, []byte, bool) {
	src := sanitize.Line(j.Source)
	return func(s stream, b []byte, truncated bool) {
		if s == streamStderr {
			text := cleanText(b, truncated)
			add(Line{T: time.Now(), Level: LevelError, Text: text, Source: "journalctl" + StderrSuffix})
			return
		}
		if len(bytes.TrimSpace(b)) == 0 {
			return
		}
		var lines []Line
		var err error
		if truncated {
			err = fmt.Errorf("record longer than %d bytes", journalRecordLimit)
		} else {
			lines, err = ParseJournalEntry(b)
		}
		if err != nil {
			add(Line{T: time.Now(), Level: LevelUnknown, Text: cleanText([]byte("unreadable journal entry: "+err.Error()), false), Source: "journalctl"})
			return
		}
		if src != "" {
			for i := range lines {
				lines[i].Source = src
			}
		}
		add(lines...)
	}
}

// ParseJournalEntry turns one record of journalctl -o json into lines: T
// from __REALTIME_TIMESTAMP (µs), Level from PRIORITY (or from the text when
// there is none), Text from MESSAGE (a string, or an array of bytes when it
// was not valid text), Source from _SYSTEMD_UNIT or SYSLOG_IDENTIFIER.
func ParseJournalEntry(record []byte) ([]Line, error) {
	var e struct {
		Realtime   string          `json:"__REALTIME_TIMESTAMP"`
		Priority   json.RawMessage `json:"PRIORITY"`
		Message    json.RawMessage `json:"MESSAGE"`
		Unit       json.RawMessage `json:"_SYSTEMD_UNIT"`
		Identifier json.RawMessage `json:"SYSLOG_IDENTIFIER"`
	}
	if err := json.Unmarshal(record, &e); err != nil {
		return nil, fmt.Errorf("bad journal JSON: %w", err)
	}
	us, err := strconv.ParseInt(e.Realtime, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("bad __REALTIME_TIMESTAMP %q", sanitize.Line(capString(e.Realtime, 40)))
	}
	t := time.UnixMicro(us)
	msg, err := journalField(e.Message)
	if err != nil {
		return nil, fmt.Errorf("MESSAGE: %w", err)
	}
	level := LevelUnknown
	if p, err := journalField(e.Priority); err == nil && p != "" {
		if n, err := strconv.Atoi(p); err == nil {
			level = LevelFromPriority(n)
		}
	}
	if level == LevelUnknown {
		level = DetectLevel(msg)
	}
	source := "journald"
	for _, raw := range []json.RawMessage{e.Unit, e.Identifier} {
		if s, err := journalField(raw); err == nil && s != "" {
			source = sanitize.Line(capString(s, 200))
			break
		}
	}
	if len(msg) > journalRecordLimit {
		msg = msg[:journalRecordLimit]
	}
	return splitMessage(msg, t, level, source), nil
}

// journalField decodes a journal JSON field: a string, an array of bytes
// (non-text data), null (too large without --all) or absent. A field set
// more than once in one entry comes as an array of those; the first is used.
func journalField(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", nil
	}
	switch raw[0] {
	case '"':
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return "", err
		}
		if len(items) == 0 {
			return "", nil
		}
		first := bytes.TrimSpace(items[0])
		if len(first) > 0 && (first[0] == '"' || first[0] == '[') {
			return journalField(first) // repeated field
		}
		var bs []int
		if err := json.Unmarshal(raw, &bs); err != nil {
			return "", errors.New("neither a string nor an array of bytes")
		}
		b := make([]byte, len(bs))
		for i, v := range bs {
			if v < 0 || v > 255 {
				return "", fmt.Errorf("byte %d out of range", v)
			}
			b[i] = byte(v)
		}
		return string(b), nil
	}
	return "", errors.New("neither a string nor an array of bytes")
}

func capString(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
