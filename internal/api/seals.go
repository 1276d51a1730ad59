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
	"github.com/accord-dev/accord/internal/locale"
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
		writeProblem(w, r, newProblem(http.StatusNotFound, locale.Errorf("this server keeps no log to record seals in")))
		return
	}
	body, p := readBody(w, r)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	var in struct {
		Header []byte `json:"header"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		writeProblem(w, r, fieldProblem(http.StatusBadRequest, "header", locale.Errorf("must be the sealed file's header, base64: %v", err)))
		return
	}
	h, err := custody.ParseHeaderBytes(in.Header)
	if err != nil {
		writeProblem(w, r, fieldProblem(http.StatusBadRequest, "header", err))
		return
	}
	ds, err := s.cfg.Store.Dataset(r.Context(), h.Dataset)
	if errors.Is(err, store.ErrNotFound) {
		writeProblem(w, r, fieldProblem(http.StatusBadRequest, "header", locale.Errorf("dataset %s is not in the catalog", h.Dataset)))
		return
	}
	if err != nil {
		writeProblem(w, r, s.storeProblem(err, locale.Errorf("dataset")))
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
		writeProblem(w, r, fieldProblem(http.StatusConflict, "header", locale.Errorf("the header's labels are not the catalog's labels of dataset %s; seal again with the catalog's labels", h.Dataset)))
		return
	}
	e, priv, err := custody.SealEntry(h, s.cfg.Now())
	if err != nil {
		writeProblem(w, r, fieldProblem(http.StatusBadRequest, "header", err))
		return
	}
	idx, err := s.cfg.SealLog.Append(r.Context(), e)
	if err != nil {
		s.log.Error("append seal entry", slog.String("error", err.Error()))
		writeProblem(w, r, newProblem(http.StatusServiceUnavailable, locale.Errorf("the log could not record the seal; nothing was recorded, try again")))
		return
	}
	writeJSON(w, http.StatusCreated, SealRecord{Index: idx, Entry: e, Private: priv})
}
