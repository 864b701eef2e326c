// Package journalset reads several sitrep journals, and packs of one
// incident's entries (see pack.go), as one record: a team's review, or the
// post-mortem of an incident several engineers worked on.
//
// Every journal and pack is opened read-only and verified before it is
// read. One whose chain does not verify is named and left out, unless the
// caller asks to include it, and then it stays marked as unverified. Their
// entries are merged by time; an event that several journals observed from
// PagerDuty (the same log entry, note, or first sighting of an incident)
// is kept once, as PagerDuty told it. What each engineer's sitrep did
// itself (notes, actions, pins) keeps its own actor.
package journalset

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"sort"
	"strings"
	"time"

	"sitrep/store/journal"
)

// Options tune Open.
type Options struct {
	// IncludeUnverified reads a journal or pack whose chain does not
	// verify, marked as such, instead of leaving it out. A file that
	// cannot be read at all is left out either way.
	IncludeUnverified bool
	// LockTimeout bounds the wait for a journal a running sitrep holds
	// before its snapshot is read instead; zero means the journal's default.
	LockTimeout time.Duration
}

// Source is one journal or pack of a set, as an export's Audit lists it.
type Source struct {
	// Path is the file as it was given.
	Path string
	// Pack reports a pack file; Origin is then the journal it was packed
	// from and Incident the incident it holds.
	Pack     bool
	Origin   string
	Incident string
	// Head is the journal's head, or for a pack its journal's head when
	// it was packed: what `sitrep journal verify` shows on the engineer's
	// machine.
	Head journal.Head
	// Checked is how many entries the verification read (for a pack, the
	// entries it holds).
	Checked uint64
	// Verified reports that the chain verified; Problem says otherwise
	// what is wrong, naming the first bad entry.
	Verified bool
	Problem  string
	// Included reports that the set reads the source's entries.
	Included bool
	// Snapshot reports a journal a running sitrep holds: it was read as
	// it was when the set was opened.
	Snapshot bool

	readable bool // its entries can be read, verified or not
}

// Status is one line for people about the source.
func (s Source) Status() string {
	what := "journal"
	if s.Pack {
		what = "pack of incident " + s.Incident + " from journal " + s.Origin
	}
	switch {
	case s.Verified:
		return fmt.Sprintf("%s %s: verified, %d entries, head seq %d %s", what, s.Path, s.Checked, s.Head.Seq, s.Head.Hash)
	case s.Included:
		return fmt.Sprintf("%s %s: NOT VERIFIED, included as asked: %s", what, s.Path, s.Problem)
	}
	return fmt.Sprintf("%s %s: NOT VERIFIED, left out: %s", what, s.Path, s.Problem)
}

// Set is several journals and packs opened together.
type Set struct {
	sources  []Source
	journals []*journal.Journal // per source; nil for packs and sources left out
	packs    []*Pack            // per source; nil for journals
}

// ErrNoneUsable is wrapped by Open's error when every source was left out.
var ErrNoneUsable = errors.New("no journal of the set can be read")

// Open opens and verifies every path, each a journal or a pack. A path that
// cannot be opened at all (missing, unreadable, not a journal) is an error
// naming it; a journal or pack whose chain does not verify, or that is
// damaged, is left out (see Options.IncludeUnverified) and says why in
// Sources. It is an error when nothing is left to read.
func Open(ctx context.Context, paths []string, opts Options) (*Set, error) {
	if len(paths) == 0 {
		return nil, errors.New("read journals: no journal given")
	}
	s := &Set{}
	fail := func(err error) (*Set, error) {
		s.Close()
		return nil, err
	}
	var seen []os.FileInfo
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return fail(fileError(p, err))
		}
		if fi.IsDir() {
			return fail(fmt.Errorf("read journal %s: it is a directory; give a journal file or a pack (sitrep journal pack INCIDENT -o FILE makes one)", p))
		}
		for i, other := range seen {
			if os.SameFile(fi, other) {
				return fail(fmt.Errorf("read journal %s: it is the same file as %s, given twice; give each journal once", p, s.sources[i].Path))
			}
		}
		seen = append(seen, fi)
		isPack, err := IsPack(p)
		if err != nil {
			return fail(fileError(p, err))
		}
		var src Source
		var j *journal.Journal
		var pk *Pack
		if isPack {
			src, pk, err = openPack(p, opts)
		} else {
			src, j, err = openJournal(ctx, p, opts)
		}
		if err != nil {
			return fail(err)
		}
		s.sources = append(s.sources, src)
		s.journals = append(s.journals, j)
		s.packs = append(s.packs, pk)
	}
	included := 0
	var why []string
	for _, src := range s.sources {
		if src.Included {
			included++
		} else {
			why = append(why, src.Path+": "+src.Problem)
		}
	}
	if included == 0 {
		hint := ""
		for _, src := range s.sources {
			// Damaged files cannot be read even when asked.
			if src.readable && !opts.IncludeUnverified {
				hint = "; add --include-unverified to read them anyway"
			}
		}
		return fail(fmt.Errorf("%w: %s%s", ErrNoneUsable, strings.Join(why, "; "), hint))
	}
	return s, nil
}

// fileError names a file that cannot be read and what to do.
func fileError(p string, err error) error {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("read journal %s: no such file; give the path of a journal file or of a pack", p)
	case errors.Is(err, os.ErrPermission):
		return fmt.Errorf("read journal %s: permission denied; ask its owner for a pack (sitrep journal pack INCIDENT -o FILE) or read it as its owner", p)
	}
	return fmt.Errorf("read journal %s: %w", p, err)
}

// IsPack reports whether the file is a pack rather than a journal: a pack
// is text that starts with a JSON object, and a journal (bbolt) starts
// with a binary page header.
func IsPack(p string) (bool, error) {
	f, err := os.Open(p)
	if err != nil {
		return false, err
	}
	defer f.Close()
	head := make([]byte, 64)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return false, err
	}
	head = bytes.TrimLeft(head[:n], " \t\r\n")
	return len(head) > 0 && head[0] == '{', nil
}

func openJournal(ctx context.Context, p string, opts Options) (Source, *journal.Journal, error) {
	src := Source{Path: p}
	j, err := journal.Open(p, journal.Options{ReadOnly: true, LockTimeout: opts.LockTimeout})
	if errors.Is(err, journal.ErrCorrupt) {
		// Damaged beyond reading: named and left out, never included.
		src.Problem = err.Error()
		return src, nil, nil
	}
	if err != nil {
		return src, nil, err
	}
	src.Snapshot = j.Snapshot()
	rep, err := j.Verify(ctx)
	src.Head, src.Checked = rep.Head, rep.Entries
	src.readable = rep.Problem != journal.ProblemDamaged
	switch {
	case err == nil:
		src.Verified, src.Included = true, true
		return src, j, nil
	case errors.Is(err, journal.ErrBroken):
		src.Problem = rep.String()
		if opts.IncludeUnverified && rep.Problem != journal.ProblemDamaged {
			src.Included = true
			return src, j, nil
		}
		_ = j.Close()
		return src, nil, nil
	}
	_ = j.Close()
	return src, nil, fmt.Errorf("verify journal %s: %w", p, err)
}

func openPack(p string, opts Options) (Source, *Pack, error) {
	src := Source{Path: p, Pack: true}
	pk, err := ReadPack(p)
	if err != nil {
		var bad *BadPackError
		if errors.As(err, &bad) {
			src.Problem = bad.Problem
			return src, nil, nil
		}
		return src, nil, err
	}
	src.Origin, src.Incident, src.readable = pk.Journal, pk.Incident, true
	src.Head, src.Checked = pk.Head, uint64(len(pk.Entries))
	if err := pk.Verify(); err != nil {
		src.Problem = err.Error()
		if !opts.IncludeUnverified {
			return src, nil, nil
		}
	} else {
		src.Verified = true
	}
	src.Included = true
	return src, pk, nil
}

// Sources lists the set's journals and packs in the order given.
func (s *Set) Sources() []Source { return append([]Source(nil), s.sources...) }

// Close closes the journals. It is safe to call more than once.
func (s *Set) Close() error {
	var errs []error
	for i, j := range s.journals {
		if j != nil {
			errs = append(errs, j.Close())
			s.journals[i] = nil
		}
	}
	return errors.Join(errs...)
}

// Entry is one entry of the merged record.
type Entry struct {
	journal.Entry
	// Source is the index in Sources of the journal or pack this copy
	// was read from.
	Source int
	// Observers is how many of the set's sources journaled this event:
	// more than one only for what several sitreps saw of PagerDuty.
	Observers int
}

// Observed reports whether e records something sitrep saw of PagerDuty
// (a log entry, a note, an incident's first sighting), identified by
// PagerDuty's own ID, rather than something its engineer did: several
// journals of a team hold the same such event, and it counts once.
func Observed(e journal.Entry) bool {
	return observedKey(e) != ""
}

func observedKey(e journal.Entry) string {
	id := e.SourceID
	if strings.HasPrefix(id, "pd:log:") || strings.HasPrefix(id, "pd:note:") || strings.HasPrefix(id, "seen:") {
		return id
	}
	return ""
}

// Incident returns an incident's entries from every source the set reads,
// merged by time (ties keep the order of the sources as given, and each
// source's own order), each PagerDuty event once.
func (s *Set) Incident(ctx context.Context, incidentID string) ([]Entry, error) {
	var all []Entry
	for i := range s.sources {
		err := s.each(ctx, i, incidentID, func(e journal.Entry) error {
			all = append(all, Entry{Entry: e, Source: i, Observers: 1})
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.SliceStable(all, func(a, b int) bool { return all[a].At.Before(all[b].At) })
	return dedupe(all), nil
}

// Journal returns the entries as the journal package has them.
func Journal(es []Entry) []journal.Entry {
	out := make([]journal.Entry, len(es))
	for i, e := range es {
		out[i] = e.Entry
	}
	return out
}

// Counts says how many of the incident's entries each source gave, and
// how many events several sources observed.
func Counts(es []Entry, sources int) (perSource []int, shared int) {
	perSource = make([]int, sources)
	for _, e := range es {
		if e.Source >= 0 && e.Source < sources {
			perSource[e.Source]++
		}
		if e.Observers > 1 {
			shared++
		}
	}
	return perSource, shared
}

// dedupe keeps the first copy (in time order) of each observed event.
func dedupe(all []Entry) []Entry {
	at := map[string]int{}
	out := all[:0]
	for _, e := range all {
		if k := observedKey(e.Entry); k != "" {
			if i, dup := at[k]; dup {
				out[i].Observers++
				continue
			}
			at[k] = len(out)
		}
		out = append(out, e)
	}
	return out
}

// Each calls fn for every entry of every source the set reads, source
// after source, each in its own order, with each PagerDuty event once (its
// first copy). It streams: a review over millions of entries holds only
// the PagerDuty IDs already seen. Entries are not in time order across
// sources; Observers is always 1 (a later copy is skipped, not counted).
func (s *Set) Each(ctx context.Context, fn func(Entry) error) error {
	seen := map[string]struct{}{}
	for i := range s.sources {
		err := s.each(ctx, i, "", func(e journal.Entry) error {
			if k := observedKey(e); k != "" {
				if _, dup := seen[k]; dup {
					return nil
				}
				seen[k] = struct{}{}
			}
			return fn(Entry{Entry: e, Source: i, Observers: 1})
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Seq is Each as a sequence of journal entries, for what reads one
// journal's entries as a sequence (stats): an error ends it.
func (s *Set) Seq(ctx context.Context) iter.Seq2[journal.Entry, error] {
	return func(yield func(journal.Entry, error) bool) {
		stopped := false
		err := s.Each(ctx, func(e Entry) error {
			if !yield(e.Entry, nil) {
				stopped = true
				return errStop
			}
			return nil
		})
		if err != nil && !stopped {
			yield(journal.Entry{}, err)
		}
	}
}

// each reads one source: an incident's entries, or all when incidentID is
// empty.
func (s *Set) each(ctx context.Context, i int, incidentID string, fn func(journal.Entry) error) error {
	if !s.sources[i].Included {
		return nil
	}
	if pk := s.packs[i]; pk != nil {
		for _, e := range pk.Entries {
			if incidentID != "" && e.Incident != incidentID {
				continue
			}
			if err := fn(e); err != nil {
				return err
			}
		}
		return nil
	}
	j := s.journals[i]
	if j == nil {
		return nil
	}
	var err error
	if incidentID == "" {
		err = j.Each(ctx, 1, fn)
	} else {
		err = j.EachOf(ctx, incidentID, fn)
	}
	if err != nil {
		return fmt.Errorf("read journal %s: %w", s.sources[i].Path, err)
	}
	return nil
}
