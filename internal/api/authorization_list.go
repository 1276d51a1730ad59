package api

import (
	"encoding/base64"
	"net/http"
	"sort"
	"time"

	"github.com/accord-dev/accord/internal/authz"
	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/store"
)

// GET /v1/authorizations lists the lodged authorizations, in the shape
// every list has ({"authorizations": [...], "next_page_token"}), oldest
// first by log index. An authority sees its own state's; an auditor or
// admin sees all. Filters: state (the issuing state) and status (current:
// neither revoked nor lapsed at the server's clock; revoked: a revocation
// was lodged; expired: lapsed, not revoked).

// AuthorizationSummary is one lodged authorization in a list: who issued
// it for whom, when it holds, and whether it still does.
type AuthorizationSummary struct {
	// ID, Issuer, Jurisdiction, Digest and LogIndex are as lodged.
	ID           string `json:"id"`
	Issuer       string `json:"issuer"`
	Jurisdiction string `json:"jurisdiction"`
	Digest       string `json:"digest"`
	LogIndex     uint64 `json:"log_index"`
	// Grantee is the principal the authorization is for.
	Grantee string `json:"grantee,omitempty"`
	// ValidFrom and ValidTo bound when it holds (RFC 3339).
	ValidFrom string `json:"valid_from"`
	ValidTo   string `json:"valid_to,omitempty"`
	// Status is current, revoked or expired at the server's clock.
	Status string `json:"status"`
	// RevokedFrom is, for a revoked one, when the revocation took effect.
	RevokedFrom string `json:"revoked_from,omitempty"`
	// LodgedAt is when it was lodged.
	LodgedAt string `json:"lodged_at"`
}

// AuthorizationList is the answer of GET /v1/authorizations.
type AuthorizationList struct {
	Authorizations []AuthorizationSummary `json:"authorizations"`
	// NextPageToken, when set, asks for the next page (page_token).
	NextPageToken string `json:"next_page_token,omitempty"`
}

// authorizationStatuses are the values of the status filter.
var authorizationStatuses = []string{"current", "revoked", "expired"}

func (s *Server) listAuthorizations(w http.ResponseWriter, r *http.Request, c caller, l *Lawful) {
	pg, p := parseQuery(r, true, "state", "status")
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	q := r.URL.Query()
	state, status := q.Get("state"), q.Get("status")
	if state != "" {
		if p := s.checkState("state", state); p != nil {
			writeProblem(w, r, p)
			return
		}
	}
	if status != "" && !containsString(authorizationStatuses, status) {
		writeProblem(w, r, fieldProblem(http.StatusBadRequest, "status", locale.Errorf("current, revoked or expired")))
		return
	}
	if c.role == store.RoleAuthority && (c.principal.Kind != model.KindStateAuthority || c.principal.Jurisdiction == "") {
		writeProblem(w, r, newProblem(http.StatusForbidden, locale.Errorf("only a state authority reads its state's authorizations")))
		return
	}
	all, err := s.cfg.Store.ListStatements(r.Context(), authz.TypeAuthorization)
	if err != nil {
		writeProblem(w, r, s.storeProblem(err, locale.Errorf("authorizations")))
		return
	}
	now := s.cfg.Now().UTC()
	out := []AuthorizationSummary{}
	for _, st := range all {
		if c.role == store.RoleAuthority && st.Jurisdiction != c.principal.Jurisdiction {
			continue
		}
		if state != "" && st.Jurisdiction != state {
			continue
		}
		sum := AuthorizationSummary{ID: st.ID, Issuer: st.Issuer, Jurisdiction: st.Jurisdiction, Digest: st.Digest,
			LogIndex: st.LogIndex, LodgedAt: st.Created.UTC().Format(time.RFC3339), Status: "current"}
		var validTo time.Time
		if env, err := authz.ParseEnvelope(st.Envelope); err == nil {
			if raw, err := base64.StdEncoding.DecodeString(env.Payload); err == nil {
				if stmt, err := authz.ParseStatement(raw); err == nil {
					sum.Grantee, validTo = stmt.Grantee, stmt.ValidTo
					sum.ValidFrom = stmt.ValidFrom.UTC().Format(time.RFC3339)
					if !validTo.IsZero() {
						sum.ValidTo = validTo.UTC().Format(time.RFC3339)
					}
				}
			}
		}
		if rv, ok := l.Revocations.Revocation(st.ID, st.Jurisdiction); ok && !rv.From.After(now) {
			sum.Status, sum.RevokedFrom = "revoked", rv.From.UTC().Format(time.RFC3339)
		} else if !validTo.IsZero() && !now.Before(validTo) {
			sum.Status = "expired"
		}
		if status != "" && sum.Status != status {
			continue
		}
		out = append(out, sum)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LogIndex < out[j].LogIndex })
	var list AuthorizationList
	list.Authorizations, list.NextPageToken = paginate(out, func(a AuthorizationSummary) string { return indexKey(a.LogIndex) }, pg)
	writeJSON(w, http.StatusOK, list)
}
