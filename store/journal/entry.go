package journal

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"sitrep/sources/sanitize"
)

// Entry is one event in the journal.
type Entry struct {
	// Seq is the entry's place in the journal: 1 for the first entry, one
	// more for each entry after it, never reused. The journal assigns it.
	Seq uint64 `json:"seq"`
	// At is when the event happened (PagerDuty's timestamp for a log
	// entry). A zero At is set to Recorded.
	At time.Time `json:"at"`
	// Recorded is when the journal wrote the entry. The journal sets it.
	Recorded time.Time `json:"recorded"`
	// Incident is the PagerDuty incident ID, or empty for events that
	// belong to no incident.
	Incident string `json:"incident,omitempty"`
	// Kind says what happened: seen, status.acknowledge, note, pin,
	// action.<step>, ... (lower case letters, digits and ._-).
	Kind string `json:"kind"`
	// Actor is the PagerDuty user name, or "sitrep" for automation.
	Actor string `json:"actor,omitempty"`
	// Summary is one line for people.
	Summary string `json:"summary,omitempty"`
	// Data is the event's details as JSON, at most MaxData bytes; larger
	// data is replaced by a truncation marker (see TruncateData).
	Data json.RawMessage `json:"data,omitempty"`
	// SourceID is an optional key that makes appends idempotent
	// (pd:log:R123): an entry whose SourceID is already in the journal is
	// not written again.
	SourceID string `json:"source_id,omitempty"`
	// Prev is the hash of the entry before this one (zero for the first)
	// and Hash this entry's own hash; see Canonical.
	Prev Hash `json:"prev"`
	Hash Hash `json:"hash"`
}

// Actor names used by sitrep itself.
const ActorSitrep = "sitrep"

// Limits on an entry's fields. Data above MaxData is truncated with a
// marker; the other fields are refused when too long, because they are
// keys or are meant to be short.
const (
	MaxData     = 64 << 10
	MaxSummary  = 2 << 10
	MaxIncident = 256
	MaxKind     = 64
	MaxActor    = 256
	MaxSourceID = 512
)

// Hash is a SHA-256 digest. It prints and marshals as lower-case hex.
type Hash [sha256.Size]byte

// String returns the hash in hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// IsZero reports whether h is all zero, as the first entry's Prev is.
func (h Hash) IsZero() bool { return h == Hash{} }

// MarshalText implements encoding.TextMarshaler.
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (h *Hash) UnmarshalText(b []byte) error {
	if hex.DecodedLen(len(b)) != len(h) {
		return fmt.Errorf("hash %q: want %d hex digits", b, 2*len(h))
	}
	_, err := hex.Decode(h[:], b)
	return err
}

// canonicalVersion is the first byte of every canonical encoding. A change
// to the encoding is a new version and a new schema.
const canonicalVersion = 1

// Canonical returns the bytes an entry's Hash is computed over. It is the
// entry's stored form too (followed by the 32-byte hash), so what is hashed
// is exactly what is kept:
//
//	version   1 byte, 0x01
//	then ten fields, in this order, each as a 4-byte big-endian length
//	followed by that many bytes:
//	  Seq       8 bytes, big-endian
//	  At        UTC, RFC 3339 with nanoseconds (time.RFC3339Nano)
//	  Recorded  UTC, RFC 3339 with nanoseconds
//	  Incident  UTF-8
//	  Kind      UTF-8
//	  Actor     UTF-8
//	  Summary   UTF-8
//	  Data      compact JSON as stored (empty when there is none)
//	  SourceID  UTF-8
//	  Prev      32 bytes
//
// Hash = SHA-256(Canonical). Length prefixes make the encoding unambiguous:
// no two different entries encode to the same bytes.
func (e Entry) Canonical() []byte {
	return e.appendCanonical(nil)
}

func (e Entry) appendCanonical(b []byte) []byte {
	at := e.At.UTC().Format(time.RFC3339Nano)
	rec := e.Recorded.UTC().Format(time.RFC3339Nano)
	n := 1 + 10*4 + 8 + len(at) + len(rec) + len(e.Incident) + len(e.Kind) + len(e.Actor) +
		len(e.Summary) + len(e.Data) + len(e.SourceID) + len(e.Prev)
	if cap(b)-len(b) < n+len(e.Hash) {
		nb := make([]byte, len(b), len(b)+n+len(e.Hash))
		copy(nb, b)
		b = nb
	}
	b = append(b, canonicalVersion)
	var seq [8]byte
	binary.BigEndian.PutUint64(seq[:], e.Seq)
	b = appendField(b, seq[:])
	b = appendField(b, []byte(at))
	b = appendField(b, []byte(rec))
	b = appendField(b, []byte(e.Incident))
	b = appendField(b, []byte(e.Kind))
	b = appendField(b, []byte(e.Actor))
	b = appendField(b, []byte(e.Summary))
	b = appendField(b, e.Data)
	b = appendField(b, []byte(e.SourceID))
	b = appendField(b, e.Prev[:])
	return b
}

func appendField(b, f []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(f)))
	return append(b, f...)
}

// ComputeHash returns SHA-256 over e's canonical encoding. It ignores e.Hash.
func (e Entry) ComputeHash() Hash {
	return sha256.Sum256(e.Canonical())
}

// encode returns the stored form: canonical encoding then Hash.
func (e Entry) encode() []byte {
	b := e.appendCanonical(nil)
	return append(b, e.Hash[:]...)
}

// errUndecodable is wrapped by decode errors.
var errUndecodable = errors.New("undecodable entry")

// decode parses a stored entry. It copies everything out of v, which may
// point into bbolt's memory map. It never panics on bad input.
func decode(v []byte) (Entry, error) {
	var e Entry
	if len(v) < 1+len(e.Hash) {
		return e, fmt.Errorf("%w: %d bytes is too short", errUndecodable, len(v))
	}
	if v[0] != canonicalVersion {
		return e, fmt.Errorf("%w: encoding version %d, want %d", errUndecodable, v[0], canonicalVersion)
	}
	body := v[:len(v)-len(e.Hash)]
	copy(e.Hash[:], v[len(body):])
	// Field i is body[off[i]:off[i]+n[i]].
	var off, n [10]int
	pos := 1
	for i := range off {
		if len(body)-pos < 4 {
			return e, fmt.Errorf("%w: field %d: cut short", errUndecodable, i)
		}
		l := binary.BigEndian.Uint32(body[pos:])
		pos += 4
		if uint64(l) > uint64(len(body)-pos) {
			return e, fmt.Errorf("%w: field %d: length %d past the end", errUndecodable, i, l)
		}
		off[i], n[i] = pos, int(l)
		pos += int(l)
	}
	if pos != len(body) {
		return e, fmt.Errorf("%w: %d bytes after the last field", errUndecodable, len(body)-pos)
	}
	field := func(i int) []byte { return body[off[i] : off[i]+n[i]] }
	if n[0] != 8 {
		return e, fmt.Errorf("%w: seq is %d bytes", errUndecodable, n[0])
	}
	e.Seq = binary.BigEndian.Uint64(field(0))
	// The text fields are copied out of bbolt's memory once, as one
	// string, and sliced: one allocation instead of six.
	text := string(body[off[1] : off[8]+n[8]])
	str := func(i int) string { return text[off[i]-off[1] : off[i]-off[1]+n[i]] }
	var err error
	if e.At, err = time.Parse(time.RFC3339Nano, str(1)); err != nil {
		return e, fmt.Errorf("%w: at: %v", errUndecodable, err)
	}
	if e.Recorded, err = time.Parse(time.RFC3339Nano, str(2)); err != nil {
		return e, fmt.Errorf("%w: recorded: %v", errUndecodable, err)
	}
	e.At, e.Recorded = e.At.UTC(), e.Recorded.UTC()
	e.Incident = str(3)
	e.Kind = str(4)
	e.Actor = str(5)
	e.Summary = str(6)
	if n[7] > 0 {
		e.Data = append(json.RawMessage(nil), field(7)...)
	}
	e.SourceID = str(8)
	if n[9] != len(e.Prev) {
		return e, fmt.Errorf("%w: prev is %d bytes", errUndecodable, n[9])
	}
	copy(e.Prev[:], field(9))
	return e, nil
}

// ErrInvalidEntry is wrapped by errors about an entry refused by Append.
var ErrInvalidEntry = errors.New("invalid journal entry")

// normalize checks e and brings it into its stored form: times in UTC
// without monotonic readings, one-line summary and actor, compact bounded
// data. Seq, Recorded, Prev and Hash are set later by the appender.
func normalize(e Entry) (Entry, error) {
	bad := func(format string, args ...any) (Entry, error) {
		return e, fmt.Errorf("%w: %s", ErrInvalidEntry, fmt.Sprintf(format, args...))
	}
	if err := checkKind(e.Kind); err != nil {
		return bad("%v", err)
	}
	if len(e.Incident) > MaxIncident || !utf8.ValidString(e.Incident) {
		return bad("incident ID is longer than %d bytes or not UTF-8", MaxIncident)
	}
	if len(e.SourceID) > MaxSourceID || !utf8.ValidString(e.SourceID) {
		return bad("source ID is longer than %d bytes or not UTF-8", MaxSourceID)
	}
	for _, t := range []time.Time{e.At, e.Recorded} {
		if !t.IsZero() && (t.UTC().Year() < 1 || t.UTC().Year() > 9999) {
			return bad("time %v is outside years 1 to 9999", t)
		}
	}
	e.Incident = sanitize.Line(e.Incident)
	e.SourceID = sanitize.Line(e.SourceID)
	e.Actor = clip(sanitize.Line(e.Actor), MaxActor)
	e.Summary = clip(sanitize.Line(e.Summary), MaxSummary)
	if len(e.Data) > 0 {
		d, err := compactData(e.Data)
		if err != nil {
			return bad("data: %v", err)
		}
		e.Data = d
	}
	return e, nil
}

func checkKind(k string) error {
	if k == "" {
		return errors.New("kind is empty")
	}
	if len(k) > MaxKind {
		return fmt.Errorf("kind %.20q... is longer than %d bytes", k, MaxKind)
	}
	for _, c := range []byte(k) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("kind %q: only a-z, 0-9 and ._- are allowed", k)
		}
	}
	return nil
}

// clip cuts s to at most n bytes on a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = "…"
	cut := n - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}

func compactData(d json.RawMessage) (json.RawMessage, error) {
	if !json.Valid(d) {
		return nil, errors.New("not valid JSON")
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, d); err != nil {
		return nil, err
	}
	if buf.Len() <= MaxData {
		return buf.Bytes(), nil
	}
	return TruncateData(buf.Bytes()), nil
}

// TruncateData returns a valid JSON marker standing in for data larger
// than MaxData: {"truncated":true,"original_bytes":N,"head":"<start of the
// data as a string>"}. The result is at most MaxData bytes.
func TruncateData(d []byte) json.RawMessage {
	headLen := MaxData - 128
	for {
		if headLen > len(d) {
			headLen = len(d)
		}
		cut := headLen
		for cut > 0 && cut < len(d) && !utf8.RuneStart(d[cut]) {
			cut--
		}
		marker := struct {
			Truncated     bool   `json:"truncated"`
			OriginalBytes int    `json:"original_bytes"`
			Head          string `json:"head"`
		}{true, len(d), strings.ToValidUTF8(string(d[:cut]), "")}
		out, err := json.Marshal(marker)
		if err == nil && len(out) <= MaxData {
			return out
		}
		// Escaping grew the head (control bytes become \u00XX); try less.
		headLen /= 2
	}
}
