package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"sitrep/sources/sanitize"
	"sitrep/store/journal"
)

// `sitrep journal ls` and `sitrep journal show`: the journal read from the
// shell, aligned for people and as JSON lines for scripts.

const journalLsHelp = `ls lists every incident the journal holds, most recently active first: its
number, title, service, last known status (from the incident cache, the
PagerDuty timeline the journal kept, or its first sighting), how many
entries it has and the times of its first and last entries (UTC).

On a terminal each line fits its width; piped, nothing is cut.

--json prints one JSON object per incident, one per line, with these fields:
  id        PagerDuty incident ID ("Q000009")
  number    incident number (9), or null when the journal never saw it
  title     title, or "" when unknown
  service   service name, or "" when unknown
  status    triggered, acknowledged, resolved, or "" when unknown
  entries   number of journal entries
  first_at  time of the earliest entry, RFC 3339, UTC
  last_at   time of the latest entry, RFC 3339, UTC`

const journalShowHelp = `show prints an incident's journal in the order things happened (the
entries' times, not the order they were written). The incident is named by
its number (#9 or 9) or its PagerDuty ID (Q000009).

-v adds each entry's data below it: an action's command, output, guard
verdict and why it was blocked, the metrics before and after, pinned log
lines and metric values.

--json prints one JSON object per entry, one per line, with these fields:
  seq        the entry's place in the journal (1, 2, ...)
  at         when it happened, RFC 3339, UTC
  recorded   when the journal wrote it, RFC 3339, UTC
  incident   PagerDuty incident ID
  kind       what happened: seen, note, pin, status.acknowledge, action.finished, ...
  actor      who: a PagerDuty user's name, or "sitrep"
  summary    one line for people
  data       the entry's details as a JSON object, or null
  source_id  the key of what it was journaled from (a PagerDuty log entry), or ""
  hash       the entry's SHA-256, as sitrep journal verify checks it`

func newJournalLsCmd(g *globalFlags) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List journaled incidents: number, title, service, status, entries, first and last times",
		Long:  journalLsHelp,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			j, err := g.openJournal(true)
			if err != nil {
				return err
			}
			defer j.Close()
			all, err := gatherIncidents(cmd.Context(), j, true)
			if err != nil {
				return err
			}
			var facts []incidentFacts
			for _, f := range all {
				if f.Entries > 0 {
					facts = append(facts, f)
				}
			}
			w := cmd.OutOrStdout()
			if asJSON {
				return journalLsJSON(w, facts)
			}
			if len(facts) == 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "%s holds no incidents yet\n", j.Path())
				return nil
			}
			return journalLsTable(w, facts, terminalWidth(w))
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per incident per line (fields in --help)")
	return cmd
}

func newJournalShowCmd(g *globalFlags) *cobra.Command {
	var asJSON, verbose bool
	cmd := &cobra.Command{
		Use:   "show INCIDENT",
		Short: "Print an incident's journal in time order (INCIDENT: #9, 9 or Q000009)",
		Long:  journalShowHelp,
		Args:  oneIncident,
		RunE: func(cmd *cobra.Command, args []string) error {
			j, err := g.openJournal(true)
			if err != nil {
				return err
			}
			defer j.Close()
			// The journal alone: what it does not know, it cannot show.
			id, err := resolveIncident(cmd.Context(), args[0], j, nil)
			if err != nil {
				return err
			}
			return journalShow(cmd.Context(), cmd.OutOrStdout(), j, id, verbose, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per entry per line (fields in --help)")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "show each entry's data below it")
	return cmd
}

// terminalWidth is w's width when w is a terminal, else 0: output that
// goes to a file or a pipe is not cut.
func terminalWidth(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(f.Fd()) {
		return 0
	}
	width, _, err := term.GetSize(f.Fd())
	if err != nil || width <= 0 {
		return 0
	}
	return width
}

type incidentJSON struct {
	ID      string    `json:"id"`
	Number  *uint     `json:"number"`
	Title   string    `json:"title"`
	Service string    `json:"service"`
	Status  string    `json:"status"`
	Entries uint64    `json:"entries"`
	FirstAt time.Time `json:"first_at"`
	LastAt  time.Time `json:"last_at"`
}

func journalLsJSON(w io.Writer, facts []incidentFacts) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for _, f := range facts {
		o := incidentJSON{
			ID: sanitize.Line(f.ID), Title: sanitize.Line(f.Title), Service: sanitize.Line(f.Service),
			Status: sanitize.Line(f.Status), Entries: f.Entries, FirstAt: f.First.UTC(), LastAt: f.Last.UTC(),
		}
		if f.Number > 0 {
			n := f.Number
			o.Number = &n
		}
		if err := enc.Encode(o); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// column is one column of an aligned table.
type column struct {
	head  string
	cells []string
	right bool // numbers align right
	width int
}

func (c *column) natural() int {
	w := ansi.StringWidth(c.head)
	for _, s := range c.cells {
		w = max(w, ansi.StringWidth(s))
	}
	return w
}

const columnGap = 2

// journalLsTable writes the incidents as an aligned table that fits width
// (0: no limit). When it does not fit, the times lose their year and
// seconds, the ID column (the number names the incident as well) goes,
// the title and the service share what is left, and what still does not
// fit is cut at the end of the line.
func journalLsTable(w io.Writer, facts []incidentFacts, width int) error {
	build := func(layout string, withID bool) []*column {
		num := &column{head: "#", right: true}
		title := &column{head: "TITLE"}
		svc := &column{head: "SERVICE"}
		st := &column{head: "STATUS"}
		ent := &column{head: "ENTRIES", right: true}
		first := &column{head: "FIRST (UTC)"}
		last := &column{head: "LAST (UTC)"}
		id := &column{head: "ID"}
		for _, f := range facts {
			n := "—"
			if f.Number > 0 {
				n = fmt.Sprintf("#%d", f.Number)
			}
			num.cells = append(num.cells, n)
			title.cells = append(title.cells, orDash(sanitize.Line(f.Title)))
			svc.cells = append(svc.cells, orDash(sanitize.Line(f.Service)))
			st.cells = append(st.cells, orDash(sanitize.Line(f.Status)))
			ent.cells = append(ent.cells, fmt.Sprint(f.Entries))
			first.cells = append(first.cells, f.First.UTC().Format(layout))
			last.cells = append(last.cells, f.Last.UTC().Format(layout))
			id.cells = append(id.cells, sanitize.Line(f.ID))
		}
		cols := []*column{num, title, svc, st, ent, first, last}
		if withID {
			cols = append(cols, id)
		}
		for _, c := range cols {
			c.width = c.natural()
		}
		return cols
	}
	total := func(cols []*column) int {
		t := columnGap * (len(cols) - 1)
		for _, c := range cols {
			t += c.width
		}
		return t
	}
	cols := build(time.DateTime, true)
	if width > 0 && total(cols) > width {
		cols = build("01-02 15:04", false)
		title, svc := cols[1], cols[2]
		if over := total(cols) - width; over > 0 {
			// What the other columns leave goes to the title, with a
			// third to the service, each kept wide enough to read.
			avail := title.width + svc.width - over
			svc.width = min(svc.width, max(8, avail/3))
			title.width = min(title.width, max(10, avail-svc.width))
		}
	}
	return writeTable(w, cols, width)
}

// writeTable writes cols aligned by display width, cutting cells to their
// column's width and lines to width (0: no limit). The last column is not
// padded.
func writeTable(w io.Writer, cols []*column, width int) error {
	bw := bufio.NewWriter(w)
	rows := 0
	if len(cols) > 0 {
		rows = len(cols[0].cells)
	}
	for r := -1; r < rows; r++ {
		var line strings.Builder
		for i, c := range cols {
			cell := c.head
			if r >= 0 {
				cell = c.cells[r]
			}
			cell = ansi.Truncate(cell, c.width, "…")
			pad := strings.Repeat(" ", c.width-ansi.StringWidth(cell))
			switch {
			case c.right:
				line.WriteString(pad + cell)
			case i == len(cols)-1:
				line.WriteString(cell)
			default:
				line.WriteString(cell + pad)
			}
			if i < len(cols)-1 {
				line.WriteString(strings.Repeat(" ", columnGap))
			}
		}
		s := strings.TrimRight(line.String(), " ")
		if width > 0 {
			s = ansi.Truncate(s, width, "…")
		}
		bw.WriteString(s + "\n")
	}
	return bw.Flush()
}

// journalShow writes an incident's entries in time order: as an aligned
// table (with verbose, each entry's data below it) or as JSON lines.
func journalShow(ctx context.Context, w io.Writer, j *journal.Journal, id string, verbose, asJSON bool) error {
	var entries []journal.Entry
	err := j.EachOf(ctx, id, func(e journal.Entry) error {
		entries = append(entries, e)
		return nil
	})
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		return fmt.Errorf("nothing is journaled for incident %s (sitrep journal ls lists what is)", sanitize.Line(id))
	}
	// What happened, in the order it happened: a PagerDuty event journaled
	// late belongs where it happened. Seq breaks ties.
	sort.SliceStable(entries, func(a, b int) bool { return entries[a].At.Before(entries[b].At) })
	if asJSON {
		return showJSON(w, entries)
	}
	bw := bufio.NewWriter(w)
	cols := []*column{{head: "AT (UTC)"}, {head: "SEQ", right: true}, {head: "KIND"}, {head: "ACTOR"}, {head: "SUMMARY"}}
	for _, e := range entries {
		cols[0].cells = append(cols[0].cells, e.At.UTC().Format(time.DateTime))
		cols[1].cells = append(cols[1].cells, fmt.Sprint(e.Seq))
		cols[2].cells = append(cols[2].cells, sanitize.Line(e.Kind))
		cols[3].cells = append(cols[3].cells, orDash(sanitize.Line(e.Actor)))
		cols[4].cells = append(cols[4].cells, sanitize.Line(e.Summary))
	}
	for _, c := range cols[:len(cols)-1] {
		c.width = c.natural()
	}
	cols[len(cols)-1].width = cols[len(cols)-1].natural()
	if !verbose {
		return writeTable(w, cols, 0)
	}
	// Verbose: the header and each row, then the entry's data, indented.
	var table bytes.Buffer
	if err := writeTable(&table, cols, 0); err != nil {
		return err
	}
	lines := strings.Split(strings.TrimSuffix(table.String(), "\n"), "\n")
	bw.WriteString(lines[0] + "\n")
	for i, e := range entries {
		bw.WriteString(lines[i+1] + "\n")
		if len(e.Data) > 0 {
			bw.WriteString(journal.RenderData(e.Data, "    "))
		}
	}
	return bw.Flush()
}

type entryJSON struct {
	Seq      uint64    `json:"seq"`
	At       time.Time `json:"at"`
	Recorded time.Time `json:"recorded"`
	Incident string    `json:"incident"`
	Kind     string    `json:"kind"`
	Actor    string    `json:"actor"`
	Summary  string    `json:"summary"`
	Data     any       `json:"data"`
	SourceID string    `json:"source_id"`
	Hash     string    `json:"hash"`
}

func showJSON(w io.Writer, entries []journal.Entry) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for _, e := range entries {
		var data any
		if len(e.Data) > 0 {
			dec := json.NewDecoder(bytes.NewReader(e.Data))
			dec.UseNumber() // numbers as written, never re-rounded
			if dec.Decode(&data) == nil {
				data = sanitizeJSON(data)
			} else {
				data = map[string]any{"undecodable": sanitize.Line(string(e.Data))}
			}
		}
		o := entryJSON{
			Seq: e.Seq, At: e.At.UTC(), Recorded: e.Recorded.UTC(), Incident: sanitize.Line(e.Incident),
			Kind: sanitize.Line(e.Kind), Actor: sanitize.Line(e.Actor), Summary: sanitize.Line(e.Summary),
			Data: data, SourceID: sanitize.Line(e.SourceID), Hash: e.Hash.String(),
		}
		if err := enc.Encode(o); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// sanitizeJSON passes every string of decoded JSON, keys included,
// through sanitize.Text: JSON escapes C0 controls, but not C1 ones or
// invisible characters, and scripts print what they read.
func sanitizeJSON(v any) any {
	switch t := v.(type) {
	case string:
		return sanitize.Text(t)
	case []any:
		for i := range t {
			t[i] = sanitizeJSON(t[i])
		}
		return t
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[sanitize.Text(k)] = sanitizeJSON(x)
		}
		return out
	}
	return v
}
