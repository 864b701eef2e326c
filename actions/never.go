package actions

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// unrunnable finds the actions that a guard can never allow in some
// environment they apply to: a dry run required of an action that has
// none, max_hosts: 0, or time windows that are all empty. Rules that
// depend on the moment (a rate limit, now outside a window) are not
// reported; they allow the action at another time.
func (l *loader) unrunnable() []Problem {
	var out []Problem
	for _, a := range l.cat.actions {
		// One problem per blocking setting, naming every environment it
		// blocks in: a "*" guard blocks in each environment at once.
		type finding struct {
			why, fix string
			pos      Pos
			envs     []string
		}
		var found []*finding
		for _, env := range l.envsOf(a) {
			why, fix, pos := l.neverAllows(a, env, l.cat.Guards(a, env))
			if why == "" {
				continue
			}
			if pos.File == "" {
				pos = a.Source
			}
			i := slices.IndexFunc(found, func(f *finding) bool { return f.why == why && f.pos == pos })
			if i < 0 {
				found = append(found, &finding{why: why, fix: fix, pos: pos})
				i = len(found) - 1
			}
			found[i].envs = append(found[i].envs, env)
		}
		for _, f := range found {
			where := "in " + strings.Join(f.envs, ", ")
			if slices.Contains(f.envs, "*") {
				where = "in every environment"
			}
			out = append(out, Problem{Pos: f.pos, Action: a.Name,
				Msg: fmt.Sprintf("the guards never allow it %s: %s; %s", where, f.why, f.fix)})
		}
	}
	sortProblems(out)
	return out
}

// envsOf lists the environments whose guards can judge a: those its
// applies: names (and those of the guards: that its patterns match), or,
// when it names none, every environment with guards of its own and "*"
// for the rest.
func (l *loader) envsOf(a *Action) []string {
	seen := map[string]bool{}
	var envs []string
	add := func(e string) {
		if !seen[e] {
			seen[e] = true
			envs = append(envs, e)
		}
	}
	var named []string
	for e := range l.cat.EnvGuards {
		if e != "*" {
			named = append(named, e)
		}
	}
	sort.Strings(named)
	if len(a.Applies.Envs) == 0 {
		add("*")
		for _, e := range named {
			add(e)
		}
		return envs
	}
	for _, e := range a.Applies.Envs {
		if e == "*" {
			add("*")
			continue
		}
		if _, ok := l.cat.EnvGuards[e]; ok || !isGlob(e) {
			add(e)
		}
	}
	for _, e := range named {
		if matchList(a.Applies.Envs, e) {
			add(e)
		}
	}
	return envs
}

func isGlob(s string) bool {
	for _, c := range s {
		if c == '*' || c == '?' || c == '[' {
			return true
		}
	}
	return false
}

// neverAllows says why guards g can never allow a in env, how to fix it,
// and where the guard that blocks is written; "" when some run can pass.
func (l *loader) neverAllows(a *Action, env string, g GuardConfig) (why, fix string, pos Pos) {
	if g.RequireDryRun != nil && *g.RequireDryRun && !a.HasDryRun() && a.DryRunExempt() == "" {
		return "require_dry_run is true and it has no dry run",
			"give it a dry run (exec.dry_run, http.dry_run, dry_run= on a fence) or set require_dry_run: false in its own guards",
			l.settingPos(a, env, func(c GuardConfig) bool { return c.RequireDryRun != nil })
	}
	if g.MaxHosts != nil && *g.MaxHosts == 0 {
		return "max_hosts is 0 and every run targets at least one host",
			"raise max_hosts, or leave the action out of this environment with applies.envs",
			l.settingPos(a, env, func(c GuardConfig) bool { return c.MaxHosts != nil })
	}
	if len(g.Windows) > 0 {
		empty := true
		for _, w := range g.Windows {
			if w.From != w.To {
				empty = false
			}
		}
		if empty {
			return "every time window is empty (from equals to)",
				"give each window a from earlier or later than its to",
				l.settingPos(a, env, func(c GuardConfig) bool { return c.Windows != nil })
		}
	}
	return "", "", Pos{}
}

// settingPos is where the guard setting that has effect for a in env is
// written: the action's own guards, else env's, else "*"'s.
func (l *loader) settingPos(a *Action, env string, set func(GuardConfig) bool) Pos {
	switch {
	case set(a.Guards):
		return a.Source
	case env != "*" && set(l.cat.EnvGuards[env]):
		return l.guardPos[env]
	case set(l.cat.EnvGuards["*"]):
		return l.guardPos["*"]
	}
	return a.Source
}
