package api_test

import (
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/accord-dev/accord/internal/store"
)

// TestProblemTypesResolve: the type of a problem the server answers
// resolves, against the request's URI, to a page the server serves, in
// English and in French; every type the API uses has one.
func TestProblemTypesResolve(t *testing.T) {
	e := newEnv(t)
	op := e.tokens[store.RoleOperator]
	seen := map[string]bool{}
	for _, c := range []call{
		{method: "GET", path: "/v1/datasets/none", token: op},
		{method: "GET", path: "/v1/datasets"},
		{method: "GET", path: "/v1/datasets?x=1", token: op, invalid: true},
		{method: "PUT", path: "/v1/datasets/none", token: op, body: `{"location":"FR"}`, bare: true},
		{method: "POST", path: "/v1/decisions", token: op, body: okRequest},
		{method: "POST", path: "/v1/decisions", token: e.tokens[store.RoleRequester], body: okRequest, header: map[string]string{"Idempotency-Key": `"`}, invalid: true},
	} {
		a := e.do(c)
		if a.problem.Type == "" {
			t.Fatalf("%s %s: no problem (%d)", c.method, c.path, a.status)
		}
		base, _ := url.Parse(e.srv.URL + c.path)
		ref, err := url.Parse(a.problem.Type)
		if err != nil {
			t.Fatal(err)
		}
		page := base.ResolveReference(ref).String()
		seen[page] = true
		for _, lang := range []string{"en", "fr"} {
			req, _ := http.NewRequest("GET", page, nil)
			req.Header.Set("Accept-Language", lang)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || resp.Header.Get("Content-Language") != lang ||
				(lang == "en") != strings.Contains(string(body), html.EscapeString(a.problem.Title)) || !strings.Contains(string(body), `lang="`+lang+`"`) {
				t.Errorf("%s (%s): %d %q %s", page, lang, resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
		}
	}
	if len(seen) < 4 {
		t.Errorf("only %d distinct types exercised", len(seen))
	}
	// Every type the server can answer with has its page.
	for _, name := range []string{"bad-request", "unauthorized", "forbidden", "not-found", "method-not-allowed", "conflict",
		"idempotency-key-in-progress", "precondition-failed", "too-large", "unsupported-media-type", "beyond-scope",
		"idempotency-key-reused", "precondition-required", "rate-limited", "headers-too-large", "internal", "unavailable"} {
		for _, q := range []string{"", "?lang=fr"} {
			if a := e.do(call{method: "GET", path: "/problems/" + name + q}); a.status != 200 {
				t.Errorf("/problems/%s%s: %d", name, q, a.status)
			}
		}
	}
	if a := e.do(call{method: "GET", path: "/problems/no-such-type"}); a.status != 404 {
		t.Errorf("unknown type: %d", a.status)
	}
}
