package main

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets testscript run `accord` as a real subprocess: the test
// binary re-executes itself as the command.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"accord": func() { os.Exit(run()) },
	})
}

// TestScripts runs every testdata/script/*.txtar: end-to-end scripts of the
// CLI, as a user would type them.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			// Keep the language fixed whatever the machine's locale.
			env.Setenv("ACCORD_LANG", "en")
			return nil
		},
	})
}
