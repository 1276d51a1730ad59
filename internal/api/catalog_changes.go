package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/accord-dev/accord/internal/locale"
	"github.com/accord-dev/accord/internal/store"
)

// Catalog changes are binding as registry changes are: a dataset's labels
// decide outcomes, so creating, replacing or deleting a dataset is
// validated, appended to the log as a catalog-change entry (the dataset id,
// its location, the action and the digest of the document; never the
// labels themselves), stored with the dataset write in one transaction
// (store.CatalogChanges), and only then in effect. They share the registry
// changes' log (Config.RegistryChanges) and lock; without it the catalog
// cannot be changed (404).

// maxLoggedID bounds a dataset id that a catalog-change entry can carry.
const maxLoggedID = 64

// catalogDocument is the private record of a catalog change: the dataset
// as put.
func catalogDocument(d store.Dataset) ([]byte, error) {
	return json.Marshal(datasetBody{ID: d.ID, Location: d.Location, Origin: d.Origin, Categories: d.Categories, Subjects: d.Subjects,
		Records: d.Records, Devices: d.Devices, Classification: d.Classification, CII: d.CII})
}

// mayChangeCatalog answers 404 when catalog changes cannot be logged.
func (s *Server) mayChangeCatalog(w http.ResponseWriter, r *http.Request) bool {
	if rc := s.cfg.RegistryChanges; rc == nil || rc.Log == nil {
		writeProblem(w, r, newProblem(http.StatusNotFound, locale.Errorf("catalog changes are not enabled on this server (they must be logged, and no log is configured for them)")))
		return false
	}
	return true
}

// applyCatalogChange makes one catalog change binding, in order: check it
// against the current dataset (409 if a create finds one, 404 if an update
// or delete finds none, 412 if the If-Match ETag is not the current one), append the catalog-change entry and wait for its index, then store
// the change with the dataset write in one transaction, which checks the
// same condition again. A store refusal after the append voids the entry.
// It answers the request on failure; on success it returns the change.
func (s *Server) applyCatalogChange(w http.ResponseWriter, r *http.Request, c caller, d store.Dataset, remove, create bool, pre precondition) (store.RegistryChange, bool) {
	rc := s.cfg.RegistryChanges
	id := d.ID
	if len(id) > maxLoggedID {
		writeProblem(w, r, fieldProblem(http.StatusBadRequest, "id", locale.Errorf("a catalogued dataset's id is logged with every change to it: at most %s characters", strconv.Itoa(maxLoggedID))))
		return store.RegistryChange{}, false
	}
	s.changeMu.Lock()
	defer s.changeMu.Unlock()
	ctx := r.Context()
	cur, err := s.cfg.Store.Dataset(ctx, id)
	exists := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		writeProblem(w, r, s.storeProblem(err, locale.Errorf("dataset %s", id)))
		return store.RegistryChange{}, false
	}
	cond := store.CatalogCondition{Create: create}
	p := catalogConditionProblem(id, exists, create)
	if p == nil && !create {
		p = pre.check(locale.Errorf("dataset %s", id), exists, versionETag(cur.Updated))
		if pre.ifMatch && !pre.any {
			cond.Updated = cur.Updated // checked again in the store's transaction
		}
	}
	if p != nil {
		writeProblem(w, r, p)
		return store.RegistryChange{}, false
	}
	change := store.RegistryChange{Kind: store.CatalogKind, ID: id, Action: "put", Principal: c.principal.ID}
	location := d.Location
	if remove {
		change.Action, location = "delete", cur.Location
	} else {
		doc, err := catalogDocument(d)
		if err != nil {
			writeProblem(w, r, newProblem(http.StatusInternalServerError, locale.Errorf("internal error")))
			return store.RegistryChange{}, false
		}
		change.Body, change.Digest = doc, Digest(doc)
	}
	_, p = s.logThenStore(ctx, rc.Log, &change, location, "catalog", func(ctx context.Context) error {
		return s.cfg.Store.ApplyCatalogChange(ctx, change, d, cond)
	}, func(err error) *Problem {
		if errors.Is(err, store.ErrPrecondition) {
			return preconditionProblem(locale.Errorf("dataset %s", id))
		}
		return s.storeProblem(err, locale.Errorf("dataset %s", id))
	})
	if p != nil {
		writeProblem(w, r, p)
		return store.RegistryChange{}, false
	}
	return change, true
}

// catalogConditionProblem checks a catalog change against the dataset as
// it is: a create needs none, a replace or delete needs one.
func catalogConditionProblem(id string, exists, create bool) *Problem {
	switch {
	case create && exists:
		p := newProblem(http.StatusConflict, locale.Errorf("dataset %s already exists", id))
		p.Field = "id"
		return p
	case !create && !exists:
		return newProblem(http.StatusNotFound, locale.Errorf("dataset %s not found", id))
	}
	return nil
}

// preconditionProblem is the 412 for a write conditioned on a version that
// is no longer current.
func preconditionProblem(what error) *Problem {
	return newProblem(http.StatusPreconditionFailed, locale.Errorf("If-Match: %v changed since that version was read; GET it again and reapply the change", what))
}
