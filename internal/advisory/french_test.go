package advisory

import (
	"errors"
	"testing"

	"github.com/accord-dev/accord/internal/locale"
)

// TestInputErrorInFrench: an *InputError keeps its English text and its
// path, and writes the problem (and "byte") in French for a French reader.
func TestInputErrorInFrench(t *testing.T) {
	const goFile = "testdata/osv/GO-2026-0001.json"
	const csafFile = "testdata/csaf/acme-2026-001.json"
	aff := func(m map[string]any) map[string]any { return m["affected"].([]any)[0].(map[string]any) }
	vuln := func(m map[string]any) map[string]any { return m["vulnerabilities"].([]any)[0].(map[string]any) }
	osv := func(doc []byte) error { _, _, err := ParseOSV(doc); return err }
	csaf := func(doc []byte) error { _, _, err := ParseCSAF(doc); return err }
	sbom := func(doc []byte) error { _, err := ParseSBOM(doc); return err }
	tests := []struct {
		name   string
		err    error
		en, fr string
	}{
		{"SBOM not JSON", sbom([]byte(`{"bomFormat": "CycloneDX",`)),
			"byte 26: invalid JSON: unexpected end of JSON input",
			"octet 26 : JSON invalide : unexpected end of JSON input"},
		{"SBOM syntax", sbom([]byte(`{"bomFormat": x}`)),
			"byte 15: invalid JSON: invalid character 'x' looking for beginning of value",
			"octet 15 : JSON invalide : caractère 'x' invalide là où une valeur devait commencer"},
		{"neither format", sbom([]byte(`{"hello": 1}`)),
			`neither a CycloneDX JSON document (bomFormat "CycloneDX") nor an SPDX 2.3 JSON document (spdxVersion "SPDX-2.3")`,
			`ni un document JSON CycloneDX (bomFormat "CycloneDX") ni un document JSON SPDX 2.3 (spdxVersion "SPDX-2.3")`},
		{"SPDX 2.2", sbom([]byte(`{"spdxVersion": "SPDX-2.2"}`)),
			`/spdxVersion: is "SPDX-2.2"; only SPDX-2.3 is read`,
			`/spdxVersion : vaut "SPDX-2.2" ; seul SPDX-2.3 est lu`},
		{"wrong type", sbom([]byte(`{"bomFormat": 1}`)),
			"/bomFormat (byte 15): want string, got JSON number",
			"/bomFormat (octet 15) : string attendu, reçu un JSON number"},
		{"ECOSYSTEM range without ordering", osv(mutate(t, goFile, func(m map[string]any) {
			aff(m)["package"] = map[string]any{"ecosystem": "GitHub Actions", "name": "acme/setup", "purl": "pkg:github/acme/setup"}
			aff(m)["ranges"].([]any)[0].(map[string]any)["type"] = "ECOSYSTEM"
		})),
			`/affected/0/ranges/0/type: ECOSYSTEM range in ecosystem "GitHub Actions": versions of this ecosystem cannot be compared (ordered comparison is supported for SemVer ranges and the ECOSYSTEM ranges of the ecosystems in OrderedEcosystems)`,
			`/affected/0/ranges/0/type : plage ECOSYSTEM dans l'écosystème "GitHub Actions" : les versions de cet écosystème ne peuvent pas être comparées (la comparaison ordonnée est prise en charge pour les plages SemVer et les plages ECOSYSTEM des écosystèmes de OrderedEcosystems)`},
		{"bad CVSS", osv(mutate(t, goFile, func(m map[string]any) {
			m["severity"] = []any{map[string]any{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H/AV:L"}}
		})),
			`/severity/0/score: CVSS vector "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H/AV:L": AV given twice`,
			`/severity/0/score : vecteur CVSS "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H/AV:L" : AV donné deux fois`},
		{"bad purl", sbom([]byte(`{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"type":"library","name":"y","purl":"npm/left-pad@1"}]}`)),
			`/components/0: purl "npm/left-pad@1": must start with pkg:`,
			`/components/0 : purl "npm/left-pad@1" : doit commencer par pkg:`},
		{"not SemVer", osv(mutate(t, goFile, func(m map[string]any) {
			aff(m)["ranges"].([]any)[0].(map[string]any)["events"] = []any{map[string]any{"introduced": "0"}, map[string]any{"fixed": "1.2.3.4.5"}}
		})),
			`/affected/0/ranges/0/events/1: "1.2.3.4.5" is not SemVer 2.0, so the range cannot be ordered`,
			`/affected/0/ranges/0/events/1 : "1.2.3.4.5" n'est pas du SemVer 2.0 : la plage ne peut pas être ordonnée`},
		{"6.1.6", csaf(mutate(t, csafFile, func(m map[string]any) {
			vuln(m)["product_status"] = map[string]any{"known_affected": []any{"ROUTER-2.3.1"}, "known_not_affected": []any{"ROUTER-2.3.1"}}
		})),
			`/vulnerabilities/0/product_status/known_not_affected/0: 6.1.6: product "ROUTER-2.3.1" is both affected and not`,
			`/vulnerabilities/0/product_status/known_not_affected/0 : 6.1.6 : le produit "ROUTER-2.3.1" a deux statuts contradictoires : « affected » et « not »`},
		{"6.1.1", csaf(mutate(t, csafFile, func(m map[string]any) {
			vuln(m)["product_status"] = map[string]any{"known_affected": []any{"ROUTER-9.9.9"}}
		})),
			`/vulnerabilities/0/product_status/known_affected/0: 6.1.1: product id "ROUTER-9.9.9" is not defined in the product tree`,
			`/vulnerabilities/0/product_status/known_affected/0 : 6.1.1 : l'identifiant de produit "ROUTER-9.9.9" n'est pas défini dans l'arbre des produits`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ie *InputError
			if !errors.As(tt.err, &ie) {
				t.Fatalf("got %v, want an *InputError", tt.err)
			}
			if tt.err.Error() != tt.en {
				t.Errorf("English\n got %s\nwant %s", tt.err, tt.en)
			}
			fr := locale.For("fr")
			if got := locale.Text(fr, tt.err); got != tt.fr {
				t.Errorf("French\n got %s\nwant %s", got, tt.fr)
			}
			if m := fr.Missing(); len(m) > 0 {
				t.Errorf("French lacks %q", m)
			}
		})
	}
	// An InputError built with Msg alone prints Msg in every language.
	ie := &InputError{Path: "/x", Offset: 1200, Msg: "as written"}
	if got, fr := ie.Error(), locale.Text(locale.For("fr"), ie); got != "/x (byte 1200): as written" || fr != "/x (octet 1200) : as written" {
		t.Errorf("Msg alone: %q / %q", got, fr)
	}
}
