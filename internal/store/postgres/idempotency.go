package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/accord-dev/accord/internal/store"
)

// ClaimIdempotencyKey claims a key with one insert-if-absent (an upsert
// that replaces only an expired key or a lapsed claim); the row count says
// whether this call holds the key. Concurrent claims of one key serialize
// on its primary key: exactly one inserts.
func (s *Store) ClaimIdempotencyKey(ctx context.Context, c store.IdempotencyClaim) (store.IdempotencyRecord, bool, error) {
	if err := c.Validate(); err != nil {
		return store.IdempotencyRecord{}, false, err
	}
	at := c.At.UTC().Truncate(time.Microsecond)
	for range 3 {
		tag, err := s.pool.Exec(ctx, `INSERT INTO idempotency_keys(principal, key, fingerprint, status, header, body, created)
			VALUES ($1, $2, $3, 0, '', '', $4)
			ON CONFLICT (principal, key) DO UPDATE SET fingerprint = excluded.fingerprint, status = 0, header = '', body = '', created = excluded.created
			WHERE idempotency_keys.created <= $5 OR (idempotency_keys.status = 0 AND idempotency_keys.created <= $6)`,
			c.Principal, c.Key, c.Fingerprint, at, at.Add(-store.IdempotencyRetention), at.Add(-store.IdempotencyLease))
		if err != nil {
			return store.IdempotencyRecord{}, false, fmt.Errorf("claim idempotency key: %w", wrap(err))
		}
		if tag.RowsAffected() == 1 {
			return store.IdempotencyRecord{Principal: c.Principal, Key: c.Key, Fingerprint: c.Fingerprint, Created: at}, true, nil
		}
		r := store.IdempotencyRecord{Principal: c.Principal, Key: c.Key}
		err = s.pool.QueryRow(ctx, `SELECT fingerprint, status, header, body, created FROM idempotency_keys WHERE principal = $1 AND key = $2`,
			c.Principal, c.Key).Scan(&r.Fingerprint, &r.Status, &r.Header, &r.Body, &r.Created)
		if errors.Is(err, pgx.ErrNoRows) {
			continue // released or pruned in between: claim again
		}
		if err != nil {
			return store.IdempotencyRecord{}, false, fmt.Errorf("claim idempotency key: %w", wrap(err))
		}
		r.Created = r.Created.UTC()
		return r, false, nil
	}
	return store.IdempotencyRecord{}, false, fmt.Errorf("claim idempotency key: %w: the key was released three times while claiming it", store.ErrUnavailable)
}

// CompleteIdempotencyKey stores the response of a claim still held.
func (s *Store) CompleteIdempotencyKey(ctx context.Context, r store.IdempotencyRecord) error {
	if r.Status <= 0 {
		return fmt.Errorf("%w: complete idempotency key: status %d", store.ErrInvalid, r.Status)
	}
	header, body := r.Header, r.Body
	if header == nil {
		header = []byte{}
	}
	if body == nil {
		body = []byte{}
	}
	tag, err := s.pool.Exec(ctx, `UPDATE idempotency_keys SET status = $1, header = $2, body = $3
		WHERE principal = $4 AND key = $5 AND created = $6 AND status = 0`,
		r.Status, header, body, r.Principal, r.Key, r.Created.UTC().Truncate(time.Microsecond))
	if err != nil {
		return fmt.Errorf("complete idempotency key: %w", wrap(err))
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("complete idempotency key: %w: the claim no longer holds", store.ErrNotFound)
	}
	return nil
}

// ReleaseIdempotencyKey deletes a claim still in progress.
func (s *Store) ReleaseIdempotencyKey(ctx context.Context, principal, key string, claimed time.Time) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM idempotency_keys WHERE principal = $1 AND key = $2 AND created = $3 AND status = 0`,
		principal, key, claimed.UTC().Truncate(time.Microsecond))
	if err != nil {
		return fmt.Errorf("release idempotency key: %w", wrap(err))
	}
	return nil
}

// PruneIdempotencyKeys deletes the keys claimed before before.
func (s *Store) PruneIdempotencyKeys(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM idempotency_keys WHERE created < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("prune idempotency keys: %w", wrap(err))
	}
	return tag.RowsAffected(), nil
}
