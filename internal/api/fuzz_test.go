package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/accord-dev/accord/internal/api"
	"github.com/accord-dev/accord/internal/store"
)

// FuzzRequestBody sends arbitrary bodies to POST /v1/check and
// POST /v1/datasets: the server must answer every one with a success or a
// 4xx problem, never a 5xx and never a panic.
func FuzzRequestBody(f *testing.F) {
	for _, s := range []string{
		okRequest, okDataset, `{}`, `[]`, `null`, `{"action":"access","data":{"dataset":"crm-eu"}}`,
		`{"action":"access","requester":{"id":"x"},"data":{"location":"FR"}}`,
		`{"action":"access","on_behalf_of":{"id":"dgsi","kind":"state-authority","jurisdiction":"FR"},"data":{"location":"DE"}}`,
		`{"id":"a","location":"FR","subjects":{"FR":-1}}`, "{\"a\":1,\"a\":2}", `{"data":{"subjects":{"FR":1e400}}}`,
	} {
		f.Add(s)
	}
	e := newEnv(f)
	h := api.New(*e.cfg)
	f.Fuzz(func(t *testing.T, body string) {
		for _, c := range []struct{ path, role string }{{"/v1/check", store.RoleRequester}, {"/v1/datasets", store.RoleOperator}} {
			req := httptest.NewRequest("POST", c.path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+e.tokens[c.role])
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code >= 500 {
				t.Fatalf("POST %s %q: %d %s", c.path, body, w.Code, w.Body)
			}
			if w.Code >= 400 && w.Header().Get("Content-Type") != "application/problem+json" {
				t.Fatalf("POST %s %q: %d without a problem", c.path, body, w.Code)
			}
			if w.Code == http.StatusCreated {
				_ = e.st.DeleteDataset(req.Context(), "a")
			}
		}
	})
}
