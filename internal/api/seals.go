package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/gowebpki/jcs"

	"github.com/accord-dev/accord/internal/custody"
	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/store"
)

// SealRecord is the answer of POST /v1/seals: the seal entry's index, the
// entry, and its private record (kept by the sealer; the server keeps
// nothing else).
type SealRecord struct {
	Index   uint64         `json:"index"`
	Entry   ledger.Entry   `json:"entry"`
	Private ledger.Private `json:"private"`
}

// postSeal logs that a dataset was sealed (internal/custody): the body is
// the sealed file's header; the server parses it, checks that its dataset
// is in the catalog with the very labels the header binds, and appends a
// seal entry (dataset, custodians, k, commitments' digest).
func (s *Server) postSeal(w http.ResponseWriter, r *http.Request, c caller) {
	if s.cfg.SealLog == nil {
		writeProblem(w, newProblem(http.StatusNotFound, "this server keeps no log to record seals in"))
		return
	}
	body, p := readBody(w, r)
	if p != nil {
		writeProblem(w, p)
		return
	}
	var in struct {
		Header []byte `json:"header"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		writeProblem(w, fieldProblem(http.StatusBadRequest, "header", "must be the sealed file's header, base64: "+err.Error()))
		return
	}
	h, err := custody.ParseHeaderBytes(in.Header)
	if err != nil {
		writeProblem(w, fieldProblem(http.StatusBadRequest, "header", err.Error()))
		return
	}
	ds, err := s.cfg.Store.Dataset(r.Context(), h.Dataset)
	if errors.Is(err, store.ErrNotFound) {
		writeProblem(w, fieldProblem(http.StatusBadRequest, "header", "dataset "+h.Dataset+" is not in the catalog"))
		return
	}
	if err != nil {
		writeProblem(w, s.storeProblem(err, "dataset"))
		return
	}
	ds.ID, ds.Created, ds.Updated = "", time.Time{}, time.Time{}
	raw, _ := json.Marshal(ds)
	var m map[string]json.RawMessage
	_ = json.Unmarshal(raw, &m)
	delete(m, "id")
	delete(m, "created")
	delete(m, "updated")
	raw, _ = json.Marshal(m)
	labels, err := jcs.Transform(raw)
	if err != nil || !bytes.Equal(labels, h.Labels) {
		writeProblem(w, fieldProblem(http.StatusConflict, "header", "the header's labels are not the catalog's labels of dataset "+h.Dataset+"; seal again with the catalog's labels"))
		return
	}
	e, priv, err := custody.SealEntry(h, s.cfg.Now())
	if err != nil {
		writeProblem(w, fieldProblem(http.StatusBadRequest, "header", err.Error()))
		return
	}
	idx, err := s.cfg.SealLog.Append(r.Context(), e)
	if err != nil {
		s.log.Error("append seal entry", slog.String("error", err.Error()))
		writeProblem(w, newProblem(http.StatusServiceUnavailable, "the log could not record the seal; nothing was recorded, try again"))
		return
	}
	writeJSON(w, http.StatusCreated, SealRecord{Index: idx, Entry: e, Private: priv})
}
