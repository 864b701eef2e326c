package recorder_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// journalReads are the methods of the journal's types that do not write
// it. Every other method of journal.Journal or journal.Writer counts as a
// write, so a write method added later is covered until it is named here.
var journalReads = map[string]bool{
	"Head": true, "Get": true, "Entries": true, "EachOf": true, "Each": true,
	"Incidents": true, "Verify": true, "LoadIncidents": true, "EachOutbox": true,
	"Path": true, "ReadOnly": true, "Snapshot": true, "Imported": true, "Backlog": true,
	"Close": true,
}

const journalPkg = "sitrep/store/journal"

// TestOnlyStoreWritesTheJournal keeps the package's promise: outside
// store/, nothing calls a journal write method; the rest of sitrep writes
// through the recorder. Each package's own Go files (tests aside: they set
// up journals as they need) are parsed and type-checked against the
// compiled packages they import, so a write is found whatever the journal
// value is called.
func TestOnlyStoreWritesTheJournal(t *testing.T) {
	root, pkgs := modulePackages(t)
	exports := map[string]string{}
	var mine []listedPackage
	for _, p := range pkgs {
		exports[p.ImportPath] = p.Export
		if p.Module != nil && p.Module.Main && !p.DepOnly {
			mine = append(mine, p)
		}
	}
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		if exports[path] == "" {
			return nil, fmt.Errorf("no compiled package for %s (does it build?)", path)
		}
		return os.Open(exports[path])
	})
	var found []string
	checked := 0
	for _, p := range mine {
		rel, err := filepath.Rel(root, p.Dir)
		if err != nil {
			t.Fatal(err)
		}
		rel = filepath.ToSlash(rel)
		if rel == "store" || strings.HasPrefix(rel, "store/") {
			continue
		}
		var files []*ast.File
		for _, name := range append(p.GoFiles, p.CgoFiles...) {
			f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatalf("parse %s: %v", filepath.Join(rel, name), err)
			}
			files = append(files, f)
		}
		info := &types.Info{Selections: map[*ast.SelectorExpr]*types.Selection{}}
		var typeErrs []error
		conf := types.Config{Importer: imp, Error: func(err error) { typeErrs = append(typeErrs, err) }}
		_, _ = conf.Check(p.ImportPath, fset, files, info)
		if len(typeErrs) > 0 {
			t.Fatalf("type-check %s (the check needs a tree that builds): %v", p.ImportPath, errors.Join(typeErrs...))
		}
		checked++
		for sel, s := range info.Selections {
			if recv, ok := journalReceiver(s); ok && !journalReads[s.Obj().Name()] {
				pos := fset.Position(sel.Sel.Pos())
				where, _ := filepath.Rel(root, pos.Filename)
				found = append(found, fmt.Sprintf("%s:%d: %s.%s writes the journal outside store/; add a method to store/recorder that says as whom it writes, and call that",
					filepath.ToSlash(where), pos.Line, recv, s.Obj().Name()))
			}
		}
	}
	if checked < 10 {
		t.Fatalf("checked only %d packages outside store/: the listing of the module went wrong", checked)
	}
	sort.Strings(found)
	for _, f := range found {
		t.Error(f)
	}
}

// journalReceiver names the journal type whose method s selects, if it is
// one of the journal's writers (Journal, Writer).
func journalReceiver(s *types.Selection) (string, bool) {
	if s.Kind() != types.MethodVal && s.Kind() != types.MethodExpr {
		return "", false
	}
	fn, ok := s.Obj().(*types.Func)
	if !ok || fn.Pkg() == nil || fn.Pkg().Path() != journalPkg {
		return "", false
	}
	recv := fn.Type().(*types.Signature).Recv()
	if recv == nil {
		return "", false
	}
	t := recv.Type()
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	named, ok := t.(*types.Named)
	if !ok {
		return "", false
	}
	switch name := named.Obj().Name(); name {
	case "Journal", "Writer":
		return "journal." + name, true
	}
	return "", false
}

type listedPackage struct {
	ImportPath string
	Dir        string
	Export     string
	GoFiles    []string
	CgoFiles   []string
	DepOnly    bool
	Module     *struct{ Main bool }
}

// modulePackages lists the module's packages and everything they import,
// compiled, with the module's root directory.
func modulePackages(t *testing.T) (string, []listedPackage) {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "list", "-e", "-export", "-deps", "-json=ImportPath,Dir,Export,GoFiles,CgoFiles,DepOnly,Module", "./...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list the module in %s: %v\n%s", root, err, stderr.String())
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p listedPackage
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("read go list's output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return root, pkgs
}
