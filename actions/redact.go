package actions

import "sitrep/sources/sanitize"

// Mask replaces every secret sitrep hides.
const Mask = sanitize.Mask

// Redactor hides secrets in a plan's text before it is shown or journaled:
// the secrets sitrep holds (a plan's redactor inherits Engine.Secrets), the
// values the plan itself learnt (variables passed through to its
// children), and anything that looks like a credential. A value every
// message must hide, not only the plan's (a secret header, a webhook URL),
// is added to Root(). It is safe for concurrent use.
type Redactor struct{ sanitize.Secrets }

// Redact returns s with secrets masked. A nil Redactor knows no values but
// still masks what looks like a credential.
func (r *Redactor) Redact(s string) string {
	if r == nil {
		return (*sanitize.Secrets)(nil).Redact(s)
	}
	return r.Secrets.Redact(s)
}

// RedactRecord returns rec with every free-text field redacted.
func (r *Redactor) RedactRecord(rec Record) Record {
	rec.Command = r.redactAll(rec.Command)
	rec.BlastRadius = r.redactAll(rec.BlastRadius)
	rec.DryRun = r.Redact(rec.DryRun)
	rec.Verdict = r.Redact(rec.Verdict)
	rec.Result = r.Redact(rec.Result)
	rec.Output = r.Redact(rec.Output)
	rec.Explain = r.Redact(rec.Explain)
	return rec
}

func (r *Redactor) redactAll(in []string) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = r.Redact(s)
	}
	return out
}
