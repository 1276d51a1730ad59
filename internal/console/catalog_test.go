package console

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/accord-dev/accord/internal/approval"
	"github.com/accord-dev/accord/internal/locale"
)

// The keys the console translates: literal keys of .T in templates, of
// the dataset form's labels, and of v.T and fieldMessage in the Go
// files.
var (
	templateKey = regexp.MustCompile(`\.T "((?:[^"\\]|\\.)*)"`)
	labelKey    = regexp.MustCompile(`\(list "[a-z_]+" "([^"]+)" `)
	goKey       = regexp.MustCompile(`(?:v\.T|fieldMessage\(v,) ?\(?("(?:[^"\\]|\\.)*")`)
)

// consoleKeys returns every key the console's templates and code ask a
// catalog for, and the statuses it translates by value.
func consoleKeys(t *testing.T) []string {
	t.Helper()
	keys := map[string]bool{}
	for _, s := range approval.Statuses {
		keys[s] = true
	}
	err := fs.WalkDir(templateFS, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(templateFS, path)
		for _, re := range []*regexp.Regexp{templateKey, labelKey} {
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				keys[strings.ReplaceAll(m[1], `\"`, `"`)] = true
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range goKey.FindAllStringSubmatch(string(b), -1) {
			k, err := strconv.Unquote(m[1])
			if err != nil {
				t.Fatalf("%s: %s: %v", f, m[1], err)
			}
			keys[k] = true
		}
	}
	out := make([]string, 0, len(keys))
	for k := range keys {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Every key the console uses is translated in every language it offers:
// a page never mixes English into another language.
func TestConsoleKeysTranslated(t *testing.T) {
	keys := consoleKeys(t)
	for _, want := range []string{"Approvals", "Approve", "Datasets", "Publish an advisory", "must be a whole number, 0 or more", "subjects by state", "lapsed"} {
		if !slices.Contains(keys, want) {
			t.Fatalf("the key scan misses %q: it would pass without checking", want)
		}
	}
	for _, tag := range knownLanguages() {
		p := locale.For(tag.String())
		for _, k := range keys {
			p.Sprintf(k)
		}
		for _, k := range p.Missing() {
			t.Errorf("%s: no translation of %q", tag, k)
		}
	}
}
