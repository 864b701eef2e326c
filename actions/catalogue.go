package actions

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// Catalogue is every action sitrep knows, with the runbooks they came from.
type Catalogue struct {
	actions  []*Action
	byName   map[string]*Action
	runbooks []*Runbook
	// EnvGuards are the guards per environment ("*" applies to all).
	EnvGuards map[string]GuardConfig
	// warnings are things that load but are likely mistakes.
	warnings []Problem
	// unrunnable are actions a guard can never allow somewhere they apply.
	// They stay in the catalogue (the preview names the rule), and fail
	// `sitrep actions check`.
	unrunnable []Problem
	// defs counts the action definitions read from files, valid or not.
	defs int
	// autoAllow is each environment's allow_auto guard, where written.
	autoAllow map[string]bool
}

// Problem is one thing wrong in a catalogue, at a place in a file.
type Problem struct {
	Pos
	Action string // the action concerned, if any
	Msg    string
}

func (p Problem) String() string {
	if p.Action != "" {
		return fmt.Sprintf("%s: action %s: %s", p.Pos, p.Action, p.Msg)
	}
	return fmt.Sprintf("%s: %s", p.Pos, p.Msg)
}

// Actions lists every action in load order.
func (c *Catalogue) Actions() []*Action { return slices.Clone(c.actions) }

// Warnings lists what loaded but is likely a mistake (a pattern that
// admits a value beginning with "-"), sorted by file and line. They do not
// leave an action out of the catalogue.
func (c *Catalogue) Warnings() []Problem { return slices.Clone(c.warnings) }

// Unrunnable lists the actions that a guard can never allow in some
// environment they apply to, sorted by file and line. Load keeps them:
// the preview shows the rule that blocks them.
func (c *Catalogue) Unrunnable() []Problem { return slices.Clone(c.unrunnable) }

// Defined is how many action definitions the files hold, valid or not:
// what `sitrep actions check` checked.
func (c *Catalogue) Defined() int { return c.defs }

// Runbooks lists the parsed runbooks in load order.
func (c *Catalogue) Runbooks() []*Runbook { return slices.Clone(c.runbooks) }

// Lookup finds an action by name.
func (c *Catalogue) Lookup(name string) (*Action, bool) {
	a, ok := c.byName[name]
	return a, ok
}

// Names lists the action names, sorted.
func (c *Catalogue) Names() []string {
	out := make([]string, 0, len(c.actions))
	for _, a := range c.actions {
		out = append(out, a.Name)
	}
	sort.Strings(out)
	return out
}

// For lists the actions offered for service in env, for the palette.
func (c *Catalogue) For(service, env string) []*Action {
	var out []*Action
	for _, a := range c.actions {
		if a.AppliesTo(service, env) {
			out = append(out, a)
		}
	}
	return out
}

// ForIncident is For narrowed by the incident's category and title.
func (c *Catalogue) ForIncident(t Target) []*Action {
	var out []*Action
	for _, a := range c.actions {
		if a.AppliesToIncident(t) {
			out = append(out, a)
		}
	}
	return out
}

// RunbooksFor lists the runbooks that apply to service.
func (c *Catalogue) RunbooksFor(service string) []*Runbook {
	var out []*Runbook
	for _, r := range c.runbooks {
		if matchList(r.Services, service) {
			out = append(out, r)
		}
	}
	return out
}

// Load reads a catalogue. Each path is an actions YAML file, a Markdown
// runbook, or a directory; a directory contributes its actions.yaml (if
// any) and every *.md under its runbooks/ subdirectory. Files named in
// include: are read relative to the including file.
//
// Load always returns a usable catalogue: actions with problems are left
// out of it, and every problem is returned, sorted by file and line.
func Load(paths ...string) (*Catalogue, []Problem) {
	l := &loader{
		cat:      &Catalogue{byName: map[string]*Action{}, EnvGuards: map[string]GuardConfig{}, autoAllow: map[string]bool{}},
		seen:     map[string]bool{},
		defined:  map[string]Pos{},
		invalid:  map[string]bool{},
		guardPos: map[string]Pos{},
	}
	for _, p := range paths {
		l.loadPath(p)
	}
	l.finish()
	l.checkAuto()
	sortProblems(l.problems)
	sortProblems(l.warnings)
	l.cat.warnings = l.warnings
	l.cat.unrunnable = l.unrunnable()
	return l.cat, l.problems
}

func sortProblems(probs []Problem) {
	sort.SliceStable(probs, func(i, j int) bool {
		if probs[i].File != probs[j].File {
			return probs[i].File < probs[j].File
		}
		if probs[i].Line != probs[j].Line {
			return probs[i].Line < probs[j].Line
		}
		return probs[i].Column < probs[j].Column
	})
}

// Check is `sitrep actions check`: every problem in the catalogue at
// paths, and every action a guard can never allow, sorted by file and line.
func Check(paths ...string) []Problem {
	_, probs := CheckCatalogue(paths...)
	return probs
}

type loader struct {
	cat      *Catalogue
	problems []Problem
	warnings []Problem
	seen     map[string]bool // files already read, against include cycles
	defined  map[string]Pos  // action name → where first defined
	pending  []pendingUse    // runbook blocks that use a catalogue action
	// invalid names actions whose definition has a problem, so that a
	// runbook using one is not also reported as using an undefined name.
	invalid map[string]bool
	// guardPos is where each environment's guards are written.
	guardPos map[string]Pos
}

type pendingUse struct {
	pos  Pos
	name string
	rb   *Runbook
	idx  int // the block's index in rb.Blocks
}

func (l *loader) problem(pos Pos, action, format string, args ...any) {
	l.problems = append(l.problems, Problem{Pos: pos, Action: action, Msg: fmt.Sprintf(format, args...)})
}

func (l *loader) loadPath(p string) {
	st, err := os.Stat(p)
	if err != nil {
		l.problem(Pos{File: p}, "", "cannot read: %v", err)
		return
	}
	if !st.IsDir() {
		if strings.HasSuffix(strings.ToLower(p), ".md") {
			l.loadRunbook(p)
		} else {
			l.loadYAML(p, Pos{})
		}
		return
	}
	for _, name := range []string{"actions.yaml", "actions.yml"} {
		f := filepath.Join(p, name)
		if _, err := os.Stat(f); err == nil {
			l.loadYAML(f, Pos{})
			break
		}
	}
	rb := filepath.Join(p, "runbooks")
	if _, err := os.Stat(rb); err != nil {
		return
	}
	var mds []string
	_ = filepath.WalkDir(rb, func(f string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(strings.ToLower(f), ".md") {
			mds = append(mds, f)
		}
		return nil
	})
	sort.Strings(mds)
	for _, f := range mds {
		l.loadRunbook(f)
	}
}

// add puts a checked action in the catalogue, refusing duplicate names.
func (l *loader) add(a *Action) {
	if prev, ok := l.defined[a.Name]; ok {
		l.problem(a.Source, a.Name, "duplicate name: already defined at %s", prev)
		return
	}
	l.defined[a.Name] = a.Source
	l.cat.actions = append(l.cat.actions, a)
	l.cat.byName[a.Name] = a
}

// finish adds the built-in operations and resolves runbook blocks that
// use an action defined elsewhere.
func (l *loader) finish() {
	l.addBuiltIns()
	for _, u := range l.pending {
		a, ok := l.cat.byName[u.name]
		if !ok && l.invalid[u.name] {
			continue // its definition's problem is reported where it is
		}
		if !ok {
			// An invalid definition is a likely meaning too.
			l.problem(u.pos, u.name, "runbook uses an action that is not defined%s", suggestSuffix(u.name, append(l.cat.Names(), keys(l.invalid)...)))
			continue
		}
		u.rb.Blocks[u.idx].Action = a
	}
}
