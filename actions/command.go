package actions

import (
	"fmt"
	"sort"
	"strings"
)

// Command is a parsed ChatOps line: which action, with which parameters.
type Command struct {
	Action string
	Params map[string]string
}

// CommandVerbs start a ChatOps line in the TUI's : mode.
var CommandVerbs = []string{"runbook", "run"}

// tokenize splits a command line on blanks, honouring quotes and
// backslashes. It only splits what the engineer typed; values are still
// checked against their patterns before any use.
func tokenize(s string) ([]string, bool, error) {
	var out []string
	var cur strings.Builder
	in, trailingSpace := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			cur.WriteByte(s[i+1])
			i++
			in = true
		case c == '\'' || c == '"':
			end := strings.IndexByte(s[i+1:], c)
			if end < 0 {
				return nil, false, fmt.Errorf("unclosed %c quote", c)
			}
			cur.WriteString(s[i+1 : i+1+end])
			i += end + 1
			in = true
		case c == ' ' || c == '\t':
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	} else {
		trailingSpace = len(s) > 0
	}
	return out, trailingSpace, nil
}

// ParseCommand parses "runbook restart_service --env=prod
// --service=payment-gateway" (a leading ':' and the verb are optional).
// An unknown action or parameter is refused with the closest name.
func ParseCommand(line string, c *Catalogue) (Command, error) {
	toks, _, err := tokenize(strings.TrimPrefix(strings.TrimSpace(line), ":"))
	if err != nil {
		return Command{}, err
	}
	if len(toks) > 0 && contains(CommandVerbs, toks[0]) {
		toks = toks[1:]
	}
	if len(toks) == 0 {
		return Command{}, fmt.Errorf("which action? try: runbook NAME --param=value (actions: %s)", strings.Join(c.Names(), ", "))
	}
	name := toks[0]
	a, ok := c.Lookup(name)
	if !ok {
		return Command{}, fmt.Errorf("unknown action %q%s", name, suggestSuffix(name, c.Names()))
	}
	cmd := Command{Action: name, Params: map[string]string{}}
	known := a.ParamNames()
	for i := 1; i < len(toks); i++ {
		t := toks[i]
		if !strings.HasPrefix(t, "--") || len(t) == 2 {
			return Command{}, fmt.Errorf("unexpected %q: parameters are written --name=value", t)
		}
		k, v, hasVal := strings.Cut(t[2:], "=")
		if p, ok := a.Param(k); !ok || p.From == FromCaller {
			return Command{}, &UnknownParamError{Action: name, Param: k, Known: known, Suggest: closest(k, known)}
		}
		if !hasVal {
			if i+1 >= len(toks) || strings.HasPrefix(toks[i+1], "--") {
				return Command{}, fmt.Errorf("--%s needs a value: --%s=VALUE", k, k)
			}
			i++
			v = toks[i]
		}
		if _, dup := cmd.Params[k]; dup {
			return Command{}, fmt.Errorf("--%s is given twice", k)
		}
		cmd.Params[k] = v
	}
	return cmd, nil
}

// Complete returns the candidates for the word being typed at the end of
// line: the verb, action names, then "--param=" for parameters not yet
// given.
func Complete(line string, c *Catalogue) []string {
	line = strings.TrimPrefix(strings.TrimLeft(line, " "), ":")
	toks, trailing, err := tokenize(line)
	if err != nil {
		return nil
	}
	if trailing || len(toks) == 0 {
		toks = append(toks, "")
	}
	word := toks[len(toks)-1]
	before := toks[:len(toks)-1]
	if len(before) == 0 {
		out := prefixed(CommandVerbs, word)
		return append(out, prefixed(c.Names(), word)...)
	}
	if contains(CommandVerbs, before[0]) {
		before = before[1:]
	}
	if len(before) == 0 {
		return prefixed(c.Names(), word)
	}
	a, ok := c.Lookup(before[0])
	if !ok {
		return nil
	}
	given := map[string]bool{}
	for _, t := range before[1:] {
		if k, _, _ := strings.Cut(strings.TrimPrefix(t, "--"), "="); strings.HasPrefix(t, "--") {
			given[k] = true
		}
	}
	if strings.Contains(word, "=") {
		return nil // completing a value: values come from the engineer
	}
	var cands []string
	for _, n := range a.ParamNames() {
		if !given[n] {
			cands = append(cands, "--"+n+"=")
		}
	}
	return prefixed(cands, word)
}

func prefixed(list []string, prefix string) []string {
	var out []string
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}
