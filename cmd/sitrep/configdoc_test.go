package main

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestConfigFieldsDocumented holds the README's field list to config.yaml's
// types: every field has an entry under "## Configuration", and every entry
// names a field.
func TestConfigFieldsDocumented(t *testing.T) {
	section := readmeSection(t, "## Configuration")
	leaves, all := configFieldPaths(t, reflect.TypeFor[config](), "")
	for _, p := range leaves {
		if !strings.Contains(section, "`"+p+"`") {
			t.Errorf("config field %s is not documented: add \"- `%s`: what it does (default …)\" to the field list under \"## Configuration\" in README.md", p, p)
		}
	}
	entries := documentedEntries(section)
	if len(entries) == 0 {
		t.Fatal("README.md: no field list (lines \"- `field`: …\") under \"## Configuration\"")
	}
	for _, e := range entries {
		if !slices.Contains(all, e) {
			t.Errorf("README.md documents the config field %s, which config.yaml does not have: correct or remove it", e)
		}
	}
}

// TestConfigTopLevelFields keeps the list that an unknown-field error
// quotes in step with the config's fields.
func TestConfigTopLevelFields(t *testing.T) {
	var want []string
	for f := range reflect.TypeFor[config]().Fields() {
		if name := yamlName(f); f.IsExported() && name != "-" {
			want = append(want, name)
		}
	}
	if !slices.Equal(topLevelFields, want) {
		t.Errorf("topLevelFields in config.go is %v, the config's fields are %v: update topLevelFields", topLevelFields, want)
	}
}

// TestConfigReadmeExampleLoads loads the README's example config.yaml as
// sitrep would: it must stay valid as fields change.
func TestConfigReadmeExampleLoads(t *testing.T) {
	section := readmeSection(t, "## Configuration")
	_, rest, ok := strings.Cut(section, "```yaml\n")
	example, _, closed := strings.Cut(rest, "```")
	if !ok || !closed {
		t.Fatal("README.md: no ```yaml example under \"## Configuration\"")
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(example), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadConfig(path, true); err != nil {
		t.Errorf("README.md's example config does not load: %v", err)
	}
}

// readmeSection is the README's text from heading to the next "## ".
func readmeSection(t *testing.T, heading string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(data), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README.md has no %q section", heading)
	}
	section, _, _ := strings.Cut(rest, "\n## ")
	return section
}

// entryLine is a field list entry: "- `a`, `b`: what they do".
var entryLine = regexp.MustCompile("(?m)^- ((?:`[^`]+`(?:, )?)+):")

// documentedEntries are the field paths the entries of a field list name.
func documentedEntries(section string) []string {
	var out []string
	for _, m := range entryLine.FindAllStringSubmatch(section, -1) {
		for _, f := range strings.Split(m[1], ", ") {
			out = append(out, strings.Trim(f, "`"))
		}
	}
	return out
}

func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	return name
}

// configFieldPaths walks typ's YAML fields. leaves are the paths that hold
// values (a.b, a[].b in a list's items, a.NAME.b in a map's values); all
// adds the paths of the mappings, lists and maps on the way.
func configFieldPaths(t *testing.T, typ reflect.Type, prefix string) (leaves, all []string) {
	t.Helper()
	for f := range deref(typ).Fields() {
		name := yamlName(f)
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			t.Errorf("%s.%s has no yaml tag: give it one, and document it", typ, f.Name)
			continue
		}
		p := name
		if prefix != "" {
			p = prefix + "." + name
		}
		ft, sub := deref(f.Type), ""
		for ft.Kind() == reflect.Slice || ft.Kind() == reflect.Map {
			if ft.Kind() == reflect.Slice {
				sub += "[]"
			} else {
				sub += ".NAME"
			}
			ft = deref(ft.Elem())
		}
		if ft.Kind() != reflect.Struct {
			leaves, all = append(leaves, p), append(all, p)
			continue
		}
		all = append(all, p)
		if sub != "" {
			all = append(all, p+sub)
		}
		l, a := configFieldPaths(t, ft, p+sub)
		leaves, all = append(leaves, l...), append(all, a...)
	}
	return leaves, all
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}
