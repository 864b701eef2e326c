package recorder

import (
	"context"
	"encoding/json"
	"sync"

	"sitrep/store/journal"
)

// KindTriage is the entry kind of an incident's classification: written
// when the incident is first classified and whenever its class changes,
// with the class, the why and the evidence in Data.
const KindTriage = "triage"

// triageMu keeps the check for a repeated class and the write together,
// so that two classifications of one incident arriving at once write one
// entry.
var triageMu sync.Mutex

// triageRepeats says whether e names the same class as the incident's
// last triage entry, so writing it would add nothing.
func (r *Recorder) triageRepeats(ctx context.Context, e journal.Entry) (bool, error) {
	class := triageClass(e.Data)
	last, seen := "", false
	err := r.j.EachOf(ctx, e.Incident, func(x journal.Entry) error {
		if x.Kind == KindTriage {
			last, seen = triageClass(x.Data), true
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	return seen && last == class, nil
}

// triageClass is the class a triage entry's Data names ("" when it names
// none).
func triageClass(data json.RawMessage) string {
	var d struct {
		Class string `json:"class"`
	}
	if json.Unmarshal(data, &d) != nil {
		return ""
	}
	return d.Class
}
