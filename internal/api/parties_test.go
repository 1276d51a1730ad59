package api_test

import (
	"context"
	"testing"

	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/store"
)

// TestDecisionParties checks the exporter and importer of a request on the
// server: each is a registered principal named by id, with every attribute
// from the registry (409 naming one the body gives that differs); the
// caller names as exporter only itself or a principal it may act for; a
// dataset's holder is its exporter.
func TestDecisionParties(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.st.CreateDataset(ctx, store.Dataset{ID: "held", Location: "FR", Categories: []string{"personal.contact"}, Holder: "globex"}); err != nil {
		t.Fatal(err)
	}
	if err := e.st.CreateDataset(ctx, store.Dataset{ID: "unheld", Location: "FR"}); err != nil {
		t.Fatal(err)
	}
	req := e.tokens[store.RoleRequester]
	cases := []struct {
		name               string
		body               string
		status             int
		field              string
		exporter, importer string // ids the decider must see ("" for none)
	}{
		{"no parties: read as before", okRequest, 201, "", "", ""},
		{"exporter: itself, by id", `{"action":"access","exporter":{"id":"acme"},"data":{"location":"FR"}}`, 201, "", "acme", ""},
		{"exporter: a principal it may act for", `{"action":"access","exporter":{"id":"dgsi"},"data":{"location":"FR"}}`, 201, "", "dgsi", ""},
		{"exporter: a principal it may not act for", `{"action":"access","exporter":{"id":"cnil"},"data":{"location":"FR"}}`, 403, "exporter.id", "", ""},
		{"exporter: unregistered though it may act for it", `{"action":"access","exporter":{"id":"ghost","kind":"company","jurisdiction":"US"},"data":{"location":"FR"}}`, 400, "exporter.id", "", ""},
		{"exporter: itself, claiming another state", `{"action":"access","exporter":{"id":"acme","jurisdiction":"US"},"data":{"location":"FR"}}`, 409, "exporter.jurisdiction", "", ""},
		{"exporter: itself, claiming to be a CIIO", `{"action":"access","exporter":{"id":"acme","ciio":true},"data":{"location":"FR"}}`, 409, "exporter.ciio", "", ""},
		{"exporter: without an id", `{"action":"access","exporter":{"kind":"company","jurisdiction":"US"},"data":{"location":"FR"}}`, 400, "exporter.id", "", ""},
		{"importer: a registered principal, by id", `{"action":"access","importer":{"id":"globex"},"data":{"location":"FR"}}`, 201, "", "", "globex"},
		{"importer: restating registered attributes", `{"action":"access","importer":{"id":"globex","kind":"company","jurisdiction":"US"},"data":{"location":"FR"}}`, 201, "", "", "globex"},
		{"importer: claiming another state", `{"action":"access","importer":{"id":"globex","jurisdiction":"JP"},"data":{"location":"FR"}}`, 409, "importer.jurisdiction", "", ""},
		{"importer: claiming owners", `{"action":"access","importer":{"id":"globex","owners":{"US":100}},"data":{"location":"FR"}}`, 409, "importer.owners", "", ""},
		{"importer: unregistered", `{"action":"access","importer":{"id":"nobody","kind":"company","jurisdiction":"JP"},"data":{"location":"FR"}}`, 400, "importer.id", "", ""},
		{"importer: without an id", `{"action":"access","importer":{"kind":"company","jurisdiction":"JP"},"data":{"location":"FR"}}`, 400, "importer.id", "", ""},
		{"importer: not an object", `{"action":"access","importer":"globex","data":{"location":"FR"}}`, 400, "importer", "", ""},
		{"importer: unknown member", `{"action":"access","importer":{"id":"globex","colour":"red"},"data":{"location":"FR"}}`, 400, "importer.colour", "", ""},
		{"importer: null is none", `{"action":"access","importer":null,"data":{"location":"FR"}}`, 201, "", "", ""},
		{"dataset with a holder: the holder is the exporter", `{"action":"access","data":{"dataset":"held"}}`, 201, "", "globex", ""},
		{"dataset with a holder: naming the holder", `{"action":"access","exporter":{"id":"globex"},"data":{"dataset":"held"}}`, 201, "", "globex", ""},
		{"dataset with a holder: naming another exporter", `{"action":"access","exporter":{"id":"acme"},"data":{"dataset":"held"}}`, 409, "exporter.id", "", ""},
		{"dataset with a holder: exporter without an id", `{"action":"access","exporter":{"kind":"company"},"data":{"dataset":"held"}}`, 400, "exporter.id", "", ""},
		{"dataset with a holder: misstating the holder's state", `{"action":"access","exporter":{"id":"globex","jurisdiction":"FR"},"data":{"dataset":"held"}}`, 409, "exporter.jurisdiction", "", ""},
		{"dataset without a holder: no exporter", `{"action":"access","data":{"dataset":"unheld"}}`, 201, "", "", ""},
	}
	for _, c := range cases {
		a := e.do(call{method: "POST", path: "/v1/decisions", token: req, body: c.body, invalid: c.status == 400})
		if a.status != c.status || a.problem.Field != c.field {
			t.Errorf("%s: %d field %q (%s), want %d field %q", c.name, a.status, a.problem.Field, a.problem.Detail, c.status, c.field)
			continue
		}
		if c.status != 201 {
			continue
		}
		got := e.dec.lastRequest()
		check := func(role string, p *model.Principal, want string) {
			if want == "" {
				if p != nil {
					t.Errorf("%s: decider saw %s %+v, want none", c.name, role, p)
				}
				return
			}
			var reg store.Principal
			for _, q := range principals {
				if q.ID == want {
					reg = q
				}
			}
			if p == nil || p.ID != want || p.Kind != reg.Kind || p.Jurisdiction != reg.Jurisdiction || p.Role != reg.Role {
				t.Errorf("%s: decider saw %s %+v, want registered %s", c.name, role, p, want)
			}
		}
		check("exporter", got.Exporter, c.exporter)
		check("importer", got.Importer, c.importer)
	}
}

// TestDatasetHolder checks that a dataset's holder must be a registered
// principal, and that it is kept.
func TestDatasetHolder(t *testing.T) {
	e := newEnv(t)
	op := e.tokens[store.RoleOperator]
	a := e.do(call{method: "POST", path: "/v1/datasets", token: op, body: `{"id":"a","location":"FR","holder":"nobody"}`, invalid: true})
	if a.status != 400 || a.problem.Field != "holder" {
		t.Errorf("unregistered holder: %d field %q, want 400 holder", a.status, a.problem.Field)
	}
	if _, err := e.st.Dataset(context.Background(), "a"); err == nil {
		t.Error("a dataset with an unregistered holder was stored")
	}
	a = e.do(call{method: "POST", path: "/v1/datasets", token: op, body: `{"id":"b","location":"FR","holder":"globex"}`})
	if a.status != 201 {
		t.Fatalf("registered holder: %d (%s)", a.status, a.problem.Detail)
	}
	d, err := e.st.Dataset(context.Background(), "b")
	if err != nil || d.Holder != "globex" {
		t.Errorf("stored dataset %+v, %v; want holder globex", d, err)
	}
	a = e.do(call{method: "PUT", path: "/v1/datasets/b", token: op, body: `{"location":"FR","holder":"ghost"}`, invalid: true})
	if a.status != 400 || a.problem.Field != "holder" {
		t.Errorf("PUT with unregistered holder: %d field %q, want 400 holder", a.status, a.problem.Field)
	}
}
