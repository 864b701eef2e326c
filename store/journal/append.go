package journal

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Appended is the outcome of one entry of AppendBatch.
type Appended struct {
	// Entry is the stored entry: the new one, or for a duplicate the one
	// already journaled with the same SourceID.
	Entry Entry
	// Duplicate reports that the entry's SourceID was already journaled
	// and nothing was written for it.
	Duplicate bool
	// Waiting reports that the disk refused the write and the entry waits
	// in memory to be written (see Backlog); it has no Seq yet.
	Waiting bool
}

// Append writes e durably (the bbolt commit is fsynced before Append
// returns) and returns it as stored, with Seq, Recorded, Prev and Hash set.
// If e.SourceID is already journaled nothing is written, and Append returns
// the stored entry and an error wrapping ErrDuplicate.
//
// Append is safe for concurrent use; appends are serialised by bbolt's
// single writer. Call it from a goroutine (a tea.Cmd), never from Update.
func (j *Journal) Append(e Entry) (Entry, error) {
	res, err := j.AppendBatch([]Entry{e})
	if err != nil {
		return Entry{}, err
	}
	if res[0].Duplicate {
		return res[0].Entry, fmt.Errorf("%w: source %s is entry %d", ErrDuplicate, res[0].Entry.SourceID, res[0].Entry.Seq)
	}
	return res[0].Entry, nil
}

// AppendBatch writes entries in one durable transaction, in order: either
// all of them are journaled or, on error, none. Entries whose SourceID is
// already journaled (or appears earlier in the batch) are skipped and
// reported as duplicates.
func (j *Journal) AppendBatch(entries []Entry) ([]Appended, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	norm := make([]Entry, len(entries))
	for i, e := range entries {
		n, err := normalize(e)
		if err != nil {
			return nil, fmt.Errorf("append to journal: entry %d of %d (%s): %w", i+1, len(entries), e.Kind, err)
		}
		norm[i] = n
	}
	if queued, err := j.enqueue(norm, nil, false); queued {
		return waiting(norm), err
	}
	out, err := j.commit(norm)
	if storageFailure(err) {
		if _, qerr := j.enqueue(norm, err, true); qerr != nil {
			return nil, qerr
		}
		return waiting(norm), nil
	}
	return out, err
}

func waiting(norm []Entry) []Appended {
	out := make([]Appended, len(norm))
	for i, e := range norm {
		out[i] = Appended{Entry: e, Waiting: true}
	}
	return out
}

// commit writes normalized entries in one durable transaction.
func (j *Journal) commit(norm []Entry) ([]Appended, error) {
	var out []Appended
	err := j.update(func(tx *bolt.Tx) error {
		out = make([]Appended, len(norm)) // reset if bbolt ever retried
		meta, err := j.bucket(tx, bucketMeta)
		if err != nil {
			return err
		}
		ents, err := j.bucket(tx, bucketEntries)
		if err != nil {
			return err
		}
		// Keys only ever grow: fill pages, do not leave half of each empty.
		ents.FillPercent = 0.95
		idx, err := j.bucket(tx, bucketIncidents)
		if err != nil {
			return err
		}
		sums, err := j.bucket(tx, bucketSummaries)
		if err != nil {
			return err
		}
		srcs, err := j.bucket(tx, bucketSources)
		if err != nil {
			return err
		}
		seq, head, err := readHead(meta)
		if err != nil {
			return corruptError(j.path, err)
		}
		recorded := j.now().UTC().Round(0)
		stats := map[string]summary{}
		for i, e := range norm {
			if e.SourceID != "" {
				if v := srcs.Get([]byte(e.SourceID)); v != nil {
					old, err := j.getEntry(ents, v)
					if err != nil {
						return err
					}
					out[i] = Appended{Entry: old, Duplicate: true}
					continue
				}
			}
			seq++
			e.Seq = seq
			e.Recorded = recorded
			if e.At.IsZero() {
				e.At = recorded
			}
			e.At = e.At.UTC().Round(0)
			e.Prev = head
			// bbolt keeps the key and value slices until commit: every Put
			// gets its own.
			buf := e.appendCanonical(nil)
			e.Hash = sha256.Sum256(buf)
			buf = append(buf, e.Hash[:]...)
			key := binary.BigEndian.AppendUint64(nil, seq)
			if err := ents.Put(key, buf); err != nil {
				return err
			}
			head = e.Hash
			if e.SourceID != "" {
				if err := srcs.Put([]byte(e.SourceID), key); err != nil {
					return err
				}
			}
			if e.Incident != "" {
				ib, err := idx.CreateBucketIfNotExists([]byte(e.Incident))
				if err != nil {
					return err
				}
				ib.FillPercent = 0.95
				if err := ib.Put(key, nil); err != nil {
					return err
				}
				s, ok := stats[e.Incident]
				if !ok {
					s = getSummary(sums, e.Incident)
				}
				stats[e.Incident] = s.add(e.At)
			}
			out[i] = Appended{Entry: e}
		}
		for id, s := range stats {
			if err := sums.Put([]byte(id), s.encode()); err != nil {
				return err
			}
		}
		return putHead(meta, seq, head)
	})
	if err != nil {
		return nil, fmt.Errorf("append to journal %s: %w", j.path, err)
	}
	return out, nil
}

func (j *Journal) getEntry(ents *bolt.Bucket, key []byte) (Entry, error) {
	v := ents.Get(key)
	if v == nil {
		return Entry{}, corruptError(j.path, fmt.Errorf("index points at missing entry %x", key))
	}
	e, err := decode(v)
	if err != nil {
		return Entry{}, corruptError(j.path, fmt.Errorf("entry %x: %w", key, err))
	}
	return e, nil
}

func readHead(meta *bolt.Bucket) (uint64, Hash, error) {
	var h Hash
	s, hv := meta.Get(keyHeadSeq), meta.Get(keyHeadHash)
	if len(s) != 8 || len(hv) != len(h) {
		return 0, h, errors.New("journal head is missing from the meta bucket")
	}
	copy(h[:], hv)
	return binary.BigEndian.Uint64(s), h, nil
}

func putHead(meta *bolt.Bucket, seq uint64, h Hash) error {
	if err := meta.Put(keyHeadSeq, binary.BigEndian.AppendUint64(nil, seq)); err != nil {
		return err
	}
	return meta.Put(keyHeadHash, append([]byte(nil), h[:]...))
}

// summary is an incident's entry count and time span, kept up to date on
// append so `sitrep journal ls` reads one small record per incident.
type summary struct {
	Count       uint64
	First, Last time.Time
}

func (s summary) add(at time.Time) summary {
	if s.Count == 0 || at.Before(s.First) {
		s.First = at
	}
	if s.Count == 0 || at.After(s.Last) {
		s.Last = at
	}
	s.Count++
	return s
}

// encode: count, first, last as 8-byte big-endian (times in unix ns).
func (s summary) encode() []byte {
	b := make([]byte, 0, 24)
	b = binary.BigEndian.AppendUint64(b, s.Count)
	b = binary.BigEndian.AppendUint64(b, uint64(s.First.UnixNano()))
	return binary.BigEndian.AppendUint64(b, uint64(s.Last.UnixNano()))
}

func decodeSummary(v []byte) (summary, bool) {
	if len(v) != 24 {
		return summary{}, false
	}
	return summary{
		Count: binary.BigEndian.Uint64(v),
		First: time.Unix(0, int64(binary.BigEndian.Uint64(v[8:]))).UTC(),
		Last:  time.Unix(0, int64(binary.BigEndian.Uint64(v[16:]))).UTC(),
	}, true
}

func getSummary(b *bolt.Bucket, id string) summary {
	s, _ := decodeSummary(b.Get([]byte(id)))
	return s
}
