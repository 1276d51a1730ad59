package postgres

import (
	"context"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"

	"github.com/accord-dev/accord/internal/store"
)

// ApplyRegistryChange stores c and applies it to the overrides in the
// same transaction: both are written, or neither.
func (s *Store) ApplyRegistryChange(ctx context.Context, c store.RegistryChange) error {
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
	body := c.Body
	if body == nil {
		body = []byte{}
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if override {
			var err error
			switch c.Action {
			case "put":
				err = putOverride(ctx, tx, store.Override{Kind: c.Kind, ID: c.ID, Body: c.Body})
			case "delete":
				err = deleteOverride(ctx, tx, c.Kind, c.ID)
			}
			if err != nil {
				return err
			}
		}
		salt := c.Salt
		if salt == nil {
			salt = []byte{}
		}
		_, err := tx.Exec(ctx, `INSERT INTO registry_changes(log_index, kind, id, action, digest, key_fingerprint, principal, body, salt, created)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			int64(c.LogIndex), c.Kind, c.ID, c.Action, c.Digest, c.KeyFingerprint, c.Principal, body, salt, c.Created)
		if err != nil {
			return fmt.Errorf("log index %d: %w", c.LogIndex, wrap(err))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("registry change %s/%s: %w", c.Kind, c.ID, wrap(err))
	}
	return nil
}

// ListRegistryChanges returns the changes from log index from on, oldest
// first, at most limit (0: all).
func (s *Store) ListRegistryChanges(ctx context.Context, from uint64, limit int) ([]store.RegistryChange, error) {
	if limit < 0 {
		return nil, fmt.Errorf("%w: list registry changes: limit %d is negative", store.ErrInvalid, limit)
	}
	if from > math.MaxInt64 {
		return []store.RegistryChange{}, nil
	}
	var lim *int64 // NULL: no limit
	if limit > 0 {
		l := int64(limit)
		lim = &l
	}
	return list(ctx, s, "list registry changes", func(r pgx.Row) (store.RegistryChange, error) {
		var (
			c  store.RegistryChange
			li int64
		)
		if err := r.Scan(&li, &c.Kind, &c.ID, &c.Action, &c.Digest, &c.KeyFingerprint, &c.Principal, &c.Body, &c.Salt, &c.Created); err != nil {
			return c, wrap(err)
		}
		if len(c.Body) == 0 {
			c.Body = nil
		}
		if len(c.Salt) == 0 {
			c.Salt = nil
		}
		c.LogIndex, c.Created = uint64(li), c.Created.UTC()
		return c, nil
	}, `SELECT log_index, kind, id, action, digest, key_fingerprint, principal, body, salt, created
		FROM registry_changes WHERE log_index >= $1 ORDER BY log_index LIMIT $2`, int64(from), lim)
}
