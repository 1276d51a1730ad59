package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/accord-dev/accord/internal/store"
)

// ApplyCatalogChange stores c and applies it to the catalog in the same
// transaction, checking cond inside it.
func (s *Store) ApplyCatalogChange(ctx context.Context, c store.RegistryChange, d store.Dataset, cond store.CatalogCondition) (err error) {
	if err := store.ValidateCatalogChange(c, d); err != nil {
		return err
	}
	if c.LogIndex > math.MaxInt64 {
		return fmt.Errorf("%w: catalog change %s: log index %d is out of range", store.ErrInvalid, c.ID, c.LogIndex)
	}
	var l string
	if c.Action == "put" {
		if l, err = labels(d); err != nil {
			return err
		}
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("catalog change %s: %w", c.ID, wrap(err))
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	var updated int64
	err = tx.QueryRowContext(ctx, `SELECT updated FROM datasets WHERE id = ?`, c.ID).Scan(&updated)
	exists := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("catalog change %s: %w", c.ID, wrap(err))
	}
	err = nil
	switch {
	case cond.Create && exists:
		return fmt.Errorf("catalog change: dataset %s: %w", c.ID, store.ErrConflict)
	case !cond.Create && !exists:
		return fmt.Errorf("catalog change: dataset %s: %w", c.ID, store.ErrNotFound)
	case !cond.Updated.IsZero() && updated != nanos(cond.Updated):
		return fmt.Errorf("catalog change: dataset %s: %w", c.ID, store.ErrPrecondition)
	}
	now := nanos(time.Now())
	switch {
	case c.Action == "delete":
		_, err = tx.ExecContext(ctx, `DELETE FROM datasets WHERE id = ?`, c.ID)
	case cond.Create:
		_, err = tx.ExecContext(ctx, `INSERT INTO datasets(id, labels, created, updated) VALUES (?, ?, ?, ?)`, d.ID, l, now, now)
	default:
		if now <= updated {
			now = updated + 1 // every write is a new version
		}
		_, err = tx.ExecContext(ctx, `UPDATE datasets SET labels = ?, updated = ? WHERE id = ?`, l, now, d.ID)
	}
	if err != nil {
		return fmt.Errorf("catalog change %s: %w", c.ID, wrap(err))
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO registry_changes(log_index, kind, id, action, digest, key_fingerprint, principal, body, salt, created)
		VALUES (?, ?, ?, ?, ?, '', ?, ?, ?, ?)`,
		int64(c.LogIndex), c.Kind, c.ID, c.Action, c.Digest, c.Principal, nonNilBytes(c.Body), nonNilBytes(c.Salt), nanos(c.Created))
	if err != nil {
		return fmt.Errorf("catalog change %s at log index %d: %w", c.ID, c.LogIndex, wrap(err))
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("catalog change %s: commit: %w", c.ID, wrap(err))
	}
	return nil
}
