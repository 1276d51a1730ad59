package api

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/store"
)

// GET /v1/decisions/{id}/record answers a decision's private record and
// salt, whose salted hash is the record_hash of its log entry, in the form
// `accord log verify-receipt --record FILE` reads:
//
//	{"decision_id": "dec-…", "log_index": 7, "record": {…}, "salt": "base64"}
//
// record is written byte for byte as stored (the hash covers those
// bytes), never re-encoded. Only the decision's requester and auditors
// (and admins) may read it; for anyone else's decision a requester gets
// the same 404 as for a missing one. Authorities see summaries only
// (GET /v1/decisions), never a private record.

// rolesReadRecord may call GET /v1/decisions/{id}/record (admin
// implicitly); requesters for their own decisions only.
var rolesReadRecord = []string{store.RoleRequester, store.RoleAuditor}

func (s *Server) getDecisionRecord(w http.ResponseWriter, r *http.Request, c caller) {
	if _, p := parseQuery(r, false); p != nil {
		writeProblem(w, r, p)
		return
	}
	id := r.PathValue("id")
	rec, err := s.cfg.Store.Decision(r.Context(), id)
	if err == nil && c.role == store.RoleRequester && rec.Principal != c.principal.ID {
		err = store.ErrNotFound // another principal's: say no more than for a missing one
	}
	if err != nil {
		writeProblem(w, r, s.storeProblem(err, locale.Errorf("decision %s", id)))
		return
	}
	if !json.Valid(rec.Private) {
		writeProblem(w, r, newProblem(http.StatusInternalServerError, locale.Errorf("internal error")))
		return
	}
	idJSON, _ := json.Marshal(rec.ID)
	b := make([]byte, 0, len(rec.Private)+128)
	b = append(b, `{"decision_id":`...)
	b = append(b, idJSON...)
	b = append(b, `,"log_index":`...)
	b = strconv.AppendUint(b, rec.LogIndex, 10)
	b = append(b, `,"record":`...)
	b = append(b, rec.Private...)
	b = append(b, `,"salt":"`...)
	b = base64.StdEncoding.AppendEncode(b, rec.Salt)
	b = append(b, "\"}\n"...)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}
