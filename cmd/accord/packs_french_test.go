package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/accord-dev/accord/internal/authz"
)

// positionRE matches the places errors name: file:line[:col], and the
// line and column of a JSON document in either language.
var positionRE = regexp.MustCompile(`[\w.-]+\.(?:yaml|json):\d+(?::\d+)?|(?:line|ligne) \d+, (?:column|colonne) \d+`)

// positions returns the places s names, with the words of a JSON position
// in English, so that both languages compare equal.
func positions(s string) []string {
	out := positionRE.FindAllString(s, -1)
	for i, p := range out {
		p = strings.Replace(p, "ligne ", "line ", 1)
		out[i] = strings.Replace(p, "colonne ", "column ", 1)
	}
	return out
}

// TestPackErrorsSpeakFrench runs, in English and in French, commands that
// read a broken pack, a broken registry file or a tampered authorization:
// the French error names the same places as the English one, its own
// words are French (CEL's and YAML's messages stay as those libraries
// write them), and no message fell back to English for want of a
// translation.
func TestPackErrorsSpeakFrench(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	const head = "name: p\nversion: \"1\"\ntitle: T\nsource: S\n"
	const rule = "  - id: p-r\n    effect: deny\n    when: request.action == \"transfer\"\n    message: M\n    messages: {fr: M}\n    citation: C\n"
	write("yaml/p.yaml", head+"rules: [\n")
	write("unknown/p.yaml", head+"colour: red\nrules:\n"+rule)
	write("noid/p.yaml", head+"rules:\n  - effect: deny\n    when: \"true\"\n    message: M\n    citation: C\n")
	write("cel/p.yaml", head+"rules:\n"+strings.Replace(rule, `request.action == "transfer"`, "request.nope == 1", 1))
	write("lint/p.yaml", "name: p\nversion: \"1\"\nrules:\n"+rule)
	write("lint/p_test.yaml", "pack: p\ncases:\n  - name: c\n    request: {action: transfer, requester: {id: x, kind: company, jurisdiction: FR}, data: {categories: [personal.contact], subjects: {FR: 1}, location: FR}, destination: US}\n    outcome: deny\n    rules: [p-r]\n")
	regDir := filepath.Dir(write("reg/blocs.yaml", "version: \"t\"\nblocs:\n  - id: bad-bloc\n    name: B\n    source: S\n    members: [FR]\n    colour: red\n"))
	badIDDir := filepath.Dir(write("badid/blocs.yaml", "version: \"t\"\nblocs:\n  - id: bad-bloc\n    name: B\n    source: S\n    members: [FR]\n"))
	write("bad-statement.json", "{\n  \"id\": \"A-1\",\n  \"type\": \"authorization\",\n  \"colour\": \"red\"\n}\n")

	// A signed authorization whose grantee was changed after signing.
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	st, err := authz.ParseStatement([]byte(`{"id": "A-1", "type": "authorization", "issuer": "cn-moj", "issuer_jurisdiction": "CN",
		"grantee": "fr-ofac", "valid_from": "2026-11-20T00:00:00Z", "valid_to": "2026-12-20T00:00:00Z",
		"scope": {"purposes": ["law-enforcement"], "max_subjects": 3}}`))
	if err != nil {
		t.Fatal(err)
	}
	env, err := authz.Sign(context.Background(), st, priv)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		t.Fatal(err)
	}
	env.Payload = base64.StdEncoding.EncodeToString([]byte(strings.Replace(string(payload), "fr-ofac", "us-fbi", 1)))
	tampered, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	tamperedPath := write("tampered.json", string(tampered))
	key := filepath.Join(dir, "k.pem")
	pem, err := authz.MarshalPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	write("k.pem", string(pem))

	for _, tc := range []struct {
		name string
		args []string
		code int
		// en and fr are in the English and the French text.
		en, fr []string
	}{
		{"a bad YAML line", []string{"packs", "lint", filepath.Join(dir, "yaml")}, exitBadInput,
			[]string{"load pack p.yaml: yaml: line 5:"},
			[]string{"chargement du paquet p.yaml : yaml: line 5:"}},
		{"an unknown field", []string{"packs", "lint", filepath.Join(dir, "unknown")}, exitBadInput,
			[]string{`p.yaml:5:1: pack: unknown key "colour" (known: applies, name,`},
			[]string{`p.yaml:5:1: paquet : clé inconnue "colour" (connues : applies, name,`}},
		{"a rule without id", []string{"packs", "lint", filepath.Join(dir, "noid")}, exitBadInput,
			[]string{`p.yaml:6:5: rule #line6: rule: missing required key "id"`},
			[]string{`p.yaml:6:5: règle #line6 : règle : clé obligatoire "id" manquante`}},
		{"an expression that does not compile", []string{"packs", "lint", filepath.Join(dir, "cel")}, exitBadInput,
			[]string{"p.yaml:8:18: rule p-r: when: undefined field 'nope'"},
			[]string{"p.yaml:8:18: règle p-r : when : undefined field 'nope'"}},
		{"a lint finding", []string{"packs", "lint", filepath.Join(dir, "lint")}, exitError,
			[]string{"p.yaml:1:1: pack p has no title"},
			[]string{"p.yaml:1:1: le paquet p n'a pas de titre", "p.yaml:1:1: le paquet p n'a pas de source (le texte juridique qu'il traduit)"}},
		{"a broken registry file", []string{"registry", "list", "blocs", "--registry", regDir}, exitBadInput,
			[]string{"load registry: ", `blocs.yaml:7: unknown field "colour" (want one of id, name,`},
			[]string{"chargement du registre : ", `blocs.yaml:7: champ inconnu "colour" (l'un de id, name,`}},
		{"a bad registry entry", []string{"registry", "list", "blocs", "--registry", badIDDir}, exitBadInput,
			[]string{`blocs.yaml:3: id: "bad-bloc" is not a bloc id (upper case letters, digits, _)`},
			[]string{`blocs.yaml:3: id : "bad-bloc" n'est pas un id de bloc (lettres majuscules, chiffres, _)`}},
		{"a tampered authorization", []string{"authz", "verify", tamperedPath, "--pubkey", authz.EncodePublicKey(pub)}, exitBadInput,
			[]string{`statement A-1: issuer "cn-moj": signature does not verify with the issuer's key`},
			[]string{`déclaration A-1 : émetteur "cn-moj" : la signature ne se vérifie pas avec la clé de l'émetteur`}},
		{"a statement with an unknown field", []string{"authz", "sign", filepath.Join(dir, "bad-statement.json"), "--key", key}, exitBadInput,
			[]string{"colour: ", "(known: ", "(line 4, column 3)"},
			[]string{"colour: ", "(connus : ", "(ligne 4, colonne 3)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var texts [2]string
			for i, lang := range []string{"en", "fr"} {
				out, errText, code := runIn(t, lang, tc.args...)
				texts[i] = out + errText
				if code != tc.code {
					t.Fatalf("%s: exit %d, want %d\n%s", lang, code, tc.code, texts[i])
				}
				for _, w := range [][]string{tc.en, tc.fr}[i] {
					if !strings.Contains(texts[i], w) {
						t.Errorf("%s: output lacks %q\n%s", lang, w, texts[i])
					}
				}
			}
			en, fr := positions(texts[0]), positions(texts[1])
			if len(en) == 0 && !strings.Contains(tc.name, "YAML") && !strings.Contains(tc.name, "tampered") {
				t.Errorf("no position in the English text\n%s", texts[0])
			}
			if !slices.Equal(en, fr) {
				t.Errorf("places differ:\nen %q\nfr %q", en, fr)
			}
		})
	}
	t.Setenv("ACCORD_LANG", "fr")
	if m := userPrinter().Missing(); len(m) > 0 {
		t.Errorf("printed in English for want of a French translation: %q", m)
	}
}
