package recorder

import (
	"bytes"
	"encoding/json"

	"sitrep/sources/sanitize"
	"sitrep/store/journal"
)

// SetSecrets makes the recorder redact secrets by value from every entry
// it journals and every export it renders. Call it before use.
func (r *Recorder) SetSecrets(s *sanitize.Secrets) { r.secrets = s }

// redact masks the known secrets in an entry and strips control
// sequences from its summary: an entry may quote an error that quotes a
// server's answer. Data is rewritten only when it holds a secret, and
// stays valid JSON.
func (r *Recorder) redact(e journal.Entry) journal.Entry {
	e.Summary = r.secrets.RedactValues(sanitize.Text(e.Summary))
	if len(e.Data) == 0 || !r.secrets.ContainsAny(string(e.Data)) {
		return e
	}
	var v any
	if err := json.Unmarshal(e.Data, &v); err != nil {
		e.Data = []byte(r.secrets.RedactValues(string(e.Data)))
		return e
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r.redactJSON(v)); err == nil {
		e.Data = bytes.TrimRight(buf.Bytes(), "\n")
	}
	return e
}

func (r *Recorder) redactJSON(v any) any {
	switch x := v.(type) {
	case string:
		return r.secrets.RedactValues(x)
	case []any:
		for i := range x {
			x[i] = r.redactJSON(x[i])
		}
	case map[string]any:
		for k, val := range x {
			x[k] = r.redactJSON(val)
		}
	}
	return v
}
