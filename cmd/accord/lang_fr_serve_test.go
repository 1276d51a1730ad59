package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeCustodyAdvisoryInFrench: with ACCORD_LANG=fr, the advisory,
// sbom, custodian and seal commands print French (numbers, plurals and
// typography included) and their errors read in French, every message
// from the catalog; English stays what scripts and docs read.
func TestServeCustodyAdvisoryInFrench(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "in.csv")
	labels := filepath.Join(dir, "labels.json")
	for name, body := range map[string]string{plain: "a,b\n", labels: `{"location":"FR"}`} {
		if err := os.WriteFile(name, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("ACCORD_LANG", "en")
	pubOut, code := runAccord(t, "custodian", "keygen", "-o", filepath.Join(dir, "fr.key"))
	if code != exitOK {
		t.Fatalf("keygen: %d %s", code, pubOut)
	}
	pub := strings.TrimSpace(pubOut)
	vendorKey := filepath.Join(dir, "vendor.key")
	if out, code := runAccord(t, "authz", "keygen", "--out", vendorKey); code != exitOK {
		t.Fatalf("authz keygen: %d %s", code, out)
	}
	t.Setenv("ACCORD_TOKEN", "")
	sealed := filepath.Join(dir, "out.sealed")
	adv := func(name string) string { return filepath.Join("..", "..", "examples", "advisories", name) }

	for _, c := range []struct {
		name string
		args []string
		code int
		// want are lines the output holds, whole; en is the same run's
		// English output, which must hold none of them.
		want []string
	}{
		{"validate", []string{"advisory", "validate", adv("acme-2026-001.json")}, exitOK, []string{
			"avis csaf ACME-2026-001 valide : gravité critical (CVSS 9,8), exploité : oui",
			"remèdes : vendor_fix, workaround",
			"lint : 0 constat",
		}},
		{"lint passes", []string{"advisory", "lint", adv("acme-2026-001.json")}, exitOK, []string{
			"ACME-2026-001 : conforme (grave : oui)",
		}},
		{"lint flags", []string{"advisory", "lint", adv("acme-2026-002-forced-upgrade.json")}, exitFlagged, []string{
			"ACME-2026-002 : gdsi8-forced-upgrade : ROUTER-2.3.1, ligne v2 : ",
			"  source : ",
		}},
		{"sbom dry run", []string{"sbom", "import", adv("router-plant-a.cdx.json"), "--dry-run"}, exitOK, []string{
			"SBOM cyclonedx, 4 composants (ignorés faute de purl ou de CPE : 2)",
		}},
		{"seal", []string{"seal", "--dataset", "crm-eu", plain, "-o", sealed, "-k", "1", "--labels", labels, "--custodian", "fr=http://127.0.0.1:1," + pub}, exitOK, []string{
			plain + " scellé en " + sealed + " : jeu de données crm-eu, clé ",
			", 1 dépositaire sur 1 nécessaire",
		}},
		{"keygen without -o", []string{"custodian", "keygen"}, exitBadInput, []string{
			"-o/--output : nommez le fichier de la clé privée",
		}},
		{"publish without a server", []string{"advisory", "publish", adv("acme-2026-001.json"), "--key", vendorKey}, exitBadInput, []string{
			"--server et $ACCORD_TOKEN sont obligatoires",
		}},
		{"serve with half of TLS", []string{"serve", "--data", filepath.Join(dir, "data"), "--tls-cert", "x.pem"}, exitBadInput, []string{
			"--tls-cert et --tls-key vont ensemble",
		}},
		{"seal with a bad custodian", []string{"seal", "--dataset", "d", plain, "-o", sealed, "--labels", labels, "--custodian", "fr"}, exitBadInput, []string{
			`--custodian "fr" : forme attendue ID=URL,CLÉPUB`,
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			os.Remove(sealed)
			en, enCode := runAccord(t, c.args...)
			os.Remove(sealed)
			out, errText, code := runIn(t, "fr", c.args...)
			out += errText
			if code != c.code || enCode != c.code {
				t.Fatalf("exit %d in French, %d in English; want %d:\n%s", code, enCode, c.code, out)
			}
			for _, w := range c.want {
				if !hasLinePart(out, w) {
					t.Errorf("French output lacks %q:\n%s", w, out)
				}
				if strings.Contains(en, w) {
					t.Errorf("English output holds the French %q:\n%s", w, en)
				}
			}
			if m := userPrinter().Missing(); len(m) > 0 {
				t.Errorf("output or errors printed in English for want of a French translation: %q", m)
			}
		})
	}
}

// hasLinePart says whether a line of out starts or ends with part, or is
// it.
func hasLinePart(out, part string) bool {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, part) || strings.HasSuffix(l, part) {
			return true
		}
	}
	return false
}

// TestServeStartInFrench: a first start with --demo, in French, prints
// the new log's banner and the demo tokens' header in French, the tokens
// and the command to paste as they are, and keeps its operator logs in
// English (structured JSON).
func TestServeStartInFrench(t *testing.T) {
	t.Setenv("ACCORD_LANG", "fr")
	dir := t.TempDir()
	out, code := serveOnce(t, dir, "--demo")
	if code != exitOK {
		t.Fatalf("serve --demo: exit %d\n%s", code, out)
	}
	for _, want := range []string{
		"*** Nouveau journal de transparence accord.test/world ***",
		"*** Publiez sa clé de vérification : accord.test/world+",
		"Monde de démonstration créé. Jetons (valables 24 heures, affichés une seule fois) :",
		"Les mêmes jetons en variables du shell : . " + filepath.Join(dir, demoTokensFile),
		"Essayez : curl -s -H \"Authorization: Bearer $ACCORD_TOKEN_REQUESTER\"",
		"Clé de signature de cn-moj (enregistrée comme sa public_key) : ",
		`"msg":"accord serving"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("serve --demo in French lacks %q:\n%s", want, out)
		}
	}
	if m := userPrinter().Missing(); len(m) > 0 {
		t.Errorf("printed in English for want of a French translation: %q", m)
	}
}
