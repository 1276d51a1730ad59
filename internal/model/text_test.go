package model

import (
	"errors"
	"testing"

	"github.com/accord-dev/accord/internal/locale"
)

// assertText checks what a reader of another language gets from err, an
// error of DecodeRequest or DecodeDecision: in English, Text is Error to
// the byte; in French, every message it is made of is in the catalog.
func assertText(t *testing.T, err error) {
	t.Helper()
	var ie *InputError
	if !errors.As(err, &ie) {
		t.Fatalf("error %v is %T, want *InputError", err, err)
	}
	if got := ie.Text(locale.For("en")); got != ie.Error() {
		t.Fatalf("English Text differs from Error:\n Text  %s\n Error %s", got, ie.Error())
	}
	fr := locale.For("fr")
	ie.Text(fr)
	if m := fr.Missing(); len(m) > 0 {
		t.Fatalf("%s: French lacks %q", ie, m)
	}
}

// Every refusal of the reject table reads the same in English through
// Text as through Error, and is wholly translated into French.
func TestDecodeRequestRejectsText(t *testing.T) {
	for _, tc := range invalidRequests {
		_, err := DecodeRequest([]byte(tc.in), testJurisdictions)
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		t.Run(tc.name, func(t *testing.T) { assertText(t, err) })
	}
	for _, tc := range invalidDecisions {
		_, err := DecodeDecision([]byte(tc.in))
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		t.Run(tc.name, func(t *testing.T) { assertText(t, err) })
	}
}

// The reasons of request validation, in French: the position and the
// reason are translated; paths, quoted values and codes are not.
func TestInputErrorFrench(t *testing.T) {
	fr := locale.For("fr")
	cases := []struct{ name, in, want string }{
		{"unknown field", data(`"categorys": []`),
			`data.categorys : membre inconnu ; vouliez-vous dire "categories" ?`},
		{"wrong type", data(`"records": "many"`),
			`data.records : on attendait un entier, pas une chaîne`},
		{"null", `{"action":null,"requester":{"kind":"company","jurisdiction":"FR"},"data":{"location":"FR"}}`,
			`action : on attendait une chaîne, pas null`},
		{"jurisdiction with a hint", data(`"subjects": {"UK": 3}`),
			`data.subjects.UK : juridiction inconnue "UK" (utilisez GB, le code ISO 3166-1 du Royaume-Uni)`},
		{"jurisdiction", data(`"origin": ["XX"]`),
			`data.origin[0] : juridiction inconnue "XX"`},
		{"category", data(`"categories": ["personal.shoe-size"]`),
			`data.categories[0] : catégorie inconnue "personal.shoe-size"`},
		{"negative count", data(`"subjects": {"FR": -3}`),
			`data.subjects.FR : ne doit pas être négatif (reçu : -3)`},
		{"percent", top(`"importer": {"kind": "company", "jurisdiction": "SG", "owners": {"CN": 150}}`),
			`importer.owners.CN : doit être compris entre 0 et 100 (reçu : 150)`},
		{"enum", top(`"frequency": "often"`),
			`frequency : valeur inconnue "often" (valeurs possibles : occasional, systematic)`},
		{"time", top(`"time": "2026-11-22 10:00"`),
			`time : on attendait une date-heure RFC 3339 telle que "2026-11-22T10:00:00Z", pas "2026-11-22 10:00"`},
		{"missing", `{"action":"access","data":{"location":"FR"}}`,
			`requester : membre obligatoire absent`},
		{"syntax", "{\n\"action\": \"access\",\n}",
			`ligne 3, colonne 1 : caractère '}' invalide là où devait commencer le nom d'un membre (une chaîne)`},
		{"cut short", `{"action":"acc`,
			`action : ligne 1, colonne 15 : fin inattendue du document`},
		{"top level", `[1]`,
			`ligne 1, colonne 1 : on attendait un objet JSON au premier niveau, pas un tableau`},
		{"empty", ``,
			`document vide ; on attendait un objet JSON`},
		{"destination", `{"action":"transfer","requester":{"kind":"company","jurisdiction":"FR"},"data":{"location":"FR"}}`,
			`destination : requis pour l'action "transfer" : indiquez l'État vers lequel vont les données (pour des données lues sur place depuis l'étranger, l'État du lecteur)`},
		{"category counts outside categories", data(`"categories": ["personal.contact"], "subjects_by_category": {"personal.health": {"FR": 9}}`),
			`data.subjects_by_category["personal.health"] : la catégorie "personal.health" ne figure pas dans data.categories ; ajoutez-la, ou retirez ses décomptes`},
		{"plain count below a category", data(`"categories": ["personal.health"], "subjects": {"US": 899}, "subjects_by_category": {"personal.health": {"US": 900}}`),
			`data.subjects.US : 899 est inférieur aux 900 personnes de US comptées dans la catégorie "personal.health" : le décompte simple est le nombre de personnes distinctes, toutes catégories confondues`},
	}
	for _, c := range cases {
		_, err := DecodeRequest([]byte(c.in), testJurisdictions)
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		if got := locale.Text(fr, err); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
	if m := fr.Missing(); len(m) > 0 {
		t.Errorf("French lacks %q", m)
	}
}

// An InputError built by hand, without a catalog message, keeps its
// English reason and translates its position; one made by NewInputError
// translates both.
func TestInputErrorText(t *testing.T) {
	fr := locale.For("fr")
	cases := []struct {
		err    *InputError
		en, fr string
	}{
		{&InputError{Path: "data", Line: 3, Column: 7, Msg: "invalid character"},
			"data: line 3, column 7: invalid character", "data : ligne 3, colonne 7 : invalid character"},
		{&InputError{Line: 1234, Column: 5, Msg: "x"}, "line 1234, column 5: x", "ligne 1234, colonne 5 : x"},
		{&InputError{Msg: "empty input"}, "empty input", "empty input"},
		{NewInputError("data.cii", locale.Errorf("missing required field")), "data.cii: missing required field", "data.cii : membre obligatoire absent"},
		{NewInputError("", locale.Errorf("unknown category %s", `"x"`)), `unknown category "x"`, `catégorie inconnue "x"`},
	}
	for _, c := range cases {
		if got := c.err.Error(); got != c.en {
			t.Errorf("Error() = %q, want %q", got, c.en)
		}
		if got := c.err.Text(locale.For("en")); got != c.en {
			t.Errorf("English Text = %q, want %q", got, c.en)
		}
		if got := c.err.Text(fr); got != c.fr {
			t.Errorf("French Text = %q, want %q", got, c.fr)
		}
	}
}
