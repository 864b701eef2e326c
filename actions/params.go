package actions

import (
	"fmt"
	"regexp/syntax"
	"strconv"
	"strings"
)

// ParamError refuses a value that does not match its parameter's pattern,
// or that begins with "-" where its parameter does not allow that.
type ParamError struct {
	Action  string
	Param   string
	Pattern string
	Value   string // quoted, shortened and redacted for display
	Source  string // given, default, incident, caller
	// LeadingDash says the value matched its pattern but begins with "-"
	// and the parameter has no allow_leading_dash.
	LeadingDash bool
}

func (e *ParamError) Error() string {
	if e.LeadingDash {
		return fmt.Sprintf("%s: refused parameter %s=%s (%s): a leading \"-\" would be read as an option "+
			"(a parameter that takes such values says allow_leading_dash: true)",
			e.Action, e.Param, e.Value, e.Source)
	}
	return fmt.Sprintf("%s: refused parameter %s=%s (%s): it does not match the pattern ^(%s)$",
		e.Action, e.Param, e.Value, e.Source, e.Pattern)
}

// UnknownParamError refuses a parameter the action does not have.
type UnknownParamError struct {
	Action  string
	Param   string
	Known   []string
	Suggest string
}

func (e *UnknownParamError) Error() string {
	s := fmt.Sprintf("%s has no parameter --%s", e.Action, e.Param)
	if e.Suggest != "" {
		s += fmt.Sprintf(" (did you mean --%s?)", e.Suggest)
	}
	if len(e.Known) == 0 {
		return s + "; it takes no parameters"
	}
	return s + "; its parameters: --" + strings.Join(e.Known, ", --")
}

// MissingParamError refuses a run that lacks a parameter with no value
// from the incident, the caller or a default. Its text uses the command
// mode's --NAME syntax; the command line words it as --param NAME=VALUE.
type MissingParamError struct {
	Action  string
	Param   string
	Pattern string
}

func (e *MissingParamError) Error() string {
	return fmt.Sprintf("%s: missing parameter --%s (pattern ^(%s)$)", e.Action, e.Param, e.Pattern)
}

// displayValue quotes v for a message, shortened so a 10 KB value does not
// flood the screen.
func displayValue(v string) string {
	const max = 60
	if len(v) > max {
		return strconv.Quote(v[:max]) + fmt.Sprintf("…(%d bytes)", len(v))
	}
	return strconv.Quote(v)
}

// ResolveParams gives every parameter of a its value — given by the user,
// else from the incident, else from the caller, else its default — and
// checks every value against the parameter's anchored pattern, and that it
// does not begin with "-" unless the parameter allows it. Nothing is
// rendered or run unless every value passes.
func ResolveParams(a *Action, given map[string]string, t Target, caller map[string]string, red *Redactor) (map[string]string, error) {
	known := a.ParamNames()
	for _, k := range keys(given) {
		p, ok := a.Param(k)
		if !ok {
			return nil, &UnknownParamError{Action: a.Name, Param: k, Known: known, Suggest: closest(k, known)}
		}
		if p.From == FromCaller {
			return nil, fmt.Errorf("%s: parameter %s is set by sitrep, not on the command line", a.Name, k)
		}
	}
	vals := make(map[string]string, len(a.Params))
	for _, p := range a.Params {
		v, src, ok := "", "", false
		if gv, has := given[p.Name]; has {
			v, src, ok = gv, "given", true
		}
		if !ok {
			switch p.From {
			case FromService:
				v, src, ok = t.Service, "from the incident's service", t.Service != ""
			case FromEnv:
				v, src, ok = t.Env, "from the incident's environment", t.Env != ""
			case FromIncidentID:
				v, src, ok = t.IncidentID, "from the incident's ID", t.IncidentID != ""
			case FromIncidentNumber:
				v, src, ok = strconv.FormatUint(uint64(t.IncidentNumber), 10), "from the incident's number", t.IncidentNumber != 0
			case FromCaller:
				v, ok = caller[p.Name]
				src = "supplied by sitrep"
			}
		}
		if !ok && p.HasDef {
			v, src, ok = p.Default, "default", true
		}
		if !ok {
			return nil, &MissingParamError{Action: a.Name, Param: p.Name, Pattern: p.Pattern}
		}
		if !p.Match(v) {
			return nil, &ParamError{Action: a.Name, Param: p.Name, Pattern: p.Pattern, Value: red.Redact(displayValue(v)), Source: src}
		}
		if strings.HasPrefix(v, "-") && !p.AllowLeadingDash {
			// Passed as one argv element, "--all" is still an option to
			// the program that receives it; a pattern that admits a dash
			// rarely means that.
			return nil, &ParamError{Action: a.Name, Param: p.Name, Pattern: p.Pattern, Value: red.Redact(displayValue(v)), Source: src, LeadingDash: true}
		}
		vals[p.Name] = v
	}
	return vals, nil
}

// admitsLeadingDash reports whether pattern, matched anchored, accepts some
// value that begins with "-". It walks the parsed expression for the set of
// characters a match can start with; a pattern that cannot be parsed admits
// nothing (it is refused elsewhere).
func admitsLeadingDash(pattern string) bool {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return false
	}
	can, _ := startsWith(re.Simplify(), '-')
	return can
}

// startsWith reports whether a match of re can begin with r, and whether
// re can match the empty string (so what follows it can begin the match).
// Zero-width assertions are treated as empty: the answer may say yes
// where an assertion would forbid it, never no where a match exists.
func startsWith(re *syntax.Regexp, r rune) (can, empty bool) {
	switch re.Op {
	case syntax.OpNoMatch:
		return false, false
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return false, true
	case syntax.OpLiteral:
		if len(re.Rune) == 0 {
			return false, true
		}
		first := re.Rune[0]
		fold := re.Flags&syntax.FoldCase != 0 && strings.EqualFold(string(first), string(r))
		return first == r || fold, false
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i] <= r && r <= re.Rune[i+1] {
				return true, false
			}
		}
		return false, false
	case syntax.OpAnyCharNotNL:
		return r != '\n', false
	case syntax.OpAnyChar:
		return true, false
	case syntax.OpCapture:
		return startsWith(re.Sub[0], r)
	case syntax.OpStar, syntax.OpQuest:
		can, _ := startsWith(re.Sub[0], r)
		return can, true
	case syntax.OpPlus:
		return startsWith(re.Sub[0], r)
	case syntax.OpRepeat:
		can, empty := startsWith(re.Sub[0], r)
		return can && re.Max != 0, empty || re.Min == 0
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			can, empty := startsWith(sub, r)
			if can {
				return true, false
			}
			if !empty {
				return false, false
			}
		}
		return false, true
	case syntax.OpAlternate:
		can, empty := false, false
		for _, sub := range re.Sub {
			c, e := startsWith(sub, r)
			can, empty = can || c, empty || e
		}
		return can, empty
	}
	// An operator this walk does not know: assume it could.
	return true, true
}
