package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/accord-dev/accord/internal/ledger"
	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/store"
)

// readBody enforces the content type (415, also for a charset other than
// UTF-8) and the size limit (413), refuses a duplicate key at any depth
// (400 naming the member and its byte offset), and returns the body.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, *Problem) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return nil, newProblem(http.StatusUnsupportedMediaType, locale.Errorf("Content-Type must be application/json, not %s", strconv.Quote(r.Header.Get("Content-Type"))))
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return nil, newProblem(http.StatusUnsupportedMediaType, locale.Errorf("Content-Type: charset %s is not supported; JSON bodies are UTF-8 (send charset=utf-8 or none)", strconv.Quote(cs)))
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, newProblem(http.StatusRequestEntityTooLarge, locale.Errorf("the body exceeds %s bytes", strconv.Itoa(maxBody)))
		}
		return nil, newProblem(http.StatusBadRequest, locale.Errorf("could not read the body"))
	}
	if p := duplicateKeyProblem(b); p != nil {
		return nil, p
	}
	return b, nil
}

// inputProblem turns a decoding error into a 400 naming the field.
func inputProblem(err error) *Problem {
	var ie *model.InputError
	if errors.As(err, &ie) {
		p := newProblem(http.StatusBadRequest, ie)
		p.Field, p.Line, p.Column = ie.Path, ie.Line, ie.Column
		return p
	}
	return newProblem(http.StatusBadRequest, err)
}

// object decodes a JSON object into its members, refusing duplicate keys
// (which encoding/json would silently merge).
func object(data []byte, path string) (map[string]json.RawMessage, *Problem) {
	dec := json.NewDecoder(bytes.NewReader(data))
	t, err := dec.Token()
	if d, ok := t.(json.Delim); err != nil || !ok || d != '{' {
		if path == "" {
			return nil, newProblem(http.StatusBadRequest, locale.Errorf("the body must be a JSON object"))
		}
		return nil, fieldProblem(http.StatusBadRequest, path, locale.Errorf("must be an object"))
	}
	m := map[string]json.RawMessage{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, newProblem(http.StatusBadRequest, locale.Errorf("invalid JSON: %v", syntaxReason(err)))
		}
		k, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, newProblem(http.StatusBadRequest, locale.Errorf("invalid JSON: %v", syntaxReason(err)))
		}
		if _, dup := m[k]; dup {
			return nil, fieldProblem(http.StatusBadRequest, join(path, k), locale.Errorf("duplicate key"))
		}
		m[k] = v
	}
	return m, nil
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// labelNames are the members of data that a catalogued dataset labels.
var labelNames = []string{"location", "origin", "categories", "subjects", "subjects_by_category", "records", "devices", "classification", "cii"}

// prepareRequest turns a body into the request to decide: the requester
// becomes the caller's principal and on_behalf_of the registered principal
// it names, both as registered; catalog labels fill data; and the result is
// decoded strictly. For a binding decision (binding true) a body that
// carries a time is refused: the server's clock is the only time.
func (s *Server) prepareRequest(ctx context.Context, body []byte, c caller, binding bool) (*model.Request, *Problem) {
	if !json.Valid(body) {
		_, err := model.DecodeRequest(body, s.cfg.Registry)
		if err == nil {
			err = locale.Errorf("invalid JSON")
		}
		return nil, inputProblem(err)
	}
	m, p := object(body, "")
	if p != nil {
		return nil, p
	}
	if _, ok := m["history"]; ok {
		return nil, fieldProblem(http.StatusBadRequest, "history", locale.Errorf("counters are kept by the server and cannot be given in a request"))
	}
	if _, ok := m["time"]; ok && binding {
		return nil, fieldProblem(http.StatusBadRequest, "time", locale.Errorf("a binding decision is made at the server's clock; leave time out, or evaluate at another time with POST /v1/check (non-binding)"))
	}
	if raw, ok := m["requester"]; ok && string(raw) != "null" {
		if p := registeredParty(raw, "requester", c.principal.Model(), http.StatusForbidden); p != nil {
			return nil, p
		}
	}
	me, err := json.Marshal(c.principal.Model())
	if err != nil {
		return nil, newProblem(http.StatusInternalServerError, locale.Errorf("internal error"))
	}
	m["requester"] = me
	if raw, ok := m["on_behalf_of"]; ok && string(raw) != "null" {
		obo, p := s.onBehalfOf(ctx, raw, c)
		if p != nil {
			return nil, p
		}
		m["on_behalf_of"] = obo
	}
	holder := ""
	if raw, ok := m["data"]; ok {
		merged, h, p := s.mergeCatalog(ctx, raw)
		if p != nil {
			return nil, p
		}
		m["data"], holder = merged, h
	}
	if p := s.resolveParties(ctx, m, holder, c); p != nil {
		return nil, p
	}
	rebuilt, err := json.Marshal(m)
	if err != nil {
		return nil, newProblem(http.StatusInternalServerError, locale.Errorf("internal error"))
	}
	req, err := model.DecodeRequest(rebuilt, s.cfg.Registry)
	if err != nil {
		p := inputProblem(err)
		p.Line, p.Column = 0, 0 // positions in the rebuilt body mean nothing to the caller
		return nil, p
	}
	return req, nil
}

// mergeCatalog fills data's labels from the catalog when data names a
// dataset. A label given in the body that differs from the catalog's is a
// 409 naming it; labels the catalog does not state are left as given.
//
// It also returns the dataset's holder ("" when none is catalogued).
func (s *Server) mergeCatalog(ctx context.Context, raw json.RawMessage) (json.RawMessage, string, *Problem) {
	data, p := object(raw, "data")
	if p != nil {
		return nil, "", p
	}
	dsRaw, ok := data["dataset"]
	if !ok {
		return raw, "", nil
	}
	var id string
	if err := json.Unmarshal(dsRaw, &id); err != nil || id == "" {
		return nil, "", fieldProblem(http.StatusBadRequest, "data.dataset", locale.Errorf("must be a non-empty string"))
	}
	ds, err := s.cfg.Store.Dataset(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, "", fieldProblem(http.StatusBadRequest, "data.dataset", locale.Errorf("unknown dataset %q", id))
	}
	if err != nil {
		return nil, "", s.storeProblem(err, locale.Errorf("dataset"))
	}
	holder := ds.Holder
	ds.ID, ds.Created, ds.Updated, ds.Holder = "", time.Time{}, time.Time{}, ""
	catRaw, _ := json.Marshal(ds)
	var catalog map[string]json.RawMessage
	_ = json.Unmarshal(catRaw, &catalog)
	for _, name := range labelNames {
		want, stated := catalog[name]
		if !stated {
			continue
		}
		if got, given := data[name]; given && string(got) != "null" {
			if !sameLabel(got, want) {
				return nil, "", fieldProblem(http.StatusConflict, "data."+name, locale.Errorf("contradicts the catalog label of dataset %q (%s); omit it to use the catalog's", id, want))
			}
		}
		data[name] = want
	}
	out, err := json.Marshal(data)
	if err != nil {
		return nil, "", newProblem(http.StatusInternalServerError, locale.Errorf("internal error"))
	}
	return out, holder, nil
}

// sameLabel compares two JSON values, lists of strings as sets.
func sameLabel(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(normalize(x), normalize(y))
}

func normalize(v any) any {
	l, ok := v.([]any)
	if !ok {
		return v
	}
	ss := make([]string, 0, len(l))
	for _, e := range l {
		s, ok := e.(string)
		if !ok {
			return v
		}
		ss = append(ss, s)
	}
	slices.Sort(ss)
	return slices.Compact(ss)
}

// errorStatus maps a Decider error to a status.
func (s *Server) errorStatus(err error) int {
	if s.cfg.ErrorStatus != nil {
		if st := s.cfg.ErrorStatus(err); st != 0 {
			return st
		}
	}
	var ie *model.InputError
	switch {
	case errors.As(err, &ie):
		return http.StatusBadRequest
	case errors.Is(err, store.ErrUnavailable), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		// Canceled: the client went away; what we answer is not read.
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// decideProblem answers a Decider error. Client errors carry their message;
// server errors are logged and answered without detail.
func (s *Server) decideProblem(err error, what string) *Problem {
	st := s.errorStatus(err)
	if st < 500 {
		return inputProblem(err)
	}
	level := slog.LevelError
	if st == http.StatusServiceUnavailable {
		level = slog.LevelWarn
	}
	s.log.Log(context.Background(), level, what+" failed", slog.String("error", err.Error()), slog.Int("status", st))
	switch st {
	case http.StatusServiceUnavailable:
		return newProblem(st, locale.Errorf("the database or the log is unavailable; nothing was decided, retry later"))
	default:
		return newProblem(st, locale.Errorf("the decision could not be made or recorded; do not act on it, retry later"))
	}
}

func (s *Server) postDecision(w http.ResponseWriter, r *http.Request, c caller) {
	body, p := readBody(w, r)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	req, p := s.prepareRequest(r.Context(), body, c, true)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	start := time.Now()
	dec, err := s.cfg.Decider.Decide(r.Context(), req)
	s.metrics.decideSeconds.WithLabelValues("decide").Observe(time.Since(start).Seconds())
	if err != nil {
		s.metrics.failures.WithLabelValues("decide", strconv.Itoa(s.errorStatus(err))).Inc()
		writeProblem(w, r, s.decideProblem(err, "decision"))
		return
	}
	s.metrics.observeDecision(&dec)
	if dec.ID != "" {
		w.Header().Set("Location", "/v1/decisions/"+dec.ID)
	}
	// The representation GET /v1/decisions/{id} answers, before the
	// receipt exists: the decision and the request as decided.
	writeJSON(w, http.StatusCreated, DecisionRecord{Decision: dec, Request: req})
}

func (s *Server) postCheck(w http.ResponseWriter, r *http.Request, c caller) {
	body, p := readBody(w, r)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	explain := false
	if v := r.URL.Query().Get("explain"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			writeProblem(w, r, fieldProblem(http.StatusBadRequest, "explain", locale.Errorf("must be true or false")))
			return
		}
		explain = b
	}
	req, p := s.prepareRequest(r.Context(), body, c, false)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	start := time.Now()
	dec, err := s.cfg.Decider.Check(r.Context(), req, explain)
	s.metrics.decideSeconds.WithLabelValues("check").Observe(time.Since(start).Seconds())
	if err != nil {
		s.metrics.failures.WithLabelValues("check", strconv.Itoa(s.errorStatus(err))).Inc()
		writeProblem(w, r, s.decideProblem(err, "check"))
		return
	}
	dec.Binding, dec.ID, dec.LogIndex = false, "", nil
	writeJSON(w, http.StatusOK, dec)
}

// DecisionRecord is the one representation of a binding decision, the
// answer of POST /v1/decisions and GET /v1/decisions/{id}: the decision as
// made, the request as decided (requester from the credential, labels from
// the catalog, time from the server's clock), and, from GET, the log
// receipt once the entry is in a published checkpoint. Private is the
// private record and salt the entry's record_hash covers: with it a
// custodian (internal/custody) checks, against the logged entry, which
// dataset, requester and recipient key the decision is about.
type DecisionRecord struct {
	Decision model.Decision  `json:"decision"`
	Request  *model.Request  `json:"request,omitempty"`
	Receipt  *ledger.Receipt `json:"receipt,omitempty"`
	Private  *ledger.Private `json:"private,omitempty"`
}

func (s *Server) getDecision(w http.ResponseWriter, r *http.Request, c caller) {
	if _, p := parseQuery(r, false, "wait"); p != nil {
		writeProblem(w, r, p)
		return
	}
	id := r.PathValue("id")
	rec, err := s.cfg.Store.Decision(r.Context(), id)
	if err == nil && c.role == store.RoleRequester && rec.Principal != c.principal.ID {
		// Another principal's decision: say no more than for a missing one.
		err = store.ErrNotFound
	}
	if err != nil {
		writeProblem(w, r, s.storeProblem(err, locale.Errorf("decision %s", id)))
		return
	}
	var private struct {
		Request  *model.Request `json:"request"`
		Decision model.Decision `json:"decision"`
	}
	if err := json.Unmarshal(rec.Private, &private); err != nil {
		s.log.Error("decode private record", slog.String("decision", id), slog.String("error", err.Error()))
		writeProblem(w, r, newProblem(http.StatusInternalServerError, locale.Errorf("internal error")))
		return
	}
	out := DecisionRecord{Decision: private.Decision, Request: private.Request, Private: &ledger.Private{Record: rec.Private, Salt: rec.Salt}}
	idx := rec.LogIndex
	out.Decision.ID, out.Decision.LogIndex, out.Decision.Binding = rec.ID, &idx, true
	if s.cfg.Log != nil {
		wait := s.cfg.ReceiptWait
		if v := r.URL.Query().Get("wait"); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 || d > 30*time.Second {
				writeProblem(w, r, fieldProblem(http.StatusBadRequest, "wait", locale.Errorf("must be a duration between 0s and 30s")))
				return
			}
			wait = d
		}
		if wait > 0 {
			ctx, cancel := context.WithTimeout(r.Context(), wait)
			if rc, err := s.cfg.Log.Receipt(ctx, idx); err == nil {
				out.Receipt = rc
			}
			cancel()
		}
	}
	writeJSON(w, http.StatusOK, out)
}
