package api

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/model"
	"github.com/accord-dev/accord/internal/store"
)

// principalFields maps the JSON members of model.Principal to their
// struct field index.
var principalFields = func() map[string]int {
	m := map[string]int{}
	t := reflect.TypeFor[model.Principal]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		m[name] = i
	}
	return m
}()

// registeredParty compares the party a body names at path (requester or
// on_behalf_of) with the registered principal: every member the body gives
// must say what the registry says. The body may leave any member out; the
// registered principal is used whole either way. A different id answers
// idStatus (403 for the requester: it is not the credential's principal);
// any other attribute that differs answers 409 naming it, as a dataset
// label that contradicts the catalog does.
func registeredParty(raw json.RawMessage, path string, registered model.Principal, idStatus int) *Problem {
	m, p := object(raw, path)
	if p != nil {
		return p
	}
	rv := reflect.ValueOf(registered)
	// The id first (another principal is 403, not a 409 on one of its
	// attributes), then the members in a fixed order, so that the same
	// body always names the same field.
	names := slices.Sorted(maps.Keys(m))
	if i := slices.Index(names, "id"); i > 0 {
		names = append(append([]string{"id"}, names[:i]...), names[i+1:]...)
	}
	for _, name := range names {
		val := m[name]
		i, ok := principalFields[name]
		if !ok {
			return fieldProblem(http.StatusBadRequest, path+"."+name, locale.Errorf("unknown member"))
		}
		if string(val) == "null" {
			continue
		}
		want := rv.Field(i)
		got := reflect.New(want.Type())
		dec := json.NewDecoder(strings.NewReader(string(val)))
		if err := dec.Decode(got.Interface()); err != nil {
			return fieldProblem(http.StatusBadRequest, path+"."+name, locale.Errorf("expected %s", want.Type().String()))
		}
		if sameValue(got.Elem(), want) {
			continue
		}
		if name == "id" {
			return fieldProblem(idStatus, path+".id", locale.Errorf("is not %s, the principal of your credential; the requester is that principal, as registered", registered.ID))
		}
		return fieldProblem(http.StatusConflict, path+"."+name, locale.Errorf("differs from the registry's record of principal %s; omit it to use the registered value", registered.ID))
	}
	return nil
}

// sameValue compares two values of one type, an empty map or slice equal
// to a nil one.
func sameValue(a, b reflect.Value) bool {
	switch a.Kind() {
	case reflect.Map, reflect.Slice:
		if a.Len() == 0 && b.Len() == 0 {
			return true
		}
	}
	return reflect.DeepEqual(a.Interface(), b.Interface())
}

// onBehalfOf resolves a body's on_behalf_of to the registered principal the
// caller may act for: the body names it by id, and every attribute comes
// from the registry (409 for one the body gives that differs). A principal
// the caller may not act for is 403; one the registry does not know is 400:
// with no registered attributes there is nothing to judge it by.
func (s *Server) onBehalfOf(ctx context.Context, raw json.RawMessage, c caller) (json.RawMessage, *Problem) {
	m, p := object(raw, "on_behalf_of")
	if p != nil {
		return nil, p
	}
	var id string
	if v, ok := m["id"]; ok {
		_ = json.Unmarshal(v, &id)
	}
	if id == "" {
		return nil, fieldProblem(http.StatusBadRequest, "on_behalf_of.id", locale.Errorf("required: name the registered principal you act for"))
	}
	if !c.principal.MayActForID(id) {
		return nil, fieldProblem(http.StatusForbidden, "on_behalf_of.id", locale.Errorf("principal %s may not act for %q", c.principal.ID, id))
	}
	known, err := s.cfg.Store.Principal(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fieldProblem(http.StatusBadRequest, "on_behalf_of.id", locale.Errorf("%q is not a registered principal; an operator must register it before anyone acts for it", id))
	}
	if err != nil {
		return nil, s.storeProblem(err, locale.Errorf("principal"))
	}
	reg := known.Model()
	if p := registeredParty(raw, "on_behalf_of", reg, http.StatusConflict); p != nil {
		return nil, p
	}
	out, err := json.Marshal(reg)
	if err != nil {
		return nil, newProblem(http.StatusInternalServerError, locale.Errorf("internal error"))
	}
	return out, nil
}

// resolveParties replaces a body's exporter and importer with the registered
// principals they name by id (party). When the request names a dataset that
// has a holder, the exporter is that holder: a body that leaves exporter out
// gets it, and one that names another principal is 409. Otherwise the
// caller may name as exporter only itself or a principal it may act for
// (403): who exports decides whether a regime reaches the transfer at all
// (the US DSP regulates U.S. persons), so it is not a claim a requester
// makes about someone else.
func (s *Server) resolveParties(ctx context.Context, m map[string]json.RawMessage, holder string, c caller) *Problem {
	if holder != "" {
		raw, given := m["exporter"]
		if !given || string(raw) == "null" {
			raw, _ = json.Marshal(map[string]string{"id": holder})
		} else if id := memberID(raw); id != holder {
			if id == "" {
				return fieldProblem(http.StatusBadRequest, "exporter.id", locale.Errorf("required: the exporter of the dataset named is its holder %s", holder))
			}
			return fieldProblem(http.StatusConflict, "exporter.id", locale.Errorf("is not %s, the holder of the dataset named; omit exporter to use the holder", holder))
		}
		m["exporter"] = raw
	} else if raw, ok := m["exporter"]; ok && string(raw) != "null" {
		if id := memberID(raw); id != "" && id != c.principal.ID && !c.principal.MayActForID(id) {
			return fieldProblem(http.StatusForbidden, "exporter.id", locale.Errorf("principal %s may not name %q as exporter: name itself, a principal it may act for, or a dataset with a holder", c.principal.ID, id))
		}
	}
	for _, path := range []string{"exporter", "importer"} {
		raw, ok := m[path]
		if !ok || string(raw) == "null" {
			continue
		}
		out, p := s.party(ctx, raw, path)
		if p != nil {
			return p
		}
		m[path] = out
	}
	return nil
}

// memberID is the string id member of a JSON object, or "".
func memberID(raw json.RawMessage) string {
	var v struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(raw, &v)
	return v.ID
}

// party resolves a body's exporter or importer (path) to the registered
// principal it names by id: every attribute comes from the registry (409
// for one the body gives that differs, as registeredParty says). A party
// without an id, or one the registry does not know, is 400: with no
// registered attributes there is nothing to judge it by.
func (s *Server) party(ctx context.Context, raw json.RawMessage, path string) (json.RawMessage, *Problem) {
	if _, p := object(raw, path); p != nil {
		return nil, p
	}
	id := memberID(raw)
	if id == "" {
		return nil, fieldProblem(http.StatusBadRequest, path+".id", locale.Errorf("required: name the registered principal"))
	}
	known, err := s.cfg.Store.Principal(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fieldProblem(http.StatusBadRequest, path+".id", locale.Errorf("%q is not a registered principal; an operator must register it before a request names it", id))
	}
	if err != nil {
		return nil, s.storeProblem(err, locale.Errorf("principal"))
	}
	reg := known.Model()
	if p := registeredParty(raw, path, reg, http.StatusConflict); p != nil {
		return nil, p
	}
	out, err := json.Marshal(reg)
	if err != nil {
		return nil, newProblem(http.StatusInternalServerError, locale.Errorf("internal error"))
	}
	return out, nil
}
