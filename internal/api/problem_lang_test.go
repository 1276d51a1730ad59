package api_test

import (
	"strings"
	"testing"

	"github.com/accord-dev/accord/internal/store"
)

// A problem's title and detail are in the language the caller's
// Accept-Language asks for, English when it names none Accord writes;
// type, status and field, which programs key on, are the same in every
// language.
func TestProblemLanguage(t *testing.T) {
	e := newEnv(t)
	tok := e.tokens[store.RoleRequester]
	op := e.tokens[store.RoleOperator]
	type text struct{ title, detail string }
	cases := []struct {
		name       string
		c          call
		status     int
		typ, field string
		en, fr     text
	}{
		{"bad JSON", call{method: "POST", path: "/v1/datasets", token: op, body: `{"id": x}`, invalid: true}, 400, "/problems/bad-request", "",
			text{"The request is not valid", "invalid JSON: invalid character 'x' looking for beginning of value"},
			text{"La requête n'est pas valide", "JSON invalide : caractère 'x' invalide là où une valeur devait commencer"}},
		{"unknown field", call{method: "POST", path: "/v1/datasets", token: op, body: `{"id":"a","location":"FR","owner":"me"}`, invalid: true}, 400, "/problems/bad-request", "owner",
			text{"The request is not valid", "owner: unknown field"},
			text{"La requête n'est pas valide", "owner : membre inconnu"}},
		// The reasons of the strict request decoder (jsonstrict, model):
		// the English is the decoder's own text, to the byte.
		{"request: unknown field, did you mean", call{method: "POST", path: "/v1/check", token: tok, body: `{"action":"access","data":{"location":"FR","categorys":["personal.contact"]}}`, invalid: true}, 400, "/problems/bad-request", "data.categorys",
			text{"The request is not valid", `data.categorys: unknown field; did you mean "categories"?`},
			text{"La requête n'est pas valide", `data.categorys : membre inconnu ; vouliez-vous dire "categories" ?`}},
		{"request: wrong type", call{method: "POST", path: "/v1/check", token: tok, body: `{"action":"access","data":{"location":"FR","records":"many"}}`, invalid: true}, 400, "/problems/bad-request", "data.records",
			text{"The request is not valid", "data.records: expected integer, got string"},
			text{"La requête n'est pas valide", "data.records : on attendait un entier, pas une chaîne"}},
		{"request: bad country code", call{method: "POST", path: "/v1/check", token: tok, body: `{"action":"access","data":{"location":"FR","subjects":{"UK":3}}}`, invalid: true}, 400, "/problems/bad-request", "data.subjects.UK",
			text{"The request is not valid", `data.subjects.UK: unknown jurisdiction "UK" (use GB, the ISO 3166-1 code of the United Kingdom)`},
			text{"La requête n'est pas valide", `data.subjects.UK : juridiction inconnue "UK" (utilisez GB, le code ISO 3166-1 du Royaume-Uni)`}},
		{"request: negative count", call{method: "POST", path: "/v1/check", token: tok, body: `{"action":"access","data":{"location":"FR","subjects":{"FR":-3}}}`, invalid: true}, 400, "/problems/bad-request", "data.subjects.FR",
			text{"The request is not valid", "data.subjects.FR: must not be negative, got -3"},
			text{"La requête n'est pas valide", "data.subjects.FR : ne doit pas être négatif (reçu : -3)"}},
		{"request: syntax error", call{method: "POST", path: "/v1/check", token: tok, body: "{\n\"action\": \"access\",\n}", invalid: true}, 400, "/problems/bad-request", "",
			text{"The request is not valid", "line 3, column 1: invalid character '}' looking for beginning of object key string"},
			text{"La requête n'est pas valide", "ligne 3, colonne 1 : caractère '}' invalide là où devait commencer le nom d'un membre (une chaîne)"}},
		{"request: syntax error in a member", call{method: "POST", path: "/v1/check", token: tok, body: `{"action":"access","data":{"location":"FR","records":1.}}`, invalid: true}, 400, "/problems/bad-request", "data",
			text{"The request is not valid", "data: line 1, column 56: invalid character '}' after decimal point in numeric literal"},
			text{"La requête n'est pas valide", "data : ligne 1, colonne 56 : caractère '}' invalide après le point décimal d'un nombre"}},
		{"request: notice with data", call{method: "POST", path: "/v1/check", token: tok, body: `{"action":"notify","data":{"location":"FR","devices":2}}`, invalid: true}, 400, "/problems/bad-request", "data.devices",
			text{"The request is not valid", `data.devices: a notice (action "notify") carries no one's data; to send data about people or critical infrastructure, use disclose`},
			text{"La requête n'est pas valide", "data.devices : un avis (action « notify ») ne porte les données de personne ; pour envoyer des données sur des personnes ou une infrastructure critique, utilisez disclose"}},
		{"missing token", call{method: "GET", path: "/v1/datasets"}, 401, "/problems/unauthorized", "",
			text{"A valid bearer token is required", "no credential: send \"Authorization: Bearer <token>\" (create one with `accord token create`)"},
			text{"Un jeton valide est requis", "aucun titre d'accès : envoyez « Authorization: Bearer <jeton> » (créez-en un avec `accord token create`)"}},
		{"forbidden", call{method: "POST", path: "/v1/datasets", token: tok, body: okDataset}, 403, "/problems/forbidden", "",
			text{"The credential does not allow this", "role requester may not POST /v1/datasets; allowed: admin, operator"},
			text{"Le titre d'accès ne le permet pas", "le rôle requester ne peut pas POST /v1/datasets ; permis : admin, operator"}},
		{"not found", call{method: "GET", path: "/v1/datasets/nowhere", token: op}, 404, "/problems/not-found", "",
			text{"No such resource", "dataset nowhere not found"},
			text{"Ressource introuvable", "jeu de données nowhere introuvable"}},
		{"conflict", call{method: "POST", path: "/v1/decisions", token: tok, body: `{"action":"access","requester":{"id":"acme","kind":"company","jurisdiction":"CN"},"data":{"location":"FR"}}`}, 409, "/problems/conflict", "requester.jurisdiction",
			text{"The request conflicts with the state of the resource", "requester.jurisdiction: differs from the registry's record of principal acme; omit it to use the registered value"},
			text{"La requête contredit l'état de la ressource", "requester.jurisdiction : diffère de l'enregistrement du mandant acme au registre ; omettez-le pour utiliser la valeur enregistrée"}},
	}
	langs := []struct {
		accept, want string
		french       bool
	}{
		{"", "en", false},
		{"fr", "fr", true},
		{"fr-CA, en;q=0.8", "fr", true},
		{"de, en;q=0.5, fr;q=0.9", "fr", true}, // by weight, not by order
		{"de", "en", false},
		{"en-GB", "en", false},
		{"*", "en", false},
		{"not a ;; language==", "en", false},
		{"fr-CA;q=x, en", "fr", true}, // a malformed field is read in order
		{strings.Repeat("x", 300), "en", false},
	}
	for _, c := range cases {
		for _, l := range langs {
			cl := c.c
			cl.header = map[string]string{}
			if l.accept != "" {
				cl.header["Accept-Language"] = l.accept
			}
			a := e.do(cl)
			want := c.en
			if l.french {
				want = c.fr
			}
			p := a.problem
			if a.status != c.status || p.Type != c.typ || p.Field != c.field {
				t.Errorf("%s, Accept-Language %q: %d %s field %q, want %d %s field %q", c.name, l.accept, a.status, p.Type, p.Field, c.status, c.typ, c.field)
			}
			if p.Title != want.title || p.Detail != want.detail {
				t.Errorf("%s, Accept-Language %q:\n got %q / %q\nwant %q / %q", c.name, l.accept, p.Title, p.Detail, want.title, want.detail)
			}
			if got := a.header.Get("Content-Language"); got != l.want {
				t.Errorf("%s, Accept-Language %q: Content-Language %q, want %q", c.name, l.accept, got, l.want)
			}
			if got := a.header.Values("Vary"); !contains(got, "Accept-Language") {
				t.Errorf("%s, Accept-Language %q: Vary %q lacks Accept-Language", c.name, l.accept, got)
			}
		}
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
