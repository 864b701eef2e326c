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
//
// A cached list is the save time (8 bytes, big-endian Unix nanoseconds)
// and the list in one of two formats, told apart by the byte after the
// time:
//
//   - '[': JSON, as sitrep wrote it before format 2. It is still read.
//   - 2: a compact binary form (see encodeIncidents), which decodes
//     10,000 incidents in a few milliseconds: the first frame waits for it.
//
// Any other byte is a format this sitrep does not know (a newer one wrote
// it): LoadIncidents says so, and the next refresh replaces it.

// MaxCacheScope bounds a scope name.
const MaxCacheScope = 256

// cacheFormat is the format SaveIncidents writes.
const cacheFormat = 2

// SaveIncidents replaces the cached list for scope, saved at at.
func (j *Journal) SaveIncidents(scope string, at time.Time, incidents []pagerduty.Incident) error {
	if scope == "" || len(scope) > MaxCacheScope {
		return fmt.Errorf("save incident cache: scope must be 1 to %d bytes", MaxCacheScope)
	}
	v := make([]byte, 8, 64+len(incidents)*64)
	binary.BigEndian.PutUint64(v, uint64(at.UnixNano()))
	v = encodeIncidents(v, incidents)
	err := j.update(func(tx *bolt.Tx) error {
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
// damaged cache entry, or one in a format this sitrep does not read, is an
// error: the caller should say so and wait for the network.
func (j *Journal) LoadIncidents(scope string) ([]pagerduty.Incident, time.Time, error) {
	var out []pagerduty.Incident
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
		if len(v) < 9 {
			return fmt.Errorf("cached list is %d bytes, too short", len(v))
		}
		savedAt = time.Unix(0, int64(binary.BigEndian.Uint64(v))).UTC()
		// v lives in the memory map, valid only in this transaction: both
		// decoders copy what they keep.
		switch body := v[8:]; body[0] {
		case '[':
			err = json.Unmarshal(body, &out)
			for i := range out {
				resanitize(&out[i])
			}
		case cacheFormat:
			out, err = decodeIncidents(body[1:])
		default:
			err = fmt.Errorf("cache format %d is not one this sitrep reads (a newer sitrep wrote it?)", body[0])
		}
		return err
	})
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("load incident cache %q from %s: %w (it will be replaced on the next refresh)", scope, j.path, err)
	}
	return out, savedAt, nil
}

// encodeIncidents appends format 2 of incidents to dst: the format byte;
// a table of the distinct strings (their count, their lengths, then their
// bytes); the number of incidents and of their team and assignee
// references; then per incident its fields in a fixed order, a string as
// its index in the table, a number as a uvarint, a time as a varint of
// Unix seconds and a uvarint of nanoseconds (times are UTC, as the feed
// gives them). A service, a team, an assignee or a status repeated over
// 10,000 incidents is stored once, and read once.
func encodeIncidents(dst []byte, incidents []pagerduty.Incident) []byte {
	index := map[string]uint64{}
	var table []string
	ref := func(s string) uint64 {
		i, ok := index[s]
		if !ok {
			i = uint64(len(table))
			index[s] = i
			table = append(table, s)
		}
		return i
	}
	var body []byte
	refs := 0
	str := func(s string) { body = binary.AppendUvarint(body, ref(s)) }
	num := func(n uint) { body = binary.AppendUvarint(body, uint64(n)) }
	when := func(t time.Time) {
		body = binary.AppendVarint(body, t.Unix())
		body = binary.AppendUvarint(body, uint64(t.Nanosecond()))
	}
	refList := func(rs []pagerduty.Ref) {
		num(uint(len(rs)))
		for _, r := range rs {
			str(r.ID)
			str(r.Name)
		}
		refs += len(rs)
	}
	for _, in := range incidents {
		str(in.ID)
		num(in.Number)
		str(in.Title)
		str(in.Status)
		str(in.Urgency)
		str(in.Priority)
		str(in.Service.ID)
		str(in.Service.Name)
		refList(in.Teams)
		refList(in.Assignees)
		str(in.EscalationPolicy.ID)
		str(in.EscalationPolicy.Name)
		when(in.CreatedAt)
		when(in.LastChangeAt)
		str(in.HTMLURL)
		num(in.AlertCounts.All)
		num(in.AlertCounts.Triggered)
		num(in.AlertCounts.Resolved)
	}
	dst = append(dst, cacheFormat)
	dst = binary.AppendUvarint(dst, uint64(len(table)))
	for _, s := range table {
		dst = binary.AppendUvarint(dst, uint64(len(s)))
	}
	for _, s := range table {
		dst = append(dst, s...)
	}
	dst = binary.AppendUvarint(dst, uint64(len(incidents)))
	dst = binary.AppendUvarint(dst, uint64(refs))
	return append(dst, body...)
}

// cacheReader reads format 2; the first error sticks, and every read
// after it returns zero, so a damaged list is an error and never a panic.
type cacheReader struct {
	b     []byte
	table []string
	err   error
}

func (r *cacheReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf(format, args...)
	}
}

func (r *cacheReader) uvarint(what string) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("damaged at %s", what)
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads a count of things that each take at least size bytes of
// what is left, so a damaged count cannot ask for more memory than the
// list holds.
func (r *cacheReader) count(what string, size int) int {
	n := r.uvarint(what)
	if n > uint64(len(r.b)/size) {
		r.fail("damaged at %s: %d of them in %d bytes", what, n, len(r.b))
		return 0
	}
	return int(n)
}

func (r *cacheReader) str(what string) string {
	i := r.uvarint(what)
	if i >= uint64(len(r.table)) {
		r.fail("damaged at %s: string %d of %d", what, i, len(r.table))
		return ""
	}
	return r.table[i]
}

func (r *cacheReader) num(what string) uint {
	return uint(r.uvarint(what))
}

func (r *cacheReader) when(what string) time.Time {
	if r.err != nil {
		return time.Time{}
	}
	sec, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail("damaged at %s", what)
		return time.Time{}
	}
	r.b = r.b[n:]
	nsec := r.uvarint(what)
	if nsec >= uint64(time.Second) {
		r.fail("damaged at %s: %d nanoseconds", what, nsec)
		return time.Time{}
	}
	return time.Unix(sec, int64(nsec)).UTC()
}

// incidentMinBytes is the least an incident takes in format 2: one byte
// for each of its 20 fields.
const incidentMinBytes = 20

// decodeIncidents reads what encodeIncidents wrote after its format byte.
// The table's strings share one allocation, each passed once through
// today's sanitizer (see resanitize); the references share another.
func decodeIncidents(b []byte) ([]pagerduty.Incident, error) {
	r := &cacheReader{b: b}
	n := r.count("the string count", 1)
	lens := r.b // the lengths, read twice: to sum them, then to cut
	total := 0
	for range n {
		total += r.count("a string length", 1)
	}
	if r.err == nil && total > len(r.b) {
		r.fail("damaged: %d bytes of strings in %d", total, len(r.b))
	}
	if r.err != nil {
		return nil, r.err
	}
	all := string(r.b[:total]) // a copy: b may live in the memory map
	r.b = r.b[total:]
	r.table = make([]string, n)
	for i := range r.table {
		l, k := binary.Uvarint(lens)
		lens = lens[k:]
		r.table[i] = sanitize.Line(all[:l])
		all = all[l:]
	}
	count := r.count("the incident count", incidentMinBytes)
	slab := make([]pagerduty.Ref, 0, r.count("the reference count", 2))
	refList := func(what string) []pagerduty.Ref {
		k := r.count(what, 2)
		if k == 0 || r.err != nil {
			return nil
		}
		start := len(slab)
		for range k {
			slab = append(slab, pagerduty.Ref{ID: r.str(what), Name: r.str(what)})
		}
		return slab[start:len(slab):len(slab)]
	}
	out := make([]pagerduty.Incident, count)
	for i := range out {
		in := &out[i]
		in.ID = r.str("an incident id")
		in.Number = r.num("an incident number")
		in.Title = r.str("a title")
		in.Status = r.str("a status")
		in.Urgency = r.str("an urgency")
		in.Priority = r.str("a priority")
		in.Service = pagerduty.Ref{ID: r.str("a service"), Name: r.str("a service")}
		in.Teams = refList("the teams")
		in.Assignees = refList("the assignees")
		in.EscalationPolicy = pagerduty.Ref{ID: r.str("an escalation policy"), Name: r.str("an escalation policy")}
		in.CreatedAt = r.when("a creation time")
		in.LastChangeAt = r.when("a status change time")
		in.HTMLURL = r.str("a link")
		in.AlertCounts = pagerduty.Counts{All: r.num("the alert counts"), Triggered: r.num("the alert counts"), Resolved: r.num("the alert counts")}
		if r.err != nil {
			return nil, r.err
		}
	}
	switch {
	case r.err != nil:
		return nil, r.err
	case len(r.b) != 0:
		return nil, fmt.Errorf("damaged: %d bytes after the last incident", len(r.b))
	}
	return out, nil
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
