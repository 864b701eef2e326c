package journal

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"sitrep/sources/pagerduty"
	"sitrep/sources/sanitize"
)

// The incident cache keeps the last incident list per scope ("mine",
// "teams", "all") so sitrep can draw its first frame from disk before
// PagerDuty answers. It is a cache, not the record: it is not hash-chained,
// and each save replaces the last.

// MaxCacheScope bounds a scope name.
const MaxCacheScope = 256

// SaveIncidents replaces the cached list for scope, saved at at.
func (j *Journal) SaveIncidents(scope string, at time.Time, incidents []pagerduty.Incident) error {
	if scope == "" || len(scope) > MaxCacheScope {
		return fmt.Errorf("save incident cache: scope must be 1 to %d bytes", MaxCacheScope)
	}
	if incidents == nil {
		incidents = []pagerduty.Incident{}
	}
	blob, err := json.Marshal(incidents)
	if err != nil {
		return fmt.Errorf("save incident cache %q: %w", scope, err)
	}
	v := make([]byte, 8, 8+len(blob))
	binary.BigEndian.PutUint64(v, uint64(at.UnixNano()))
	v = append(v, blob...)
	err = j.update(func(tx *bolt.Tx) error {
		c, err := j.bucket(tx, bucketCache)
		if err != nil {
			return err
		}
		return c.Put([]byte(scope), v)
	})
	if err != nil {
		return fmt.Errorf("save incident cache %q: %w", scope, err)
	}
	return nil
}

// LoadIncidents returns the cached list for scope and when it was saved.
// A scope never saved returns no incidents, a zero time and no error. A
// damaged cache entry is an error: the caller should ignore it and wait
// for the network.
func (j *Journal) LoadIncidents(scope string) ([]pagerduty.Incident, time.Time, error) {
	var blob []byte
	var savedAt time.Time
	err := j.view(func(tx *bolt.Tx) error {
		c, err := j.bucket(tx, bucketCache)
		if err != nil {
			return err
		}
		v := c.Get([]byte(scope))
		if v == nil {
			return nil
		}
		if len(v) < 8 {
			return fmt.Errorf("cached list is %d bytes, too short", len(v))
		}
		savedAt = time.Unix(0, int64(binary.BigEndian.Uint64(v))).UTC()
		// Decode outside the transaction: v lives in the memory map.
		blob = append([]byte(nil), v[8:]...)
		return nil
	})
	if err != nil || blob == nil {
		if err != nil {
			err = fmt.Errorf("load incident cache %q from %s: %w", scope, j.path, err)
		}
		return nil, time.Time{}, err
	}
	var out []pagerduty.Incident
	if err := json.Unmarshal(blob, &out); err != nil {
		return nil, time.Time{}, fmt.Errorf("load incident cache %q from %s: %w (it will be replaced on the next refresh)", scope, j.path, err)
	}
	for i := range out {
		resanitize(&out[i])
	}
	return out, savedAt, nil
}

// resanitize passes a cached incident's text through today's sanitizer: a
// cache written by an older sitrep (or edited by hand) is outside text
// too, and the first frame draws it before PagerDuty answers. Clean text
// costs no allocation.
func resanitize(in *pagerduty.Incident) {
	in.Title = sanitize.Line(in.Title)
	in.Priority = sanitize.Line(in.Priority)
	in.Service.Name = sanitize.Line(in.Service.Name)
	in.EscalationPolicy.Name = sanitize.Line(in.EscalationPolicy.Name)
	for k := range in.Assignees {
		in.Assignees[k].Name = sanitize.Line(in.Assignees[k].Name)
	}
	for k := range in.Teams {
		in.Teams[k].Name = sanitize.Line(in.Teams[k].Name)
	}
}
