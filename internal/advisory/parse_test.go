package advisory

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

func read(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// golden compares got (as indented JSON) with testdata/golden/name.
func golden(t *testing.T, name string, got any) {
	t.Helper()
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	path := filepath.Join("testdata", "golden", name)
	if *update {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if string(want) != string(b) {
		t.Errorf("%s differs from golden:\n%s", name, b)
	}
}

func TestParseSBOMGolden(t *testing.T) {
	for _, f := range []string{"router-plant-a.cdx.json", "router-plant-b.spdx.json"} {
		t.Run(f, func(t *testing.T) {
			s, err := ParseSBOM(read(t, filepath.Join("testdata", "sbom", f)))
			if err != nil {
				t.Fatal(err)
			}
			golden(t, strings.TrimSuffix(f, ".json")+".components.json", s)
		})
	}
}

func TestParseSBOMErrors(t *testing.T) {
	big := make([]byte, MaxSBOM+1)
	for _, tc := range []struct {
		name, doc string
		raw       []byte
		want      string
	}{
		{name: "not JSON", doc: `{"bomFormat": "CycloneDX",`, want: "byte 26"},
		{name: "neither format", doc: `{"hello": 1}`, want: "neither a CycloneDX"},
		{name: "SPDX 2.2", doc: `{"spdxVersion": "SPDX-2.2"}`, want: "/spdxVersion"},
		{name: "bad purl", doc: `{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"type":"library","name":"x"},{"type":"library","name":"y","purl":"npm/left-pad@1"}]}`, want: "/components/1"},
		{name: "nested bad purl", doc: `{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"type":"library","name":"x","purl":"pkg:npm/a@1","components":[{"type":"library","name":"y","purl":"pkg:/x"}]}]}`, want: "/components/0/components/0"},
		{name: "SPDX bad purl", doc: `{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","name":"n","documentNamespace":"https://x","dataLicense":"CC0-1.0","creationInfo":{"created":"2026-01-01T00:00:00Z","creators":["Tool: t"]},"packages":[{"SPDXID":"SPDXRef-a","name":"a","downloadLocation":"NOASSERTION","externalRefs":[{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"nope"}]}]}`, want: "/packages/0"},
		{name: "too large", raw: big, want: "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := tc.raw
			if doc == nil {
				doc = []byte(tc.doc)
			}
			_, err := ParseSBOM(doc)
			var ie *InputError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an *InputError containing %q", err, tc.want)
			}
		})
	}
}

func TestParseAdvisoriesGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/osv/*.json")
	more, _ := filepath.Glob("testdata/csaf/*.json")
	for _, f := range append(files, more...) {
		t.Run(f, func(t *testing.T) {
			a, err := Parse(read(t, f))
			if err != nil {
				t.Fatal(err)
			}
			golden(t, strings.TrimSuffix(filepath.Base(f), ".json")+".parsed.json", struct {
				Advisory *Advisory
				Severity string
				Lint     []Finding
			}{a, a.Severity(), Lint(a)})
		})
	}
}

// mutate decodes a testdata document, applies f, and re-encodes it.
func mutate(t *testing.T, path string, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(read(t, path), &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	b, _ := json.Marshal(m)
	return b
}

func TestParseOSVErrors(t *testing.T) {
	const goFile = "testdata/osv/GO-2026-0001.json"
	aff := func(m map[string]any) map[string]any { return m["affected"].([]any)[0].(map[string]any) }
	for _, tc := range []struct {
		name string
		doc  []byte
		want string
	}{
		{"no modified (schema)", mutate(t, goFile, func(m map[string]any) { delete(m, "modified") }), "schema"},
		{"bad range type (schema)", mutate(t, goFile, func(m map[string]any) {
			aff(m)["ranges"].([]any)[0].(map[string]any)["type"] = "DATES"
		}), "/affected/0/ranges/0/type"},
		{"unknown ecosystem without purl", mutate(t, goFile, func(m map[string]any) {
			aff(m)["package"] = map[string]any{"ecosystem": "Acme OS", "name": "x"}
		}), "/affected/0/package"},
		{"ECOSYSTEM range in an ecosystem without ordering", mutate(t, goFile, func(m map[string]any) {
			aff(m)["package"] = map[string]any{"ecosystem": "GitHub Actions", "name": "acme/setup", "purl": "pkg:github/acme/setup"}
			aff(m)["ranges"].([]any)[0].(map[string]any)["type"] = "ECOSYSTEM"
		}), "/affected/0/ranges/0/type"},
		{"SEMVER range that is not SemVer", mutate(t, goFile, func(m map[string]any) {
			aff(m)["ranges"].([]any)[0].(map[string]any)["events"] = []any{map[string]any{"introduced": "0"}, map[string]any{"fixed": "1.2.3.4.5"}}
		}), "/affected/0/ranges/0/events"},
		{"bad CVSS vector", mutate(t, goFile, func(m map[string]any) {
			m["severity"] = []any{map[string]any{"type": "CVSS_V3", "score": "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}}
		}), "/severity/0"},
		{"not JSON", []byte(`{"id": `), "byte"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ParseOSV(tc.doc)
			var ie *InputError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an *InputError containing %q", err, tc.want)
			}
		})
	}
}

func TestParseCSAFErrors(t *testing.T) {
	const f = "testdata/csaf/acme-2026-001.json"
	vuln := func(m map[string]any) map[string]any { return m["vulnerabilities"].([]any)[0].(map[string]any) }
	for _, tc := range []struct {
		name string
		doc  []byte
		want string
	}{
		{"no tracking id (schema)", mutate(t, f, func(m map[string]any) {
			delete(m["document"].(map[string]any)["tracking"].(map[string]any), "id")
		}), "/document/tracking"},
		{"6.1.1 undefined product", mutate(t, f, func(m map[string]any) {
			vuln(m)["product_status"] = map[string]any{"known_affected": []any{"ROUTER-9.9.9"}}
		}), "6.1.1"},
		{"6.1.2 product defined twice", mutate(t, f, func(m map[string]any) {
			m["product_tree"].(map[string]any)["full_product_names"] = []any{map[string]any{"name": "again", "product_id": "ROUTER-2.3.1"}}
		}), "6.1.2"},
		{"6.1.6 contradicting status", mutate(t, f, func(m map[string]any) {
			vuln(m)["product_status"] = map[string]any{"known_affected": []any{"ROUTER-2.3.1"}, "known_not_affected": []any{"ROUTER-2.3.1"}}
		}), "6.1.6"},
		{"undefined product in a remediation", mutate(t, f, func(m map[string]any) {
			vuln(m)["remediations"] = []any{map[string]any{"category": "workaround", "details": "x", "product_ids": []any{"NOPE"}}}
		}), "/vulnerabilities/0/remediations/0/product_ids/0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ParseCSAF(tc.doc)
			var ie *InputError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an *InputError containing %q", err, tc.want)
			}
		})
	}
}

func TestCheckDates(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	paths := [3]string{"/published", "/modified", "/discovered"}
	for _, tc := range []struct {
		name string
		a    Advisory
		want string
	}{
		{"past", Advisory{Published: now.Add(-time.Hour), Discovered: now.Add(-48 * time.Hour)}, ""},
		{"skew allowed", Advisory{Published: now.Add(time.Minute)}, ""},
		{"published in the future", Advisory{Published: now.Add(time.Hour)}, "/published"},
		{"modified in the future", Advisory{Modified: now.Add(24 * time.Hour)}, "/modified"},
		{"discovered after published", Advisory{Published: now.Add(-48 * time.Hour), Discovered: now.Add(-time.Hour)}, "/discovered"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.a.CheckDates(now, paths)
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestCVSS3BaseScore(t *testing.T) {
	for _, tc := range []struct {
		vector string
		want   float64
	}{
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1},
		{"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8},
		{"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0},
		{"CVSS:3.1/AV:N/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 2.0},
	} {
		got, err := cvss3BaseScore(tc.vector)
		if err != nil || got != tc.want {
			t.Errorf("%s: got %v, %v; want %v", tc.vector, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "CVSS:2.0/AV:N", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H", "CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"} {
		if _, err := cvss3BaseScore(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
