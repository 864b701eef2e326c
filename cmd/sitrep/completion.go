package main

// Shell completion of values. cobra's completion scripts ask the binary
// itself (its hidden __complete command) what fits where the cursor is;
// the functions here answer for sitrep's arguments and flags.
//
// A shell waits on TAB, so every answer comes from local files only (the
// config, the catalogue, the journal opened read-only), never from
// PagerDuty, and every look-up is bounded by completionBudget. A look-up
// that fails or runs out of time offers nothing and says nothing: a
// half-typed command line is no place for an error, and the command
// itself says what is wrong once it runs.

import (
	"context"
	"fmt"
	"regexp/syntax"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"sitrep/actions"
	"sitrep/sources/sanitize"
	"sitrep/store/journal"
)

// completionBudget bounds one completion's look-up, start to answer.
const completionBudget = time.Second

// completionLockWait is how long completion's read-only open waits for a
// running sitrep's lock on the journal before it reads a snapshot instead.
const completionLockWait = 200 * time.Millisecond

// maxChoices caps the values a parameter's pattern is expanded into: a
// pattern with more is free text, not a choice.
const maxChoices = 40

// maxDescription caps a description, in runes; shells cut them further
// to the terminal's width.
const maxDescription = 70

// lookup answers one completion request, or fails.
type lookup func(ctx context.Context) ([]cobra.Completion, cobra.ShellCompDirective, error)

// bounded runs look within completionBudget. A failure, a panic or a
// look-up still running at the deadline offers nothing, and no files
// either: bash answers cobra's error directive with file names.
func bounded(cmd *cobra.Command, look lookup) ([]cobra.Completion, cobra.ShellCompDirective) {
	parent := cmd.Context()
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithTimeout(parent, completionBudget)
	defer cancel()
	type answer struct {
		comps []cobra.Completion
		dir   cobra.ShellCompDirective
		err   error
	}
	done := make(chan answer, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- answer{err: fmt.Errorf("completion panicked: %v", r)}
			}
		}()
		comps, dir, err := look(ctx)
		done <- answer{comps, dir, err}
	}()
	select {
	case a := <-done:
		if a.err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return a.comps, a.dir
	case <-ctx.Done():
		// The look-up goes on until the process exits; the shell is
		// answered now.
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
}

// registerGlobalFlagCompletion gives a shared flag its value completion,
// where defineGlobalFlag has just defined it on c.
func registerGlobalFlagCompletion(c *cobra.Command, name string) {
	var fn cobra.CompletionFunc
	switch name {
	case "config":
		fn = cobra.FixedCompletions([]cobra.Completion{"yaml", "yml"}, cobra.ShellCompDirectiveFilterFileExt)
	case "scope":
		fn = cobra.FixedCompletions([]cobra.Completion{
			cobra.CompletionWithDesc("mine", "incidents assigned to you"),
			cobra.CompletionWithDesc("team", "incidents of your teams"),
			cobra.CompletionWithDesc("all", "every open incident of the account"),
		}, cobra.ShellCompDirectiveNoFileComp|cobra.ShellCompDirectiveKeepOrder)
	case "refresh":
		fn = cobra.FixedCompletions([]cobra.Completion{"30s", "1m", "5m"}, cobra.ShellCompDirectiveNoFileComp|cobra.ShellCompDirectiveKeepOrder)
	case "api-url":
		fn = cobra.NoFileCompletions
	default:
		return // journal: a file; read-only: a switch
	}
	_ = c.RegisterFlagCompletionFunc(name, fn) // the flag was just defined, once
}

// addRunCompletions completes sitrep run: the action, its --param names
// and values, the --incident and the --confirm answer.
func addRunCompletions(cmd *cobra.Command, g *globalFlags) {
	cmd.ValidArgsFunction = func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return bounded(cmd, func(context.Context) ([]cobra.Completion, cobra.ShellCompDirective, error) {
			cat, err := completionCatalogue(cmd, g)
			if err != nil {
				return nil, 0, err
			}
			return actionCompletions(cat, toComplete), cobra.ShellCompDirectiveNoFileComp, nil
		})
	}
	_ = cmd.RegisterFlagCompletionFunc("param", func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) == 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp // no action yet, so no parameters
		}
		return bounded(cmd, func(context.Context) ([]cobra.Completion, cobra.ShellCompDirective, error) {
			cat, err := completionCatalogue(cmd, g)
			if err != nil {
				return nil, 0, err
			}
			a, ok := cat.Lookup(args[0])
			if !ok {
				return nil, cobra.ShellCompDirectiveNoFileComp, nil
			}
			given, _ := cmd.Flags().GetStringArray("param")
			comps, dir := paramCompletions(a, given, toComplete)
			return comps, dir, nil
		})
	})
	_ = cmd.RegisterFlagCompletionFunc("incident", incidentCompletion(g, false))
	_ = cmd.RegisterFlagCompletionFunc("confirm", func(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		named, _ := cmd.Flags().GetString("incident")
		if named == "" {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return bounded(cmd, func(ctx context.Context) ([]cobra.Completion, cobra.ShellCompDirective, error) {
			known, err := completionIncidents(ctx, g)
			if err != nil {
				return nil, 0, err
			}
			return confirmCompletions(known, named, toComplete), cobra.ShellCompDirectiveNoFileComp, nil
		})
	})
}

// withIncidentArg makes cmd's one argument, an incident, complete from
// the journal.
func withIncidentArg(cmd *cobra.Command, g *globalFlags) *cobra.Command {
	cmd.ValidArgsFunction = incidentCompletion(g, true)
	return cmd
}

// incidentCompletion completes an incident from the journal and its
// incident cache. As a command's argument (arg), only the first one.
func incidentCompletion(g *globalFlags, arg bool) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if arg && len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return bounded(cmd, func(ctx context.Context) ([]cobra.Completion, cobra.ShellCompDirective, error) {
			known, err := completionIncidents(ctx, g)
			if err != nil {
				return nil, 0, err
			}
			return incidentCompletions(known, toComplete), cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveKeepOrder, nil
		})
	}
}

// completionCatalogue is the catalogue sitrep run would use, built-ins
// included. A catalogue with problems still offers the actions that load:
// run then says what is wrong.
func completionCatalogue(cmd *cobra.Command, g *globalFlags) (*actions.Catalogue, error) {
	cfg, err := g.settings(cmd)
	if err != nil {
		return nil, err
	}
	cat, _ := actions.Load(catalogueDirs(cfg.actionsDir())...)
	return cat, nil
}

// completionIncidents are the incidents the journal knows, read from a
// read-only open (a snapshot when a running sitrep holds the file).
func completionIncidents(ctx context.Context, g *globalFlags) ([]incidentFacts, error) {
	path, err := g.journalPath()
	if err != nil {
		return nil, err
	}
	j, err := journal.Open(path, journal.Options{ReadOnly: true, LockTimeout: completionLockWait})
	if err != nil {
		return nil, err
	}
	defer j.Close()
	return gatherIncidents(ctx, j, false)
}

func actionCompletions(cat *actions.Catalogue, toComplete string) []cobra.Completion {
	var out []cobra.Completion
	for _, name := range cat.Names() {
		a, _ := cat.Lookup(name)
		if !strings.HasPrefix(name, toComplete) || !completable(name) {
			continue
		}
		out = append(out, withDesc(name, a.Title))
	}
	return out
}

// paramCompletions completes one --param: name= for the action's
// parameters not yet given, and, after name=, the values its pattern
// allows when they are few.
func paramCompletions(a *actions.Action, given []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if name, prefix, ok := strings.Cut(toComplete, "="); ok {
		p, known := a.Param(name)
		if !known || p.From == actions.FromCaller {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		for _, v := range patternChoices(p.Pattern, maxChoices) {
			if v == "" || !strings.HasPrefix(v, prefix) || !completable(v) || !p.Match(v) {
				continue
			}
			desc := ""
			if p.HasDef && v == p.Default {
				desc = "the default"
			}
			out = append(out, withDesc(name+"="+v, desc))
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
	done := map[string]bool{}
	for _, kv := range given {
		k, _, _ := strings.Cut(kv, "=")
		done[k] = true
	}
	var out []cobra.Completion
	for _, name := range a.ParamNames() {
		if done[name] || !strings.HasPrefix(name, toComplete) || !completable(name) {
			continue
		}
		p, _ := a.Param(name)
		out = append(out, withDesc(name+"=", paramDescription(p)))
	}
	// name= is half a word: the value follows without a space.
	return out, cobra.ShellCompDirectiveNoSpace | cobra.ShellCompDirectiveNoFileComp
}

// paramDescription is a parameter's help and where its value comes from
// when it is not given.
func paramDescription(p actions.Param) string {
	var from string
	switch {
	case p.From == actions.FromService:
		from = "default: the incident's service"
	case p.From == actions.FromEnv:
		from = "default: the incident's environment"
	case p.From == actions.FromIncidentID:
		from = "default: the incident's ID"
	case p.From == actions.FromIncidentNumber:
		from = "default: the incident's number"
	case p.HasDef:
		from = "default " + p.Default
	default:
		from = "required"
	}
	if p.Help == "" {
		return from
	}
	return p.Help + " (" + from + ")"
}

// incidentCompletions offers incidents newest number first: their numbers
// for an empty or numeric prefix (an incident with no known number, or one
// it shares, by its ID), #N after "#", and IDs after a letter.
func incidentCompletions(known []incidentFacts, toComplete string) []cobra.Completion {
	fs := append([]incidentFacts(nil), known...)
	sort.SliceStable(fs, func(a, b int) bool {
		if fs[a].Number != fs[b].Number {
			return fs[a].Number > fs[b].Number
		}
		return fs[a].ID < fs[b].ID
	})
	byID := strings.TrimSpace(toComplete) != "" && !strings.HasPrefix(toComplete, "#") && !isDigits(toComplete)
	// A number two incidents share names neither: those go by their IDs.
	count := map[uint]int{}
	for _, f := range fs {
		count[f.Number]++
	}
	seen := map[string]bool{}
	var out []cobra.Completion
	add := func(word, desc string) {
		if !seen[word] && strings.HasPrefix(word, toComplete) {
			seen[word] = true
			out = append(out, withDesc(word, desc))
		}
	}
	for _, f := range fs {
		num := ""
		if f.Number > 0 && count[f.Number] == 1 {
			num = strconv.FormatUint(uint64(f.Number), 10)
		}
		desc := sanitize.Line(f.Title)
		if s := sanitize.Line(f.Service); s != "" {
			desc += " (" + s + ")"
		}
		switch {
		case byID || num == "":
			if ref, err := parseIncidentRef(f.ID); err == nil && ref.id == f.ID {
				if f.Number > 0 {
					desc = fmt.Sprintf("#%d %s", f.Number, desc)
				}
				add(f.ID, desc)
			}
		case strings.HasPrefix(toComplete, "#"):
			add("#"+num, desc)
		default:
			add(num, desc)
		}
	}
	return out
}

// confirmCompletions offers the service name --confirm asks for: that of
// the incident --incident names, when the journal knows it.
func confirmCompletions(known []incidentFacts, named, toComplete string) []cobra.Completion {
	ref, err := parseIncidentRef(named)
	if err != nil {
		return nil
	}
	var out []cobra.Completion
	seen := map[string]bool{}
	for _, f := range known {
		if ref.id != "" && f.ID != ref.id || ref.id == "" && f.Number != ref.number {
			continue
		}
		s := f.Service
		if s == "" || seen[s] || !strings.HasPrefix(s, toComplete) || sanitize.Line(s) != s || strings.ContainsFunc(s, unicode.IsSpace) {
			continue
		}
		seen[s] = true
		out = append(out, withDesc(s, "the service of "+sanitize.Line(f.Title)))
	}
	return out
}

// completable reports whether word can go onto a command line as it is:
// printable, one word, nothing a terminal would act on.
func completable(word string) bool {
	return word != "" && sanitize.Line(word) == word && !strings.ContainsFunc(word, unicode.IsSpace)
}

// withDesc is word with its description, sanitized and cut to one short
// line.
func withDesc(word, desc string) cobra.Completion {
	desc = sanitize.Line(desc)
	if desc == "" {
		return word
	}
	if utf8.RuneCountInString(desc) > maxDescription {
		r := []rune(desc)
		desc = strings.TrimSpace(string(r[:maxDescription-1])) + "…"
	}
	return cobra.CompletionWithDesc(word, desc)
}

// patternChoices lists every string an anchored pattern matches when it
// matches at most max of them (high|low, [1-9], staging|prod), else none.
func patternChoices(pattern string, max int) []string {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil
	}
	out, ok := expand(re.Simplify(), max)
	if !ok {
		return nil
	}
	return out
}

// expand lists the strings re matches, or reports that there are more
// than max (or infinitely many).
func expand(re *syntax.Regexp, max int) ([]string, bool) {
	if max < 1 {
		return nil, false
	}
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginText, syntax.OpEndText, syntax.OpBeginLine, syntax.OpEndLine:
		// Anchors match no text; the choices are checked against the
		// whole pattern once expanded.
		return []string{""}, true
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			return nil, false
		}
		return []string{string(re.Rune)}, true
	case syntax.OpCharClass:
		var out []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				if len(out) == max {
					return nil, false
				}
				out = append(out, string(r))
			}
		}
		return out, true
	case syntax.OpCapture:
		return expand(re.Sub[0], max)
	case syntax.OpQuest:
		sub, ok := expand(re.Sub[0], max-1)
		if !ok {
			return nil, false
		}
		return append([]string{""}, sub...), true
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			s, ok := expand(sub, max-len(out))
			if !ok {
				return nil, false
			}
			out = append(out, s...)
		}
		if out = dedupe(out); len(out) > max {
			return nil, false
		}
		return out, true
	case syntax.OpConcat:
		out := []string{""}
		for _, sub := range re.Sub {
			s, ok := expand(sub, max)
			if !ok || len(out)*len(s) > max {
				return nil, false
			}
			next := make([]string, 0, len(out)*len(s))
			for _, a := range out {
				for _, b := range s {
					next = append(next, a+b)
				}
			}
			out = next
		}
		return dedupe(out), true
	}
	return nil, false // repetition without bound, any character, anchors inside
}

func dedupe(list []string) []string {
	seen := map[string]bool{}
	out := list[:0]
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
