package journalset

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"sitrep/store/journal"
)

// A pack is one incident's entries taken from a journal, with the proof
// that they are that journal's, in a small file an engineer can hand to
// whoever writes the post-mortem. It is JSON lines:
//
//	{"sitrep_pack":1,"incident":…,"journal":…,"head":{"seq":…,"hash":…},"packed":…,"entries":N,"links":M}
//	{"entry":{…}}        an entry of the incident, as the journal holds it
//	{"link":{"seq":…,"state":…}}  any other entry of the journal, as proof only
//
// Lines run in Seq order, with no gap, from the incident's first entry to
// the journal's head when it was packed. An entry's hash is recomputed from
// its content and must match; it must follow the line before it. A link
// stands for an entry of another incident that the pack does not disclose:
// its state is SHA-256 midway through the entry's canonical encoding, just
// before the final field (the previous entry's hash), so the verifier
// finishes the hash with the hash before it and gets the entry's own. The
// chain therefore runs, checked at every step, from the incident's first
// entry to the head the header names, which is the head the engineer's
// `sitrep journal verify` showed then. A link discloses no entry, only a
// hash state and the last bytes of that entry's encoding (at most 63, the
// tail of its source ID), and costs about 160 bytes.
//
// The first entry's link to the entries before it is not in the pack: a
// pack proves its entries are unaltered, in the chain that ends at its
// head, and that none after the first was removed; it cannot show that
// none of the incident's earlier entries was cut from its start.

// PackVersion is the pack format this sitrep writes and reads.
const PackVersion = 1

// maxPackLine bounds one line: an entry's data is at most journal.MaxData
// bytes, which JSON escaping can grow up to six times.
const maxPackLine = 8 << 20

// Pack is a pack file read into memory.
type Pack struct {
	Path     string
	Incident string
	// Journal is the journal it was packed from, as that engineer named it.
	Journal string
	// Head is that journal's head when it was packed.
	Head    journal.Head
	Packed  time.Time
	Entries []journal.Entry
	links   []packLink
	lines   []packLine // in file order, for Verify
}

type packHeader struct {
	Version  int       `json:"sitrep_pack"`
	Incident string    `json:"incident"`
	Journal  string    `json:"journal"`
	Head     packHead  `json:"head"`
	Packed   time.Time `json:"packed"`
	Entries  int       `json:"entries"`
	Links    int       `json:"links"`
}

type packHead struct {
	Seq  uint64       `json:"seq"`
	Hash journal.Hash `json:"hash"`
}

type packLine struct {
	Entry *journal.Entry `json:"entry,omitempty"`
	Link  *packLink      `json:"link,omitempty"`
}

type packLink struct {
	Seq   uint64 `json:"seq"`
	State []byte `json:"state"`
}

// PackSummary says what WritePack packed.
type PackSummary struct {
	Incident string
	Entries  int // the incident's entries
	Links    int // other entries, as proof
	Head     journal.Head
	Bytes    int
}

// WritePack packs an incident's entries from j, which must verify, with
// the proof that links them to j's head. It returns the pack's bytes; the
// caller writes them (never over a file without being asked). The pack is
// read back and verified before it is returned.
func WritePack(ctx context.Context, j *journal.Journal, incidentID string, now time.Time) ([]byte, PackSummary, error) {
	var sum PackSummary
	rep, err := j.Verify(ctx)
	if err != nil {
		if errors.Is(err, journal.ErrBroken) {
			return nil, sum, fmt.Errorf("pack %s: journal %s does not verify (%s); a pack proves its entries through the chain, so a broken chain cannot be packed. Run sitrep journal verify --journal %s", incidentID, j.Path(), rep, j.Path())
		}
		return nil, sum, fmt.Errorf("pack %s: verify %s: %w", incidentID, j.Path(), err)
	}
	mine := map[uint64]bool{}
	var first uint64
	if err := j.EachOf(ctx, incidentID, func(e journal.Entry) error {
		mine[e.Seq] = true
		if first == 0 || e.Seq < first {
			first = e.Seq
		}
		return nil
	}); err != nil {
		return nil, sum, fmt.Errorf("pack %s: %w", incidentID, err)
	}
	if len(mine) == 0 {
		return nil, sum, fmt.Errorf("pack %s: journal %s has no entries for this incident (sitrep journal ls lists what it has)", incidentID, j.Path())
	}
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	// The entry's text is hashed as it is: no escaping beyond JSON's own.
	enc.SetEscapeHTML(false)
	err = j.Each(ctx, first, func(e journal.Entry) error {
		if e.Seq > rep.Head.Seq {
			return errStop
		}
		if mine[e.Seq] {
			sum.Entries++
			return enc.Encode(packLine{Entry: &e})
		}
		state, err := midstate(e)
		if err != nil {
			return err
		}
		sum.Links++
		return enc.Encode(packLine{Link: &packLink{Seq: e.Seq, State: state}})
	})
	if err != nil && !errors.Is(err, errStop) {
		return nil, sum, fmt.Errorf("pack %s: %w", incidentID, err)
	}
	var out bytes.Buffer
	hdr := json.NewEncoder(&out)
	hdr.SetEscapeHTML(false)
	if err := hdr.Encode(packHeader{
		Version: PackVersion, Incident: incidentID, Journal: j.Path(),
		Head:   packHead{Seq: rep.Head.Seq, Hash: rep.Head.Hash},
		Packed: now.UTC(), Entries: sum.Entries, Links: sum.Links,
	}); err != nil {
		return nil, sum, fmt.Errorf("pack %s: %w", incidentID, err)
	}
	out.Write(body.Bytes())
	pk, err := parsePack("the pack of "+incidentID, bytes.NewReader(out.Bytes()))
	if err == nil {
		err = pk.Verify()
	}
	if err != nil {
		// An entry whose text JSON cannot carry byte for byte.
		return nil, sum, fmt.Errorf("pack %s: the pack does not verify as written, so it is not written: %w", incidentID, err)
	}
	sum.Incident, sum.Head, sum.Bytes = incidentID, rep.Head, out.Len()
	return out.Bytes(), sum, nil
}

var errStop = errors.New("stop")

// midstate is SHA-256's state over e's canonical encoding up to its last
// field, the previous entry's hash (see Entry.Canonical).
func midstate(e journal.Entry) ([]byte, error) {
	c := e.Canonical()
	h := sha256.New()
	h.Write(c[:len(c)-len(e.Prev)])
	state, err := h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("entry %d: %w", e.Seq, err)
	}
	if got, err := finish(state, e.Prev); err != nil || got != e.Hash {
		return nil, fmt.Errorf("entry %d: its proof does not reproduce its hash", e.Seq)
	}
	return state, nil
}

// finish completes a midstate with the previous entry's hash.
func finish(state []byte, prev journal.Hash) (journal.Hash, error) {
	var out journal.Hash
	h := sha256.New()
	if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(state); err != nil {
		return out, err
	}
	h.Write(prev[:])
	copy(out[:], h.Sum(nil))
	return out, nil
}

// BadPackError is a file that starts as a pack but cannot be read as one:
// damaged, cut short, or edited by hand.
type BadPackError struct {
	Path    string
	Problem string
}

func (e *BadPackError) Error() string {
	return fmt.Sprintf("pack %s %s; ask for a new one (sitrep journal pack INCIDENT -o FILE)", e.Path, e.Problem)
}

// ReadPack reads a pack file. A file that cannot be read is an error
// naming it; one that is not a well-formed pack is a *BadPackError. It
// does not verify the chain: see Verify.
func ReadPack(path string) (*Pack, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fileError(path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fileError(path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("read pack %s: it is not a plain file; give the pack file itself", path)
	}
	pk, err := parsePack(path, f)
	if err != nil {
		return nil, err
	}
	pk.Path = path
	return pk, nil
}

func parsePack(path string, r io.Reader) (*Pack, error) {
	bad := func(format string, args ...any) error {
		return &BadPackError{Path: path, Problem: fmt.Sprintf(format, args...)}
	}
	br := bufio.NewReaderSize(r, 64<<10)
	var line []byte
	n := 0
	next := func() (bool, error) {
		line = line[:0]
		for {
			chunk, err := br.ReadSlice('\n')
			line = append(line, chunk...)
			if len(line) > maxPackLine {
				return false, bad("line %d is longer than %d bytes", n+1, maxPackLine)
			}
			switch {
			case err == nil:
				n++
				return true, nil
			case errors.Is(err, bufio.ErrBufferFull):
				continue
			case errors.Is(err, io.EOF):
				if len(line) == 0 {
					return false, nil
				}
				n++
				return true, nil
			default:
				return false, fmt.Errorf("read pack %s: %w", path, err)
			}
		}
	}
	ok, err := next()
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, bad("is empty")
	}
	var h packHeader
	if err := strictDecode(line, &h); err != nil {
		return nil, bad("line 1: the header cannot be read: %v", err)
	}
	if h.Version != PackVersion {
		return nil, bad("is pack format %d; this sitrep reads format %d (upgrade sitrep)", h.Version, PackVersion)
	}
	if h.Incident == "" {
		return nil, bad("line 1: the header names no incident")
	}
	pk := &Pack{Incident: h.Incident, Journal: h.Journal, Head: journal.Head{Seq: h.Head.Seq, Hash: h.Head.Hash}, Packed: h.Packed}
	for {
		ok, err := next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if len(bytes.TrimSpace(line)) == 0 {
			return nil, bad("line %d is empty", n)
		}
		var l packLine
		if err := strictDecode(line, &l); err != nil {
			return nil, bad("line %d cannot be read: %v", n, err)
		}
		switch {
		case l.Entry != nil && l.Link == nil:
			pk.Entries = append(pk.Entries, *l.Entry)
		case l.Link != nil && l.Entry == nil:
			pk.links = append(pk.links, *l.Link)
		default:
			return nil, bad("line %d is neither an entry nor a link", n)
		}
		pk.lines = append(pk.lines, l)
	}
	if len(pk.Entries) != h.Entries || len(pk.links) != h.Links {
		return nil, bad("holds %d entries and %d links, its header says %d and %d: it was cut short or edited",
			len(pk.Entries), len(pk.links), h.Entries, h.Links)
	}
	return pk, nil
}

func strictDecode(line []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("more than one value on the line")
	}
	return nil
}

// Verify checks the pack's chain: every entry hashes to its own hash and
// belongs to the incident, every line follows the one before it with no
// Seq missing, and the chain ends at the head the header names. The error
// names the first bad line.
func (p *Pack) Verify() error {
	if len(p.Entries) == 0 {
		return errors.New("the pack holds no entry")
	}
	var prev journal.Hash
	var want uint64
	for i, l := range p.lines {
		lineNo := i + 2
		if l.Entry != nil {
			e := *l.Entry
			if i > 0 && e.Seq != want {
				return fmt.Errorf("line %d: entry %d where entry %d should be: entries were removed or reordered", lineNo, e.Seq, want)
			}
			if got := e.ComputeHash(); got != e.Hash {
				return fmt.Errorf("line %d: entry %d: hash mismatch: content hashes to %s, entry says %s: the entry was altered", lineNo, e.Seq, got, e.Hash)
			}
			if i > 0 && e.Prev != prev {
				return fmt.Errorf("line %d: entry %d: prev mismatch: it does not follow the entry before it", lineNo, e.Seq)
			}
			if e.Incident != p.Incident {
				return fmt.Errorf("line %d: entry %d is of incident %q, not the pack's %s", lineNo, e.Seq, e.Incident, p.Incident)
			}
			prev, want = e.Hash, e.Seq+1
			continue
		}
		if i == 0 {
			return fmt.Errorf("line %d: the pack starts with a link, not an entry", lineNo)
		}
		if l.Link.Seq != want {
			return fmt.Errorf("line %d: link %d where entry %d should be: entries were removed or reordered", lineNo, l.Link.Seq, want)
		}
		h, err := finish(l.Link.State, prev)
		if err != nil {
			return fmt.Errorf("line %d: link %d cannot be read: %v", lineNo, l.Link.Seq, err)
		}
		prev, want = h, want+1
	}
	if want-1 != p.Head.Seq {
		return fmt.Errorf("the chain ends at entry %d, the header's head is %d: entries were removed", want-1, p.Head.Seq)
	}
	if prev != p.Head.Hash {
		return fmt.Errorf("head mismatch: the chain ends in %s, the header's head is %s: an entry or link was altered", prev, p.Head.Hash)
	}
	return nil
}
