package api_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/accord-dev/accord/internal/api"
	"github.com/accord-dev/accord/internal/store"
)

// TestStatementLocation: a lodged statement answers 201 with a Location
// that GET serves, to its state's authorities and auditors only.
func TestStatementLocation(t *testing.T) {
	le := newLawfulEnv(t)
	a := le.do(call{method: "POST", path: "/v1/authorizations", token: le.tokens["cn-moj"], body: le.sign("cn-moj", authorization("CN-A-5", "cn-moj", "CN"))})
	loc := a.header.Get("Location")
	var lodged api.Lodged
	_ = json.Unmarshal(a.body, &lodged)
	if a.status != http.StatusCreated || loc != "/v1/authorizations/"+lodged.Digest {
		t.Fatalf("lodge: %d, Location %q, digest %s", a.status, loc, lodged.Digest)
	}
	for _, c := range []struct {
		who    string
		token  string
		status int
	}{
		{"its authority", le.tokens["cn-moj"], http.StatusOK},
		{"an auditor", le.tokens[store.RoleAuditor], http.StatusOK},
		{"another state's authority", le.tokens["de-bmj"], http.StatusNotFound},
		{"a requester", le.tokens["mailco-cn"], http.StatusForbidden},
	} {
		got := le.do(call{method: "GET", path: loc, token: c.token})
		if got.status != c.status {
			t.Errorf("%s: %d, want %d", c.who, got.status, c.status)
			continue
		}
		if c.status == http.StatusOK {
			var doc api.StatementDocument
			_ = json.Unmarshal(got.body, &doc)
			if doc.ID != "CN-A-5" || doc.LogIndex != lodged.LogIndex || len(doc.Envelope) == 0 || doc.LodgedAt == "" {
				t.Errorf("%s: %s", c.who, got.body)
			}
		}
	}
	if got := le.do(call{method: "GET", path: "/v1/revocations/" + lodged.Digest, token: le.tokens["cn-moj"]}); got.status != http.StatusNotFound {
		t.Errorf("the authorization under /v1/revocations: %d", got.status)
	}
}
