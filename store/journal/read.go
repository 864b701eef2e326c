package journal

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Head is the journal's last entry: its Seq (which is also the number of
// entries) and Hash. An empty journal has Seq 0 and a zero Hash.
type Head struct {
	Seq  uint64
	Hash Hash
}

// Head returns the journal's head without reading any entry.
func (j *Journal) Head() (Head, error) {
	var h Head
	err := j.view(func(tx *bolt.Tx) error {
		meta, err := j.bucket(tx, bucketMeta)
		if err != nil {
			return err
		}
		h.Seq, h.Hash, err = readHead(meta)
		if err != nil {
			return corruptError(j.path, err)
		}
		return nil
	})
	return h, err
}

// Get returns the entry with the given Seq; ok is false if there is none.
func (j *Journal) Get(seq uint64) (e Entry, ok bool, err error) {
	err = j.view(func(tx *bolt.Tx) error {
		ents, err := j.bucket(tx, bucketEntries)
		if err != nil {
			return err
		}
		k := binary.BigEndian.AppendUint64(nil, seq)
		if ents.Get(k) == nil {
			return nil
		}
		e, err = j.getEntry(ents, k)
		ok = err == nil
		return err
	})
	return e, ok, err
}

// Entries returns an incident's entries in Seq order. It reads the
// incident's index, not the whole journal.
func (j *Journal) Entries(incidentID string) ([]Entry, error) {
	var out []Entry
	if s, ok, err := j.summary(incidentID); err == nil && ok && s.Count < 1<<24 {
		out = make([]Entry, 0, s.Count)
	}
	err := j.EachOf(context.Background(), incidentID, func(e Entry) error {
		out = append(out, e)
		return nil
	})
	return out, err
}

// EachOf calls fn for each of an incident's entries in Seq order, stopping
// at fn's first error or when ctx is done.
func (j *Journal) EachOf(ctx context.Context, incidentID string, fn func(Entry) error) error {
	return j.view(func(tx *bolt.Tx) error {
		idx, err := j.bucket(tx, bucketIncidents)
		if err != nil {
			return err
		}
		ents, err := j.bucket(tx, bucketEntries)
		if err != nil {
			return err
		}
		if incidentID == "" {
			return nil
		}
		ib := idx.Bucket([]byte(incidentID))
		if ib == nil {
			return nil
		}
		c, ec := ib.Cursor(), ents.Cursor()
		n := 0
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if n++; n%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			// Seqs ascend, so one cursor seeking forward beats a Get
			// (and its cursor) per entry.
			ek, v := ec.Seek(k)
			if !bytes.Equal(ek, k) {
				return corruptError(j.path, fmt.Errorf("incident %s's index points at missing entry %x", incidentID, k))
			}
			e, err := decode(v)
			if err != nil {
				return corruptError(j.path, fmt.Errorf("entry %x: %w", k, err))
			}
			if err := fn(e); err != nil {
				return err
			}
		}
		return nil
	})
}

// Each calls fn for every entry with Seq >= from, in Seq order, stopping at
// fn's first error or when ctx is done.
func (j *Journal) Each(ctx context.Context, from uint64, fn func(Entry) error) error {
	return j.view(func(tx *bolt.Tx) error {
		ents, err := j.bucket(tx, bucketEntries)
		if err != nil {
			return err
		}
		c := ents.Cursor()
		n := 0
		for k, v := c.Seek(binary.BigEndian.AppendUint64(nil, from)); k != nil; k, v = c.Next() {
			if n++; n%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			e, err := decode(v)
			if err != nil {
				return corruptError(j.path, fmt.Errorf("entry %x: %w", k, err))
			}
			if err := fn(e); err != nil {
				return err
			}
		}
		return nil
	})
}

// IncidentSummary is one line of `sitrep journal ls`.
type IncidentSummary struct {
	ID      string
	Entries uint64
	First   time.Time // earliest At
	Last    time.Time // latest At
}

// Incidents lists every journaled incident, most recently active first.
func (j *Journal) Incidents() ([]IncidentSummary, error) {
	var out []IncidentSummary
	err := j.view(func(tx *bolt.Tx) error {
		sums, err := j.bucket(tx, bucketSummaries)
		if err != nil {
			return err
		}
		return sums.ForEach(func(k, v []byte) error {
			s, ok := decodeSummary(v)
			if !ok {
				return corruptError(j.path, fmt.Errorf("summary of incident %q is damaged", k))
			}
			out = append(out, IncidentSummary{ID: string(bytes.Clone(k)), Entries: s.Count, First: s.First, Last: s.Last})
			return nil
		})
	})
	sort.SliceStable(out, func(a, b int) bool {
		if !out[a].Last.Equal(out[b].Last) {
			return out[a].Last.After(out[b].Last)
		}
		return out[a].ID < out[b].ID
	})
	return out, err
}

func (j *Journal) summary(incidentID string) (s summary, ok bool, err error) {
	err = j.view(func(tx *bolt.Tx) error {
		sums, err := j.bucket(tx, bucketSummaries)
		if err != nil {
			return err
		}
		s, ok = decodeSummary(sums.Get([]byte(incidentID)))
		return nil
	})
	return s, ok, err
}
