package journal

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Problem names what is wrong at the first bad entry.
type Problem string

// Problems Verify reports.
const (
	ProblemHash        Problem = "hash mismatch"  // the entry's content does not hash to its Hash
	ProblemPrev        Problem = "prev mismatch"  // its Prev is not the previous entry's Hash
	ProblemGap         Problem = "gap"            // a Seq is missing
	ProblemUndecodable Problem = "undecodable"    // the stored bytes are not an entry
	ProblemKey         Problem = "key mismatch"   // stored under another Seq than its own
	ProblemHead        Problem = "head mismatch"  // the last entry is not the recorded head
	ProblemIndex       Problem = "index mismatch" // the incident index disagrees with the entry
	ProblemDamaged     Problem = "damaged file"   // bbolt could not read the file
)

// ErrBroken is wrapped by the error Verify returns for a broken chain.
var ErrBroken = errors.New("journal chain is broken")

// Report is the outcome of Verify.
type Report struct {
	OK      bool
	Entries uint64 // entries checked
	First   uint64 // first Seq (1 unless the journal is empty)
	Last    uint64 // last Seq checked
	Head    Head   // the head recorded in the meta bucket
	// BadSeq is the first Seq found bad, Problem why, Detail the
	// specifics. They are empty when OK.
	BadSeq  uint64
	Problem Problem
	Detail  string
}

// String is one line for `sitrep journal verify`.
func (r Report) String() string {
	if r.OK {
		return fmt.Sprintf("ok: %d entries, seq %d..%d, head %s", r.Entries, r.First, r.Last, r.Head.Hash)
	}
	return fmt.Sprintf("BROKEN at seq %d: %s: %s (%d entries before it are intact)", r.BadSeq, r.Problem, r.Detail, r.Entries)
}

// Verify walks the whole chain in Seq order, recomputing each entry's hash
// and checking it links to the one before, that no Seq is missing, that the
// last entry is the head recorded in the meta bucket, and that each entry
// is in its incident's index. It stops at the first bad entry; the returned
// error then wraps ErrBroken and the Report says where and why. Other
// errors (a cancelled ctx, a closed journal) come with OK false and no
// BadSeq.
func (j *Journal) Verify(ctx context.Context) (Report, error) {
	var r Report
	fail := func(seq uint64, p Problem, format string, args ...any) error {
		r.BadSeq, r.Problem, r.Detail = seq, p, fmt.Sprintf(format, args...)
		return fmt.Errorf("%w: %s: seq %d: %s: %s", ErrBroken, j.path, seq, p, r.Detail)
	}
	err := j.view(func(tx *bolt.Tx) error {
		meta, err := j.bucket(tx, bucketMeta)
		if err != nil {
			return err
		}
		ents, err := j.bucket(tx, bucketEntries)
		if err != nil {
			return err
		}
		idx, err := j.bucket(tx, bucketIncidents)
		if err != nil {
			return err
		}
		headSeq, headHash, err := readHead(meta)
		if err != nil {
			return fail(0, ProblemHead, "%v", err)
		}
		r.Head = Head{Seq: headSeq, Hash: headHash}
		if err := ctx.Err(); err != nil {
			return err
		}
		var prev Hash
		var want uint64 = 1
		c := ents.Cursor()
		buf := make([]byte, 0, 512)
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if want%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if len(k) != 8 {
				return fail(want, ProblemKey, "key %x is not a sequence number", k)
			}
			seq := binary.BigEndian.Uint64(k)
			if seq != want {
				return fail(want, ProblemGap, "entry %d is missing (next is %d)", want, seq)
			}
			e, err := decode(v)
			if err != nil {
				return fail(seq, ProblemUndecodable, "%v", err)
			}
			if e.Seq != seq {
				return fail(seq, ProblemKey, "stored under %d but says it is %d", seq, e.Seq)
			}
			buf = e.appendCanonical(buf[:0])
			if got := Hash(sha256.Sum256(buf)); got != e.Hash {
				return fail(seq, ProblemHash, "content hashes to %s, entry says %s: the entry was altered", got, e.Hash)
			}
			if e.Prev != prev {
				return fail(seq, ProblemPrev, "prev is %s, entry %d's hash is %s: an entry before it was altered or replaced", e.Prev, seq-1, prev)
			}
			if e.Incident != "" {
				ib := idx.Bucket([]byte(e.Incident))
				if ib == nil || ib.Get(k) == nil {
					return fail(seq, ProblemIndex, "missing from incident %s's index", e.Incident)
				}
			}
			if r.First == 0 {
				r.First = seq
			}
			r.Last, r.Entries = seq, r.Entries+1
			prev = e.Hash
			want++
		}
		if r.Last != headSeq {
			if r.Last < headSeq {
				return fail(r.Last+1, ProblemGap, "the head is entry %d but the chain ends at %d: entries were removed", headSeq, r.Last)
			}
			return fail(headSeq+1, ProblemHead, "entries after the recorded head %d", headSeq)
		}
		if !bytes.Equal(prev[:], headHash[:]) {
			return fail(headSeq, ProblemHead, "last entry's hash %s is not the recorded head %s", prev, headHash)
		}
		return nil
	})
	if err == nil {
		r.OK = true
		return r, nil
	}
	if r.Problem == "" && errors.Is(err, ErrCorrupt) {
		r.BadSeq, r.Problem, r.Detail = r.Last+1, ProblemDamaged, err.Error()
		return r, fmt.Errorf("%w: %w", ErrBroken, err)
	}
	return r, err
}
