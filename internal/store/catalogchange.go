package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// CatalogKind is the kind of a RegistryChange that changes the catalog: a
// dataset's labels put or deleted. Such a change is logged (a
// catalog-change entry) before it takes effect, and is listed with the
// registry changes.
const CatalogKind = "dataset"

// ErrPrecondition means a conditional write found the resource at another
// version than the one it was conditioned on. Nothing was written. An API
// answers 412.
var ErrPrecondition = errors.New("precondition failed")

// CatalogChanges applies logged changes to the catalog.
type CatalogChanges interface {
	// ApplyCatalogChange stores c (kind CatalogKind, with the registry
	// changes) and, in the same transaction, applies it to the catalog:
	// action put writes dataset d (d.ID must be c.ID), creating it when
	// cond.Create (ErrConflict if it exists) and otherwise replacing it
	// (ErrNotFound if there is none); action delete removes dataset c.ID
	// (ErrNotFound if there is none). When cond.Updated is set, the
	// dataset's Updated must be exactly it (ErrPrecondition otherwise).
	// On any error nothing is written.
	ApplyCatalogChange(ctx context.Context, c RegistryChange, d Dataset, cond CatalogCondition) error
}

// CatalogCondition is what a catalog change expects of the dataset.
type CatalogCondition struct {
	// Create asks that the dataset not exist yet.
	Create bool
	// Updated, when set, is the version (Dataset.Updated) the dataset must
	// be at.
	Updated time.Time
}

// ValidateCatalogChange checks c and d before a driver writes them.
func ValidateCatalogChange(c RegistryChange, d Dataset) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if c.Kind != CatalogKind {
		return fmt.Errorf("%w: catalog change %s: kind %q is not %q", ErrInvalid, c.ID, c.Kind, CatalogKind)
	}
	if c.Action == "put" && d.ID != c.ID {
		return fmt.Errorf("%w: catalog change %s: the dataset is %q", ErrInvalid, c.ID, d.ID)
	}
	return nil
}
