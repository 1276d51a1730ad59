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
			text{"La requête n'est pas valide", "JSON invalide : invalid character 'x' looking for beginning of value"}},
		{"unknown field", call{method: "POST", path: "/v1/datasets", token: op, body: `{"id":"a","location":"FR","owner":"me"}`, invalid: true}, 400, "/problems/bad-request", "owner",
			text{"The request is not valid", "owner: unknown field"},
			text{"La requête n'est pas valide", "owner : membre inconnu"}},
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
