package policy

import (
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/accord-dev/accord/internal/registry"
)

// TestLintOptionalField checks the lint of issue 19: a deny or require
// rule that reads an optional field without has() and stops firing when a
// firing test case leaves the field out is reported; a rule that tests
// has() (absence meant to pass) or reads the fact through destinationOf
// (absence is the reader's state) is not; and a field the action requires
// is never left out.
func TestLintOptionalField(t *testing.T) {
	eng := loadDir(t, "lint_optional")
	data, err := os.ReadFile("testdata/lint_optional/absent_test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tf, err := ParseTestFile("absent_test.yaml", data, fakeRegistry{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range Lint(eng, []*TestFile{tf}) {
		if strings.Contains(f.Msg, "without has()") {
			got = append(got, f.Rule+" "+strings.Fields(f.Msg)[1])
		}
	}
	slices.Sort(got)
	want := []string{"absent-loose request.destination", "absent-owned request.requester.owners"}
	if !slices.Equal(got, want) {
		t.Errorf("optional-field findings %q, want %q", got, want)
	}
}

// TestLintOptionalFieldBundledPacks: the bundled packs give no
// optional-field finding (issue 19 fixed the one the lint found in gdsi:
// a localization with origin left out).
func TestLintOptionalFieldBundledPacks(t *testing.T) {
	for _, f := range lintBundled(t) {
		if strings.Contains(f.Msg, "without has()") {
			t.Errorf("%s", f)
		}
	}
}

// lintBundled lints the bundled packs with their test files and the
// embedded registry, as `accord packs lint` does without an argument.
func lintBundled(t *testing.T) []Finding {
	t.Helper()
	reg, err := registry.Load()
	if err != nil {
		t.Fatal(err)
	}
	all, err := fs.Glob(Embedded(), "packs/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	files := PackFiles(all)
	packs, err := Load(Embedded(), files...)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := Compile(packs, reg)
	if err != nil {
		t.Fatal(err)
	}
	var tests []*TestFile
	for _, f := range all {
		if !strings.HasSuffix(f, "_test.yaml") {
			continue
		}
		data, err := fs.ReadFile(Embedded(), f)
		if err != nil {
			t.Fatal(err)
		}
		tf, err := ParseTestFile(f, data, reg)
		if err != nil {
			t.Fatal(err)
		}
		tests = append(tests, tf)
	}
	if len(tests) < 4 {
		t.Fatalf("found %d bundled test files", len(tests))
	}
	return Lint(eng, tests)
}
