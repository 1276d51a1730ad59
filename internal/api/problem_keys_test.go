package api

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/accord-dev/accord/internal/locale"
)

// Every catalog key internal/api writes problems with is translated into
// French (and is in English): a key the catalog lacks would answer a
// French caller in English. cmd/accord's TestCatalogKeysTranslated checks
// the keys with words across Accord; this one also holds the package's
// wordless keys ("%s: %v"), and that there are keys at all.
func TestProblemKeysTranslated(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{} // key → first place
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); !ok || id.Name != "locale" || sel.Sel.Name != "Errorf" {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				t.Errorf("%s: locale.Errorf with a key that is not a literal: the catalog tests cannot see it", fset.Position(call.Pos()))
				return true
			}
			k, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Fatal(err)
			}
			if _, seen := keys[k]; !seen {
				keys[k] = fset.Position(call.Pos()).String()
			}
			return true
		})
	}
	if len(keys) < 150 {
		t.Fatalf("found only %d keys: the scan is broken", len(keys))
	}
	for _, lang := range []string{"en", "fr"} {
		p := locale.For(lang)
		for k := range keys {
			p.Sprintf(k)
		}
		for _, k := range p.Missing() {
			t.Errorf("%s: key %q is not in the %s catalog", keys[k], k, lang)
		}
	}
}
