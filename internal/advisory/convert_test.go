package advisory

import (
	"path/filepath"
	"strings"
	"testing"
)

var demoPublisher = Publisher{Name: "Acme Networks", Namespace: "https://acme.example"}

// TestConvertGolden converts every advisory of testdata to the other
// format: the result validates (Convert checks it) and matches its golden
// file, losses included.
func TestConvertGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/osv/*.json")
	more, _ := filepath.Glob("testdata/csaf/*.json")
	for _, f := range append(files, more...) {
		t.Run(f, func(t *testing.T) {
			c, err := Convert(read(t, f), demoPublisher)
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Losses) == 0 {
				t.Error("no losses stated: a conversion between OSV and CSAF always loses something")
			}
			golden(t, strings.TrimSuffix(filepath.Base(f), ".json")+".converted.json", c)
		})
	}
}

// TestConvertRoundTripMatches: an OSV advisory converted to CSAF matches
// the same components as the original.
func TestConvertRoundTripMatches(t *testing.T) {
	comps := demoComponents(t)
	ix := NewIndex(comps)
	for _, f := range []string{"testdata/osv/GO-2026-0001.json", "testdata/osv/GHSA-forced-major.json"} {
		orig, err := Parse(read(t, f))
		if err != nil {
			t.Fatal(err)
		}
		c, err := Convert(read(t, f), demoPublisher)
		if err != nil {
			t.Fatal(err)
		}
		conv, err := Parse(c.Document)
		if err != nil {
			t.Fatal(err)
		}
		a, b := Deployments(ix.Match(orig)), Deployments(ix.Match(conv))
		if strings.Join(a, ",") != strings.Join(b, ",") || len(a) == 0 {
			t.Errorf("%s: original affects %v, converted %v", f, a, b)
		}
		if strings.Join(Rules(Lint(orig)), ",") != strings.Join(Rules(Lint(conv)), ",") {
			t.Errorf("%s: lint differs after conversion: %v vs %v", f, Lint(orig), Lint(conv))
		}
	}
}

func TestConvertNeedsPublisher(t *testing.T) {
	if _, err := Convert(read(t, "testdata/osv/GO-2026-0001.json"), Publisher{Name: "x", Namespace: "http://insecure"}); err == nil {
		t.Error("converted without an https publisher namespace")
	}
}
