package api_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/accord-dev/accord/internal/api"
	"github.com/accord-dev/accord/internal/store"
)

// FuzzContractHeaders sends arbitrary Idempotency-Key, If-Match,
// If-None-Match and page_token values: the server never panics, never
// answers 5xx, and a malformed value is a 4xx.
func FuzzContractHeaders(f *testing.F) {
	for _, s := range []string{"", `"k"`, "k", `"`, "*", `W/"x"`, `"a", "b"`, "abc", "cDE6eA", "\x00", strings.Repeat("z", 300), `"v1"`, "cDE6"} {
		f.Add(s, s, s, s)
	}
	e := newEnv(f)
	if err := e.st.CreateDataset(f.Context(), store.Dataset{ID: "crm-eu", Location: "FR"}); err != nil {
		f.Fatal(err)
	}
	h := api.New(*e.cfg)
	op := e.tokens[store.RoleOperator]
	f.Fuzz(func(t *testing.T, key, ifMatch, ifNoneMatch, token string) {
		for _, r := range []*http.Request{
			httptest.NewRequest("PUT", "/v1/datasets/crm-eu", strings.NewReader(`{"location":"FR"}`)),
			httptest.NewRequest("GET", "/v1/datasets/crm-eu", nil),
			httptest.NewRequest("GET", "/v1/datasets?page_token="+url.QueryEscape(token), nil),
			httptest.NewRequest("PUT", "/v1/registry/blocs/fz", strings.NewReader(`{"members":["DK"]}`)),
		} {
			r.Header.Set("Authorization", "Bearer "+op)
			r.Header.Set("Content-Type", "application/json")
			r.Header["Idempotency-Key"] = []string{key}
			r.Header["If-Match"] = []string{ifMatch}
			r.Header["If-None-Match"] = []string{ifNoneMatch}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code >= 500 {
				t.Fatalf("%s %s: %d %s", r.Method, r.URL, w.Code, w.Body)
			}
		}
	})
}
