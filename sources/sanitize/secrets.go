package sanitize

import (
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// Mask replaces every secret sitrep hides.
const Mask = "***"

// Secrets is the set of secret values sitrep holds — the PagerDuty token,
// token_cmd output, bearer tokens, secret header values, webhook URLs —
// and the one place text is redacted before it is shown or journaled.
// Whatever echoes a secret back (a proxy quoting the Authorization header,
// a command printing its environment), the value itself is masked.
//
// A set may inherit another (Inherit): it then redacts everything the
// other knows too, now and later, while what is added to it stays its own.
// The zero value is an empty set, and a nil *Secrets knows no values. It
// is safe for concurrent use.
type Secrets struct {
	mu     sync.RWMutex
	parent *Secrets
	// values is replaced, never changed in place, so a reader may keep
	// it after unlocking. Longest first: a secret that contains another
	// is masked whole.
	values []string
}

// minSecret is the shortest value taught: masking every "a" would mask
// nothing useful and garble everything else.
const minSecret = 4

// Add teaches the set a secret value, and its URL-encoded form when that
// differs (a token quoted back inside a URL).
func (s *Secrets) Add(secret string) {
	if s == nil {
		return
	}
	secret = strings.TrimSpace(secret)
	if len(secret) < minSecret {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	next := append([]string(nil), s.values...)
	for _, v := range []string{secret, url.QueryEscape(secret)} {
		if !listHas(next, v) {
			next = append(next, v)
		}
	}
	sort.SliceStable(next, func(i, j int) bool { return len(next[i]) > len(next[j]) })
	s.values = next
}

// Inherit makes s redact everything parent knows as well.
func (s *Secrets) Inherit(parent *Secrets) {
	if s == nil || parent == s {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.parent = parent
}

// Root is the set at the top of s's inheritance: a value added there is
// redacted everywhere, not only where it was learnt.
func (s *Secrets) Root() *Secrets {
	for s != nil {
		s.mu.RLock()
		p := s.parent
		s.mu.RUnlock()
		if p == nil {
			return s
		}
		s = p
	}
	return nil
}

// known is every value s and its ancestors hold, longest first. With one
// set holding values (the common case) it is that set's own slice, which
// is never changed in place, so a frame's check allocates nothing.
func (s *Secrets) known() []string {
	var out []string
	merged := false
	for depth := 0; s != nil && depth < 8; depth++ {
		s.mu.RLock()
		vals, p := s.values, s.parent
		s.mu.RUnlock()
		switch {
		case len(vals) == 0:
		case out == nil:
			out = vals
		default:
			if !merged {
				out = append([]string(nil), out...)
				merged = true
			}
			out = append(out, vals...)
		}
		s = p
	}
	if merged {
		sort.SliceStable(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	}
	return out
}

// RedactValues masks the known secret values in text and nothing else:
// for the journal, where what was written must stay as it was but for the
// secrets in it.
func (s *Secrets) RedactValues(text string) string {
	return s.RedactValuesAs(text, Mask)
}

// RedactValuesAs is RedactValues with another mask, for documents in
// which Mask would mean something (in markdown, *** is a rule).
func (s *Secrets) RedactValuesAs(text, mask string) string {
	for _, v := range s.known() {
		if strings.Contains(text, v) {
			text = strings.ReplaceAll(text, v, mask)
		}
	}
	return text
}

// ContainsAny reports whether text holds a known secret value.
func (s *Secrets) ContainsAny(text string) bool {
	for _, v := range s.known() {
		if strings.Contains(text, v) {
			return true
		}
	}
	return false
}

// Redact masks the known secret values in text, and anything that looks
// like a credential though sitrep was never told it (Authorization
// headers, token=…, Bearer …, AWS and GitHub keys, long key-like runs):
// for messages and command output, where a secret sitrep does not know
// may still turn up.
func (s *Secrets) Redact(text string) string {
	text = s.RedactValues(text)
	lower := strings.ToLower(text)
	long := hasLongRun(text, 32)
	for _, x := range credentials {
		if x.hints == nil && !long || x.hints != nil && !anyHint(lower, x.hints) {
			continue
		}
		text = x.re.ReplaceAllString(text, x.repl)
	}
	if !long {
		return text
	}
	return base64ish.ReplaceAllStringFunc(text, func(m string) string {
		if keyLike(m) {
			return Mask
		}
		return m
	})
}

// Error is how an error becomes text on a screen: one line, stripped of
// control sequences (an error may quote an answer's body or a command's
// stderr), with secrets redacted. Sanitizing first means an escape
// sequence cannot split a secret and so hide it from redaction.
func (s *Secrets) Error(err error) string {
	if err == nil {
		return ""
	}
	return s.Redact(Line(err.Error()))
}

// Quote is the part of outside text (an error body, a command's stderr)
// that a message may quote: its first non-blank line, sanitized, redacted
// and cut to at most limit bytes (and an ellipsis).
func (s *Secrets) Quote(text string, limit int) string {
	for _, line := range strings.Split(Text(text), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		line = s.Redact(Line(line))
		if limit > 0 && len(line) > limit {
			line = strings.ToValidUTF8(line[:limit], "") + "…"
		}
		return line
	}
	return ""
}

func listHas(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// credentials are tried only when their cheap hint (a lower-case
// substring) occurs, so plain text costs one pass or two.
var credentials = []struct {
	hints []string // any of these in the lower-cased text; nil: a long run
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

func anyHint(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
