package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/accord-dev/accord/internal/store"
)

// pages walks a list with page_size n and returns the ids of every item,
// failing on a page larger than n.
func (e *env) pages(path, token, member, idField string, n int) []string {
	e.t.Helper()
	var ids []string
	tok := ""
	for range 1000 {
		q := url.Values{"page_size": {fmt.Sprint(n)}}
		if tok != "" {
			q.Set("page_token", tok)
		}
		sep := "?"
		if u, _ := url.Parse(path); u.RawQuery != "" {
			sep = "&"
		}
		a := e.do(call{method: "GET", path: path + sep + q.Encode(), token: token})
		if a.status != http.StatusOK {
			e.t.Fatalf("%s: %d %s", path, a.status, a.body)
		}
		var body map[string]json.RawMessage
		_ = json.Unmarshal(a.body, &body)
		var items []map[string]any
		_ = json.Unmarshal(body[member], &items)
		if len(items) > n {
			e.t.Fatalf("%s: page of %d items, asked %d", path, len(items), n)
		}
		for _, it := range items {
			ids = append(ids, fmt.Sprint(it[idField]))
		}
		tok = ""
		_ = json.Unmarshal(body["next_page_token"], &tok)
		if tok == "" {
			return ids
		}
	}
	e.t.Fatal("more than 1000 pages")
	return nil
}

// TestPagination: every list pages with page_size and page_token, in a
// stable order, with a bounded default page; every item is seen once.
func TestPagination(t *testing.T) {
	e := newEnv(t)
	op := e.tokens[store.RoleOperator]
	all := len(sharedRegistry.Jurisdictions())
	if all <= 100 {
		t.Fatalf("the registry has %d jurisdictions; the test needs more than a page", all)
	}
	first := e.do(call{method: "GET", path: "/v1/registry/jurisdictions", token: op})
	var l struct {
		Items         []map[string]any `json:"items"`
		NextPageToken string           `json:"next_page_token"`
	}
	_ = json.Unmarshal(first.body, &l)
	if len(l.Items) != 100 || l.NextPageToken == "" {
		t.Errorf("default page: %d items, next %q; want 100 and a token", len(l.Items), l.NextPageToken)
	}
	codes := e.pages("/v1/registry/jurisdictions", op, "items", "code", 37)
	seen := map[string]bool{}
	for i, c := range codes {
		if seen[c] || i > 0 && codes[i-1] >= c {
			t.Fatalf("jurisdiction %s repeated or out of order at %d", c, i)
		}
		seen[c] = true
	}
	if len(codes) != all {
		t.Errorf("paged through %d jurisdictions, want %d", len(codes), all)
	}
	for _, id := range []string{"c", "a", "b"} {
		if err := e.st.CreateDataset(t.Context(), store.Dataset{ID: id, Location: "FR"}); err != nil {
			t.Fatal(err)
		}
	}
	if got := fmt.Sprint(e.pages("/v1/datasets", op, "datasets", "id", 2)); got != "[a b c]" {
		t.Errorf("datasets paged: %s", got)
	}
	for _, kind := range []string{"blocs", "agreements", "authorities"} {
		if ids := e.pages("/v1/registry/"+kind, op, "items", "id", 5); len(ids) == 0 {
			t.Errorf("%s: no items", kind)
		}
	}
}

// TestQueryParameters: an unknown or malformed query parameter is 400
// naming it, on every list and read.
func TestQueryParameters(t *testing.T) {
	e := newEnv(t)
	op, aud := e.tokens[store.RoleOperator], e.tokens[store.RoleAuditor]
	e.seedDecision("dec-1", 0, "acme")
	for _, c := range []struct{ path, token, field string }{
		{"/v1/datasets?pagesize=2", op, "pagesize"},
		{"/v1/datasets?page_size=0", op, "page_size"},
		{"/v1/datasets?page_size=1001", op, "page_size"},
		{"/v1/datasets?page_size=ten", op, "page_size"},
		{"/v1/datasets?page_token=bm90LWEtdG9rZW4", op, "page_token"},
		{"/v1/datasets?page_size=1&page_size=2", op, "page_size"},
		{"/v1/registry/jurisdictions?limit=10", op, "limit"},
		{"/v1/registry/changes?next_from=1", op, "next_from"},
		{"/v1/decisions/dec-1?verbose=1", aud, "verbose"},
		{"/v1/datasets/x?fields=id", op, "fields"},
	} {
		a := e.do(call{method: "GET", path: c.path, token: c.token, invalid: true})
		if a.status != http.StatusBadRequest || a.problem.Field != c.field {
			t.Errorf("%s: %d field %q, want 400 naming %s", c.path, a.status, a.problem.Field, c.field)
		}
	}
}

// TestPaginationCases: the MLA case list pages like the others.
func TestPaginationCases(t *testing.T) {
	le := newLawfulEnv(t)
	for _, id := range []string{"FR-3", "FR-1", "FR-2"} {
		body := `{"id":"` + id + `","requested_state":"CN","provider":"mailco-cn","scope":{"purposes":["law-enforcement"],"categories":["personal.contact"],"max_subjects":2}}`
		if a := le.do(call{method: "POST", path: "/v1/mla", token: le.tokens["fr-bepi"], body: body}); a.status != http.StatusCreated {
			t.Fatalf("open %s: %d %s", id, a.status, a.body)
		}
	}
	if got := fmt.Sprint(le.pages("/v1/mla", le.tokens["fr-bepi"], "cases", "id", 2)); got != "[FR-1 FR-2 FR-3]" {
		t.Errorf("cases paged: %s", got)
	}
	if a := le.do(call{method: "GET", path: "/v1/mla?state=opened", token: le.tokens["fr-bepi"], invalid: true}); a.status != http.StatusBadRequest || a.problem.Field != "state" {
		t.Errorf("unknown filter: %d %q", a.status, a.problem.Field)
	}
}
