package api_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/accord-dev/accord/internal/api"
	"github.com/accord-dev/accord/internal/store"
)

// GET /v1/whoami tells each role who its credential stands for, and
// nothing more than the principal's public identity.
func TestWhoAmI(t *testing.T) {
	e := newEnv(t)
	for role, holder := range roleHolders {
		a := e.do(call{method: "GET", path: "/v1/whoami", token: e.tokens[role]})
		if a.status != http.StatusOK {
			t.Fatalf("%s: %d %s", role, a.status, a.body)
		}
		var who api.WhoAmI
		if err := json.Unmarshal(a.body, &who); err != nil {
			t.Fatal(err)
		}
		if who.Role != role || who.Principal.ID != holder || who.Principal.Jurisdiction == "" {
			t.Errorf("%s: %+v", role, who)
		}
	}
	// acme's attributes (owners, headquarters) and whom it may act for
	// stay out.
	a := e.do(call{method: "GET", path: "/v1/whoami", token: e.tokens[store.RoleRequester]})
	var raw map[string]map[string]any
	_ = json.Unmarshal(a.body, &raw)
	for _, k := range []string{"attributes", "may_act_for", "created"} {
		if _, ok := raw["principal"][k]; ok {
			t.Errorf("whoami shows %s", k)
		}
	}
	tests := []struct {
		name   string
		c      call
		status int
	}{
		{"no credential", call{method: "GET", path: "/v1/whoami"}, http.StatusUnauthorized},
		{"expired", call{method: "GET", path: "/v1/whoami", token: e.token("acme", store.RoleRequester, time.Now().Add(-2*time.Hour), time.Hour)}, http.StatusUnauthorized},
		{"unknown parameter", call{method: "GET", path: "/v1/whoami?as=root", token: e.tokens[store.RoleRequester], invalid: true}, http.StatusBadRequest},
		{"POST", call{method: "POST", path: "/v1/whoami", token: e.tokens[store.RoleRequester], invalid: true}, http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		if a := e.do(tt.c); a.status != tt.status {
			t.Errorf("%s: %d, want %d: %s", tt.name, a.status, tt.status, a.body)
		}
	}
}
