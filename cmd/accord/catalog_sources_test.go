package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/accord-dev/accord/internal/locale"
)

// machineMarker on a line (or the line above) says that what it prints is
// for programs, not people: JSON, a CSV or tab-separated header, a
// command line, a checkpoint. It must say why after the colon.
const machineMarker = "// machine:"

// verbs matches fmt verbs, so that "%s\t%d\n" counts as no words.
var verbs = regexp.MustCompile(`%[-+# 0-9.*\[\]]*[a-zA-Z%]`)

// words matches a word a person reads.
var words = regexp.MustCompile(`[A-Za-z]{2,}`)

// TestCLITextGoesThroughTheCatalog holds cmd/accord to the house rule that
// everything it says to people is a catalog message, so that English and
// French are complete: an error is a locale.Errorf (never fmt.Errorf or
// errors.New) and a line printed with fmt.Fprint* carries no words of its
// own (it prints a Printer's Sprintf, or data). Output for programs is
// marked with a "// machine: why" comment.
func TestCLITextGoesThroughTheCatalog(t *testing.T) {
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		marked := markedLines(fset, f)
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			pkg, fn := callee(call)
			line := fset.Position(call.Pos()).Line
			if marked[line] || marked[line-1] {
				return true
			}
			switch {
			case pkg == "fmt" && fn == "Errorf", pkg == "errors" && fn == "New":
				t.Errorf("%s:%d: %s.%s: use locale.Errorf so the error reads in French too", name, line, pkg, fn)
			case pkg == "fmt" && (strings.HasPrefix(fn, "Fprint") || strings.HasPrefix(fn, "Print")):
				for _, a := range call.Args {
					if s, ok := stringLit(a); ok && words.MatchString(verbs.ReplaceAllString(s, "")) {
						t.Errorf("%s:%d: fmt.%s prints %q: print a Printer's Sprintf (or mark the line %q)", name, line, fn, s, machineMarker+" why")
						break
					}
				}
			}
			return true
		})
	}
}

// TestCatalogKeysTranslated: every literal key the code passes to a
// Printer's Sprintf or to locale.Errorf, anywhere in Accord, is in the
// English and French catalogs: a key missing there would print English to
// a French reader without any test noticing.
func TestCatalogKeysTranslated(t *testing.T) {
	root := filepath.Join("..", "..")
	keys := map[string]string{} // key → first place
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "bench" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			pkg, fn := callee(call)
			if !(fn == "Sprintf" && pkg != "fmt") && !(pkg == "locale" && fn == "Errorf") {
				return true
			}
			if s, ok := stringLit(call.Args[0]); ok && words.MatchString(verbs.ReplaceAllString(s, "")) {
				if _, seen := keys[s]; !seen {
					keys[s] = fset.Position(call.Pos()).String()
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) < 100 {
		t.Fatalf("found only %d keys: the walk is broken", len(keys))
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, lang := range []string{"en", "fr"} {
		p := locale.For(lang)
		for _, k := range sorted {
			p.Sprintf(k)
		}
		for _, k := range p.Missing() {
			t.Errorf("%s: %s: key %q is not in the %s catalog", keys[k], lang, k, lang)
		}
	}
}

// callee returns the package (or receiver) name and function name of a
// call such as fmt.Errorf or p.Sprintf.
func callee(call *ast.CallExpr) (pkg, fn string) {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return "", ""
	}
	if id, ok := sel.X.(*ast.Ident); ok {
		return id.Name, sel.Sel.Name
	}
	return "?", sel.Sel.Name
}

// stringLit returns the value of a string literal expression.
func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

// markedLines returns the lines that carry machineMarker.
func markedLines(fset *token.FileSet, f *ast.File) map[int]bool {
	out := map[int]bool{}
	for _, cg := range f.Comments {
		for _, c := range cg.List {
			if strings.HasPrefix(c.Text, machineMarker) {
				out[fset.Position(c.Pos()).Line] = true
			}
		}
	}
	return out
}
