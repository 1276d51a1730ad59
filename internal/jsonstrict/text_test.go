package jsonstrict

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/accord-dev/accord/internal/locale"
)

// SyntaxReason keeps encoding/json's English to the byte and translates
// every context its scanner names.
func TestSyntaxReason(t *testing.T) {
	cases := []struct{ in, fr string }{
		{`[,]`, "caractère ',' invalide là où une valeur devait commencer"},
		{`{1:2}`, "caractère '1' invalide là où devait commencer le nom d'un membre (une chaîne)"},
		{`{"a" 1}`, "caractère '1' invalide après le nom d'un membre"},
		{`{"a":1 "b"}`, "caractère '\"' invalide après un membre (nom : valeur)"},
		{`{"a":1'}`, `caractère '\'' invalide après un membre (nom : valeur)`},
		{`[1 2]`, "caractère '2' invalide après un élément de tableau"},
		{`1 2`, "caractère '2' invalide après la valeur de premier niveau"},
		{"\"a\x01\"", `caractère '\x01' invalide dans une chaîne`},
		{`"\x"`, "caractère 'x' invalide dans une séquence d'échappement"},
		{`"\u12g4"`, `caractère 'g' invalide dans un échappement hexadécimal \u`},
		{`-a`, "caractère 'a' invalide dans un nombre"},
		{`1.a`, "caractère 'a' invalide après le point décimal d'un nombre"},
		{`1ea`, "caractère 'a' invalide dans l'exposant d'un nombre"},
		{`tx`, "caractère 'x' invalide dans le littéral true ('r' attendu)"},
		{`tr ue`, "caractère ' ' invalide dans le littéral true ('u' attendu)"},
		{`fals0`, "caractère '0' invalide dans le littéral false ('e' attendu)"},
		{`nul1`, "caractère '1' invalide dans le littéral null ('l' attendu)"},
		{strings.Repeat("[", 10001), "caractère '[' : profondeur d'imbrication maximale dépassée"},
	}
	for _, c := range cases {
		var raw json.RawMessage
		var se *json.SyntaxError
		if err := json.Unmarshal([]byte(c.in), &raw); !errors.As(err, &se) {
			t.Fatalf("%.20s: %v is no syntax error", c.in, err)
		}
		fr := locale.For("fr")
		r := SyntaxReason(se.Error())
		if r.Error() != se.Error() {
			t.Errorf("%.20s: English %q, want encoding/json's %q", c.in, r.Error(), se.Error())
		}
		if got := locale.Text(fr, r); got != c.fr {
			t.Errorf("%.20s: %s\n got %s\nwant %s", c.in, se.Error(), got, c.fr)
		}
		if m := fr.Missing(); len(m) > 0 {
			t.Errorf("%.20s: French lacks %q", c.in, m)
		}
	}
	// A message it does not know stays as it is, in every language.
	for _, msg := range []string{"unexpected end of JSON input", "invalid character 'x' ", "invalid character", "invalid character x y"} {
		r := SyntaxReason(msg)
		if r.Error() != msg || locale.Text(locale.For("fr"), r) != msg {
			t.Errorf("%q became %q / %q", msg, r.Error(), locale.Text(locale.For("fr"), r))
		}
	}
}

// Error.Text writes the position and the reason in the reader's language;
// a reason of the schema's own check that is not a catalog message stays
// as it is.
func TestErrorText(t *testing.T) {
	cases := []struct{ name, in, fr string }{
		{"syntax in a member", "{\"id\":\"x\",\n\"list\":[1,]}", "list[1] : ligne 2, colonne 11 : caractère ']' invalide là où une valeur devait commencer"},
		{"trailing", `{"id":"x"} 1`, "ligne 1, colonne 12 : données inattendues après l'objet de premier niveau"},
		{"int8 range", `{"id":"x","small":128}`, "small : entier 128 hors limites"},
		{"number range", `{"id":"x","share":1e999}`, "share : nombre 1e999 hors limites"},
		{"uint negative", `{"id":"x","big":-1}`, "big : ne doit pas être négatif (reçu : -1)"},
		{"float for int", `{"id":"x","small":1.5}`, "small : on attendait un entier, pas un nombre"},
		{"boolean", `{"id":"x","flag":"yes"}`, "flag : on attendait un booléen, pas une chaîne"},
		{"array", `{"id":"x","list":{}}`, "list : on attendait un tableau, pas un objet"},
		{"duplicate", `{"id":"x","id":"y"}`, "id : clé en double"},
		{"check func", `{"id":""}`, "id : must not be empty"},
		{"lookup", `{"id":"x","tags":["b"]}`, `tags[0] : not upper case: "b"`},
		{"map key", `{"id":"x","counts":{"DE":1}}`, `counts.DE : valeur inconnue "DE" (valeurs possibles : FR, CN)`},
		{"unknown without a near name", `{"id":"x","zzzzzz":1}`, "zzzzzz : membre inconnu"},
	}
	for _, c := range cases {
		err := testSchema.Decode([]byte(c.in), new(doc), lookupUpper)
		var je *Error
		if !errors.As(err, &je) {
			t.Fatalf("%s: %v is not an *Error", c.name, err)
		}
		if got := je.Text(locale.For("en")); got != je.Error() {
			t.Errorf("%s: English Text %q, Error %q", c.name, got, je.Error())
		}
		if got := locale.Text(locale.For("fr"), err); got != c.fr {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.fr)
		}
	}
	// An Error built by another package has no catalog message: its
	// reason stays English, its position is translated.
	e := &Error{Path: "a", Line: 2, Column: 3, Msg: "bad", InText: true}
	if got := e.Text(locale.For("fr")); got != "a : ligne 2, colonne 3 : bad" {
		t.Errorf("hand-made Error in French: %q", got)
	}
	if e.Reason() != nil {
		t.Errorf("hand-made Error has a reason: %v", e.Reason())
	}
}
