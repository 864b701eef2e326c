package actions

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
)

// Runbook is a Markdown runbook, parsed for the TUI: its prose, its manual
// steps (task-list items the engineer ticks off) and its actions (fenced
// blocks with attributes on the fence line), in document order.
type Runbook struct {
	File     string
	Title    string
	Services []string
	Blocks   []Block
}

// BlockKind says what a runbook block is.
type BlockKind int

// Kinds of runbook block.
const (
	BlockProse  BlockKind = iota // Markdown text, as written
	BlockStep                    // a manual step: "- [ ] check the dashboard"
	BlockAction                  // an action the engineer can run
)

func (k BlockKind) String() string {
	switch k {
	case BlockStep:
		return "step"
	case BlockAction:
		return "action"
	}
	return "prose"
}

// Block is one part of a runbook.
type Block struct {
	Kind BlockKind
	Line int    // 1-based line in the file where the block starts
	Text string // prose: Markdown; step: the step's text; action: the fenced source
	// Checked is a step written as done ("- [x]").
	Checked bool
	// Action is the action of a BlockAction.
	Action *Action
}

// Steps lists the runbook's manual steps.
func (r *Runbook) Steps() []Block {
	var out []Block
	for _, b := range r.Blocks {
		if b.Kind == BlockStep {
			out = append(out, b)
		}
	}
	return out
}

type frontMatter struct {
	Title    string   `yaml:"title"`
	Services []string `yaml:"services"`
}

var (
	fenceOpen = regexp.MustCompile("^ {0,3}(`{3,}|~{3,})\\s*(.*)$")
	taskItem  = regexp.MustCompile(`^\s*[-*+]\s+\[([ xX])\]\s+(.*)$`)
	listItem  = regexp.MustCompile(`^\s*([-*+]|[0-9]+[.)])\s`)
	heading   = regexp.MustCompile(`^ {0,3}#\s+(.+?)\s*#*\s*$`)
)

func (l *loader) loadRunbook(file string) {
	data, err := os.ReadFile(file)
	if err != nil {
		l.problem(Pos{File: file}, "", "cannot read: %v", err)
		return
	}
	rb := l.parseRunbook(file, string(data))
	l.cat.runbooks = append(l.cat.runbooks, rb)
}

// ParseRunbook parses a runbook on its own; actions that use catalogue
// actions by name stay unresolved. It is for tools and tests; Load is the
// usual way in.
func ParseRunbook(file string, src string) (*Runbook, []Problem) {
	l := &loader{cat: &Catalogue{byName: map[string]*Action{}}, seen: map[string]bool{}, defined: map[string]Pos{},
		invalid: map[string]bool{}, guardPos: map[string]Pos{}}
	rb := l.parseRunbook(file, src)
	return rb, l.problems
}

func (l *loader) parseRunbook(file, src string) *Runbook {
	rb := &Runbook{File: file}
	src = strings.ReplaceAll(src, "\r\n", "\n")
	lines := strings.Split(src, "\n")
	start := 0
	if len(lines) > 0 && strings.TrimSpace(lines[0]) == "---" {
		end := -1
		for i := 1; i < len(lines); i++ {
			if t := strings.TrimSpace(lines[i]); t == "---" || t == "..." {
				end = i
				break
			}
		}
		if end < 0 {
			l.problem(Pos{File: file, Line: 1}, "", "front matter is not closed with ---")
		} else {
			var fm frontMatter
			if err := unmarshalSafe([]byte(strings.Join(lines[1:end], "\n")), &fm); err != nil {
				var ye yaml.Error
				if e, ok := err.(yaml.Error); ok && e.GetToken() != nil {
					ye = e
					l.problem(Pos{File: file, Line: ye.GetToken().Position.Line + 1, Column: ye.GetToken().Position.Column}, "", "front matter: %s", ye.GetMessage())
				} else {
					l.problem(Pos{File: file, Line: 2}, "", "front matter: %v", err)
				}
			}
			rb.Title, rb.Services = fm.Title, fm.Services
			start = end + 1
		}
	}

	var prose []string
	proseLine := 0
	var explain []string // prose since the last step or action
	flush := func() {
		text := strings.Trim(strings.Join(prose, "\n"), "\n")
		if strings.TrimSpace(text) != "" {
			rb.Blocks = append(rb.Blocks, Block{Kind: BlockProse, Line: proseLine, Text: text})
		}
		prose = nil
	}
	addProse := func(i int, s string) {
		if len(prose) == 0 {
			proseLine = i + 1
		}
		prose = append(prose, s)
		if h := heading.FindStringSubmatch(s); h != nil {
			if rb.Title == "" {
				rb.Title = h[1]
			}
			explain = nil // a new section: earlier prose explains something else
			return
		}
		if listItem.MatchString(s) {
			explain = nil // a list explains itself, not the block after it
			return
		}
		if t := strings.TrimSpace(s); t != "" && !strings.HasPrefix(t, "#") {
			explain = append(explain, t)
		}
	}

	for i := start; i < len(lines); i++ {
		line := lines[i]
		if m := taskItem.FindStringSubmatch(line); m != nil {
			flush()
			rb.Blocks = append(rb.Blocks, Block{Kind: BlockStep, Line: i + 1, Text: strings.TrimSpace(m[2]), Checked: m[1] != " "})
			explain = nil
			continue
		}
		m := fenceOpen.FindStringSubmatch(line)
		if m == nil {
			addProse(i, line)
			continue
		}
		// A fenced block: find its end.
		fence := m[1]
		end := len(lines)
		for j := i + 1; j < len(lines); j++ {
			t := strings.TrimSpace(lines[j])
			if strings.HasPrefix(t, fence) && strings.Trim(t, fence[:1]) == "" {
				end = j
				break
			}
		}
		body := lines[i+1 : min(end, len(lines))]
		info := m[2]
		lang, attrs, hasAttrs, err := parseFenceInfo(info)
		pos := Pos{File: file, Line: i + 1, Column: strings.Index(line, fence) + 1}
		if err != nil {
			l.problem(pos, "", "fence attributes: %v", err)
		}
		if end == len(lines) {
			l.problem(pos, "", "fenced block is not closed")
		}
		if !hasAttrs {
			for k := i; k <= min(end, len(lines)-1); k++ {
				addProse(k, lines[k])
			}
			i = end
			continue
		}
		flush()
		blk := Block{Kind: BlockAction, Line: i + 1, Text: strings.Join(lines[i:min(end+1, len(lines))], "\n")}
		rb.Blocks = append(rb.Blocks, blk)
		bp := &rb.Blocks[len(rb.Blocks)-1]
		if use := attrs["use"]; use != "" {
			l.pending = append(l.pending, pendingUse{pos: pos, name: use, rb: rb, idx: len(rb.Blocks) - 1})
		} else if a := l.runbookAction(file, pos, line, lang, attrs, body, strings.Join(explain, " "), rb); a != nil {
			a.Runbook = file
			bp.Action = a
			l.add(a)
		}
		explain = nil
		i = end
	}
	flush()
	if rb.Title == "" {
		rb.Title = strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	}
	return rb
}

// unmarshalSafe is yaml.Unmarshal that reports a panic inside the YAML
// library as an error.
func unmarshalSafe(b []byte, v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cannot decode (%v)", r)
		}
	}()
	return yaml.Unmarshal(b, v)
}

// parseFenceInfo splits "sh {name=x risk=low}" into the language and the
// attributes. Values may be double-quoted.
func parseFenceInfo(info string) (lang string, attrs map[string]string, has bool, err error) {
	info = strings.TrimSpace(info)
	open := strings.IndexByte(info, '{')
	if open < 0 || !strings.HasSuffix(info, "}") {
		return strings.TrimSpace(info), nil, false, nil
	}
	lang = strings.TrimSpace(info[:open])
	inner := info[open+1 : len(info)-1]
	attrs = map[string]string{}
	for inner = strings.TrimSpace(inner); inner != ""; inner = strings.TrimSpace(inner) {
		eq := strings.IndexByte(inner, '=')
		sp := strings.IndexAny(inner, " \t")
		if eq < 0 || (sp >= 0 && sp < eq) {
			// A bare word such as {.action}: a flag.
			word := inner
			if sp >= 0 {
				word, inner = inner[:sp], inner[sp:]
			} else {
				inner = ""
			}
			attrs[strings.TrimPrefix(word, ".")] = "true"
			continue
		}
		key := inner[:eq]
		rest := inner[eq+1:]
		var val string
		if strings.HasPrefix(rest, `"`) {
			closeQ := strings.IndexByte(rest[1:], '"')
			if closeQ < 0 {
				return lang, attrs, true, fmt.Errorf("unclosed quote in %s=", key)
			}
			val, inner = rest[1:1+closeQ], rest[2+closeQ:]
		} else if sp := strings.IndexAny(rest, " \t"); sp >= 0 {
			val, inner = rest[:sp], rest[sp:]
		} else {
			val, inner = rest, ""
		}
		if _, dup := attrs[key]; dup {
			return lang, attrs, true, fmt.Errorf("attribute %s given twice", key)
		}
		attrs[key] = val
	}
	return lang, attrs, true, nil
}

// Parameters a runbook may use without declaring them: their values come
// from the incident, under these patterns.
var implicitParams = map[string]Param{
	"service":         {Name: "service", Pattern: `[a-z0-9][a-z0-9._-]{0,62}`, From: FromService},
	"env":             {Name: "env", Pattern: `[a-z0-9][a-z0-9_-]{0,31}`, From: FromEnv},
	"incident_id":     {Name: "incident_id", Pattern: `[A-Z0-9]{1,32}`, From: FromIncidentID},
	"incident_number": {Name: "incident_number", Pattern: `[0-9]{1,10}`, From: FromIncidentNumber},
}

// knownFenceAttrs are the attributes a runbook action's fence line may
// carry, and fenceParamAttrs those written KIND.NAME for parameter NAME.
// actions/doc.go documents each one, and a test holds it to that.
var knownFenceAttrs = map[string]bool{
	"name": true, "title": true, "risk": true, "envs": true, "services": true, "runner": true,
	"timeout": true, "env": true, "confirm": true, "announce_before": true, "dry_run": true,
	"use": true, "action": true, "require_dry_run": true, "pagerduty": true, "slack_webhook_env": true,
	"changes": true,
}

var fenceParamAttrs = []string{"param", "default", "from", "allow_leading_dash"}

// attrColumn is the 1-based column of attribute key on a fence line, or
// 0 when it cannot be found.
func attrColumn(line, key string) int {
	open := strings.IndexByte(line, '{')
	if open < 0 || key == "" {
		return 0
	}
	for i := open + 1; i < len(line); {
		j := strings.Index(line[i:], key)
		if j < 0 {
			return 0
		}
		at, end := i+j, i+j+len(key)
		before := line[at-1]
		startsWord := before == '{' || before == ' ' || before == '\t' || before == '.'
		endsWord := end == len(line) || strings.IndexByte("= \t}", line[end]) >= 0
		if startsWord && endsWord {
			return at + 1
		}
		i = at + 1
	}
	return 0
}

// runbookAction builds an action from a fenced block: the body is one
// command line (split into argv here, before any value is known), the
// fence attributes its settings, and the prose before it its explanation.
func (l *loader) runbookAction(file string, pos Pos, fenceLine, lang string, attrs map[string]string, body []string, explain string, rb *Runbook) *Action {
	name := attrs["name"]
	b := &actionBuilder{l: l, file: file, name: name, pos: &pos, fenceLine: fenceLine}
	l.cat.defs++
	before := len(l.problems)
	defer func() {
		if len(l.problems) > before {
			l.markInvalid(name)
		}
	}()
	a := &Action{
		Name: name, Title: attrs["title"], Explain: explain, Risk: attrs["risk"],
		Source: pos, Announce: Announce{PagerDuty: true}, Runner: attrs["runner"],
		Changes: attrs["changes"],
	}
	if a.Runner == "" {
		switch lang {
		case "sh", "bash", "shell", "console", "":
			a.Runner = RunnerExec
		default:
			a.Runner = lang
		}
	}
	a.Applies.Services = rb.Services
	if s := attrs["services"]; s != "" {
		a.Applies.Services = splitList(s)
	}
	a.Applies.Envs = splitList(attrs["envs"])
	a.Announce.Before = attrs["announce_before"] == "true"
	if _, ok := attrs["notify_first"]; ok {
		b.fail(b.attr("notify_first"), "notify_first is now announce_before=true (announce the run before it starts as well as after); an automatic run's countdown is written in actions.yaml's auto: block")
		delete(attrs, "notify_first")
	}
	if attrs["pagerduty"] == "false" {
		a.Announce.PagerDuty = false
	}
	a.Announce.SlackWebhookEnv = attrs["slack_webhook_env"]
	if t := attrs["timeout"]; t != "" {
		d, err := time.ParseDuration(t)
		if err != nil || d <= 0 {
			b.fail(b.attr("timeout"), "bad timeout %q: want a positive duration such as 2m or 30s", t)
		}
		a.Timeout = d
	}
	if c := attrs["confirm"]; c != "" {
		n := len(l.problems)
		if g, ok := l.guards(file, name, nil, rawGuards{Confirm: c}); ok {
			a.Guards.Confirm = g.Confirm
		}
		for i := n; i < len(l.problems); i++ {
			l.problems[i].Pos = b.attr("confirm")
		}
	}
	if attrs["require_dry_run"] == "true" {
		t := true
		a.Guards.RequireDryRun = &t
	}
	declared := map[string]*Param{}
	var order []string
	// In a fixed order: the problems and the parameters come out the same
	// on every load.
	for _, k := range keys(attrs) {
		v := attrs[k]
		kind, pname, ok := strings.Cut(k, ".")
		if !ok {
			if !knownFenceAttrs[k] {
				b.fail(b.attr(k), "unknown fence attribute %q%s", k, suggestSuffix(k, keys(knownFenceAttrs)))
			}
			continue
		}
		if !slices.Contains(fenceParamAttrs, kind) {
			b.fail(b.attr(k), "unknown fence attribute %q (parameters are %s.NAME)", k, strings.Join(fenceParamAttrs, ".NAME, "))
			continue
		}
		p := declared[pname]
		if p == nil {
			p = &Param{Name: pname}
			declared[pname] = p
			order = append(order, pname)
		}
		switch kind {
		case "param":
			p.Pattern = v
		case "default":
			p.Default, p.HasDef = v, true
		case "from":
			p.From = v
		case "allow_leading_dash":
			if v != "true" && v != "false" {
				b.fail(b.attr(k), "%s=%q: want true or false", k, v)
			}
			p.AllowLeadingDash = v == "true"
		default:
			// A kind in fenceParamAttrs that this switch does not handle.
			b.fail(b.attr(k), "fence attribute %q is accepted but not handled: this is a bug in sitrep", k)
		}
	}
	var argv, dry []string
	if a.Runner == RunnerExec {
		var err error
		argv, err = splitCommand(strings.Join(body, "\n"))
		if err != nil {
			b.fail(Pos{File: file, Line: pos.Line + 1, Column: 1}, "command: %v", err)
		} else if len(argv) == 0 {
			b.fail(pos, "the block has no command")
		}
		if d := attrs["dry_run"]; d != "" {
			dry, err = splitCommand(d)
			if err != nil {
				b.fail(b.attr("dry_run"), "dry_run: %v", err)
			}
		}
	} else {
		b.fail(b.attr("runner"), "runbook blocks run with the exec runner; define %s actions in actions.yaml and use them with {use=NAME}", a.Runner)
	}
	// Implicit parameters for the incident's values.
	used := map[string]bool{}
	for _, s := range append(append([]string{}, argv...), dry...) {
		refs, _ := templateRefs(s)
		for _, r := range refs {
			used[r] = true
		}
	}
	for _, r := range keys(used) {
		if _, ok := declared[r]; !ok {
			if ip, ok := implicitParams[r]; ok {
				p := ip
				declared[r] = &p
				order = append(order, r)
			}
		}
	}
	slices.Sort(order)
	for _, n := range order {
		p := *declared[n]
		b.checkParam(&p, b.attr("param."+n), b.attr("from."+n), b.attr("default."+n))
		a.Params = append(a.Params, p)
	}
	a.Exec = &ExecSpec{Argv: argv, DryRun: dry, Env: splitList(attrs["env"])}
	b.validate(a, map[string]Pos{
		"name": b.attr("name"), "risk": b.attr("risk"), "runner": b.attr("runner"),
		"changes": b.attr("changes"), "exec": pos,
	})
	if len(l.problems) > before {
		return nil
	}
	return a
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// splitCommand splits one command line into argv templates, honouring
// single and double quotes, backslash escapes, line continuations and
// {{ }} actions. Shell syntax (pipes, redirections, ;, &, $(...), `...`,
// $VAR) is refused: nothing passes through a shell, so it would not do
// what it says.
func splitCommand(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case strings.HasPrefix(s[i:], "{{"):
			end := strings.Index(s[i:], "}}")
			if end < 0 {
				return nil, fmt.Errorf("unclosed {{")
			}
			cur.WriteString(s[i : i+end+2])
			i += end + 1
			inWord = true
		case c == '\\' && i+1 < len(s) && s[i+1] == '\n':
			i++
		case c == '\\' && i+1 < len(s):
			cur.WriteByte(s[i+1])
			i++
			inWord = true
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, fmt.Errorf("unclosed single quote")
			}
			cur.WriteString(s[i+1 : i+1+end])
			i += end + 1
			inWord = true
		case c == '"':
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
					cur.WriteByte(s[j])
					continue
				}
				if s[j] == '$' || s[j] == '`' {
					return nil, fmt.Errorf("shell expansion %q inside quotes is not supported: nothing passes through a shell", s[j:j+1])
				}
				cur.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unclosed double quote")
			}
			i = j
			inWord = true
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		case strings.ContainsRune("|;&<>`$()", rune(c)):
			return nil, fmt.Errorf("shell syntax %q is not supported: nothing passes through a shell; write one command", string(c))
		case c == '#' && !inWord:
			// A comment to the end of the line.
			for i < len(s) && s[i] != '\n' {
				i++
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out, nil
}
