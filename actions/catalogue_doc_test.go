package actions

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// catalogueFile is actions.yaml's top level, which loadYAML reads key by
// key (topKeys) rather than through a struct.
type catalogueFile struct {
	Include []string             `yaml:"include"`
	Guards  map[string]rawGuards `yaml:"guards"`
	Actions []rawAction          `yaml:"actions"`
}

// nodeFields are the fields decoded later from a YAML node, with the type
// they are decoded into.
var nodeFields = map[string]reflect.Type{
	"actions[].params": reflect.TypeFor[map[string]rawParam](),
	"actions[].auto":   reflect.TypeFor[rawAuto](),
}

// TestCatalogueFieldsDocumented holds actions/doc.go's annotated
// actions.yaml to the types the loader decodes: every field appears in it,
// and it shows no field the loader would refuse.
func TestCatalogueFieldsDocumented(t *testing.T) {
	var top []string
	for f := range reflect.TypeFor[catalogueFile]().Fields() {
		top = append(top, yamlName(f))
	}
	if want := keys(topKeys); !slices.Equal(slices.Sorted(slices.Values(top)), want) {
		t.Fatalf("actions.yaml's top-level keys are %v, but this test knows %v: add the new key to catalogueFile here and document it in actions/doc.go", want, top)
	}

	block := docCodeBlock(t, "# actions.yaml")
	var doc any
	if err := yaml.Unmarshal([]byte(block), &doc); err != nil {
		t.Fatalf("actions/doc.go: the annotated actions.yaml is not YAML: %v", err)
	}
	documented := map[string]bool{}
	walkDoc(t, doc, reflect.TypeFor[catalogueFile](), "", documented)
	for _, p := range fieldPaths(t, reflect.TypeFor[catalogueFile](), "") {
		if !documented[p] {
			t.Errorf("actions.yaml field %s is not documented: add it, with an example value and its default, to the annotated actions.yaml under \"# actions.yaml\" in actions/doc.go", p)
		}
	}
}

// TestRunbookDocumented holds the runbook example in actions/doc.go to the
// parser: it parses without a problem, and its front matter shows every
// field.
func TestRunbookDocumented(t *testing.T) {
	block := docCodeBlock(t, "# Runbooks")
	rb, problems := ParseRunbook("doc.md", block)
	for _, p := range problems {
		t.Errorf("actions/doc.go's example runbook: %s", p)
	}
	if n := len(rb.Steps()); n == 0 {
		t.Error("actions/doc.go's example runbook shows no manual step")
	}
	var actions int
	for _, b := range rb.Blocks {
		if b.Kind == BlockAction && b.Action != nil {
			actions++
		}
	}
	if actions == 0 {
		t.Error("actions/doc.go's example runbook shows no action")
	}

	lines := strings.Split(block, "\n")
	end := slices.Index(lines[1:], "---") + 1
	if lines[0] != "---" || end < 1 {
		t.Fatalf("actions/doc.go's example runbook does not begin with front matter between --- lines:\n%s", block)
	}
	var fm any
	if err := yaml.Unmarshal([]byte(strings.Join(lines[1:end], "\n")), &fm); err != nil {
		t.Fatalf("actions/doc.go's example front matter: %v", err)
	}
	documented := map[string]bool{}
	walkDoc(t, fm, reflect.TypeFor[frontMatter](), "", documented)
	for _, p := range fieldPaths(t, reflect.TypeFor[frontMatter](), "") {
		if !documented[p] {
			t.Errorf("runbook front matter field %s is not documented: add it to the example runbook under \"# Runbooks\" in actions/doc.go", p)
		}
	}
}

// TestFenceAttributesDocumented holds the fence attribute list in
// actions/doc.go to the parser's: each attribute the parser knows has a
// line, and each line names one it knows.
func TestFenceAttributesDocumented(t *testing.T) {
	block := docCodeBlock(t, "# Runbook fence attributes")
	documented := map[string]bool{}
	for _, line := range strings.Split(block, "\n") {
		word, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		if word == "" {
			continue
		}
		var attr string
		if bare, ok := strings.CutPrefix(word, "."); ok {
			attr = bare
		} else if k, _, ok := strings.Cut(word, "="); ok {
			attr = k
		} else {
			t.Errorf("actions/doc.go, fence attributes: %q is not written attr=example or .attr", word)
			continue
		}
		if kind, _, isParam := strings.Cut(attr, "."); isParam {
			attr = kind + ".NAME"
			if !slices.Contains(fenceParamAttrs, kind) {
				t.Errorf("actions/doc.go documents the fence attribute %s, which the parser does not know", word)
			}
		} else if !knownFenceAttrs[attr] {
			t.Errorf("actions/doc.go documents the fence attribute %s, which the parser does not know", attr)
		}
		documented[attr] = true
	}
	want := keys(knownFenceAttrs)
	for _, k := range fenceParamAttrs {
		want = append(want, k+".NAME")
	}
	for _, a := range want {
		if !documented[a] {
			t.Errorf("fence attribute %s is not documented: add a line \"%s=example   what it does\" under \"# Runbook fence attributes\" in actions/doc.go", a, strings.Replace(a, "NAME", "x", 1))
		}
	}
}

// TestFenceParamAttributesParse checks that the parser handles every
// parameter attribute it accepts.
func TestFenceParamAttributesParse(t *testing.T) {
	values := map[string]string{"param": `"[a-z]+"`, "default": "eu", "from": "service", "allow_leading_dash": "false"}
	for _, kind := range fenceParamAttrs {
		v, ok := values[kind]
		if !ok {
			t.Errorf("no example value for the parameter attribute %s: add one to this test", kind)
			continue
		}
		extra := ""
		if kind != "param" {
			extra = ` param.region="[a-z]+"`
		}
		src := "Says hello.\n\n```sh {name=x risk=low " + kind + ".region=" + v + extra + "}\necho {{.region}}\n```\n"
		if _, problems := ParseRunbook("t.md", src); len(problems) > 0 {
			t.Errorf("%s.NAME: %v", kind, problems)
		}
	}
	_, problems := ParseRunbook("t.md", "Says hello.\n\n```sh {name=x risk=low pattern.region=x}\necho\n```\n")
	if len(problems) != 1 || !strings.Contains(problems[0].Msg, "param.NAME, default.NAME, from.NAME, allow_leading_dash.NAME") {
		t.Errorf("an unknown parameter attribute: got %v, want one problem listing the parameter attributes", problems)
	}
}

// TestReadmeCatalogueExampleLoads loads the README's example actions.yaml
// and runbook as sitrep would: they must stay valid as the format changes.
func TestReadmeCatalogueExampleLoads(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "\n## Actions and runbooks\n")
	if !ok {
		t.Fatal("README.md has no \"## Actions and runbooks\" section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	block := func(open, close string) string {
		_, rest, ok := strings.Cut(section, open)
		body, _, closed := strings.Cut(rest, close)
		if !ok || !closed {
			t.Fatalf("README.md: no %s block under \"## Actions and runbooks\"", strings.TrimSpace(open))
		}
		return body
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "runbooks"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{
		"actions.yaml":      block("```yaml\n", "\n```\n"),
		"runbooks/cache.md": block("````markdown\n", "\n````\n"),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cat, problems := Load(dir)
	for _, p := range slices.Concat(problems, cat.Unrunnable(), cat.Warnings()) {
		t.Errorf("README.md's example catalogue: %s", p)
	}
	for _, name := range []string{"restart_service", "flush_cache"} {
		if _, ok := cat.Lookup(name); !ok {
			t.Errorf("README.md's example catalogue has no action %s", name)
		}
	}
}

// docCodeBlock is the first code block (tab-indented comment lines) under
// heading in actions/doc.go.
func docCodeBlock(t *testing.T, heading string) string {
	t.Helper()
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	in := false
	for _, line := range strings.Split(string(src), "\n") {
		text, ok := strings.CutPrefix(line, "//")
		if !ok {
			break // the end of the package comment
		}
		if !in {
			in = strings.TrimSpace(text) == heading
			continue
		}
		code, isCode := strings.CutPrefix(text, "\t")
		switch {
		case isCode:
			out = append(out, code)
		case text == "" && len(out) > 0:
			out = append(out, "") // a blank line inside the block
		case len(out) > 0 || strings.HasPrefix(text, " # "):
			// Prose after the block, or the next heading.
			if len(out) == 0 {
				t.Fatalf("actions/doc.go has no code block under %q", heading)
			}
			return strings.TrimRight(strings.Join(out, "\n"), "\n")
		}
	}
	if len(out) == 0 {
		t.Fatalf("actions/doc.go has no code block under %q", heading)
	}
	return strings.TrimRight(strings.Join(out, "\n"), "\n")
}

func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	return name
}

// fieldPaths lists the YAML paths of typ's leaf fields: a.b for a field
// of a mapping, a[].b in a list's items, a.*.b in a map's values. A
// struct met a second time (an action's guards are the environments')
// is documented once: the second place lists only its own path.
func fieldPaths(t *testing.T, typ reflect.Type, prefix string) []string {
	return fieldPathsSeen(t, typ, prefix, map[reflect.Type]bool{})
}

func fieldPathsSeen(t *testing.T, typ reflect.Type, prefix string, seen map[reflect.Type]bool) []string {
	t.Helper()
	seen[deref(typ)] = true
	var out []string
	for f := range deref(typ).Fields() {
		name := yamlName(f)
		if !f.IsExported() || name == "-" {
			continue
		}
		p := join(prefix, name)
		if name == "" {
			t.Errorf("%s.%s has no yaml tag: give it one, and document it", typ, f.Name)
			continue
		}
		ft, sub := elemType(p, f.Type)
		if ft.Kind() == reflect.Interface {
			t.Errorf("%s has type %s: add what it decodes into to nodeFields in this test", p, ft)
			continue
		}
		if ft.Kind() != reflect.Struct || seen[ft] {
			out = append(out, p)
			continue
		}
		out = append(out, fieldPathsSeen(t, ft, p+sub, seen)...)
	}
	return out
}

// elemType is what a field at path holds once pointers, lists and maps
// are looked through, and the path suffix that reaches it: "[]" for a
// list's items, ".*" for a map's values. A list or map of plain values
// is itself the leaf.
func elemType(path string, ft reflect.Type) (reflect.Type, string) {
	if nt, ok := nodeFields[path]; ok {
		ft = nt
	}
	sub := ""
	for e := deref(ft); ; {
		switch e.Kind() {
		case reflect.Slice:
			e, sub = deref(e.Elem()), sub+"[]"
			continue
		case reflect.Map:
			e, sub = deref(e.Elem()), sub+".*"
			continue
		case reflect.Struct:
			return e, sub
		}
		return deref(ft), ""
	}
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// walkDoc records in documented the path of every field the documented
// value v shows, led by the type it decodes into, and reports a key that
// type does not have.
func walkDoc(t *testing.T, v any, typ reflect.Type, prefix string, documented map[string]bool) {
	t.Helper()
	typ = deref(typ)
	switch typ.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			t.Errorf("actions/doc.go shows %s as %T, want a mapping", prefix, v)
			return
		}
		fields := map[string]reflect.StructField{}
		for f := range typ.Fields() {
			fields[yamlName(f)] = f
		}
		for _, k := range keys(m) {
			p := join(prefix, k)
			f, ok := fields[k]
			if !ok {
				t.Errorf("actions/doc.go shows %s, which the loader does not know: correct or remove it", p)
				continue
			}
			documented[p] = true
			ft := f.Type
			if nt, ok := nodeFields[p]; ok {
				ft = nt
			}
			walkDoc(t, m[k], ft, p, documented)
		}
	case reflect.Slice:
		if l, ok := v.([]any); ok {
			for _, e := range l {
				walkDoc(t, e, typ.Elem(), prefix+"[]", documented)
			}
		}
	case reflect.Map:
		if m, ok := v.(map[string]any); ok {
			for _, e := range m {
				walkDoc(t, e, typ.Elem(), prefix+".*", documented)
			}
		}
	}
}
