package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// consoleBlock is a README block that shows a command and its output.
var consoleBlock = regexp.MustCompile("(?s)```console\n\\$ (accord [^\n]*)\n(.*?)```")

// TestREADME runs every ```console block of the README — a command and the
// output it prints — and checks the output is still exactly that, so the
// README cannot rot.
func TestREADME(t *testing.T) {
	root := filepath.Join("..", "..")
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := consoleBlock.FindAllStringSubmatch(string(readme), -1)
	if len(blocks) < 2 {
		t.Fatalf("README has %d console blocks, want at least 2 (check and demo)", len(blocks))
	}
	dir := t.TempDir()
	var script, files strings.Builder
	for i, b := range blocks {
		cmd, want := b[1], b[2]
		// A pending or denied decision exits non-zero: the output is what
		// counts here (exit codes are tested by the scripts), so the
		// status is dropped.
		script.WriteString("exec sh -c '" + cmd + " || true'\n")
		golden := "want" + string(rune('a'+i))
		script.WriteString("cmp stdout " + golden + "\n")
		files.WriteString("-- " + golden + " --\n" + want)
	}
	// Files the commands name, copied from the repository.
	for _, m := range regexp.MustCompile(`examples/requests/[\w.-]+\.json`).FindAllString(string(readme), -1) {
		data, err := os.ReadFile(filepath.Join(root, m))
		if err != nil {
			t.Fatalf("README names %s: %v", m, err)
		}
		files.WriteString("-- " + m + " --\n" + string(data))
	}
	script.WriteString(files.String())
	if err := os.WriteFile(filepath.Join(dir, "readme.txtar"), []byte(script.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: dir,
		Setup: func(env *testscript.Env) error {
			env.Setenv("ACCORD_LANG", "en")
			return nil
		},
	})
}
