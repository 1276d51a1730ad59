package api

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/accord-dev/accord/internal/store"
)

// registryKinds maps the path segment of /v1/registry/{kind} to the kind
// stored for overrides.
var registryKinds = map[string]string{
	"jurisdictions": "jurisdiction",
	"blocs":         "bloc",
	"agreements":    "agreement",
	"authorities":   "authority",
}

// RegistryList is the answer of GET /v1/registry/{kind}: the entries the
// server runs with, and the operators' overrides stored since (which take
// effect when the server next starts).
type RegistryList struct {
	Items     any                `json:"items"`
	Overrides []OverrideDocument `json:"overrides"`
}

// OverrideDocument is one operator override as the API shows it.
type OverrideDocument struct {
	Kind    string          `json:"kind"`
	ID      string          `json:"id"`
	Body    json.RawMessage `json:"body"`
	Updated string          `json:"updated"`
}

func (s *Server) registryKind(w http.ResponseWriter, r *http.Request) (string, bool) {
	k, ok := registryKinds[r.PathValue("kind")]
	if !ok {
		writeProblem(w, newProblem(http.StatusNotFound, "no registry kind "+r.PathValue("kind")+"; kinds: jurisdictions, blocs, agreements, authorities"))
	}
	return k, ok
}

func (s *Server) listRegistry(w http.ResponseWriter, r *http.Request, c caller) {
	kind, ok := s.registryKind(w, r)
	if !ok {
		return
	}
	var items any
	reg := s.cfg.Registry
	switch kind {
	case "jurisdiction":
		items = reg.Jurisdictions()
	case "bloc":
		items = reg.Blocs()
	case "agreement":
		items = reg.Agreements()
	case "authority":
		items = reg.Authorities()
	}
	os, err := s.cfg.Store.ListOverrides(r.Context(), kind)
	if err != nil {
		writeProblem(w, s.storeProblem(err, "registry overrides"))
		return
	}
	out := RegistryList{Items: items, Overrides: []OverrideDocument{}}
	for _, o := range os {
		out.Overrides = append(out.Overrides, OverrideDocument{Kind: o.Kind, ID: o.ID, Body: o.Body, Updated: o.Updated.Format("2006-01-02T15:04:05Z07:00")})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) putOverride(w http.ResponseWriter, r *http.Request, c caller) {
	kind, ok := s.registryKind(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	if !idPattern.MatchString(id) {
		writeProblem(w, fieldProblem(http.StatusBadRequest, "id", "letters, digits, '.', '_' or '-', at most 128"))
		return
	}
	body, p := readBody(w, r)
	if p != nil {
		writeProblem(w, p)
		return
	}
	m, p := object(body, "")
	if p != nil {
		writeProblem(w, p)
		return
	}
	for _, key := range []string{"id", "code"} {
		if raw, ok := m[key]; ok {
			var v string
			if json.Unmarshal(raw, &v) != nil || !strings.EqualFold(v, id) {
				writeProblem(w, fieldProblem(http.StatusBadRequest, key, "does not match the id in the path"))
				return
			}
		}
	}
	compact, _ := json.Marshal(m)
	next := store.Override{Kind: kind, ID: id, Body: compact}
	if p := s.checkOverrides(r, next, false); p != nil {
		writeProblem(w, p)
		return
	}
	if err := s.cfg.Store.PutOverride(r.Context(), next); err != nil {
		writeProblem(w, s.storeProblem(err, "override"))
		return
	}
	o, err := s.cfg.Store.Override(r.Context(), kind, id)
	if err != nil {
		writeProblem(w, s.storeProblem(err, "override"))
		return
	}
	writeJSON(w, http.StatusOK, OverrideDocument{Kind: o.Kind, ID: o.ID, Body: o.Body, Updated: o.Updated.Format("2006-01-02T15:04:05Z07:00")})
}

func (s *Server) deleteOverride(w http.ResponseWriter, r *http.Request, c caller) {
	kind, ok := s.registryKind(w, r)
	if !ok {
		return
	}
	if _, err := s.cfg.Store.Override(r.Context(), kind, r.PathValue("id")); err != nil {
		writeProblem(w, s.storeProblem(err, "override "+r.PathValue("id")))
		return
	}
	if p := s.checkOverrides(r, store.Override{Kind: kind, ID: r.PathValue("id")}, true); p != nil {
		writeProblem(w, p)
		return
	}
	if err := s.cfg.Store.DeleteOverride(r.Context(), kind, r.PathValue("id")); err != nil {
		writeProblem(w, s.storeProblem(err, "override "+r.PathValue("id")))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// checkOverrides runs Config.CheckOverrides on the stored overrides with o
// put (or removed), answering 400 with the registry's complaint.
func (s *Server) checkOverrides(r *http.Request, o store.Override, remove bool) *Problem {
	if s.cfg.CheckOverrides == nil {
		return nil
	}
	all, err := s.cfg.Store.ListOverrides(r.Context(), "")
	if err != nil {
		return s.storeProblem(err, "registry overrides")
	}
	next := all[:0]
	for _, x := range all {
		if x.Kind != o.Kind || x.ID != o.ID {
			next = append(next, x)
		}
	}
	if !remove {
		next = append(next, o)
	}
	if err := s.cfg.CheckOverrides(r.Context(), next); err != nil {
		return newProblem(http.StatusBadRequest, "the registry would not load with this change: "+err.Error())
	}
	return nil
}
