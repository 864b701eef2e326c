package actions

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"text/template"
	"text/template/parse"
)

// Templates are text/template with missingkey=error. Each renders exactly
// one string (one argv element, one header, one URL): rendered values are
// never joined and split again.

func newTemplate(name, s string) (*template.Template, error) {
	return template.New(name).Option("missingkey=error").Parse(s)
}

// templateRefs lists the top-level fields ({{.x}}) a template reads.
func templateRefs(s string) ([]string, error) {
	t, err := newTemplate("t", s)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, tt := range t.Templates() {
		if tt.Tree != nil {
			walkRefs(tt.Tree.Root, seen)
		}
	}
	return keys(seen), nil
}

func walkRefs(n parse.Node, seen map[string]bool) {
	switch n := n.(type) {
	case nil:
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			walkRefs(c, seen)
		}
	case *parse.ActionNode:
		walkRefs(n.Pipe, seen)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, c := range n.Cmds {
			walkRefs(c, seen)
		}
	case *parse.CommandNode:
		for _, c := range n.Args {
			walkRefs(c, seen)
		}
	case *parse.FieldNode:
		if len(n.Ident) > 0 {
			seen[n.Ident[0]] = true
		}
	case *parse.ChainNode:
		walkRefs(n.Node, seen)
	case *parse.IfNode:
		walkRefs(n.Pipe, seen)
		walkRefs(n.List, seen)
		walkRefs(n.ElseList, seen)
	case *parse.RangeNode:
		walkRefs(n.Pipe, seen)
		walkRefs(n.List, seen)
		walkRefs(n.ElseList, seen)
	case *parse.WithNode:
		walkRefs(n.Pipe, seen)
		walkRefs(n.List, seen)
		walkRefs(n.ElseList, seen)
	}
}

// render renders one template against checked values.
func render(what, s string, vals map[string]string) (string, error) {
	t, err := newTemplate(what, s)
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	var b strings.Builder
	if err := t.Execute(&b, vals); err != nil {
		return "", fmt.Errorf("render %s: %w", what, err)
	}
	return b.String(), nil
}

// renderAll renders each template to exactly one element.
func renderAll(what string, ts []string, vals map[string]string) ([]string, error) {
	out := make([]string, 0, len(ts))
	for i, s := range ts {
		v, err := render(fmt.Sprintf("%s[%d]", what, i), s, vals)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// jsonEscaped returns vals with every value escaped for use inside a JSON
// string literal (the template writes the quotes).
func jsonEscaped(vals map[string]string) map[string]string {
	out := make(map[string]string, len(vals))
	for k, v := range vals {
		b, _ := json.Marshal(v)
		out[k] = string(b[1 : len(b)-1])
	}
	return out
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// closest returns the candidate nearest to s by edit distance, if any is
// near enough to be a plausible typo.
func closest(s string, candidates []string) string {
	best, bestD := "", -1
	for _, c := range candidates {
		d := EditDistance(s, c)
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" || bestD > max(2, len(s)/2) {
		if best != "" && (strings.HasPrefix(best, s) || strings.HasPrefix(s, best)) {
			return best
		}
		return ""
	}
	return best
}

func suggestSuffix(s string, candidates []string) string {
	if c := closest(s, candidates); c != "" {
		return fmt.Sprintf(" (did you mean %q?)", c)
	}
	return ""
}

// EditDistance is the Levenshtein distance between a and b, in runes: how
// "did you mean" suggestions find the nearest name.
func EditDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
