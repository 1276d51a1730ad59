package sqlite

import (
	"context"
	"fmt"
	"math"

	"github.com/accord-dev/accord/internal/store"
)

// ApplyRegistryChange stores c and applies it to the overrides in the
// same transaction: both are written, or neither.
func (s *Store) ApplyRegistryChange(ctx context.Context, c store.RegistryChange) (err error) {
	if err := c.Validate(); err != nil {
		return err
	}
	override, err := c.TouchesOverride()
	if err != nil {
		return err
	}
	if c.LogIndex > math.MaxInt64 {
		return fmt.Errorf("%w: registry change %s/%s: log index %d is out of range", store.ErrInvalid, c.Kind, c.ID, c.LogIndex)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("registry change %s/%s: %w", c.Kind, c.ID, wrap(err))
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	if override {
		switch c.Action {
		case "put":
			err = putOverride(ctx, tx, store.Override{Kind: c.Kind, ID: c.ID, Body: c.Body})
		case "delete":
			err = deleteOverride(ctx, tx, c.Kind, c.ID)
		}
		if err != nil {
			return fmt.Errorf("registry change at log index %d: %w", c.LogIndex, err)
		}
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO registry_changes(log_index, kind, id, action, digest, key_fingerprint, principal, body, salt, created)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		int64(c.LogIndex), c.Kind, c.ID, c.Action, c.Digest, c.KeyFingerprint, c.Principal, nonNilBytes(c.Body), nonNilBytes(c.Salt), nanos(c.Created))
	if err != nil {
		return fmt.Errorf("registry change %s/%s at log index %d: %w", c.Kind, c.ID, c.LogIndex, wrap(err))
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("registry change %s/%s: commit: %w", c.Kind, c.ID, wrap(err))
	}
	return nil
}

// ListRegistryChanges returns the changes from log index from on, oldest
// first, at most limit (0: all).
func (s *Store) ListRegistryChanges(ctx context.Context, from uint64, limit int) ([]store.RegistryChange, error) {
	out := []store.RegistryChange{}
	if from > math.MaxInt64 {
		return out, nil
	}
	if limit < 0 {
		return nil, fmt.Errorf("%w: list registry changes: limit %d is negative", store.ErrInvalid, limit)
	}
	lim := int64(limit)
	if limit == 0 {
		lim = -1 // SQLite: no limit
	}
	rows, err := s.r.QueryContext(ctx, `SELECT log_index, kind, id, action, digest, key_fingerprint, principal, body, salt, created
		FROM registry_changes WHERE log_index >= ? ORDER BY log_index LIMIT ?`, int64(from), lim)
	if err != nil {
		return nil, fmt.Errorf("list registry changes: %w", wrap(err))
	}
	defer rows.Close()
	for rows.Next() {
		var (
			c       store.RegistryChange
			li      int64
			created int64
		)
		if err := rows.Scan(&li, &c.Kind, &c.ID, &c.Action, &c.Digest, &c.KeyFingerprint, &c.Principal, &c.Body, &c.Salt, &created); err != nil {
			return nil, fmt.Errorf("list registry changes: %w", wrap(err))
		}
		if len(c.Body) == 0 {
			c.Body = nil
		}
		if len(c.Salt) == 0 {
			c.Salt = nil
		}
		c.LogIndex, c.Created = uint64(li), fromNanos(created)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list registry changes: %w", wrap(err))
	}
	return out, nil
}
