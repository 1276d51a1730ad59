package registry

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// goldenCodes are the jurisdictions whose names the golden file pins.
var goldenCodes = []string{"AE", "BR", "CI", "CN", "DE", "EH", "FR", "GB", "HK", "IN", "JP", "KP", "KR", "PS", "RU", "SA", "TW", "US", "ZA"}

// TestJurisdictionsGolden pins the number of jurisdictions and the names of
// a sample in every language, so a regeneration that changes them shows up
// in review. Run with -update to accept a change.
func TestJurisdictionsGolden(t *testing.T) {
	r := mustLoad(t)
	var b strings.Builder
	fmt.Fprintf(&b, "%d jurisdictions\n", len(r.Jurisdictions()))
	for _, code := range goldenCodes {
		j, ok := r.Jurisdiction(code)
		if !ok {
			t.Fatalf("jurisdiction %s missing", code)
		}
		fmt.Fprintf(&b, "%s", code)
		for _, lang := range []string{"en", "fr", "es", "ru", "zh", "ar"} {
			fmt.Fprintf(&b, "\t%s=%s", lang, j.Names[lang])
		}
		b.WriteString("\n")
	}
	golden := filepath.Join("testdata", "jurisdictions.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != string(want) {
		t.Errorf("jurisdictions differ from %s (run go test -update to accept):\ngot:\n%s\nwant:\n%s", golden, got, want)
	}
}

func TestJurisdictionNames(t *testing.T) {
	r := mustLoad(t)
	tests := []struct {
		code, lang, want string
	}{
		{"FR", "en", "France"},
		{"FR", "fr", "France"},
		{"CN", "en", "China"},
		{"CN", "fr", "Chine"},
		{"CN", "zh", "中国"},
		{"CI", "en", "Côte d’Ivoire"},
		{"CI", "fr", "Côte d’Ivoire"},
		{"DE", "fr", "Allemagne"},
		{"US", "fr", "États-Unis"},
		{"DE", "xx", "Germany"}, // unknown language falls back to English
	}
	for _, tt := range tests {
		j, ok := r.Jurisdiction(tt.code)
		if !ok {
			t.Fatalf("jurisdiction %s missing", tt.code)
		}
		if got := j.Name(tt.lang); got != tt.want {
			t.Errorf("%s.Name(%q) = %q, want %q", tt.code, tt.lang, got, tt.want)
		}
	}
	for _, j := range r.Jurisdictions() {
		for _, lang := range []string{"en", "fr", "es", "ru", "zh", "ar"} {
			if j.Names[lang] == "" {
				t.Errorf("%s has no %s name", j.Code, lang)
			}
		}
	}
	if got := (Jurisdiction{Code: "XK"}).Name("fr"); got != "XK" {
		t.Errorf("Name without names = %q, want the code", got)
	}
}
