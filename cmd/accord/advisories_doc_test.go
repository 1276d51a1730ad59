package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestAdvisoriesDoc runs every ```console block of docs/advisories.md and
// checks its output is exactly what the page shows.
func TestAdvisoriesDoc(t *testing.T) {
	root := filepath.Join("..", "..")
	doc, err := os.ReadFile(filepath.Join(root, "docs", "advisories.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := consoleBlock.FindAllStringSubmatch(string(doc), -1)
	if len(blocks) < 4 {
		t.Fatalf("docs/advisories.md has %d console blocks, want at least 4", len(blocks))
	}
	var script, files strings.Builder
	for i, b := range blocks {
		script.WriteString("exec sh -c '" + b[1] + " || true'\n")
		golden := "want" + string(rune('a'+i))
		script.WriteString("cmp stdout " + golden + "\n")
		files.WriteString("-- " + golden + " --\n" + b[2])
	}
	seen := map[string]bool{}
	for _, m := range regexp.MustCompile(`examples/advisories/[\w.-]+\.json`).FindAllString(string(doc), -1) {
		if seen[m] {
			continue
		}
		seen[m] = true
		data, err := os.ReadFile(filepath.Join(root, m))
		if err != nil {
			t.Fatalf("docs/advisories.md names %s: %v", m, err)
		}
		files.WriteString("-- " + m + " --\n" + string(data))
	}
	script.WriteString(files.String())
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "advisories.txtar"), []byte(script.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{Dir: dir, Setup: func(env *testscript.Env) error {
		env.Setenv("ACCORD_LANG", "en")
		return nil
	}})
}
