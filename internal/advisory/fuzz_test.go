package advisory

import (
	"os"
	"path/filepath"
	"testing"
)

func seed(f *testing.F, glob string) {
	files, _ := filepath.Glob(glob)
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`[`))
}

// FuzzParseSBOM: never panics; a document it accepts has only components
// with a purl key or a CPE.
func FuzzParseSBOM(f *testing.F) {
	seed(f, "testdata/sbom/*.json")
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSBOM(b)
		if err != nil {
			return
		}
		for _, c := range s.Components {
			if c.Key == "" && c.CPE == "" {
				t.Fatalf("component without purl or CPE: %+v", c)
			}
		}
	})
}

// FuzzParseOSV: never panics; an accepted advisory can be matched and
// linted without panicking.
func FuzzParseOSV(f *testing.F) {
	seed(f, "testdata/osv/*.json")
	f.Fuzz(func(t *testing.T, b []byte) {
		a, _, err := ParseOSV(b)
		if err != nil {
			return
		}
		Lint(a)
		for i := range a.Packages {
			a.Packages[i].Affects("1.2.3")
		}
	})
}

// FuzzParseCSAF: as FuzzParseOSV, for CSAF 2.0.
func FuzzParseCSAF(f *testing.F) {
	seed(f, "testdata/csaf/*.json")
	f.Fuzz(func(t *testing.T, b []byte) {
		a, _, err := ParseCSAF(b)
		if err != nil {
			return
		}
		Lint(a)
		for i := range a.Packages {
			a.Packages[i].Affects("2.3.1")
		}
	})
}

// FuzzParsePURL: never panics; the key of an accepted purl parses to the
// same key.
func FuzzParsePURL(f *testing.F) {
	for _, s := range []string{"pkg:npm/%40acme/ui@5.0.0", "pkg:golang/golang.org/x/net@v0.35.0", "pkg:generic/a", "pkg:maven/g/a@1?x=y#p"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePURL(s)
		if err != nil {
			return
		}
		q, err := ParsePURL(p.Key())
		if err != nil {
			return // a key with characters that need escaping again
		}
		if q.Key() != p.Key() {
			t.Fatalf("%q: key %q reparses to %q", s, p.Key(), q.Key())
		}
	})
}
