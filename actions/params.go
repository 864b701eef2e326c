package actions

import (
	"fmt"
	"strconv"
	"strings"
)

// ParamError refuses a value that does not match its parameter's pattern.
type ParamError struct {
	Action  string
	Param   string
	Pattern string
	Value   string // quoted, shortened and redacted for display
	Source  string // given, default, incident, caller
}

func (e *ParamError) Error() string {
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
// checks every value against the parameter's anchored pattern. Nothing is
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
			return nil, fmt.Errorf("%s: missing parameter --%s (pattern ^(%s)$)", a.Name, p.Name, p.Pattern)
		}
		if !p.Match(v) {
			return nil, &ParamError{Action: a.Name, Param: p.Name, Pattern: p.Pattern, Value: red.Redact(displayValue(v)), Source: src}
		}
		vals[p.Name] = v
	}
	return vals, nil
}
