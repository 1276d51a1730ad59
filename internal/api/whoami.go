package api

import (
	"net/http"

	"github.com/accord-dev/accord/internal/store"
)

// WhoAmI is the answer of GET /v1/whoami: the principal the credential is
// bound to and the API role it grants. The web console reads it at sign-in
// to know whom it speaks for; it says nothing a caller could not learn from
// its own credential.
type WhoAmI struct {
	// Principal is the registered principal (id, name, kind, role,
	// jurisdiction).
	Principal WhoAmIPrincipal `json:"principal"`
	// Role is the credential's API role (admin, operator, requester,
	// authority, auditor, vendor).
	Role string `json:"role"`
}

// WhoAmIPrincipal is the public part of a principal: never its attributes
// nor whom it may act for.
type WhoAmIPrincipal struct {
	ID           string `json:"id"`
	Name         string `json:"name,omitempty"`
	Kind         string `json:"kind"`
	Role         string `json:"role,omitempty"`
	Jurisdiction string `json:"jurisdiction"`
}

func (s *Server) whoami(w http.ResponseWriter, r *http.Request, c caller) {
	if _, p := parseQuery(r, false); p != nil {
		writeProblem(w, r, p)
		return
	}
	p := c.principal
	writeJSON(w, http.StatusOK, WhoAmI{Principal: WhoAmIPrincipal{ID: p.ID, Name: p.Name, Kind: p.Kind, Role: p.Role, Jurisdiction: p.Jurisdiction}, Role: c.role})
}

// rolesWhoAmI: every role may ask who it is.
var rolesWhoAmI = store.Roles
