package api

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/registry"
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
// server runs with, and the operators' overrides among them (each logged
// before it took effect; see GET /v1/registry/changes).
type RegistryList struct {
	// Items is one page of the entries in force, by id (code for
	// jurisdictions).
	Items any `json:"items"`
	// Overrides are every stored override of the kind, on every page.
	Overrides []OverrideDocument `json:"overrides"`
	// NextPageToken, when set, asks for the next page of Items.
	NextPageToken string `json:"next_page_token,omitempty"`
}

// sortedPage sorts a copy of items by key and returns page p of it.
func sortedPage[T any](items []T, key func(T) string, p page) ([]T, string) {
	sorted := slices.Clone(items)
	slices.SortStableFunc(sorted, func(a, b T) int { return strings.Compare(key(a), key(b)) })
	return paginate(sorted, key, p)
}

// OverrideDocument is one operator override as the API shows it.
type OverrideDocument struct {
	Kind    string          `json:"kind"`
	ID      string          `json:"id"`
	Body    json.RawMessage `json:"body"`
	Updated string          `json:"updated"`
	// LogIndex is, in the answer to a PUT, the index of the change's
	// registry-change entry in the log.
	LogIndex *uint64 `json:"log_index,omitempty"`
	// KeyFingerprint is, in the answer to a PUT of an authority, the
	// fingerprint of its key as now registered (see KeyFingerprint).
	KeyFingerprint string `json:"key_fingerprint,omitempty"`
}

func (s *Server) registryKind(w http.ResponseWriter, r *http.Request) (string, bool) {
	k, ok := registryKinds[r.PathValue("kind")]
	if !ok {
		writeProblem(w, r, newProblem(http.StatusNotFound, locale.Errorf("no registry kind %s; kinds: jurisdictions, blocs, agreements, authorities", r.PathValue("kind"))))
	}
	return k, ok
}

func (s *Server) listRegistry(w http.ResponseWriter, r *http.Request, c caller) {
	kind, ok := s.registryKind(w, r)
	if !ok {
		return
	}
	pg, p := parseQuery(r, true)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	var (
		items any
		next  string
	)
	reg := s.cfg.Registry
	switch kind {
	case "jurisdiction":
		items, next = sortedPage(reg.Jurisdictions(), func(j registry.Jurisdiction) string { return j.Code }, pg)
	case "bloc":
		items, next = sortedPage(reg.Blocs(), func(b registry.Bloc) string { return b.ID }, pg)
	case "agreement":
		items, next = sortedPage(reg.Agreements(), func(a registry.Agreement) string { return a.ID }, pg)
	case "authority":
		items, next = sortedPage(reg.Authorities(), func(a registry.Authority) string { return a.ID }, pg)
	}
	os, err := s.cfg.Store.ListOverrides(r.Context(), kind)
	if err != nil {
		writeProblem(w, r, s.storeProblem(err, locale.Errorf("registry overrides")))
		return
	}
	out := RegistryList{Items: items, Overrides: []OverrideDocument{}, NextPageToken: next}
	for _, o := range os {
		out.Overrides = append(out.Overrides, OverrideDocument{Kind: o.Kind, ID: o.ID, Body: o.Body, Updated: o.Updated.Format("2006-01-02T15:04:05Z07:00")})
	}
	writeJSON(w, http.StatusOK, out)
}

// registryIDPattern is what a registry override id looks like: a code the
// log can carry (at most 64 bytes).
var registryIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// mayChange refuses (403) a change of an authority to any role but admin:
// an authority's public key decides which signed authorizations count, so
// replacing it is never an operator's call.
func (s *Server) mayChange(w http.ResponseWriter, r *http.Request, c caller, kind string) bool {
	if kind == "authority" && c.role != store.RoleAdmin {
		writeProblem(w, r, newProblem(http.StatusForbidden, locale.Errorf("role %s may not %s %s: a state authority's entry (and its key) is changed by the admin role only; allowed: admin",
			c.role, r.Method, r.URL.Path)))
		return false
	}
	if rc := s.cfg.RegistryChanges; rc == nil || rc.Log == nil || rc.Prepare == nil {
		writeProblem(w, r, newProblem(http.StatusNotFound, errNoChanges))
		return false
	}
	return true
}

func (s *Server) putOverride(w http.ResponseWriter, r *http.Request, c caller) {
	kind, ok := s.registryKind(w, r)
	if !ok || !s.mayChange(w, r, c, kind) {
		return
	}
	id := r.PathValue("id")
	if !registryIDPattern.MatchString(id) {
		writeProblem(w, r, fieldProblem(http.StatusBadRequest, "id", locale.Errorf("letters, digits, '.', '_' or '-', at most 64")))
		return
	}
	pre, p := parsePrecondition(r)
	if p == nil {
		p = pre.required(locale.Errorf("override %s/%s", kind, id), true)
	}
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	body, p := readBody(w, r)
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	m, p := object(body, "")
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	for _, key := range []string{"id", "code"} {
		if raw, ok := m[key]; ok {
			var v string
			if json.Unmarshal(raw, &v) != nil || !strings.EqualFold(v, id) {
				writeProblem(w, r, fieldProblem(http.StatusBadRequest, key, locale.Errorf("does not match the id in the path")))
				return
			}
		}
	}
	compact, _ := json.Marshal(m)
	change, ok := s.applyChange(w, r, c, store.Override{Kind: kind, ID: id, Body: compact}, false, pre)
	if !ok {
		return
	}
	o, err := s.cfg.Store.Override(r.Context(), kind, id)
	if err != nil {
		writeProblem(w, r, s.storeProblem(err, locale.Errorf("override")))
		return
	}
	idx := change.LogIndex
	w.Header().Set("ETag", versionETag(o.Updated))
	status := http.StatusOK
	if pre.ifNoneMatchAny { // created: it did not exist (checked under the change lock)
		status = http.StatusCreated
		w.Header().Set("Location", "/v1/registry/"+r.PathValue("kind")+"/"+id)
	}
	writeJSON(w, status, OverrideDocument{Kind: o.Kind, ID: o.ID, Body: o.Body, Updated: o.Updated.Format("2006-01-02T15:04:05Z07:00"),
		LogIndex: &idx, KeyFingerprint: change.KeyFingerprint})
}

func (s *Server) deleteOverride(w http.ResponseWriter, r *http.Request, c caller) {
	kind, ok := s.registryKind(w, r)
	if !ok || !s.mayChange(w, r, c, kind) {
		return
	}
	pre, p := parsePrecondition(r)
	if p == nil && pre.ifNoneMatchAny {
		p = newProblem(http.StatusBadRequest, locale.Errorf("If-None-Match: a delete takes If-Match"))
	}
	if p == nil {
		p = pre.required(locale.Errorf("override %s/%s", kind, r.PathValue("id")), false)
	}
	if p != nil {
		writeProblem(w, r, p)
		return
	}
	change, ok := s.applyChange(w, r, c, store.Override{Kind: kind, ID: r.PathValue("id")}, true, pre)
	if !ok {
		return
	}
	w.Header().Set("Accord-Log-Index", strconv.FormatUint(change.LogIndex, 10))
	w.WriteHeader(http.StatusNoContent)
}

// getOverride answers one stored override, with its ETag (304 when
// If-None-Match names it).
func (s *Server) getOverride(w http.ResponseWriter, r *http.Request, c caller) {
	kind, ok := s.registryKind(w, r)
	if !ok {
		return
	}
	if _, p := parseQuery(r, false); p != nil {
		writeProblem(w, r, p)
		return
	}
	id := r.PathValue("id")
	o, err := s.cfg.Store.Override(r.Context(), kind, id)
	if err != nil {
		writeProblem(w, r, s.storeProblem(err, locale.Errorf("override %s/%s", kind, id)))
		return
	}
	if notModified(w, r, versionETag(o.Updated)) {
		return
	}
	writeJSON(w, http.StatusOK, OverrideDocument{Kind: o.Kind, ID: o.ID, Body: o.Body, Updated: o.Updated.Format("2006-01-02T15:04:05Z07:00")})
}
