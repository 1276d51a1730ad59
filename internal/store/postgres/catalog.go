package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/accord-dev/accord/internal/store"
)

// ApplyCatalogChange stores c and applies it to the catalog in the same
// transaction, checking cond inside it on the dataset's row, locked (FOR
// UPDATE) so that two conditional writes of one version cannot both pass.
func (s *Store) ApplyCatalogChange(ctx context.Context, c store.RegistryChange, d store.Dataset, cond store.CatalogCondition) error {
	if err := store.ValidateCatalogChange(c, d); err != nil {
		return err
	}
	if c.LogIndex > math.MaxInt64 {
		return fmt.Errorf("%w: catalog change %s: log index %d is out of range", store.ErrInvalid, c.ID, c.LogIndex)
	}
	var l string
	if c.Action == "put" {
		var err error
		if l, err = labels(d); err != nil {
			return err
		}
	}
	body, salt := c.Body, c.Salt
	if body == nil {
		body = []byte{}
	}
	if salt == nil {
		salt = []byte{}
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var updated time.Time
		err := tx.QueryRow(ctx, `SELECT updated FROM datasets WHERE id = $1 FOR UPDATE`, c.ID).Scan(&updated)
		exists := err == nil
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return wrap(err)
		}
		switch {
		case cond.Create && exists:
			return fmt.Errorf("dataset %s: %w", c.ID, store.ErrConflict)
		case !cond.Create && !exists:
			return fmt.Errorf("dataset %s: %w", c.ID, store.ErrNotFound)
		case !cond.Updated.IsZero() && !updated.Equal(cond.Updated):
			return fmt.Errorf("dataset %s: %w", c.ID, store.ErrPrecondition)
		}
		switch {
		case c.Action == "delete":
			_, err = tx.Exec(ctx, `DELETE FROM datasets WHERE id = $1`, c.ID)
		case cond.Create:
			_, err = tx.Exec(ctx, `INSERT INTO datasets(id, labels, created, updated) VALUES ($1, $2, clock_timestamp(), clock_timestamp())`, d.ID, l)
		default:
			// Every write is a new version, even within the microsecond.
			_, err = tx.Exec(ctx, `UPDATE datasets SET labels = $1, updated = GREATEST(clock_timestamp(), updated + interval '1 microsecond') WHERE id = $2`, l, d.ID)
		}
		if err != nil {
			return wrap(err)
		}
		_, err = tx.Exec(ctx, `INSERT INTO registry_changes(log_index, kind, id, action, digest, key_fingerprint, principal, body, salt, created)
			VALUES ($1, $2, $3, $4, $5, '', $6, $7, $8, $9)`,
			int64(c.LogIndex), c.Kind, c.ID, c.Action, c.Digest, c.Principal, body, salt, c.Created)
		if err != nil {
			return fmt.Errorf("log index %d: %w", c.LogIndex, wrap(err))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("catalog change %s: %w", c.ID, wrap(err))
	}
	return nil
}
