package policy

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestDocsExample keeps docs/packs.md honest: its example pack and test
// file must be byte for byte testdata/example/acme.yaml and
// acme_test.yaml, and every case must pass.
func TestDocsExample(t *testing.T) {
	doc, err := os.ReadFile("../../docs/packs.md")
	if err != nil {
		t.Fatal(err)
	}
	// Shell blocks introduced by a line naming the file, <!-- file: NAME -->,
	// that write it with a here-document (cat > DIR/NAME <<'EOF' ... EOF);
	// TestDocs in cmd/accord runs them.
	re := regexp.MustCompile("(?s)<!-- file: ([a-z_.]+) -->\\s*```sh\n(?:mkdir -p [^\n]*\n)?cat > [a-z/-]*/[a-z_.]+ <<'EOF'\n(.*?)EOF\n```")
	blocks := map[string]string{}
	for _, m := range re.FindAllStringSubmatch(string(doc), -1) {
		blocks[m[1]] = m[2]
	}
	for _, name := range []string{"acme.yaml", "acme_test.yaml"} {
		want, err := os.ReadFile("testdata/example/" + name)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := blocks[name]
		if !ok {
			t.Fatalf("docs/packs.md has no block for %s", name)
		}
		if got != string(want) {
			t.Errorf("docs/packs.md block %s differs from testdata/example/%s", name, name)
		}
	}
	eng := loadDir(t, "example")
	res, err := RunTests(eng, os.DirFS("testdata/example"), "acme_test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 5 {
		t.Fatalf("%d cases, want 5", len(res))
	}
	for _, r := range res {
		if !r.Passed {
			t.Errorf("%s:%d %s: %s", r.File, r.Line, r.Name, r.Failure)
		}
	}
}

// TestRunTestsReportsFailures checks that a wrong expectation fails with a
// message naming what differed.
func TestRunTestsReportsFailures(t *testing.T) {
	eng := loadDir(t, "example")
	data, err := os.ReadFile("testdata/example/acme_test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	wrong := strings.Replace(string(data), "outcome: pending\n    rules: [acme-destination-approval]", "outcome: allow\n    rules: [acme-export-log]", 1)
	tf, err := ParseTestFile("acme_test.yaml", []byte(wrong), fakeRegistry{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := eng.RunTestFile(tf)
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, r := range res {
		if !r.Passed {
			failed++
			want := "outcome pending, want allow; did not fire: acme-export-log; fired unexpectedly: acme-destination-approval"
			if r.Failure != want || r.Line != 33 {
				t.Errorf("failure %q at line %d, want %q at 33", r.Failure, r.Line, want)
			}
		}
	}
	if failed != 1 {
		t.Fatalf("%d failed, want 1", failed)
	}
}

func TestParseTestFileErrors(t *testing.T) {
	tests := []struct{ yaml, want string }{
		{"pack: acme\ncases:\n  - name: x\n    request: {action: access}\n    outcome: allow\n    rules: []\n", "t.yaml:4:14: case \"x\": request: "},
		{"pack: acme\ncases:\n  - name: x\n    request: {action: access, requester: {id: a, kind: company, jurisdiction: XX}, data: {location: FR}}\n    outcome: allow\n    rules: []\n", "requester.jurisdiction: unknown jurisdiction \"XX\""},
		{"pack: acme\ncases:\n  - name: x\n    request: {action: access, requester: {id: a, kind: company, jurisdiction: FR}, data: {location: FR}}\n    outcome: maybe\n    rules: []\n", "t.yaml:5:14: case \"x\": outcome \"maybe\""},
		{"pack: acme\ncases:\n  - name: x\n    request: {action: access, requester: {id: a, kind: company, jurisdiction: FR}, data: {location: FR}}\n    outcome: allow\n", "missing required key \"rules\""},
		{"pack: acme\ncases:\n  - name: x\n    request: {action: access, requester: {id: a, kind: company, jurisdiction: FR}, data: {location: FR}}\n    history: {rolling12m: {}}\n    outcome: allow\n    rules: []\n", "history: json: unknown field \"rolling12m\""},
		{"pack: acme\ncases:\n  - name: x\n    expect: deny\n", "unknown key \"expect\""},
		{"pack: acme\n", "missing required key \"cases\""},
	}
	for _, tt := range tests {
		_, err := ParseTestFile("t.yaml", []byte(tt.yaml), fakeRegistry{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want %q", tt.yaml, err, tt.want)
		}
	}
}
