package actions

import (
	"regexp"
	"sort"
	"strings"
	"sync"
)

// Mask replaces every secret sitrep hides.
const Mask = "***"

// Redactor hides secrets in text before it is shown or journaled: the
// known secret values it has been told about, and anything that looks like
// a credential (Authorization headers, token=…, Bearer …, AWS keys, long
// key-like hex and base64 runs). It is safe for concurrent use.
type Redactor struct {
	mu      sync.RWMutex
	secrets []string // longest first, so a secret containing another goes whole
}

// Add teaches the redactor a secret value. Values shorter than 4 bytes
// are ignored: hiding every "a" would hide nothing useful.
func (r *Redactor) Add(secret string) {
	secret = strings.TrimSpace(secret)
	if len(secret) < 4 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.secrets {
		if s == secret {
			return
		}
	}
	r.secrets = append(r.secrets, secret)
	sort.Slice(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
}

// redactions are tried only when their cheap hint (a lower-case
// substring) occurs, so plain output costs one pass or two.
var redactions = []struct {
	hints []string // any of these in the lower-cased text; nil: longRun
	re    *regexp.Regexp
	repl  string
}{
	{[]string{"authorization"}, regexp.MustCompile(`(?i)(\b(?:proxy-)?authorization\s*[:=]\s*)[^\r\n]+`), "${1}" + Mask},
	{[]string{"bearer"}, regexp.MustCompile(`(?i)(\bbearer\s+)[A-Za-z0-9._~+/=-]+`), "${1}" + Mask},
	{[]string{"basic"}, regexp.MustCompile(`(?i)(\bbasic\s+)[A-Za-z0-9+/=]{8,}`), "${1}" + Mask},
	{[]string{"token", "secret", "passw", "key"}, regexp.MustCompile(`(?i)(\b(?:[a-z0-9_-]*(?:token|secret|password|passwd|api_?key|access_?key|session_?key)[a-z0-9_-]*)["']?\s*[=:]\s*["']?)[^\s"'&,;]+`), "${1}" + Mask},
	{[]string{"akia", "asia", "agpa", "aida", "aroa"}, regexp.MustCompile(`\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[A-Z0-9]{16}\b`), Mask},
	{[]string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "xox", "glpat-", "sk-"}, regexp.MustCompile(`\b(?:gh[pousr]_[A-Za-z0-9]{30,}|xox[abprs]-[A-Za-z0-9-]{10,}|glpat-[A-Za-z0-9_-]{20,}|sk-[A-Za-z0-9_-]{20,})`), Mask},
	// URL userinfo: scheme://user:password@host keeps the user. The
	// password runs to the last @ before the path, as URL parsers read it.
	{[]string{"://"}, regexp.MustCompile(`(\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]*:)[^\s/]*@`), "${1}" + Mask + "@"},
	{[]string{"private key"}, regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)`), Mask},
	{nil, regexp.MustCompile(`\b[0-9a-fA-F]{48,}\b`), Mask},
}

// hasLongRun reports whether s has n or more key characters in a row,
// the precondition of the hex and base64 rules.
func hasLongRun(s string, n int) bool {
	run := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '_' || c == '-' {
			run++
			if run >= n {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

// base64ish finds long runs that may be keys; keyLike decides.
var base64ish = regexp.MustCompile(`[A-Za-z0-9+/_-]{32,}={0,2}`)

// keyLike reports whether a long run mixes upper case, lower case and
// digits, as generated keys do and words, paths and hostnames do not.
func keyLike(s string) bool {
	var up, low, dig bool
	for _, c := range s {
		switch {
		case c >= 'A' && c <= 'Z':
			up = true
		case c >= 'a' && c <= 'z':
			low = true
		case c >= '0' && c <= '9':
			dig = true
		}
	}
	return up && low && dig && !strings.Contains(s, "/")
}

// Redact returns s with secrets masked.
func (r *Redactor) Redact(s string) string {
	if r != nil {
		r.mu.RLock()
		for _, sec := range r.secrets {
			s = strings.ReplaceAll(s, sec, Mask)
		}
		r.mu.RUnlock()
	}
	lower := strings.ToLower(s)
	long := hasLongRun(s, 32)
	for _, x := range redactions {
		if x.hints == nil && !long || x.hints != nil && !containsAny(lower, x.hints) {
			continue
		}
		s = x.re.ReplaceAllString(s, x.repl)
	}
	if !long {
		return s
	}
	return base64ish.ReplaceAllStringFunc(s, func(m string) string {
		if keyLike(m) {
			return Mask
		}
		return m
	})
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
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
