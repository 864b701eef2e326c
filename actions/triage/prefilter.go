package triage

import (
	"bytes"
	"regexp/syntax"
	"strings"
)

// A regular expression with case-insensitive alternatives costs tens of
// microseconds per title in Go's backtracker; ten thousand incidents times
// the built-in rules would take most of a second. Most titles contain none
// of the words a rule looks for, so each pattern carries the literals one of
// which any match must contain, and a text without any of them is refused
// before the regular expression runs. The check is ASCII and
// case-insensitive; a text with other characters always goes to the regular
// expression (case folding outside ASCII maps K to the Kelvin sign).

// requiredLiterals returns lower-case ASCII strings one of which every
// match of src contains, or nil when no such set is known.
func requiredLiterals(src string) []string {
	re, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return nil
	}
	lits, ok := required(re.Simplify())
	if !ok {
		return nil
	}
	for _, l := range lits {
		if l == "" || !isASCII(l) {
			return nil
		}
	}
	return lits
}

// required is the literal set of re: any match of re contains one of them.
func required(re *syntax.Regexp) ([]string, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		return []string{strings.ToLower(string(re.Rune))}, true
	case syntax.OpCapture:
		return required(re.Sub[0])
	case syntax.OpPlus:
		return required(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return required(re.Sub[0])
		}
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			lits, ok := required(sub)
			if !ok {
				return nil, false
			}
			out = append(out, lits...)
		}
		return out, true
	case syntax.OpConcat:
		// The child whose shortest literal is longest filters best.
		var best []string
		bestLen := 0
		for _, sub := range re.Sub {
			lits, ok := required(sub)
			if !ok {
				continue
			}
			if n := shortest(lits); n > bestLen {
				best, bestLen = lits, n
			}
		}
		return best, best != nil
	}
	return nil, false
}

func shortest(lits []string) int {
	n := -1
	for _, l := range lits {
		if n < 0 || len(l) < n {
			n = len(l)
		}
	}
	return n
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// mayMatch is false only when the ASCII text s contains none of the
// literals, ignoring case.
func mayMatch(s string, lits []string) bool {
	if lits == nil || !isASCII(s) {
		return true
	}
	var buf [256]byte
	if len(s) > len(buf) {
		for _, l := range lits {
			if containsFold(s, l) {
				return true
			}
		}
		return false
	}
	low := buf[:len(s)]
	for i := 0; i < len(s); i++ {
		low[i] = lower(s[i])
	}
	for _, l := range lits {
		if bytes.Contains(low, []byte(l)) {
			return true
		}
	}
	return false
}

// containsFold reports whether the ASCII text s contains the lower-case
// ASCII literal l, ignoring case.
func containsFold(s, l string) bool {
	n := len(l)
	for i := 0; i+n <= len(s); i++ {
		j := 0
		for j < n && lower(s[i+j]) == l[j] {
			j++
		}
		if j == n {
			return true
		}
	}
	return false
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
