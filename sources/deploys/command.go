package deploys

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"sitrep/sources/sanitize"
)

// Command reads changes from a program that prints one JSON object per
// line: {"id", "summary", "at" (RFC 3339), "url", "service"}. Summary and
// at are required. Argv runs directly, never through a shell.
type Command struct {
	Argv    []string
	Dir     string   // working directory; empty means sitrep's
	Env     []string // KEY=value pairs added to sitrep's environment, less its secrets (see childEnv)
	Service string   // Change.Service for lines that name none
}

// LineError is one line of a command's output that could not be read.
type LineError struct {
	Line int // 1-based
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// maxLineErrors bounds how many bad lines are reported one by one.
const maxLineErrors = 10

// Changes runs the command and returns the changes it printed. Bad lines
// do not stop the good ones: they are returned together with an error
// joining a *LineError for each (up to ten, then a count), after any error
// from running the command itself.
func (c Command) Changes(ctx context.Context) ([]Change, error) {
	out, runErr := runArgv(ctx, c.Argv, c.Dir, c.Env)
	changes, parseErr := ParseChangeLines(out, c.Service)
	if runErr != nil {
		return changes, errors.Join(fmt.Errorf("deploys command: %w", runErr), parseErr)
	}
	if parseErr != nil {
		return changes, fmt.Errorf("deploys command %s: %w", sanitize.Line(filepath.Base(c.Argv[0])), parseErr)
	}
	return changes, nil
}

// commandChange is one line of a command's output.
type commandChange struct {
	ID      string `json:"id"`
	Summary string `json:"summary"`
	At      string `json:"at"`
	URL     string `json:"url"`
	Service string `json:"service"`
}

// ParseChangeLines reads JSON lines as Command does; blank lines are
// skipped. service fills Change.Service where a line names none.
func ParseChangeLines(out []byte, service string) ([]Change, error) {
	var changes []Change
	var errs []error
	bad := 0
	for i, raw := range bytes.Split(out, []byte("\n")) {
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 {
			continue
		}
		ch, err := parseChangeLine(raw)
		if err != nil {
			bad++
			if bad <= maxLineErrors {
				errs = append(errs, &LineError{Line: i + 1, Err: err})
			}
			continue
		}
		if ch.Service == "" {
			ch.Service = sanitize.Line(service)
		}
		changes = append(changes, ch)
	}
	if bad > maxLineErrors {
		errs = append(errs, fmt.Errorf("and %d more bad lines", bad-maxLineErrors))
	}
	return changes, errors.Join(errs...)
}

func parseChangeLine(raw []byte) (Change, error) {
	var cc commandChange
	if err := json.Unmarshal(raw, &cc); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return Change{}, fmt.Errorf("field %q: want a %s, got a JSON %s", te.Field, te.Type, te.Value)
		}
		return Change{}, fmt.Errorf("not a JSON object: %v", err)
	}
	if cc.Summary == "" {
		return Change{}, errors.New(`missing "summary"`)
	}
	if cc.At == "" {
		return Change{}, errors.New(`missing "at"`)
	}
	at, err := time.Parse(time.RFC3339, cc.At)
	if err != nil {
		return Change{}, fmt.Errorf(`"at" %q is not an RFC 3339 time (like 2026-11-29T02:10:00Z)`, sanitize.Line(capString(cc.At, 60)))
	}
	return Change{
		ID:      sanitize.Line(cc.ID),
		Source:  "command",
		Service: sanitize.Line(cc.Service),
		Summary: sanitize.Line(cc.Summary),
		At:      at,
		URL:     sanitize.Line(cc.URL),
	}, nil
}
