package journal

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"sitrep/sources/pagerduty"
)

// fullIncident has every field set, so that a field the cache format
// forgets shows as a difference after the round trip.
func fullIncident() pagerduty.Incident {
	return pagerduty.Incident{
		ID: "Q1ABCDEF", Number: 1<<40 + 7, Title: "Payments: 5xx über 5 % — 決済", Status: pagerduty.StatusAcknowledged,
		Urgency: pagerduty.UrgencyLow, Priority: "P2",
		Service:          pagerduty.Ref{ID: "PSVC", Name: "payment-gateway"},
		Teams:            []pagerduty.Ref{{ID: "PT1", Name: "Payments"}, {ID: "PT2", Name: ""}},
		Assignees:        []pagerduty.Ref{{ID: "PU1", Name: "Ana Ops"}},
		EscalationPolicy: pagerduty.Ref{ID: "PEP", Name: "Payments primary"},
		CreatedAt:        time.Date(2026, 11, 29, 3, 4, 5, 123456789, time.UTC),
		LastChangeAt:     time.Date(1969, 7, 20, 20, 17, 0, 1, time.UTC), // before the epoch
		HTMLURL:          "https://example.pagerduty.com/incidents/Q1ABCDEF",
		AlertCounts:      pagerduty.Counts{All: 3, Triggered: 2, Resolved: 1},
	}
}

func TestIncidentCacheRoundTrip(t *testing.T) {
	full := fullIncident()
	v := reflect.ValueOf(full)
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			t.Fatalf("fullIncident leaves %s zero: set it, and give the cache format a new number if it must carry it", v.Type().Field(i).Name)
		}
	}
	sparse := pagerduty.Incident{ID: "Q2", Title: "no teams, no assignees, no times"}
	want := []pagerduty.Incident{full, sparse, full}
	j, _ := openTemp(t, Options{})
	if err := j.SaveIncidents("all", t0, want); err != nil {
		t.Fatal(err)
	}
	got, at, err := j.LoadIncidents("all")
	if err != nil || !at.Equal(t0) {
		t.Fatalf("LoadIncidents: %v at %v", err, at)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
	}
	// The incidents share their reference slab; appending to one list
	// must not write into the next incident's.
	got[0].Teams = append(got[0].Teams, pagerduty.Ref{ID: "X"})
	if got[0].Assignees[0].ID != "PU1" {
		t.Errorf("appending to a team list changed the assignees: %+v", got[0].Assignees)
	}
	// An empty list saves and loads as empty.
	if err := j.SaveIncidents("mine", t0, nil); err != nil {
		t.Fatal(err)
	}
	if got, _, err := j.LoadIncidents("mine"); err != nil || len(got) != 0 {
		t.Errorf("empty list loads as %v, %v", got, err)
	}
}

// putCache writes a cached list's raw value, as an older or newer sitrep
// (or a damaged disk) would have.
func putCache(t *testing.T, path, scope string, at time.Time, body []byte) {
	t.Helper()
	rewrite(t, path, func(tx *bolt.Tx) error {
		v := binary.BigEndian.AppendUint64(nil, uint64(at.UnixNano()))
		return tx.Bucket(bucketCache).Put([]byte(scope), append(v, body...))
	})
}

// A cache written by sitrep before format 2 (JSON) still draws the
// first frame, sanitized like any other.
func TestIncidentCacheReadsJSON(t *testing.T) {
	j, path := openTemp(t, Options{})
	j.Close()
	old := []pagerduty.Incident{fullIncident(), {ID: "Q2", Title: "evil \x1b]0;owned\x07title"}}
	blob, err := json.Marshal(old)
	if err != nil {
		t.Fatal(err)
	}
	putCache(t, path, "all", t0, blob)
	j, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	got, at, err := j.LoadIncidents("all")
	if err != nil || len(got) != 2 || !at.Equal(t0) {
		t.Fatalf("LoadIncidents of a JSON cache: %d, %v, %v", len(got), at, err)
	}
	if !reflect.DeepEqual(got[0], old[0]) {
		t.Errorf("JSON cache:\n got %+v\nwant %+v", got[0], old[0])
	}
	if got[1].Title != "evil title" {
		t.Errorf("JSON cache title loads as %q", got[1].Title)
	}
	// The next save writes format 2 over it.
	if err := j.SaveIncidents("all", t0, got); err != nil {
		t.Fatal(err)
	}
	again, _, err := j.LoadIncidents("all")
	if err != nil || !reflect.DeepEqual(again, got) {
		t.Errorf("after saving over the JSON cache: %v, %v", again, err)
	}
}

// A format this sitrep does not know, or a damaged list, is an error that
// says what and that a refresh replaces it: never a panic, never an empty
// list passed off as the cache.
func TestIncidentCacheRefusesWhatItCannotRead(t *testing.T) {
	j, path := openTemp(t, Options{})
	if err := j.SaveIncidents("all", t0, []pagerduty.Incident{fullIncident(), fullIncident()}); err != nil {
		t.Fatal(err)
	}
	j.Close()
	good := encodeIncidents(nil, []pagerduty.Incident{fullIncident(), fullIncident()})
	tests := []struct {
		name string
		body []byte
		want string
	}{
		{"newer format", append([]byte{9}, good[1:]...), "cache format 9 is not one this sitrep reads"},
		{"truncated", good[:len(good)-3], "damaged"},
		{"trailing bytes", append(append([]byte(nil), good...), 0), "after the last incident"},
		{"huge count", append([]byte{cacheFormat}, binary.AppendUvarint(nil, 1<<60)...), "damaged at the string count"},
		{"bad JSON", []byte(`[{"id":`), "unexpected end of JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			putCache(t, path, "all", t0, tt.body)
			j, err := Open(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer j.Close()
			got, _, err := j.LoadIncidents("all")
			if err == nil || got != nil {
				t.Fatalf("LoadIncidents = %d incidents, %v; want an error", len(got), err)
			}
			for _, want := range []string{tt.want, "replaced on the next refresh", path} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
		})
	}
}

// Every prefix of a valid list, and every single damaged byte, decodes to
// an error or to incidents: never a panic.
func TestIncidentCacheDamageNeverPanics(t *testing.T) {
	good := encodeIncidents(nil, []pagerduty.Incident{fullIncident(), {ID: "Q2"}, fullIncident()})[1:]
	for n := range len(good) {
		if _, err := decodeIncidents(good[:n]); err == nil {
			t.Errorf("a list cut to %d of %d bytes decoded without an error", n, len(good))
		}
	}
	for i := range good {
		for _, b := range []byte{0, 0x7f, 0x80, 0xff} {
			bad := append([]byte(nil), good...)
			bad[i] = b
			decodeIncidents(bad)
		}
	}
}

func FuzzDecodeIncidents(f *testing.F) {
	f.Add(encodeIncidents(nil, []pagerduty.Incident{fullIncident(), {ID: "Q2"}})[1:])
	f.Add(encodeIncidents(nil, nil)[1:])
	f.Add([]byte{1, 3, 'a', 'b', 'c'})
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := decodeIncidents(b)
		if err != nil {
			return
		}
		// What decodes encodes and decodes to the same incidents.
		again, err := decodeIncidents(encodeIncidents(nil, got)[1:])
		if err != nil || !reflect.DeepEqual(again, got) {
			t.Errorf("re-encoded list: %v, %v; want %v", again, err, got)
		}
	})
}

// BenchmarkIncidentCacheDecode compares the two formats' decoding (with
// sanitizing) of the same list, the cost the first frame waits for.
func BenchmarkIncidentCacheDecode(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		list := makeIncidents(n)
		compact := encodeIncidents(nil, list)[1:]
		js, _ := json.Marshal(list)
		b.Run(fmt.Sprintf("format2/%d", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(compact)))
			for b.Loop() {
				if got, err := decodeIncidents(compact); err != nil || len(got) != n {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("json/%d", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(js)))
			for b.Loop() {
				var got []pagerduty.Incident
				if err := json.Unmarshal(js, &got); err != nil {
					b.Fatal(err)
				}
				for i := range got {
					resanitize(&got[i])
				}
			}
		})
	}
}
