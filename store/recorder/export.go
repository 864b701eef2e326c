package recorder

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"sitrep/sources/deploys"
	"sitrep/sources/pagerduty"
	"sitrep/store/journal"
	"sitrep/store/postmortem"
)

// ChangeWindow is how long before an incident's start a change counts as
// a contributing factor.
const ChangeWindow = 30 * time.Minute

// Changes reads what changed around an incident (deploys, change events).
type Changes interface {
	Around(ctx context.Context, in pagerduty.Incident) ([]deploys.Change, error)
}

// SetChanges lets exports list contributing changes.
func (r *Recorder) SetChanges(c Changes) { r.changes = c }

// Export writes an incident's post-mortem draft into the export directory
// and journals that it did.
func (r *Recorder) Export(ctx context.Context, incidentID string) (string, error) {
	var buf bytes.Buffer
	if err := r.ExportTo(ctx, &buf, incidentID); err != nil {
		return "", err
	}
	if err := os.MkdirAll(r.exportDir, 0o700); err != nil {
		return "", fmt.Errorf("export %s: %w", incidentID, err)
	}
	path, err := writeNew(r.exportDir, fmt.Sprintf("%s-%s", safeName(incidentID), r.now().UTC().Format("20060102T150405Z")), buf.Bytes())
	if err != nil {
		return "", fmt.Errorf("export %s: %w", incidentID, err)
	}
	if err := r.RecordExport(ctx, incidentID, path, buf.Len()); err != nil {
		return path, fmt.Errorf("exported to %s, but could not journal it: %w", path, err)
	}
	return path, nil
}

// ExportTo renders an incident's post-mortem draft to w. It reads the
// incident from PagerDuty and, when PagerDuty cannot be reached, from what
// the journal kept of it, so an export still works offline.
func (r *Recorder) ExportTo(ctx context.Context, w io.Writer, incidentID string) error {
	entries, err := r.Entries(ctx, incidentID)
	if err != nil {
		return fmt.Errorf("export %s: %w", incidentID, err)
	}
	head, err := r.j.Head()
	if err != nil {
		return fmt.Errorf("export %s: %w", incidentID, err)
	}
	return r.ExportEntriesTo(ctx, w, incidentID, entries, postmortem.AuditFor(entries, head))
}

// ExportEntriesTo renders an incident's post-mortem draft to w from the
// entries given rather than the recorder's journal (several journals read
// together), with audit as the export's Audit section. The recorder's
// journal is not read and may be nil.
func (r *Recorder) ExportEntriesTo(ctx context.Context, w io.Writer, incidentID string, entries []journal.Entry, audit postmortem.Audit) error {
	var err error
	var detail pagerduty.Detail
	if r.feed != nil {
		detail, err = r.feed.Detail(ctx, incidentID)
	}
	if r.feed == nil || err != nil {
		var ok bool
		detail, ok = detailFromJournal(incidentID, entries)
		if !ok {
			if err == nil {
				err = fmt.Errorf("no PagerDuty access")
			}
			return fmt.Errorf("export %s: PagerDuty cannot say (%v) and the journal has never seen this incident (sitrep journal ls lists what it has)", incidentID, err)
		}
	}
	var changes []deploys.Change
	if r.changes != nil {
		// Contributing changes are welcome, not required: an export
		// without them is still a post-mortem draft.
		changes, _ = r.changes.Around(ctx, detail.Incident)
	}
	// The service's history and the incidents upstream are welcome too;
	// when they cannot be read, the export says why.
	history := r.exportHistory(ctx, detail.Incident)
	upstream, upstreamErr := r.exportUpstream(ctx, detail.Incident)
	// Rendered whole, then redacted: entries journaled before a secret
	// was known, and PagerDuty's own text, may still hold one.
	var doc bytes.Buffer
	if err := postmortem.Render(&doc, postmortem.Input{
		Detail:       detail,
		Entries:      entries,
		Changes:      changes,
		ChangeWindow: ChangeWindow,
		History:      history,
		Upstream:     upstream,
		UpstreamErr:  upstreamErr,
		Generated:    r.now().UTC(),
		Audit:        audit,
	}); err != nil {
		return err
	}
	_, err = io.WriteString(w, r.secrets.RedactValuesAs(doc.String(), "[redacted]"))
	return err
}

// detailFromJournal rebuilds what is known of an incident from its journal:
// the row last seen and the PagerDuty log entries journaled.
func detailFromJournal(id string, entries []journal.Entry) (pagerduty.Detail, bool) {
	var d pagerduty.Detail
	found := false
	for _, e := range entries {
		switch {
		case e.Kind == "seen":
			var in pagerduty.Incident
			if json.Unmarshal(e.Data, &in) == nil && in.ID == id {
				d.Incident, found = in, true
			}
		case strings.HasPrefix(e.SourceID, "pd:log:"):
			var data struct {
				Type      string `json:"type"`
				Channel   string `json:"channel"`
				AgentType string `json:"agent_type"`
			}
			_ = json.Unmarshal(e.Data, &data)
			d.LogEntries = append(d.LogEntries, pagerduty.LogEntry{
				ID: strings.TrimPrefix(e.SourceID, "pd:log:"), Type: data.Type, Summary: e.Summary,
				At: e.At, Agent: pagerduty.Ref{Name: e.Actor}, AgentType: data.AgentType, Channel: data.Channel,
			})
		}
	}
	sort.SliceStable(d.LogEntries, func(a, b int) bool { return d.LogEntries[a].At.Before(d.LogEntries[b].At) })
	return d, found
}

// writeNew writes data to dir/base.md, or base-2.md and so on: two exports
// in the same second must not overwrite each other.
func writeNew(dir, base string, data []byte) (string, error) {
	for i := 1; i < 100; i++ {
		name := base + ".md"
		if i > 1 {
			name = fmt.Sprintf("%s-%d.md", base, i)
		}
		path := filepath.Join(dir, name)
		err := WriteExport(path, data, false)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		return path, nil
	}
	return "", fmt.Errorf("%s: too many exports with the same name", filepath.Join(dir, base))
}

// Why WriteExport refuses a path.
var (
	// ErrExportExists wraps os.ErrExist: the file is there and overwrite
	// was not asked for.
	ErrExportExists = fmt.Errorf("the file exists: %w", os.ErrExist)
	// ErrExportSymlink: an export never follows a symbolic link, which
	// could point it at any file the user can write.
	ErrExportSymlink = errors.New("it is a symbolic link, and an export never follows one")
	// ErrExportNotRegular: a directory, device, FIFO or socket, or a file
	// with other names (hard links) that an overwrite would change too.
	ErrExportNotRegular = errors.New("it is not a plain file")
)

// WriteExport writes an export to path as a file only its owner can read
// (0600). It never follows a symbolic link, not even in a race (the final
// component is opened O_NOFOLLOW), writes only to a plain file, and
// replaces an existing one only when overwrite is set. Errors are
// *os.PathError naming path, wrapping one of the ErrExport errors where
// the path itself is the reason.
func WriteExport(path string, data []byte, overwrite bool) error {
	fail := func(err error) error { return &os.PathError{Op: "write export", Path: path, Err: err} }
	if fi, err := os.Lstat(path); err == nil {
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			return fail(ErrExportSymlink)
		case !fi.Mode().IsRegular():
			return fail(ErrExportNotRegular)
		case !overwrite:
			return fail(ErrExportExists)
		}
	}
	// O_NONBLOCK: a FIFO put in place after the check must not hang us.
	flags := os.O_WRONLY | os.O_CREATE | syscall.O_NOFOLLOW | syscall.O_NONBLOCK
	if !overwrite {
		flags |= os.O_EXCL
	}
	f, err := os.OpenFile(path, flags, 0o600)
	switch {
	case errors.Is(err, os.ErrExist):
		return fail(ErrExportExists)
	case errors.Is(err, syscall.ELOOP):
		return fail(ErrExportSymlink)
	case err != nil:
		return err
	}
	// What was opened is what is written: a plain file with no other name.
	fi, err := f.Stat()
	if err == nil && (!fi.Mode().IsRegular() || linkCount(fi) > 1) {
		err = fail(ErrExportNotRegular)
	}
	if err == nil && overwrite {
		err = f.Truncate(0)
		if err == nil {
			err = f.Chmod(0o600)
		}
	}
	if err == nil {
		_, err = f.Write(data)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// linkCount is how many names the file has; 1 where the system cannot say.
func linkCount(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 1
}

// safeName keeps an incident ID usable as a file name.
func safeName(id string) string {
	var b strings.Builder
	for _, r := range id {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "incident"
	}
	return b.String()
}
