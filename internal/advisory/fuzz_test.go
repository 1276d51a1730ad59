package advisory

import (
	"os"
	"path/filepath"
	"testing"
	"time"
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

// FuzzParseVers: never panics; a range it accepts is prepared (ordered)
// and decides any version without panicking; a version it names as a
// bound is decided, never unknown.
func FuzzParseVers(f *testing.F) {
	for _, s := range []string{"vers:semver/>=1.0.0|<1.4.2", "vers:deb/>=1%3A2.0|<1%3A2.4-1", "vers:pypi/<3.2.0", "vers:maven/>=2.0|<=2.17.0",
		"vers:alpine/<1.36.1-r2", "vers:gem/<7.0.8", "vers:nuget/*", "vers:rpm/<1.0-1.el9"} {
		f.Add(s, "1.0")
	}
	f.Fuzz(func(t *testing.T, s, v string) {
		r, err := parseVers(s)
		if err != nil {
			return
		}
		r.prepare()
		if r.ord == nil && len(r.Events) > 0 {
			t.Fatalf("%q accepted but not ordered", s)
		}
		p := Package{Ranges: []Range{r}}
		p.Affects(v)
		for _, e := range r.Events {
			if b := eventVersion(e); b != "0" && p.Affects(b) == Unknown {
				t.Fatalf("%q: its own bound %q is unknown", s, b)
			}
		}
	})
}

// FuzzEcosystemCompare: comparing two versions of an ordered ecosystem
// never panics and is antisymmetric.
func FuzzEcosystemCompare(f *testing.F) {
	for _, eco := range OrderedEcosystems {
		f.Add(eco, "1.0~rc1", "1:1.0-1")
		f.Add(eco, "1!2.0.post1", "2.0a1")
	}
	f.Fuzz(func(t *testing.T, eco, a, b string) {
		sch, ok := schemeOf(eco)
		if !ok {
			return
		}
		ab, ok1 := sch.compareIn(a, b)
		ba, ok2 := sch.compareIn(b, a)
		if ok1 != ok2 || ok1 && ab != -ba {
			t.Fatalf("%s: compare(%q,%q)=%d,%v but compare(%q,%q)=%d,%v", eco, a, b, ab, ok1, b, a, ba, ok2)
		}
	})
}

// FuzzReadProviderKey: never panics; a key it accepts can sign.
func FuzzReadProviderKey(f *testing.F) {
	_, priv, err := NewProviderKey("https://accord.example", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(priv)
	f.Add([]byte("-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n=AAAA\n-----END PGP PRIVATE KEY BLOCK-----\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := ReadProviderKey(b)
		if err != nil {
			return
		}
		if _, err := k.Sign([]byte("{}"), time.Now()); err != nil {
			t.Fatalf("accepted a key that cannot sign: %v", err)
		}
	})
}
