package policy

import (
	"os"
	"slices"
	"testing"
)

func TestLint(t *testing.T) {
	eng := loadDir(t, "lint")
	data, err := os.ReadFile("testdata/lint/lax_test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tf, err := ParseTestFile("lax_test.yaml", data, fakeRegistry{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range Lint(eng, []*TestFile{tf}) {
		got = append(got, f.String())
	}
	want := []string{
		"lax.yaml:1:1: pack lax has no title",
		"lax.yaml:1:1: pack lax has no source (the legal text it encodes)",
		"lax.yaml:9:3: param unused is not used by any expression",
		"lax.yaml:15:5: rule lax-literal: no French message: add messages: {fr: ...} (or messageExpressions: {fr: ...} for a CEL message); users who read French get the English text",
		"lax.yaml:17:11: rule lax-literal: number 100 in an expression: put thresholds in params, dated and cited",
		"lax.yaml:20:5: rule other-prefix: id should start with the pack name \"lax-\"",
		"lax.yaml:20:5: rule other-prefix: no French message: add messages: {fr: ...} (or messageExpressions: {fr: ...} for a CEL message); users who read French get the English text",
		"lax.yaml:15:5: rule lax-literal: no test case makes this rule fire",
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings\n got %q\nwant %q", got, want)
	}
	// Without a test file, the pack is reported as untested.
	found := false
	for _, f := range Lint(eng, nil) {
		found = found || f.Msg == "pack lax has no test file (lax_test.yaml)"
	}
	if !found {
		t.Error("a pack without a test file is not reported")
	}
}

func FuzzParseTestFile(f *testing.F) {
	for _, p := range []string{"testdata/example/acme_test.yaml", "testdata/lint/lax_test.yaml"} {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tf, err := ParseTestFile("f.yaml", data, fakeRegistry{})
		if err != nil {
			return
		}
		for _, c := range tf.Cases {
			if c.Request == nil {
				t.Fatalf("case %q parsed without a request", c.Name)
			}
		}
	})
}
